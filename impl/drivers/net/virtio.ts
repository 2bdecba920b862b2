// The sDDF virtio-net driver as a PD (reference sddf-protocols.md §3.2 "virtio-net driver", §5.1;
// upstream drivers/network/virtio/common/ethernet.c at 650ace5d): four handlers in C order,
// rx_provide, rx_return, tx_provide, tx_return; on the IRQ, tx_return then tx_provide then
// rx_return (the tx_provide after tx_return is essential: bug catalogue F4). Each packet takes two
// descriptors from an index allocator: a virtio-net header slot in the hw ring region, then the
// sDDF buffer (its I/O address: the driver maps no data region, design doc D1).
//
// Where we differ from upstream, on purpose (each has a switch that restores upstream):
//  - Feature negotiation as VIRTIO 1.2 §3.1.1 requires: status ACKNOWLEDGE, then DRIVER, then the
//    accepted subset of the *offered* features written as masks, FEATURES_OK and a re-read, then the
//    queues, then DRIVER_OK; nothing is made available or notified before DRIVER_OK. Upstream writes
//    bit indices as masks (U10: `negotiation: 'U10'`) and provides buffers before DRIVER_OK.
//  - The header length is the one negotiated (12 bytes with VERSION_1, §5.1.6); upstream's
//    sizeof(virtio_net_hdr_t) is 10 (`header: 'fixed10'`).
//  - Every descriptor index has its own header slot; upstream sizes each header area for num/2
//    and indexes by descriptor index (U11: `headerSlots: 'U11'`).
//  - Interrupts are suppressed (avail.flags NO_INTERRUPT, §2.7.7) while a handler works and
//    re-enabled at its end, then the used rings are re-checked: a completion published while
//    suppressed raised nothing (`recheck: false` removes the re-check).
//  - The used heads and both index allocators live in the hw ring region, so a restarted driver
//    (or one whose device asked for a reset) reclaims the buffers the device held.
//  - Optional watchdog (meta.py gives the rpi4b driver a timer channel too): recovers a lost IRQ
//    or a lost notification on the driver's channels.

import { assert } from '../../../spec/common/assert.ts';
import { u16 } from '../../../spec/common/int.ts';
import { NET_BUFFER_SIZE_BYTES } from '../../../spec/queue/net.ts';
import {
  DescFlag,
  DeviceId,
  Feature,
  Interrupt,
  Reg,
  Status,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
} from '../../hw/virtio/constants.ts';
import { newNetDescParts, type NetQueueHandle } from '../../queue/net.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import { Counters } from '../../components/net/counters.ts';
import { openConnection, type NetDriverConfig } from '../../components/net/config.ts';
import { timerSetTimeout } from '../../clients/timer.ts';
import { Ialloc, iallocWords } from './ialloc.ts';
import {
  DRIVER_META_MAGIC,
  Meta,
  VIRTIO_NET_MAX_QUEUE_NUM,
  driverLayout,
  findDriverMetadata,
  inflightBuffers,
  type DriverLayout,
  type HeaderSlots,
  type VirtqLayout,
} from './layout.ts';

export const VIRTIO_NET_RX_QUEUE = 0;
export const VIRTIO_NET_TX_QUEUE = 1;
/** `sizeof(virtio_net_hdr_t)` upstream (no num_buffers): right only without VERSION_1. */
export const VIRTIO_NET_HDR_LEGACY_BYTES = 10;
/** With VERSION_1 or MRG_RXBUF the header carries num_buffers (virtio 1.2 §5.1.6). */
export const VIRTIO_NET_HDR_BYTES = 12;
/** Upstream's bit *indices*, which U10 writes as if they were masks. */
const VIRTIO_NET_F_MAC_INDEX = 5;
const VIRTIO_F_VERSION_1_INDEX = 32;
/** Bound on the re-enable/re-check rounds of one wake (each round does real work). */
const MAX_RECHECK_ROUNDS = 64;
/** Bound on device resets the driver attempts (a device that keeps failing stays down). */
const MAX_DEVICE_RESETS = 16;

