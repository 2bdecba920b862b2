// net virt_tx (reference sddf-protocols.md §3.3; upstream network/components/virt_tx.c at 650ace5d):
// T1 tx_provide moves client Tx buffers to the driver, translating each client offset to an I/O
// address after validating it (len, oid, alignment, bounds) and cleaning the cache over it; T2
// tx_return gives the driver's freed buffers back to the client whose region holds them.
// notified(any) = tx_return(); tx_provide(). init = tx_provide().
//
// Hardened against an untrusted client (upstream asserts instead; catalogue O2, O3):
//  - every enqueue is checked first: nothing is ever enqueued past a queue's capacity;
//  - a buffer the client already has in flight is refused (a per-client in-flight bitmap), so a
//    client repeating a descriptor cannot make the driver queue exceed Σ client buffers (O2);
//  - work per client per pass is bounded: by the policy's budget (default: the queue capacity),
//    by MAX_REFUSALS_PER_PASS refusals, and a queue whose indices claim more than its capacity (O3)
//    is not served that pass; every refusal is counted, never fatal.
// The transmit policy (order, admission) is a module: tx_policy.ts.

import { assert } from '../../../spec/common/assert.ts';
import { NET_BUFFER_SIZE_BYTES, netQueueSizeBytes } from '../../../spec/queue/net.ts';
import { newNetDescParts, type NetQueueHandle } from '../../queue/net.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import { SystemCounter } from './clock.ts';
import { hasRoom, offsetOf, openConnection, validOffset, type NetVirtTxConfig } from './config.ts';
import { Counters } from './counters.ts';
import { makeTxPolicy, type TxPolicy, type TxPolicySpec } from './tx_policy.ts';

/**
 * Descriptors of one client refused in one pass before the rest of its pass is forfeit. An honest
 * client is never refused; this bounds what a lying one costs per notification.
 */
export const MAX_REFUSALS_PER_PASS = 32;

export const VIRT_TX_COUNTERS = [
  'forwarded',
  'returned',
  'rejectedLen',
  'rejectedOid',
  'rejectedOffset',
  'rejectedDuplicate',
  'clientFreeFull',
  'driverActiveFull',
  'unknownReturn',
  'throttled',
  'corruptQueue',
  'cacheCleans',
  'cacheCleanBytes',
] as const;
export type VirtTxCounter = (typeof VIRT_TX_COUNTERS)[number];

export interface VirtTxOptions {
  readonly policy?: TxPolicySpec;
}

/** `cache_clean(start, end)`: here a hook, counted, that checks the range is mapped. */
export type CacheHook = (api: MicrokitApi, vaddr: number, lengthBytes: number) => void;

/** Private state (virt_tx.c `state_t` plus the hardening's in-flight bitmaps). */
export interface VirtTxState {
  /** Per client: 1 where that buffer is with the driver (or the device). */
  readonly inflight: Uint8Array[];
}

export function virtTxComponent(ctx: ComponentContext): Component {
  const v = new VirtTx(ctx);
  const probe = ctx.params['probe'];
  if (typeof probe === 'function') (probe as (s: unknown) => void)(v.state);
  return { init: () => v.init(), notified: () => v.notified() };
}

export class VirtTx {
  readonly state: VirtTxState;
  private readonly api: MicrokitApi;
  private readonly config: NetVirtTxConfig;
  private readonly drv: NetQueueHandle;
  private readonly clients: NetQueueHandle[];
  /** Per client, a u16 view of its TxA queue MR: the policy peeks the next packet's length. */
  private readonly activeU16: Uint16Array[];
  private readonly policy: TxPolicy;
  private readonly counter: SystemCounter | null;
  private readonly c: Counters<VirtTxCounter>;
  private readonly cache: CacheHook;
  private readonly parts = newNetDescParts();
  private readonly notifyClients: boolean[];
  private readonly throttled: boolean[];
  /** Per client, packets it may still send (or have refused) this pass. */
  private readonly budget: number[];
  private readonly refusals: number[];
  /** Per client and region, the region's I/O address as a number. */
  private readonly ioBase: number[][];

  constructor(ctx: ComponentContext) {
    this.api = ctx.api;
    this.config = ctx.params['config'] as NetVirtTxConfig;
    const options = (ctx.params['options'] ?? {}) as VirtTxOptions;
    this.c = new Counters(VIRT_TX_COUNTERS, ctx.params['counters']);
    const counter = ctx.params['systemCounter'];
    this.counter = counter instanceof SharedArrayBuffer ? new SystemCounter(counter) : null;
    this.cache = (ctx.params['cacheClean'] as CacheHook | undefined) ?? checkedCacheClean;
    this.drv = openConnection(this.api, this.config.driver);
    this.clients = this.config.clients.map((cl) => openConnection(this.api, cl.conn));
    this.activeU16 = this.config.clients.map((cl) => {
      const w = this.api.mem.sharedWindow(
        cl.conn.active.vaddr,
        netQueueSizeBytes(cl.conn.numBuffers),
        8,
      );
      return new Uint16Array(w.buffer, w.byteOffset, w.lengthBytes >> 1);
    });
    const n = this.config.clients.length;
    this.policy = makeTxPolicy(options.policy ?? { kind: 'priority' }, n);
    assert(
      this.policy.kind !== 'bandwidth' || this.counter !== null,
      'the bandwidth policy reads the system counter',
    );
    this.state = {
      inflight: this.config.clients.map((cl) => {
        const total = cl.regions.reduce((s, r) => s + r.numBuffers, 0);
        return new Uint8Array(total);
      }),
    };
    this.notifyClients = new Array<boolean>(n).fill(false);
    this.throttled = new Array<boolean>(n).fill(false);
    this.ioBase = this.config.clients.map((cl) =>
      cl.regions.map((r) => {
        assert(r.data.ioAddr < 1n << 52n, 'client Tx regions lie below 2^52 in I/O space');
        return Number(r.data.ioAddr);
      }),
    );
    this.budget = new Array<number>(n).fill(0);
    this.refusals = new Array<number>(n).fill(0);
  }

