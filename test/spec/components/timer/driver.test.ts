// The timer driver's contract (spec/components/timer.ts; reference sddf-protocols.md §2.6, §3.13;
// drivers/timer/goldfish/timer.c and arm/timer.c at au-ts/sddf 650ace5d): each entry on a hand-set
// deadline table, with the just-inside/just-outside cases of every comparison, the error replies
// (ours, ADR 024) and the F37 conversions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ONE_GHZ,
  SDDF_TIMER_GET_TIME,
  SDDF_TIMER_MAX_CLIENTS,
  SDDF_TIMER_SET_TIMEOUT,
  TIMEOUT_NONE,
  TIMER_REPLY_ERROR,
  TIMER_REPLY_OK,
  TimerError,
  U64_MAX,
  conversions,
  deadlineOf,
  deadlineUpstream,
  nsToTicks,
  nsToTicksF37,
  periodTransform,
  processTimeouts,
  ticksToNs,
  ticksToNsF37,
  timeMonotonicProblem,
  timeoutEarlyProblem,
  timerInitial,
  timerIrq,
  timerProtected,
  type TimerDriverState,
} from '../../../../spec/components/timer.ts';

/** A table with the given deadlines (channel → absolute ns), the rest none. */
function table(d: Record<number, bigint>): TimerDriverState {
  const timeouts = new Array<bigint>(SDDF_TIMER_MAX_CLIENTS).fill(TIMEOUT_NONE);
  for (const [ch, t] of Object.entries(d)) timeouts[Number(ch)] = t;
  return { timeouts };
}
const set = (s: TimerDriverState, ch: number, rel: bigint, nowNs: bigint) =>
  timerProtected(s, { ch, label: SDDF_TIMER_SET_TIMEOUT, words: [rel], nowNs });

describe('protocol constants (include/sddf/timer/protocol.h, config.h)', () => {
  it('labels, table size, sentinel, reply labels and error codes', () => {
    expect([SDDF_TIMER_GET_TIME, SDDF_TIMER_SET_TIMEOUT]).toEqual([0, 1]);
    expect(SDDF_TIMER_MAX_CLIENTS).toBe(64);
    expect(TIMEOUT_NONE).toBe(18446744073709551615n);
    expect(U64_MAX).toBe(TIMEOUT_NONE);
    expect(ONE_GHZ).toBe(1_000_000_000n);
    expect([TIMER_REPLY_OK, TIMER_REPLY_ERROR]).toEqual([0, 1]);
    expect(TimerError).toEqual({ UNKNOWN_LABEL: 1, OUT_OF_RANGE: 2, MISSING_ARGUMENT: 3 });
  });
  it('the initial table: 64 channels, no deadline', () => {
    const s = timerInitial();
    expect(s.timeouts).toHaveLength(64);
    expect(s.timeouts.every((t) => t === TIMEOUT_NONE)).toBe(true);
  });
});

describe('process_timeouts', () => {
  it('fires what is due (deadline == now included), clears it, programs the earliest left', () => {
    const s = table({ 0: 100n, 5: 101n, 9: 99n, 63: 150n, 7: 120n });
    const r = processTimeouts(s, 100n);
    expect(r.effects).toEqual({ notified: [0, 9], programmed: 101n });
    expect(r.state).toEqual(table({ 5: 101n, 63: 150n, 7: 120n }));
    expect(s).toEqual(table({ 0: 100n, 5: 101n, 9: 99n, 63: 150n, 7: 120n })); // a value
  });
  it('the last channel fires too; nothing left programs nothing', () => {
    const r = processTimeouts(table({ 63: 5n }), 5n);
    expect(r.effects).toEqual({ notified: [63], programmed: null });
  });
  it('a deadline one past UINT64_MAX - 1 is still a deadline (programmed)', () => {
    const r = processTimeouts(table({ 3: U64_MAX - 1n }), 0n);
    expect(r.effects).toEqual({ notified: [], programmed: U64_MAX - 1n });
  });
  it('now must be a u64', () => {
    expect(() => processTimeouts(timerInitial(), -1n)).toThrow(/now is a u64, saw -1/);
    expect(() => processTimeouts(timerInitial(), U64_MAX + 1n)).toThrow(/now is a u64/);
    expect(processTimeouts(timerInitial(), U64_MAX).effects.programmed).toBeNull();
  });
  it('property: after it, every deadline left is in the future and the earliest is programmed', () => {
    const dl = fc.bigInt({ min: 0n, max: 1000n });
    fc.assert(
      fc.property(fc.dictionary(fc.integer({ min: 0, max: 63 }).map(String), dl), dl, (d, now) => {
        const s = table(Object.fromEntries(Object.entries(d).map(([k, v]) => [Number(k), v])));
        const r = processTimeouts(s, now);
        const due = s.timeouts.flatMap((t, i) => (t <= now ? [i] : []));
        expect(r.effects.notified).toEqual(due);
        const left = r.state.timeouts.filter((t) => t !== TIMEOUT_NONE);
        expect(left.every((t) => t > now)).toBe(true);
        const min = left.reduce<bigint | null>((m, t) => (m === null || t < m ? t : m), null);
        expect(r.effects.programmed).toBe(min);
      }),
    );
  });
  it('the IRQ path is process_timeouts', () => {
    const s = table({ 1: 10n, 2: 30n });
    expect(timerIrq(s, 20n)).toEqual(processTimeouts(s, 20n));
  });
});

