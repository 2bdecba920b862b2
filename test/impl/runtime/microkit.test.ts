// Microkit semantics of sddf-protocols.md §1, each seen through the deterministic runtime.
import { describe, expect, it } from 'vitest';
import { DeterministicRuntime } from '../../../impl/runtime/deterministic.ts';
import { registryOf, system, type Script } from './build.ts';
import type { SystemModel } from '../../../spec/system/model.ts';

function start(
  model: SystemModel,
  scripts: Record<string, Script>,
  opts: { mode?: 'priority' | 'random' } = {},
) {
  const { runtime, errors } = DeterministicRuntime.create(model, {
    registry: registryOf(scripts),
    record: true,
    ...opts,
  });
  expect(errors).toEqual([]);
  const r = runtime!.run({ maxSteps: 1000 });
  return { rt: runtime!, result: r, events: runtime!.rec!.events };
}

// a (high priority, so b never preempts it) has channels to b with ids at b: 5, 2, 9.
const fan = system({
  pds: [
    { name: 'a', priority: 10 },
    { name: 'b', priority: 5 },
    { name: 'c', priority: 5 },
  ],
  channels: [
    [
      { pd: 'a', id: 0 },
      { pd: 'b', id: 5 },
    ],
    [
      { pd: 'a', id: 1 },
      { pd: 'b', id: 2 },
    ],
    [
      { pd: 'a', id: 2 },
      { pd: 'b', id: 9 },
    ],
    [
      { pd: 'a', id: 3 },
      { pd: 'c', id: 0 },
    ],
    [
      { pd: 'b', id: 40 },
      { pd: 'c', id: 40 },
    ],
  ],
});

