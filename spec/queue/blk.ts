// The block queues at index level, as include/sddf/blk/queue.h has them (reference
// sddf-protocols.md §2.3): one request and one response queue per connection, same capacity,
// u32 free-running indices with `head` BEFORE `tail` in memory, `plugged` on the request queue
// only, no signalling flags (block components always notify after enqueuing).
import type { Diagnostic } from '../common/diagnostic.ts';
import {
  checkCapacity,
  ringAbstraction,
  ringDequeue,
  ringEnqueue,
  ringInitial,
  ringInvariant,
  ringIsFull,
  type RingShape,
  type RingState,
} from './ring.ts';
import type { AbstractQueue } from './abstract.ts';

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

export interface BlkReqQueueState extends RingState<BlkReq> {
  /** `bool plugged`: set/cleared by blk_queue_plug_req/unplug_req; no component reads it at HEAD. */
  readonly plugged: boolean;
}

export type BlkRespQueueState = RingState<BlkResp>;

export function blkShape(capacity: number): RingShape {
  return { width: 32, capacity, reservedSlots: 0 };
}

/**
 * The power-of-two rule. Note: sdfgen sizes the driver queue as Σ client capacities (384 for
 * 3 × 128), which this check rejects; modelling that as-is is bug U8 (reference catalogue).
 */
export function checkBlkCapacity(capacity: number): Diagnostic | null {
  return checkCapacity({ queue: 'blk queue', capacity, width: 32, powerOfTwo: true });
}

export function blkReqInitial(capacity: number, start = 0): BlkReqQueueState {
  return { ...ringInitial<BlkReq>(capacity, start >>> 0), plugged: false };
}

export function blkRespInitial(capacity: number, start = 0): BlkRespQueueState {
  return ringInitial<BlkResp>(capacity, start >>> 0);
}

export function blkEnqueueReq(capacity: number, s: BlkReqQueueState, r: BlkReq) {
  return ringEnqueue(blkShape(capacity), s, r, ringIsFull(blkShape(capacity), s));
}

export function blkDequeueReq(capacity: number, s: BlkReqQueueState) {
  return ringDequeue<BlkReq, BlkReqQueueState>(blkShape(capacity), s);
}

export function blkEnqueueResp(capacity: number, s: BlkRespQueueState, r: BlkResp) {
  return ringEnqueue(blkShape(capacity), s, r, ringIsFull(blkShape(capacity), s));
}

export function blkDequeueResp(capacity: number, s: BlkRespQueueState) {
  return ringDequeue<BlkResp, BlkRespQueueState>(blkShape(capacity), s);
}

/** `blk_queue_plug_req` / `blk_queue_unplug_req`. */
export function blkSetPlugged(s: BlkReqQueueState, plugged: boolean): BlkReqQueueState {
  return { ...s, plugged };
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

/** `0 ≤ tail − head ≤ capacity` at u32, for either block queue. */
export function blkInvariant(
  capacity: number,
  s: BlkReqQueueState | BlkRespQueueState,
): string | null {
  return ringInvariant(blkShape(capacity), s);
}

export function blkReqAbstraction(capacity: number, s: BlkReqQueueState): AbstractQueue<BlkReq> {
  return ringAbstraction(blkShape(capacity), s);
}

export function blkRespAbstraction(capacity: number, s: BlkRespQueueState): AbstractQueue<BlkResp> {
  return ringAbstraction(blkShape(capacity), s);
}
