// Microkit execution semantics (reference sddf-protocols.md §1) as pure functions over one PD's
// runtime words. The model checker keeps these words in its state vector; the implementation's
// runtime can hold them in objects.
//
// Channel ids are Microkit's, 0..61 (spec/signal/notification.ts: MICROKIT_MAX_CHANNELS is 62;
// badge bit 62 marks a fault, bit 63 a PPC); the deferred slot holds any of them. The notification
// word of the functions below is the models' compact form: a u32 of the channel bits 0..31,
// enough for every modelled PD (the runtime rejects a model with a larger id). Over ids 0..31 it
// agrees with the full 62-channel word of notification.ts (test/spec/microkit/semantics.test.ts).
import { assert } from '../common/assert.ts';
import { u32 } from '../common/int.ts';
import { MICROKIT_MAX_CHANNEL_ID, isChannelId } from '../signal/notification.ts';

/** Largest channel id representable in the models' u32 notification word. */
export const MAX_CHANNEL = 31;
/** Largest Microkit channel id (MICROKIT_MAX_CHANNELS − 1). */
export const MAX_CHANNEL_ID = MICROKIT_MAX_CHANNEL_ID;

/** `pc` value of a PD that is not inside a handler (blocked in seL4_Recv, or about to be). */
export const PC_IDLE = 0;

/** The deferred slot (§1.3): empty, or one pending signal. Encoded as one u32 word. */
export type DeferredKind = 'notify' | 'irq_ack';
export const DEFERRED_EMPTY = 0;

/** A channel id the u32 notification word can hold (0..31). */
function checkChannel(ch: number): void {
  if (!(Number.isInteger(ch) && ch >= 0 && ch <= MAX_CHANNEL))
    assert(false, `channel id 0..31 in a u32 notification word, got ${ch}`);
}

/** Any Microkit channel id (0..61): what the deferred slot may hold. */
function checkChannelId(ch: number): void {
  if (!isChannelId(ch)) assert(false, `channel id 0..${MAX_CHANNEL_ID}, got ${ch}`);
}

/** §1.2: `microkit_notify(ch)` ORs one bit; N notifies before the receiver runs coalesce. */
export function notifyWord(word: number, ch: number): number {
  checkChannel(ch);
  return u32(word | (1 << ch));
}

/**
 * §1.1: on wake the notification word is consumed whole (seL4_Recv returns the badge and clears
 * it); `notified(i)` is then called once per set bit in ascending order.
 */
export function dispatchOrder(badge: number): number[] {
  const order: number[] = [];
  for (let ch = 0; ch <= MAX_CHANNEL; ch++) {
    if ((badge >>> ch) & 1) order.push(ch);
  }
  assert(order.length <= MAX_CHANNEL + 1, 'at most 32 channels per badge');
  return order;
}

/** Lowest set bit of a badge (the next `notified` call), or -1 when none is left. */
export function nextChannel(badge: number): number {
  if (badge === 0) return -1;
  const low = u32(badge & -badge);
  return 31 - Math.clz32(low);
}

/** Clears channel `ch` from a badge once its `notified(ch)` has been called. */
export function clearChannel(badge: number, ch: number): number {
  checkChannel(ch);
  return u32(badge & ~(1 << ch));
}

export function encodeDeferred(kind: DeferredKind, ch: number): number {
  checkChannelId(ch);
  // +1 keeps 0 free for "empty"; bit 8 is the kind.
  return ((kind === 'irq_ack' ? 0x100 : 0) | ch) + 1;
}

export function decodeDeferred(slot: number): { kind: DeferredKind; ch: number } | null {
  if (slot === DEFERRED_EMPTY) return null;
  const v = slot - 1;
  const ch = v & 0xff;
  checkChannelId(ch);
  return { kind: (v & 0x100) !== 0 ? 'irq_ack' : 'notify', ch };
}

/**
 * §1.3: `microkit_deferred_notify` / `microkit_deferred_irq_ack` only record the signal; a second
 * deferred call before the handler loop flushes the slot OVERWRITES the first (a lost signal).
 * Returns the new slot and, when something was overwritten, what was lost.
 */
