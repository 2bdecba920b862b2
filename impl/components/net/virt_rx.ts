// net virt_rx (reference sddf-protocols.md §3.4; upstream network/components/virt_rx.c at 650ace5d):
// R1 rx_return demultiplexes received frames by destination MAC (first matching client, scanned in
// order), hands a broadcast frame to every client with a reference count, and returns frames for
// nobody to the driver; R2 rx_provide takes buffers back from the clients' copiers and returns a
// buffer to the driver once its count reaches 0. notified(any) = rx_return(); rx_provide().
//
// Broadcast follows the second scheme of LionsOS §4.1.4 (refcount the driver buffer, one copy per
// client; docs/adr/016-net-components.md says why). The counts live in the virt metadata region,
// one u8 per Rx DMA buffer, as upstream; being shared memory they survive a restart.
//
// U15 hardened: a buffer returned with a bad offset or a zero count is refused and counted, never
// asserted (upstream only asserts, so a release build underflows the u8 count or frees a buffer
// still held by other broadcast recipients). `bugs: ['U15']` restores the unchecked release build.

import { assert } from '../../../spec/common/assert.ts';
import { NET_BUFFER_SIZE_BYTES } from '../../../spec/queue/net.ts';
import { netBuffersInit, newNetDescParts, type NetQueueHandle } from '../../queue/net.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import { hasRoom, offsetOf, openConnection, validOffset, type NetVirtRxConfig } from './config.ts';
import { Counters } from './counters.ts';

export const VIRT_RX_COUNTERS = [
  'received',
  'unicast',
  'broadcast',
  'unmatched',
  'runt',
  'toDriver',
  'rejectedOffset',
  'rejectedRefcount',
  'badDriverBuffer',
  'refsNonZero',
  'clientActiveFull',
  'cacheInvalidates',
] as const;
export type VirtRxCounter = (typeof VIRT_RX_COUNTERS)[number];

/** Smallest frame with a destination MAC to demultiplex on: an Ethernet header. */
const ETH_HEADER_BYTES = 14;
const BROADCAST_ID = -2;

export interface VirtRxOptions {
  /** `U15`: release-build rx_provide, no checks on returned buffers (the u8 count wraps). */
  readonly bugs?: readonly 'U15'[];
}

/** Private state (virt_rx.c globals); `buffer_refs` is shared memory (the metadata region). */
export interface VirtRxState {
  notify_drv: boolean;
  readonly buffer_refs: Uint8Array;
}

/** `cache_clean_and_invalidate(start, end)`: a counted hook (Rx DMA is mapped read-only here). */
export type InvalidateHook = (api: MicrokitApi, vaddr: number, lengthBytes: number) => void;

export function virtRxComponent(ctx: ComponentContext): Component {
  const v = new VirtRx(ctx);
  const probe = ctx.params['probe'];
  if (typeof probe === 'function') (probe as (s: unknown) => void)(v.state);
  return { init: () => v.init(), notified: () => v.notified() };
}

export class VirtRx {
  readonly state: VirtRxState;
  private readonly api: MicrokitApi;
  private readonly config: NetVirtRxConfig;
  private readonly drv: NetQueueHandle;
  private readonly clients: NetQueueHandle[];
  /** Per client, its MACs as (bytes 0..3 little-endian u32, bytes 4..5 u16) for two loads. */
  private readonly macs: { hi: number; lo: number }[][];
  private readonly numBuffers: number;
  private readonly ioLow: number;
  private readonly u15: boolean;
  private readonly restarts: number;
  private readonly invalidate: InvalidateHook;
  private readonly c: Counters<VirtRxCounter>;
  private readonly parts = newNetDescParts();
  private readonly notifyClients: boolean[];

