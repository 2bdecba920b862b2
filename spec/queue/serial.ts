// The serial queue at index level, as include/sddf/serial/queue.h has it (reference
// sddf-protocols.md §2.4): u32 `tail`@0, `head`@4, `producer_signalled`@8 in the queue MR; the
// characters live in a separate data region of exactly `capacity` bytes (a power of two).
// Local variants advance a private index and publish a batch with update_shared_tail/head.
import { assert } from '../common/assert.ts';
import type { Diagnostic } from '../common/diagnostic.ts';
import type { AbstractQueue } from './abstract.ts';
import {
  checkCapacity,
  ringAbstraction,
  ringDequeue,
  ringEnqueue,
  ringInitial,
  ringInvariant,
  ringIsFull,
  ringLength,
  ringSlot,
  wrapIndex,
  type RingShape,
  type RingState,
} from './ring.ts';

/** `sizeof(serial_queue_t)`: tail u32 @0, head u32 @4, producer_signalled u32 @8. */
export const SERIAL_QUEUE_HEADER_BYTES = 12;

/** `slots` are the data region bytes (u8). */
export interface SerialQueueState extends RingState<number> {
  /** u32; 0 = the producer wants a signal (it is blocked on a full queue, §2.4). */
  readonly producerSignalled: number;
}

export function serialShape(capacity: number): RingShape {
  return { width: 32, capacity, reservedSlots: 0 };
}

export function checkSerialCapacity(capacity: number): Diagnostic | null {
  return checkCapacity({ queue: 'serial queue', capacity, width: 32, powerOfTwo: true });
}

export function serialInitial(capacity: number, start = 0): SerialQueueState {
  // The data region is zero-filled at boot (§1.7), so every byte reads as 0 before any write.
  const s = ringInitial<number>(capacity, start >>> 0);
  return { ...s, slots: s.slots.map(() => 0), producerSignalled: 0 };
}

export function serialLength(s: SerialQueueState): number {
  return ringLength(32, s);
}

/** `serial_queue_free`: bytes the producer may still write. */
export function serialFree(capacity: number, s: SerialQueueState): number {
  return capacity - serialLength(s);
}

export function serialFull(capacity: number, s: SerialQueueState): boolean {
  return ringIsFull(serialShape(capacity), s);
}

function assertByte(c: number): void {
  assert(Number.isInteger(c) && c >= 0 && c <= 0xff, () => `character ${c} is not a u8`);
}

export function serialEnqueue(capacity: number, s: SerialQueueState, c: number) {
  assertByte(c);
  return ringEnqueue(serialShape(capacity), s, c, serialFull(capacity, s));
}

export function serialDequeue(capacity: number, s: SerialQueueState) {
  return ringDequeue<number, SerialQueueState>(serialShape(capacity), s);
}

/** `serial_enqueue_local`: writes the byte, advances only the private `localTail`. */
export function serialEnqueueLocal(
  capacity: number,
  s: SerialQueueState,
  localTail: number,
  c: number,
): { readonly state: SerialQueueState; readonly localTail: number; readonly ok: boolean } {
  assertByte(c);
  if (wrapIndex(32, localTail - s.head) === capacity) return { state: s, localTail, ok: false };
  const slots = s.slots.slice();
  slots[ringSlot(capacity, localTail)] = c;
  return { state: { ...s, slots }, localTail: wrapIndex(32, localTail + 1), ok: true };
}

/** `serial_update_shared_tail`: publish a batch (debug build asserts it neither shrinks nor overflows). */
export function serialUpdateSharedTail(
  capacity: number,
  s: SerialQueueState,
  localTail: number,
): SerialQueueState {
  const before = serialLength(s);
  const after = wrapIndex(32, localTail - s.head);
  assert(
    after >= before && after <= capacity,
    () => `update_shared_tail: length ${before} -> ${after}, capacity ${capacity}`,
  );
  return { ...s, tail: localTail >>> 0 };
}

/** `serial_dequeue_local`: reads the byte at the private `localHead`, advances only it. */
export function serialDequeueLocal(
  capacity: number,
  s: SerialQueueState,
  localHead: number,
): { readonly localHead: number; readonly item: number | null } {
  if (localHead === s.tail) return { localHead, item: null };
  const item = s.slots[ringSlot(capacity, localHead)];
  assert(item !== undefined, 'data region byte exists');
  return { localHead: wrapIndex(32, localHead + 1), item };
}

/** `serial_update_shared_head`: publish consumed bytes (must not pass the tail). */
export function serialUpdateSharedHead(
  capacity: number,
  s: SerialQueueState,
  localHead: number,
): SerialQueueState {
  const consumed = wrapIndex(32, localHead - s.head);
  assert(
    consumed <= serialLength(s),
    () => `update_shared_head: consumed ${consumed} > length ${serialLength(s)}`,
  );
  return { ...s, head: localHead >>> 0 };
}

/** One memcpy of a batch: `countBytes` bytes at data index `dataIndex`. */
export interface SerialCopy {
  readonly dataIndex: number;
  readonly countBytes: number;
}

/**
 * `serial_enqueue_batch(h, n, src)`: copies `min(n, free)` bytes in at most two memcpys (up to
 * the end of the data region, then from its start) and publishes the tail once.
 */
export function serialEnqueueBatch(
  capacity: number,
  s: SerialQueueState,
  src: readonly number[],
): {
  readonly state: SerialQueueState;
  readonly countBytes: number;
  readonly copies: readonly SerialCopy[];
} {
  const n = Math.min(src.length, serialFree(capacity, s));
  const start = ringSlot(capacity, s.tail);
  const preWrap = Math.min(n, capacity - start);
  const copies: SerialCopy[] = [];
  if (preWrap > 0) copies.push({ dataIndex: start, countBytes: preWrap });
  if (n - preWrap > 0) copies.push({ dataIndex: 0, countBytes: n - preWrap });
  const slots = s.slots.slice();
  for (let i = 0; i < n; i++) {
    const c = src[i] as number;
    assertByte(c);
    slots[ringSlot(capacity, wrapIndex(32, s.tail + i))] = c;
  }
  assert(copies.length <= 2, 'at most two copies across the wrap');
  return { state: { ...s, slots, tail: wrapIndex(32, s.tail + n) }, countBytes: n, copies };
}

/**
 * `serial_transfer_all(dst, src)`: everything in `src` (a consumed queue) is appended to `dst`
 * (a produced queue); the caller guarantees it fits (the C asserts it).
 */
export function serialTransferAll(opts: {
  readonly dstCapacity: number;
  readonly dst: SerialQueueState;
  readonly srcCapacity: number;
  readonly src: SerialQueueState;
}): { readonly dst: SerialQueueState; readonly src: SerialQueueState } {
  const bytes = serialAbstraction(opts.srcCapacity, opts.src).items;
  assert(
    bytes.length <= serialFree(opts.dstCapacity, opts.dst),
    'serial_transfer_all: everything fits',
  );
  const r = serialEnqueueBatch(opts.dstCapacity, opts.dst, bytes);
  assert(r.countBytes === bytes.length, 'transfer moved every byte');
  return { dst: r.state, src: { ...opts.src, head: opts.src.tail } };
}

export function serialInvariant(capacity: number, s: SerialQueueState): string | null {
  return ringInvariant(serialShape(capacity), s);
}

export function serialAbstraction(capacity: number, s: SerialQueueState): AbstractQueue<number> {
  return ringAbstraction(serialShape(capacity), s);
}
