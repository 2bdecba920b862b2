// A counterexample path as the engine returns it: shared by the search (engine.ts) and the
// liveness lasso search (liveness.ts), kept apart so neither imports the other for its type.
import type { State } from '../../spec/common/transition.ts';

export interface McTrace {
  readonly states: State[];
  /** actions[i] leads from states[i] to states[i+1]. */
  readonly actions: number[];
  /** Lasso: index where the loop starts; the last state steps back to states[loop]. */
  readonly loop?: number;
  /** Action of the closing step last state → states[loop] (absent for a stutter loop). */
  readonly loopAction?: number;
}
