// Replay an ITF trace on a transition system (issue #3 part 5): from an initial state whose ITF
// variables equal state 0, take at each step the successor with the step's action name and the
// same ITF variables. The first step where no such successor exists is the divergence, with what
// the trace says and what the spec model offers there (named `trace` and `spec`, issue #8). Also: does a replayed trace still show the
// violation its `#meta` names (the corpus regression check)?
import { assert } from '../spec/common/assert.ts';
import type { ItfValue, State, TransitionSystem } from '../spec/common/transition.ts';
import { canonicalJson, stateKey, type ItfState, type ItfTrace, type TraceData } from './itf.ts';

export interface Divergence {
  /** Index of the trace state that could not be reproduced (states.length: the loop closing). */
  readonly step: number;
  readonly reason: string;
  /** What the trace has at this step: its state, or the action it names. */
  readonly trace: ItfState | string;
  /** What the spec model offers instead: the states its step reaches, or the actions enabled. */
  readonly spec: readonly (Record<string, ItfValue> | string)[];
  /** Variables in which the spec's first state differs from the trace's. */
  readonly differs?: readonly string[];
}

export type ReplayResult =
  | { readonly ok: true; readonly trace: TraceData }
  | { readonly ok: false; readonly divergence: Divergence; readonly prefix: TraceData };

/** Most successors of one state we list in a divergence report. */
const MAX_FOUND_LISTED = 8;

interface Succ {
  readonly action: number;
  readonly state: State;
}

/** Every successor the step rules give, inside the state constraint or not. */
export function successorsOf(ts: TransitionSystem, s: State): Succ[] {
  const out: Succ[] = [];
  ts.successors(s, (action, next) => out.push({ action, state: next.slice() }));
  return out;
}

/**
 * The successors that are part of the model: those inside its state constraint
 * (TransitionSystem.constraint), which a trace of the model never leaves.
 */
export function modelSuccessorsOf(ts: TransitionSystem, s: State): Succ[] {
  const all = successorsOf(ts, s);
  return ts.constraint === undefined ? all : all.filter((x) => ts.constraint!(x.state));
}

function withoutMeta(s: ItfState): ItfState {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (k !== '#meta') copy[k] = v;
  return copy as ItfState;
}

function differingVars(want: ItfState, got: Record<string, ItfValue>): string[] {
  const names = new Set([...Object.keys(want), ...Object.keys(got)]);
  names.delete('#meta');
  return [...names].filter((k) => canonicalJson(want[k] ?? null) !== canonicalJson(got[k] ?? null));
}

export function replayItf(ts: TransitionSystem, itf: ItfTrace): ReplayResult {
  assert(itf.states.length > 0, 'parseItf guarantees at least one state');
  const states: State[] = [];
  const actions: number[] = [];
  const prefix = (): TraceData => ({ states: [...states], actions: [...actions] });
  const first = itf.states[0]!;
  const init = ts.initialStates().find((s) => stateKey(ts.toItf(s)) === stateKey(first));
  if (init === undefined) {
    return {
      ok: false,
      prefix: prefix(),
      divergence: {
        step: 0,
        reason: "the trace's state 0 is not an initial state of the spec",
        trace: withoutMeta(first),
        spec: ts.initialStates().map((s) => ts.toItf(s)),
      },
    };
  }
  states.push(init);
  for (let i = 1; i < itf.states.length; i++) {
    const want = itf.states[i]!;
    const name = want['#meta']?.action;
    const succ = modelSuccessorsOf(ts, states[i - 1]!);
    const named = succ.filter((x) => ts.actions[x.action]!.name === name);
    const hit = named.find((x) => stateKey(ts.toItf(x.state)) === stateKey(want));
    if (hit === undefined) {
      const enabled = [...new Set(succ.map((x) => ts.actions[x.action]!.name))];
      return {
        ok: false,
        prefix: prefix(),
        divergence:
          named.length === 0
            ? {
                step: i,
                reason:
                  name === undefined
                    ? 'the state has no #meta.action'
                    : `the trace's action ${name} is not enabled in the spec`,
                trace: name ?? '(none)',
                spec: enabled.length > 0 ? enabled : ['(no step enabled)'],
              }
            : {
                step: i,
                reason: `the spec's ${name} leads to a different state than the trace's`,
                trace: withoutMeta(want),
                spec: named.slice(0, MAX_FOUND_LISTED).map((x) => ts.toItf(x.state)),
                differs: differingVars(want, ts.toItf(named[0]!.state)),
              },
      };
    }
    states.push(hit.state);
    actions.push(hit.action);
  }
  return closeLoop(ts, itf, states, actions);
}

