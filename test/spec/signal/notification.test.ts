import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  MAX_CHANNELS,
  NO_NOTIFICATIONS,
  isPending,
  notify,
  takeNotified,
} from '../../../spec/signal/notification.ts';

describe('Microkit notifications coalesce (reference §1.2)', () => {
  it('N notifies on a channel before the receiver runs are one notified', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: MAX_CHANNELS - 1 }), { minLength: 1, maxLength: 50 }),
        (chs) => {
          let w = NO_NOTIFICATIONS;
          for (const ch of chs) w = notify(w, ch);
          const woke = takeNotified(w);
          expect(woke.channels).toEqual([...new Set(chs)].sort((a, b) => a - b));
          expect(woke.word).toBe(0n);
          for (const ch of chs) expect(isPending(w, ch)).toBe(true);
        },
      ),
    );
  });

  it('a notify after the receiver woke is picked up by the next wait', () => {
    const first = takeNotified(notify(NO_NOTIFICATIONS, 3));
    const again = notify(first.word, 3);
    expect(takeNotified(again).channels).toEqual([3]);
    expect(isPending(first.word, 3)).toBe(false);
  });

  it('channel 62 is the last; 63 and -1 are our bug', () => {
    expect(takeNotified(notify(0n, 62)).channels).toEqual([62]);
    expect(() => notify(0n, 63)).toThrow(InvariantError);
    expect(() => notify(0n, -1)).toThrow(InvariantError);
    expect(() => isPending(0n, 63)).toThrow(InvariantError);
    expect(() => takeNotified(1n << 63n)).toThrow(InvariantError);
  });
});
