// The sDDF timer protocol and the passive timer driver's contract, once (reference
// sddf-protocols.md §2.6, §3.13; upstream au-ts/sddf 650ace5d include/sddf/timer/protocol.h,
// client.h, config.h, timer_common.h, drivers/timer/goldfish/timer.c, drivers/timer/arm/timer.c).
//
// A client reaches the passive driver by PPC only (no shared memory): label GET_TIME replies MR0 =
// now in ns; label SET_TIMEOUT with MR0 = a *relative* timeout in ns sets the one deadline of the
// calling channel (a new one replaces the old) and replies nothing. On the timer IRQ, and after every
// SET_TIMEOUT, `process_timeouts(now)` notifies every channel whose deadline is due, clears it
// (UINT64_MAX), and programs the hardware for the earliest remaining deadline.
//
// Where this spec differs from the upstream code (docs/adr/024-timer-and-i2c.md):
//  - upstream replies label 0 with no words to an unknown label (it only logs); here the reply is
//    label TIMER_REPLY_ERROR with MR0 = a TimerError code, so a client can tell;
//  - upstream computes `curr_time + offset` in u64 and lets it wrap: a huge relative timeout wraps to
//    a deadline in the past and fires at once (early). Here a deadline that does not fit below
//    UINT64_MAX (the "none" sentinel) is refused with TimerError.OUT_OF_RANGE and nothing changes;
//  - a channel id ≥ SDDF_TIMER_MAX_CLIENTS cannot occur upstream (Microkit ids are < 62 < 64); here
//    it is refused as OUT_OF_RANGE rather than assumed.
// Time is a pure input: the caller passes `nowNs` (STYLE.md: no clocks in spec/).
import { assert } from '../common/assert.ts';

/** `SDDF_TIMER_GET_TIME` (include/sddf/timer/protocol.h). */
export const SDDF_TIMER_GET_TIME = 0;
/** `SDDF_TIMER_SET_TIMEOUT`. */
export const SDDF_TIMER_SET_TIMEOUT = 1;
/** `SDDF_TIMER_MAX_CLIENTS` (include/sddf/timer/config.h): the size of `timeouts[]`. */
export const SDDF_TIMER_MAX_CLIENTS = 64;
/** A cleared deadline: `UINT64_MAX`, as the drivers write it. */
export const TIMEOUT_NONE = (1n << 64n) - 1n;
export const U64_MAX = TIMEOUT_NONE;
/** The nanoseconds of one second at 1 GHz (`ONE_GHZ`, timer_common.h). */
export const ONE_GHZ = 1_000_000_000n;

/** Reply labels: 0 is what upstream always returns; TIMER_REPLY_ERROR is ours (see above). */
export const TIMER_REPLY_OK = 0;
export const TIMER_REPLY_ERROR = 1;

/** MR0 of an error reply. */
export const TimerError = {
  UNKNOWN_LABEL: 1,
  /** The deadline now + relative does not fit a u64 below UINT64_MAX, or the channel ≥ 64. */
  OUT_OF_RANGE: 2,
  /** SET_TIMEOUT without MR0. */
  MISSING_ARGUMENT: 3,
} as const;
export type TimerError = (typeof TimerError)[keyof typeof TimerError];

/** The driver's private state: `uint64_t timeouts[MAX_TIMEOUTS]`, one absolute deadline per channel. */
export interface TimerDriverState {
  readonly timeouts: readonly bigint[];
}

export function timerInitial(): TimerDriverState {
  return { timeouts: new Array<bigint>(SDDF_TIMER_MAX_CLIENTS).fill(TIMEOUT_NONE) };
}

/** What one driver entry does besides its reply: the channels it notifies and what it programs. */
export interface TimerEffects {
  /** Channels notified, ascending (the C loops i = 0..63). */
  readonly notified: readonly number[];
  /** The deadline programmed into the hardware (`set_timeout`), or null when none is left. */
  readonly programmed: bigint | null;
}