/** A lasso must close: the last state steps back to states[loop] (or stutters if it is stuck). */
function closeLoop(
  ts: TransitionSystem,
  itf: ItfTrace,
  states: State[],
  actions: number[],
): ReplayResult {
  if (itf.loop === undefined) return { ok: true, trace: { states, actions } };
  const last = states[states.length - 1]!;
  const succ = modelSuccessorsOf(ts, last);
  const loopName = itf['#meta']?.loopAction;
  const prefix = { states, actions };
  if (loopName === undefined) {
    if (succ.length === 0) return { ok: true, trace: { ...prefix, loop: itf.loop } };
    return {
      ok: false,
      prefix,
      divergence: {
        step: states.length,
        reason: "the trace's stutter loop needs a last state where the spec enables no step",
        trace: '(no step enabled)',
        spec: [...new Set(succ.map((x) => ts.actions[x.action]!.name))],
      },
    };
  }
  const target = stateKey(ts.toItf(states[itf.loop]!));
  const hit = succ.find(
    (x) => ts.actions[x.action]!.name === loopName && stateKey(ts.toItf(x.state)) === target,
  );
  if (hit !== undefined) {
    return { ok: true, trace: { ...prefix, loop: itf.loop, loopAction: hit.action } };
  }
  return {
    ok: false,
    prefix,
    divergence: {
      step: states.length,
      reason: `the trace's loop does not close: the spec's ${loopName} from the last state does not reach state ${itf.loop}`,
      trace: loopName,
      spec: [...new Set(succ.map((x) => ts.actions[x.action]!.name))],
    },
  };
}

/** Property name of the quiescence oracle (proofs/mc/engine.ts NO_LOST_WAKEUP; traces may not import proofs). */
export const NO_LOST_WAKEUP = 'no-lost-wakeup';

/**
 * Does the replayed trace show a violation of `property`? Returns null when it does, else why not.
 * Invariants: some state breaks it. `no-lost-wakeup`: the last state is quiescent (no step, or
 * isQuiescent) and the oracle rejects it. The goal (ts.goalName): a closed lasso with no goal state.
 */
export function showsViolation(
  ts: TransitionSystem,
  trace: TraceData,
  property: string,
): string | null {
  const inv = ts.invariants.find((x) => x.name === property);
  if (inv !== undefined) {
    return trace.states.some((s) => inv.check(s) !== null)
      ? null
      : `no state of the trace breaks invariant ${property}`;
  }
  if (property === NO_LOST_WAKEUP) {
    const last = trace.states[trace.states.length - 1]!;
    const stuck = successorsOf(ts, last).length === 0 || (ts.isQuiescent?.(last) ?? false);
    if (!stuck) return 'the last state is not quiescent (some step is enabled)';
    const msg = ts.quiescentViolation?.(last) ?? null;
    return msg === null ? 'the last state is a legitimate end (the oracle accepts it)' : null;
  }
  if (ts.goal !== undefined && property === (ts.goalName ?? 'eventually-goal')) {
    if (trace.loop === undefined) return 'a liveness counterexample needs a loop';
    return trace.states.some((s) => ts.goal!(s)) ? 'the lasso reaches the goal' : null;
  }
  return `the model has no property named ${property}`;
}