export interface VirtioNetDriverOptions {
  /** `spec` (default) negotiates as VIRTIO 1.2 requires; `U10` writes bit indices as masks. */
  readonly negotiation?: 'spec' | 'U10';
  /** `negotiated` (default): 12 bytes with VERSION_1, else 10; `fixed10`: always 10 (upstream). */
  readonly header?: 'negotiated' | 'fixed10';
  readonly headerSlots?: HeaderSlots;
  /** F5 when false: rx_provide adds buffers but never writes QueueNotify. */
  readonly rxNotify?: boolean;
  /** F19 when `size_t`: the used head is compared with the u16 used.idx without wrapping. */
  readonly usedHeadWidth?: 'u16' | 'size_t';
  /** Re-check used rings after re-enabling interrupts, and queues after request_signal (default). */
  readonly recheck?: boolean;
  /** Refill the receive ring in the IRQ path after rx_return (default; false: upstream). */
  readonly irqRxProvide?: boolean;
  /** Read the MAC from config space with 8-bit accesses (§4.2.2.2) when MAC was negotiated. */
  readonly readMac?: boolean;
  /** Watchdog period over the timer channel; 0 or absent: none (upstream). */
  readonly watchdogNs?: number;
}

export const DRIVER_COUNTERS = [
  'rxPosted',
  'rxReturned',
  'txPosted',
  'txReturned',
  'irqs',
  'configIrqs',
  'deviceResets',
  'negotiationFailed',
  'deviceErrors',
  'badTxLength',
  'badRxLength',
  'recoveredRx',
  'recoveredTx',
  'recoveryFailed',
  'watchdogTicks',
  'unexpectedChannel',
] as const;
export type DriverCounter = (typeof DRIVER_COUNTERS)[number];

/** One split virtqueue as the driver sees it (`struct virtq` + used_head). */
interface Virtq {
  readonly index: number;
  readonly l: VirtqLayout;
  readonly ialloc: Ialloc;
  /** Private copy of the used head (write-through to metadata for the u16 case). */
  usedHead: number;
}

/** The driver's private state, by its sDDF/virtio names (a later abstraction function reads it). */
export interface VirtioNetDriverState {
  live: boolean;
  features: bigint;
  hdrLen: number;
  layout: DriverLayout | null;
  rx_virtq: Virtq | null;
  tx_virtq: Virtq | null;
  resets: number;
  mac: number[] | null;
}

export function virtioNetDriver(ctx: ComponentContext): Component {
  const { api } = ctx;
  const config = ctx.params['config'] as NetDriverConfig;
  const options = (ctx.params['options'] ?? {}) as VirtioNetDriverOptions;
  const counters = new Counters(DRIVER_COUNTERS, ctx.params['counters']);
  const d = new VirtioNetDriver(api, config, options, counters, ctx.restarts ?? 0);
  const probe = ctx.params['probe'];
  if (typeof probe === 'function') (probe as (s: unknown) => void)(d.state);
  return {
    init: () => d.init(),
    notified: (ch) => d.notified(ch),
  };
}

export class VirtioNetDriver {
  readonly state: VirtioNetDriverState = {
    live: false,
    features: 0n,
    hdrLen: VIRTIO_NET_HDR_LEGACY_BYTES,
    layout: null,
    rx_virtq: null,
    tx_virtq: null,
    resets: 0,
    mac: null,
  };
  private readonly rxQueue: NetQueueHandle;
  private readonly txQueue: NetQueueHandle;
  private readonly ring: DataView;
  private readonly ringU8: Uint8Array;
  private readonly ringU16: Uint16Array;
  private readonly ringU32: Uint32Array;
  private readonly parts = newNetDescParts();
  private readonly c: Counters<DriverCounter>;
  /** The hw ring region's I/O address as a number (checked below 2^52 at construction). */
  private readonly ringIo: number;

  constructor(
    private readonly api: MicrokitApi,
    private readonly config: NetDriverConfig,
    private readonly options: VirtioNetDriverOptions,
    counters: Counters<DriverCounter>,
    private readonly restarts: number,
  ) {
    this.c = counters;
    this.rxQueue = openConnection(api, config.virtRx);
    this.txQueue = openConnection(api, config.virtTx);
    const w = api.mem.sharedWindow(config.hwRing.vaddr, config.hwRing.sizeBytes, 16);
    this.ring = new DataView(w.buffer, w.byteOffset, w.lengthBytes);
    this.ringU8 = new Uint8Array(w.buffer, w.byteOffset, w.lengthBytes);
    this.ringU16 = new Uint16Array(w.buffer, w.byteOffset, w.lengthBytes >> 1);
    this.ringU32 = new Uint32Array(w.buffer, w.byteOffset, w.lengthBytes >> 2);
    assert(config.hwRing.ioAddr < 1n << 52n, 'the hw ring I/O address is below 2^52');
    this.ringIo = Number(config.hwRing.ioAddr);
  }

