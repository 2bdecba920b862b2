// The contract between the model-checking engine (proofs/mc), the models (proofs/models) and
// trace replay (traces/): a finite transition system over fixed-length u32 state vectors, so the
// engine can store, hash and compare states without knowing what they mean (compact encoding).
// It lives in spec/ because proofs/ and traces/ both use it (ARCHITECTURE.md: shared types in spec/).

/** A state: a fixed-length vector of u32 words; its meaning belongs to the model. */
export type State = Uint32Array;

/**
 * Thrown by a transition system that cannot represent a successor in its fixed-length state (a
 * capacity of its encoding, e.g. the Promising memory's message slots), so exploring on would
 * silently cut behaviours. Neither bad input nor a bug: the search stops as `incomplete` (reason
 * `modelLimit`, with this message), never `holds`.
 */
export class ModelLimitReached extends Error {
  override name = 'ModelLimitReached';
}

/** What one transition does, in the sDDF vocabulary (ARCHITECTURE.md "The one vocabulary"). */
export interface ActionInfo {
  /** e.g. `virt_rx.rx_return.dequeue`, `client0.notify`, `driver.irq`. */
  readonly name: string;
  /** The PD (or `device`) that takes the step. */
  readonly pd: string;
  /** Memory event the step performs, when it touches shared memory (for ITF `#meta`, weak memory). */
  readonly memory?: string;
  /** Queue or register touched, when there is one. */
  readonly touches?: string;
  /**
   * The PD this step is addressed to, when it is a message between PDs (notify → the notified PD,
   * enqueue/publish → the queue's consumer); Mermaid rendering draws it as an arrow (issue #3).
   */
  readonly peer?: string;
}

export interface Invariant {
  readonly name: string;
  /** Returns null when it holds, else a message saying what was expected and what was seen. */
  check(s: State): string | null;
}

/** ITF expression (verification-tools.md §2). */
export type ItfValue =
  | boolean
  | string
  | number
  | { readonly '#bigint': string }
  | readonly ItfValue[]
  | { readonly '#tup': readonly ItfValue[] }
  | { readonly '#set': readonly ItfValue[] }
  | { readonly '#map': readonly (readonly [ItfValue, ItfValue])[] }
  | { readonly [field: string]: ItfValue };

export interface TransitionSystem {
  readonly name: string;
  /** Length of every state vector. */
  readonly stateWords: number;
  readonly actions: readonly ActionInfo[];
  initialStates(): State[];
  /**
   * Calls `emit(action, next)` once per enabled transition of `s` (an index into `actions`).
   * `next` may be a scratch buffer the model reuses: the engine copies it before the next emit.
   * Must not modify `s`.
   */
  successors(s: State, emit: (action: number, next: State) => void): void;
  readonly invariants: readonly Invariant[];
  /**
   * Quiescence oracle (no lost wakeup): called on states with no successors or where every PD is
   * blocked. Returns null when the state is a legitimate end (all work done or back-pressure
   * with the matching signal requested), else what work is stranded.
   */
  quiescentViolation?(s: State): string | null;
  /** True when every PD is blocked with no pending notification or IRQ. */
  isQuiescent?(s: State): boolean;
  /** Eventual-delivery goal for liveness under weak fairness: true when the goal is reached. */
  goal?(s: State): boolean;
  /** Name of the liveness property `goal` stands for (e.g. `drained`); reported as the property. */
  readonly goalName?: string;
  /**
   * State constraint (TLC's CONSTRAINT, EXAMPLES.md §9): a successor for which it is false is
   * outside the model and is neither stored, checked nor expanded. It bounds a model without
   * editing its step rules (e.g. `s => sent(s) <= 3`). A state whose every successor is outside
   * is not a deadlock: the quiescence oracle sees the successors before the constraint.
   */
  constraint?(s: State): boolean;
  /** Symmetry reduction: a canonical representative (e.g. sorted identical clients). */
  canonicalize?(s: State, out: State): void;
  /**
   * Partial-order reduction: true when action `a` is invisible and independent of every action of
   * other PDs in `s` (e.g. it touches only PD-private state, or a buffer still private to its
   * writer). The engine may then expand only that action.
   * The engine's ample set is every enabled step of one PD whose steps are all safe-local
   * (docs/adr/007-model-checker.md), so a model must also answer false while another step of that
   * PD, disabled now, could be enabled by another PD (the process-based C1 condition).
   */
  isSafeLocal?(s: State, action: number): boolean;
  /** State as ITF variables, for traces. */
  toItf(s: State): Record<string, ItfValue>;
}
