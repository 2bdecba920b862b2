// The serial queue, once (include/sddf/serial/queue.h at au-ts/sddf 650ace5d; reference
// sddf-protocols.md §2.4): u32 `tail`@0, `head`@4, `producer_signalled`@8 in the queue MR; the
// characters live in a separate data region of exactly `capacity` bytes (a power of two). Local
// variants advance a private index and publish a batch with update_shared_tail/head. The
// operations are written once over `SharedMem` in the C's order of loads, stores and fences
// (`load_acquire_32` = load then acquire fence; `store_release_32` = release fence then store);
// the model checker runs them over the model's memory, serial-state.ts over immutable values
// (docs/adr/013-one-queue-truth.md). A data word holds one character.
import { assert } from '../common/assert.ts';
import type { Diagnostic } from '../common/diagnostic.ts';
import type { SharedMem } from '../common/memory.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../signal/handshake.ts';
import { U32 } from './arith.ts';
import {
  acquiresIndex,
  checkCapacity,
  ringBoundsProblem,
  ringEmptyOf,
  ringFullOf,
  ringLengthOf,
  ringSlotOf,
  type IndexAcquire,
} from './ring.ts';

/** `sizeof(serial_queue_t)`: tail u32 @0, head u32 @4, producer_signalled u32 @8. */
export const SERIAL_QUEUE_HEADER_BYTES = 12;

/** Where a serial queue and its data region live in word memory, and the private capacity. */
export interface SerialQueueRef {
  readonly name: string;
  readonly tail: number;
  readonly head: number;
  readonly producerSignalled: number;
  /** The pre-2025 struct's other flag; F6 wrote it instead of `producer_signalled`. */
  readonly consumerSignalled?: number;
  /** Address of data byte 0; byte i is at `data + i`. */
  readonly data: number;
  readonly capacity: number;
}

/**
 * Which queue.h. `fences: 'seq_cst'` is HEAD (57d50b7c); `release` is queue.h before it (bug F9:
 * request and cancel store the flag then `THREAD_MEMORY_RELEASE()` under SMP, require is a plain
 * load: nothing orders the flag store before the re-check load); `none` drops every flag fence;
 * `seq_cst-request` / `seq_cst-require` keep only one of HEAD's two `fence_seq_cst()` (au-ts/sddf
 * issue #725 asks whether one suffices; docs/weak-memory.md answers per architecture).
 * `acquire`: HEAD's `load_acquire` of the other side's index on both sides (`both`); `consumer`
 * or `none` drop it on the producer's `head` load or on both (ring.ts `IndexAcquire`).
 * `wrongFlag`: the flag accessors use `consumer_signalled` (bug F6).
 */
export interface SerialQueueFlavour {
  readonly fences: 'seq_cst' | 'release' | 'none' | 'seq_cst-request' | 'seq_cst-require';
  /** Absent = `both`, as at HEAD. */
  readonly acquire?: IndexAcquire;
  readonly wrongFlag?: boolean;
  /**
   * `F23`: `serial_enqueue_batch` before a0c50ca9 copied the post-wrap chunk to the pre-wrap
   * start (`p`) instead of the data region's start: it overwrites what it just wrote.
   */
  readonly batch?: 'F23';
}

export const SERIAL_FLAVOUR_HEAD: SerialQueueFlavour = { fences: 'seq_cst' };

/** The signalling fences by number, as a model's `fences` bound gives them (0 = HEAD). */
export const SERIAL_FENCES_BY_BOUND: readonly SerialQueueFlavour['fences'][] = [
  'seq_cst',
  'none',
  'seq_cst-request',
  'seq_cst-require',
];
/** The index acquires by number, as a model's `acquire` bound gives them (0 = HEAD: both). */
export const SERIAL_ACQUIRE_BY_BOUND: readonly IndexAcquire[] = ['both', 'consumer', 'none'];

export function checkSerialCapacity(capacity: number): Diagnostic | null {
  return checkCapacity({ queue: 'serial queue', capacity, width: 32, powerOfTwo: true });
}

/**
 * `load_acquire_32` of the other side's index (load, then the acquire fence: ADR 013), or a plain
 * load where the flavour drops the acquire of `side`.
 */
function loadPeer(
  mem: SharedMem,
  addr: number,
  f: SerialQueueFlavour,
  side: 'producer' | 'consumer',
): number {
  const v = mem.load(addr);
  if (acquiresIndex(f.acquire ?? 'both', side)) mem.fence('acquire');
  return v;
}

function storeRelease(mem: SharedMem, addr: number, v: number): void {
  mem.fence('release');
  mem.store(addr, v);
}

// ---------------------------------------------------------------- lengths and checks

/** `serial_queue_length_consumer`: `load_acquire(tail) - head`. */
export function serialLengthConsumer(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
): number {
  const tail = loadPeer(mem, q.tail, f, 'consumer');
  return ringLengthOf(U32, tail, mem.load(q.head));
}

