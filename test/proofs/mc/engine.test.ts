import { describe, expect, it } from 'vitest';
import { checkModel, NO_LOST_WAKEUP, type McTrace } from '../../../proofs/mc/engine.ts';
import { simulate } from '../../../proofs/mc/simulate.ts';
import type { State, TransitionSystem } from '../../../spec/common/transition.ts';
import {
  countersMod3,
  deadlockAt,
  independentCounters,
  mutex,
  stopsShort,
  toggler,
  twoClients,
} from './toy-models.ts';

/** Every step of a trace must be a real transition of the model (the trace is not made up). */
function expectValidTrace(ts: TransitionSystem, trace: McTrace): void {
  expect(trace.actions.length).toBe(trace.states.length - 1);
  const init = ts.initialStates().map((s) => Array.from(s));
  expect(init).toContainEqual(Array.from(trace.states[0]!));
  for (let i = 0; i + 1 < trace.states.length; i++) {
    const found: { a: number; s: number[] }[] = [];
    ts.successors(trace.states[i]!, (a, s) => found.push({ a, s: Array.from(s) }));
    expect(found).toContainEqual({ a: trace.actions[i], s: Array.from(trace.states[i + 1]!) });
  }
}

describe('checkModel: exact counts on hand-computed state spaces', () => {
  it('two independent counters mod 3: 9 states, 18 transitions, holds (bfs and dfs)', () => {
    for (const search of ['bfs', 'dfs'] as const) {
      const r = checkModel(countersMod3(), { search });
      expect(r.verdict).toBe('holds');
      expect(r.states).toBe(9);
      expect(r.transitions).toBe(18);
    }
  });

  it('BFS depth is the longest shortest path: (0,0) to (2,2) is 4 steps', () => {
    expect(checkModel(countersMod3(), { search: 'bfs' }).depth).toBe(4);
  });

  it('atomic mutex: 3 states, 4 transitions, mutual exclusion holds', () => {
    const r = checkModel(mutex(false), { search: 'bfs' });
    expect(r).toMatchObject({ verdict: 'holds', states: 3, transitions: 4 });
  });

  it('split test-and-set mutex: BFS finds the shortest violation (4 steps)', () => {
    const ts = mutex(true);
    const r = checkModel(ts, { search: 'bfs' });
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe('mutual-exclusion');
    expect(r.trace!.states).toHaveLength(5);
    expectValidTrace(ts, r.trace!);
  });

  it('DFS finds the mutex violation too, with a valid (maybe longer) trace', () => {
    const ts = mutex(true);
    const r = checkModel(ts, { search: 'dfs' });
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe('mutual-exclusion');
    expect(r.trace!.states.length).toBeGreaterThanOrEqual(5);
    expectValidTrace(ts, r.trace!);
  });

  it('quiescence oracle: a lost wakeup at depth k is reported with a k-step trace', () => {
    for (const k of [1, 5, 12]) {
      const ts = deadlockAt(k);
      const bfs = checkModel(ts, { search: 'bfs' });
      expect(bfs.verdict).toBe('violated');
      expect(bfs.property).toBe(NO_LOST_WAKEUP);
      expect(bfs.trace!.actions).toHaveLength(k);
      expectValidTrace(ts, bfs.trace!);
      const dfs = checkModel(ts, { search: 'dfs' });
      expect(dfs.verdict).toBe('violated');
      expect(dfs.property).toBe(NO_LOST_WAKEUP);
    }
  });

  it('a terminal state the oracle accepts is not a violation', () => {
    const ts = deadlockAt(3);
    const lenient: TransitionSystem = { ...ts, quiescentViolation: () => null };
    expect(checkModel(lenient, { search: 'bfs' })).toMatchObject({ verdict: 'holds', states: 5 });
  });
});