describe('protected: GET_TIME and SET_TIMEOUT', () => {
  const now = 1_000n;
  it('GET_TIME replies now, changes and programs nothing, whatever the words', () => {
    const s = table({ 1: 10n }); // a past deadline is not processed by GET_TIME
    const r = timerProtected(s, { ch: 70, label: SDDF_TIMER_GET_TIME, words: [5n], nowNs: now });
    expect(r).toEqual({
      state: s,
      reply: { label: TIMER_REPLY_OK, words: [now] },
      effects: { notified: [], programmed: null },
    });
    expect(r.state).toBe(s);
  });
  it('SET_TIMEOUT replies OK with no words, sets now + rel, processes the table', () => {
    const s = table({ 4: 900n, 6: 2000n });
    const r = set(s, 2, 50n, now);
    expect(r.reply).toEqual({ label: TIMER_REPLY_OK, words: [] });
    expect(r.state).toEqual(table({ 2: 1050n, 6: 2000n }));
    expect(r.effects).toEqual({ notified: [4], programmed: 1050n });
  });
  it('channels 0 and 63 are in range; 64, -1 and 1.5 are not', () => {
    expect(set(timerInitial(), 0, 1n, now).state.timeouts[0]).toBe(now + 1n);
    expect(set(timerInitial(), 63, 1n, now).state.timeouts[63]).toBe(now + 1n);
    for (const ch of [64, -1, 1.5]) {
      const s = timerInitial();
      const r = set(s, ch, 1n, now);
      expect(r).toEqual({
        state: s,
        reply: { label: TIMER_REPLY_ERROR, words: [BigInt(TimerError.OUT_OF_RANGE)] },
        effects: { notified: [], programmed: null },
      });
      expect(r.state).toBe(s);
    }
  });
  it('a deadline of UINT64_MAX - 1 is set; UINT64_MAX (the sentinel) is refused', () => {
    expect(set(timerInitial(), 1, U64_MAX - 1n - now, now).effects.programmed).toBe(U64_MAX - 1n);
    expect(set(timerInitial(), 1, U64_MAX - now, now).reply).toEqual({
      label: TIMER_REPLY_ERROR,
      words: [2n],
    });
  });
  it('SET_TIMEOUT without MR0 and an unknown label are refused, state untouched', () => {
    const s = table({ 1: 10n });
    const miss = timerProtected(s, { ch: 1, label: SDDF_TIMER_SET_TIMEOUT, words: [], nowNs: now });
    expect(miss.reply).toEqual({ label: TIMER_REPLY_ERROR, words: [3n] });
    expect(miss.state).toBe(s);
    expect(miss.effects).toEqual({ notified: [], programmed: null });
    const unk = timerProtected(s, { ch: 1, label: 2, words: [1n], nowNs: now });
    expect(unk.reply).toEqual({ label: TIMER_REPLY_ERROR, words: [1n] });
    expect(unk.state).toBe(s);
  });
  it('now must be a u64 for every label', () => {
    expect(() =>
      timerProtected(timerInitial(), { ch: 1, label: SDDF_TIMER_GET_TIME, words: [], nowNs: -1n }),
    ).toThrow(/now is a u64, saw -1/);
    expect(() =>
      timerProtected(timerInitial(), { ch: 1, label: 9, words: [], nowNs: U64_MAX + 1n }),
    ).toThrow(/now is a u64/);
  });
});

describe('deadlines', () => {
  it('ours: now + rel below UINT64_MAX, else null; a relative timeout that is no u64 is null', () => {
    expect(deadlineOf(10n, 5n)).toBe(15n);
    expect(deadlineOf(0n, U64_MAX - 1n)).toBe(U64_MAX - 1n);
    expect(deadlineOf(0n, U64_MAX)).toBeNull();
    expect(deadlineOf(1n, U64_MAX - 1n)).toBeNull();
    expect(deadlineOf(5n, -1n)).toBeNull();
    expect(deadlineOf(0n, U64_MAX + 1n)).toBeNull();
  });
  it("upstream's wraps modulo 2^64", () => {
    expect(deadlineUpstream(10n, U64_MAX)).toBe(9n);
    expect(deadlineUpstream(10n, 5n)).toBe(15n);
  });
});

