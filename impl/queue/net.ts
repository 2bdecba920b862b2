// The network queue over a SharedArrayBuffer, byte-compatible with include/sddf/network/queue.h
// (reference sddf-protocols.md §2.1): tail u16 @0, head u16 @2, consumer_signalled u32 @4,
// 16-byte descriptors from @8 {u64 io_or_offset @0, u16 len @8, u8 oid:6 @10}.
//
// The index predicates (empty, full in each of its forms, length, slot) are the spec's own
// (spec/queue/net.ts), evaluated on the values loaded here; the refinement tests hold the shared
// words this class writes to the spec's operations (traces/refinement, docs/adr/011).
//
// Ordering (JS Atomics are sequentially consistent, which is at least the acquire/release
// each access needs): the producer writes a slot with plain stores and publishes it with an
// Atomics store of `tail`; the consumer Atomics-loads `tail` before reading the slot and
// Atomics-stores `head` after reading it. An index a side writes itself is read plainly (only
// that side writes it, SPSC). The flag is always accessed with Atomics so the store-buffering
// pair of §2.2 (consumer: store flag; load tail — producer: store tail; load flag) cannot both
// see the old values.
import { assert } from '../../spec/common/assert.ts';
import { U16 } from '../../spec/queue/arith.ts';
import {
  NET_DESC_SIZE_BYTES,
  NET_QUEUE_HEADER_BYTES,
  checkNetCapacity,
  checkNetOffset,
  netDescProblem,
  netEmptyOf,
  netFullOf,
  netLengthOf,
  netQueueSizeBytes,
  netSlotOf,
  type NetBuffDesc,
  type NetFullCheck,
} from '../../spec/queue/net.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../../spec/signal/handshake.ts';
import { HOST_IS_LITTLE_ENDIAN, checkRegion, throwIfProblem, type SharedRegion } from './region.ts';

assert(HOST_IS_LITTLE_ENDIAN, 'the C structs are little-endian; typed arrays follow the host');

const TAIL = 0; // u16 index of tail in the Uint16Array view
const HEAD = 1; // u16 index of head
const WORDS_PER_DESC = NET_DESC_SIZE_BYTES / 4;

/** A reusable descriptor in parts, so a hot loop can dequeue without allocating a bigint. */
export interface NetDescParts {
  ioLow: number;
  ioHigh: number;
  len: number;
  oid: number;
}

export function newNetDescParts(): NetDescParts {
  return { ioLow: 0, ioHigh: 0, len: 0, oid: 0 };
}

export interface NetQueueOptions {
  readonly region: SharedRegion;
  /** Private to the handle, never read from shared memory (§2). */
  readonly capacity: number;
  /** Default `corrected`; `int-promoted` reproduces bug U1 (for refinement and mutants). */
  readonly fullCheck?: NetFullCheck;
}

/** One `net_queue_t` as one side sees it through its handle. */
export class NetQueue {
  readonly capacity: number;
  readonly fullCheck: NetFullCheck;
  private readonly indices: Uint16Array;
  private readonly flag: Uint32Array;
  private readonly words: Uint32Array;

  constructor(opts: NetQueueOptions) {
    throwIfProblem(checkNetCapacity(opts.capacity));
    const sizeBytes = netQueueSizeBytes(opts.capacity);
    throwIfProblem(
      checkRegion({ queue: 'net queue', region: opts.region, sizeBytes, alignBytes: 8 }),
    );
    const { buffer, byteOffset } = opts.region;
    this.capacity = opts.capacity;
    this.fullCheck = opts.fullCheck ?? 'corrected';
    this.indices = new Uint16Array(buffer, byteOffset, 2);
    this.flag = new Uint32Array(buffer, byteOffset + 4, 1);
    this.words = new Uint32Array(
      buffer,
      byteOffset + NET_QUEUE_HEADER_BYTES,
      opts.capacity * WORDS_PER_DESC,
    );
  }

  /** Bytes of shared memory a queue of `capacity` needs (`8 + 16*cap`). */
  static sizeBytes(capacity: number): number {
    return netQueueSizeBytes(capacity);
  }

  /** `net_queue_empty`: either side. Atomics load: the other side may be storing. */
  empty(): boolean {
    const tail = Atomics.load(this.indices, TAIL);
    return netEmptyOf(U16, tail, Atomics.load(this.indices, HEAD));
  }

  /** `net_queue_full` (producer side): head is loaded with Atomics (acquire: consumer is done with the slot). */
  full(): boolean {
    const tail = this.indices[TAIL] as number; // plain: only the producer writes tail
    const head = Atomics.load(this.indices, HEAD);
    return netFullOf(U16, this.fullCheck, { tail, head, capacity: this.capacity });
  }

  /** `net_queue_length`: `(uint16_t)(tail - head)`. */
  length(): number {
    const tail = Atomics.load(this.indices, TAIL);
    return netLengthOf(U16, tail, Atomics.load(this.indices, HEAD));
  }

  /** `net_enqueue`: false when full (the C -1). */
  enqueue(d: NetBuffDesc): boolean {
    const broken = netDescProblem(d);
    assert(broken === null, () => `enqueue of an impossible descriptor: ${broken}`);
    const low = Number(BigInt.asUintN(32, d.ioOrOffset));
    const high = Number(d.ioOrOffset >> 32n);
    return this.enqueueParts(low, high, d.len, d.oid);
  }

