// serial virt_tx (reference sddf-protocols.md §3.11; upstream serial/components/virt_tx.c at au-ts/sddf
// 650ace5d). V1 process_tx_queue moves one client's whole string into the driver queue, wrapped
// in the client's colour when colour is on, or queues the client on tx_pending after requesting a
// signal from the driver and re-checking (F8, 334e9be8); V2 tx_provide(ch) on a client's notify;
// V3 tx_return on the driver's notify retries the clients pending at entry. The decisions (bytes
// needed, colour codes, the tx_pending FIFO bounded modulo clients + 1 (F22), the F11 split) are
// spec/components/serial-virt.ts; the handler as a whole is spec/components/serial-handlers.ts
// `virtTxNotified`, which traces/refinement/serial checks this against.
//
// Hardened (ADR 023): a client queue whose indices claim more than its capacity is not read (and
// counted); the client's data region is mapped read-only and read through the PD's map.
import { assert } from '../../../spec/common/assert.ts';
import {
  COLOUR_END,
  colourBegin,
  txBytesNeeded,
  txNeverFits,
  txPendingInitial,
  txPendingLength,
  txPendingPop,
  txPendingPush,
  txSplitChunk,
  type TxPending,
} from '../../../spec/components/serial-virt.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import { Counters } from '../net/counters.ts';
import { SerialPort, type SerialConn } from './port.ts';

export interface SerialVirtTxConfig {
  readonly driver: SerialConn;
  readonly clients: readonly SerialConn[];
  /** `enable_colour`. */
  readonly colour: boolean;
  /** `begin_str` written straight to the driver queue at init when Rx is enabled, else null. */
  readonly beginStr: string | null;
  /**
   * Split a client's data that can never fit whole (default true). false is upstream at HEAD,
   * where such data waits forever unless the system gives the driver a large enough region
   * (catalogue F11): the seeded bug of the F11 tests.
   */
  readonly split?: boolean;
}

export const SERIAL_VIRT_TX_COUNTERS = [
  'transfers',
  'bytes',
  'pendingPushes',
  'splits',
  'corruptQueue',
  'unknownChannel',
] as const;

/** Private state the refinement check abstracts (virt_tx.c's `tx_pending`). */
export interface SerialVirtTxProbe {
  pending(): TxPending;
}

export function serialVirtTxComponent(ctx: ComponentContext): Component {
  const v = new SerialVirtTx(
    ctx.api,
    ctx.params['config'] as SerialVirtTxConfig,
    ctx.params['counters'],
  );
  const probe = ctx.params['probe'];
  if (typeof probe === 'function') (probe as (p: SerialVirtTxProbe) => void)(v);
  return { init: () => v.init(), notified: (ch) => v.notified(ch) };
}

export class SerialVirtTx implements SerialVirtTxProbe {
  private readonly drv: SerialPort;
  private readonly clients: SerialPort[];
  private tx: TxPending;
  readonly c: Counters<(typeof SERIAL_VIRT_TX_COUNTERS)[number]>;

  constructor(
    private readonly api: MicrokitApi,
    private readonly config: SerialVirtTxConfig,
    counters?: unknown,
  ) {
    this.drv = new SerialPort(api, config.driver);
    this.clients = config.clients.map((c) => new SerialPort(api, c));
    this.tx = txPendingInitial(config.clients.length);
    this.c = new Counters(SERIAL_VIRT_TX_COUNTERS, counters);
  }

  pending(): TxPending {
    return this.tx;
  }

  init(): void {
    // virt_tx.c init: with Rx enabled, the begin string straight into the driver queue. A
    // restarted virt_tx (shared memory kept) does not print it again.
    const s = this.config.beginStr;
    if (s === null || this.drv.tail !== 0) return;
    const bytes = new TextEncoder().encode(s);
    const free = this.drv.free();
    assert(free !== null && bytes.length <= free, 'the begin string fits the empty driver queue');
    this.drv.produce(bytes);
    this.api.notify(this.config.driver.id);
  }

  notified(ch: number): void {
    if (ch === this.config.driver.id) this.txReturn();
    else this.txProvide(ch);
  }

  /** V1 `process_tx_queue(k)`: whether anything was transferred. */
  private processTxQueue(k: number): boolean {
    const cli = this.clients[k]!;
    const length = cli.length();
    if (length === null) {
      this.c.inc('corruptQueue');
      return false;
    }
    if (length === 0) return false;
    const needed = txBytesNeeded(length, this.config.colour);
    let take = length;
    if (needed > (this.drv.free() ?? 0)) {
      // Not enough room: ask the driver for a signal, then re-check (334e9be8, catalogue F8).
      this.drv.requestConsumerSignal();
      const free = this.drv.free() ?? 0;
      if (needed > free) {
        const chunk = txSplitChunk(this.drv.capacity, this.config.colour);
        const split =
          this.config.split !== false &&
          txNeverFits(needed, this.drv.capacity) &&
          free === this.drv.capacity &&
          chunk !== null;
        this.push(k);
        if (!split) return false;
        // F11: never fits whole; an empty driver queue takes what fits, the rest stays pending.
        take = chunk;
        this.c.inc('splits');
      }
    }
    const data = cli.read(cli.head, take);
    const out = this.config.colour
      ? Uint8Array.from([...colourBegin(k), ...data, ...COLOUR_END])
      : data;
    this.drv.produce(out);
    cli.consume(take);
    this.c.inc('transfers');
    this.c.inc('bytes', take);
    return true;
  }

  private push(k: number): void {
    const r = txPendingPush(this.tx, k);
    assert('pending' in r, () => ('broken' in r ? r.broken : ''));
    if (r.pending !== this.tx) this.c.inc('pendingPushes');
    this.tx = r.pending;
  }

  private notifyClientIf(k: number): void {
    const cli = this.clients[k]!;
    if (cli.length() !== null && cli.requireConsumerSignal()) {
      cli.cancelConsumerSignal();
      this.api.notify(this.config.clients[k]!.id);
    }
  }

  /** V3 `tx_return`: the driver freed space; retry each client pending at entry once. */
  private txReturn(): void {
    const n = txPendingLength(this.tx);
    const notify = new Array<boolean>(this.clients.length).fill(false);
    let transferred = false;
    for (let i = 0; i < n; i++) {
      const r = txPendingPop(this.tx);
      assert('pending' in r, () => ('broken' in r ? r.broken : ''));
      this.tx = r.pending;
      notify[r.client] = this.processTxQueue(r.client);
      transferred ||= notify[r.client]!;
    }
    if (transferred) this.api.notify(this.config.driver.id);
    for (let k = 0; k < this.clients.length; k++) if (notify[k] === true) this.notifyClientIf(k);
  }

  /** V2 `tx_provide(ch)`. */
  private txProvide(ch: number): void {
    const k = this.config.clients.findIndex((c) => c.id === ch);
    if (k < 0) {
      this.c.inc('unknownChannel');
      return;
    }
    if (this.processTxQueue(k)) {
      this.api.notify(this.config.driver.id);
      this.notifyClientIf(k);
    }
  }
}
