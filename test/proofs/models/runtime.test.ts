// The runtime's step grain: purely local handler steps run in the transition before them, steps
// with any shared access (load, store, fence, device, ghost) never do, and the merge changes no
// verdict of the catalogue (docs/adr/008-models.md "Granularity").
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { Layout } from '../../../proofs/models/layout.ts';
import { findModel } from '../../../proofs/models/registry.ts';
import { buildSystem } from '../../../proofs/models/runtime.ts';
import { PC_DONE, type ComponentProgram } from '../../../spec/components/program.ts';
import type { State, TransitionSystem } from '../../../spec/common/transition.ts';
import { successors } from './helpers.ts';

/** Words only their PD reads or writes: what a merged local step may change. */
const PRIVATE = /\.(pc|badge|notified_ch|deferred|locals)$/;

/** Every reachable state, projected onto what other PDs, devices and invariants can see. */
function sharedProjections(ts: TransitionSystem, limit: number): Set<string> {
  const seen = new Set<string>();
  const keys = new Set<string>();
  const queue: State[] = [...ts.initialStates()];
  const key = (s: State) => Array.from(s).join(',');
  for (const s of queue) seen.add(key(s));
  for (let i = 0; i < queue.length; i++) {
    if (queue.length > limit) throw new Error(`more than ${limit} states`);
    const s = queue[i]!;
    const itf = ts.toItf(s);
    keys.add(JSON.stringify(Object.entries(itf).filter(([name]) => !PRIVATE.test(name))));
    ts.successors(s, (_a, next) => {
      const k = key(next);
      if (!seen.has(k)) {
        seen.add(k);
        queue.push(new Uint32Array(next));
      }
    });
  }
  return keys;
}

type Third = 'local' | 'load' | 'fence' | 'ghost' | 'device';

/** One PD: s1 stores X, s2 only writes a local, s3 does `third`, then returns. */
function tiny(third: Third, split = false) {
  const layout = new Layout();
  const x = layout.alloc('x');
  const reg = layout.alloc('reg');
  const ghostBase = layout.alloc('ghost');
  const program: ComponentProgram = {
    name: 'p',
    steps: ['', 's1', 's2', 's3'],
    localWords: 1,
    initPc: PC_DONE,
    entry: () => 1,
    step(pc, ctx) {
      switch (pc) {
        case 1:
          ctx.mem.store(x, 1);
          return 2;
        case 2:
          ctx.setLocal(0, 7);
          ctx.deferredNotify(0); // the deferred slot is the PD's own: still local
          return 3;
        default:
          if (third === 'load') ctx.mem.load(x);
          if (third === 'fence') ctx.mem.fence('release');
          if (third === 'ghost') ctx.ghost(0);
          if (third === 'device') ctx.dev.read(reg);
          return PC_DONE;
      }
    },
  };
  return buildSystem({
    name: 'tiny',
    layout,
    pds: [
      { name: 'p', program, priority: 1, channels: { 0: { pd: 'p', ch: 1 } }, initialNotif: 1 },
    ],
    devices: [],
    memoryModel: 'sc',
    scheduling: 'any',
    ghostBase,
    ghostWords: 1,
    init: () => {},
    invariants: [],
    stranded: () => null,
    ...(split ? { splitLocalSteps: true } : {}),
  });
}

