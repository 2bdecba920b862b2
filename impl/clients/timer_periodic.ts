// A timer client with periodic timeouts (the shape of sDDF examples/timer/client.c: GET_TIME, then
// SET_TIMEOUT, and on each notification from the timer read the time and set the next one). It
// records what it observes in a shared log that the run's monitor checks with the spec's
// predicates (spec/components/timer.ts: time never goes back, a timeout never fires early):
//   words[0] rounds fired, [1] spurious notifications (none pending), [2] error replies,
//   [3] rounds wanted; then per round r: [4+3r] time read before SET_TIMEOUT, [5+3r] the relative
//   timeout, [6+3r] time read when notified.
// `replaceFirst` exercises "one timeout per client": the first round first sets a timeout far
// beyond the last round and at once replaces it; if the old one still fired, it would arrive with
// nothing pending (spurious).

import { TIMER_REPLY_OK } from '../../spec/components/timer.ts';
import { assert } from '../../spec/common/assert.ts';
import type { Component, ComponentContext } from '../runtime/api.ts';
import { channelTo } from '../runtime/config.ts';
import { timerSetTimeout, timerTimeNow } from './timer.ts';

export const TIMER_LOG_HEADER_WORDS = 4;

export interface PeriodicTimerClientParams {
  readonly periodNs: number;
  readonly rounds: number;
  /** The timer driver's PD name (default `timer`). */
  readonly timerPd?: string;
  readonly replaceFirst?: boolean;
  /** BigUint64Array backing store: TIMER_LOG_HEADER_WORDS + 3 × rounds words. */
  readonly log: SharedArrayBuffer;
}

export function timerLogBuffer(rounds: number): SharedArrayBuffer {
  return new SharedArrayBuffer(8 * (TIMER_LOG_HEADER_WORDS + 3 * rounds));
}

export function periodicTimerClient(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as PeriodicTimerClientParams;
  assert(p.rounds >= 0 && p.periodNs > 0, 'a periodic client has a positive period');
  const ch = channelTo(ctx.config, p.timerPd ?? 'timer').id;
  const log = new BigUint64Array(p.log, 0, TIMER_LOG_HEADER_WORDS + 3 * p.rounds);
  const period = BigInt(p.periodNs);
  let pending = false;
  const arm = (): void => {
    const r = Number(log[0]);
    if (r >= p.rounds) return;
    const now = timerTimeNow(ctx.api, ch);
    if (p.replaceFirst === true && r === 0) {
      // A timeout past the last round, replaced at once by the real one.
      const far = BigInt(p.rounds + 4) * period;
      if (timerSetTimeout(ctx.api, ch, far).label !== TIMER_REPLY_OK) log[2]! += 1n;
    }
    log[TIMER_LOG_HEADER_WORDS + 3 * r] = now;
    log[TIMER_LOG_HEADER_WORDS + 3 * r + 1] = period;
    const reply = timerSetTimeout(ctx.api, ch, period);
    if (reply.label !== TIMER_REPLY_OK) {
      log[2]! += 1n;
      return;
    }
    pending = true;
  };
  return {
    init(): void {
      log[3] = BigInt(p.rounds);
      arm();
    },
    notified(from: number): void {
      if (from !== ch || !pending) {
        log[1]! += 1n;
        return;
      }
      pending = false;
      const r = Number(log[0]);
      log[TIMER_LOG_HEADER_WORDS + 3 * r + 2] = timerTimeNow(ctx.api, ch);
      log[0] = BigInt(r + 1);
      arm();
    },
  };
}
