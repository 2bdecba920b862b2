// Device side of a virtio split virtqueue (reference sddf-protocols.md §5.1 [spec], virtio 1.2
// §2.7). Every access to the rings goes through the device's DmaPort at the addresses the driver
// programmed, so an IOMMU window applies to ring memory too. Indices are free-running u16.
//
// Besides walking chains (direct and, when negotiated, indirect: §2.7.5.3) and publishing used
// entries, the queue keeps what the device holds: which descriptors are in flight (consumed, not
// yet used) and what it read for them. With that it can tell a driver that exposes a descriptor
// the device still holds, or changes an exposed avail entry or descriptor before the device has
// used it (§3.3.1) — which is what a driver that publishes avail.idx before writing the ring entry
// looks like from the device (§2.7.13.3.1). Notification suppression follows §2.7.7 (NO_INTERRUPT,
// or used_event with VIRTIO_F_EVENT_IDX) and §2.7.10 (NO_NOTIFY, or avail_event).
//
// The index rules (pending count, ring slot, successor, avail.idx too far ahead) are the spec's,
// spec/devices/virtio-queue.ts. Its chain rule is not used: it refuses INDIRECT, which these
// devices offer (issue #14 part 4), so the chain walk here keeps its own checks.

import { assert } from '../../../spec/common/assert.ts';
import { u16 } from '../../../spec/common/int.ts';
import {
  virtqAvailProblem,
  virtqNext,
  virtqPending,
  virtqSlot,
} from '../../../spec/devices/virtio-queue.ts';
import type { DmaFault, DmaPort } from '../../mem/types.ts';
import { isDmaFault } from '../events.ts';
import {
  DESC_SIZE_BYTES,
  DescFlag,
  MAX_QUEUE_NUM,
  Rule,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_USED_F_NO_NOTIFY,
} from './constants.ts';

/** One buffer of a descriptor chain, as an I/O address range. */
export interface Segment {
  readonly addr: bigint;
  readonly lenBytes: number;
}

/** A driver error the device tolerates (as QEMU does) and records in strict mode. */
export interface DriverIssue {
  readonly code: string;
  readonly rule: string;
  readonly where: string;
  readonly message: string;
}

export interface Chain {
  readonly kind: 'chain';
  /** Index of the head descriptor: what goes back in `used.id`. */
  readonly head: number;
  /** Device-readable descriptors, in chain order (§2.7.4: they all precede the writable ones). */
  readonly readable: readonly Segment[];
  readonly writable: readonly Segment[];
  readonly readableBytes: number;
  readonly writableBytes: number;
  /** The avail ring index (u16) this chain was taken from. */
  readonly availIndex: number;
  /** Entries consumed on this queue before this one (free-running, not wrapped). */
  readonly consumeSeq: number;
  /** Main-table descriptor indices the chain uses (held by the device until used). */
  readonly descs: readonly number[];
  /** Bytes read for each of `descs`, and for an indirect table (to see them change). */
  readonly snapshot: readonly { readonly addr: bigint; readonly bytes: Uint8Array }[];
  /** Driver errors seen while walking it that the device tolerates. */
  readonly issues: readonly DriverIssue[];
}

/** A driver error that breaks the device: virtio 1.2 §2.1.2 wants DEVICE_NEEDS_RESET. */
export interface Malformed {
  readonly kind: 'malformed';
  readonly code: string;
  readonly rule: string;
  readonly where: string;
  readonly reason: string;
  /** Tolerated driver errors seen before the fatal one (recorded first, in strict mode). */
  readonly issues?: readonly DriverIssue[];
}

export type QueueError =
  | Malformed
  | {
      readonly kind: 'dma';
      readonly fault: DmaFault;
      readonly issues?: readonly DriverIssue[];
    };

const U64_END = 1n << 64n;
/**
 * Bound on the bytes one chain may describe in either direction: the device gathers readable
 * bytes into one buffer, and a hostile `len` (u32 per descriptor, × QueueNum) must not make the
 * host allocate gigabytes. Far above any sDDF transfer (net 2 KiB, blk 4 KiB × count).
 */
export const MAX_CHAIN_BYTES = 64 * 1024 * 1024;