export interface TimerStep {
  readonly state: TimerDriverState;
  readonly reply: { readonly label: number; readonly words: readonly bigint[] };
  readonly effects: TimerEffects;
}

function isU64(x: bigint): boolean {
  return x >= 0n && x <= U64_MAX;
}

/** `process_timeouts(curr_time)` (goldfish/timer.c, arm/timer.c at 650ace5d). */
export function processTimeouts(
  s: TimerDriverState,
  nowNs: bigint,
): { state: TimerDriverState; effects: TimerEffects } {
  assert(isU64(nowNs), () => `now is a u64, saw ${nowNs}`);
  const timeouts = [...s.timeouts];
  const notified: number[] = [];
  for (let i = 0; i < timeouts.length; i++) {
    if (timeouts[i]! <= nowNs) {
      notified.push(i);
      timeouts[i] = TIMEOUT_NONE;
    }
  }
  let next = TIMEOUT_NONE;
  for (const t of timeouts) if (t < next) next = t;
  // Postcondition: everything left is strictly in the future.
  assert(next === TIMEOUT_NONE || next > nowNs, 'process_timeouts leaves only future deadlines');
  return {
    state: { timeouts },
    effects: { notified, programmed: next === TIMEOUT_NONE ? null : next },
  };
}

const NO_EFFECTS: TimerEffects = { notified: [], programmed: null };

function errorStep(s: TimerDriverState, code: TimerError): TimerStep {
  return {
    state: s,
    reply: { label: TIMER_REPLY_ERROR, words: [BigInt(code)] },
    effects: NO_EFFECTS,
  };
}

/**
 * `protected(ch, msginfo)`. `nowNs` is what the driver reads from the hardware on entry (both
 * labels read it once). An error leaves the state unchanged and programs nothing.
 */
export function timerProtected(
  s: TimerDriverState,
  call: {
    readonly ch: number;
    readonly label: number;
    readonly words: readonly bigint[];
    readonly nowNs: bigint;
  },
): TimerStep {
  assert(isU64(call.nowNs), () => `now is a u64, saw ${call.nowNs}`);
  switch (call.label) {
    case SDDF_TIMER_GET_TIME:
      return {
        state: s,
        reply: { label: TIMER_REPLY_OK, words: [call.nowNs] },
        effects: NO_EFFECTS,
      };
    case SDDF_TIMER_SET_TIMEOUT: {
      const rel = call.words[0];
      if (rel === undefined) return errorStep(s, TimerError.MISSING_ARGUMENT);
      if (!Number.isInteger(call.ch) || call.ch < 0 || call.ch >= SDDF_TIMER_MAX_CLIENTS)
        return errorStep(s, TimerError.OUT_OF_RANGE);
      const deadline = deadlineOf(call.nowNs, rel);
      if (deadline === null) return errorStep(s, TimerError.OUT_OF_RANGE);
      const timeouts = [...s.timeouts];
      timeouts[call.ch] = deadline;
      const p = processTimeouts({ timeouts }, call.nowNs);
      return { state: p.state, reply: { label: TIMER_REPLY_OK, words: [] }, effects: p.effects };
    }
    default:
      return errorStep(s, TimerError.UNKNOWN_LABEL);
  }
}

/** `notified(irq)`: the IRQ path, `process_timeouts(now)` (the ack and the disarm are the driver's). */
export function timerIrq(
  s: TimerDriverState,
  nowNs: bigint,
): { state: TimerDriverState; effects: TimerEffects } {
  return processTimeouts(s, nowNs);
}

/**
 * The absolute deadline of a relative timeout, or null when it does not fit below UINT64_MAX (the
 * C's `curr_time + offset` would wrap to the past, or land on the "none" sentinel).
 */
export function deadlineOf(nowNs: bigint, relativeNs: bigint): bigint | null {
  if (!isU64(relativeNs)) return null;
  const d = nowNs + relativeNs;
  return d < U64_MAX ? d : null;
}

