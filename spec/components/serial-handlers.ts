// The serial virtualisers' handlers on abstract state (reference §3.11–3.12; virt_tx.c and
// virt_rx.c at au-ts/sddf 650ace5d): a queue is the sequence of bytes it holds, its capacity
// and whether its producer armed `producer_signalled`. One handler execution (`notified(ch)`)
// maps an abstract state to the next one and the notifications it makes, in order. The
// implementation refines this: traces/refinement/serial checks every handler execution of
// impl/components/serial against it, through the abstraction of the shared memory.
//
// Hardening the implementation adds (ADR 023), written here too so the check covers it:
//  - a queue whose indices claim more than its capacity (a lying peer) is `corrupt`: virt_tx
//    does not read it, virt_rx drops what it would deliver to it;
//  - F11: data that can never fit whole is split into an empty driver queue (txSplitChunk).
import { assert } from '../common/assert.ts';
import {
  COLOUR_END,
  colourBegin,
  rxSwitchStep,
  txBytesNeeded,
  txNeverFits,
  txPendingInitial,
  txPendingLength,
  txPendingPop,
  txPendingPush,
  txSplitChunk,
  type RxSwitch,
  type RxSwitchConfig,
  type TxPending,
} from './serial-virt.ts';

export interface AbsSerialQueue {
  readonly bytes: readonly number[];
  readonly capacity: number;
  /** `producer_signalled == 0`: the producer is blocked and wants a signal. */
  readonly wantsSignal: boolean;
  /** The indices claim more than the capacity (a peer wrote garbage): not used. */
  readonly corrupt: boolean;
}

function free(q: AbsSerialQueue): number {
  return q.corrupt ? 0 : q.capacity - q.bytes.length;
}

// ---------------------------------------------------------------- virt_tx

export interface AbsVirtTx {
  readonly driver: AbsSerialQueue;
  readonly clients: readonly AbsSerialQueue[];
  readonly pending: TxPending;
  readonly colour: boolean;
  /** F11 handling on (ADR 023); false is upstream at HEAD. */
  readonly split: boolean;
}

export interface VirtTxChannels {
  readonly driver: number;
  /** Channel id of client k. */
  readonly clients: readonly number[];
}

export interface HandlerResult<S> {
  readonly state: S;
  /** Channels notified, in order. */
  readonly notified: readonly number[];
  /** Counted events (the implementation's counters with the same names). */
  readonly events: readonly string[];
}

export function absVirtTxInitial(
  driver: AbsSerialQueue,
  clients: readonly AbsSerialQueue[],
  colour: boolean,
  split = true,
): AbsVirtTx {
  return { driver, clients, pending: txPendingInitial(clients.length), colour, split };
}

/** `process_tx_queue(k)` (V1): whether it transferred. */
function processTxQueue(
  s: { -readonly [K in keyof AbsVirtTx]: AbsVirtTx[K] },
  k: number,
  events: string[],
): boolean {
  const cli = s.clients[k]!;
  if (cli.corrupt) {
    events.push('corruptQueue');
    return false;
  }
  if (cli.bytes.length === 0) return false;
  const needed = txBytesNeeded(cli.bytes.length, s.colour);
  let data = cli.bytes;
  if (needed > free(s.driver)) {
    // Request a signal from the driver, re-check (single-threaded here: the same answer).
    s.driver = { ...s.driver, wantsSignal: true };
    const chunk = txSplitChunk(s.driver.capacity, s.colour);
    const split =
      s.split &&
      txNeverFits(needed, s.driver.capacity) &&
      free(s.driver) === s.driver.capacity && // empty; a corrupt queue has no room (impl too)
      chunk !== null;
    if (!split) {
      const r = txPendingPush(s.pending, k);
      assert('pending' in r, () => ('broken' in r ? r.broken : ''));
      s.pending = r.pending;
      return false;
    }
    // F11: it never fits whole; an empty driver queue takes as much as fits, and the rest
    // waits in tx_pending for the driver's signal.
    data = cli.bytes.slice(0, chunk);
    events.push('split');
    const r = txPendingPush(s.pending, k);
    assert('pending' in r, () => ('broken' in r ? r.broken : ''));
    s.pending = r.pending;
  }
  const moved = s.colour ? [...colourBegin(k), ...data, ...COLOUR_END] : [...data];
  assert(moved.length <= free(s.driver), 'a transfer fits the driver queue');
  s.driver = { ...s.driver, bytes: [...s.driver.bytes, ...moved] };
  s.clients = s.clients.map((c, i) => (i === k ? { ...c, bytes: c.bytes.slice(data.length) } : c));
  events.push('transfer');
  return true;
}

