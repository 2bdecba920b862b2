// Edges of the Microkit notification word and badge dispatch that the main test leaves open
// (issue 12 part 7: survivors of the spec/signal mutation run): negative words and badges, the
// zero badge, and the located messages of the channel and badge checks.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import { dispatchBadge, notify, takeNotified } from '../../../spec/signal/notification.ts';

describe('notification word and badge at the edges', () => {
  it('a channel outside 0..61 is named in the error', () => {
    expect(() => notify(0n, 62)).toThrow('channel 62 not in 0..61');
  });

  it('a negative word is not a notification word', () => {
    expect(() => takeNotified(-1n)).toThrow(InvariantError);
  });

  it('a badge is a u64: negative badges are refused with the badge in the message', () => {
    expect(() => dispatchBadge(-1n)).toThrow('badge -1 is not a u64');
    expect(() => dispatchBadge(1n << 64n)).toThrow(`badge ${1n << 64n} is not a u64`);
  });

  it('the zero badge is a wake with no channel set', () => {
    expect(dispatchBadge(0n)).toEqual({ kind: 'notified', channels: [] });
  });
});
