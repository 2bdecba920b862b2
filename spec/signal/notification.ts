// Microkit notifications (reference sddf-protocols.md §1.2): a PD's notification word is a
// bitmask, one bit per channel; `microkit_notify(ch)` ORs a bit, so N notifies before the
// receiver runs are one `notified(ch)`; on wake the receiver gets every set bit in ascending
// order. A notify that arrives while the receiver is inside `notified` stays set for the next
// wait. Words are bigint so all 63 channel bits are exact.
import { assert } from '../common/assert.ts';

/** Microkit channel ids are 0..62. */
export const MAX_CHANNELS = 63;

export type NotificationWord = bigint;

export const NO_NOTIFICATIONS: NotificationWord = 0n;

export function notify(word: NotificationWord, channel: number): NotificationWord {
  assert(
    Number.isInteger(channel) && channel >= 0 && channel < MAX_CHANNELS,
    () => `channel ${channel} not in 0..62`,
  );
  return word | (1n << BigInt(channel));
}

export function isPending(word: NotificationWord, channel: number): boolean {
  assert(
    Number.isInteger(channel) && channel >= 0 && channel < MAX_CHANNELS,
    () => `channel ${channel} not in 0..62`,
  );
  return (word & (1n << BigInt(channel))) !== 0n;
}

/** The receiver wakes: every set bit, ascending, and the word is cleared. */
export function takeNotified(word: NotificationWord): {
  readonly channels: readonly number[];
  readonly word: NotificationWord;
} {
  assert(
    word >= 0n && word < 1n << BigInt(MAX_CHANNELS),
    () => `notification word ${word} out of range`,
  );
  const channels: number[] = [];
  for (let ch = 0; ch < MAX_CHANNELS; ch++) {
    if ((word & (1n << BigInt(ch))) !== 0n) channels.push(ch);
  }
  return { channels, word: NO_NOTIFICATIONS };
}