  init(): void {
    // A restarted virt_tx finds its queues as they were (shared memory); only the in-flight
    // bitmaps start empty, which costs the duplicate check nothing for honest clients.
    this.txProvide();
  }

  notified(): void {
    this.txReturn();
    this.txProvide();
  }

  private nowNs(): number {
    return this.counter === null ? 0 : this.counter.nowNs();
  }

  /** Length of the next descriptor in the client's TxA, read without dequeuing it. */
  private peekLen(client: number): number {
    const w = this.activeU16[client]!;
    const head = Atomics.load(w, 1);
    const cap = this.config.clients[client]!.conn.numBuffers;
    // Descriptor `head % cap` starts at byte 8 + 16*slot; len is its u16 at +8.
    return w[(8 + 16 * (head % cap) + 8) >> 1]!;
  }

  /** T1. */
  txProvide(): void {
    const now = this.nowNs();
    const order = this.policy.startPass(now);
    const before = this.c.get('forwarded');
    this.throttled.fill(false);
    this.notifyClients.fill(false);
    for (let c = 0; c < this.clients.length; c++) {
      this.budget[c] = Math.min(this.policy.budget, this.clients[c]!.capacity);
      this.refusals[c] = MAX_REFUSALS_PER_PASS;
      // A queue claiming more entries than it can hold was written by a misbehaving client: its
      // descriptors are not trusted this pass (it can notify again; it cannot make us spin).
      if (this.clients[c]!.active.length() > this.clients[c]!.capacity) {
        this.c.inc('corruptQueue');
        this.budget[c] = 0;
      }
    }
    if (this.policy.mode === 'drain') {
      for (const client of order) this.serveClient(client, now);
    } else {
      // Interleave: one packet per client per round; bounded by the budgets.
      for (let progress = true; progress;) {
        progress = false;
        for (const client of order) progress = this.serveOne(client, now) || progress;
      }
    }
    for (const client of order) this.armClient(client, now);
    if (this.c.get('forwarded') > before && this.drv.active.requireSignal()) {
      this.drv.active.cancelSignal();
      this.api.deferredNotify(this.config.driver.id);
    }
    // Refused buffers went back to their clients (upstream returns them without a signal).
    this.notifyFreed();
  }

  private notifyFreed(): void {
    for (let c = 0; c < this.clients.length; c++) {
      const free = this.clients[c]!.free;
      if (this.notifyClients[c] && free.requireSignal()) {
        free.cancelSignal();
        this.api.notify(this.config.clients[c]!.conn.id);
      }
    }
  }

  /**
   * Request a signal on the client's TxA, then re-check: work that arrived meanwhile is served
   * (within the client's budget for this pass). A client with budget left never sleeps on a
   * non-empty queue; one without it sleeps armed and is served on its next notification.
   */
  private armClient(client: number, now: number): void {
    const q = this.clients[client]!.active;
    // Bounded: each round serves at least one packet from the budget, or returns.
    for (;;) {
      q.requestSignal();
      if (q.empty() || this.throttled[client] || this.budget[client]! <= 0) return;
      q.cancelSignal();
      if (!this.serveClient(client, now)) {
        q.requestSignal();
        return;
      }
    }
  }

  /** Drain the client while it has work and budget this pass. */
  private serveClient(client: number, now: number): boolean {
    let any = false;
    while (this.serveOne(client, now)) any = true;
    return any;
  }

