// The serial virtualisers' decisions, once (reference sddf-protocols.md §3.11–3.12; upstream
// serial/components/virt_tx.c and virt_rx.c at au-ts/sddf 650ace5d): colour codes, the bytes a
// transfer needs, the tx_pending FIFO of client ids, and virt_rx's switch-character state
// machine. Pure functions on values: the implementation (impl/components/serial), the model
// programs (spec/components/serial-head.ts) and the handler-level spec (serial-handlers.ts) call
// these, so each decision is written here only.
//
// Where the reference and the code differ, the code wins:
//  - §3.11 says "if `len > free` request, re-check, push"; virt_tx.c at HEAD requests, then
//    re-checks in a second `if`, and a successful re-check transfers with the flag left armed.
//  - §3.12 says a second switch character "delivers a literal switch char"; virt_rx.c does so
//    and resets to normal (as here).
import { assert } from '../common/assert.ts';

/** sdfgen's default `switch_char`: 28 = Ctrl-\ (the FS control character). */
export const SERIAL_SWITCH_CHAR = 28;
/** `terminate_num_char`: '\r' ends the client number. */
export const SERIAL_TERMINATE_NUM_CHAR = 0x0d;
/** virt_rx.c `MAX_CLI_BASE_10`: at most 4 digits of a client number. */
export const SERIAL_MAX_CLI_BASE_10 = 4;
/** include/sddf/serial/config.h `SDDF_SERIAL_MAX_CLIENTS`. */
export const SERIAL_MAX_CLIENTS = 64;

// ---------------------------------------------------------------- colour (virt_tx.c `colours`)

/** Foreground red, green, yellow, blue, magenta, cyan: `\x1b[3Xm`, reused mod 6. */
const COLOUR_DIGITS = [0x31, 0x32, 0x33, 0x34, 0x35, 0x36] as const;
/** `COLOUR_BEGIN_LEN`: `\x1b[3Xm` is five bytes. */
export const COLOUR_BEGIN_LEN = 5;
/** `COLOUR_END` = `\x1b[0m`. */
export const COLOUR_END: readonly number[] = [0x1b, 0x5b, 0x30, 0x6d];
export const COLOUR_END_LEN = 4;

/** The five bytes that start client `k`'s colour. */
export function colourBegin(k: number): readonly number[] {
  assert(Number.isInteger(k) && k >= 0, () => `client index ${k}`);
  return [0x1b, 0x5b, 0x33, COLOUR_DIGITS[k % COLOUR_DIGITS.length]!, 0x6d];
}

/** process_tx_queue's `length`: the client's bytes, plus the colour codes when colour is on. */
export function txBytesNeeded(lengthBytes: number, colour: boolean): number {
  return lengthBytes + (colour ? COLOUR_BEGIN_LEN + COLOUR_END_LEN : 0);
}

/**
 * Catalogue F11: with `needed` larger than the driver queue's capacity the client's data can never
 * be transferred whole. Upstream's fix (1ec06bad) is configuration (the driver's Tx data region
 * doubled); our virt_tx also splits such data, and only then (ADR 023).
 */
export function txNeverFits(neededBytes: number, driverCapacity: number): boolean {
  return neededBytes > driverCapacity;
}

/**
 * Bytes of client data one split transfer moves into an empty driver queue (F11 handling): the
 * capacity less the colour codes, or null when not even one byte fits with them.
 */
export function txSplitChunk(driverCapacity: number, colour: boolean): number | null {
  const room = driverCapacity - txBytesNeeded(0, colour);
  return room > 0 ? room : null;
}

// ---------------------------------------------------------------- tx_pending (virt_tx.c)

/**
 * `tx_pending_t`: a FIFO of client ids in `clients + 1` entries (one free slot tells full from
 * empty; 0e60979c's `TX_PENDING_LEN`; 650ace5d sizes it `SDDF_SERIAL_MAX_CLIENTS + 1`, the same FIFO
 * for any size above `clients`), indices modulo that size (before 0e60979c they grew without bound
 * over `clients` entries: catalogue F22), and a `clients_pending` bit so a client is queued once.
 */
export interface TxPending {
  readonly queue: readonly number[];
  readonly pending: readonly boolean[];
  readonly head: number;
  readonly tail: number;
}

export interface TxPendingFlavour {
  /** F22: head/tail not wrapped and the array one entry short (virt_tx.c before 0e60979c). */
  readonly unbounded?: boolean;
}

export function txPendingInitial(clients: number): TxPending {
  assert(clients >= 1 && clients <= SERIAL_MAX_CLIENTS, () => `${clients} serial clients`);
  return {
    queue: new Array<number>(clients + 1).fill(0),
    pending: new Array<boolean>(clients).fill(false),
    head: 0,
    tail: 0,
  };
}

function pendingSize(p: TxPending, f: TxPendingFlavour): number {
  // Before 0e60979c the array had `SERIAL_NUM_CLIENTS` entries.
  return f.unbounded === true ? p.pending.length : p.queue.length;
}

/** `tx_pending_length`. */
export function txPendingLength(p: TxPending, f: TxPendingFlavour = {}): number {
  if (f.unbounded === true) return (p.tail - p.head) >>> 0;
  const n = p.queue.length;
  return (n + p.tail - p.head) % n;
}

