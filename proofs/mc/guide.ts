// Schedule-guided search (issue 15 part 3): the search of a model restricted to runs whose PD and
// device steps follow a given schedule, the action names of another trace in order (typically the
// same model's counterexample under a stronger memory model). TSO's `store_buffer.flushN` steps
// are left out (a Promising store has no buffer to leave), and the guided system takes only the
// schedule's next step, in every way the memory model lets it (a load under Promising may read
// any message its view allows, so one step has several successors). Promising's `promise` steps
// are taken only where the schedule names them: free promises multiply the states beyond reach
// (net-pipeline with the driver alone free to promise ran 10 minutes without an answer), while
// one named promise (`sddf mc --guide-promise PD@K`) is what ARMv8 needs where a DMB ISH inside a
// step's queue operation would otherwise order all of its stores (docs/weak-memory.md). After the
// schedule, every step is allowed again: the search goes on from where the schedule ends, and any
// violation it finds there counts.
//
// Why: the O1 lost wakeup on net-pipeline lies 68 steps deep under ARMv8's Promising semantics,
// beyond what an unguided search reaches (docs/weak-memory.md "The net pipeline"), yet store
// buffering needs little of Promising: under RVWMO each load just reads the older message, and
// under ARMv8 one promise of the producer's slot store. Guiding by another trace's schedule makes
// that search a few thousand states.
//
// What it claims: a violation found is a run of the unrestricted model (every step is one of its
// transitions; `sddf replay` re-checks it on the model itself). The absence of one says nothing:
// the guided system explores a subset, so the caller must report `incomplete`, never `holds`.
import {
  ModelLimitReached,
  type State,
  type TransitionSystem,
} from '../../spec/common/transition.ts';
import { UserError } from '../../spec/common/diagnostic.ts';

/** A store-buffer flush (TSO, PSO): a memory-system step a schedule leaves out. */
function isFlush(name: string): boolean {
  return /\.store_buffer\.flush\d+$/.test(name);
}

/** A PD's Promising `promise` step (the PD promises one of the stores it may promise). */
export function isPromiseStep(name: string): boolean {
  return /\.promise$/.test(name);
}

/**
 * The schedule of a trace: its actions' names without the store-buffer flushes. A `promise` step
 * is kept: where a guide names one, that PD promises there (one of its later stores takes an
 * earlier place in memory, which the order of steps alone cannot ask for); under a memory model
 * without promises the guided system skips it.
 */
export function scheduleOf(actionNames: readonly string[]): string[] {
  return actionNames.filter((name) => !isFlush(name));
}

/**
 * `inner` restricted to runs in which every PD (and device) takes the steps `schedule` gives it,
 * in that order, interleaved in any way: each PD's projection of the schedule is followed, not
 * the schedule's own interleaving. That matters under Promising, where a message's place in
 * memory is the moment its store runs: a store that TSO left in a buffer must be run later
 * instead. Memory-system steps and the actions of PDs the schedule does not name wait until
 * every PD has taken its last scheduled step; then every step is allowed. The state gains one
 * word per PD named (its position); toItf, the invariants and the oracles see the inner state.
 * Throws UserError when a scheduled step names no action of `inner`.
 */
export interface GuideStats {
  /** States whose successors the model's encoding could not hold (dropped branches). */
  cut: number;
  cutReason?: string;
}

export function guidedSystem(
  inner: TransitionSystem,
  schedule: readonly string[],
  stats: GuideStats = { cut: 0 },
): TransitionSystem {
  const n = inner.stateWords;
  const byName = new Map<string, number>();
  inner.actions.forEach((a, i) => byName.set(a.name, i));
  const hasPromises = inner.actions.some((a) => isPromiseStep(a.name));
  const lanes = new Map<string, number[]>();
  schedule.forEach((name, k) => {
    const a = byName.get(name);
    // A model without promises (SC, TSO, PSO) skips a promise step; under Promising a promise of
    // a PD the model lacks is a bad guide like any other unknown step.
    if (a === undefined && isPromiseStep(name) && !hasPromises) return;
    if (a === undefined) {
      throw new UserError({
        code: 'MC_GUIDE',
        message: `guide step ${k + 1} '${name}' is not an action of ${inner.name} with these bounds`,
      });
    }
    const pd = inner.actions[a]!.pd;
    const lane = lanes.get(pd) ?? [];
    lane.push(a);
    lanes.set(pd, lane);
  });
  const laneSteps = [...lanes.values()];
  /** Per action: its PD's lane, or -1 when the schedule names none of its PD's steps. */
  const laneOf = inner.actions.map((a) => [...lanes.keys()].indexOf(a.pd));
  const L = laneSteps.length;
  const view = (s: State): State => s.subarray(0, n);
  const done = (s: State): boolean => laneSteps.every((steps, l) => s[n + l]! >= steps.length);
  const out = new Uint32Array(n + L);
  const innerHasSuccessor = (s: State): boolean => {
    let any = false;
    try {
      inner.successors(s, () => {
        any = true;
      });
    } catch (e) {
      if (!(e instanceof ModelLimitReached)) throw e;
      return true; // it has a successor, one the encoding cannot hold
    }
    return any;
  };
  return {
    name: inner.name,
    stateWords: n + L,
    actions: inner.actions,
    initialStates: () =>
      inner.initialStates().map((s) => {
        const g = new Uint32Array(n + L);
        g.set(s);
        return g;
      }),
    successors(s, emit) {
      const free = done(s);
      try {
        inner.successors(view(s), (a, next) => {
          const l = laneOf[a]!;
          if (!free) {
            if (l === -1) return;
            const pos = s[n + l]!;
            if (laneSteps[l]![pos] !== a) return;
          }
          out.set(next);
          out.set(s.subarray(n), n);
          if (!free) out[n + l] = s[n + l]! + 1;
          emit(a, out);
        });
      } catch (e) {
        // A branch the model's encoding cannot hold (ModelLimitReached): a guided search claims
        // nothing from what it leaves out, so the branch is dropped and counted, not the run.
        if (!(e instanceof ModelLimitReached)) throw e;
        stats.cut += 1;
        stats.cutReason ??= e.message;
      }
    },
    invariants: inner.invariants.map((inv) => ({
      name: inv.name,
      check: (s: State) => inv.check(view(s)),
    })),
    // The engine asks on a state without successors: here that may only mean no PD's next
    // scheduled step is enabled, which ends a guided branch; it is not a stuck system.
    ...(inner.quiescentViolation !== undefined
      ? {
          quiescentViolation(s: State): string | null {
            const v = view(s);
            if (!(inner.isQuiescent?.(v) ?? false) && innerHasSuccessor(v)) return null;
            return inner.quiescentViolation!(v);
          },
        }
      : {}),
    ...(inner.isQuiescent !== undefined
      ? { isQuiescent: (s: State) => inner.isQuiescent!(view(s)) }
      : {}),
    ...(inner.constraint !== undefined
      ? { constraint: (s: State) => inner.constraint!(view(s)) }
      : {}),
    toItf: (s) => inner.toItf(view(s)),
  };
}
