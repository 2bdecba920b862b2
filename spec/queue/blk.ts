// The block queues, once (include/sddf/blk/queue.h at au-ts/sddf 650ace5d; reference
// sddf-protocols.md §2.3): one request and one response queue per connection, same capacity,
// u32 free-running indices with `head` BEFORE `tail` in memory, `plugged` on the request queue
// only, no signalling flags (block components always notify after enqueuing). The operations are
// written once over `SharedMem` in the C's order of loads, stores and fences; the model checker
// runs them over the model's memory, blk-state.ts over immutable values (docs/adr/011). A slot
// word holds a record: a request id in the models, a handle to a full record in blk-state.ts.
import { assert } from '../common/assert.ts';
import type { Diagnostic } from '../common/diagnostic.ts';
import type { SharedMem } from '../common/memory.ts';
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

/** `BLK_TRANSFER_SIZE`: `block_number` and `count` are in 4 KiB units. */
export const BLK_TRANSFER_SIZE_BYTES = 4096;

/** `blk_req_code_t`. */
export const BlkReqCode = { READ: 0, WRITE: 1, FLUSH: 2, BARRIER: 3 } as const;
export type BlkReqCode = (typeof BlkReqCode)[keyof typeof BlkReqCode];

/** `blk_resp_status_t`. */
export const BlkRespStatus = {
  OK: 0,
  ERR_UNSPEC: 1,
  ERR_INVALID_PARAM: 2,
  ERR_IO: 3,
  ERR_NO_DEVICE: 4,
} as const;
export type BlkRespStatus = (typeof BlkRespStatus)[keyof typeof BlkRespStatus];

/** `blk_req_t` (32 bytes: code u32 @0, io_or_offset u64 @8, block_number u64 @16, count u16 @24, id u32 @28). */
export interface BlkReq {
  readonly code: BlkReqCode;
  readonly ioOrOffset: bigint;
  readonly blockNumber: bigint;
  /** u16, in BLK_TRANSFER_SIZE units. */
  readonly count: number;
  /** u32, chosen by the requester and echoed in the response. */
  readonly id: number;
}

/** `blk_resp_t` (12 bytes: status u32 @0, success_count u16 @4, id u32 @8). */
export interface BlkResp {
  readonly status: BlkRespStatus;
  readonly successCount: number;
  readonly id: number;
}

/**
 * Where a block queue lives in word memory, and its private capacity. `head` is the first field
 * in the C struct (unlike net and serial). `plugged` (request queue only) is the bool word.
 */
export interface BlkQueueRef {
  readonly name: string;
  readonly head: number;
  readonly tail: number;
  /** Address of slot 0; slot i is at `slots + i`. */
  readonly slots: number;
  readonly capacity: number;
  readonly plugged?: number;
  /**
   * The queue struct's own `size` word (blk queue.h before 193fb6f6 kept the size in the shared
   * queue, where the peer can write it); only the F21 flavour reads it.
   */
  readonly size?: number;
}

/**
/**
 * Which blk queue.h the operations are. HEAD: `tail - head == capacity` with the handle's
 * capacity. `wasted-slot` (before b36e5eea, catalogue F17): `tail - head + 1 == capacity`, one
 * slot never used. `sharedSize` (before 193fb6f6, F21): the capacity in the full check is read
 * from the queue's shared `size` word instead of the private handle. `acquire`: at HEAD the index
 * loads are plain (`none`); `consumer`/`both` add an acquire after the other side's index load
 * (ring.ts `IndexAcquire`, docs/weak-memory.md).
 */
export interface BlkQueueFlavour {
  readonly fullCheck: 'corrected' | 'wasted-slot';
  readonly sharedSize?: boolean;
  /** Absent = `none`, as at HEAD. */
  readonly acquire?: IndexAcquire;
}

export const BLK_FLAVOUR_HEAD: BlkQueueFlavour = { fullCheck: 'corrected', acquire: 'none' };

// ---------------------------------------------------------------- operations on memory

/** The other side's index, with the flavour's acquire after it (load_acquire, ADR 013). */
function loadPeerIndex(
  mem: SharedMem,
  q: BlkQueueRef,
  f: BlkQueueFlavour,
  side: 'producer' | 'consumer',
): number {
  const v = mem.load(side === 'consumer' ? q.tail : q.head);
  if (acquiresIndex(f.acquire ?? 'none', side)) mem.fence('acquire');
  return v;
}

/** `blk_queue_length_req/resp`: `tail - head` on `uint32_t` (plain loads, as a third party). */
export function blkLength(mem: SharedMem, q: BlkQueueRef): number {
  const tail = mem.load(q.tail);
  return ringLengthOf(U32, tail, mem.load(q.head));
}

/** `blk_queue_empty_req/resp`, as the consumer calls it: `tail - head == 0`. */
export function blkEmpty(
  mem: SharedMem,
  q: BlkQueueRef,
  f: BlkQueueFlavour = BLK_FLAVOUR_HEAD,
): boolean {
  const tail = loadPeerIndex(mem, q, f, 'consumer');
  return ringEmptyOf(U32, tail, mem.load(q.head));
}