  // ---- entry points -------------------------------------------------------------------------

  init(): void {
    // On a restart the previous instance's metadata says which buffers the device holds.
    const reclaimed = this.restarts > 0 ? this.reclaim() : { rx: [], tx: [] };
    this.setup(reclaimed);
    // Upstream acks the IRQ at init; a restarted driver must, too, if it crashed with one pending.
    this.api.irqAck(this.config.irqId);
    this.armWatchdog();
  }

  notified(ch: number): void {
    const cfg = this.config;
    if (ch === cfg.irqId) {
      this.c.inc('irqs');
      this.withInterruptsSuppressed(() => this.handleIrq());
      this.api.deferredIrqAck(ch);
    } else if (ch === cfg.virtRx.id) {
      this.withInterruptsSuppressed(() => this.rxProvide());
    } else if (ch === cfg.virtTx.id) {
      this.withInterruptsSuppressed(() => this.txProvide());
    } else if (cfg.timerId !== undefined && ch === cfg.timerId) {
      this.watchdog();
    } else {
      this.c.inc('unexpectedChannel');
    }
  }

  // ---- device set-up (virtio 1.2 §3.1.1, §4.2.3) --------------------------------------------

  private reg(off: number): number {
    return this.api.mem.read32(this.config.regs.vaddr + off);
  }
  private setReg(off: number, v: number): void {
    this.api.mem.write32(this.config.regs.vaddr + off, v);
  }

  /** Reset, negotiate, set the queues up, DRIVER_OK, then hand the device its buffers. */
  private setup(reclaimed: { rx: bigint[]; tx: bigint[] }): void {
    const s = this.state;
    s.live = false;
    s.rx_virtq = null;
    s.tx_virtq = null;
    // A device that is not virtio-net v2 is a system description error: fail loudly.
    assert(this.reg(Reg.MagicValue) === VIRTIO_MMIO_MAGIC, 'virtio-mmio magic at the regs MR');
    assert(this.reg(Reg.Version) === VIRTIO_MMIO_VERSION, 'virtio-mmio version 2');
    assert(this.reg(Reg.DeviceId) === DeviceId.Net, 'device id 1 (network)');
    this.setReg(Reg.Status, 0);
    let status = Status.Acknowledge;
    this.setReg(Reg.Status, status);
    status |= Status.Driver;
    this.setReg(Reg.Status, status);
    const offered = this.deviceFeatures();
    this.writeDriverFeatures(offered);
    status |= Status.FeaturesOk;
    this.setReg(Reg.Status, status);
    // §3.1.1 step 6: re-read; a device that did not keep FEATURES_OK refused the subset.
    if ((this.reg(Reg.Status) & Status.FeaturesOk) === 0) {
      this.setReg(Reg.Status, status | Status.Failed);
      this.c.inc('negotiationFailed');
      this.dropReclaimed(reclaimed);
      return;
    }
    s.features = this.options.negotiation === 'U10' ? 0n : this.acceptedFeatures(offered);
    s.hdrLen =
      this.options.header === 'fixed10' ||
      (s.features & (Feature.Version1 | Feature.NetMrgRxbuf)) === 0n
        ? VIRTIO_NET_HDR_LEGACY_BYTES
        : VIRTIO_NET_HDR_BYTES;
    const num = Math.min(
      this.queueNumMax(VIRTIO_NET_RX_QUEUE),
      this.queueNumMax(VIRTIO_NET_TX_QUEUE),
      VIRTIO_NET_MAX_QUEUE_NUM,
    );
    const layout =
      num >= 2
        ? driverLayout({
            num,
            hdrBytes: s.hdrLen,
            headerSlots: this.options.headerSlots ?? 'per-descriptor',
            regionBytes: this.config.hwRing.sizeBytes,
          })
        : null;
    assert(layout !== null, () => `queues of ${num} descriptors fit the hw ring region`);
    s.layout = layout;
    // The rings start zeroed (§2.7: indices start at 0): a previous instance's rings and
    // metadata go (reclaim() has read them already).
    this.ringU8.fill(0);
    const metaWord = layout.metaOff >> 2;
    const rxIalloc = new Ialloc(
      this.ringU32.subarray(metaWord + Meta.ialloc, metaWord + Meta.ialloc + iallocWords(num)),
    );
    const txBase = metaWord + Meta.ialloc + iallocWords(num);
    const txIalloc = new Ialloc(this.ringU32.subarray(txBase, txBase + iallocWords(num)));
    rxIalloc.init(num);
    txIalloc.init(num);
    this.ringU32[metaWord + Meta.num] = num;
    this.ringU32[metaWord + Meta.rxUsedHead] = 0;
    this.ringU32[metaWord + Meta.txUsedHead] = 0;
    this.ringU32[metaWord + Meta.magic] = DRIVER_META_MAGIC;
    const rx: Virtq = { index: VIRTIO_NET_RX_QUEUE, l: layout.rx, ialloc: rxIalloc, usedHead: 0 };
    const tx: Virtq = { index: VIRTIO_NET_TX_QUEUE, l: layout.tx, ialloc: txIalloc, usedHead: 0 };
    if (!this.setupQueue(rx) || !this.setupQueue(tx)) {
      this.setReg(Reg.Status, status | Status.Failed);
      this.c.inc('deviceErrors');
      this.dropReclaimed(reclaimed);
      return;
    }
    s.rx_virtq = rx;
    s.tx_virtq = tx;
    status |= Status.DriverOk;
    this.setReg(Reg.Status, status);
    s.live = true;
    if (this.options.readMac === true && (s.features & Feature.NetMac) !== 0n)
      s.mac = this.readMac();
    // Buffers only now: a driver MUST NOT notify before DRIVER_OK (§3.1.1).
    this.withInterruptsSuppressed(() => {
      this.repostRx(reclaimed.rx);
      this.returnTx(reclaimed.tx);
      this.rxProvide();
      this.txProvide();
    });
  }