function dmaError(fault: DmaFault): QueueError {
  return { kind: 'dma', fault };
}

/** A driver error that breaks the device (DEVICE_NEEDS_RESET). */
export function malformed(code: string, rule: string, where: string, reason: string): Malformed {
  return { kind: 'malformed', code, rule, where, reason };
}

function le(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Registers of one queue as the driver programs them (QueueNum, QueueDesc, …). */
export interface QueueConfig {
  num: number;
  descAddr: bigint;
  availAddr: bigint;
  usedAddr: bigint;
}

/** What the queue was told about the negotiated ring features. */
export interface RingFeatures {
  readonly indirect: boolean;
  readonly eventIdx: boolean;
}

/** QEMU's vring_need_event: did used.idx move from `old` past `event` on its way to `next`? */
export function vringNeedEvent(options: { event: number; next: number; old: number }): boolean {
  const { event, next, old } = options;
  return u16(next - event - 1) < u16(next - old);
}

export class SplitVirtqueue {
  /** The shadow registers the driver writes (QEMU's proxy->vqs[n]); latched on QueueReady = 1. */
  readonly config: QueueConfig = { num: 0, descAddr: 0n, availAddr: 0n, usedAddr: 0n };
  /** Latched at enable: what the device runs on. */
  #active: QueueConfig = { num: 0, descAddr: 0n, availAddr: 0n, usedAddr: 0n };
  /** QueueReady as last written (§4.2.2: reading it returns the last value written). */
  readyRegister = 0;
  /** The latched configuration is valid and the queue runs. */
  enabled = false;
  /** Device-private: the next avail ring position to consume (u16, free-running). */
  lastAvailIdx = 0;
  /** Device-private shadow of `used.idx` (the device is the only writer of it). */
  usedIdx = 0;
  #features: RingFeatures = { indirect: false, eventIdx: false };
  /** Free-running counts (not wrapped) of entries consumed and used entries published. */
  #consumed = 0;
  #published = 0;
  /** How many in-flight chains hold each descriptor of the main table. */
  #held = new Uint16Array(0);
  /** QEMU's signalled_used / signalled_used_valid (EVENT_IDX). */
  #signalledUsed = 0;
  #signalledValid = false;
  /** The device set NO_NOTIFY / moved avail_event away (it promised to poll). */
  suppressed = false;

  constructor(
    readonly index: number,
    readonly queueNumMax: number,
  ) {
    assert(
      queueNumMax >= 1 && queueNumMax <= MAX_QUEUE_NUM && (queueNumMax & (queueNumMax - 1)) === 0,
      `QueueNumMax must be a power of two ≤ ${MAX_QUEUE_NUM}, got ${queueNumMax}`,
    );
  }

  /** The configuration the device runs on (valid while `enabled`). */
  get active(): Readonly<QueueConfig> {
    return this.#active;
  }

  /** QueueReady as the register reads. */
  get ready(): boolean {
    return this.readyRegister !== 0;
  }

  /** Device reset (§2.4, §4.2.2.1): registers, indices and everything held are cleared. */
  reset(): void {
    this.config.num = 0;
    this.config.descAddr = 0n;
    this.config.availAddr = 0n;
    this.config.usedAddr = 0n;
    this.#active = { ...this.config };
    this.readyRegister = 0;
    this.enabled = false;
    this.lastAvailIdx = 0;
    this.usedIdx = 0;
    this.#consumed = 0;
    this.#published = 0;
    this.#held = new Uint16Array(0);
    this.#signalledUsed = 0;
    this.#signalledValid = false;
    this.suppressed = false;
  }

  /** Why the programmed queue cannot run, or null (checked when QueueReady is written 1). */
  validate(): { readonly code: string; readonly rule: string; readonly reason: string } | null {
    const { num, descAddr, availAddr, usedAddr } = this.config;
    if (num === 0 || num > this.queueNumMax || (num & (num - 1)) !== 0) {
      return {
        code: 'queue-num',
        rule: Rule.mmioDriver,
        reason: `QueueNum ${num} is not a power of two in [1, QueueNumMax ${this.queueNumMax}]`,
      };
    }
    // §2.7.1: descriptor table 16-aligned, avail 2-aligned, used 4-aligned.
    const misaligned = (what: string, addr: bigint, align: bigint) => ({
      code: 'ring-alignment',
      rule: Rule.ringAlignment,
      reason: `${what} 0x${addr.toString(16)} is not ${align}-aligned`,
    });
    if (descAddr % 16n !== 0n) return misaligned('QueueDesc', descAddr, 16n);
    if (availAddr % 2n !== 0n) return misaligned('QueueDriver', availAddr, 2n);
    if (usedAddr % 4n !== 0n) return misaligned('QueueDevice', usedAddr, 4n);
    return null;
  }

  /**
   * QueueReady = 1 with a valid configuration: latch it and run. Indices are kept, as QEMU's
   * virtio_queue_set_rings keeps last_avail_idx and used_idx: only a device reset (or a queue
   * reset, not offered here) returns them to 0.
   */
  enable(features: RingFeatures): void {
    assert(this.validate() === null, 'enable() only after validate() passed');
    this.#active = { ...this.config };
    this.#features = features;
    this.enabled = true;
    if (this.#held.length !== this.config.num) {
      // A table of another size: what was held refers to the old one.
      this.#held = new Uint16Array(this.config.num);
    }
    this.#signalledValid = false;
  }

  disable(): void {
    this.enabled = false;
  }

  #readU16(port: DmaPort, addr: bigint): number | QueueError {
    const b = port.read(addr, 2);
    return isDmaFault(b) ? dmaError(b) : le(b).getUint16(0, true);
  }

  #writeU16(port: DmaPort, addr: bigint, v: number): QueueError | null {
    const b = new Uint8Array(2);
    le(b).setUint16(0, v, true);
    const f = port.write(addr, b);
    return f === null ? null : dmaError(f);
  }

  /** Buffers the driver has made available and the device has not consumed yet. */
  pendingCount(port: DmaPort): number | QueueError {
    assert(this.enabled, 'pendingCount on a queue that is not running');
    const availIdx = this.#readU16(port, this.#active.availAddr + 2n);
    if (typeof availIdx !== 'number') return availIdx;
    // §2.7.13: the driver never makes more than `num` buffers available at once; a decrement of
    // avail.idx (§2.7.6.1 MUST NOT) shows up here as a huge jump (spec/devices/virtio-queue.ts).
    const problem = virtqAvailProblem(availIdx, this.lastAvailIdx, this.#active.num);
    if (problem !== null) {
      return malformed('avail-idx-ahead', Rule.availRing, `queue ${this.index} avail.idx`, problem);
    }
    return virtqPending(availIdx, this.lastAvailIdx);
  }

  /** Take the next available chain (caller checked pendingCount > 0). */
  popChain(port: DmaPort): Chain | QueueError {
    const { num, availAddr } = this.#active;
    const availIndex = this.lastAvailIdx;
    const slot = virtqSlot(availIndex, num);
    const head = this.#readU16(port, availAddr + 4n + 2n * BigInt(slot));
    if (typeof head !== 'number') return head;
    const chain = this.#walk(port, { head, availIndex });
    if (chain.kind !== 'chain') return chain;
    this.lastAvailIdx = virtqNext(this.lastAvailIdx);
    this.#consumed++;
    for (const d of chain.descs) this.#held[d] = (this.#held[d] ?? 0) + 1;
    if (this.#features.eventIdx && !this.suppressed) {
      // QEMU's virtqueue_pop: avail_event = last_avail_idx, "notify me for the next one".
      const f = this.#writeU16(port, this.#availEventAddr(), this.lastAvailIdx);
      if (f !== null) return f;
    }
    return chain;
  }

  /** Give the last chain back (QEMU virtqueue_unpop): a frame did not fit, the buffer stays. */
  unpop(chain: Chain): void {
    assert(virtqNext(chain.availIndex) === this.lastAvailIdx, 'unpop the chain just popped');
    this.lastAvailIdx = chain.availIndex;
    this.#consumed--;
    this.#release(chain);
  }

  #release(chain: Chain): void {
    for (const d of chain.descs) {
      const n = this.#held[d] ?? 0;
      assert(n > 0, `descriptor ${d} was held`);
      this.#held[d] = n - 1;
    }
  }

  /** Follow `next` links from `head`, into an indirect table if one is referenced. */
  #walk(port: DmaPort, at: { head: number; availIndex: number }): Chain | QueueError {
    const where = `queue ${this.index} avail[${at.availIndex}] head ${at.head}`;
    const w = new ChainWalk(where, this.#active.num);
    const r = this.#walkInto(port, w, at);
    // Tolerated errors seen before a fatal one (malformed, or a DMA fault) are reported with it.
    return r.kind === 'chain' ? r : { ...r, issues: w.issues };
  }

  #walkInto(
    port: DmaPort,
    w: ChainWalk,
    at: { head: number; availIndex: number },
  ): Chain | QueueError {
    const { num, descAddr } = this.#active;
    const { head, availIndex } = at;
    const where = w.where;
    if (head >= num) {
      return malformed(
        'head-out-of-range',
        Rule.availRing,
        where,
        `chain head ${head} ≥ QueueNum ${num}`,
      );
    }
    let index = head;
    // A direct chain is bounded by num descriptors (more means a loop, §2.7.5.2).
    for (let count = 0; count < num; count++) {
      const addr = descAddr + BigInt(DESC_SIZE_BYTES * index);
      const raw = port.read(addr, DESC_SIZE_BYTES);
      if (isDmaFault(raw)) return dmaError(raw);
      w.descs.push(index);
      w.snapshot.push({ addr, bytes: raw });
      if (
        (this.#held[index] ?? 0) > 0 &&
        !w.issues.some((i) => i.code === 'descriptor-in-flight')
      ) {
        w.issue(
          'descriptor-in-flight',
          Rule.cleanup,
          `descriptor ${index} is exposed again while the device still holds it (not yet used)`,
        );
      }
      const d = decodeDesc(raw);
      if ((d.flags & DescFlag.Indirect) !== 0) {
        const r = this.#walkIndirect(port, w, { index, desc: d });
        if (r !== null) return r;
        return w.finish({ head, availIndex, consumeSeq: this.#consumed });
      }
      const bad = w.add({ index, desc: d });
      if (bad !== null) return bad;
      if ((d.flags & DescFlag.Next) === 0) {
        return w.finish({ head, availIndex, consumeSeq: this.#consumed });
      }
      if (d.next >= num) {
        return malformed(
          'next-out-of-range',
          Rule.descTable,
          where,
          `descriptor ${index} next ${d.next} ≥ QueueNum ${num}`,
        );
      }
      index = d.next;
    }
    return malformed(
      'chain-loop',
      Rule.descTable,
      where,
      `chain is longer than QueueNum ${num} (a loop)`,
    );
  }

  /** §2.7.5.3: the descriptor at `index` refers to a table of `len / 16` descriptors. */
  #walkIndirect(
    port: DmaPort,
    w: ChainWalk,
    at: { index: number; desc: RawDesc },
  ): QueueError | null {
    const { index, desc } = at;
    if (!this.#features.indirect) {
      // QEMU follows the table whether or not VIRTIO_RING_F_INDIRECT_DESC was negotiated.
      w.issue(
        'indirect-not-negotiated',
        Rule.indirect,
        `descriptor ${index} has INDIRECT, which was not negotiated`,
      );
    }
    if ((desc.flags & DescFlag.Next) !== 0) {
      // QEMU ignores NEXT on an indirect descriptor: the table ends the chain.
      w.issue(
        'indirect-with-next',
        Rule.indirect,
        `descriptor ${index} sets both INDIRECT and NEXT`,
      );
    }
    if (desc.len === 0 || desc.len % DESC_SIZE_BYTES !== 0) {
      return malformed(
        'indirect-size',
        Rule.indirect,
        w.where,
        `indirect table of descriptor ${index} is ${desc.len} B, not a non-zero multiple of 16`,
      );
    }
    const count = desc.len / DESC_SIZE_BYTES;
    // §2.7.5.3.1: a chain is never longer than the queue size.
    if (w.descs.length - 1 + count > this.#active.num) {
      return malformed(
        'chain-too-long',
        Rule.indirect,
        w.where,
        `indirect table of ${count} descriptors makes the chain longer than QueueNum ${this.#active.num}`,
      );
    }
    if (desc.addr + BigInt(desc.len) > U64_END) {
      return malformed(
        'range-wraps',
        Rule.descTable,
        w.where,
        `indirect table [0x${desc.addr.toString(16)}, +${desc.len}) wraps u64`,
      );
    }
    const table = port.read(desc.addr, desc.len);
    if (isDmaFault(table)) return dmaError(table);
    w.snapshot.push({ addr: desc.addr, bytes: table });
    let i = 0;
    for (let n = 0; n < count; n++) {
      const d = decodeDesc(table.subarray(DESC_SIZE_BYTES * i, DESC_SIZE_BYTES * (i + 1)));
      if ((d.flags & DescFlag.Indirect) !== 0) {
        return malformed(
          'nested-indirect',
          Rule.indirect,
          w.where,
          `indirect descriptor ${i} sets INDIRECT inside an indirect table`,
        );
      }
      const bad = w.add({ index: i, desc: d, indirect: true });
      if (bad !== null) return bad;
      if ((d.flags & DescFlag.Next) === 0) return null;
      if (d.next >= count) {
        return malformed(
          'next-out-of-range',
          Rule.descTable,
          w.where,
          `indirect descriptor ${i} next ${d.next} ≥ table size ${count}`,
        );
      }
      i = d.next;
    }
    return malformed(
      'chain-loop',
      Rule.descTable,
      w.where,
      `indirect chain is longer than its table of ${count} (a loop)`,
    );
  }

  /**
   * Re-read what a chain exposed, before using it (strict mode, when time has passed since it was
   * consumed). A changed descriptor is always the driver altering an exposed buffer (§3.3.1). A
   * changed avail entry is one too unless the driver may already have reused the slot, which it
   * may only after seeing more used entries than this entry's position.
   */
  verify(port: DmaPort, chain: Chain): DriverIssue | QueueError | null {
    const where = `queue ${this.index} avail[${chain.availIndex}] head ${chain.head}`;
    if (this.#published <= chain.consumeSeq) {
      const slot = virtqSlot(chain.availIndex, this.#active.num);
      const now = this.#readU16(port, this.#active.availAddr + 4n + 2n * BigInt(slot));
      if (typeof now !== 'number') return now;
      if (now !== chain.head) {
        return {
          code: 'avail-entry-changed',
          rule: `${Rule.updatingIdx}, ${Rule.cleanup}`,
          where,
          message: `avail ring entry ${chain.availIndex} read as ${chain.head} after avail.idx exposed it, later ${now}: the driver published avail.idx before writing the entry, or altered an exposed entry`,
        };
      }
    }
    for (const { addr, bytes } of chain.snapshot) {
      const now = port.read(addr, bytes.length);
      if (isDmaFault(now)) return dmaError(now);
      if (!sameBytes(now, bytes)) {
        return {
          code: 'exposed-descriptor-changed',
          rule: Rule.cleanup,
          where,
          message: `descriptor memory at 0x${addr.toString(16)} changed while the chain was in flight (the driver altered an exposed buffer)`,
        };
      }
    }
    return null;
  }

  /** Publish `{id: head, len}` for each chain at used.ring[used.idx % num], then used.idx once. */
  pushUsed(
    port: DmaPort,
    entries: readonly { chain: Chain; lenBytes: number }[],
  ): QueueError | null {
    assert(this.enabled, 'pushUsed on a queue that is not running');
    const { num, usedAddr } = this.#active;
    for (let i = 0; i < entries.length; i++) {
      const { chain, lenBytes } = entries[i] as { chain: Chain; lenBytes: number };
      assert(chain.head < num && lenBytes >>> 0 === lenBytes, 'used entry in range');
      const slot = virtqSlot(u16(this.usedIdx + i), num);
      const elem = new Uint8Array(8);
      le(elem).setUint32(0, chain.head, true);
      le(elem).setUint32(4, lenBytes, true);
      const f = port.write(usedAddr + 4n + 8n * BigInt(slot), elem);
      if (f !== null) return dmaError(f);
    }
    // §2.7.8: the ring entries are written before used.idx (the device-side write barrier); one
    // index update for a group, as QEMU's virtqueue_flush does for a merged receive buffer.
    const next = u16(this.usedIdx + entries.length);
    const f = this.#writeU16(port, usedAddr + 2n, next);
    if (f !== null) return f;
    this.usedIdx = next;
    this.#published += entries.length;
    for (const { chain } of entries) this.#release(chain);
    return null;
  }

  /**
   * Used buffer notification needed now (§2.7.7.2)? Without EVENT_IDX: unless avail.flags has
   * NO_INTERRUPT. With it: when used.idx passed used_event since the last notification (QEMU's
   * virtio_should_notify). `issues` gets the driver's avail.flags misuse (§2.7.7.1).
   */
  shouldNotify(port: DmaPort, issues: DriverIssue[]): boolean | QueueError {
    const { num, availAddr } = this.#active;
    const f = this.#readU16(port, availAddr);
    // With EVENT_IDX the device ignores avail.flags: reading them only serves the strict check,
    // and must not change what the device does (a refused read is then not the driver's fault).
    if (typeof f !== 'number') {
      if (!this.#features.eventIdx) return f;
    } else {
      const allowed = this.#features.eventIdx ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
      if ((f & ~allowed) !== 0) {
        issues.push({
          code: 'avail-flags',
          rule: Rule.usedSuppression,
          where: `queue ${this.index} avail.flags`,
          message: this.#features.eventIdx
            ? `avail.flags is 0x${f.toString(16)}; with VIRTIO_F_EVENT_IDX the driver sets it to 0`
            : `avail.flags is 0x${f.toString(16)}; without VIRTIO_F_EVENT_IDX the driver sets it to 0 or 1`,
        });
      }
      if (!this.#features.eventIdx) return (f & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    }
    const event = this.#readU16(port, availAddr + 4n + 2n * BigInt(num));
    if (typeof event !== 'number') return event;
    const valid = this.#signalledValid;
    const old = this.#signalledUsed;
    this.#signalledValid = true;
    this.#signalledUsed = this.usedIdx;
    return !valid || vringNeedEvent({ event, next: this.usedIdx, old });
  }

  #availEventAddr(): bigint {
    return this.#active.usedAddr + 4n + 8n * BigInt(this.#active.num);
  }

  /**
   * Ask the driver not to notify (true) or to notify again (false) — QEMU's
   * virtio_queue_set_notification. Without EVENT_IDX this is used.flags NO_NOTIFY; with it,
   * avail_event is moved half the index space away (suppress) or set to avail.idx (re-enable).
   * After re-enabling, the caller must look at the avail ring again (the device-side re-check).
   */
  setNotification(port: DmaPort, suppress: boolean): QueueError | null {
    this.suppressed = suppress;
    if (!this.#features.eventIdx) {
      return this.#writeU16(port, this.#active.usedAddr, suppress ? VIRTQ_USED_F_NO_NOTIFY : 0);
    }
    if (suppress) {
      return this.#writeU16(port, this.#availEventAddr(), u16(this.lastAvailIdx + 0x8000));
    }
    const availIdx = this.#readU16(port, this.#active.availAddr + 2n);
    if (typeof availIdx !== 'number') return availIdx;
    return this.#writeU16(port, this.#availEventAddr(), availIdx);
  }
}

interface RawDesc {
  readonly addr: bigint;
  readonly len: number;
  readonly flags: number;
  readonly next: number;
}

function decodeDesc(raw: Uint8Array): RawDesc {
  const v = le(raw);
  return {
    addr: v.getBigUint64(0, true),
    len: v.getUint32(8, true),
    flags: v.getUint16(12, true),
    next: v.getUint16(14, true),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The segments and checks of one chain walk (direct part and indirect table alike). */
class ChainWalk {
  readonly readable: Segment[] = [];
  readonly writable: Segment[] = [];
  readonly descs: number[] = [];
  readonly snapshot: { addr: bigint; bytes: Uint8Array }[] = [];
  readonly issues: DriverIssue[] = [];
  readableBytes = 0;
  writableBytes = 0;

  constructor(
    readonly where: string,
    readonly num: number,
  ) {}

  issue(code: string, rule: string, message: string): void {
    this.issues.push({ code, rule, where: this.where, message });
  }

  /** One buffer descriptor (not an indirect-table reference). */
  add(at: { index: number; desc: RawDesc; indirect?: boolean }): Malformed | null {
    const { index, desc } = at;
    const name = `${at.indirect === true ? 'indirect ' : ''}descriptor ${index}`;
    if (desc.len === 0) {
      // QEMU: "virtio: zero sized buffers are not allowed" (virtio_error: the device breaks).
      return malformed('zero-length', Rule.qemuZeroLength, this.where, `${name} has length 0`);
    }
    if (desc.addr + BigInt(desc.len) > U64_END) {
      return malformed(
        'range-wraps',
        Rule.descTable,
        this.where,
        `${name} [0x${desc.addr.toString(16)}, +${desc.len}) wraps u64`,
      );
    }
    if (this.readableBytes + this.writableBytes + desc.len > MAX_CHAIN_BYTES) {
      return malformed(
        'chain-bytes',
        Rule.descTable,
        this.where,
        `chain describes more than ${MAX_CHAIN_BYTES} bytes`,
      );
    }
    if ((desc.flags & DescFlag.Write) !== 0) {
      this.writable.push({ addr: desc.addr, lenBytes: desc.len });
      this.writableBytes += desc.len;
      return null;
    }
    if (this.writable.length > 0) {
      return malformed(
        'readable-after-writable',
        Rule.framing,
        this.where,
        `${name} is device-readable after a device-writable one`,
      );
    }
    this.readable.push({ addr: desc.addr, lenBytes: desc.len });
    this.readableBytes += desc.len;
    return null;
  }

  finish(at: { head: number; availIndex: number; consumeSeq: number }): Chain {
    return {
      kind: 'chain',
      head: at.head,
      availIndex: at.availIndex,
      consumeSeq: at.consumeSeq,
      readable: this.readable,
      writable: this.writable,
      readableBytes: this.readableBytes,
      writableBytes: this.writableBytes,
      descs: this.descs,
      snapshot: this.snapshot,
      issues: this.issues,
    };
  }
}

/** Gather the bytes of the readable segments (in order), or the first fault. */
export function readSegments(port: DmaPort, segments: readonly Segment[]): Uint8Array | QueueError {
  const total = segments.reduce((s, x) => s + x.lenBytes, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const seg of segments) {
    const b = port.read(seg.addr, seg.lenBytes);
    if (isDmaFault(b)) return dmaError(b);
    out.set(b, at);
    at += seg.lenBytes;
  }
  assert(at === total, 'gathered every readable byte');
  return out;
}

/** Scatter `data` over the writable segments, in order; returns the bytes written. */
export function writeSegments(
  port: DmaPort,
  segments: readonly Segment[],
  data: Uint8Array,
): number | QueueError {
  return writeSegmentsAt(port, segments, { offsetBytes: 0, data });
}

/** Scatter `data` starting `offsetBytes` into the concatenated writable segments. */
export function writeSegmentsAt(
  port: DmaPort,
  segments: readonly Segment[],
  place: { offsetBytes: number; data: Uint8Array },
): number | QueueError {
  const { offsetBytes, data } = place;
  assert(offsetBytes >= 0, 'offset into the chain is non-negative');
  let segStart = 0;
  let at = 0;
  for (const seg of segments) {
    if (at >= data.length) break;
    const segEnd = segStart + seg.lenBytes;
    const from = offsetBytes + at;
    if (from < segEnd) {
      const skip = from - segStart;
      const n = Math.min(seg.lenBytes - skip, data.length - at);
      const fault = port.write(seg.addr + BigInt(skip), data.subarray(at, at + n));
      if (fault !== null) return dmaError(fault);
      at += n;
    }
    segStart = segEnd;
  }
  assert(at <= data.length, 'never wrote past the data');
  return at;
}
