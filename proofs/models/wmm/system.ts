// The contract between the runtime (../runtime.ts) and a memory model (../memory.ts for sc, tso,
// pso; ./promising.ts for armv8 and rvwmo). docs/adr/015-weak-memory.md "Plugging in".
import type { SharedMem } from '../../../spec/components/mem.ts';
import type { State } from '../../../spec/common/transition.ts';
import type { Layout } from '../layout.ts';
import type { MemoryModel } from '../types.ts';

/** What a step did to shared memory (the runtime's step log: merge and POR decisions). */
export interface AccessLog {
  loads: number[];
  stores: number[];
  /** Fences and syscalls (they order or drain what others see). */
  shared?: number;
}

/** Where a PD's store buffer lives: `count` word then (addr, value) pairs. */
export interface BufferRef {
  readonly base: number;
}

/**
 * The SharedMem the runtime binds to one PD: the state being stepped, the step's access log
 * (non-null only on the runtime's probe runs, which must not branch on memory outcomes) and the
 * syscalls (notify, seL4_Recv, the deferred flush), which are full barriers.
 */
export interface PdSharedMem extends SharedMem {
  s: State;
  accessLog: AccessLog | null;
  syscall(): void;
}

/** How a memory system runs a PD on its own (Promising's certification and promise search). */
export interface PdRunner {
  /** Word holding PD p's pc (0 = between handlers: the next action is a syscall). */
  pcWord(p: number): number;
  /** One step of PD p on `s` in place (handler step or syscall): action index, or -1. */
  step(s: State, p: number): number;
  /**
   * Words only PD p's own steps read and write (its pc, locals, notification bookkeeping), as
   * [offset, length] ranges: another PD's solo run never looks at them (Promising's cache key).
   */
  privateWords(p: number): readonly (readonly [number, number])[];
}

/**
 * What the runtime needs from a memory model: per-PD memories, the model's own transitions
 * (store-buffer flushes, promises), every outcome of a PD step, idleness (quiescence) and the
 * drained view the invariants read.
 */
export interface MemorySystem {
  readonly model: MemoryModel;
  /** Allocates PD p's words (store buffer or views); the runtime calls it after p's locals. */
  allocPd(layout: Layout, p: number): void;
  /** Allocates the words shared by all PDs (Promising's message list), after every PD. */
  allocShared(layout: Layout): void;
  /** PD p's store buffer, when the model has one. */
  buffer(p: number): BufferRef | null;
  /** PD p's SharedMem; the runtime binds it to a state through `s` and `accessLog`. */
  pdMemory(p: number): PdSharedMem;
  /** PD p's memory transitions: names (after `<pd>.`) and their ActionInfo.memory kind. */
  internalActions(p: number): readonly { readonly name: string; readonly kind: string }[];
  /**
   * Emits PD p's memory transitions from `s` (k indexes `internalActions(p)`). `scheduled`: the
   * scheduler lets p run now (a promise is a step of p's core).
   */
  internalSuccessors(
    s: State,
    p: number,
    scheduled: boolean,
    scratch: State,
    emit: (k: number, next: State) => void,
  ): void;
  /**
   * Runs PD p's step once per memory outcome: `run` copies `s` into `scratch` and steps it,
   * returning the action or -1 when p cannot step; `emit` gets each valid outcome (in `scratch`).
   */
  exploreStep(
    s: State,
    p: number,
    scratch: State,
    run: () => number,
    emit: (action: number) => void,
  ): void;
  /** True when PD p has no store waiting to become visible (empty buffer, no promise). */
  idle(s: State, p: number): boolean;
  /** `s` with every performed store visible: each location's newest value in coherence order. */
  drained(s: State): State;
  /**
   * What the model's invariants are evaluated on: `s` itself for the store-buffer models (their
   * states are all consistent snapshots), the drained view for Promising, or null where `s` is
   * not a consistent snapshot (a PD holds a promise: its stores are visible but its own state
   * lags behind them; docs/adr/015-weak-memory.md "Invariants and promises").
   */
  invariantView(s: State): State | null;
}