/** The deadline as upstream computes it: `curr_time + offset` on uint64_t (wraps). */
export function deadlineUpstream(nowNs: bigint, relativeNs: bigint): bigint {
  return (nowNs + relativeNs) & U64_MAX;
}

// ---------------------------------------------------------------- conversions (F37)

/**
 * `period_transform(period, target_freq, input_freq)` (timer_common.h at 650ace5d): periods of
 * `inputHz` to periods of `targetHz` by the split-remainder technique, so no u64 product overflows
 * while `(inputHz - 1) * targetHz < 2^64` (every timer sDDF drives: ≤ a few GHz against 1 GHz).
 * Equal to ⌊period · target / input⌋ whenever that fits a u64 (test/spec/components/timer.test.ts).
 */
export function periodTransform(period: bigint, targetHz: bigint, inputHz: bigint): bigint {
  assert(isU64(period) && inputHz > 0n && isU64(targetHz), 'u64 period and frequencies, input > 0');
  assert((inputHz - 1n) * targetHz <= U64_MAX, 'the remainder product fits a u64');
  const whole = ((period / inputHz) * targetHz) & U64_MAX;
  const rem = period % inputHz;
  return (whole + (rem * targetHz) / inputHz) & U64_MAX;
}

/** `ticks_to_ns(ticks, freq)`. */
export function ticksToNs(ticks: bigint, freqHz: bigint): bigint {
  return periodTransform(ticks, ONE_GHZ, freqHz);
}

/** `ns_to_ticks(ns, freq)`. */
export function nsToTicks(ns: bigint, freqHz: bigint): bigint {
  return periodTransform(ns, freqHz, ONE_GHZ);
}

/**
 * Catalogue F37 (au-ts/sddf 73e715aa^ drivers/timer/arm/timer.c lines 100, 105): the conversions
 * before the fix, `(ncycles * NS_IN_S) / hz` and `(ns * hz) / NS_IN_S` on uint64_t — the product
 * wraps, so time jumps back once ticks · 10^9 passes 2^64 (at 62.5 MHz after about 295 s).
 */
export function ticksToNsF37(ticks: bigint, freqHz: bigint): bigint {
  return ((ticks * ONE_GHZ) & U64_MAX) / freqHz;
}

export function nsToTicksF37(ns: bigint, freqHz: bigint): bigint {
  return ((ns * freqHz) & U64_MAX) / ONE_GHZ;
}

/** Which conversions a driver uses: `fixed` (HEAD's period_transform) or `F37` (before 73e715aa). */
export type TimerConversion = 'fixed' | 'F37';

export function conversions(kind: TimerConversion): {
  ticksToNs: (ticks: bigint, freqHz: bigint) => bigint;
  nsToTicks: (ns: bigint, freqHz: bigint) => bigint;
} {
  return kind === 'fixed'
    ? { ticksToNs, nsToTicks }
    : { ticksToNs: ticksToNsF37, nsToTicks: nsToTicksF37 };
}

// ---------------------------------------------------------------- client-side properties

/**
 * What a client observes must satisfy (the run's and the model's monitors): time never goes back,
 * and a timeout never fires early. Returns a message, or null when it holds.
 */
export function timeMonotonicProblem(previousNs: bigint, nowNs: bigint): string | null {
  return nowNs >= previousNs
    ? null
    : `time went backwards: GET_TIME returned ${nowNs} after ${previousNs}`;
}

export function timeoutEarlyProblem(o: {
  readonly setAtNs: bigint;
  readonly relativeNs: bigint;
  readonly firedAtNs: bigint;
}): string | null {
  return o.firedAtNs - o.setAtNs >= o.relativeNs
    ? null
    : `timeout of ${o.relativeNs} ns set at ${o.setAtNs} fired early at ${o.firedAtNs} (after ${o.firedAtNs - o.setAtNs} ns)`;
}