export function deferSignal(
  slot: number,
  kind: DeferredKind,
  ch: number,
): { slot: number; overwritten: { kind: DeferredKind; ch: number } | null } {
  const next = encodeDeferred(kind, ch);
  const old = decodeDeferred(slot);
  const overwritten = old !== null && slot !== next ? old : null;
  return { slot: next, overwritten };
}

/**
 * §1.3: a passive PD's `main()` overwrites the slot after `init()` with its "I'm passive" signal
 * to the monitor, so a deferred call made in a passive PD's `init` is lost.
 */
export function slotAfterPassiveInit(
  slot: number,
  passive: boolean,
): { slot: number; lost: boolean } {
  if (!passive) return { slot, lost: false };
  return { slot: DEFERRED_EMPTY, lost: slot !== DEFERRED_EMPTY };
}

/**
 * §1.4: an IRQ arrives as a notification bit on its channel; no further delivery until it is
 * acked. `held` is the bitmask of IRQ channels delivered and not yet acked.
 */
export interface IrqWords {
  readonly notif: number;
  readonly held: number;
}

/** The device asserts the line of IRQ channel `ch`: delivered only if not already held. */
export function irqAssert(w: IrqWords, ch: number): IrqWords {
  checkChannel(ch);
  const bit = 1 << ch;
  if ((w.held & bit) !== 0) return w; // held until ack: no redelivery
  return { notif: notifyWord(w.notif, ch), held: u32(w.held | bit) };
}

/**
 * `microkit_irq_ack(ch)`: releases the IRQ; a still-asserted level IRQ re-fires at once (§1.4).
 */
export function irqAck(w: IrqWords, ch: number, stillAsserted: boolean): IrqWords {
  checkChannel(ch);
  const released: IrqWords = { notif: w.notif, held: u32(w.held & ~(1 << ch)) };
  return stillAsserted ? irqAssert(released, ch) : released;
}

/** §1.5: `microkit_ppcall` is only allowed to a callee of strictly higher priority. */
export function ppcallAllowed(callerPriority: number, calleePriority: number): boolean {
  assert(callerPriority >= 0 && callerPriority <= 254, 'priority 0..254');
  assert(calleePriority >= 0 && calleePriority <= 254, 'priority 0..254');
  return calleePriority > callerPriority;
}

export type Scheduling = 'priority' | 'any' | 'cores';

/**
 * §1.6: which PDs may take the next step. `priority`: single-core fixed-priority preemptive
 * scheduling: only the runnable PDs of the highest priority (round robin among equals, modelled as
 * "any of them"); a notify to a higher-priority PD therefore preempts at once. `any`: every
 * runnable PD (multicore, location transparent). `cores`: each PD on its core (`cores[i]`), each
 * core scheduling by priority as above, the cores in parallel (Microkit's per-core scheduler with
 * a placement such as examples/echo_server/core_config/two_core.json).
 */
export function schedulable(
  runnable: readonly boolean[],
  priorities: readonly number[],
  mode: Scheduling,
  cores?: readonly number[],
): boolean[] {
  assert(runnable.length === priorities.length, 'one priority per PD');
  if (mode === 'any') return runnable.slice();
  if (mode === 'cores')
    assert(cores !== undefined && cores.length === runnable.length, 'one core per PD');
  const coreOf = (i: number) => (mode === 'cores' ? (cores?.[i] ?? 0) : 0);
  // Highest runnable priority per core (cores are small integers; a plain array, no allocation
  // per core: the model checker calls this for every state).
  const best: number[] = [];
  for (let i = 0; i < runnable.length; i++) {
    if (runnable[i] !== true) continue;
    const core = coreOf(i);
    best[core] = Math.max(best[core] ?? -1, priorities[i] ?? -1);
  }
  return runnable.map((r, i) => r && priorities[i] === best[coreOf(i)]);
}

/** A PD is runnable while it is inside a handler, has a deferred signal, or has bits pending. */
export function isRunnable(w: { pc: number; deferred: number; notif: number }): boolean {
  return w.pc !== PC_IDLE || w.deferred !== DEFERRED_EMPTY || w.notif !== 0;
}
