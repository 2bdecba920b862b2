// The deterministic runtime and its PD core at their edges (issue 12 part 7 survivors): the events
// each kernel operation records, the run bound's argument check, the fault monitor's counts and
// restart budget, PPCs to a callee that has not booted or has stopped, malformed PPC messages,
// channels above 31, the deferred slot's overwrite record, and injected notification fates.
import { describe, expect, it } from 'vitest';
import {
  DeterministicRuntime,
  MAX_RECORDED_FAULTS,
  type DeterministicOptions,
} from '../../../impl/runtime/deterministic.ts';
import { MAX_PPC_WORDS } from '../../../impl/runtime/api.ts';
import type { FaultInjector } from '../../../impl/runtime/faults.ts';
import type { SystemModel } from '../../../spec/system/model.ts';
import { registryOf, system, type Script } from './build.ts';

function boot(
  model: SystemModel,
  scripts: Record<string, Script>,
  opts: Omit<DeterministicOptions, 'registry'> = {},
) {
  // PDs without a script run empty handlers.
  const all = Object.fromEntries(model.pds.map((p) => [p.name, scripts[p.name] ?? (() => ({}))]));
  const { runtime, errors } = DeterministicRuntime.create(model, {
    registry: registryOf(all),
    record: true,
    ...opts,
  });
  expect(errors).toEqual([]);
  return runtime!;
}

// a (1) and b (2) share channel a:0 <-> b:3; b also has ids 40 and 61 from a (a:1, a:2).
const pair = system({
  pds: [
    { name: 'a', priority: 1 },
    { name: 'b', priority: 2 },
  ],
  channels: [
    [
      { pd: 'a', id: 0 },
      { pd: 'b', id: 3 },
    ],
    [
      { pd: 'a', id: 1 },
      { pd: 'b', id: 40 },
    ],
    [
      { pd: 'a', id: 2 },
      { pd: 'b', id: 61 },
    ],
  ],
});

// client (1) calls server (10) on client:1 -> server:4.
const rpc = system({
  pds: [
    { name: 'client', priority: 1 },
    { name: 'server', priority: 10, passive: true },
  ],
  channels: [
    [
      { pd: 'client', id: 1, pp: true },
      { pd: 'server', id: 4 },
    ],
  ],
});

