// Small transition systems whose state spaces are counted by hand, for the engine tests.
import type {
  ActionInfo,
  Invariant,
  ItfValue,
  State,
  TransitionSystem,
} from '../../../spec/common/transition.ts';

type Emit = (action: number, next: State) => void;

interface ToyParts {
  name: string;
  words: number;
  actions: ActionInfo[];
  init: number[][];
  step: (s: State, emit: (action: number, words: number[]) => void) => void;
  invariants?: Invariant[];
  extra?: Partial<TransitionSystem>;
}

function toy(p: ToyParts): TransitionSystem {
  return {
    name: p.name,
    stateWords: p.words,
    actions: p.actions,
    invariants: p.invariants ?? [],
    initialStates: () => p.init.map((w) => Uint32Array.from(w)),
    successors(s: State, emit: Emit): void {
      p.step(s, (a, w) => emit(a, Uint32Array.from(w)));
    },
    toItf: (s: State): Record<string, ItfValue> =>
      Object.fromEntries(Array.from(s, (v, i) => [`x${i}`, v])),
    ...p.extra,
  };
}

/** Two independent PDs, each a counter mod 3: 9 states, 18 transitions, no violation. */
export function countersMod3(extra: Partial<TransitionSystem> = {}): TransitionSystem {
  return toy({
    name: 'counters-mod3',
    words: 2,
    actions: [
      { name: 'a.inc', pd: 'a' },
      { name: 'b.inc', pd: 'b' },
    ],
    init: [[0, 0]],
    step: (s, emit) => {
      emit(0, [(s[0]! + 1) % 3, s[1]!]);
      emit(1, [s[0]!, (s[1]! + 1) % 3]);
    },
    extra,
  });
}

/**
 * Two independent PDs counting 0..k without wrap: (k+1)² states; every step touches only its own
 * counter, so POR may explore one PD at a time: 2k+1 states, 2k transitions.
 */
export function independentCounters(k: number, por: boolean): TransitionSystem {
  return toy({
    name: 'independent-counters',
    words: 2,
    actions: [
      { name: 'a.inc', pd: 'a' },
      { name: 'b.inc', pd: 'b' },
    ],
    init: [[0, 0]],
    step: (s, emit) => {
      if (s[0]! < k) emit(0, [s[0]! + 1, s[1]!]);
      if (s[1]! < k) emit(1, [s[0]!, s[1]! + 1]);
    },
    invariants: [{ name: 'bounded', check: (s) => (s[0]! <= k && s[1]! <= k ? null : 'over k') }],
    extra: por ? { isSafeLocal: () => true } : {},
  });
}

/** A mutex between PDs p and q; `split` separates test and set of the lock (the classic bug). */
export function mutex(split: boolean): TransitionSystem {
  // words: [pcP, pcQ, lock]; pc 0 idle, 1 checked (split only), 2 critical.
  const actions: ActionInfo[] = [];
  for (const pd of ['p', 'q']) {
    actions.push(
      { name: `${pd}.acquire`, pd },
      { name: `${pd}.set`, pd },
      { name: `${pd}.release`, pd },
    );
  }
  return toy({
    name: split ? 'mutex-split' : 'mutex',
    words: 3,
    actions,
    init: [[0, 0, 0]],
    step: (s, emit) => {
      for (let i = 0; i < 2; i++) {
        const base = i * 3;
        const pc = s[i]!;
        const next = (pcNew: number, lock: number): number[] => {
          const w = [s[0]!, s[1]!, lock];
          w[i] = pcNew;
          return w;
        };
        if (pc === 0 && s[2] === 0) emit(base, split ? next(1, 0) : next(2, 1));
        if (pc === 1) emit(base + 1, next(2, 1));
        if (pc === 2) emit(base + 2, next(0, 0));
      }
    },
    invariants: [
      {
        name: 'mutual-exclusion',
        check: (s) => (s[0] === 2 && s[1] === 2 ? 'both PDs in the critical section' : null),
      },
    ],
  });
}

/**
 * A line 0..k where state k has no successor and the quiescence oracle calls it a lost wakeup;
 * a side branch from 0 to a legitimate end state. Shortest violation: k steps.
 */