  /**
   * One descriptor from the client: forwarded or refused (true: work was done, budget spent), or
   * nothing to do, no budget, not admitted, driver queue full (false).
   */
  private serveOne(client: number, now: number): boolean {
    const cq = this.clients[client]!;
    if (this.budget[client]! <= 0 || cq.active.empty()) return false;
    if (this.drv.active.full()) {
      this.c.inc('driverActiveFull');
      return false;
    }
    if (this.policy.kind === 'bandwidth' && !this.policy.admit(client, this.peekLen(client), now)) {
      this.throttled[client] = true;
      this.c.inc('throttled');
      return false;
    }
    const b = this.parts;
    if (!cq.active.dequeueInto(b)) return false;
    this.budget[client]!--;
    const cfg = this.config.clients[client]!;
    if (b.len === 0 || b.len > NET_BUFFER_SIZE_BYTES) return this.refuse(client, 'rejectedLen');
    const region = cfg.regions[b.oid];
    if (region === undefined) return this.refuse(client, 'rejectedOid');
    const offset = offsetOf(b.ioLow, b.ioHigh);
    if (!validOffset(offset, region.numBuffers)) return this.refuse(client, 'rejectedOffset');
    const bit = this.bufferIndex(client, b.oid, offset);
    const inflight = this.state.inflight[client]!;
    if (inflight[bit] === 1) {
      // Already with the driver: forwarding it again would put one buffer in two places, and
      // returning it would give the client a second copy. Drop the descriptor, count it.
      this.c.inc('rejectedDuplicate');
      return this.spendRefusal(client);
    }
    this.cache(this.api, region.data.vaddr + offset, b.len);
    this.c.inc('cacheCleans');
    this.c.inc('cacheCleanBytes', b.len);
    // I/O addresses are below 2^52 (checked at construction): plain numbers, no bigint per packet.
    const io = this.ioBase[client]![b.oid]! + offset;
    const hi = Math.floor(io / 0x1_0000_0000);
    const ok = this.drv.active.enqueueParts(io - hi * 0x1_0000_0000, hi, b.len, 0);
    assert(ok, 'the driver queue was not full a moment ago and only virt_tx produces into it');
    inflight[bit] = 1;
    this.c.inc('forwarded');
    return true;
  }

  /** An honest client is never refused; one that keeps lying loses the rest of its pass. */
  private spendRefusal(client: number): boolean {
    if (--this.refusals[client]! <= 0) this.budget[client] = 0;
    return true;
  }

  /** Give a refused buffer back to its client (upstream logs and returns it the same way). */
  private refuse(client: number, why: VirtTxCounter): boolean {
    this.c.inc(why);
    const b = this.parts;
    const free = this.clients[client]!.free;
    if (hasRoom(free) && free.enqueueParts(b.ioLow, b.ioHigh, 0, b.oid)) {
      this.notifyClients[client] = true;
    } else {
      this.c.inc('clientFreeFull');
    }
    return this.spendRefusal(client);
  }

  private bufferIndex(client: number, oid: number, offset: number): number {
    let base = 0;
    const regions = this.config.clients[client]!.regions;
    for (let r = 0; r < oid; r++) base += regions[r]!.numBuffers;
    return base + offset / NET_BUFFER_SIZE_BYTES;
  }

  /** `extract_offset`: which client and region hold this I/O address, and the offset in it. */
  private extract(io: number): { client: number; oid: number; offset: number } | null {
    const clients = this.config.clients;
    for (let c = 0; c < clients.length; c++) {
      const regions = clients[c]!.regions;
      const bases = this.ioBase[c]!;
      for (let oid = 0; oid < regions.length; oid++) {
        const base = bases[oid]!;
        if (io >= base && io < base + regions[oid]!.numBuffers * NET_BUFFER_SIZE_BYTES) {
          return { client: c, oid, offset: io - base };
        }
      }
    }
    return null;
  }

  /** T2. */
  txReturn(): void {
    const drvFree = this.drv.free;
    const b = this.parts;
    this.notifyClients.fill(false);
    const limit = 2 * this.drv.capacity;
    // Re-check rounds uncapped (virt_tx.c has none; a cap of 4 was a lost wakeup when the driver
    // returned buffers inside each re-check window, ADR 019): a round goes on only after taking
    // an entry, and entries per pass are bounded by `limit`.
    for (let n = 0; ;) {
      for (; n < limit && drvFree.dequeueInto(b); n++) {
        const where = this.extract(b.ioHigh * 0x1_0000_0000 + b.ioLow);
        if (where === null || where.offset % NET_BUFFER_SIZE_BYTES !== 0) {
          // Upstream asserts; a buffer nobody owns cannot be returned anywhere.
          this.c.inc('unknownReturn');
          continue;
        }
        this.state.inflight[where.client]![
          this.bufferIndex(where.client, where.oid, where.offset)
        ] = 0;
        const free = this.clients[where.client]!.free;
        if (hasRoom(free) && free.enqueueParts(where.offset, 0, 0, where.oid)) {
          this.notifyClients[where.client] = true;
          this.c.inc('returned');
        } else {
          // Only a client that corrupted its own free queue gets here; it loses its own buffer.
          this.c.inc('clientFreeFull');
        }
      }
      drvFree.requestSignal();
      if (drvFree.empty() || n >= limit) break;
      drvFree.cancelSignal();
    }
    this.notifyFreed();
  }
}

/** The cache clean of a Tx buffer before DMA: must lie in a mapped, readable client region. */
export function checkedCacheClean(api: MicrokitApi, vaddr: number, lengthBytes: number): void {
  const fault = api.mem.check(vaddr, lengthBytes, 'read');
  assert(
    fault === null,
    () => `cache_clean of [0x${vaddr.toString(16)}, +${lengthBytes}) is mapped`,
  );
}