describe('runtime step grain', () => {
  const afterS1 = (third: Third, split = false) => {
    const sys = tiny(third, split);
    const [recv] = successors(sys.ts, sys.ts.initialStates()[0]!);
    expect(recv!.name).toBe('p.recv'); // s1 stores: not merged into the syscall
    const next = successors(sys.ts, recv!.next);
    expect(next.map((x) => x.name)).toEqual(['p.s1']);
    return { sys, s: next[0]!.next };
  };

  it('a local step runs with the step before it; a local final step ends the handler too', () => {
    const { sys, s } = afterS1('local');
    const w = sys.pdWords('p');
    expect(s[w.pc]).toBe(PC_DONE);
    expect(s[w.locals]).toBe(7);
    expect(s[w.deferred]).not.toBe(0);
  });

  for (const third of ['load', 'fence', 'ghost', 'device'] as const) {
    it(`a step with a ${third} is its own transition`, () => {
      const { sys, s } = afterS1(third);
      const w = sys.pdWords('p');
      expect(s[w.pc]).toBe(3); // s2 merged into s1, s3 waits
      expect(s[w.locals]).toBe(7);
      expect(successors(sys.ts, s).map((x) => x.name)).toEqual(['p.s3']);
    });
  }

  it('splitLocalSteps keeps one transition per step', () => {
    const { sys, s } = afterS1('local', true);
    expect(s[sys.pdWords('p').pc]).toBe(2);
  });

  // The strong form of "no interleaving of shared accesses is lost": merged and split reach the
  // same states once the PDs' private words are projected away.
  const projections: [string, string, Record<string, number>][] = [
    ['net-pipeline', 'tso', { clients: 1, frames: 1, hwRing: 2 }],
    ['net-pipeline', 'sc', { clients: 2, frames: 1 }],
    ['net-handshake', 'tso', {}],
    ['serial-tx', 'pso', {}],
    ['blk-handshake', 'tso', {}],
  ];
  for (const [model, memoryModel, bounds] of projections) {
    it(`${model} ${memoryModel} ${JSON.stringify(bounds)}: merged and split reach the same shared states`, () => {
      const entry = findModel(model)!;
      const opts = {
        memoryModel: memoryModel as 'sc' | 'tso' | 'pso',
        bounds: { ...entry.defaultBounds, ...bounds },
      };
      const merged = sharedProjections(entry.build(opts), 200_000);
      const split = sharedProjections(entry.build({ ...opts, splitLocalSteps: true }), 200_000);
      expect(merged.size).toBeGreaterThan(10);
      expect([...split].filter((k) => !merged.has(k)).length).toBe(0);
      expect([...merged].filter((k) => !split.has(k)).length).toBe(0);
    }, 30_000);
  }

  // Every cheap catalogue variant and its unmodified model: same verdict and property with the
  // merge on and off; merging never adds states or lengthens the shortest trace.
  const cases: [string, string | undefined][] = [
    ['net-handshake', 'O1'],
    ['net-handshake', 'F2'],
    ['net-handshake', 'U1'],
    ['net-handshake', undefined],
    ['net-pipeline', 'O1'],
    ['net-pipeline', 'F4'],
    ['net-pipeline', 'F15'],
    ['net-pipeline', 'F33'],
    ['net-pipeline', 'U15'],
    ['serial-tx', 'F8'],
    ['serial-tx', 'F9'],
    // F12 is now the August-2024 protocol with two clients (200 000+ states): its cheaper
    // siblings of the same era stand in for it here.
    ['serial-tx', 'F10'],
    ['serial-tx', 'F11'],
    ['serial-tx', undefined],
    ['blk-handshake', 'U7'],
    ['blk-handshake', 'U8'],
    ['blk-handshake', undefined],
    ['net-virtio', 'F5'],
    ['net-virtio', 'U10'],
    ['net-pipeline', 'passive-init'],
  ];
  for (const [model, bug] of cases) {
    it(`${model} ${bug ?? '(unmodified)'}: the same verdict with local steps merged or split`, () => {
      const entry = findModel(model)!;
      const variant = entry.bugs.find((b) => b.id === bug);
      const opts = {
        memoryModel: variant?.memoryModel ?? ('sc' as const),
        bounds: { ...entry.defaultBounds, ...(variant?.bounds ?? {}) },
        ...(bug !== undefined ? { bug } : {}),
      };
      const run = (split: boolean) =>
        checkModel(entry.build({ ...opts, splitLocalSteps: split }), {
          search: 'bfs',
          maxStates: 300_000,
        });
      const merged = run(false);
      const split = run(true);
      expect(merged.verdict).not.toBe('incomplete');
      expect([merged.verdict, merged.property]).toEqual([split.verdict, split.property]);
      expect(merged.states).toBeLessThanOrEqual(split.states);
      expect(merged.trace?.actions.length ?? 0).toBeLessThanOrEqual(
        split.trace?.actions.length ?? 0,
      );
    }, 30_000);
  }
});

describe('runtime: boot, passive PDs and release builds (issue 9 part 3)', () => {
  /** One PD whose init defers a notify to a peer, and a peer that records being notified. */
  function passiveSystem(passive: boolean, build: 'debug' | 'release' = 'debug') {
    const layout = new Layout();
    const ghostBase = layout.alloc('ghost', 1);
    const sender: ComponentProgram = {
      name: 'sender',
      steps: ['', 'init.defer', 'notified'],
      localWords: 0,
      initPc: 1,
      entry: () => 2,
      step(pc, ctx) {
        if (pc === 1) {
          ctx.deferredNotify(0);
          ctx.fail('no-assert-failure', 'an assert in init');
        }
        return PC_DONE;
      },
    };
    const receiver: ComponentProgram = {
      name: 'receiver',
      steps: ['', 'notified'],
      localWords: 0,
      initPc: PC_DONE,
      entry: () => 1,
      step(_pc, ctx) {
        ctx.setGhost(0, 1);
        return PC_DONE;
      },
    };
    return buildSystem({
      name: 'passive',
      layout,
      pds: [
        {
          name: 'sender',
          program: sender,
          priority: 2,
          channels: { 0: { pd: 'receiver', ch: 0 } },
          passive,
        },
        { name: 'receiver', program: receiver, priority: 1, channels: {} },
      ],
      devices: [],
      memoryModel: 'sc',
      scheduling: 'any',
      build,
      ghostBase,
      ghostWords: 1,
      init: () => undefined,
      invariants: [],
      stranded: (s) => ((s[ghostBase] ?? 0) === 1 ? null : 'the receiver was never notified'),
    });
  }

  it("a passive PD's init deferral is overwritten by main(); a non-passive one is delivered", () => {
    const lost = checkModel(passiveSystem(true, 'release').ts, { search: 'bfs' });
    expect(lost).toMatchObject({ verdict: 'violated', property: 'no-lost-wakeup' });
    expect(checkModel(passiveSystem(false, 'release').ts, { search: 'bfs' }).verdict).toBe('holds');
  });

  it('a failed C assert is a violation in a debug build and compiled out in a release build', () => {
    expect(checkModel(passiveSystem(false).ts, { search: 'bfs' })).toMatchObject({
      verdict: 'violated',
      property: 'no-assert-failure',
    });
    expect(checkModel(passiveSystem(false, 'release').ts, { search: 'bfs' }).verdict).toBe('holds');
  });
});
