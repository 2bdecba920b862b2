// How a component is written as an executable step semantics: a Microkit PD whose `notified(ch)`
// and `init()` are small state machines. Each step is one program-order group of shared-memory
// accesses that the C code performs between two points where another PD's accesses matter (one
// queue transfer, one request_signal store, one re-check load, one require+cancel+notify). The
// runtime (proofs/models or impl) owns the notification word, the deferred slot and scheduling.
import type { DeviceMem, SharedMem } from './mem.ts';

/** pc 0 is "not in a handler"; a step returning PC_DONE ends the current `notified`/`init`. */
export const PC_DONE = 0;

export interface PdContext {
  readonly mem: SharedMem;
  readonly dev: DeviceMem;
  /** PD-private words (C globals and the handler's live locals). */
  local(index: number): number;
  setLocal(index: number, value: number): void;
  /** `microkit_notify(ch)` (a syscall: the runtime treats it as a full fence). */
  notify(ch: number): void;
  deferredNotify(ch: number): void;
  deferredIrqAck(ch: number): void;
  /** True when the deferred slot holds a signal (lib_sddf_lwip `sddf_deferred_notify_curr`). */
  deferredPending(): boolean;
  /** A C `assert` that fails, or a monitor that sees a property broken: the run is a violation. */
  fail(property: string, message: string): void;
  /** Ghost words for monitors (not program state, never through a store buffer). */
  ghost(index: number): number;
  setGhost(index: number, value: number): void;
}

export interface ComponentProgram {
  readonly name: string;
  /** Step names indexed by pc (index 0 unused): `rx_return.process`, `rx_provide.request_signal`... */
  readonly steps: readonly string[];
  readonly localWords: number;
  /** pc of `init()`, or PC_DONE when the model starts after init. */
  readonly initPc: number;
  /** pc of `notified(ch)`. */
  entry(ch: number): number;
  /** Executes the step at `pc`; returns the next pc, PC_DONE when the entry point returns. */
  step(pc: number, ctx: PdContext): number;
}