describe('Microkit semantics (sddf-protocols.md §1)', () => {
  it('§1.2 coalesces: three notifies before the receiver runs give one notified()', () => {
    const seen: number[] = [];
    const { rt } = start(fan, {
      a: ({ api }) => ({ init: () => [0, 0, 0].forEach((ch) => api.notify(ch)) }),
      b: () => ({ notified: (ch) => void seen.push(ch) }),
      c: () => ({}),
    });
    expect(seen).toEqual([5]);
    expect(rt.status('b').wakes).toBe(2); // init + one badge
  });

  it('§1.1 dispatches every set bit once per wake, in ascending channel order', () => {
    const seen: number[] = [];
    start(fan, {
      a: ({ api }) => ({ init: () => [2, 0, 1].forEach((ch) => api.notify(ch)) }),
      b: () => ({ notified: (ch) => void seen.push(ch) }),
      c: () => ({}),
    });
    expect(seen).toEqual([2, 5, 9]);
  });

  it('§1.2 a notify arriving while the receiver is inside notified() is kept for the next wake', () => {
    // b (low) notifies c's channel 40; c is raised above b so it preempts and notifies b back at once.
    const model = system({
      pds: [
        { name: 'b', priority: 5 },
        { name: 'c', priority: 6 },
        { name: 'a', priority: 10 },
      ],
      channels: [
        [
          { pd: 'a', id: 0 },
          { pd: 'b', id: 5 },
        ],
        [
          { pd: 'b', id: 40 },
          { pd: 'c', id: 40 },
        ],
      ],
    });
    const seen: number[] = [];
    let replied = 0;
    start(model, {
      a: ({ api }) => ({ init: () => api.notify(0) }),
      b: ({ api }) => ({
        notified: (ch) => (seen.push(ch), ch === 5 ? api.notify(40) : undefined),
      }),
      c: ({ api }) => ({ notified: () => (replied++ === 0 ? api.notify(40) : undefined) }),
    });
    expect(seen).toEqual([5, 40]);
  });

  it('§1.3 a second deferred call in the same entry overwrites the first (the first signal is lost)', () => {
    const seen: string[] = [];
    const { events } = start(fan, {
      a: ({ api }) => ({
        init: () => {
          api.deferredNotify(0); // to b
          expect(api.deferredCurrent()).toBe(0);
          api.deferredNotify(3); // to c: overwrites
        },
      }),
      b: () => ({ notified: (ch) => void seen.push(`b${ch}`) }),
      c: () => ({ notified: (ch) => void seen.push(`c${ch}`) }),
    });
    expect(seen).toEqual(['c0']);
    expect(events.filter((e) => e.action === 'deferred_overwrite')).toEqual([
      { action: 'deferred_overwrite', pd: 'a', lost: 'notify(0)', by: 'notify(3)' },
    ]);
  });

  it('§1.3 the deferred window is all notified() calls of one badge: one flush per wake', () => {
    const model = system({
      pds: [
        { name: 'src', priority: 20 },
        { name: 'mid', priority: 10 },
        { name: 'b', priority: 1 },
        { name: 'c', priority: 1 },
      ],
      channels: [
        [
          { pd: 'src', id: 0 },
          { pd: 'mid', id: 1 },
        ],
        [
          { pd: 'src', id: 1 },
          { pd: 'mid', id: 2 },
        ],
        [
          { pd: 'mid', id: 10 },
          { pd: 'b', id: 0 },
        ],
        [
          { pd: 'mid', id: 11 },
          { pd: 'c', id: 0 },
        ],
      ],
    });
    const seen: string[] = [];
    start(model, {
      src: ({ api }) => ({ init: () => (api.notify(0), api.notify(1)) }),
      mid: ({ api }) => ({ notified: (ch) => api.deferredNotify(ch === 1 ? 10 : 11) }),
      b: () => ({ notified: () => void seen.push('b') }),
      c: () => ({ notified: () => void seen.push('c') }),
    });
    expect(seen).toEqual(['c']);
  });

  it('§1.3 the deferred signal is sent only after the entry point returns', () => {
    const model = system({
      mrs: [{ name: 'm', size: 0x1000 }],
      pds: [
        { name: 'lo', priority: 1, maps: [{ mr: 'm', vaddr: 0x1000 }] },
        { name: 'hi', priority: 9, maps: [{ mr: 'm', vaddr: 0x1000, perms: 'r' }] },
      ],
      channels: [
        [
          { pd: 'lo', id: 0 },
          { pd: 'hi', id: 0 },
        ],
      ],
    });
    const sawMarker: number[] = [];
    start(model, {
      lo: ({ api }) => ({ init: () => (api.deferredNotify(0), api.mem.write32(0x1000, 42)) }),
      hi: ({ api }) => ({ notified: () => void sawMarker.push(api.mem.read32(0x1000)) }),
    });
    expect(sawMarker).toEqual([42]);
  });

  it("§1.3 a passive PD's deferred call made in init is lost; an active PD's is sent", () => {
    for (const passive of [true, false]) {
      const model = system({
        pds: [
          { name: 'p', priority: 50, passive },
          { name: 'q', priority: 1 },
        ],
        channels: [
          [
            { pd: 'p', id: 0 },
            { pd: 'q', id: 0 },
          ],
        ],
      });
      let got = 0;
      const { events } = start(model, {
        p: ({ api }) => ({ init: () => api.deferredNotify(0) }),
        q: () => ({ notified: () => void got++ }),
      });
      expect(got).toBe(passive ? 0 : 1);
      expect(events.some((e) => e.action === 'deferred_lost')).toBe(passive);
    }
  });

  it('§1.6 a notify to a higher-priority PD preempts at once; to a lower one it waits', () => {
    const model = system({
      mrs: [{ name: 'm', size: 0x1000 }],
      pds: [
        { name: 'mid', priority: 5, maps: [{ mr: 'm', vaddr: 0x1000 }] },
        { name: 'hi', priority: 9, maps: [{ mr: 'm', vaddr: 0x1000, perms: 'r' }] },
        { name: 'lo', priority: 1, maps: [{ mr: 'm', vaddr: 0x1000, perms: 'r' }] },
      ],
      channels: [
        [
          { pd: 'mid', id: 0 },
          { pd: 'hi', id: 0 },
        ],
        [
          { pd: 'mid', id: 1 },
          { pd: 'lo', id: 0 },
        ],
      ],
    });
    const seen: string[] = [];
    start(model, {
      mid: ({ api }) => ({
        init: () => (api.notify(0), api.notify(1), api.mem.write32(0x1000, 7)),
      }),
      hi: ({ api }) => ({ notified: () => void seen.push(`hi saw ${api.mem.read32(0x1000)}`) }),
      lo: ({ api }) => ({ notified: () => void seen.push(`lo saw ${api.mem.read32(0x1000)}`) }),
    });
    expect(seen).toEqual(['hi saw 0', 'lo saw 7']);
  });

  it('an unknown channel, or one without the notify right, is a capability fault of that PD only', () => {
    const model = system({
      pds: [
        { name: 'a', priority: 1 },
        { name: 'b', priority: 2 },
      ],
      channels: [
        [
          { pd: 'a', id: 0, notify: false },
          { pd: 'b', id: 0 },
        ],
      ],
    });
    const { result, rt } = start(model, {
      a: ({ api }) => ({ init: () => api.notify(0) }),
      b: ({ api }) => ({ init: () => api.notify(7) }),
    });
    expect(result.faults.map((f) => [f.pd, f.kind])).toEqual([
      ['b', 'invalid-capability'],
      ['a', 'invalid-capability'],
    ]);
    expect(rt.status('a').status).toBe('stopped');
  });
});

