// What `sddf replay --on impl` hands a device class's replayer (issue 13 part 7): the trace's
// states read by the model's own field names and shapes (checked against the model built from the
// trace's `#meta` in api/replay-classes.ts, so a malformed field is a located error before any
// replayer runs), the action of each step, the model's effective bounds and the bug switch the
// implementation runs with. The net replayer (net/replay-impl.ts) predates this and reads the
// net-pipeline layout directly; the serial, timer and I²C replayers take this.
import { InvariantError } from '../../spec/common/assert.ts';

/** One state of a model trace: each field a u32 or an array of u32 (proofs/models/layout.ts). */
export type ModelItfState = Readonly<Record<string, number | readonly number[]>>;

export interface ClassReplayInput {
  /** The trace's file (for a located error about a trace the replayer cannot take). */
  readonly file: string;
  /** states[0] is the initial state; states[k] follows step k. */
  readonly states: readonly ModelItfState[];
  /** actions[k] (k ≥ 1): the action of step k (`client0.set_timeout(24 ns)`, ...). */
  readonly actions: readonly string[];
  /** The model's effective bounds (its defaults, the bug's own, the trace's). */
  readonly bounds: Readonly<Record<string, number>>;
  /** The bug the implementation runs with, where it has a switch for it (else ignored). */
  readonly bug?: string;
}

/** A scalar field of a state (the shape was checked when the trace was read). */
export function word(s: ModelItfState, name: string): number {
  const v = s[name];
  if (typeof v !== 'number') throw new InvariantError(`state field ${name} is not a u32`);
  return v;
}

/** An array field of a state (a field of one word is a scalar in ITF: proofs/models/layout.ts). */
export function words(s: ModelItfState, name: string): readonly number[] {
  const v = s[name];
  if (typeof v === 'number') return [v];
  if (!Array.isArray(v)) throw new InvariantError(`state field ${name} is missing`);
  return v as readonly number[];
}
