// Promise-free search under ARMv8/RVWMO (`sddf mc --no-promises`): the model without its Promising
// `promise` steps. Every run it explores is a run of the full model (a store then takes its place
// in memory when its step runs), so a violation it finds is real and its trace replays on the
// full model; but it leaves out the runs that need a promise — load buffering, and a store placed
// before a later store of the same step — so finding nothing proves nothing: the verdict is then
// `incomplete` (reason `promiseFree`), never `holds`. Why it exists: on the net pipeline the
// promises are what make the state space too big (docs/weak-memory.md: the fix's run is 4 774
// states promise-free, over 2.2 M unfinished with promises), so this is the quick bug hunt under
// the hardware models that needs no guide trace.
import { UserError } from '../../spec/common/diagnostic.ts';
import type { State, TransitionSystem } from '../../spec/common/transition.ts';
import { isPromiseStep } from './guide.ts';

/** `inner` without its `promise` steps; a UserError when it has none (SC, TSO, PSO). */
export function promiseFreeSystem(inner: TransitionSystem, memoryModel: string): TransitionSystem {
  const promise = inner.actions.map((a) => isPromiseStep(a.name));
  if (!promise.some((p) => p)) {
    throw new UserError({
      code: 'USAGE',
      message: `--no-promises needs a memory model with promises (armv8, rvwmo); ${memoryModel} has none`,
    });
  }
  return {
    ...inner,
    successors(s: State, emit: (action: number, next: State) => void): void {
      inner.successors(s, (a, next) => {
        if (!promise[a]) emit(a, next);
      });
    },
  };
}