/** `serial_queue_length_producer`: `tail - load_acquire(head)`. */
export function serialLengthProducer(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
): number {
  const tail = mem.load(q.tail);
  return ringLengthOf(U32, tail, loadPeer(mem, q.head, f, 'producer'));
}

/** `serial_queue_free`: bytes the producer may still write. */
export function serialFree(mem: SharedMem, q: SerialQueueRef, f: SerialQueueFlavour): number {
  return q.capacity - serialLengthProducer(mem, q, f);
}

/** `serial_queue_empty(h, local_head)`: `local_head == load_acquire(tail)`. */
export function serialEmptyAt(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
  localHead: number,
): boolean {
  return ringEmptyOf(U32, loadPeer(mem, q.tail, f, 'consumer'), localHead);
}

/** `serial_queue_full(h, local_tail)`: `local_tail - load_acquire(head) == capacity`. */
export function serialFullAt(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
  localTail: number,
): boolean {
  const head = loadPeer(mem, q.head, f, 'producer');
  return ringFullOf(U32, { tail: localTail, head, capacity: q.capacity, reservedSlots: 0 });
}

// ---------------------------------------------------------------- enqueue and dequeue

/** `serial_enqueue`: false (C `-1`) when full; else the byte, then `store_release(tail + 1)`. */
export function serialEnqueue(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
  c: number,
): boolean {
  const tail = mem.load(q.tail);
  if (serialFullAt(mem, q, f, tail)) return false;
  mem.store(q.data + ringSlotOf(U32, tail, q.capacity), c);
  storeRelease(mem, q.tail, U32.add(tail, 1));
  return true;
}

/** `serial_dequeue`: null (C `-1`) when empty; else the byte, then `store_release(head + 1)`. */
export function serialDequeue(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
): number | null {
  const head = mem.load(q.head);
  if (serialEmptyAt(mem, q, f, head)) return null;
  const c = mem.load(q.data + ringSlotOf(U32, head, q.capacity));
  storeRelease(mem, q.head, U32.add(head, 1));
  return c;
}

/** `serial_enqueue_local`: writes the byte at the private tail; its successor, or null when full. */
export function serialEnqueueLocal(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
  localTail: number,
  c: number,
): number | null {
  if (serialFullAt(mem, q, f, localTail)) return null;
  mem.store(q.data + ringSlotOf(U32, localTail, q.capacity), c);
  return U32.add(localTail, 1);
}

/** `serial_dequeue_local`: the byte at the private head and its successor, or null when empty. */
export function serialDequeueLocal(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
  localHead: number,
): { readonly localHead: number; readonly c: number } | null {
  if (serialEmptyAt(mem, q, f, localHead)) return null;
  const c = mem.load(q.data + ringSlotOf(U32, localHead, q.capacity));
  return { localHead: U32.add(localHead, 1), c };
}

/**
 * `serial_update_shared_tail` of a debug build: the length must neither shrink nor exceed the
 * capacity (asserted), then `store_release(tail, local_tail)`. Returns the broken assert (nothing
 * stored) or null.
 */
export function serialUpdateSharedTail(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
  localTail: number,
): string | null {
  const head = loadPeer(mem, q.head, f, 'producer');
  const before = ringLengthOf(U32, mem.load(q.tail), head);
  const after = ringLengthOf(U32, localTail, head);
  if (after < before || after > q.capacity)
    return `${q.name}: update_shared_tail: length ${before} -> ${after}, capacity ${q.capacity}`;
  storeRelease(mem, q.tail, localTail);
  return null;
}

/**
 * `serial_update_shared_head` of a debug build: the length must not grow (asserted), then
 * `store_release(head, local_head)`. Returns the broken assert (nothing stored) or null.
 */
export function serialUpdateSharedHead(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
  localHead: number,
): string | null {
  const tail = loadPeer(mem, q.tail, f, 'consumer');
  const head = mem.load(q.head);
  const before = ringLengthOf(U32, tail, head);
  const after = ringLengthOf(U32, tail, localHead);
  if (after > before) {
    return `${q.name}: update_shared_head: length ${before} -> ${after} grows (head ${head}, local_head ${localHead}, tail ${tail})`;
  }
  storeRelease(mem, q.head, localHead);
  return null;
}

/** One memcpy of a batch: `countBytes` bytes at data index `dataIndex`. */
export interface SerialCopy {
  readonly dataIndex: number;
  readonly countBytes: number;
}

/**
 * `serial_enqueue_batch(h, n, src)`: copies `min(n, free)` bytes in at most two memcpys (up to the
 * end of the data region, then from its start) and publishes the tail once with
 * `serial_update_shared_tail`. Returns the count and the copies made.
 */