describe('recorded events', () => {
  it('notify and deferred notify are recorded with both ends and the deferred flag', () => {
    const rt = boot(pair, {
      a: ({ api }) => ({
        init: () => {
          api.notify(0);
          api.deferredNotify(0);
        },
      }),
    });
    rt.run({ maxSteps: 100 });
    const notifies = rt.rec!.events.filter((e) => e.action === 'notify');
    expect(notifies).toEqual([
      { action: 'notify', pd: 'a', ch: 0, to: 'b', toCh: 3, deferred: false },
      { action: 'notify', pd: 'a', ch: 0, to: 'b', toCh: 3, deferred: true },
    ]);
  });

  it('a PPC is recorded as ppcall at the caller and protected at the callee, with the label', () => {
    const rt = boot(rpc, {
      client: ({ api }) => ({ init: () => void api.ppcall(1, { label: 7, words: [] }) }),
      server: () => ({ protected: () => ({ label: 0, words: [] }) }),
    });
    expect(rt.run({ maxSteps: 100 }).faults).toEqual([]);
    const ev = rt.rec!.events.filter((e) => e.action === 'ppcall' || e.action === 'protected');
    expect(ev).toEqual([
      { action: 'ppcall', pd: 'client', ch: 1, to: 'server' },
      { action: 'protected', pd: 'server', ch: 4, label: 7 },
    ]);
  });

  it('notifications on channels 32..61 arrive (the badge high word) and are recorded by channel', () => {
    const seen: number[] = [];
    const rt = boot(pair, {
      a: ({ api }) => ({
        init: () => {
          api.deferredNotify(2);
          api.notify(1);
        },
      }),
      b: () => ({ notified: (ch) => void seen.push(ch) }),
    });
    rt.run({ maxSteps: 100 });
    expect(seen).toEqual([40, 61]);
    const got = rt.rec!.events.filter((e) => e.action === 'notified' && e.pd === 'b');
    expect(got).toEqual([
      { action: 'notified', pd: 'b', ch: 40 },
      { action: 'notified', pd: 'b', ch: 61 },
    ]);
  });

  it('a deferred IRQ ack over another IRQ ack is an overwrite; the same one twice is not', () => {
    const model = system({
      pds: [
        {
          name: 'd',
          priority: 5,
          irqs: [
            { irq: 40, id: 0 },
            { irq: 41, id: 1 },
          ],
        },
      ],
    });
    const rt = boot(model, {
      d: ({ api }) => ({
        init: () => {
          api.deferredIrqAck(0);
          api.deferredIrqAck(0);
          expect(api.deferredCurrent()).toBeNull(); // an IRQ ack is not a notify
          api.deferredIrqAck(1);
        },
      }),
    });
    rt.run({ maxSteps: 10 });
    expect(rt.rec!.events.filter((e) => e.action === 'deferred_overwrite')).toEqual([
      { action: 'deferred_overwrite', pd: 'd', lost: 'irq_ack(0)', by: 'irq_ack(1)' },
    ]);
  });

  it('deferredCurrent names the deferred notify channel, and nothing once the slot is empty', () => {
    const seen: (number | null)[] = [];
    const rt = boot(pair, {
      a: ({ api }) => ({
        init: () => {
          seen.push(api.deferredCurrent());
          api.deferredNotify(1);
          seen.push(api.deferredCurrent());
        },
      }),
    });
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([null, 1]);
  });
});

describe('the run bound', () => {
  it('maxSteps is a positive safe integer', () => {
    const rt = boot(pair, {});
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53])
      expect(() => rt.run({ maxSteps: bad })).toThrow(/maxSteps is a positive integer/);
    expect(rt.run({ maxSteps: 1 })).toMatchObject({ status: 'incomplete', steps: 1 });
    expect(rt.run({ maxSteps: 1 })).toMatchObject({ status: 'quiescent', steps: 2 });
  });
});

describe('the fault monitor', () => {
  it('a PD that faults at every boot is restarted maxRestarts times, each fault recorded, then stays stopped', () => {
    const rt = boot(
      pair,
      {
        a: () => ({
          init: () => {
            throw new Error('boom');
          },
        }),
      },
      { restart: { a: { maxRestarts: 2 } } },
    );
    const r = rt.run({ maxSteps: 100 });
    expect(r.faults.map((f) => [f.pd, f.kind, f.message])).toEqual([
      ['a', 'exception', 'a: boom'],
      ['a', 'exception', 'a: boom'],
      ['a', 'exception', 'a: boom'],
    ]);
    expect(rt.faultCount).toBe(3);
    expect(rt.status('a')).toMatchObject({ status: 'stopped', restarts: 2, wakes: 3 });
    const ev = rt.rec!.events.filter((e) => e.action === 'fault' || e.action === 'restart');
    expect(ev).toEqual([
      { action: 'fault', pd: 'a', kind: 'exception', vaddr: 0, message: 'a: boom' },
      { action: 'restart', pd: 'a', restarts: 1 },
      { action: 'fault', pd: 'a', kind: 'exception', vaddr: 0, message: 'a: boom' },
      { action: 'restart', pd: 'a', restarts: 2 },
      { action: 'fault', pd: 'a', kind: 'exception', vaddr: 0, message: 'a: boom' },
    ]);
  });

  it(`keeps the first ${MAX_RECORDED_FAULTS} faults and counts the rest`, () => {
    const rt = boot(
      pair,
      {
        a: () => ({
          init: () => {
            throw new Error('x');
          },
        }),
      },
      { restart: { a: { maxRestarts: MAX_RECORDED_FAULTS + 1 } }, record: false },
    );
    const r = rt.run({ maxSteps: MAX_RECORDED_FAULTS + 10 });
    expect(r.faults).toHaveLength(MAX_RECORDED_FAULTS);
    expect(rt.faultCount).toBe(MAX_RECORDED_FAULTS + 2);
  });

  it('a fault drops what the PD had deferred', () => {
    const seen: number[] = [];
    const rt = boot(pair, {
      a: ({ api }) => ({
        init: () => {
          api.deferredNotify(0);
          throw new Error('after deferring');
        },
      }),
      b: () => ({ notified: (ch) => void seen.push(ch) }),
    });
    rt.run({ maxSteps: 100 });
    expect(seen).toEqual([]);
    expect(rt.rec!.events.filter((e) => e.action === 'notify')).toEqual([]);
  });
});