  private deviceFeatures(): bigint {
    let f = 0n;
    for (let sel = 0; sel < 2; sel++) {
      this.setReg(Reg.DeviceFeaturesSel, sel);
      f |= BigInt(this.reg(Reg.DeviceFeatures)) << BigInt(32 * sel);
    }
    return f;
  }

  /** What we can drive: VERSION_1 (mandatory for a non-legacy device) and MAC, if offered. */
  private acceptedFeatures(offered: bigint): bigint {
    return offered & (Feature.Version1 | Feature.NetMac);
  }

  private writeDriverFeatures(offered: bigint): void {
    if (this.options.negotiation === 'U10') {
      // Upstream: set_driver_features(0, VIRTIO_NET_F_MAC); set_driver_features(1, VIRTIO_F_VERSION_1).
      this.setReg(Reg.DriverFeaturesSel, 0);
      this.setReg(Reg.DriverFeatures, VIRTIO_NET_F_MAC_INDEX);
      this.setReg(Reg.DriverFeaturesSel, 1);
      this.setReg(Reg.DriverFeatures, VIRTIO_F_VERSION_1_INDEX);
      return;
    }
    const accepted = this.acceptedFeatures(offered);
    for (let sel = 0; sel < 2; sel++) {
      this.setReg(Reg.DriverFeaturesSel, sel);
      this.setReg(Reg.DriverFeatures, Number((accepted >> BigInt(32 * sel)) & 0xffff_ffffn));
    }
  }

  private queueNumMax(q: number): number {
    this.setReg(Reg.QueueSel, q);
    return this.reg(Reg.QueueNumMax);
  }

  private setupQueue(q: Virtq): boolean {
    const io = this.config.hwRing.ioAddr;
    this.setReg(Reg.QueueSel, q.index);
    if (this.reg(Reg.QueueReady) !== 0) return false;
    this.setReg(Reg.QueueNum, q.l.num);
    const addrs: [number, number, bigint][] = [
      [Reg.QueueDescLow, Reg.QueueDescHigh, io + BigInt(q.l.descOff)],
      [Reg.QueueDriverLow, Reg.QueueDriverHigh, io + BigInt(q.l.availOff)],
      [Reg.QueueDeviceLow, Reg.QueueDeviceHigh, io + BigInt(q.l.usedOff)],
    ];
    for (const [lo, hi, a] of addrs) {
      this.setReg(lo, Number(a & 0xffff_ffffn));
      this.setReg(hi, Number(a >> 32n));
    }
    this.setReg(Reg.QueueReady, 1);
    return this.reg(Reg.QueueReady) === 1;
  }