function notifyClientIf(
  s: { -readonly [K in keyof AbsVirtTx]: AbsVirtTx[K] },
  k: number,
  ch: number,
  notified: number[],
): void {
  const cli = s.clients[k]!;
  if (!cli.corrupt && cli.wantsSignal) {
    s.clients = s.clients.map((c, i) => (i === k ? { ...c, wantsSignal: false } : c));
    notified.push(ch);
  }
}

/** virt_tx `notified(ch)`: tx_return on the driver's channel, else tx_provide(ch). */
export function virtTxNotified(
  s0: AbsVirtTx,
  ch: number,
  chs: VirtTxChannels,
): HandlerResult<AbsVirtTx> {
  const s = { ...s0 };
  const notified: number[] = [];
  const events: string[] = [];
  if (ch === chs.driver) {
    // V3 tx_return: retry each client pending at entry, once.
    const n = txPendingLength(s.pending);
    const notify = new Array<boolean>(s.clients.length).fill(false);
    let transferred = false;
    for (let i = 0; i < n; i++) {
      const r = txPendingPop(s.pending);
      assert('pending' in r, () => ('broken' in r ? r.broken : ''));
      s.pending = r.pending;
      notify[r.client] = processTxQueue(s, r.client, events);
      transferred ||= notify[r.client]!;
    }
    if (transferred) notified.push(chs.driver);
    for (let k = 0; k < s.clients.length; k++)
      if (notify[k] === true) notifyClientIf(s, k, chs.clients[k]!, notified);
    return { state: s, notified, events };
  }
  const k = chs.clients.indexOf(ch);
  if (k < 0) return { state: s, notified, events: ['unknownChannel'] };
  // V2 tx_provide.
  const transferred = processTxQueue(s, k, events);
  if (transferred) {
    notified.push(chs.driver);
    notifyClientIf(s, k, ch, notified);
  }
  return { state: s, notified, events };
}

// ---------------------------------------------------------------- virt_rx

export interface AbsVirtRx {
  readonly driver: AbsSerialQueue;
  readonly clients: readonly AbsSerialQueue[];
  readonly sw: RxSwitch;
}

export interface VirtRxChannels {
  readonly driver: number;
  readonly clients: readonly number[];
}

/** virt_rx `notified(ch)`: rx_return on the driver's channel, else nothing. */
export function virtRxNotified(
  s0: AbsVirtRx,
  ch: number,
  chs: VirtRxChannels,
  cfg: Omit<RxSwitchConfig, 'numClients'>,
): HandlerResult<AbsVirtRx> {
  const notified: number[] = [];
  const events: string[] = [];
  if (ch !== chs.driver) return { state: s0, notified, events: ['unknownChannel'] };
  const clients = s0.clients.map((c) => ({ ...c, bytes: [...c.bytes] }));
  let sw = s0.sw;
  let transferred = false;
  const input = s0.driver.corrupt ? [] : s0.driver.bytes;
  if (s0.driver.corrupt) events.push('corruptQueue');
  for (const c of input) {
    const r = rxSwitchStep(sw, c, { ...cfg, numClients: clients.length });
    sw = r.next;
    const a = r.action;
    if (a.kind === 'deliver') {
      const q = clients[sw.current]!;
      if (!q.corrupt && q.bytes.length < q.capacity) {
        q.bytes.push(a.byte);
        transferred = true;
      } else events.push(q.corrupt ? 'corruptQueue' : 'dropped');
    } else if (a.kind === 'switch') {
      if (transferred) notified.push(chs.clients[a.from]!);
      transferred = false;
      events.push('switch');
    }
  }
  // The driver queue is now empty: a driver blocked on it full is signalled.
  let driver: AbsSerialQueue = s0.driver.corrupt ? s0.driver : { ...s0.driver, bytes: [] };
  if (!driver.corrupt && driver.wantsSignal) {
    driver = { ...driver, wantsSignal: false };
    notified.push(chs.driver);
  }
  if (transferred) notified.push(chs.clients[sw.current]!);
  return { state: { driver, clients, sw }, notified, events };
}