describe('PPC edges', () => {
  it('a callee that has stopped blocks the caller for ever (a blocked fault of the caller)', () => {
    const rt = boot(rpc, {
      client: ({ api }) => ({ init: () => void api.ppcall(1, { label: 0, words: [] }) }),
      server: () => ({
        init: () => {
          throw new Error('server down');
        },
      }),
    });
    const r = rt.run({ maxSteps: 100 });
    expect(r.faults.map((f) => [f.pd, f.kind])).toEqual([
      ['server', 'exception'],
      ['client', 'blocked'],
    ]);
    expect(r.faults[1]!.message).toMatch(/ppcall to 'server', which is stopped/);
  });

  it('a callee that has not booted yet boots first, then serves the call', () => {
    // Random mode: over these seeds the client sometimes runs before the server has booted.
    let clientFirst = 0;
    for (let seed = 0; seed < 16; seed++) {
      const order: string[] = [];
      const rt = boot(
        rpc,
        {
          client: ({ api }) => ({
            init: () => {
              order.push('client');
              order.push(`reply ${api.ppcall(1, { label: 2, words: [] }).label}`);
            },
          }),
          server: () => ({
            init: () => void order.push('server init'),
            protected: (_ch, m) => ({ label: m.label + 1, words: [] }),
          }),
        },
        { mode: 'random', seed },
      );
      expect(rt.run({ maxSteps: 100 }).faults).toEqual([]);
      expect(order).toContain('reply 3');
      if (order[0] === 'client') {
        clientFirst++;
        expect(order).toEqual(['client', 'server init', 'reply 3']);
      }
    }
    expect(clientFirst).toBeGreaterThan(0);
  });

  it('a callee without a protected entry point faults, and its caller is blocked', () => {
    const rt = boot(rpc, {
      client: ({ api }) => ({ init: () => void api.ppcall(1, { label: 0, words: [] }) }),
    });
    const r = rt.run({ maxSteps: 100 });
    expect(r.faults.map((f) => [f.pd, f.kind])).toEqual([
      ['server', 'exception'],
      ['client', 'blocked'],
    ]);
    expect(r.faults[0]!.message).toMatch(/no protected entry point/);
  });

  it('malformed messages fault the PD that built them (label, word count); 120 words pass', () => {
    const bad = [
      { label: -1, words: [] },
      { label: 1.5, words: [] },
      { label: 0, words: new Array<bigint>(MAX_PPC_WORDS + 1).fill(0n) },
    ];
    for (const msg of bad) {
      const asCall = boot(rpc, {
        client: ({ api }) => ({ init: () => void api.ppcall(1, msg) }),
        server: () => ({ protected: () => ({ label: 0, words: [] }) }),
      }).run({ maxSteps: 100 });
      expect(asCall.faults.map((f) => [f.pd, f.kind])).toEqual([['client', 'exception']]);
      expect(asCall.faults[0]!.message).toMatch(/malformed PPC message/);
      const asReply = boot(rpc, {
        client: ({ api }) => ({ init: () => void api.ppcall(1, { label: 0, words: [] }) }),
        server: () => ({ protected: () => msg }),
      }).run({ maxSteps: 100 });
      expect(asReply.faults.map((f) => [f.pd, f.kind])).toEqual([
        ['server', 'exception'],
        ['client', 'blocked'],
      ]);
    }
    const full = boot(rpc, {
      client: ({ api }) => ({
        init: () =>
          void api.ppcall(1, { label: 0, words: new Array<bigint>(MAX_PPC_WORDS).fill(1n) }),
      }),
      server: () => ({ protected: (_c, m) => m }),
    }).run({ maxSteps: 100 });
    expect(full.faults).toEqual([]);
  });

  it('a ppcall on a notify-only channel is a capability fault of the caller, the callee never runs', () => {
    const model = system({
      pds: [
        { name: 'client', priority: 1 },
        { name: 'server', priority: 10 },
      ],
      channels: [
        [
          { pd: 'client', id: 1 },
          { pd: 'server', id: 4 },
        ],
      ],
    });
    let served = 0;
    const r = boot(model, {
      client: ({ api }) => ({ init: () => void api.ppcall(1, { label: 0, words: [] }) }),
      server: () => ({ protected: () => (served++, { label: 0, words: [] }) }),
    }).run({ maxSteps: 100 });
    expect(r.faults.map((f) => [f.pd, f.kind])).toEqual([['client', 'invalid-capability']]);
    expect(r.faults[0]!.message).toMatch(/no PPC right/);
    expect(served).toBe(0);
  });

  it('an IRQ ack on a channel that is not an IRQ is a capability fault', () => {
    const r = boot(pair, {
      a: ({ api }) => ({ init: () => api.irqAck(0) }),
      b: ({ api }) => ({ init: () => api.deferredIrqAck(3) }),
    }).run({ maxSteps: 100 });
    expect(r.faults.map((f) => [f.pd, f.kind])).toEqual([
      ['b', 'invalid-capability'],
      ['a', 'invalid-capability'],
    ]);
    expect(r.faults[0]!.message).toMatch(/irq_ack on channel 3, which is not an IRQ/);
  });
});

