// `sddf replay --on impl` for `blk-virt` traces (issue 13 part 7; docs/adr/022-block-subsystem.md):
// reads the trace's states by the model's layout and replays them on the implemented blk virt
// (traces/refinement/blk/replay-impl.ts). Registered in api/replay.ts's IMPL_REPLAYERS.
import { UserError } from '../spec/common/diagnostic.ts';
import { resolveModel } from '../proofs/mc/run.ts';
import { blkVirtEntry, buildBlkVirtInstance } from '../proofs/models/blk-virt.ts';
import type { MemoryModel } from '../proofs/models/types.ts';
import { toItfTrace, type ItfTrace } from '../traces/itf.ts';
import { modelSuccessorsOf } from '../traces/replay.ts';
import { Prng } from '../impl/runtime/prng.ts';
import { BlkTraceProblem, replayBlkOnImpl } from '../traces/refinement/blk/replay-impl.ts';
import type { ImplReplayRun } from './replay.ts';
import { itfStateVectors } from './itf-states.ts';

/**
 * Models of the block class with no implemented component to replay on: what `--on impl` says
 * when given one of their traces.
 */
export const BLK_NO_IMPL: Readonly<Record<string, string>> = {
  'blk-handshake':
    ' (blk-handshake is the queue protocol between an abstract requester and server: no implemented component runs its steps; replay a blk-virt trace for the virt)',
};

function bounds(file: string, meta: NonNullable<ItfTrace['#meta']>) {
  const memoryModel = (meta.options.memoryModel ?? 'sc') as MemoryModel;
  if (memoryModel !== 'sc') {
    throw new UserError({
      code: 'ITF_META',
      file,
      message: `at JSON path /#meta/options/memoryModel: --on impl needs an sc trace (the implementation runs one handler at a time), not '${memoryModel}'`,
    });
  }
  return resolveModel({
    model: blkVirtEntry.name,
    bounds: meta.options.bounds ?? {},
    memoryModel,
    ...(meta.options.bug !== undefined ? { bug: meta.options.bug } : {}),
  }).options;
}

/** The `blk-virt` replayer of IMPL_REPLAYERS (api/replay.ts `ImplReplayer`). */
export function replayBlkTraceOnImpl(
  itf: ItfTrace,
  file: string,
  implBug?: string | null,
): ImplReplayRun {
  const meta = itf['#meta']!;
  const options = bounds(file, meta);
  const { built, layout, cfg } = buildBlkVirtInstance(options);
  const capacity = cfg.cReq.capacity;
  if ((capacity & (capacity - 1)) !== 0) {
    throw new UserError({
      code: 'ITF_META',
      file,
      message: `at JSON path /#meta/options/bounds/capacity: the implemented virt's queues need a power-of-two capacity (catalogue U8), not ${capacity}`,
    });
  }
  const states = itfStateVectors(itf, layout, file);
  const channels: Record<string, Readonly<Record<number, { pd: string; ch: number }>>> = {
    virt: { 0: { pd: 'driver', ch: 0 }, 1: { pd: 'client', ch: 0 } },
  };
  const bug = implBug === undefined ? meta.options.bug : implBug === null ? undefined : implBug;
  try {
    const result = replayBlkOnImpl({
      cfg,
      states,
      actions: itf.states.map((st) => String(st['#meta']?.action ?? '')),
      pdWords: (pd) => built.pdWords(pd),
      channels: (pd) => channels[pd] ?? {},
      ...(bug !== undefined ? { bug } : {}),
    });
    return { file, itf, model: blkVirtEntry.name, result };
  } catch (e) {
    if (!(e instanceof BlkTraceProblem)) throw e;
    throw new UserError({
      code: 'ITF',
      file,
      message: `at JSON path /states/${e.step}/${e.where}: ${e.why} expected`,
    });
  }
}

/**
 * A seeded random walk of `blk-virt` (sc), as an ITF trace, like netModelWalk: from the initial
 * state, a uniformly chosen successor at each step until none is enabled or `maxSteps`.
 * `runToCompletion` (0..1): the chance that, while the virt is inside a handler, its next step is
 * chosen over the other PDs' (more wakes the implementation can be compared on; 0 = uniform).
 */
export function blkVirtWalk(o: {
  readonly bounds?: Readonly<Record<string, number>>;
  readonly bug?: string;
  readonly seed: number;
  readonly maxSteps: number;
  readonly runToCompletion?: number;
}): ItfTrace {
  const { entry, options } = resolveModel({
    model: blkVirtEntry.name,
    bounds: o.bounds ?? {},
    memoryModel: 'sc',
    ...(o.bug !== undefined ? { bug: o.bug } : {}),
  });
  const ts = entry.build(options);
  const prng = Prng.fromSeed(o.seed);
  const states = [ts.initialStates()[0]!];
  const actions: number[] = [];
  const bias = Math.round((o.runToCompletion ?? 0) * 1000);
  for (let i = 0; i < o.maxSteps; i++) {
    const succ = modelSuccessorsOf(ts, states[states.length - 1]!);
    if (succ.length === 0) break;
    const mid = succ.filter((x) => {
      const name = ts.actions[x.action]!.name;
      return name.startsWith('virt.') && name !== 'virt.recv' && name !== 'virt.deferred_flush';
    });
    const from = mid.length > 0 && prng.below(1000) < bias ? mid : succ;
    const pick = from[prng.nextU32() % from.length]!;
    states.push(pick.state);
    actions.push(pick.action);
  }
  return toItfTrace(
    ts,
    { states, actions },
    {
      options: {
        memoryModel: 'sc',
        bounds: { ...options.bounds },
        ...(o.bug !== undefined ? { bug: o.bug } : {}),
      },
      verdict: 'walk',
      search: 'random',
      seed: o.seed,
    },
  );
}
