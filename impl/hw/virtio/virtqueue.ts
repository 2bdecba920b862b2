// Device side of a virtio split virtqueue (reference sddf-protocols.md §5.1 [spec], virtio 1.x
// §2.7). Every access to the rings goes through the device's DmaPort at the addresses the driver
// programmed, so an IOMMU window applies to ring memory too. Indices are free-running u16.

import { assert } from '../../../spec/common/assert.ts';
import { u16 } from '../../../spec/common/int.ts';
import type { DmaFault, DmaPort } from '../../mem/types.ts';
import { isDmaFault } from '../events.ts';
import {
  DESC_SIZE_BYTES,
  DescFlag,
  MAX_QUEUE_NUM,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
} from './constants.ts';

/** One buffer of a descriptor chain, as an I/O address range. */
export interface Segment {
  readonly addr: bigint;
  readonly lenBytes: number;
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
}

/** A driver error the device detected: virtio 1.x §2.1.2 wants DEVICE_NEEDS_RESET. */
export interface Malformed {
  readonly kind: 'malformed';
  readonly reason: string;
}

export type QueueError = Malformed | { readonly kind: 'dma'; readonly fault: DmaFault };

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

function malformed(reason: string): Malformed {
  return { kind: 'malformed', reason };
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

export class SplitVirtqueue {
  readonly config: QueueConfig = { num: 0, descAddr: 0n, availAddr: 0n, usedAddr: 0n };
  ready = false;
  /** Device-private: the next avail ring position to consume (u16, free-running). */
  lastAvailIdx = 0;
  /** Device-private shadow of `used.idx` (the device is the only writer of it). */
  usedIdx = 0;

  constructor(readonly queueNumMax: number) {
    assert(
      queueNumMax >= 1 && queueNumMax <= MAX_QUEUE_NUM && (queueNumMax & (queueNumMax - 1)) === 0,
      `QueueNumMax must be a power of two ≤ ${MAX_QUEUE_NUM}, got ${queueNumMax}`,
    );
  }

  reset(): void {
    this.config.num = 0;
    this.config.descAddr = 0n;
    this.config.availAddr = 0n;
    this.config.usedAddr = 0n;
    this.ready = false;
    this.lastAvailIdx = 0;
    this.usedIdx = 0;
  }

  /** Why the programmed queue cannot be enabled, or null (checked when QueueReady is written 1). */
  validate(): string | null {
    const { num, descAddr, availAddr, usedAddr } = this.config;
    if (num === 0 || num > this.queueNumMax || (num & (num - 1)) !== 0) {
      return `QueueNum ${num} is not a power of two in [1, ${this.queueNumMax}]`;
    }
    // §2.7: descriptor table 16-aligned, avail 2-aligned, used 4-aligned.
    if (descAddr % 16n !== 0n) return `QueueDesc 0x${descAddr.toString(16)} not 16-aligned`;
    if (availAddr % 2n !== 0n) return `QueueDriver 0x${availAddr.toString(16)} not 2-aligned`;
    if (usedAddr % 4n !== 0n) return `QueueDevice 0x${usedAddr.toString(16)} not 4-aligned`;
    return null;
  }

  /** Arm the queue (QueueReady = 1); §2.7: both ring indices start at 0 after a reset. */
  enable(): void {
    assert(this.validate() === null, 'enable() only after validate() passed');
    this.ready = true;
    this.lastAvailIdx = 0;
    this.usedIdx = 0;
  }

  #readU16(port: DmaPort, addr: bigint): number | QueueError {
    const b = port.read(addr, 2);
    return isDmaFault(b) ? dmaError(b) : le(b).getUint16(0, true);
  }

  /** Buffers the driver has made available and the device has not consumed yet. */
  pendingCount(port: DmaPort): number | QueueError {
    assert(this.ready, 'pendingCount on a queue that is not ready');
    const availIdx = this.#readU16(port, this.config.availAddr + 2n);
    if (typeof availIdx !== 'number') return availIdx;
    const pending = u16(availIdx - this.lastAvailIdx);
    // §2.7.13: the driver never makes more than `num` buffers available at once.
    if (pending > this.config.num) {
      return malformed(
        `avail.idx ${availIdx} is ${pending} ahead of the device (${this.lastAvailIdx}), more than QueueNum ${this.config.num}`,
      );
    }
    return pending;
  }

  /** Take the next available chain (caller checked pendingCount > 0). */
  popChain(port: DmaPort): Chain | QueueError {
    const { num, availAddr } = this.config;
    const slot = this.lastAvailIdx % num;
    const head = this.#readU16(port, availAddr + 4n + 2n * BigInt(slot));
    if (typeof head !== 'number') return head;
    const chain = this.#walk(port, head);
    if (chain.kind === 'chain') {
      this.lastAvailIdx = u16(this.lastAvailIdx + 1);
    }
    return chain;
  }

  /** Follow `next` links from `head`; at most `num` descriptors (more means a loop). */
  #walk(port: DmaPort, head: number): Chain | QueueError {
    const { num, descAddr } = this.config;
    if (head >= num) return malformed(`chain head ${head} ≥ QueueNum ${num}`);
    const readable: Segment[] = [];
    const writable: Segment[] = [];
    let readableBytes = 0;
    let writableBytes = 0;
    let index = head;
    for (let count = 0; count < num; count++) {
      const raw = port.read(descAddr + BigInt(DESC_SIZE_BYTES * index), DESC_SIZE_BYTES);
      if (isDmaFault(raw)) return dmaError(raw);
      const v = le(raw);
      const addr = v.getBigUint64(0, true);
      const lenBytes = v.getUint32(8, true);
      const flags = v.getUint16(12, true);
      const next = v.getUint16(14, true);
      if ((flags & DescFlag.Indirect) !== 0) {
        // VIRTIO_F_INDIRECT_DESC is never offered by these devices.
        return malformed(`descriptor ${index} has INDIRECT, which was not negotiated`);
      }
      if (addr + BigInt(lenBytes) > U64_END) {
        return malformed(`descriptor ${index} [0x${addr.toString(16)}, +${lenBytes}) wraps u64`);
      }
      if (readableBytes + writableBytes + lenBytes > MAX_CHAIN_BYTES) {
        return malformed(`chain from head ${head} describes more than ${MAX_CHAIN_BYTES} bytes`);
      }
      if ((flags & DescFlag.Write) !== 0) {
        writable.push({ addr, lenBytes });
        writableBytes += lenBytes;
      } else {
        if (writable.length > 0) {
          return malformed(`descriptor ${index} is device-readable after a device-writable one`);
        }
        readable.push({ addr, lenBytes });
        readableBytes += lenBytes;
      }
      if ((flags & DescFlag.Next) === 0) {
        return { kind: 'chain', head, readable, writable, readableBytes, writableBytes };
      }
      if (next >= num) return malformed(`descriptor ${index} next ${next} ≥ QueueNum ${num}`);
      index = next;
    }
    return malformed(`chain from head ${head} is longer than QueueNum ${num} (a loop)`);
  }

  /** Publish `{id: head, len}` at used.ring[used.idx % num], then advance used.idx. */
  pushUsed(port: DmaPort, entry: { head: number; lenBytes: number }): QueueError | null {
    assert(this.ready, 'pushUsed on a queue that is not ready');
    assert(
      entry.head < this.config.num && entry.lenBytes >>> 0 === entry.lenBytes,
      'used entry in range',
    );
    const { num, usedAddr } = this.config;
    const slot = this.usedIdx % num;
    const elem = new Uint8Array(8);
    le(elem).setUint32(0, entry.head, true);
    le(elem).setUint32(4, entry.lenBytes, true);
    const f1 = port.write(usedAddr + 4n + 8n * BigInt(slot), elem);
    if (f1 !== null) return dmaError(f1);
    // §2.7.8: the ring entry is written before used.idx is (the device-side write barrier).
    const next = u16(this.usedIdx + 1);
    const idx = new Uint8Array(2);
    le(idx).setUint16(0, next, true);
    const f2 = port.write(usedAddr + 2n, idx);
    if (f2 !== null) return dmaError(f2);
    this.usedIdx = next;
    return null;
  }

  /** avail.flags NO_INTERRUPT (§2.7.7, without EVENT_IDX): the driver asks for no interrupt. */
  interruptSuppressed(port: DmaPort): boolean | QueueError {
    const flags = this.#readU16(port, this.config.availAddr);
    if (typeof flags !== 'number') return flags;
    return (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) !== 0;
  }
}

/** Gather the bytes of the readable segments (in order), or the first fault. */
export function readSegments(port: DmaPort, segments: readonly Segment[]): Uint8Array | QueueError {
  const total = segments.reduce((s, x) => s + x.lenBytes, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const seg of segments) {
    if (seg.lenBytes === 0) continue;
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