describe('conversions (period_transform; F37 before 73e715aa)', () => {
  it('period_transform: split remainder, exact on small values', () => {
    expect(periodTransform(3n, 1_000_000_000n, 62_500_000n)).toBe(48n);
    expect(periodTransform(62_500_001n, 1_000_000_000n, 62_500_000n)).toBe(1_000_000_016n);
    expect(ticksToNs(62_500_000n, 62_500_000n)).toBe(ONE_GHZ);
    expect(nsToTicks(ONE_GHZ, 62_500_000n)).toBe(62_500_000n);
    expect(nsToTicks(15n, 62_500_000n)).toBe(0n);
    expect(nsToTicks(16n, 62_500_000n)).toBe(1n);
  });
  it('the whole part wraps modulo 2^64 (a period whose result does not fit)', () => {
    // period / input = 2^64 - 1 wholes, times target 2: wraps to 2^64 - 2.
    expect(periodTransform(U64_MAX, 2n, 1n)).toBe(U64_MAX - 1n);
    // The whole part wraps, then the remainder term (1 * 3 / 2 = 1) is added.
    expect(periodTransform(U64_MAX, 3n, 2n)).toBe(((U64_MAX / 2n) * 3n + 1n) & U64_MAX);
  });
  it('preconditions: u64 period and target, input > 0, the remainder product fits', () => {
    expect(() => periodTransform(-1n, 1n, 1n)).toThrow(/u64 period/);
    expect(() => periodTransform(U64_MAX + 1n, 1n, 1n)).toThrow(/u64 period/);
    expect(() => periodTransform(1n, 1n, 0n)).toThrow(/input > 0/);
    expect(() => periodTransform(1n, -1n, 1n)).toThrow(/u64 period/);
    expect(() => periodTransform(1n, U64_MAX + 1n, 1n)).toThrow(/u64 period/);
    // (input - 1) * target == U64_MAX is just inside.
    expect(periodTransform(0n, U64_MAX, 2n)).toBe(0n);
    expect(() => periodTransform(0n, U64_MAX, 3n)).toThrow(/remainder product fits/);
    expect(periodTransform(0n, 1n, 1n)).toBe(0n);
  });
  it('F37: the product wraps before the division', () => {
    const hz = 62_500_000n;
    const t = U64_MAX / ONE_GHZ + 1n;
    expect(ticksToNsF37(t, hz)).toBe(((t * ONE_GHZ) & U64_MAX) / hz);
    expect(ticksToNsF37(t, hz)).toBeLessThan(ticksToNs(t, hz));
    expect(ticksToNsF37(1000n, hz)).toBe(16_000n);
    expect(nsToTicksF37(16_000n, hz)).toBe(1000n);
    const ns = U64_MAX / hz + 1n;
    expect(nsToTicksF37(ns, hz)).toBe(((ns * hz) & U64_MAX) / ONE_GHZ);
    expect(nsToTicksF37(ns, hz)).not.toBe(nsToTicks(ns, hz));
  });
  it('conversions(kind) picks the pair', () => {
    expect(conversions('fixed')).toEqual({ ticksToNs, nsToTicks });
    expect(conversions('F37')).toEqual({ ticksToNs: ticksToNsF37, nsToTicks: nsToTicksF37 });
  });
});

describe('client-side properties', () => {
  it('time may stand still, never go back', () => {
    expect(timeMonotonicProblem(5n, 5n)).toBeNull();
    expect(timeMonotonicProblem(5n, 6n)).toBeNull();
    expect(timeMonotonicProblem(5n, 4n)).toBe('time went backwards: GET_TIME returned 4 after 5');
  });
  it('a timeout fires exactly at or after its deadline, never one ns before', () => {
    expect(timeoutEarlyProblem({ setAtNs: 10n, relativeNs: 5n, firedAtNs: 15n })).toBeNull();
    expect(timeoutEarlyProblem({ setAtNs: 10n, relativeNs: 5n, firedAtNs: 99n })).toBeNull();
    expect(timeoutEarlyProblem({ setAtNs: 10n, relativeNs: 5n, firedAtNs: 14n })).toBe(
      'timeout of 5 ns set at 10 fired early at 14 (after 4 ns)',
    );
  });
});