describe('PPC (§1.5)', () => {
  const model = (dialect: '1' | '2', callerPriority: number) =>
    system({
      dialect,
      pds: [
        { name: 'client', priority: callerPriority },
        { name: 'timer', priority: 150, passive: true, ppLegacy: dialect === '1' },
        { name: 'other', priority: 1 },
      ],
      channels: [
        [
          { pd: 'client', id: 1, pp: dialect === '2' },
          { pd: 'timer', id: 4 },
        ],
        [
          { pd: 'timer', id: 5 },
          { pd: 'other', id: 0 },
        ],
      ],
    });

  it('runs the callee to completion and returns its reply; the callee flushes its deferred slot before the reply', () => {
    for (const dialect of ['1', '2'] as const) {
      const order: string[] = [];
      const { result } = start(model(dialect, 100), {
        client: ({ api }) => ({
          init: () => {
            const reply = api.ppcall(1, { label: 3, words: [10n] });
            order.push(`reply ${reply.label} ${reply.words[0]}`);
          },
        }),
        timer: ({ api }) => ({
          protected: (ch, msg) => {
            order.push(`protected ch ${ch}`);
            api.deferredNotify(5);
            return { label: msg.label + 1, words: [msg.words[0]! * 2n] };
          },
        }),
        other: () => ({ notified: () => void order.push('other notified') }),
      });
      expect(result.faults).toEqual([]);
      expect(order).toEqual(['protected ch 4', 'reply 4 20', 'other notified']);
    }
  });

  it('is refused at load when the callee is not of strictly higher priority (equal, lower)', () => {
    for (const p of [150, 200]) {
      const { errors } = DeterministicRuntime.create(model('2', p), {
        registry: registryOf({ client: () => ({}), timer: () => ({}), other: () => ({}) }),
      });
      expect(errors.map((e) => e.code)).toEqual(['RUNTIME_PPC_PRIORITY']);
      expect(errors[0]!.message).toMatch(
        /strictly higher priorities; channel with PPC exists from pd client \(priority: \d+\) to pd timer \(priority: 150\)/,
      );
    }
  });

  it('1.x PD-level pp grants the PPC right only to strictly lower-priority peers (no load error)', () => {
    const { result } = start(model('1', 200), {
      client: ({ api }) => ({ init: () => void api.ppcall(1, { label: 0, words: [] }) }),
      timer: () => ({ protected: () => ({ label: 0, words: [] }) }),
      other: () => ({}),
    });
    expect(result.faults.map((f) => [f.pd, f.kind])).toEqual([['client', 'invalid-capability']]);
  });

  it('a ppcall on a channel without the PPC right faults the caller', () => {
    const { result } = start(model('2', 100), {
      client: () => ({}),
      timer: () => ({}),
      other: ({ api }) => ({ init: () => void api.ppcall(0, { label: 0, words: [] }) }),
    });
    expect(result.faults.map((f) => [f.pd, f.kind])).toEqual([['other', 'invalid-capability']]);
  });

  it('a callee that faults stops; the caller is reported blocked', () => {
    const { result } = start(model('2', 100), {
      client: ({ api }) => ({ init: () => void api.ppcall(1, { label: 0, words: [] }) }),
      timer: ({ api }) => ({ protected: () => (api.mem.read8(0x1234), { label: 0, words: [] }) }),
      other: () => ({}),
    });
    expect(result.faults.map((f) => [f.pd, f.kind])).toEqual([
      ['timer', 'unmapped'],
      ['client', 'blocked'],
    ]);
  });
});
