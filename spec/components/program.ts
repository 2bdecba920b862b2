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
  /** `microkit_irq_ack(ch)`: an immediate syscall (drivers call it at the end of `init`). */
  irqAck(ch: number): void;
  /**
   * `sddf_deferred_notify_curr()` (include/microkit/os/sddf.h at au-ts/sddf 650ace5d): the channel
   * the deferred slot will notify, or -1 when the slot is empty. (A deferred IRQ ack in the slot
   * reads as its channel too, as the C's `signal_cap - BASE_OUTPUT_NOTIFICATION_CAP` would not;
   * no component that asks ever defers an IRQ ack.)
   */
  deferredNotifyCurr(): number;
  /**
   * A property broken. `no-assert-failure` is a C `assert` that fails: in a debug build the PD
   * crashes (the run is a violation); in a release build (NDEBUG, asserts compiled out) the
   * runtime ignores it and the step goes on exactly as the C after the assert would, so the
   * component must be written that way. Every other property is a monitor: always a violation.
   */
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
  /**
   * pc of `init()`, or PC_DONE when the model starts after init. When `init` returns (a step
   * returns PC_DONE from it), the runtime does what Microkit's `main()` does next: a passive PD's
   * deferred slot is overwritten by its signal to the monitor, and the handler loop acks every IRQ
   * of the PD before its first `seL4_Recv` (seL4/microkit cfd52163 libmicrokit/src/main.c).
   */
  readonly initPc: number;
  /** pc of `notified(ch)`. */
  entry(ch: number): number;
  /** Executes the step at `pc`; returns the next pc, PC_DONE when the entry point returns. */
  step(pc: number, ctx: PdContext): number;
}