/**
 * `blk_queue_full_req/resp`, as the producer calls it: `tail - head == capacity` on `uint32_t`
 * (or a flavour's test).
 */
export function blkFull(
  mem: SharedMem,
  q: BlkQueueRef,
  f: BlkQueueFlavour = BLK_FLAVOUR_HEAD,
): boolean {
  const tail = mem.load(q.tail);
  const head = loadPeerIndex(mem, q, f, 'producer');
  let capacity = q.capacity;
  if (f.sharedSize === true) {
    assert(q.size !== undefined, () => `${q.name}: the shared size word is not modelled`);
    capacity = mem.load(q.size);
  }
  if (f.fullCheck === 'wasted-slot') return U32.sub(U32.add(tail, 1), head) === capacity;
  return ringFullOf(U32, { tail, head, capacity, reservedSlots: 0 });
}

/**
 * `blk_enqueue_req/resp`: false (C `-1`) when full; else the record into `buffers[tail % cap]`,
 * an unconditional `THREAD_MEMORY_RELEASE()`, `tail++`.
 */
export function blkEnqueue(
  mem: SharedMem,
  q: BlkQueueRef,
  record: number,
  f: BlkQueueFlavour = BLK_FLAVOUR_HEAD,
): boolean {
  if (blkFull(mem, q, f)) return false;
  const tail = mem.load(q.tail);
  mem.store(q.slots + ringSlotOf(U32, tail, q.capacity), record);
  mem.fence('release');
  mem.store(q.tail, U32.add(tail, 1));
  return true;
}

/** `blk_dequeue_req/resp`: null (C `-1`) when empty; else the record, release, `head++`. */
export function blkDequeue(
  mem: SharedMem,
  q: BlkQueueRef,
  f: BlkQueueFlavour = BLK_FLAVOUR_HEAD,
): number | null {
  if (blkEmpty(mem, q, f)) return null;
  const head = mem.load(q.head);
  const record = mem.load(q.slots + ringSlotOf(U32, head, q.capacity));
  mem.fence('release');
  mem.store(q.head, U32.add(head, 1));
  return record;
}

/** §3.15.1: `(uint32_t)(tail − head) ≤ capacity` on words a third party reads, or what is broken. */
export function blkBoundsProblem(read: (addr: number) => number, q: BlkQueueRef): string | null {
  const [tail, head] = [read(q.tail), read(q.head)];
  return ringBoundsProblem({ name: q.name, width: 32, tail, head, usable: q.capacity });
}

function pluggedWord(q: BlkQueueRef): number {
  assert(q.plugged !== undefined, () => `${q.name}: only the request queue has plugged`);
  return q.plugged;
}

/** `blk_queue_plug_req` / `blk_queue_unplug_req`: a plain store of the bool. */
export function blkSetPlugged(mem: SharedMem, q: BlkQueueRef, plugged: boolean): void {
  mem.store(pluggedWord(q), plugged ? 1 : 0);
}

/** `blk_queue_plugged_req`. */
export function blkIsPlugged(mem: SharedMem, q: BlkQueueRef): boolean {
  return mem.load(pluggedWord(q)) !== 0;
}

// ---------------------------------------------------------------- records and capacities

/**
 * The power-of-two rule. Note: sdfgen sizes the driver queue as Σ client capacities (384 for
 * 3 × 128), which this check rejects; modelling that as-is is bug U8 (reference catalogue).
 */
export function checkBlkCapacity(capacity: number): Diagnostic | null {
  return checkCapacity({ queue: 'blk queue', capacity, width: 32, powerOfTwo: true });
}

/** A request whose fields fit their C widths, or what does not fit. */
export function blkReqProblem(r: BlkReq): string | null {
  if (!(Object.values(BlkReqCode) as number[]).includes(r.code))
    return `code ${r.code} is not a blk_req_code_t`;
  if (r.ioOrOffset < 0n || r.ioOrOffset >= 1n << 64n)
    return `io_or_offset ${r.ioOrOffset} is not a u64`;
  if (r.blockNumber < 0n || r.blockNumber >= 1n << 64n)
    return `block_number ${r.blockNumber} is not a u64`;
  if (!Number.isInteger(r.count) || r.count < 0 || r.count > 0xffff)
    return `count ${r.count} is not a u16`;
  if (!Number.isInteger(r.id) || r.id < 0 || r.id > 0xffff_ffff) return `id ${r.id} is not a u32`;
  return null;
}

export function blkRespProblem(r: BlkResp): string | null {
  if (!(Object.values(BlkRespStatus) as number[]).includes(r.status))
    return `status ${r.status} is not a blk_resp_status_t`;
  if (!Number.isInteger(r.successCount) || r.successCount < 0 || r.successCount > 0xffff) {
    return `success_count ${r.successCount} is not a u16`;
  }
  if (!Number.isInteger(r.id) || r.id < 0 || r.id > 0xffff_ffff) return `id ${r.id} is not a u32`;
  return null;
}