export function deadlockAt(k: number): TransitionSystem {
  // words: [position, branch]; branch 1 = the legitimate side end.
  return toy({
    name: 'deadlock',
    words: 2,
    actions: [
      { name: 'w.step', pd: 'w' },
      { name: 'w.side', pd: 'w' },
    ],
    init: [[0, 0]],
    step: (s, emit) => {
      if (s[1] === 1) return;
      if (s[0]! < k) emit(0, [s[0]! + 1, 0]);
      if (s[0] === 0) emit(1, [0, 1]);
    },
    extra: {
      quiescentViolation: (s) => (s[1] === 1 ? null : `stranded at ${s[0]}`),
    },
  });
}

/**
 * Liveness under weak fairness. PD `spin` toggles a flag forever; PD `work` moves to done (the
 * goal). `finishOnFlag`: `work.finish` is enabled only while the flag is 1, so it is not
 * continuously enabled and a weakly fair run may avoid the goal forever (a lasso). Otherwise it
 * is always enabled and weak fairness forces it: the goal holds.
 */
export function toggler(finishOnFlag: boolean): TransitionSystem {
  return toy({
    name: 'toggler',
    words: 2,
    actions: [
      { name: 'spin.toggle', pd: 'spin' },
      { name: 'work.finish', pd: 'work' },
    ],
    init: [[0, 0]],
    step: (s, emit) => {
      if (s[1] === 1) return;
      emit(0, [1 - s[0]!, 0]);
      if (!finishOnFlag || s[0] === 1) emit(1, [s[0]!, 1]);
    },
    extra: { goal: (s) => s[1] === 1, goalName: 'done' },
  });
}

/** A run that stops before its goal (a stutter lasso): 0 → 1 → 2, goal is 3. */
export function stopsShort(): TransitionSystem {
  return toy({
    name: 'stops-short',
    words: 1,
    actions: [{ name: 'w.step', pd: 'w' }],
    init: [[0]],
    step: (s, emit) => {
      if (s[0]! < 2) emit(0, [s[0]! + 1]);
    },
    extra: { goal: (s) => s[0] === 3, goalName: 'reaches-3' },
  });
}

/**
 * Two identical clients, each counting 0..2 independently; symmetry sorts the pair, so 6 states
 * stand for 9. `limit` is an invariant on the sum (violated when limit < 4).
 */
export function twoClients(limit: number): TransitionSystem {
  return toy({
    name: 'two-clients',
    words: 2,
    actions: [
      { name: 'client0.inc', pd: 'client0' },
      { name: 'client1.inc', pd: 'client1' },
    ],
    init: [[0, 0]],
    step: (s, emit) => {
      if (s[0]! < 2) emit(0, [s[0]! + 1, s[1]!]);
      if (s[1]! < 2) emit(1, [s[0]!, s[1]! + 1]);
    },
    invariants: [
      { name: 'sum', check: (s) => (s[0]! + s[1]! <= limit ? null : `sum ${s[0]! + s[1]!}`) },
    ],
    extra: {
      canonicalize: (s, out) => {
        out[0] = Math.min(s[0]!, s[1]!);
        out[1] = Math.max(s[0]!, s[1]!);
      },
    },
  });
}

/**
 * A bug deep in one branch of a big space (swarm tests): the first step chooses one of `modes`
 * regions, each a `side` × `side` grid of two counters; the invariant fails only at the far corner
 * of the last region (depth 2·side - 1). A DFS in the model's order exhausts region 1 first, so
 * under a bound of side² states it never gets there; a shard whose random order picks the last
 * region first reaches the corner on its first descent.
 */
export function deepCorner(side: number, modes: number): TransitionSystem {
  return toy({
    name: 'deep-corner',
    words: 3,
    actions: [
      ...Array.from({ length: modes }, (_, m) => ({ name: `root.choose${m + 1}`, pd: 'root' })),
      { name: 'x.inc', pd: 'x' },
      { name: 'y.inc', pd: 'y' },
    ],
    init: [[0, 0, 0]],
    step: (s, emit) => {
      const [mode, x, y] = [s[0]!, s[1]!, s[2]!];
      if (mode === 0) for (let m = 1; m <= modes; m++) emit(m - 1, [m, 0, 0]);
      if (mode > 0 && x < side - 1) emit(modes, [mode, x + 1, y]);
      if (mode > 0 && y < side - 1) emit(modes + 1, [mode, x, y + 1]);
    },
    invariants: [
      {
        name: 'far-corner',
        check: (s) =>
          s[0] === modes && s[1] === side - 1 && s[2] === side - 1
            ? 'reached the far corner'
            : null,
      },
    ],
  });
}
