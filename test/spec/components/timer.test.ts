import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SDDF_TIMER_GET_TIME,
  SDDF_TIMER_SET_TIMEOUT,
  TIMEOUT_NONE,
  TIMER_REPLY_ERROR,
  TIMER_REPLY_OK,
  TimerError,
  U64_MAX,
  deadlineOf,
  deadlineUpstream,
  nsToTicks,
  nsToTicksF37,
  periodTransform,
  ticksToNs,
  ticksToNsF37,
  timeMonotonicProblem,
  timeoutEarlyProblem,
  timerInitial,
  timerIrq,
  timerProtected,
} from '../../../spec/components/timer.ts';

const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
/** Frequencies of timers sDDF drives: 1 kHz .. 4 GHz. */
const freq = fc.bigInt({ min: 1_000n, max: 4_000_000_000n });

describe('timer conversions (F37)', () => {
  it('period_transform is the exact floor whenever the result fits a u64', () => {
    fc.assert(
      fc.property(u64, freq, (ticks, hz) => {
        const exact = (ticks * 1_000_000_000n) / hz;
        if (exact <= U64_MAX) expect(ticksToNs(ticks, hz)).toBe(exact);
        const back = (ticks * hz) / 1_000_000_000n;
        if (back <= U64_MAX) expect(nsToTicks(ticks, hz)).toBe(back);
      }),
    );
  });

  it('the pre-73e715aa conversion wraps: time goes back at 62.5 MHz after ~295 s', () => {
    const hz = 62_500_000n;
    const before = (1n << 64n) / 1_000_000_000n; // the last tick whose product fits
    const a = ticksToNsF37(before, hz);
    const b = ticksToNsF37(before + 1n, hz);
    expect(timeMonotonicProblem(a, b)).toMatch(/went backwards/);
    expect(timeMonotonicProblem(ticksToNs(before, hz), ticksToNs(before + 1n, hz))).toBeNull();
    expect(nsToTicksF37(1n << 40n, 1n << 30n)).not.toBe(nsToTicks(1n << 40n, 1n << 30n));
  });

  it('rejects a frequency product that would overflow the remainder term', () => {
    expect(() => periodTransform(5n, U64_MAX, U64_MAX)).toThrow(/remainder product/);
  });
});

describe('timer driver contract', () => {
  const now = 1_000_000n;
  it('GET_TIME replies now and changes nothing', () => {
    const s = timerInitial();
    const r = timerProtected(s, { ch: 1, label: SDDF_TIMER_GET_TIME, words: [], nowNs: now });
    expect(r.reply).toEqual({ label: TIMER_REPLY_OK, words: [now] });
    expect(r.state).toBe(s);
  });

  it('SET_TIMEOUT keeps one deadline per channel; a new one replaces the old', () => {
    let s = timerInitial();
    s = timerProtected(s, {
      ch: 2,
      label: SDDF_TIMER_SET_TIMEOUT,
      words: [500n],
      nowNs: now,
    }).state;
    const r = timerProtected(s, {
      ch: 2,
      label: SDDF_TIMER_SET_TIMEOUT,
      words: [100n],
      nowNs: now,
    });
    expect(r.state.timeouts[2]).toBe(now + 100n);
    expect(r.effects.programmed).toBe(now + 100n);
    // At the old deadline's time nothing of channel 2 is left to fire twice.
    const at = timerIrq(r.state, now + 100n);
    expect(at.effects.notified).toEqual([2]);
    expect(timerIrq(at.state, now + 500n).effects.notified).toEqual([]);
  });

  it('a zero timeout fires within the call; deadlines fire in channel order, never early', () => {
    let s = timerInitial();
    const zero = timerProtected(s, {
      ch: 5,
      label: SDDF_TIMER_SET_TIMEOUT,
      words: [0n],
      nowNs: now,
    });
    expect(zero.effects.notified).toEqual([5]);
    s = timerProtected(s, { ch: 3, label: SDDF_TIMER_SET_TIMEOUT, words: [20n], nowNs: now }).state;
    s = timerProtected(s, { ch: 1, label: SDDF_TIMER_SET_TIMEOUT, words: [20n], nowNs: now }).state;
    expect(timerIrq(s, now + 19n).effects.notified).toEqual([]);
    expect(timerIrq(s, now + 20n).effects).toEqual({ notified: [1, 3], programmed: null });
  });

  it('refuses unknown labels, missing arguments, channels past 64 and deadlines past u64', () => {
    const s = timerInitial();
    const code = (r: ReturnType<typeof timerProtected>) => {
      expect(r.reply.label).toBe(TIMER_REPLY_ERROR);
      expect(r.state).toBe(s);
      return Number(r.reply.words[0]);
    };
    expect(code(timerProtected(s, { ch: 1, label: 7, words: [], nowNs: now }))).toBe(
      TimerError.UNKNOWN_LABEL,
    );
    expect(
      code(timerProtected(s, { ch: 1, label: SDDF_TIMER_SET_TIMEOUT, words: [], nowNs: now })),
    ).toBe(TimerError.MISSING_ARGUMENT);
    expect(
      code(timerProtected(s, { ch: 64, label: SDDF_TIMER_SET_TIMEOUT, words: [1n], nowNs: now })),
    ).toBe(TimerError.OUT_OF_RANGE);
    expect(
      code(
        timerProtected(s, {
          ch: 1,
          label: SDDF_TIMER_SET_TIMEOUT,
          words: [U64_MAX - now],
          nowNs: now,
        }),
      ),
    ).toBe(TimerError.OUT_OF_RANGE);
  });

  it('deadlines: ours refuses what upstream wraps into the past', () => {
    fc.assert(
      fc.property(u64, u64, (n, rel) => {
        const d = deadlineOf(n, rel);
        if (d === null) {
          expect(n + rel >= TIMEOUT_NONE).toBe(true);
          expect(deadlineUpstream(n, rel) < TIMEOUT_NONE).toBe(n + rel !== TIMEOUT_NONE);
        } else {
          expect(d).toBe(deadlineUpstream(n, rel));
          expect(d - n).toBe(rel);
        }
      }),
    );
  });

  it('the early-timeout predicate', () => {
    expect(timeoutEarlyProblem({ setAtNs: 10n, relativeNs: 5n, firedAtNs: 15n })).toBeNull();
    expect(timeoutEarlyProblem({ setAtNs: 10n, relativeNs: 5n, firedAtNs: 14n })).toMatch(/early/);
  });
});
