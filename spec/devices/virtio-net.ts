// A virtio-net device over the MMIO transport with split virtqueues (virtio 1.2 §2.7, §4.2, §5.1;
// reference sddf-protocols.md §5.1), as the sDDF driver drivers/network/virtio/common/ethernet.c
// (au-ts/sddf 650ace5d) drives it, in word memory: one definition for the net models' device and
// the virtio driver component (spec/components/net/virtio-driver.ts), and for the conformance
// tests of an emulated device (impl/hw). The index rules are spec/devices/virtio-queue.ts.
//
// Memory (device memory, `DeviceMem`): per queue the descriptor table (addr, len, flags, next: one
// word each per descriptor), the available ring (flags, idx, ring[num]) and the used ring (flags,
// idx, and per element id and len). The virtio-net headers live in the driver's "hw_ring_buffer"
// region, not in sDDF data regions: here one word per header slot holds what was last written
// there (the driver's default Tx header, or an Rx header the device wrote). Registers: Status,
// DriverFeatures (two 32-bit pages), QueueReady per queue, QueueNotify, InterruptStatus /
// InterruptACK.
//
// Device behaviour (what a real device may do, not the kindest choice):
//   - It uses a queue only after DRIVER_OK, and only once the queue is ready (QueueReady).
//   - Receive: a frame takes the next available chain (header descriptor → buffer descriptor, both
//     device-writable); the device writes its header (`hdrLen` bytes by the negotiated features)
//     then the frame, and returns the chain in the used ring with `len = header + frame`. When a
//     frame arrives and no chain is available, the device stops receiving and waits for a
//     QueueNotify of the receive queue (QEMU: `virtio_net_has_buffers` arms the queue's
//     notification and the backend stops until `virtio_net_handle_rx`); buffers made available
//     without a notify are not seen.
//   - Transmit: the device processes the transmit queue after a QueueNotify of it, chain by chain
//     in avail order, until it finds the ring empty, then waits for the next notify.
//   - Interrupts: after returning a used buffer the device sets InterruptStatus bit 0 unless the
//     driver suppressed it (`avail.flags & VIRTQ_AVAIL_F_NO_INTERRUPT`, honoured); the line is
//     asserted while InterruptStatus is non-zero (MMIO: level) until InterruptACK clears the bit.
//     With coalescing, a completion only marks an interrupt pending and a later device action
//     raises it (virtio 1.2 §5.1.6.5.6 notification coalescing; QEMU's tx timer): one interrupt
//     may cover several completions, and the driver may see a completion before its interrupt.
//   - Feature negotiation: DriverFeatures pages are written as masks; the negotiated set is what
//     both offer. A strict (modern-only) device refuses FEATURES_OK unless VERSION_1 is accepted
//     (virtio 1.2 §6.1: a device MAY fail to operate if VERSION_1 is not accepted; QEMU with
//     disable-legacy=on). The header is 12 bytes with VERSION_1 (or MRG_RXBUF), else 10 (§5.1.6).
//   - Descriptor ownership: a chain is the device's from the avail index store that publishes it
//     until the used index store that returns it; the driver must not write its descriptors or
//     its header meanwhile (`virtioNetChainOwned`).
// Not modelled: the config space (MAC), control queue, multiqueue, indirect descriptors, event
// idx, checksum offload, device reset after DRIVER_OK, frame lengths beyond one constant.
import { assert } from '../common/assert.ts';
import type { DeviceMem } from '../common/memory.ts';
import {
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  virtqNext,
  virtqPending,
  virtqSlot,
} from './virtio-queue.ts';