  constructor(ctx: ComponentContext) {
    this.api = ctx.api;
    this.config = ctx.params['config'] as NetVirtRxConfig;
    const options = (ctx.params['options'] ?? {}) as VirtRxOptions;
    this.u15 = options.bugs?.includes('U15') ?? false;
    this.restarts = ctx.restarts ?? 0;
    this.c = new Counters(VIRT_RX_COUNTERS, ctx.params['counters']);
    this.invalidate = (ctx.params['cacheInvalidate'] as InvalidateHook | undefined) ?? (() => {});
    const cfg = this.config;
    this.drv = openConnection(this.api, cfg.driver);
    this.clients = cfg.clients.map((cl) => openConnection(this.api, cl.conn));
    this.numBuffers = cfg.driver.numBuffers;
    assert(
      cfg.data.sizeBytes >= this.numBuffers * NET_BUFFER_SIZE_BYTES &&
        cfg.bufferMetadata.sizeBytes >= this.numBuffers,
      'the Rx DMA and metadata regions hold every buffer',
    );
    // The driver-side I/O addresses are below 2^53 (checked in config derivation), and the
    // region is 2 KiB aligned, so offsets are plain numbers.
    assert(cfg.data.ioAddr < 1n << 52n, 'Rx DMA I/O address below 2^52');
    this.ioLow = Number(cfg.data.ioAddr);
    this.macs = cfg.clients.map((cl) =>
      cl.macAddrs.map((m) => ({
        hi: (m[0]! | (m[1]! << 8) | (m[2]! << 16) | (m[3]! << 24)) >>> 0,
        lo: m[4]! | (m[5]! << 8),
      })),
    );
    const refs = this.api.mem.sharedWindow(cfg.bufferMetadata.vaddr, this.numBuffers, 1);
    this.state = {
      notify_drv: false,
      buffer_refs: new Uint8Array(refs.buffer, refs.byteOffset, this.numBuffers),
    };
    this.notifyClients = new Array<boolean>(cfg.clients.length).fill(false);
  }

  init(): void {
    if (this.restarts === 0) {
      netBuffersInit(this.drv, this.config.data.ioAddr);
      this.state.notify_drv = true;
    } else {
      // Restart: queues and counts are shared memory and intact. Catch up on both directions;
      // the lost notify_drv is re-raised so the driver hears about any buffers we return.
      this.rxReturn();
      this.rxProvide();
      this.state.notify_drv = true;
    }
    this.notifyDriver();
  }

  notified(): void {
    this.rxReturn();
    this.rxProvide();
  }

  /** `get_mac_addr_match`: the first client owning the destination MAC, broadcast, or -1. */
  private match(vaddr: number): number {
    const hi = this.api.mem.read32(vaddr);
    const lo = this.api.mem.read16(vaddr + 4);
    for (let c = 0; c < this.macs.length; c++) {
      for (const m of this.macs[c]!) if (m.hi === hi && m.lo === lo) return c;
    }
    return hi === 0xffff_ffff && lo === 0xffff ? BROADCAST_ID : -1;
  }

  private toDriver(offset: number): void {
    const io = this.ioLow + offset;
    const ok = this.drv.free.enqueueParts(io >>> 0, Math.floor(io / 0x1_0000_0000) >>> 0, 0, 0);
    // In the U15 release build duplicates can overfill it; C's `assert(!err)` is compiled out.
    assert(
      ok || this.u15,
      'the driver Rx free queue holds every Rx DMA buffer (capacity discipline)',
    );
    this.state.notify_drv = true;
    this.c.inc('toDriver');
  }

  private deliver(client: number, offset: number, len: number): boolean {
    const q = this.clients[client]!.active;
    if (!hasRoom(q) || !q.enqueueParts(offset, 0, len, 0)) {
      // Cannot happen with sdfgen's sizing (copier queues hold every Rx buffer); counted if it does.
      this.c.inc('clientActiveFull');
      return false;
    }
    this.notifyClients[client] = true;
    return true;
  }

