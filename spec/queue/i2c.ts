// The I²C request/response queues at index level, as include/sddf/i2c/queue.h has them
// (reference sddf-protocols.md §2.5): u32 indices; the request queue has a producer-private
// `staged_active_tail` (enqueue stages, commit publishes `ctrl.tail`, abort rolls back) so a
// transaction (HEAD + batch_len body commands) appears atomically. One slot is reserved:
// full = `tail - head + 1 == CAP`; CAP = (4096-32)/16 = 254, not a power of two (bug U5).
import { assert } from '../common/assert.ts';
import type { AbstractQueue } from './abstract.ts';
import {
  ringAbstraction,
  ringDequeue,
  ringInitial,
  ringInvariant,
  ringIsEmpty,
  ringSlot,
  wrapIndex,
  type RingShape,
  type RingState,
} from './ring.ts';

/** `I2C_QUEUE_CAPACITY` as upstream computes it: (4096 - 32) / sizeof(i2c_cmd_t). */
export const I2C_CAPACITY = 254;
/** `sizeof(i2c_cmd_t)`. */
export const I2C_CMD_SIZE_BYTES = 16;
/** `sizeof(i2c_response_t)`. */
export const I2C_RESPONSE_SIZE_BYTES = 16;

/** `i2c_cmd_flags_t`. */
export const I2cFlag = { HEAD: 1, READ: 2, WRRD: 4, STOP: 8, RSTART: 16 } as const;

/** `i2c_err_t`. */
export const I2cErr = {
  QUEUE: -1,
  OK: 0,
  MALFORMED_TRANSACTION: 1,
  MALFORMED_HEADER: 2,
  UNPERMITTED_ADDR: 3,
  TIMEOUT: 4,
  NACK: 5,
  NOREAD: 6,
  BADSEQ: 7,
  OTHER: 8,
} as const;
export type I2cErr = (typeof I2cErr)[keyof typeof I2cErr];

/**
 * `i2c_cmd_t`: a HEAD command carries `{batch_len, address}` in the union, a body command a
 * client data pointer. Both union arms are kept as u64 `payload` so the record is exact.
 */
export interface I2cCmd {
  /** The union: the data pointer (body) or `batch_len | address << 16` (HEAD). */
  readonly payload: bigint;
  /** u8. */
  readonly dataLen: number;
  /** u8 bitmask of I2cFlag. */
  readonly flagMask: number;
}

/** `i2c_response_t`: `{size_t err_cmd; i2c_addr_t bus_address; i2c_err_t error}`. */
export interface I2cResponse {
  readonly errCmd: bigint;
  readonly busAddress: number;
  readonly error: I2cErr;
}

export interface I2cReqQueueState extends RingState<I2cCmd> {
  /** The producer's staged tail; equals `tail` when nothing is staged. */
  readonly stagedTail: number;
}

export type I2cRespQueueState = RingState<I2cResponse>;

export function i2cShape(capacity: number = I2C_CAPACITY): RingShape {
  return { width: 32, capacity, reservedSlots: 1 };
}

export function i2cReqInitial(capacity: number = I2C_CAPACITY, start = 0): I2cReqQueueState {
  const s = ringInitial<I2cCmd>(capacity, start >>> 0);
  return { ...s, stagedTail: s.tail };
}

export function i2cRespInitial(capacity: number = I2C_CAPACITY, start = 0): I2cRespQueueState {
  return ringInitial<I2cResponse>(capacity, start >>> 0);
}

/** Full as upstream writes it, on the given tail: `tail - head + 1 == CAP` (u32). */
export function i2cFullAt(capacity: number, tail: number, head: number): boolean {
  return wrapIndex(32, tail - head + 1) === capacity;
}

/** `i2c_enqueue_request`: stages one command at `staged_active_tail`. */
export function i2cEnqueueRequest(capacity: number, s: I2cReqQueueState, cmd: I2cCmd) {
  assert(s.slots.length === capacity, 'slots match capacity');
  if (i2cFullAt(capacity, s.stagedTail, s.head)) return { state: s, ok: false };
  const slots = s.slots.slice();
  slots[ringSlot(capacity, s.stagedTail)] = cmd;
  return { state: { ...s, slots, stagedTail: wrapIndex(32, s.stagedTail + 1) }, ok: true };
}

/** `i2c_request_commit`: release, then `ctrl.tail = staged_active_tail`. */
export function i2cRequestCommit(s: I2cReqQueueState): I2cReqQueueState {
  return { ...s, tail: s.stagedTail };
}

/** `i2c_request_abort`: drop everything staged since the last commit. */
export function i2cRequestAbort(s: I2cReqQueueState): I2cReqQueueState {
  return { ...s, stagedTail: s.tail };
}

export function i2cDequeueRequest(capacity: number, s: I2cReqQueueState) {
  return ringDequeue<I2cCmd, I2cReqQueueState>(i2cShape(capacity), s);
}

export function i2cEnqueueResponse(capacity: number, s: I2cRespQueueState, r: I2cResponse) {
  assert(s.slots.length === capacity, 'slots match capacity');
  if (i2cFullAt(capacity, s.tail, s.head)) return { state: s, ok: false };
  const slots = s.slots.slice();
  slots[ringSlot(capacity, s.tail)] = r;
  return { state: { ...s, slots, tail: wrapIndex(32, s.tail + 1) }, ok: true };
}

export function i2cDequeueResponse(capacity: number, s: I2cRespQueueState) {
  return ringDequeue<I2cResponse, I2cRespQueueState>(i2cShape(capacity), s);
}

export function i2cEmpty(s: RingState<unknown>): boolean {
  return ringIsEmpty(s);
}

/** Both the published and the staged window satisfy `0 ≤ x − head ≤ CAP − 1`. */
export function i2cReqInvariant(capacity: number, s: I2cReqQueueState): string | null {
  return (
    ringInvariant(i2cShape(capacity), s) ??
    ringInvariant(i2cShape(capacity), { tail: s.stagedTail, head: s.head }) ??
    (wrapIndex(32, s.stagedTail - s.head) < wrapIndex(32, s.tail - s.head)
      ? `staged tail ${s.stagedTail} behind tail ${s.tail}`
      : null)
  );
}

/** The consumer's view: only committed commands (staged ones are invisible). */
export function i2cReqAbstraction(capacity: number, s: I2cReqQueueState): AbstractQueue<I2cCmd> {
  return ringAbstraction(i2cShape(capacity), s);
}

export function i2cRespAbstraction(
  capacity: number,
  s: I2cRespQueueState,
): AbstractQueue<I2cResponse> {
  return ringAbstraction(i2cShape(capacity), s);
}
