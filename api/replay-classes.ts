// `sddf replay --on impl` for the device classes other than the network (issue 13 part 7): the
// model named in a trace's `#meta` is built with the trace's options, the trace's states are read
// by that model's own field names and shapes (a malformed field is a located UserError), and the
// class's replayer (traces/refinement/<class>/replay-impl.ts) runs them on the implementation.
// api/replay.ts registers these by model name in IMPL_REPLAYERS. `modelWalk` is the seeded random
// walk of any built-in model (`netModelWalk` is the net models' one).
import { UserError } from '../spec/common/diagnostic.ts';
import type { TransitionSystem } from '../spec/common/transition.ts';
import { resolveModel } from '../proofs/mc/run.ts';
import { effectiveBounds } from '../proofs/models/common.ts';
import { i2cModelAddress, i2cModelVirtConfig } from '../proofs/models/i2c.ts';
import { TIMER_MODEL_FREQ_HZ, timerTick0 } from '../proofs/models/timer.ts';
import type { MemoryModel } from '../proofs/models/types.ts';
import { Prng } from '../impl/runtime/prng.ts';
import { toItfTrace, type ItfTrace } from '../traces/itf.ts';
import { modelSuccessorsOf } from '../traces/replay.ts';
import type { ImplReplayResult } from '../traces/refinement/net/replay-impl.ts';
import type { ClassReplayInput, ModelItfState } from '../traces/refinement/replay-model.ts';
import { replayI2cOnImpl } from '../traces/refinement/i2c/replay-impl.ts';
import {
  replaySerialRxOnImpl,
  replaySerialTxOnImpl,
} from '../traces/refinement/serial/replay-impl.ts';
import { replayTimerOnImpl } from '../traces/refinement/timer/replay-impl.ts';
import type { ImplReplayer, ImplReplayRun } from './replay.ts';

/** A UserError unless the trace is of the sc memory model (the implementation runs a handler at a time). */
export function requireScTrace(itf: ItfTrace, file: string): MemoryModel {
  const memoryModel = (itf['#meta']!.options.memoryModel ?? 'sc') as MemoryModel;
  if (memoryModel !== 'sc') {
    throw new UserError({
      code: 'ITF_META',
      file,
      message: `at JSON path /#meta/options/memoryModel: --on impl needs an sc trace (the implementation runs one handler at a time), not '${memoryModel}'`,
    });
  }
  return memoryModel;
}

/** The trace's states by the model's field names, each checked against the model's shape. */
export function modelItfStates(ts: TransitionSystem, itf: ItfTrace, file: string): ModelItfState[] {
  const shape = Object.entries(ts.toItf(ts.initialStates()[0]!));
  return itf.states.map((st, k) => {
    const out: Record<string, number | readonly number[]> = {};
    for (const [name, like] of shape) {
      const v: unknown = st[name];
      const n = Array.isArray(like) ? like.length : 1;
      const bad = (): never => {
        throw new UserError({
          code: 'ITF',
          file,
          message: `at JSON path /states/${k}/${name}: ${n === 1 && !Array.isArray(like) ? 'a u32' : `${n} u32 words`} expected`,
        });
      };
      const u32 = (x: unknown): number =>
        typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 2 ** 32 ? x : bad();
      if (!Array.isArray(like)) out[name] = u32(v);
      else if (Array.isArray(v) && v.length === n) out[name] = v.map(u32);
      else bad();
    }
    return out;
  });
}

/**
 * An ImplReplayer for a model of the registry: builds the model from the trace's `#meta` (sc
 * only), reads its states, and runs `replay` with the effective bounds and the implementation's
 * bug (`implBug` undefined: the trace's own; null: none).
 */
export function classReplayer(replay: (input: ClassReplayInput) => ImplReplayResult): ImplReplayer {
  return (itf: ItfTrace, file: string, implBug?: string | null): ImplReplayRun => {
    const meta = itf['#meta']!;
    const memoryModel = requireScTrace(itf, file);
    const { entry, options } = resolveModel({
      model: meta.model,
      bounds: meta.options.bounds ?? {},
      memoryModel,
      ...(meta.options.bug !== undefined ? { bug: meta.options.bug } : {}),
    });
    const variant = entry.bugs.find((b) => b.id === options.bug);
    const bounds = effectiveBounds(options.bounds, entry.defaultBounds, variant?.bounds ?? {});
    const ts = entry.build(options);
    const states = modelItfStates(ts, itf, file);
    const bug = implBug === undefined ? options.bug : (implBug ?? undefined);
    const result = replay({
      file,
      states,
      actions: itf.states.map((st) => String(st['#meta']?.action ?? '')),
      bounds,
      ...(bug !== undefined ? { bug } : {}),
    });
    return { file, itf, model: entry.name, result };
  };
}

/** `timer`: the goldfish timer driver (traces/refinement/timer/replay-impl.ts). */
export const timerImplReplayer: ImplReplayer = classReplayer((input) =>
  replayTimerOnImpl({
    ...input,
    freqHz: TIMER_MODEL_FREQ_HZ,
    tick0: timerTick0(input.bounds['nearWrap'] ?? 0),
  }),
);

/** `i2c`: the I²C virt (traces/refinement/i2c/replay-impl.ts). */
export const i2cImplReplayer: ImplReplayer = classReplayer((input) =>
  replayI2cOnImpl({
    ...input,
    virt: i2cModelVirtConfig(input.bounds['clients'] ?? 1, input.bounds['capacity'] ?? 4),
    address: i2cModelAddress,
  }),
);

/** `serial-tx`: the serial virt_tx (traces/refinement/serial/replay-impl.ts). */
export const serialTxImplReplayer: ImplReplayer = classReplayer(replaySerialTxOnImpl);

/** `serial-rx`: the serial virt_rx (traces/refinement/serial/replay-impl.ts). */
export const serialRxImplReplayer: ImplReplayer = classReplayer(replaySerialRxOnImpl);

/**
 * A seeded random walk of a built-in model (sc), as an ITF trace: from the initial state, a
 * uniformly chosen successor inside the model's constraint at each step, until none is enabled or
 * `maxSteps`. The traces of the unmodified models that `--on impl` replays in the tests.
 */
export function modelWalk(o: {
  readonly model: string;
  readonly bounds?: Readonly<Record<string, number>>;
  readonly seed: number;
  readonly maxSteps: number;
}): ItfTrace {
  const { entry, options } = resolveModel({
    model: o.model,
    bounds: o.bounds ?? {},
    memoryModel: 'sc',
  });
  const ts = entry.build(options);
  const prng = Prng.fromSeed(o.seed);
  const states = [ts.initialStates()[0]!];
  const actions: number[] = [];
  for (let i = 0; i < o.maxSteps; i++) {
    const succ = modelSuccessorsOf(ts, states[states.length - 1]!);
    if (succ.length === 0) break;
    const pick = succ[prng.nextU32() % succ.length]!;
    states.push(pick.state);
    actions.push(pick.action);
  }
  return toItfTrace(
    ts,
    { states, actions },
    {
      options: { memoryModel: 'sc', bounds: { ...options.bounds } },
      verdict: 'walk',
      search: 'random',
      seed: o.seed,
    },
  );
}