describe('injected notification fates', () => {
  const injector = (fate: 'drop' | 'duplicate'): FaultInjector => ({
    crashAtWake: () => false,
    onNotify: (to) => (to === 'b' ? fate : 'deliver'),
    onIrq: () => 'deliver',
    deviceStalled: () => false,
  });

  it('a dropped notify never arrives and is recorded; a duplicated one arrives twice', () => {
    const run = (fate: 'drop' | 'duplicate') => {
      const seen: number[] = [];
      const rt = boot(
        pair,
        {
          a: ({ api }) => ({ init: () => api.notify(0) }),
          b: () => ({ notified: (ch) => void seen.push(ch) }),
        },
        { faults: injector(fate) },
      );
      rt.run({ maxSteps: 100 });
      return { seen, inject: rt.rec!.events.filter((e) => e.action === 'inject') };
    };
    expect(run('drop')).toEqual({
      seen: [],
      inject: [{ action: 'inject', pd: 'b', what: 'drop notify 3' }],
    });
    expect(run('duplicate')).toEqual({
      seen: [3, 3],
      inject: [{ action: 'inject', pd: 'b', what: 'duplicate notify 3' }],
    });
  });
});

describe('with recording off', () => {
  it('every kernel path runs without building events: notify, overwrite, PPC, high channels, faults and restarts, injected fates', () => {
    const model = system({
      pds: [
        { name: 'a', priority: 1 },
        { name: 'b', priority: 2 },
        { name: 'server', priority: 10, passive: true },
      ],
      channels: [
        [
          { pd: 'a', id: 0 },
          { pd: 'b', id: 3 },
        ],
        [
          { pd: 'a', id: 1 },
          { pd: 'b', id: 40 },
        ],
        [
          { pd: 'a', id: 2, pp: true },
          { pd: 'server', id: 4 },
        ],
      ],
    });
    const seen: number[] = [];
    let boots = 0;
    let n = 0;
    const { runtime, errors } = DeterministicRuntime.create(model, {
      registry: registryOf({
        a: ({ api }) => ({
          init: () => {
            api.deferredNotify(0);
            api.deferredNotify(1); // overwrites
            api.notify(0);
            seen.push(api.ppcall(2, { label: 5, words: [] }).label);
            api.notify(0);
          },
        }),
        b: () => ({
          init: () => {
            if (boots++ === 0) throw new Error('first boot fails');
          },
          notified: (ch) => void seen.push(ch),
        }),
        server: () => ({ protected: (_c, m) => ({ label: m.label * 2, words: [] }) }),
      }),
      restart: { b: { maxRestarts: 1 } },
      faults: {
        crashAtWake: () => false,
        onNotify: () =>
          (['duplicate', 'drop'][n++] ?? 'deliver') as 'duplicate' | 'drop' | 'deliver',
        onIrq: () => 'deliver',
        deviceStalled: () => false,
      },
    });
    expect(errors).toEqual([]);
    const r = runtime!.run({ maxSteps: 100 });
    expect(runtime!.rec).toBeNull();
    expect(r.faults.map((f) => [f.pd, f.message])).toEqual([['b', 'b: first boot fails']]);
    expect(runtime!.status('b')).toMatchObject({ status: 'ready', restarts: 1 });
    // The first notify(0) duplicated (b preempts a: ch 3 twice), the PPC replied 10, the second
    // notify(0) dropped, the deferred notify on 1 (it overwrote 0) arrives as ch 40.
    expect(seen).toEqual([3, 3, 10, 40]);
  });
});