describe('checkModel: liveness under weak fairness', () => {
  it('a continuously enabled PD must step: the goal is reached, holds', () => {
    const r = checkModel(toggler(false), { search: 'bfs', liveness: true });
    expect(r.verdict).toBe('holds');
  });

  it('a PD enabled only intermittently may starve: a fair lasso is reported', () => {
    const ts = toggler(true);
    const r = checkModel(ts, { search: 'bfs', liveness: true });
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe('done');
    const trace = r.trace!;
    expect(trace.loop).toBeDefined();
    expectValidTrace(ts, trace);
    // The loop closes: the last state steps back to states[loop] by loopAction.
    const back: { a: number; s: number[] }[] = [];
    ts.successors(trace.states.at(-1)!, (a, s) => back.push({ a, s: Array.from(s) }));
    expect(back).toContainEqual({ a: trace.loopAction, s: Array.from(trace.states[trace.loop!]!) });
    // No state of the lasso reaches the goal.
    expect(trace.states.every((s) => !ts.goal!(s))).toBe(true);
  });

  it('without liveness the same model holds (the check is what finds it)', () => {
    expect(checkModel(toggler(true), { search: 'bfs' }).verdict).toBe('holds');
  });

  it('a run that stops before the goal is a stutter lasso on its last state', () => {
    const r = checkModel(stopsShort(), { search: 'bfs', liveness: true });
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe('reaches-3');
    expect(r.trace!.states).toHaveLength(3);
    expect(r.trace!.loop).toBe(2);
    expect(r.trace!.loopAction).toBeUndefined();
  });
});

describe('checkModel: reductions agree with the full search', () => {
  it('POR explores one PD at a time on independent counters: 2k+1 states instead of (k+1)²', () => {
    const k = 6;
    const full = checkModel(independentCounters(k, true), { search: 'bfs', por: false });
    const reduced = checkModel(independentCounters(k, true), { search: 'bfs', por: true });
    expect(full).toMatchObject({ verdict: 'holds', states: (k + 1) ** 2 });
    expect(reduced).toMatchObject({ verdict: 'holds', states: 2 * k + 1, transitions: 2 * k });
    expect(reduced.reductions.por).toBe(true);
    const dfs = checkModel(independentCounters(k, true), { search: 'dfs', por: true });
    expect(dfs).toMatchObject({ verdict: 'holds', states: 2 * k + 1 });
  });

  it('POR keeps the cycle proviso: on cyclic counters every state is still reached', () => {
    const ts = countersMod3({ isSafeLocal: () => true });
    const r = checkModel(ts, { search: 'bfs', por: true });
    expect(r.verdict).toBe('holds');
    // The invariant below fails only at (2,2); POR must still reach it.
    const probe = countersMod3({
      isSafeLocal: () => true,
      invariants: [{ name: 'never-2-2', check: (s) => (s[0] === 2 && s[1] === 2 ? 'hit' : null) }],
    });
    for (const search of ['bfs', 'dfs'] as const) {
      expect(checkModel(probe, { search, por: true }).verdict).toBe('violated');
    }
  });

  it('symmetry: identical clients give 6 canonical states for 9, and the same verdicts', () => {
    const sym = checkModel(twoClients(4), { search: 'bfs', symmetry: true });
    const plain = checkModel(twoClients(4), { search: 'bfs', symmetry: false });
    expect(sym).toMatchObject({ verdict: 'holds', states: 6 });
    expect(plain).toMatchObject({ verdict: 'holds', states: 9 });
    for (const symmetry of [true, false]) {
      const r = checkModel(twoClients(3), { search: 'bfs', symmetry });
      expect(r.verdict).toBe('violated');
      expect(r.property).toBe('sum');
    }
  });

  it('symmetry: the counterexample is a concrete run of the model, not a path of representatives', () => {
    const ts = twoClients(2);
    for (const search of ['bfs', 'dfs'] as const) {
      const r = checkModel(ts, { search, symmetry: true });
      expect(r.verdict).toBe('violated');
      expectValidTrace(ts, r.trace!);
      // Representatives are sorted pairs, so the stored path (0,0) → (0,1) is not a step of
      // client0; the concrete run is (0,0) → (1,0) → ...
      expect(Array.from(r.trace!.states[1]!)).toEqual([1, 0]);
    }
  });
});

