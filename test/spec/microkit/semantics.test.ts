import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { notify, takeNotified } from '../../../spec/signal/notification.ts';
import {
  DEFERRED_EMPTY,
  MAX_CHANNEL_ID,
  encodeDeferred,
  clearChannel,
  decodeDeferred,
  deferSignal,
  dispatchOrder,
  irqAck,
  irqAssert,
  isRunnable,
  nextChannel,
  notifyWord,
  ppcallAllowed,
  schedulable,
  slotAfterPassiveInit,
} from '../../../spec/microkit/semantics.ts';

describe('Microkit semantics (sddf-protocols.md §1)', () => {
  it('coalesces N notifies on one channel into one bit (§1.2)', () => {
    let w = 0;
    for (let i = 0; i < 5; i++) w = notifyWord(w, 3);
    expect(w).toBe(1 << 3);
    expect(dispatchOrder(w)).toEqual([3]);
  });

  it('dispatches notified() once per set bit, in ascending channel order (§1.1)', () => {
    const badge = notifyWord(notifyWord(notifyWord(0, 7), 1), 31);
    expect(dispatchOrder(badge)).toEqual([1, 7, 31]);
    expect(nextChannel(badge)).toBe(1);
    expect(nextChannel(clearChannel(badge, 1))).toBe(7);
    expect(nextChannel(0)).toBe(-1);
  });

  it('a second deferred call overwrites the first (single deferred slot, §1.3)', () => {
    const first = deferSignal(DEFERRED_EMPTY, 'notify', 2);
    expect(first.overwritten).toBeNull();
    const second = deferSignal(first.slot, 'notify', 5);
    expect(second.overwritten).toEqual({ kind: 'notify', ch: 2 });
    expect(decodeDeferred(second.slot)).toEqual({ kind: 'notify', ch: 5 });
    const ack = deferSignal(second.slot, 'irq_ack', 0);
    expect(ack.overwritten).toEqual({ kind: 'notify', ch: 5 });
    expect(decodeDeferred(ack.slot)).toEqual({ kind: 'irq_ack', ch: 0 });
  });

  it("a passive PD's main() overwrites a deferred call made in init (§1.3)", () => {
    const slot = deferSignal(DEFERRED_EMPTY, 'notify', 4).slot;
    expect(slotAfterPassiveInit(slot, true)).toEqual({ slot: DEFERRED_EMPTY, lost: true });
    expect(slotAfterPassiveInit(slot, false)).toEqual({ slot, lost: false });
  });

  it('holds an IRQ until it is acked; a still-asserted level IRQ re-fires on ack (§1.4)', () => {
    const delivered = irqAssert({ notif: 0, held: 0 }, 0);
    expect(delivered).toEqual({ notif: 1, held: 1 });
    // The PD takes the badge (notif cleared) but has not acked: a new assertion is held back.
    const again = irqAssert({ notif: 0, held: delivered.held }, 0);
    expect(again.notif).toBe(0);
    expect(irqAck({ notif: 0, held: 1 }, 0, false)).toEqual({ notif: 0, held: 0 });
    expect(irqAck({ notif: 0, held: 1 }, 0, true)).toEqual({ notif: 1, held: 1 });
  });

  it('allows ppcall only to a strictly higher priority (§1.5)', () => {
    expect(ppcallAllowed(100, 101)).toBe(true);
    expect(ppcallAllowed(100, 100)).toBe(false);
    expect(ppcallAllowed(200, 100)).toBe(false);
  });

  it('single-core priority scheduling runs only the highest runnable priority (§1.6)', () => {
    const runnable = [true, true, false, true];
    const prios = [1, 3, 4, 3];
    expect(schedulable(runnable, prios, 'priority')).toEqual([false, true, false, true]);
    expect(schedulable(runnable, prios, 'any')).toEqual(runnable);
  });

  it('a PD is runnable inside a handler, with a deferred signal, or with pending bits', () => {
    expect(isRunnable({ pc: 0, deferred: 0, notif: 0 })).toBe(false);
    expect(isRunnable({ pc: 3, deferred: 0, notif: 0 })).toBe(true);
    expect(isRunnable({ pc: 0, deferred: 1, notif: 0 })).toBe(true);
    expect(isRunnable({ pc: 0, deferred: 0, notif: 4 })).toBe(true);
  });

  it('rejects channel ids outside the notification word', () => {
    expect(() => notifyWord(0, 32)).toThrow(/channel/);
  });
});

describe('Microkit channel ids and the models’ compact word (issue 12)', () => {
  it('the deferred slot holds any Microkit channel id 0..61, not 62 (the fault bit)', () => {
    expect(MAX_CHANNEL_ID).toBe(61);
    expect(decodeDeferred(encodeDeferred('notify', 61))).toEqual({ kind: 'notify', ch: 61 });
    expect(() => encodeDeferred('notify', 62)).toThrow(/0\.\.61/);
    expect(() => encodeDeferred('irq_ack', -1)).toThrow(/0\.\.61/);
  });

  it('the u32 notification word agrees with the full 62-channel word on ids 0..31', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 31 }), { maxLength: 40 }), (chs) => {
        const word = chs.reduce((w, ch) => notifyWord(w, ch), 0);
        const full = chs.reduce((w, ch) => notify(w, ch), 0n);
        expect(BigInt(word)).toBe(full);
        expect(dispatchOrder(word)).toEqual(takeNotified(full).channels);
      }),
    );
  });

  it('per-core priority scheduling: the best runnable PD of each core (two_core.json placement)', () => {
    // driver 101 and virt_tx 100 on core 1, virt_rx 99 and client 97 on core 0.
    const prios = [101, 100, 99, 97];
    const cores = [1, 1, 0, 0];
    expect(schedulable([true, true, true, true], prios, 'cores', cores)).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(schedulable([false, true, false, true], prios, 'cores', cores)).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect(() => schedulable([true], [1], 'cores')).toThrow(/one core per PD/);
  });
});
