// A model as named variables and guarded actions: the short way to write a TransitionSystem of
// your own (docs/writing-a-model.md). Each action is `when` (enabled?) and `then` (assign the
// variables that change), over a record of u32 variables; the builder packs the record into the
// engine's state vector, names every ITF variable, and turns the `local` flags into the
// partial-order hint (which `--check-hints` tests rather than trusts). Slower than a hand-packed
// model (one record per step), which is fine for the small protocols it is for.
import { assert } from '../../spec/common/assert.ts';
import type {
  ActionInfo,
  Invariant,
  ItfValue,
  State,
  TransitionSystem,
} from '../../spec/common/transition.ts';

/** A state as a record of named u32 variables (booleans are 0 and 1). */
export type Vars<V extends string> = Record<V, number>;

export interface GuardedAction<V extends string> {
  /** `pd.step`, in the sDDF vocabulary: `client.enqueue`, `server.notify`. */
  readonly name: string;
  /** The PD (or `device`) taking the step. */
  readonly pd: string;
  /** The queue or register the step touches (shown in traces). */
  readonly touches?: string;
  /** The PD the step sends to (a notify): drawn as an arrow in Mermaid. */
  readonly peer?: string;
  /** Is the step enabled in `s`? */
  readonly when: (s: Readonly<Vars<V>>) => boolean;
  /** The next state: assign the variables the step changes (the others keep their values). */
  readonly then: (s: Vars<V>) => void;
  /**
   * Partial-order hint: the step touches only its own PD's private variables, so it commutes with
   * every step of the other PDs and changes no invariant. The engine then explores one order of
   * such steps. A wrong hint hides interleavings: `sddf mc --check-hints` tests every claim.
   */
  readonly local?: boolean;
}

export interface GuardedModel<V extends string> {
  readonly name: string;
  /** Every variable with its initial value (a u32). */
  readonly vars: Readonly<Vars<V>>;
  readonly actions: readonly GuardedAction<V>[];
  readonly invariants?: readonly {
    readonly name: string;
    /** null when it holds, else what was expected and what was seen. */
    readonly check: (s: Readonly<Vars<V>>) => string | null;
  }[];
  /**
   * The lost-wakeup oracle (property `no-lost-wakeup`), asked in states where no action is
   * enabled: null when the state is a legitimate end (all work done), else what work is stranded.
   */
  readonly stuck?: (s: Readonly<Vars<V>>) => string | null;
  /** State constraint: states for which it is false are outside the model (not explored). */
  readonly constraint?: (s: Readonly<Vars<V>>) => boolean;
  /** Liveness goal (`sddf mc --liveness`): reached when true, under weak fairness. */
  readonly goal?: (s: Readonly<Vars<V>>) => boolean;
  readonly goalName?: string;
}

const U32_MAX = 0xffff_ffff;

/** Builds the TransitionSystem the engine checks from a guarded-action model. */
export function guardedSystem<V extends string>(m: GuardedModel<V>): TransitionSystem {
  const names = Object.keys(m.vars) as V[];
  assert(names.length > 0, `model ${m.name} has no variables`);
  assert(m.actions.length > 0, `model ${m.name} has no actions`);
  const check = (s: Vars<V>, after: string): void => {
    for (const n of names) {
      const v = s[n];
      assert(
        Number.isInteger(v) && v >= 0 && v <= U32_MAX,
        () => `model ${m.name}: variable ${n} must be a u32 ${after}, got ${String(v)}`,
      );
    }
  };
  const read = (s: State): Vars<V> => {
    const out = {} as Vars<V>;
    names.forEach((n, i) => {
      out[n] = s[i]!;
    });
    return out;
  };
  const write = (s: Vars<V>): State => Uint32Array.from(names, (n) => s[n]);
  const initial = { ...m.vars } as Vars<V>;
  check(initial, 'initially');
  const actions: ActionInfo[] = m.actions.map((a) => ({
    name: a.name,
    pd: a.pd,
    ...(a.touches !== undefined ? { touches: a.touches } : {}),
    ...(a.peer !== undefined ? { peer: a.peer } : {}),
  }));
  const invariants: Invariant[] = (m.invariants ?? []).map((inv) => ({
    name: inv.name,
    check: (s) => inv.check(read(s)),
  }));
  const hinted = m.actions.some((a) => a.local === true);
  const ts: TransitionSystem = {
    name: m.name,
    stateWords: names.length,
    actions,
    invariants,
    initialStates: () => [write(initial)],
    successors(s, emit) {
      const now = read(s);
      m.actions.forEach((a, i) => {
        if (!a.when(now)) return;
        const next = { ...now };
        a.then(next);
        check(next, `after ${a.name}`);
        emit(i, write(next));
      });
    },
    toItf: (s) => read(s) as Record<string, ItfValue>,
    ...(m.stuck !== undefined ? { quiescentViolation: (s: State) => m.stuck!(read(s)) } : {}),
    ...(m.constraint !== undefined ? { constraint: (s: State) => m.constraint!(read(s)) } : {}),
    ...(m.goal !== undefined ? { goal: (s: State) => m.goal!(read(s)) } : {}),
    ...(m.goalName !== undefined ? { goalName: m.goalName } : {}),
    ...(hinted ? { isSafeLocal: (_s: State, a: number) => m.actions[a]?.local === true } : {}),
  };
  return ts;
}
