// The passive sDDF timer driver on the goldfish RTC (upstream au-ts/sddf 650ace5d
// drivers/timer/goldfish/timer.c; reference sddf-protocols.md §2.6, §3.13, §5.5). The contract is
// spec/components/timer.ts; this is the implementation, written as the C is, over the emulated
// device's registers (impl/hw/goldfish_timer.ts), and checked against the spec by
// traces/refinement/timer.
//
// Goldfish counts nanoseconds (a 1 GHz "virtual timer": no conversion). GET_TIME returns the RTC,
// which QEMU starts at the wall clock, not at boot (the code wins over the reference's "since
// boot"). Reading TIME_LOW latches TIME_HIGH, so TIME_LOW is read first. `set_timeout` writes
// ALARM_HIGH, then ALARM_LOW (which arms), then IRQ_ENABLED. Where this differs from the C, on
// purpose and as the spec says: an unknown label, an out-of-range deadline (now + relative would
// not fit below UINT64_MAX) or a channel ≥ 64 get an error reply (label 1, MR0 = TimerError) and
// change nothing; an IRQ-channel notification on another channel is counted, not asserted.

import {
  SDDF_TIMER_GET_TIME,
  SDDF_TIMER_MAX_CLIENTS,
  SDDF_TIMER_SET_TIMEOUT,
  TIMEOUT_NONE,
  TIMER_REPLY_ERROR,
  TIMER_REPLY_OK,
  TimerError,
  deadlineOf,
} from '../../../spec/components/timer.ts';
import { assert } from '../../../spec/common/assert.ts';
import { Counters } from '../../components/net/counters.ts';
import { GoldfishReg } from '../../hw/goldfish_timer.ts';
import type { Component, ComponentContext, PpcMessage } from '../../runtime/api.ts';
import { mapOf } from '../../runtime/config.ts';

export const TIMER_DRIVER_COUNTERS = [
  'getTime',
  'setTimeout',
  'irqs',
  'notified',
  'programmed',
  'errors',
  'strayNotifications',
] as const;

export interface GoldfishTimerDriverParams {
  /** The MR of the goldfish registers (default `timer_regs`). */
  readonly regsMr?: string;
  /** Counter buffer (Counters.buffer), for the run's report. */
  readonly counters?: SharedArrayBuffer;
  /**
   * A seeded bug for tests: `wrap` computes the deadline as the C does, `curr_time + offset` on
   * u64 (wraps to the past: the timeout fires at once, early).
   */
  readonly bug?: 'wrap';
}

export function goldfishTimerDriver(ctx: ComponentContext): Component {
  const p = ctx.params as GoldfishTimerDriverParams;
  const mem = ctx.api.mem;
  const regs = mapOf(ctx.config, p.regsMr ?? 'timer_regs').vaddr;
  assert(ctx.config.irqs.length === 1, `${ctx.config.pd}: the timer driver has exactly one IRQ`);
  const irqCh = ctx.config.irqs[0]!.id;
  const counters = new Counters(TIMER_DRIVER_COUNTERS, p.counters);
  // `static uint64_t timeouts[MAX_TIMEOUTS]`: private state, reset by a restart.
  const timeouts = new BigUint64Array(SDDF_TIMER_MAX_CLIENTS).fill(TIMEOUT_NONE);

  const ticksNs = (): bigint => {
    const low = mem.read32(regs + GoldfishReg.TIME_LOW);
    const high = mem.read32(regs + GoldfishReg.TIME_HIGH);
    return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  };
  const setTimeout = (atNs: bigint): void => {
    mem.write32(regs + GoldfishReg.ALARM_HIGH, Number(atNs >> 32n));
    mem.write32(regs + GoldfishReg.ALARM_LOW, Number(atNs & 0xffff_ffffn));
    mem.write32(regs + GoldfishReg.IRQ_ENABLED, 1);
    counters.inc('programmed');
  };
  const processTimeouts = (now: bigint): void => {
    for (let i = 0; i < SDDF_TIMER_MAX_CLIENTS; i++) {
      if (timeouts[i]! <= now) {
        ctx.api.notify(i);
        counters.inc('notified');
        timeouts[i] = TIMEOUT_NONE;
      }
    }
    let next = TIMEOUT_NONE;
    for (let i = 0; i < SDDF_TIMER_MAX_CLIENTS; i++) if (timeouts[i]! < next) next = timeouts[i]!;
    if (next !== TIMEOUT_NONE) setTimeout(next);
  };
  const error = (code: TimerError): PpcMessage => {
    counters.inc('errors');
    return { label: TIMER_REPLY_ERROR, words: [BigInt(code)] };
  };

  return {
    init(): void {
      timeouts.fill(TIMEOUT_NONE);
    },
    notified(ch: number): void {
      if (ch !== irqCh) {
        counters.inc('strayNotifications');
        return;
      }
      counters.inc('irqs');
      ctx.api.deferredIrqAck(ch);
      mem.write32(regs + GoldfishReg.CLEAR_INTERRUPT, 1);
      processTimeouts(ticksNs());
    },
    protected(ch: number, msg: PpcMessage): PpcMessage {
      switch (msg.label) {
        case SDDF_TIMER_GET_TIME:
          counters.inc('getTime');
          return { label: TIMER_REPLY_OK, words: [ticksNs()] };
        case SDDF_TIMER_SET_TIMEOUT: {
          const rel = msg.words[0];
          if (rel === undefined) return error(TimerError.MISSING_ARGUMENT);
          if (ch < 0 || ch >= SDDF_TIMER_MAX_CLIENTS) return error(TimerError.OUT_OF_RANGE);
          const now = ticksNs();
          const deadline = p.bug === 'wrap' ? (now + rel) & TIMEOUT_NONE : deadlineOf(now, rel);
          if (deadline === null) return error(TimerError.OUT_OF_RANGE);
          counters.inc('setTimeout');
          timeouts[ch] = deadline;
          processTimeouts(now);
          return { label: TIMER_REPLY_OK, words: [] };
        }
        default:
          return error(TimerError.UNKNOWN_LABEL);
      }
    },
  };
}