/** Status bits (virtio 1.2 §2.1; include/sddf/virtio/transport/common.h). */
export const VIRTIO_STATUS_ACKNOWLEDGE = 0x1;
export const VIRTIO_STATUS_DRIVER = 0x2;
export const VIRTIO_STATUS_DRIVER_OK = 0x4;
export const VIRTIO_STATUS_FEATURES_OK = 0x8;
/** InterruptStatus bit 0: a used buffer was returned (`VIRTIO_IRQ_VQUEUE`). */
export const VIRTIO_IRQ_VQUEUE = 1 << 0;
/** `VIRTQ_AVAIL_F_NO_INTERRUPT` (include/sddf/virtio/queue.h). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** Queue indices of virtio-net (ethernet.h `VIRTIO_NET_RX_QUEUE`, `_TX_QUEUE`). */
export const VIRTIO_NET_RX_QUEUE = 0;
export const VIRTIO_NET_TX_QUEUE = 1;
/** Feature bit numbers (virtio 1.2 §5.1.3, §6; ethernet.h, include/sddf/virtio/feature.h). */
export const VIRTIO_NET_F_CSUM = 0;
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_MRG_RXBUF = 15;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_F_VERSION_1 = 32;
/** `sizeof(virtio_net_hdr_t)`: 10 bytes without `num_buffers`, 12 with it (§5.1.6). */
export const VIRTIO_NET_HDR_LEGACY_BYTES = 10;
export const VIRTIO_NET_HDR_BYTES = 12;
/** Bytes of the one frame size the models use (a minimum Ethernet frame). */
export const VIRTIO_NET_FRAME_BYTES = 60;

/** What a header slot holds: the driver's default Tx header, or an Rx header the device wrote. */
export const VIRTIO_HDR_TX_DEFAULT = 0x7468; // 'th'
export const VIRTIO_HDR_RX_WRITTEN = 0x7268; // 'rh'

/** The features this device offers (QEMU's virtio-net offers these among others). */
export const VIRTIO_NET_DEVICE_FEATURES: readonly number[] = [
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_STATUS,
  VIRTIO_F_VERSION_1,
];

/** One split virtqueue in word memory (arrays of `num` words each), and its device state. */
export interface VirtqRef {
  readonly name: string;
  /** QueueNum: a power of two (virtio-queue.ts). */
  readonly num: number;
  readonly descAddr: number;
  readonly descLen: number;
  readonly descFlags: number;
  readonly descNext: number;
  readonly availFlags: number;
  readonly availIdx: number;
  readonly availRing: number;
  readonly usedFlags: number;
  readonly usedIdx: number;
  readonly usedId: number;
  readonly usedLen: number;
  /** QueueReady (register). */
  readonly ready: number;
  /** Device-private: the next avail index the device will take (u16). */
  readonly lastAvail: number;
  /**
   * Device-private: the queue waits for a QueueNotify before the device looks at it again (rx:
   * it found no buffer for a frame; tx: it found the ring empty).
   */
  readonly waitKick: number;
}

/** Where one virtio-net device lives, and how it behaves. */
export interface VirtioNetDev {
  readonly rx: VirtqRef;
  readonly tx: VirtqRef;
  readonly status: number;
  /** DriverFeatures pages 0 and 1 (as written through DriverFeaturesSel). */
  readonly driverFeatures0: number;
  readonly driverFeatures1: number;
  /** InterruptStatus (InterruptACK clears bits). */
  readonly isr: number;
  /** Device-private: completions whose interrupt is pending (coalescing). */
  readonly irqPending: number;
  /** Header slots: one word each (the header region of the driver's hw_ring_buffer). */
  readonly hdrBase: number;
  readonly hdrSlots: number;
  /** IO address of header slot 0 (what the driver puts in a header descriptor's addr). */
  readonly hdrIoBase: number;
  /** Refuses FEATURES_OK unless VERSION_1 is accepted (a modern-only device). */
  readonly strict: boolean;
  /** Completions raise their interrupt through a later device action. */
  readonly coalesce: boolean;
}

// ---------------------------------------------------------------- features

/** The 64-bit feature set offered by the device, as (page 0, page 1) masks. */
export function virtioNetOffered(): { readonly page0: number; readonly page1: number } {
  let page0 = 0;
  let page1 = 0;
  for (const bit of VIRTIO_NET_DEVICE_FEATURES) {
    if (bit < 32) page0 |= 1 << bit;
    else page1 |= 1 << (bit - 32);
  }
  return { page0: page0 >>> 0, page1: page1 >>> 0 };
}

/** Whether feature `bit` was negotiated (written by the driver and offered by the device). */
export function virtioNetNegotiated(dev: DeviceMem, d: VirtioNetDev, bit: number): boolean {
  const offered = virtioNetOffered();
  const word =
    bit < 32
      ? dev.read(d.driverFeatures0) & offered.page0
      : dev.read(d.driverFeatures1) & offered.page1;
  return ((word >>> (bit % 32)) & 1) === 1;
}

