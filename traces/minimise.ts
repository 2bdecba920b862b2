// Counterexample minimisation by delta debugging (Zeller's ddmin) over the action sequence
// (issue #3 part 5; verification-tools.md §9.5 "schedule shrinking"). A candidate is a subsequence
// of action names, re-executed from the initial state taking at each step the first successor
// with that name; it passes when the run reaches a violation of the same property (it is then cut
// at the first state that shows it). DFS and random-run traces shrink to a handful of steps.
import { assert } from '../spec/common/assert.ts';
import type { State, TransitionSystem } from '../spec/common/transition.ts';
import type { TraceData } from './itf.ts';
import { modelSuccessorsOf, NO_LOST_WAKEUP, successorsOf } from './replay.ts';

/** Bound on re-executions, so minimising a long trace always ends. */
const DEFAULT_MAX_TESTS = 20_000;

export interface MinimiseOptions {
  readonly maxTests?: number;
}

export interface MinimiseResult {
  readonly trace: TraceData;
  readonly tests: number;
  /** False when the test budget ran out (the trace is shorter but maybe not 1-minimal). */
  readonly complete: boolean;
}

/** The first index at which the trace shows a violation of `property`, or -1. */
function violationIndex(ts: TransitionSystem, states: readonly State[], property: string): number {
  const inv = ts.invariants.find((x) => x.name === property);
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    if (inv !== undefined && inv.check(s) !== null) return i;
    if (property === NO_LOST_WAKEUP && ts.quiescentViolation !== undefined) {
      const stuck = successorsOf(ts, s).length === 0 || (ts.isQuiescent?.(s) ?? false);
      if (stuck && ts.quiescentViolation(s) !== null) return i;
    }
  }
  return -1;
}

/**
 * Runs `names` from `from` (default: the first initial state); stops at the first violation of
 * `property`. Returns the run up to and including that state, or null (an action not enabled, or
 * no violation).
 */
export function runToViolation(
  ts: TransitionSystem,
  names: readonly string[],
  property: string,
  from: State | undefined = ts.initialStates()[0],
): TraceData | null {
  assert(from !== undefined, `model ${ts.name} has no initial state`);
  const states: State[] = [from];
  const actions: number[] = [];
  if (violationIndex(ts, states, property) === 0) return { states, actions };
  for (const name of names) {
    const next = modelSuccessorsOf(ts, states[states.length - 1]!).find(
      (x) => ts.actions[x.action]!.name === name,
    );
    if (next === undefined) return null;
    states.push(next.state);
    actions.push(next.action);
    if (violationIndex(ts, [next.state], property) === 0) return { states, actions };
  }
  return null;
}

/** ddmin over the action names of `trace`; returns a run that still violates `property`. */
export function minimise(
  ts: TransitionSystem,
  trace: TraceData,
  property: string,
  opts: MinimiseOptions = {},
): MinimiseResult {
  const maxTests = opts.maxTests ?? DEFAULT_MAX_TESTS;
  let tests = 0;
  const names = trace.actions.map((a) => ts.actions[a]!.name);
  // From the trace's own initial state: a model may have several.
  const from = trace.states[0];
  let best = runToViolation(ts, names, property, from);
  assert(best !== null, `the trace to minimise does not violate ${property} when replayed`);
  const test = (candidate: readonly string[]): boolean => {
    tests++;
    const run = runToViolation(ts, candidate, property, from);
    if (run === null) return false;
    if (run.actions.length < best!.actions.length) best = run;
    return true;
  };
  let seq = best.actions.map((a) => ts.actions[a]!.name);
  let n = 2;
  while (seq.length >= 2 && tests < maxTests) {
    const chunk = Math.ceil(seq.length / n);
    const parts: string[][] = [];
    for (let i = 0; i < seq.length; i += chunk) parts.push(seq.slice(i, i + chunk));
    let reduced = false;
    for (let i = 0; i < parts.length && !reduced && tests < maxTests; i++) {
      if (test(parts[i]!)) {
        seq = best.actions.map((a) => ts.actions[a]!.name);
        n = 2;
        reduced = true;
      }
    }
    for (let i = 0; i < parts.length && !reduced && tests < maxTests; i++) {
      const complement = parts.filter((_, j) => j !== i).flat();
      if (test(complement)) {
        seq = best.actions.map((a) => ts.actions[a]!.name);
        n = Math.max(n - 1, 2);
        reduced = true;
      }
    }
    if (!reduced) {
      if (n >= seq.length) break;
      n = Math.min(n * 2, seq.length);
    }
  }
  assert(best.actions.length <= trace.actions.length, 'minimising never lengthens a trace');
  return { trace: best, tests, complete: tests < maxTests };
}
