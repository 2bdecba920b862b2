// The sDDF timer protocol (reference sddf-protocols.md §2.6; include/sddf/timer/protocol.h): a client
// ppcalls the passive timer driver with label GET_TIME (reply MR0 = ns since boot) or SET_TIMEOUT
// (MR0 = relative ns); the driver notifies the client's channel when the timeout expires. A new
// timeout replaces the client's previous one.

import { SDDF_TIMER_GET_TIME, SDDF_TIMER_SET_TIMEOUT } from '../../spec/components/timer.ts';
import type { MicrokitApi, PpcMessage } from '../runtime/api.ts';

export { SDDF_TIMER_GET_TIME, SDDF_TIMER_SET_TIMEOUT };

/** `sddf_timer_time_now(ch)`. */
export function timerTimeNow(api: MicrokitApi, ch: number): bigint {
  const r = api.ppcall(ch, { label: SDDF_TIMER_GET_TIME, words: [] });
  return r.words[0] ?? 0n;
}

/** `sddf_timer_set_timeout(ch, ns)`; the reply (label 0 = done; our drivers reply 1 = error). */
export function timerSetTimeout(api: MicrokitApi, ch: number, timeoutNs: bigint): PpcMessage {
  return api.ppcall(ch, { label: SDDF_TIMER_SET_TIMEOUT, words: [timeoutNs] });
}
