// Edges of the Microkit semantics functions that the main test leaves open (issue 12 part 7: the
// survivors of the spec/microkit mutation run): channel ids that are not integers or are negative,
// a badge with all 32 bits, a deferred call that repeats the one in the slot, a passive PD whose
// slot was empty, the priority range of a ppcall, and the scheduler's argument checks and its
// priority 0.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  DEFERRED_EMPTY,
  clearChannel,
  deferSignal,
  dispatchOrder,
  irqAssert,
  notifyWord,
  ppcallAllowed,
  schedulable,
  slotAfterPassiveInit,
} from '../../../spec/microkit/semantics.ts';

describe('Microkit semantics at the edges', () => {
  it('a channel id must be an integer in 0..31 for the u32 word', () => {
    for (const ch of [-1, 1.5, 32, Number.NaN]) {
      expect(() => notifyWord(0, ch)).toThrow(InvariantError);
      expect(() => clearChannel(0, ch)).toThrow(InvariantError);
      expect(() => irqAssert({ notif: 0, held: 0 }, ch)).toThrow(InvariantError);
    }
    expect(notifyWord(0, 0)).toBe(1);
    expect(notifyWord(0, 31)).toBe(0x8000_0000);
  });

  it('a badge with every channel bit set dispatches all 32 channels', () => {
    expect(dispatchOrder(0xffff_ffff)).toEqual(Array.from({ length: 32 }, (_, i) => i));
  });

  it('deferring the signal already in the slot loses nothing', () => {
    const first = deferSignal(DEFERRED_EMPTY, 'notify', 2);
    const again = deferSignal(first.slot, 'notify', 2);
    expect(again).toEqual({ slot: first.slot, overwritten: null });
    // The same channel as an IRQ ack is a different signal: the notify is lost.
    expect(deferSignal(first.slot, 'irq_ack', 2).overwritten).toEqual({ kind: 'notify', ch: 2 });
  });

  it('a passive PD whose slot was empty after init loses nothing', () => {
    expect(slotAfterPassiveInit(DEFERRED_EMPTY, true)).toEqual({
      slot: DEFERRED_EMPTY,
      lost: false,
    });
  });

  it('ppcall priorities are 0..254 at both ends', () => {
    expect(ppcallAllowed(0, 254)).toBe(true);
    expect(ppcallAllowed(254, 0)).toBe(false);
    for (const bad of [-1, 255]) {
      expect(() => ppcallAllowed(bad, 100)).toThrow(/priority 0\.\.254/);
      expect(() => ppcallAllowed(100, bad)).toThrow(/priority 0\.\.254/);
    }
  });

  it('schedulable checks one priority and one core per PD, and returns a fresh array', () => {
    expect(() => schedulable([true, true], [1], 'priority')).toThrow(/one priority per PD/);
    expect(() => schedulable([true, true], [1, 1], 'cores', [0])).toThrow(/one core per PD/);
    const runnable = [true, false];
    const out = schedulable(runnable, [1, 2], 'any');
    expect(out).toEqual(runnable);
    expect(out).not.toBe(runnable);
  });

  it('priority 0 is a priority: a lone runnable PD at 0 runs', () => {
    expect(schedulable([true, false], [0, 5], 'priority')).toEqual([true, false]);
    expect(schedulable([true, true], [0, 0], 'cores', [0, 1])).toEqual([true, true]);
  });

  it('single-core priority scheduling ignores a core placement', () => {
    expect(schedulable([true, true], [1, 2], 'priority', [0, 1])).toEqual([false, true]);
  });
});