  /** `u8 mac[6]` at config offset 0 with 8-bit accesses (§4.2.2.2: the field's own width). */
  private readMac(): number[] {
    const base = this.config.regs.vaddr + Reg.Config;
    return Array.from({ length: 6 }, (_, i) => this.api.mem.read8(base + i));
  }

  // ---- restart and reset: reclaim what the device held ------------------------------------

  /**
   * Buffers of chains the previous driver instance made available and never collected: the
   * allocated header descriptors of each index allocator point (`next`) at the buffer descriptor.
   * Read before the reset; the caller re-posts Rx buffers (the driver owns them) and returns Tx
   * buffers to virt_tx (their frames may not have been sent: at most those packets are lost).
   */
  private reclaim(): { rx: bigint[]; tx: bigint[] } {
    const meta = findDriverMetadata({
      ringU32: this.ringU32,
      regionBytes: this.config.hwRing.sizeBytes,
      headerSlots: this.options.headerSlots ?? 'per-descriptor',
    });
    if (meta === null) return { rx: [], tx: [] };
    const found = inflightBuffers({ ring: this.ring, ringU32: this.ringU32, meta });
    if (found.rx === null || found.tx === null) this.c.inc('recoveryFailed');
    const out = { rx: found.rx ?? [], tx: found.tx ?? [] };
    this.c.inc('recoveredRx', out.rx.length);
    this.c.inc('recoveredTx', out.tx.length);
    return out;
  }

  /** Device needs a reset (§2.1.2) or the driver gave up: reclaim, reset, set up again. */
  private resetDevice(): void {
    if (this.state.resets >= MAX_DEVICE_RESETS) {
      this.state.live = false;
      return;
    }
    this.state.resets++;
    this.c.inc('deviceResets');
    const reclaimed = this.reclaim();
    this.setup(reclaimed);
  }

  /** Reclaimed buffers that cannot go back to a working device: Tx to virt_tx, Rx as empty frames. */
  private dropReclaimed(reclaimed: { rx: bigint[]; tx: bigint[] }): void {
    this.returnTx(reclaimed.tx);
    // Rx buffers go up with len 0: virt_rx returns a frame shorter than a header to the driver.
    let sent = false;
    for (const io of reclaimed.rx) {
      sent = this.rxQueue.active.enqueue({ ioOrOffset: io, len: 0, oid: 0 }) || sent;
    }
    if (sent && this.rxQueue.active.requireSignal()) {
      this.rxQueue.active.cancelSignal();
      this.api.notify(this.config.virtRx.id);
    }
  }

  private repostRx(bufs: readonly bigint[]): void {
    const rx = this.state.rx_virtq;
    if (rx === null || bufs.length === 0) return;
    const left: bigint[] = [];
    for (const io of bufs) {
      if (!this.postRx(rx, Number(io & 0xffff_ffffn), Number(io >> 32n))) left.push(io);
    }
    // A device now offering fewer descriptors than before: the rest go up as empty frames.
    if (left.length > 0) this.dropReclaimed({ rx: left, tx: [] });
    if (this.options.rxNotify !== false) this.setReg(Reg.QueueNotify, VIRTIO_NET_RX_QUEUE);
  }

  private returnTx(bufs: readonly bigint[]): void {
    if (bufs.length === 0) return;
    for (const io of bufs) {
      const ok = this.txQueue.free.enqueue({ ioOrOffset: io, len: 0, oid: 0 });
      assert(ok, 'the Tx free queue holds every Tx buffer (capacity discipline, reference §2.1)');
    }
    if (this.txQueue.free.requireSignal()) {
      this.txQueue.free.cancelSignal();
      this.api.notify(this.config.virtTx.id);
    }
  }

  // ---- interrupts ---------------------------------------------------------------------------

  /**
   * Run `work` with used-buffer interrupts suppressed, then re-enable them and re-check the used
   * rings: a completion published while suppressed raised no interrupt (virtio 1.2 §2.7.7), so
   * without the re-check it would wait for the next unrelated interrupt.
   */
  private withInterruptsSuppressed(work: () => void): void {
    const s = this.state;
    if (!s.live || s.rx_virtq === null || s.tx_virtq === null) {
      work();
      return;
    }
    this.suppress(VIRTQ_AVAIL_F_NO_INTERRUPT);
    work();
    // Bounded: each round found completions and handled them. The queues are re-read every
    // round because work() may have reset the device (new virtqueues).
    for (let round = 0; round < MAX_RECHECK_ROUNDS && this.state.live; round++) {
      this.suppress(0);
      if (this.options.recheck === false) return;
      const rx = this.state.rx_virtq;
      const tx = this.state.tx_virtq;
      if (rx === null || tx === null || (!this.usedPending(rx) && !this.usedPending(tx))) return;
      this.suppress(VIRTQ_AVAIL_F_NO_INTERRUPT);
      this.completions();
    }
  }