export function serialEnqueueBatch(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
  src: readonly number[],
): { readonly countBytes: number; readonly copies: readonly SerialCopy[] } {
  const tail = mem.load(q.tail);
  const start = ringSlotOf(U32, tail, q.capacity);
  const n = Math.min(src.length, serialFree(mem, q, f));
  const contiguous = Math.min(q.capacity - start, serialFree(mem, q, f));
  const preWrap = Math.min(n, contiguous);
  const copies: SerialCopy[] = [];
  if (preWrap > 0) copies.push({ dataIndex: start, countBytes: preWrap });
  // a0c50ca9: the post-wrap chunk goes to the region's start (F23: to `p`, the pre-wrap start).
  if (n - preWrap > 0)
    copies.push({ dataIndex: f.batch === 'F23' ? start : 0, countBytes: n - preWrap });
  let k = 0; // the next byte of `src`: the first copy takes src[0..preWrap), the second the rest
  for (const copy of copies) {
    for (let i = 0; i < copy.countBytes; i++) mem.store(q.data + copy.dataIndex + i, src[k++]!);
  }
  assert(copies.length <= 2, 'at most two copies across the wrap');
  const broken = serialUpdateSharedTail(mem, q, f, U32.add(tail, n));
  assert(broken === null, () => `serial_enqueue_batch publishes at most the free space: ${broken}`);
  return { countBytes: n, copies };
}

/**
 * `serial_transfer_all(dst, src)`: the caller consumes `src` and produces `dst`; everything in
 * `src` is moved in contiguous chunks, each an `serial_enqueue_batch` then
 * `serial_update_shared_head`, re-reading `src`'s tail after each chunk. The C asserts it fits
 * (debug build); this returns that assert broken (nothing moved), or the count moved.
 */
export function serialTransferAll(
  mem: SharedMem,
  opts: { readonly dst: SerialQueueRef; readonly src: SerialQueueRef },
  f: SerialQueueFlavour,
): { readonly countBytes: number } | { readonly broken: string } {
  const { dst, src } = opts;
  let head = mem.load(src.head);
  let length = ringLengthOf(U32, loadPeer(mem, src.tail, f, 'consumer'), head);
  const free = serialFree(mem, dst, f);
  if (length > free)
    return { broken: `serial_transfer_all: ${length} bytes do not fit in ${free} free` };
  let moved = 0;
  // Each round moves at least one byte of a finite source; the bound is a guard, not a limit.
  for (let round = 0; length > 0; round++) {
    assert(round <= 2 * src.capacity, 'serial_transfer_all terminates');
    const at = ringSlotOf(U32, head, src.capacity);
    const batch = Math.min(src.capacity - at, length);
    const bytes: number[] = [];
    for (let i = 0; i < batch; i++) bytes.push(mem.load(src.data + at + i));
    const r = serialEnqueueBatch(mem, dst, f, bytes);
    assert(r.countBytes === batch, 'serial_transfer_all: the destination had room');
    head = U32.add(head, batch);
    const broken = serialUpdateSharedHead(mem, src, f, head);
    assert(broken === null, () => `serial_transfer_all consumes what it saw: ${broken}`);
    moved += batch;
    length = ringLengthOf(U32, loadPeer(mem, src.tail, f, 'consumer'), head);
  }
  return { countBytes: moved };
}

/** §3.15.1: `(uint32_t)(tail − head) ≤ capacity` on words a third party reads, or what is broken. */
export function serialBoundsProblem(
  read: (addr: number) => number,
  q: SerialQueueRef,
): string | null {
  const [tail, head] = [read(q.tail), read(q.head)];
  return ringBoundsProblem({ name: q.name, width: 32, tail, head, usable: q.capacity });
}

// ---------------------------------------------------------------- signalling (§2.4)

function flagWord(q: SerialQueueRef, f: SerialQueueFlavour): number {
  if (f.wrongFlag !== true) return q.producerSignalled;
  assert(q.consumerSignalled !== undefined, `${q.name}: F6 needs the old consumer_signalled word`);
  return q.consumerSignalled;
}

/** Producer blocked on a full queue: `store_relaxed(producer_signalled, 0); fence_seq_cst()`. */
export function serialRequestConsumerSignal(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
): void {
  mem.store(flagWord(q, f), FLAG_WANTS_SIGNAL);
  if (f.fences === 'seq_cst' || f.fences === 'seq_cst-request') mem.fence('seq_cst');
  if (f.fences === 'release') mem.fence('release');
}

/** `store_relaxed(producer_signalled, 1)` (no fence: a cancel is always followed by a request). */
export function serialCancelConsumerSignal(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
): void {
  mem.store(flagWord(q, f), FLAG_SIGNALLED);
  if (f.fences === 'release') mem.fence('release');
}

/** Consumer after freeing space: `fence_seq_cst(); return !load_relaxed(producer_signalled)`. */
export function serialRequireConsumerSignal(
  mem: SharedMem,
  q: SerialQueueRef,
  f: SerialQueueFlavour,
): boolean {
  if (f.fences === 'seq_cst' || f.fences === 'seq_cst-require') mem.fence('seq_cst');
  return mem.load(flagWord(q, f)) === FLAG_WANTS_SIGNAL;
}