/** The header length the device uses: 12 bytes with VERSION_1 or MRG_RXBUF, else 10 (§5.1.6). */
export function virtioNetHdrBytes(dev: DeviceMem, d: VirtioNetDev): number {
  return virtioNetNegotiated(dev, d, VIRTIO_F_VERSION_1) ||
    virtioNetNegotiated(dev, d, VIRTIO_NET_F_MRG_RXBUF)
    ? VIRTIO_NET_HDR_BYTES
    : VIRTIO_NET_HDR_LEGACY_BYTES;
}

// ---------------------------------------------------------------- register writes (the device's rules)

/**
 * A write of the Status register. 0 resets the device (features, queues, interrupt). FEATURES_OK
 * is kept only if the device accepts the negotiated features (a strict device needs VERSION_1).
 */
export function virtioNetWriteStatus(dev: DeviceMem, d: VirtioNetDev, status: number): void {
  if (status === 0) {
    for (const w of [d.status, d.driverFeatures0, d.driverFeatures1, d.isr, d.irqPending])
      dev.write(w, 0);
    for (const q of [d.rx, d.tx]) {
      dev.write(q.ready, 0);
      dev.write(q.waitKick, 0);
    }
    return;
  }
  let s = status;
  if ((s & VIRTIO_STATUS_FEATURES_OK) !== 0 && d.strict) {
    if (!virtioNetNegotiated(dev, d, VIRTIO_F_VERSION_1)) s &= ~VIRTIO_STATUS_FEATURES_OK;
  }
  dev.write(d.status, s >>> 0);
}

/** `virtio_transport_set_driver_features(select, mask)`: one 32-bit page of the driver's set. */
export function virtioNetWriteDriverFeatures(
  dev: DeviceMem,
  d: VirtioNetDev,
  select: 0 | 1,
  mask: number,
): void {
  dev.write(select === 0 ? d.driverFeatures0 : d.driverFeatures1, mask >>> 0);
}

/** QueueNotify: the device looks at queue `index` again. Ignored for a queue not yet ready. */
export function virtioNetQueueNotify(dev: DeviceMem, d: VirtioNetDev, index: number): void {
  const q = index === VIRTIO_NET_RX_QUEUE ? d.rx : d.tx;
  assert(index === VIRTIO_NET_RX_QUEUE || index === VIRTIO_NET_TX_QUEUE, `queue ${index}`);
  if (dev.read(q.ready) === 0) return;
  dev.write(q.waitKick, 0);
}

/** InterruptACK: clears the written bits of InterruptStatus. */
export function virtioNetAckInterrupt(dev: DeviceMem, d: VirtioNetDev, bits: number): void {
  dev.write(d.isr, (dev.read(d.isr) & ~bits) >>> 0);
}

/** The interrupt line (MMIO: level, asserted while InterruptStatus is non-zero). */
export function virtioNetIrqLine(dev: DeviceMem, d: VirtioNetDev): boolean {
  return dev.read(d.isr) !== 0;
}

// ---------------------------------------------------------------- the driver's side

/** IO address of header slot `slot`. */
export function virtioNetHdrIo(d: VirtioNetDev, slot: number): number {
  return d.hdrIoBase + slot;
}

function hdrWord(d: VirtioNetDev, io: number): number | null {
  const slot = io - d.hdrIoBase;
  return slot >= 0 && slot < d.hdrSlots ? d.hdrBase + slot : null;
}

/** One chain as the driver writes it: header descriptor `hdr` → buffer descriptor `buf`. */
export interface VirtioChain {
  readonly hdr: number;
  readonly buf: number;
  /** IO address of the header (a slot of the header region). */
  readonly hdrIo: number;
  /** `sizeof(virtio_net_hdr_t)` the driver uses. */
  readonly hdrBytes: number;
  /** IO address and length of the data buffer. */
  readonly bufIo: number;
  readonly bufBytes: number;
  /** Receive: both descriptors device-writable. */
  readonly writable: boolean;
}

/**
 * Writes the two descriptors of a chain (and, for transmit, the default header into its slot):
 * what `rx_provide` / `tx_provide` do before inserting the head into the available ring.
 */