  /** R1. */
  rxReturn(): void {
    const drvActive = this.drv.active;
    const b = this.parts;
    const refs = this.state.buffer_refs;
    const data = this.config.data;
    this.notifyClients.fill(false);
    const limit = 2 * this.drv.capacity;
    // Re-check rounds uncapped (virt_rx.c has no cap; a cap of 4 was a lost wakeup when the driver
    // enqueued inside each re-check window, ADR 019): a round goes on only after taking an entry,
    // and entries per pass are bounded by `limit`.
    for (let n = 0; ;) {
      for (; n < limit && drvActive.dequeueInto(b); n++) {
        this.c.inc('received');
        const offset = offsetOf(b.ioLow, b.ioHigh) - this.ioLow;
        if (!validOffset(offset, this.numBuffers)) {
          // Not one of our buffers: nowhere to return it. The driver is trusted; count it.
          this.c.inc('badDriverBuffer');
          continue;
        }
        const ref = offset / NET_BUFFER_SIZE_BYTES;
        if (refs[ref] !== 0) {
          // Clients still hold this buffer: the descriptor is a duplicate. Upstream asserts.
          this.c.inc('refsNonZero');
          continue;
        }
        if (b.len < ETH_HEADER_BYTES || b.len > NET_BUFFER_SIZE_BYTES) {
          this.c.inc('runt');
          this.toDriver(offset);
          continue;
        }
        const vaddr = data.vaddr + offset;
        // Invalidate after the DMA write so no stale line is read (upstream: clean+invalidate).
        this.invalidate(this.api, vaddr, b.len);
        this.c.inc('cacheInvalidates');
        const client = this.match(vaddr);
        if (client === BROADCAST_ID) {
          this.c.inc('broadcast');
          let holders = 0;
          for (let i = 0; i < this.clients.length; i++) {
            if (this.deliver(i, offset, b.len)) holders++;
          }
          refs[ref] = holders;
          if (holders === 0) this.toDriver(offset);
        } else if (client >= 0) {
          this.c.inc('unicast');
          if (this.deliver(client, offset, b.len)) refs[ref] = 1;
          else this.toDriver(offset);
        } else {
          this.c.inc('unmatched');
          this.toDriver(offset);
        }
      }
      drvActive.requestSignal();
      if (drvActive.empty() || n >= limit) break;
      drvActive.cancelSignal();
    }
    for (let c = 0; c < this.clients.length; c++) {
      const q = this.clients[c]!.active;
      if (this.notifyClients[c] && q.requireSignal()) {
        q.cancelSignal();
        this.api.notify(this.config.clients[c]!.conn.id);
      }
    }
  }

  /** R2. */
  rxProvide(): void {
    const b = this.parts;
    const refs = this.state.buffer_refs;
    for (let c = 0; c < this.clients.length; c++) {
      const free = this.clients[c]!.free;
      const limit = 2 * free.capacity;
      // Uncapped re-check rounds, as rxReturn's: each round that goes on took an entry.
      for (let n = 0; ;) {
        for (; n < limit && free.dequeueInto(b); n++) {
          const offset = offsetOf(b.ioLow, b.ioHigh);
          if (this.u15) {
            // Release build: the asserts are gone. The count is a u8 and wraps.
            const ref = Math.floor(offset / NET_BUFFER_SIZE_BYTES);
            refs[ref] = (refs[ref]! - 1) & 0xff;
            if (refs[ref] === 0) this.toDriver(offset);
            continue;
          }
          if (!validOffset(offset, this.numBuffers)) {
            this.c.inc('rejectedOffset');
            continue;
          }
          const ref = offset / NET_BUFFER_SIZE_BYTES;
          if (refs[ref] === 0) {
            // Returned by a client that does not hold it (a double return): refusing keeps the
            // buffer with whoever really holds it.
            this.c.inc('rejectedRefcount');
            continue;
          }
          refs[ref] = refs[ref]! - 1;
          // Rx DMA is mapped read-only in every client-side PD, so no cache clean is needed here.
          if (refs[ref] === 0) this.toDriver(offset);
        }
        free.requestSignal();
        if (free.empty() || n >= limit) break;
        free.cancelSignal();
      }
    }
    this.notifyDriver();
  }

  private notifyDriver(): void {
    const f = this.drv.free;
    if (this.state.notify_drv && f.requireSignal()) {
      f.cancelSignal();
      this.api.deferredNotify(this.config.driver.id);
      this.state.notify_drv = false;
    }
  }
}