describe('more kernel edges', () => {
  it('a ppcall on a channel id the PD does not have is a capability fault, not an exception', () => {
    const r = boot(rpc, {
      client: ({ api }) => ({ init: () => void api.ppcall(7, { label: 0, words: [] }) }),
      server: () => ({ protected: () => ({ label: 0, words: [] }) }),
    }).run({ maxSteps: 100 });
    expect(r.faults.map((f) => [f.pd, f.kind])).toEqual([['client', 'invalid-capability']]);
  });

  it("a passive PD's deferred signal from init is lost, with recording on (recorded) and off", () => {
    const model = system({
      pds: [
        { name: 'p', priority: 5, passive: true },
        { name: 'q', priority: 1 },
      ],
      channels: [
        [
          { pd: 'p', id: 0 },
          { pd: 'q', id: 0 },
        ],
      ],
    });
    for (const record of [true, false]) {
      const seen: number[] = [];
      const rt = boot(
        model,
        {
          p: ({ api }) => ({ init: () => api.deferredNotify(0) }),
          q: () => ({ notified: (ch) => void seen.push(ch) }),
        },
        { record },
      );
      expect(rt.run({ maxSteps: 20 }).faults).toEqual([]);
      expect(seen).toEqual([]);
      if (record)
        expect(rt.rec!.events.filter((e) => e.action === 'deferred_lost')).toEqual([
          {
            action: 'deferred_lost',
            pd: 'p',
            lost: 'notify(0)',
            why: 'passive PD: main() overwrites the slot after init',
          },
        ]);
    }
  });

  it('random mode never preempts: a notified higher PD runs after the notifier returns', () => {
    for (let seed = 0; seed < 8; seed++) {
      const order: string[] = [];
      boot(
        pair,
        {
          a: ({ api }) => ({
            init: () => {
              api.notify(0);
              order.push('a returns');
            },
          }),
          b: () => ({ notified: () => void order.push('b notified') }),
        },
        { mode: 'random', seed },
      ).run({ maxSteps: 20 });
      expect(order).toEqual(['a returns', 'b notified']);
    }
  });
});