  /**
   * The IRQ path: tx_return, tx_provide (F4), rx_return, and then rx_provide. Upstream's virtio
   * driver stops after rx_return and refills the receive ring only when virt_rx notifies it of
   * newly returned buffers; but the free queue holds more buffers than the ring (512 vs num/2), and
   * those already there were announced before the ring had room, so a burst can drain the ring
   * while the free queue is full, until virt_rx next returns something. The ENET driver refills in
   * its IRQ path (reference §3.2 D5); so does this one.
   * `irqRxProvide: false` restores upstream.
   */
  private completions(): void {
    this.txReturn();
    this.txProvide();
    this.rxReturn();
    if (this.options.irqRxProvide !== false) this.rxProvide();
  }

  private suppress(flags: number): void {
    const { rx_virtq: rx, tx_virtq: tx } = this.state;
    if (rx !== null) this.setAvailFlags(rx, flags);
    if (tx !== null) this.setAvailFlags(tx, flags);
  }

  private setAvailFlags(q: Virtq, flags: number): void {
    Atomics.store(this.ringU16, (q.l.availOff >> 1) + 0, flags);
  }

  private handleIrq(): void {
    const isr = this.reg(Reg.InterruptStatus);
    if ((isr & Interrupt.UsedBuffer) !== 0) {
      // Ack first, then handle: a completion after the ack raises the line again.
      this.setReg(Reg.InterruptAck, Interrupt.UsedBuffer);
      this.completions();
    }
    if ((isr & Interrupt.ConfigChange) !== 0) {
      // Upstream only logs it (and never acks, so the bit stays set). We ack, and a device that
      // needs a reset (a driver error or a DMA fault, §2.1.2) gets one.
      this.setReg(Reg.InterruptAck, Interrupt.ConfigChange);
      this.c.inc('configIrqs');
      if ((this.reg(Reg.Status) & Status.DeviceNeedsReset) !== 0) this.resetDevice();
    }
  }

  private armWatchdog(): void {
    const ns = this.options.watchdogNs ?? 0;
    if (ns > 0 && this.config.timerId !== undefined) {
      timerSetTimeout(this.api, this.config.timerId, BigInt(ns));
    }
  }

  /**
   * Watchdog tick: poll the device as if it had interrupted, refill both directions and kick both
   * virtualisers (a notification is idempotent and every virtualiser re-runs all its handlers on
   * any notification, so a kick recovers a notification that was lost on the way).
   */
  private watchdog(): void {
    this.c.inc('watchdogTicks');
    this.armWatchdog();
    if (this.state.live && (this.reg(Reg.Status) & Status.DeviceNeedsReset) !== 0)
      this.resetDevice();
    this.withInterruptsSuppressed(() => {
      if (this.reg(Reg.InterruptStatus) !== 0) this.handleIrq();
      this.txReturn();
      this.txProvide();
      this.rxReturn();
      this.rxProvide();
    });
    this.api.notify(this.config.virtRx.id);
    this.api.notify(this.config.virtTx.id);
  }

  // ---- the four handlers ------------------------------------------------------------------

  /** "HW full": fewer than the two descriptors a packet needs. */
  private availFull(q: Virtq): boolean {
    return q.ialloc.numFree() < 2;
  }

  private usedIdx(q: Virtq): number {
    return Atomics.load(this.ringU16, (q.l.usedOff >> 1) + 1);
  }

  private usedPending(q: Virtq): boolean {
    return this.usedHeadValue(q) !== this.usedIdx(q);
  }

  private usedHeadValue(q: Virtq): number {
    // F19: a size_t used head never wraps, so after 65536 completions it never equals used.idx.
    return this.options.usedHeadWidth === 'size_t' ? q.usedHead : u16(q.usedHead);
  }