describe('checkModel: bounds end in incomplete, never holds', () => {
  it('maxStates', () => {
    for (const search of ['bfs', 'dfs'] as const) {
      const r = checkModel(countersMod3(), { search, maxStates: 4 });
      expect(r.verdict).toBe('incomplete');
      expect(r.incompleteReason).toBe('maxStates');
    }
  });

  it('maxDepth', () => {
    for (const search of ['bfs', 'dfs'] as const) {
      const r = checkModel(countersMod3(), { search, maxDepth: 2 });
      expect(r.verdict).toBe('incomplete');
      expect(r.incompleteReason).toBe('maxDepth');
    }
  });

  it('maxDepth beyond the diameter is not a bound that was hit: holds', () => {
    expect(checkModel(countersMod3(), { search: 'bfs', maxDepth: 4 }).verdict).toBe('holds');
  });

  it('maxSeconds with an injected clock', () => {
    let t = 0;
    const now = (): number => (t += 1000);
    const r = checkModel(countersMod3(), { search: 'bfs', maxSeconds: 0.5, now });
    expect(r).toMatchObject({ verdict: 'incomplete', incompleteReason: 'maxSeconds' });
  });

  it('reports progress through the callback', () => {
    let t = 0;
    const seen: number[] = [];
    checkModel(independentCounters(60, false), {
      search: 'bfs',
      now: () => (t += 300),
      onProgress: (p) => seen.push(p.states),
    });
    expect(seen.length).toBeGreaterThan(0);
  });

  it('fingerprint mode reports a collision probability; exact mode reports 0', () => {
    const fp = checkModel(countersMod3(), { search: 'bfs' });
    expect(fp.collisionProbability).toBeCloseTo(81 / 2 ** 65, 30);
    expect(fp.collisionProbability).toBeGreaterThan(0);
    const exact = checkModel(countersMod3(), { search: 'bfs', exact: true });
    expect(exact).toMatchObject({ verdict: 'holds', states: 9, collisionProbability: 0 });
  });
});

describe('state constraint (TransitionSystem.constraint, EXAMPLES.md §9)', () => {
  /** A producer counting up forever and a consumer taking what it made: unbounded without a constraint. */
  const unbounded = (limit: number | undefined): TransitionSystem => ({
    name: 'unbounded',
    stateWords: 2,
    actions: [
      { name: 'p.produce', pd: 'p' },
      { name: 'c.consume', pd: 'c' },
    ],
    invariants: [{ name: 'consumed-le-produced', check: (s) => (s[1]! <= s[0]! ? null : 'over') }],
    initialStates: () => [Uint32Array.from([0, 0])],
    successors(s, emit) {
      emit(0, Uint32Array.from([s[0]! + 1, s[1]!]));
      if (s[1]! < s[0]!) emit(1, Uint32Array.from([s[0]!, s[1]! + 1]));
    },
    // The oracle would call a state with no successor a deadlock; the constraint must not make one.
    quiescentViolation: () => 'stuck',
    toItf: (s) => ({ produced: s[0]!, consumed: s[1]! }),
    ...(limit !== undefined ? { constraint: (s: State) => s[0]! <= limit } : {}),
  });

  it('bounds a model without editing its steps: holds, and says how much it left out', () => {
    for (const search of ['bfs', 'dfs'] as const) {
      const r = checkModel(unbounded(3), { search });
      // (p, c) with c ≤ p ≤ 3: 10 states; from each p = 3 state the produce step leaves the model.
      expect(r).toMatchObject({ verdict: 'holds', states: 10, pruned: 4 });
    }
  });

  it('without it the same model is cut by a bound: incomplete, never holds', () => {
    const r = checkModel(unbounded(undefined), { search: 'bfs', maxStates: 50 });
    expect(r).toMatchObject({ verdict: 'incomplete', incompleteReason: 'maxStates' });
    expect(r.pruned).toBeUndefined();
  });

  it('random walks stay inside it', () => {
    const r = simulate(unbounded(3), { seed: 9, runs: 20, maxSteps: 50 });
    expect(r.verdict).toBe('incomplete');
    expect(r.depth).toBeLessThanOrEqual(6);
  });
});
