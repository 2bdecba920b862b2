import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  FLAG_SIGNALLED,
  FLAG_WANTS_SIGNAL,
  NET_SIGNAL,
  SERIAL_SIGNAL,
  flagAfter,
  flagWriters,
  mayPerform,
  requireSignal,
  waiterRecheck,
  wakerNotify,
  type SignalOp,
} from '../../../spec/signal/handshake.ts';

describe('signalling handshake (reference §2.2, §2.4)', () => {
  it('C polarity: 0 means "wake me"; zero-filled memory wants a signal', () => {
    expect(FLAG_WANTS_SIGNAL).toBe(0);
    expect(FLAG_SIGNALLED).toBe(1);
    expect(requireSignal(0)).toBe(true);
    expect(requireSignal(1)).toBe(false);
    expect(flagAfter('request_signal', 1)).toBe(0);
    expect(flagAfter('cancel_signal', 0)).toBe(1);
    expect(flagAfter('require_signal', 0)).toBe(0);
    expect(flagAfter('require_signal', 1)).toBe(1);
  });

  it('net: the consumer requests, the producer requires; both cancel', () => {
    expect(NET_SIGNAL.flag).toBe('consumer_signalled');
    expect(mayPerform(NET_SIGNAL, 'consumer', 'request_signal')).toBe(true);
    expect(mayPerform(NET_SIGNAL, 'producer', 'request_signal')).toBe(false);
    expect(mayPerform(NET_SIGNAL, 'producer', 'require_signal')).toBe(true);
    expect(mayPerform(NET_SIGNAL, 'consumer', 'require_signal')).toBe(false);
    expect(mayPerform(NET_SIGNAL, 'consumer', 'cancel_signal')).toBe(true);
    expect(mayPerform(NET_SIGNAL, 'producer', 'cancel_signal')).toBe(true);
    expect(flagWriters(NET_SIGNAL)).toEqual(['producer', 'consumer']);
    expect(NET_SIGNAL.producerAlwaysNotifies).toBe(false);
  });

  it('serial: the producer requests, the consumer requires, the producer always notifies', () => {
    expect(SERIAL_SIGNAL.flag).toBe('producer_signalled');
    expect(mayPerform(SERIAL_SIGNAL, 'producer', 'request_signal')).toBe(true);
    expect(mayPerform(SERIAL_SIGNAL, 'consumer', 'request_signal')).toBe(false);
    expect(mayPerform(SERIAL_SIGNAL, 'consumer', 'require_signal')).toBe(true);
    expect(mayPerform(SERIAL_SIGNAL, 'producer', 'require_signal')).toBe(false);
    expect(SERIAL_SIGNAL.producerAlwaysNotifies).toBe(true);
  });

  it('waker notifies only when it transferred and the waiter asked, and cancels', () => {
    expect(wakerNotify({ transferred: true, flag: 0 })).toEqual({ flag: 1, notify: true });
    expect(wakerNotify({ transferred: true, flag: 1 })).toEqual({ flag: 1, notify: false });
    expect(wakerNotify({ transferred: false, flag: 0 })).toEqual({ flag: 0, notify: false });
  });

  it('waiter re-check: work after arming cancels and keeps processing', () => {
    expect(waiterRecheck({ workPossible: true })).toEqual({ flag: 1, sleep: false });
    expect(waiterRecheck({ workPossible: false })).toEqual({ flag: 0, sleep: true });
  });
});

describe('signalling handshake: an operation outside the three is our bug', () => {
  it('flagAfter and mayPerform refuse it', () => {
    const bogus = 'notify' as unknown as SignalOp;
    expect(() => flagAfter(bogus, 0)).toThrow(InvariantError);
    expect(() => mayPerform(NET_SIGNAL, 'producer', bogus)).toThrow(InvariantError);
  });
});