export function virtioNetWriteChain(
  dev: DeviceMem,
  d: VirtioNetDev,
  q: VirtqRef,
  c: VirtioChain,
): void {
  assert(
    c.hdr < q.num && c.buf < q.num && c.hdr !== c.buf,
    () => `${q.name}: chain ${c.hdr}→${c.buf}`,
  );
  const w = c.writable ? VIRTQ_DESC_F_WRITE : 0;
  if (!c.writable) {
    const hw = hdrWord(d, c.hdrIo);
    if (hw !== null) dev.write(hw, VIRTIO_HDR_TX_DEFAULT);
  }
  dev.write(q.descAddr + c.hdr, c.hdrIo);
  dev.write(q.descLen + c.hdr, c.hdrBytes);
  dev.write(q.descNext + c.hdr, c.buf);
  dev.write(q.descFlags + c.hdr, VIRTQ_DESC_F_NEXT | w);
  dev.write(q.descAddr + c.buf, c.bufIo);
  dev.write(q.descLen + c.buf, c.bufBytes);
  dev.write(q.descFlags + c.buf, w);
}

/**
 * `avail->ring[avail->idx % num] = head; wwmb(); avail->idx++`: the chain becomes the device's.
 */
export function virtioNetPublish(dev: DeviceMem, q: VirtqRef, head: number): void {
  const idx = dev.read(q.availIdx);
  dev.write(q.availRing + virtqSlot(idx, q.num), head);
  dev.write(q.availIdx, virtqNext(idx));
}

/** A used element as the driver reads it (after `rrmb()`): the chain's head and the length. */
export function virtioNetUsedAt(
  dev: DeviceMem,
  q: VirtqRef,
  index: number,
): { id: number; len: number } {
  const slot = virtqSlot(index, q.num);
  return { id: dev.read(q.usedId + slot), len: dev.read(q.usedLen + slot) };
}

/**
 * Whether descriptor `desc` belongs to a chain the device owns now: published in the available
 * ring and not yet returned in the used ring (positions `used.idx … avail.idx − 1`, as this device
 * completes in order).
 */