  /** `net_enqueue` with the u64 split in two u32 halves (no bigint on the hot path). */
  enqueueParts(ioLow: number, ioHigh: number, len: number, oid: number): boolean {
    if (this.full()) return false;
    const tail = this.indices[TAIL] as number; // plain: only the producer writes tail
    const base = netSlotOf(U16, tail, this.capacity) * WORDS_PER_DESC;
    // The slot is written with plain stores BEFORE the tail store that publishes it.
    this.words[base] = ioLow;
    this.words[base + 1] = ioHigh;
    this.words[base + 2] = (len & 0xffff) | ((oid & 0x3f) << 16); // len @8, oid:6 @10, pad @11
    this.words[base + 3] = 0; // padding bytes 12..15
    // Release: publishes the slot; seq-cst also orders it before the require_signal load (§2.2 SB).
    Atomics.store(this.indices, TAIL, U16.add(tail, 1));
    return true;
  }

  /** `net_dequeue`: null when empty (the C -1). */
  dequeue(): NetBuffDesc | null {
    const out = newNetDescParts();
    if (!this.dequeueInto(out)) return null;
    const ioOrOffset = (BigInt(out.ioHigh) << 32n) | BigInt(out.ioLow);
    return { ioOrOffset, len: out.len, oid: out.oid };
  }

  /** `net_dequeue` into a reused object; false when empty. */
  dequeueInto(out: NetDescParts): boolean {
    const head = this.indices[HEAD] as number; // plain: only the consumer writes head
    // Acquire: the slot contents written before this tail store are visible after this load.
    if (netEmptyOf(U16, Atomics.load(this.indices, TAIL), head)) return false;
    const base = netSlotOf(U16, head, this.capacity) * WORDS_PER_DESC;
    const w2 = this.words[base + 2] as number;
    out.ioLow = this.words[base] as number;
    out.ioHigh = this.words[base + 1] as number;
    out.len = w2 & 0xffff;
    out.oid = (w2 >>> 16) & 0x3f;
    // Release: the slot has been read before it is handed back to the producer.
    Atomics.store(this.indices, HEAD, U16.add(head, 1));
    return true;
  }

  /** `net_request_signal` (consumer arms): seq-cst store, ordered before its re-check of tail (§2.2 SB). */
  requestSignal(): void {
    Atomics.store(this.flag, 0, FLAG_WANTS_SIGNAL);
  }

  /** `net_cancel_signal`: consumer (in its re-check) or producer (before notifying). */
  cancelSignal(): void {
    Atomics.store(this.flag, 0, FLAG_SIGNALLED);
  }

  /** `net_require_signal` (producer): seq-cst load after its tail store (§2.2 SB). */
  requireSignal(): boolean {
    return Atomics.load(this.flag, 0) === FLAG_WANTS_SIGNAL;
  }
}

/** `net_queue_handle_t`: the free/active pair of one connection, same capacity (§2.1). */
export interface NetQueueHandle {
  readonly free: NetQueue;
  readonly active: NetQueue;
  readonly capacity: number;
}

export function createNetQueueHandle(opts: {
  readonly free: SharedRegion;
  readonly active: SharedRegion;
  readonly capacity: number;
  readonly fullCheck?: NetFullCheck;
}): NetQueueHandle {
  const common = {
    capacity: opts.capacity,
    ...(opts.fullCheck ? { fullCheck: opts.fullCheck } : {}),
  };
  const free = new NetQueue({ region: opts.free, ...common });
  const active = new NetQueue({ region: opts.active, ...common });
  return { free, active, capacity: opts.capacity };
}

/**
 * `net_buffers_init(h, base)`: fill the free queue with `{2048*i + base, 0}`. Every offset is
 * validated against the data region it names (§2.1: multiples of 2048 below 2048*num_buffers).
 */
export function netBuffersInit(h: NetQueueHandle, baseIoOrOffset: bigint): void {
  for (let i = 0; i < h.capacity; i++) {
    const offset = BigInt(2048 * i);
    throwIfProblem(checkNetOffset({ offset, numBuffers: h.capacity }));
    const ok = h.free.enqueue({
      ioOrOffset: BigInt.asUintN(64, offset + baseIoOrOffset),
      len: 0,
      oid: 0,
    });
    assert(ok, () => `net_buffers_init: free queue full after ${i} of ${h.capacity}`);
  }
}

/**
 * The 2048-byte buffer a client-side `io_or_offset` names in a data region of `numBuffers`
 * buffers. The offset is untrusted (a peer wrote it), so it is checked here where it is used.
 */
export function netBufferAt(opts: {
  readonly data: SharedRegion;
  readonly offset: bigint;
  readonly numBuffers: number;
}): Uint8Array {
  throwIfProblem(checkNetOffset({ offset: opts.offset, numBuffers: opts.numBuffers }));
  const sizeBytes = 2048 * opts.numBuffers;
  throwIfProblem(
    checkRegion({ queue: 'net data region', region: opts.data, sizeBytes, alignBytes: 1 }),
  );
  return new Uint8Array(opts.data.buffer, opts.data.byteOffset + Number(opts.offset), 2048);
}
