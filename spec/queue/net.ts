// The network queue at index level, exactly as include/sddf/network/queue.h has it
// (reference sddf-protocols.md §2.1): u16 free-running `tail`/`head`, u32 `consumer_signalled`,
// 16-byte descriptors `{u64 io_or_offset; u16 len; u8 oid:6}`. Capacity lives in the private
// handle only (§2 "Capacity is not stored in shared memory"), so every operation takes it.
import { assert } from '../common/assert.ts';
import type { Diagnostic } from '../common/diagnostic.ts';
import { u16 } from '../common/int.ts';
import type { AbstractQueue } from './abstract.ts';
import {
  checkCapacity,
  ringAbstraction,
  ringDequeue,
  ringEnqueue,
  ringInitial,
  ringInvariant,
  ringIsEmpty,
  ringLength,
  type RingShape,
  type RingState,
} from './ring.ts';

/** `NET_BUFFER_SIZE` (§2.1): data offsets are multiples of this. */
export const NET_BUFFER_SIZE_BYTES = 2048;
/** `sizeof(net_buff_desc_t)`. */
export const NET_DESC_SIZE_BYTES = 16;
/** `offsetof(net_queue_t, buffers)`: tail u16 @0, head u16 @2, consumer_signalled u32 @4. */
export const NET_QUEUE_HEADER_BYTES = 8;
/** `oid` is a 6-bit field. */
export const NET_OID_LIMIT = 64;

export interface NetBuffDesc {
  /** u64: offset into the data region (client side) or IO address (virt↔driver). */
  readonly ioOrOffset: bigint;
  /** u16 bytes of valid data. */
  readonly len: number;
  /** 6-bit region id (vswitch only; 0 otherwise). */
  readonly oid: number;
}

export interface NetQueueState extends RingState<NetBuffDesc> {
  /** u32; 0 = the consumer wants a signal (§2.2 flag polarity). Zero-filled at boot. */
  readonly consumerSignalled: number;
}

/**
 * Which full check to use. `corrected` (the default): `(uint16_t)(tail - head) == capacity`.
 * `c-as-written`: `tail - head == capacity` with both u16 promoted to `int`, as the C at HEAD
 * computes it; across the 16-bit wrap a full queue reports not-full (bug U1).
 */
export type NetFullCheck = 'corrected' | 'c-as-written';

export interface NetQueueSpec {
  readonly capacity: number;
  readonly fullCheck: NetFullCheck;
}

export function netShape(capacity: number): RingShape {
  return { width: 16, capacity, reservedSlots: 0 };
}

/** Net capacities must be powers of two ≤ 2^15 (§2: `% capacity` across the u16 wrap). */
export function checkNetCapacity(capacity: number): Diagnostic | null {
  return checkCapacity({ queue: 'net queue', capacity, width: 16, powerOfTwo: true });
}

export function netInitial(capacity: number, start = 0): NetQueueState {
  return { ...ringInitial<NetBuffDesc>(capacity, u16(start)), consumerSignalled: 0 };
}

export function netLength(s: NetQueueState): number {
  return ringLength(16, s);
}

export function netEmpty(s: NetQueueState): boolean {
  return ringIsEmpty(s);
}

export function netFull(spec: NetQueueSpec, s: NetQueueState): boolean {
  switch (spec.fullCheck) {
    case 'corrected':
      return u16(s.tail - s.head) === spec.capacity;
    case 'c-as-written':
      // bug U1: the u16 operands are promoted to int, so the difference may be negative.
      return s.tail - s.head === spec.capacity;
  }
}

export function netEnqueue(
  spec: NetQueueSpec,
  s: NetQueueState,
  d: NetBuffDesc,
): { readonly state: NetQueueState; readonly ok: boolean } {
  const broken = netDescProblem(d);
  assert(broken === null, () => `enqueue of an impossible descriptor: ${broken}`);
  return ringEnqueue(netShape(spec.capacity), s, d, netFull(spec, s));
}

export function netDequeue(
  capacity: number,
  s: NetQueueState,
): { readonly state: NetQueueState; readonly item: NetBuffDesc | null } {
  return ringDequeue(netShape(capacity), s);
}

/** `net_buffers_init`: a free queue holding `{2048*i + base, 0}` for every slot. */
export function netBuffersInit(opts: {
  readonly capacity: number;
  readonly baseIoOrOffset: bigint;
  readonly start?: number;
}): NetQueueState {
  const spec: NetQueueSpec = { capacity: opts.capacity, fullCheck: 'corrected' };
  let s = netInitial(opts.capacity, opts.start ?? 0);
  for (let i = 0; i < opts.capacity; i++) {
    const io = BigInt(NET_BUFFER_SIZE_BYTES * i) + opts.baseIoOrOffset;
    const r = netEnqueue(spec, s, { ioOrOffset: BigInt.asUintN(64, io), len: 0, oid: 0 });
    assert(r.ok, 'net_buffers_init fills exactly capacity slots');
    s = r.state;
  }
  return s;
}

export function netInvariant(capacity: number, s: NetQueueState): string | null {
  return ringInvariant(netShape(capacity), s);
}

export function netAbstraction(capacity: number, s: NetQueueState): AbstractQueue<NetBuffDesc> {
  return ringAbstraction(netShape(capacity), s);
}

/** A descriptor whose fields fit their C widths, or what does not fit. */
export function netDescProblem(d: NetBuffDesc): string | null {
  if (d.ioOrOffset < 0n || d.ioOrOffset >= 1n << 64n)
    return `io_or_offset ${d.ioOrOffset} is not a u64`;
  if (!Number.isInteger(d.len) || d.len < 0 || d.len > 0xffff) return `len ${d.len} is not a u16`;
  if (!Number.isInteger(d.oid) || d.oid < 0 || d.oid >= NET_OID_LIMIT)
    return `oid ${d.oid} is not 6 bits`;
  return null;
}

/**
 * A client-side data offset (§2.1): a multiple of NET_BUFFER_SIZE below
 * `NET_BUFFER_SIZE * numBuffers`. Returns a Diagnostic naming the value, or null.
 */
export function checkNetOffset(opts: {
  readonly offset: bigint;
  readonly numBuffers: number;
}): Diagnostic | null {
  const size = BigInt(NET_BUFFER_SIZE_BYTES);
  const limit = size * BigInt(opts.numBuffers);
  if (opts.offset % size !== 0n || opts.offset < 0n) {
    return {
      code: 'NET_OFFSET',
      message: `offset ${opts.offset} is not a multiple of ${NET_BUFFER_SIZE_BYTES}`,
    };
  }
  if (opts.offset >= limit) {
    return {
      code: 'NET_OFFSET',
      message: `offset ${opts.offset} is out of range: must be below ${NET_BUFFER_SIZE_BYTES} * ${opts.numBuffers} = ${limit}`,
    };
  }
  return null;
}

/** Shared bytes of a net queue MR holding `capacity` descriptors: `8 + 16*cap`. */
export function netQueueSizeBytes(capacity: number): number {
  return NET_QUEUE_HEADER_BYTES + NET_DESC_SIZE_BYTES * capacity;
}
