// The sDDF signalling handshake (reference sddf-protocols.md §2.2, §2.4): a flag word in the
// queue MR says whether the sleeping side wants a notification. Polarity is the C one:
// flag == 0 means "wake me" (Spin models use the inverse). Memory is zero-filled at boot (§1.7),
// so every waiter initially wants a signal.
//
//   net    `consumer_signalled`: the consumer requests (and cancels in its re-check); the
//          producer requires, then cancels and notifies. Only producers notify consumers.
//   serial `producer_signalled`: a producer blocked on a full queue requests (and cancels in
//          its re-check); the consumer requires after freeing space, cancels and notifies. The
//          producer ALWAYS notifies the consumer after making data visible (no flag that way).
import { unreachable } from '../common/assert.ts';

export type SignalRole = 'producer' | 'consumer';
export type SignalOp = 'request_signal' | 'cancel_signal' | 'require_signal';

export interface SignalProtocol {
  readonly queueClass: 'net' | 'serial';
  /** The C field name of the flag word. */
  readonly flag: 'consumer_signalled' | 'producer_signalled';
  /** The side that sleeps and asks to be woken (request_signal). */
  readonly waiter: SignalRole;
  /** The side that tests the flag after making progress (require_signal) and notifies. */
  readonly waker: SignalRole;
  /** True when the producer notifies the consumer after every batch regardless of flags. */
  readonly producerAlwaysNotifies: boolean;
}

export const NET_SIGNAL: SignalProtocol = {
  queueClass: 'net',
  flag: 'consumer_signalled',
  waiter: 'consumer',
  waker: 'producer',
  producerAlwaysNotifies: false,
};

export const SERIAL_SIGNAL: SignalProtocol = {
  queueClass: 'serial',
  flag: 'producer_signalled',
  waiter: 'producer',
  waker: 'consumer',
  producerAlwaysNotifies: true,
};

/** Flag value meaning "the waiter wants a signal". */
export const FLAG_WANTS_SIGNAL = 0;
/** Flag value meaning "already signalled / not sleeping". */
export const FLAG_SIGNALLED = 1;

/** The flag word after `op` (require only reads). */
export function flagAfter(op: SignalOp, flag: number): number {
  switch (op) {
    case 'request_signal':
      return FLAG_WANTS_SIGNAL;
    case 'cancel_signal':
      return FLAG_SIGNALLED;
    case 'require_signal':
      return flag;
    default:
      return unreachable(op);
  }
}

/** `require_signal`: `!flag` — true when the waiter asked to be woken. */
export function requireSignal(flag: number): boolean {
  return flag === FLAG_WANTS_SIGNAL;
}

/**
 * Who may perform which operation (§2.2, §2.4): only the waiter requests; only the waker
 * requires; both cancel (the waiter in its re-check, the waker before notifying).
 */
export function mayPerform(protocol: SignalProtocol, role: SignalRole, op: SignalOp): boolean {
  switch (op) {
    case 'request_signal':
      return role === protocol.waiter;
    case 'require_signal':
      return role === protocol.waker;
    case 'cancel_signal':
      return true;
    default:
      return unreachable(op);
  }
}

/** The roles that ever write the flag word (request or cancel). */
export function flagWriters(protocol: SignalProtocol): readonly SignalRole[] {
  return (['producer', 'consumer'] as const).filter(
    (r) => mayPerform(protocol, r, 'request_signal') || mayPerform(protocol, r, 'cancel_signal'),
  );
}

/**
 * The waker's phase 3 (§2.2): if it transferred anything and the waiter wants a signal, it
 * cancels and notifies. Returns the new flag and whether to notify.
 */
export function wakerNotify(opts: { readonly transferred: boolean; readonly flag: number }): {
  readonly flag: number;
  readonly notify: boolean;
} {
  if (opts.transferred && requireSignal(opts.flag)) return { flag: FLAG_SIGNALLED, notify: true };
  return { flag: opts.flag, notify: false };
}

/**
 * The waiter's phase 2 (§2.2): having armed (`request_signal`), it re-checks whether work
 * became possible; if so it cancels and goes back to processing instead of sleeping.
 * Without this re-check the lost wakeup of §2.2 is reachable.
 */
export function waiterRecheck(opts: { readonly workPossible: boolean }): {
  readonly flag: number;
  readonly sleep: boolean;
} {
  if (opts.workPossible) return { flag: FLAG_SIGNALLED, sleep: false };
  return { flag: FLAG_WANTS_SIGNAL, sleep: true };
}