  private advanceUsedHead(q: Virtq): void {
    q.usedHead = this.options.usedHeadWidth === 'size_t' ? q.usedHead + 1 : u16(q.usedHead + 1);
    const meta = this.state.layout!.metaOff >> 2;
    this.ringU32[meta + (q.index === VIRTIO_NET_RX_QUEUE ? Meta.rxUsedHead : Meta.txUsedHead)] =
      q.usedHead >>> 0;
  }

  /** desc[id] = { addr: hi:lo, len, flags, next } (positional: no object per descriptor). */
  private writeDesc(
    q: Virtq,
    id: number,
    lo: number,
    hi: number,
    len: number,
    flags: number,
    next: number,
  ): void {
    const at = q.l.descOff + 16 * id;
    this.ring.setUint32(at, lo, true);
    this.ring.setUint32(at + 4, hi, true);
    this.ring.setUint32(at + 8, len, true);
    this.ring.setUint16(at + 12, flags, true);
    this.ring.setUint16(at + 14, next, true);
  }

  /** desc[id] for header slot `id`: its I/O address, split into u32 halves as plain numbers. */
  private writeHdrDesc(q: Virtq, id: number, len: number, flags: number, next: number): void {
    const io = this.ringIo + q.l.hdrOff + this.state.layout!.hdrStride * id;
    const hi = Math.floor(io / 0x1_0000_0000);
    this.writeDesc(q, id, io - hi * 0x1_0000_0000, hi, len, flags, next);
  }

  /** avail->ring[idx % num] = head; (wwmb); avail->idx++. */
  private publish(q: Virtq, head: number): void {
    const idxAt = (q.l.availOff >> 1) + 1;
    const idx = this.ringU16[idxAt]!;
    this.ringU16[(q.l.availOff >> 1) + 2 + (idx % q.l.num)] = head;
    Atomics.store(this.ringU16, idxAt, u16(idx + 1));
  }

  /** One Rx chain: header slot (device-writable) → the 2 KiB buffer (device-writable). */
  private postRx(q: Virtq, lo: number, hi: number): boolean {
    if (this.availFull(q)) return false;
    const hdr = q.ialloc.alloc();
    const buf = q.ialloc.alloc();
    assert(hdr >= 0 && buf >= 0, 'two descriptors were free');
    this.writeHdrDesc(q, hdr, this.state.hdrLen, DescFlag.Next | DescFlag.Write, buf);
    this.writeDesc(q, buf, lo, hi, NET_BUFFER_SIZE_BYTES, DescFlag.Write, 0);
    this.publish(q, hdr);
    this.c.inc('rxPosted');
    return true;
  }

  /** D1 for virtio: sDDF free buffers into the receive virtqueue. */
  private rxProvide(): void {
    const q = this.state.rx_virtq;
    if (!this.state.live || q === null) return;
    const free = this.rxQueue.free;
    const b = this.parts;
    let transferred = false;
    for (let round = 0; round < MAX_RECHECK_ROUNDS; round++) {
      while (!this.availFull(q) && free.dequeueInto(b)) {
        this.postRx(q, b.ioLow, b.ioHigh);
        transferred = true;
      }
      free.requestSignal();
      if (this.options.recheck === false) break;
      if (free.empty() || this.availFull(q)) break;
      free.cancelSignal();
    }
    if (transferred && this.options.rxNotify !== false)
      this.setReg(Reg.QueueNotify, VIRTIO_NET_RX_QUEUE);
  }

  /** Resolve a used entry to its buffer descriptor; null (counted) if the device returned garbage. */
  private usedChain(q: Virtq): { hdr: number; buf: number; len: number } | null {
    const slot = (q.l.usedOff >> 2) + 1 + 2 * (this.usedHeadValue(q) % q.l.num);
    const hdr = this.ringU32[slot]!;
    const len = this.ringU32[slot + 1]!;
    if (hdr >= q.l.num || !q.ialloc.inUse(hdr)) return null;
    const flags = this.ring.getUint16(q.l.descOff + 16 * hdr + 12, true);
    const buf = this.ring.getUint16(q.l.descOff + 16 * hdr + 14, true);
    if ((flags & DescFlag.Next) === 0 || buf >= q.l.num || !q.ialloc.inUse(buf)) return null;
    return { hdr, buf, len };
  }