export function virtioNetChainOwned(dev: DeviceMem, q: VirtqRef, desc: number): boolean {
  const used = dev.read(q.usedIdx);
  const n = virtqPending(dev.read(q.availIdx), used);
  for (let i = 0; i < Math.min(n, q.num); i++) {
    const head = dev.read(q.availRing + virtqSlot((used + i) & 0xffff, q.num));
    if (head === desc) return true;
    if (head < q.num && (dev.read(q.descFlags + head) & VIRTQ_DESC_F_NEXT) !== 0) {
      if (dev.read(q.descNext + head) === desc) return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- the device's side

function usable(dev: DeviceMem, d: VirtioNetDev, q: VirtqRef): boolean {
  return (dev.read(d.status) & VIRTIO_STATUS_DRIVER_OK) !== 0 && dev.read(q.ready) !== 0;
}

/** The next chain the device would take from `q`, or null when none is available. */
export function virtioNetNextChain(
  dev: DeviceMem,
  q: VirtqRef,
): { head: number; buf: number; hdrIo: number; hdrBytes: number; bufIo: number } | null {
  const last = dev.read(q.lastAvail);
  if (virtqPending(dev.read(q.availIdx), last) === 0) return null;
  const head = dev.read(q.availRing + virtqSlot(last, q.num));
  assert(head < q.num, () => `${q.name}: avail head ${head} ≥ num ${q.num}`);
  const buf = dev.read(q.descNext + head);
  return {
    head,
    buf,
    hdrIo: dev.read(q.descAddr + head),
    hdrBytes: dev.read(q.descLen + head),
    bufIo: dev.read(q.descAddr + buf),
  };
}

/** What can happen on the receive queue when a frame arrives. */
export type VirtioRxReady = 'no-device' | 'wait-kick' | 'no-buffer' | 'buffer';

export function virtioNetRxReady(dev: DeviceMem, d: VirtioNetDev): VirtioRxReady {
  if (!usable(dev, d, d.rx)) return 'no-device';
  if (dev.read(d.rx.waitKick) !== 0) return 'wait-kick';
  return virtioNetNextChain(dev, d.rx) === null ? 'no-buffer' : 'buffer';
}

/** A frame found no buffer: the device stops receiving until the driver notifies the rx queue. */
export function virtioNetRxStall(dev: DeviceMem, d: VirtioNetDev): void {
  assert(virtioNetRxReady(dev, d) === 'no-buffer', 'rx stalls only when no buffer is available');
  dev.write(d.rx.waitKick, 1);
}

function complete(dev: DeviceMem, d: VirtioNetDev, q: VirtqRef, head: number, len: number): void {
  const idx = dev.read(q.usedIdx);
  const slot = virtqSlot(idx, q.num);
  dev.write(q.usedId + slot, head);
  dev.write(q.usedLen + slot, len >>> 0);
  dev.write(q.usedIdx, virtqNext(idx));
  dev.write(q.lastAvail, virtqNext(dev.read(q.lastAvail)));
  if ((dev.read(q.availFlags) & VIRTQ_AVAIL_F_NO_INTERRUPT) !== 0) return;
  if (d.coalesce) dev.write(d.irqPending, 1);
  else dev.write(d.isr, (dev.read(d.isr) | VIRTIO_IRQ_VQUEUE) >>> 0);
}

/**
 * The device receives one frame into the next chain: its header (`hdrBytes` of the negotiated
 * features; what does not fit the header descriptor spills into the buffer), then the frame.
 * Returns where the frame went: the buffer's IO address, and the header mismatch in bytes: the
 * device's header minus the driver's header descriptor (positive: header bytes in front of the
 * frame in the buffer; negative: the frame's first bytes in the header descriptor, which the
 * driver discards; 0: they agree).
 */
export function virtioNetReceive(
  dev: DeviceMem,
  d: VirtioNetDev,
): { bufIo: number; mismatch: number; hdrSlotOk: boolean } {
  assert(virtioNetRxReady(dev, d) === 'buffer', 'receive needs an available buffer');
  const c = virtioNetNextChain(dev, d.rx)!;
  const hdrBytes = virtioNetHdrBytes(dev, d);
  const hw = hdrWord(d, c.hdrIo);
  if (hw !== null) dev.write(hw, VIRTIO_HDR_RX_WRITTEN);
  complete(dev, d, d.rx, c.head, hdrBytes + VIRTIO_NET_FRAME_BYTES);
  return { bufIo: c.bufIo, mismatch: hdrBytes - c.hdrBytes, hdrSlotOk: hw !== null };
}

/** Whether the device has transmit work it will do without another notify. */
export function virtioNetTxReady(dev: DeviceMem, d: VirtioNetDev): boolean {
  return (
    usable(dev, d, d.tx) && dev.read(d.tx.waitKick) === 0 && virtioNetNextChain(dev, d.tx) !== null
  );
}

/** The transmit queue is empty after a notify: the device waits for the next one. */
export function virtioNetTxIdle(dev: DeviceMem, d: VirtioNetDev): boolean {
  return (
    usable(dev, d, d.tx) && dev.read(d.tx.waitKick) === 0 && virtioNetNextChain(dev, d.tx) === null
  );
}

export function virtioNetTxSleep(dev: DeviceMem, d: VirtioNetDev): void {
  assert(virtioNetTxIdle(dev, d), 'the tx queue sleeps only when empty');
  dev.write(d.tx.waitKick, 1);
}

/**
 * The device transmits the next chain: it reads the header (its own header length: bytes beyond
 * the driver's header descriptor are taken from the frame, a shorter header leaves header bytes
 * in front of the frame) and the buffer. Returns the buffer's IO address, the header mismatch in
 * bytes (0 when they agree) and what the header slot held.
 */
export function virtioNetTransmit(
  dev: DeviceMem,
  d: VirtioNetDev,
): { bufIo: number; mismatch: number; hdr: number | null } {
  assert(virtioNetTxReady(dev, d), 'transmit needs a chain');
  const c = virtioNetNextChain(dev, d.tx)!;
  const hw = hdrWord(d, c.hdrIo);
  const hdr = hw === null ? null : dev.read(hw);
  const mismatch = virtioNetHdrBytes(dev, d) - c.hdrBytes;
  complete(dev, d, d.tx, c.head, 0);
  return { bufIo: c.bufIo, mismatch, hdr };
}

/** Coalescing: an interrupt is pending (completions not yet signalled). */
export function virtioNetIrqPending(dev: DeviceMem, d: VirtioNetDev): boolean {
  return dev.read(d.irqPending) !== 0;
}

/** Coalescing: the device raises the interrupt for the pending completions. */
export function virtioNetRaiseInterrupt(dev: DeviceMem, d: VirtioNetDev): void {
  assert(virtioNetIrqPending(dev, d), 'an interrupt is raised only when one is pending');
  dev.write(d.irqPending, 0);
  dev.write(d.isr, (dev.read(d.isr) | VIRTIO_IRQ_VQUEUE) >>> 0);
}