/**
 * `tx_pending_push(client)`: nothing when already pending; else the id at `tail`. Returns the
 * new FIFO, or what broke: the C's assert (length < clients), or (F22) a write past the array.
 */
export function txPendingPush(
  p: TxPending,
  client: number,
  f: TxPendingFlavour = {},
): { readonly pending: TxPending } | { readonly broken: string } {
  assert(client >= 0 && client < p.pending.length, () => `client ${client} of ${p.pending.length}`);
  if (p.pending[client] === true) return { pending: p };
  if (txPendingLength(p, f) >= p.pending.length)
    return { broken: `tx_pending_push: ${txPendingLength(p, f)} clients already pending` };
  if (p.tail >= pendingSize(p, f))
    return { broken: `tx_pending_push: queue[${p.tail}] is past the ${pendingSize(p, f)} entries` };
  const queue = [...p.queue];
  queue[p.tail] = client;
  const pending = [...p.pending];
  pending[client] = true;
  const tail = f.unbounded === true ? p.tail + 1 : (p.tail + 1) % p.queue.length;
  return { pending: { queue, pending, head: p.head, tail } };
}

/** `tx_pending_pop`: the oldest pending client (the FIFO must not be empty: the C asserts). */
export function txPendingPop(
  p: TxPending,
  f: TxPendingFlavour = {},
): { readonly pending: TxPending; readonly client: number } | { readonly broken: string } {
  assert(txPendingLength(p, f) > 0, 'tx_pending_pop on an empty FIFO');
  if (p.head >= pendingSize(p, f))
    return { broken: `tx_pending_pop: queue[${p.head}] is past the ${pendingSize(p, f)} entries` };
  const client = p.queue[p.head]!;
  const pending = [...p.pending];
  pending[client] = false;
  const head = f.unbounded === true ? p.head + 1 : (p.head + 1) % p.queue.length;
  return { pending: { queue: p.queue, pending, head, tail: p.tail }, client };
}

// ---------------------------------------------------------------- virt_rx's switch machine

export type RxMode = 'normal' | 'switched' | 'number';

/** virt_rx.c's `current_mode`, `current_client`, `next_client[]` (the digits typed so far). */
export interface RxSwitch {
  readonly mode: RxMode;
  readonly current: number;
  readonly digits: string;
}

export const RX_SWITCH_INITIAL: RxSwitch = { mode: 'normal', current: 0, digits: '' };

/** What one input character does. */
export type RxAction =
  /** Enqueue `byte` to the current client (dropped by the caller when its queue is full). */
  | { readonly kind: 'deliver'; readonly byte: number }
  /** Publish and notify the old client, then make `to` current. */
  | { readonly kind: 'switch'; readonly from: number; readonly to: number }
  /** Consumed by the state machine; `log` is virt_rx's `sddf_dprintf` when it prints one. */
  | { readonly kind: 'none'; readonly log?: string };

export interface RxSwitchConfig {
  readonly numClients: number;
  readonly switchChar: number;
  readonly terminateChar: number;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

const RESET = (current: number): RxSwitch => ({ mode: 'normal', current, digits: '' });

/** One character through virt_rx.c `rx_return`'s switch (reference §3.12). */
export function rxSwitchStep(
  s: RxSwitch,
  c: number,
  cfg: RxSwitchConfig,
): { readonly next: RxSwitch; readonly action: RxAction } {
  assert(Number.isInteger(c) && c >= 0 && c <= 0xff, () => `input ${c} is a byte`);
  assert(s.current >= 0 && s.current < cfg.numClients, () => `current client ${s.current}`);
  switch (s.mode) {
    case 'normal':
      if (c === cfg.switchChar)
        return { next: { ...s, mode: 'switched' }, action: { kind: 'none' } };
      return { next: s, action: { kind: 'deliver', byte: c } };
    case 'switched':
      if (isDigit(c)) {
        return {
          next: { mode: 'number', current: s.current, digits: String.fromCharCode(c) },
          action: { kind: 'none' },
        };
      }
      // A second switch character is a literal one for the current client.
      if (c === cfg.switchChar)
        return { next: RESET(s.current), action: { kind: 'deliver', byte: c } };
      return {
        next: RESET(s.current),
        action: { kind: 'none', log: `VIRT_RX|LOG: User entered an invalid digit ${c}` },
      };
    case 'number': {
      if (c === cfg.terminateChar) {
        // sddf_atoi of at most four digits: never negative, never beyond 9999.
        const n = Number.parseInt(s.digits, 10);
        if (n < cfg.numClients) {
          return { next: RESET(n), action: { kind: 'switch', from: s.current, to: n } };
        }
        return {
          next: RESET(s.current),
          action: {
            kind: 'none',
            log: `VIRT_RX|LOG: User requested to switch to an invalid client ${n}`,
          },
        };
      }
      if (s.digits.length < SERIAL_MAX_CLI_BASE_10 && isDigit(c)) {
        return {
          next: { ...s, digits: s.digits + String.fromCharCode(c) },
          action: { kind: 'none' },
        };
      }
      return {
        next: RESET(s.current),
        action: { kind: 'none', log: 'VIRT_RX|LOG: User entered too many or invalid digits' },
      };
    }
  }
}