  /** D2 for virtio: completed receive chains up to virt_rx. */
  private rxReturn(): void {
    const q = this.state.rx_virtq;
    if (!this.state.live || q === null) return;
    const active = this.rxQueue.active;
    const hdrLen = this.state.hdrLen;
    let transferred = false;
    for (let n = 0; n < q.l.num && this.usedPending(q); n++) {
      const chain = this.usedChain(q);
      if (chain === null) {
        this.c.inc('deviceErrors');
        this.advanceUsedHead(q);
        continue;
      }
      const at = q.l.descOff + 16 * chain.buf;
      const lo = this.ring.getUint32(at, true);
      const hi = this.ring.getUint32(at + 4, true);
      let len = chain.len - hdrLen;
      if (chain.len <= hdrLen || len > NET_BUFFER_SIZE_BYTES) {
        // Upstream asserts len > sizeof(hdr). A bad length goes up as an empty frame instead,
        // which virt_rx returns: the buffer is never lost.
        this.c.inc('badRxLength');
        len = 0;
      }
      const ok = active.enqueueParts(lo, hi, len, 0);
      assert(
        ok,
        'the Rx active queue holds every Rx DMA buffer (capacity discipline, reference §2.1)',
      );
      q.ialloc.free(chain.hdr);
      q.ialloc.free(chain.buf);
      this.advanceUsedHead(q);
      this.c.inc('rxReturned');
      transferred = true;
    }
    if (transferred && active.requireSignal()) {
      active.cancelSignal();
      this.api.notify(this.config.virtRx.id);
    }
  }

  /** D3 for virtio: virt_tx's buffers into the transmit virtqueue, behind a zeroed header. */
  private txProvide(): void {
    const q = this.state.tx_virtq;
    if (!this.state.live || q === null) return;
    const active = this.txQueue.active;
    const b = this.parts;
    const hdrLen = this.state.hdrLen;
    let transferred = false;
    for (let round = 0; round < MAX_RECHECK_ROUNDS; round++) {
      while (!this.availFull(q) && active.dequeueInto(b)) {
        if (b.len === 0 || b.len > NET_BUFFER_SIZE_BYTES) {
          // virt_tx validated it; a bad length here is virt_tx's bug. Return the buffer unsent.
          this.c.inc('badTxLength');
          const ok = this.txQueue.free.enqueueParts(b.ioLow, b.ioHigh, 0, 0);
          assert(ok, 'the Tx free queue holds every Tx buffer');
          continue;
        }
        const hdr = q.ialloc.alloc();
        const buf = q.ialloc.alloc();
        assert(hdr >= 0 && buf >= 0, 'two descriptors were free');
        // flags 0, gso_type NONE, hdr_len/gso_size/csum_* 0 (and num_buffers 0 on Tx).
        const slot = q.l.hdrOff + this.state.layout!.hdrStride * hdr;
        this.ringU8.fill(0, slot, slot + hdrLen);
        this.writeHdrDesc(q, hdr, hdrLen, DescFlag.Next, buf);
        this.writeDesc(q, buf, b.ioLow, b.ioHigh, b.len, 0, 0);
        this.publish(q, hdr);
        this.c.inc('txPosted');
        transferred = true;
      }
      active.requestSignal();
      if (this.options.recheck === false) break;
      if (this.availFull(q) || active.empty()) break;
      active.cancelSignal();
    }
    // Assumes VIRTIO_F_NOTIFICATION_DATA was not negotiated (it is never accepted).
    if (transferred) this.setReg(Reg.QueueNotify, VIRTIO_NET_TX_QUEUE);
  }

  /** D4 for virtio: transmitted buffers back to virt_tx. */
  private txReturn(): void {
    const q = this.state.tx_virtq;
    if (!this.state.live || q === null) return;
    const free = this.txQueue.free;
    let transferred = false;
    for (let n = 0; n < q.l.num && this.usedPending(q); n++) {
      const chain = this.usedChain(q);
      if (chain === null) {
        this.c.inc('deviceErrors');
        this.advanceUsedHead(q);
        continue;
      }
      const at = q.l.descOff + 16 * chain.buf;
      const ok = free.enqueueParts(
        this.ring.getUint32(at, true),
        this.ring.getUint32(at + 4, true),
        0,
        0,
      );
      assert(ok, 'the Tx free queue holds every Tx buffer (capacity discipline, reference §2.1)');
      q.ialloc.free(chain.hdr);
      q.ialloc.free(chain.buf);
      this.advanceUsedHead(q);
      this.c.inc('txReturned');
      transferred = true;
    }
    if (transferred && free.requireSignal()) {
      free.cancelSignal();
      this.api.notify(this.config.virtTx.id);
    }
  }
}
