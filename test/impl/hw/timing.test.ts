// The adversarial device scheduler (impl/hw/timing.ts): seeded, bounded, replayable.

import { describe, expect, it } from 'vitest';
import type { AgentAction, DeviceAgent } from '../../../impl/hw/agent.ts';
import { describeAction, isSettlingAction } from '../../../impl/hw/agent.ts';
import { InvariantError } from '../../../spec/common/assert.ts';
import { AdversarialTiming, MAX_SETTLE_ROUNDS } from '../../../impl/hw/timing.ts';

/** A device that owes `owed` completions and records what it was told to do. */
class FakeAgent implements DeviceAgent {
  readonly done: string[] = [];
  constructor(
    readonly name: string,
    public owed: number,
    readonly extra: AgentAction[] = [],
  ) {}
  agentActions(): AgentAction[] {
    const out: AgentAction[] = [{ kind: 'spurious-interrupt' }, ...this.extra];
    if (this.owed > 0) out.push({ kind: 'complete', queue: 0, max: 1 });
    return out;
  }
  agentPerform(a: AgentAction): void {
    this.done.push(a.kind);
    if (a.kind === 'complete') this.owed--;
  }
  agentBusy(): boolean {
    return this.owed > 0;
  }
}

describe('AdversarialTiming', () => {
  it('a yield point acts with the configured chance: never at 0, always at 256', () => {
    const a = new FakeAgent('a', 100);
    const never = new AdversarialTiming([a], { seed: 1, actPer256: 0 });
    for (let i = 0; i < 50; i++) expect(never.yieldPoint()).toBe(0);
    expect(never.actions).toBe(0);
    const always = new AdversarialTiming([a], { seed: 1, actPer256: 256, maxBurst: 1 });
    for (let i = 0; i < 50; i++) expect(always.yieldPoint()).toBe(1);
    expect(always.actions).toBe(50);
  });

  it('a burst is between 1 and maxBurst actions', () => {
    const a = new FakeAgent('a', 1000);
    const t = new AdversarialTiming([a], { seed: 3, actPer256: 256, maxBurst: 4 });
    const sizes = new Set<number>();
    for (let i = 0; i < 200; i++) sizes.add(t.yieldPoint());
    expect([...sizes].sort()).toEqual([1, 2, 3, 4]);
  });

  it('not hostile: no spurious interrupts or suppression, only settling actions', () => {
    const a = new FakeAgent('a', 1000, [{ kind: 'suppress-notify', queue: 0 }]);
    const t = new AdversarialTiming([a], { seed: 9, actPer256: 256, hostile: false });
    for (let i = 0; i < 100; i++) t.yieldPoint();
    expect(new Set(a.done)).toEqual(new Set(['complete']));
    const h = new FakeAgent('h', 1000, [{ kind: 'suppress-notify', queue: 0 }]);
    const th = new AdversarialTiming([h], { seed: 9, actPer256: 256 });
    for (let i = 0; i < 100; i++) th.yieldPoint();
    expect(new Set(h.done)).toEqual(new Set(['complete', 'spurious-interrupt', 'suppress-notify']));
  });

  it('the same seed replays the same choices; another seed differs', () => {
    const run = (seed: number): string[] => {
      const a = new FakeAgent('a', 30, [{ kind: 'poll', queue: 1 }]);
      const t = new AdversarialTiming([a], { seed, keepLog: 100 });
      for (let i = 0; i < 60; i++) t.yieldPoint();
      return [...t.log];
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('the log keeps the last keepLog actions, naming the yield point, device and action', () => {
    const a = new FakeAgent('dev', 100);
    const t = new AdversarialTiming([a], { seed: 2, actPer256: 256, maxBurst: 1, keepLog: 3 });
    for (let i = 0; i < 5; i++) t.yieldPoint();
    expect(t.log).toHaveLength(3);
    expect(t.log[2]).toMatch(/^5: dev /);
    expect(new AdversarialTiming([a], { seed: 2 }).log).toEqual([]);
  });

  it('idleStep does one settling action while a device is busy, none after', () => {
    const a = new FakeAgent('a', 2);
    const t = new AdversarialTiming([a], { seed: 4 });
    expect(t.idleStep()).toBe(true);
    expect(t.idleStep()).toBe(true);
    expect(a.owed).toBe(0);
    expect(t.idleStep()).toBe(false);
    expect(a.done).toEqual(['complete', 'complete']);
  });

  it('settle finishes all owed work; a device that never finishes hits the bound', () => {
    const a = new FakeAgent('a', 5);
    const b = new FakeAgent('b', 3);
    const t = new AdversarialTiming([a, b], { seed: 1 });
    expect(t.busy()).toBe(true);
    expect(t.settle()).toBe(true);
    expect([a.owed, b.owed]).toEqual([0, 0]);
    const stuck: DeviceAgent = {
      name: 'stuck',
      agentActions: () => [],
      agentPerform: () => {},
      agentBusy: () => true,
    };
    expect(new AdversarialTiming([stuck], { seed: 1 }).settle()).toBe(false);
    expect(MAX_SETTLE_ROUNDS).toBeGreaterThan(0);
  });

  it('a device action that reaches a yield point does not nest another action', () => {
    const inner: DeviceAgent = {
      name: 'n',
      agentActions: () => [{ kind: 'complete', queue: 0, max: 1 }],
      agentPerform: () => {
        expect(t.yieldPoint()).toBe(0);
      },
      agentBusy: () => false,
    };
    const t = new AdversarialTiming([inner], { seed: 1, actPer256: 256, maxBurst: 1 });
    expect(t.yieldPoint()).toBe(1);
  });

  it('at a chance of 0 no yield point ever acts, however many', () => {
    const t = new AdversarialTiming([new FakeAgent('a', 10_000)], { seed: 7, actPer256: 0 });
    let acted = 0;
    for (let i = 0; i < 3000; i++) acted += t.yieldPoint();
    expect(acted).toBe(0);
  });

  it('settle takes only settling actions, one round per MAX_SETTLE_ROUNDS', () => {
    const a = new FakeAgent('a', MAX_SETTLE_ROUNDS);
    expect(new AdversarialTiming([a], { seed: 1 }).settle()).toBe(true);
    expect(new Set(a.done)).toEqual(new Set(['complete']));
    // The unsettling action listed last is still never taken.
    const done: string[] = [];
    let owed = 3;
    const last: DeviceAgent = {
      name: 'last',
      agentActions: () => [
        ...(owed > 0 ? [{ kind: 'complete', queue: 0, max: 1 } as const] : []),
        { kind: 'suppress-notify', queue: 0 },
      ],
      agentPerform: (x) => {
        done.push(x.kind);
        if (x.kind === 'complete') owed--;
      },
      agentBusy: () => owed > 0,
    };
    expect(new AdversarialTiming([last], { seed: 1 }).settle()).toBe(true);
    expect(done).toEqual(['complete', 'complete', 'complete']);
    const b = new FakeAgent('b', MAX_SETTLE_ROUNDS + 1);
    expect(new AdversarialTiming([b], { seed: 1 }).settle()).toBe(false);
    expect(b.owed).toBe(1);
  });

  it('a busy device with nothing settling to offer: idleStep and yield points do nothing', () => {
    const stuck: DeviceAgent = {
      name: 'stuck',
      agentActions: () => [],
      agentPerform: () => {},
      agentBusy: () => true,
    };
    const t = new AdversarialTiming([stuck], { seed: 1, actPer256: 256 });
    expect(t.idleStep()).toBe(false);
    expect(t.yieldPoint()).toBe(0);
    const spurious = new FakeAgent('s', 0);
    const u = new AdversarialTiming([spurious, stuck], { seed: 1 });
    expect(u.idleStep()).toBe(false);
    expect(spurious.done).toEqual([]);
  });

  it('without keepLog nothing is logged, even after actions', () => {
    const t = new AdversarialTiming([new FakeAgent('a', 10)], { seed: 2, actPer256: 256 });
    for (let i = 0; i < 5; i++) t.yieldPoint();
    expect(t.actions).toBeGreaterThan(0);
    expect(t.log).toEqual([]);
  });

  it('refuses nonsense options', () => {
    expect(() => new AdversarialTiming([], { seed: 1, actPer256: 257 })).toThrow(InvariantError);
    expect(() => new AdversarialTiming([], { seed: 1, actPer256: -1 })).toThrow(InvariantError);
    expect(() => new AdversarialTiming([], { seed: 1, maxBurst: 0 })).toThrow(InvariantError);
    expect(new AdversarialTiming([], { seed: 1 }).yieldPoint()).toBe(0);
  });
});

describe('agent actions', () => {
  it('describe themselves for logs; spurious and suppress are the only unsettling ones', () => {
    const all: AgentAction[] = [
      { kind: 'poll', queue: 1 },
      { kind: 'complete', queue: 0, max: 3 },
      { kind: 'interrupt' },
      { kind: 'spurious-interrupt' },
      { kind: 'rx-frame' },
      { kind: 'suppress-notify', queue: 2 },
      { kind: 'resume-notify', queue: 2 },
      { kind: 'drain-tx', max: 4 },
    ];
    expect(all.map(describeAction)).toEqual([
      'poll q1',
      'complete q0 ≤3',
      'interrupt',
      'spurious-interrupt',
      'rx-frame',
      'suppress-notify q2',
      'resume-notify q2',
      'drain-tx ≤4',
    ]);
    expect(all.filter((a) => !isSettlingAction(a)).map((a) => a.kind)).toEqual([
      'spurious-interrupt',
      'suppress-notify',
    ]);
  });
});
