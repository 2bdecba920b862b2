// Microkit notifications (reference sddf-protocols.md §1.2; seL4/microkit cfd52163
// libmicrokit/include/microkit.h and libmicrokit/src/main.c): a PD's notification word is a
// bitmask, one bit per channel; `microkit_notify(ch)` ORs a bit, so N notifies before the
// receiver runs are one `notified(ch)`; on wake the receiver gets every set bit in ascending
// order. A notify that arrives while the receiver is inside `notified` stays set for the next
// wait. Words are bigint so every badge bit is exact.
//
// Channel ids: `MICROKIT_MAX_CHANNELS` is 62, so ids are 0..61 (`MICROKIT_MAX_CHANNEL_ID`). The
// two top bits of a 64-bit badge are not channels: bit 62 (`BADGE_FAULT_BIT`) marks a fault of a
// child PD, bit 63 (`BADGE_ENDPOINT_BIT`) a protected procedure call (main.c `handler_loop`).
import { assert } from '../common/assert.ts';

/** `MICROKIT_MAX_CHANNELS` (microkit.h): channel ids are 0..61. */
export const MICROKIT_MAX_CHANNELS = 62;
/** `MICROKIT_MAX_CHANNEL_ID`. */
export const MICROKIT_MAX_CHANNEL_ID = MICROKIT_MAX_CHANNELS - 1;
/** Kept for callers that count channels: the same as MICROKIT_MAX_CHANNELS. */
export const MAX_CHANNELS = MICROKIT_MAX_CHANNELS;
/** main.c `BADGE_FAULT_BIT`: the badge is a fault of child `badge & PD_MASK`. */
export const BADGE_FAULT_BIT = 62;
/** main.c `BADGE_ENDPOINT_BIT`: the badge is a PPC on channel `badge & CHANNEL_MASK`. */
export const BADGE_ENDPOINT_BIT = 63;
/** main.c `PD_MASK` and `CHANNEL_MASK`. */
export const PD_MASK = 0xffn;
export const CHANNEL_MASK = 0x3fn;

export type NotificationWord = bigint;

export const NO_NOTIFICATIONS: NotificationWord = 0n;

/** A valid Microkit channel id: an integer in 0..61. */
export function isChannelId(channel: number): boolean {
  return Number.isInteger(channel) && channel >= 0 && channel <= MICROKIT_MAX_CHANNEL_ID;
}

function checkChannel(channel: number): void {
  assert(isChannelId(channel), () => `channel ${channel} not in 0..${MICROKIT_MAX_CHANNEL_ID}`);
}

export function notify(word: NotificationWord, channel: number): NotificationWord {
  checkChannel(channel);
  return word | (1n << BigInt(channel));
}

export function isPending(word: NotificationWord, channel: number): boolean {
  checkChannel(channel);
  return (word & (1n << BigInt(channel))) !== 0n;
}

/** The receiver wakes: every set bit, ascending, and the word is cleared. */
export function takeNotified(word: NotificationWord): {
  readonly channels: readonly number[];
  readonly word: NotificationWord;
} {
  assert(
    word >= 0n && word < 1n << BigInt(MICROKIT_MAX_CHANNELS),
    () => `notification word ${word} has bits beyond channel ${MICROKIT_MAX_CHANNEL_ID}`,
  );
  const channels: number[] = [];
  for (let ch = 0; ch < MICROKIT_MAX_CHANNELS; ch++) {
    if ((word & (1n << BigInt(ch))) !== 0n) channels.push(ch);
  }
  return { channels, word: NO_NOTIFICATIONS };
}

/** What `handler_loop` does with a badge from `seL4_Recv` (main.c at seL4/microkit cfd52163). */
export type BadgeDispatch =
  | { readonly kind: 'protected'; readonly channel: number }
  | { readonly kind: 'fault'; readonly child: number }
  | { readonly kind: 'notified'; readonly channels: readonly number[] };

/**
 * `is_endpoint = badge >> BADGE_ENDPOINT_BIT`; `is_fault = (badge >> BADGE_FAULT_BIT) & 1`; the
 * fault test comes first, then the endpoint, else one `notified` per set bit, ascending.
 */
export function dispatchBadge(badge: bigint): BadgeDispatch {
  assert(badge >= 0n && badge < 1n << 64n, () => `badge ${badge} is not a u64`);
  if (((badge >> BigInt(BADGE_FAULT_BIT)) & 1n) === 1n)
    return { kind: 'fault', child: Number(badge & PD_MASK) };
  if (badge >> BigInt(BADGE_ENDPOINT_BIT) !== 0n)
    return { kind: 'protected', channel: Number(badge & CHANNEL_MASK) };
  return { kind: 'notified', channels: takeNotified(badge).channels };
}
