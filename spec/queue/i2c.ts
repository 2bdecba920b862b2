// The I²C request/response queues, once (include/sddf/i2c/queue.h at au-ts/sddf 650ace5d;
// reference sddf-protocols.md §2.5): u32 indices; the request queue has a producer-private
// `staged_active_tail` (enqueue stages, commit publishes `ctrl.tail`, abort rolls back) so a
// transaction (HEAD + batch_len body commands) appears atomically. One slot is reserved:
// full = `tail - head + 1 == CAP`; CAP = (4096-32)/16 = 254, not a power of two (bug U5).
// Operations are written once over `SharedMem` in the C's order (docs/adr/013-one-queue-truth.md);
// i2c-state.ts runs them on immutable values.
import { assert } from '../common/assert.ts';
import type { SharedMem } from '../common/memory.ts';
import { U32, type IndexArith } from './arith.ts';
import {
  acquiresIndex,
  ringEmptyOf,
  ringFullOf,
  ringLengthOf,
  ringSlotOf,
  type IndexAcquire,
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
  /** The union: the data pointer (body) or `batch_len | address << 16` (HEAD, i2cHeaderPayload). */
  readonly payload: bigint;
  /** u8. */
  readonly dataLen: number;
  /** u8 bitmask of I2cFlag. */
  readonly flagMask: number;
}

/**
 * `i2c_addr_t` is `uint8_t` (include/sddf/i2c/queue.h at au-ts/sddf 650ace5d, line 66: "We
 * currently only support the 7 bit addressing mode"): a bus address is a u8.
 */
export const I2C_ADDR_MAX = 0xff;

/** A bus address that fits `i2c_addr_t`, or what does not. */
export function i2cAddrProblem(address: number): string | null {
  return Number.isInteger(address) && address >= 0 && address <= I2C_ADDR_MAX
    ? null
    : `i2c_addr_t is a u8: bus address ${address} does not fit`;
}

/**
 * A HEAD command's union as the C lays it out: `struct { uint16_t batch_len; i2c_addr_t address; }`
 * (queue.h lines 75-78): batch_len in bytes 0-1, the u8 address in byte 2, byte 3 padding.
 */
export function i2cHeaderPayload(batchLen: number, address: number): bigint {
  assert(Number.isInteger(batchLen) && batchLen >= 0 && batchLen <= 0xffff, 'batch_len is a u16');
  const broken = i2cAddrProblem(address);
  assert(broken === null, () => broken!);
  return BigInt(batchLen) | (BigInt(address) << 16n);
}

/** A response whose fields fit their C types (bus_address u8, error an i2c_err_t), or what does not. */
export function i2cResponseProblem(r: I2cResponse): string | null {
  const addr = i2cAddrProblem(r.busAddress);
  if (addr !== null) return addr;
  if (!(Object.values(I2cErr) as number[]).includes(r.error))
    return `error ${r.error} is not an i2c_err_t`;
  if (r.errCmd < 0n || r.errCmd >= 1n << 64n) return `err_cmd ${r.errCmd} is not a size_t`;
  return null;
}

/** `i2c_response_t`: `{size_t err_cmd; i2c_addr_t bus_address; i2c_err_t error}`. */
export interface I2cResponse {
  readonly errCmd: bigint;
  readonly busAddress: number;
  readonly error: I2cErr;
}

/** Where the request queue lives in word memory (§2.5): the staged tail, then `ctrl`. */
export interface I2cReqQueueRef {
  readonly name: string;
  readonly stagedTail: number;
  readonly tail: number;
  readonly head: number;
  /** Address of slot 0; slot i is at `slots + i`. */
  readonly slots: number;
  /** `I2C_QUEUE_CAPACITY`, a compile-time constant upstream (254). */
  readonly capacity: number;
}

/** Where the response queue lives in word memory: `ctrl`, then the responses. */
export interface I2cRespQueueRef {
  readonly name: string;
  readonly tail: number;
  readonly head: number;
  readonly slots: number;
  readonly capacity: number;
}

// ---------------------------------------------------------------- index predicates

/** `i2c_queue_full` / `i2c_request_queue_full`: `tail - head + 1 == CAP` on `uint32_t`. */
export function i2cFullOf<V, B>(a: IndexArith<V, B>, tail: V, head: V, capacity: V): B {
  return ringFullOf(a, { tail, head, capacity, reservedSlots: 1 });
}

/**
 * The debug assert of `i2c_enqueue_request` and `i2c_request_commit`, `staged_active_tail >=
 * ctrl.tail`: a numeric comparison of free-running indices (false once only the staged tail has
 * wrapped; obligation queue-bounds.i2c.staged-assert, [unconfirmed] finding). `wrapSafe` is the
 * fix, `(uint32_t)(staged - tail) <= (uint32_t)(staged - head)`.
 */
export function i2cStagedAssertOf<V, B>(
  a: IndexArith<V, B>,
  w: { readonly staged: V; readonly tail: V; readonly head: V; readonly wrapSafe: boolean },
): B {
  return w.wrapSafe
    ? a.ule(a.sub(w.staged, w.tail), a.sub(w.staged, w.head))
    : a.ule(w.tail, w.staged);
}

/** Full as upstream writes it, on numbers: `tail - head + 1 == CAP` (u32). */
export function i2cFullAt(capacity: number, tail: number, head: number): boolean {
  return i2cFullOf(U32, tail, head, capacity);
}

// ---------------------------------------------------------------- operations on memory

/**
 * Which queue.h: at HEAD the index loads are plain (`acquire: 'none'`); `consumer`/`both` add an
 * acquire after the other side's index load (ring.ts `IndexAcquire`, docs/weak-memory.md).
 */
export interface I2cQueueFlavour {
  readonly acquire: IndexAcquire;
}

export const I2C_FLAVOUR_HEAD: I2cQueueFlavour = { acquire: 'none' };

function loadPeerIndex(
  mem: SharedMem,
  addr: number,
  f: I2cQueueFlavour,
  side: 'producer' | 'consumer',
): number {
  const v = mem.load(addr);
  if (acquiresIndex(f.acquire, side)) mem.fence('acquire');
  return v;
}

/** `i2c_queue_empty(ctrl)`, as the consumer calls it: `tail == head`. */
export function i2cEmpty(
  mem: SharedMem,
  q: { readonly tail: number; readonly head: number },
  f: I2cQueueFlavour,
): boolean {
  const tail = loadPeerIndex(mem, q.tail, f, 'consumer');
  return ringEmptyOf(U32, tail, mem.load(q.head));
}

/** `i2c_queue_length(ctrl)`: `tail - head`. */
export function i2cLength(
  mem: SharedMem,
  q: { readonly tail: number; readonly head: number },
): number {
  const tail = mem.load(q.tail);
  return ringLengthOf(U32, tail, mem.load(q.head));
}

/** `i2c_request_queue_full`: on the staged tail. */
export function i2cRequestFull(mem: SharedMem, q: I2cReqQueueRef, f: I2cQueueFlavour): boolean {
  const staged = mem.load(q.stagedTail);
  return i2cFullOf(U32, staged, loadPeerIndex(mem, q.head, f, 'producer'), q.capacity);
}

/**
 * `i2c_enqueue_request`: false (C `-1`) when full; else the command into `cmds[staged % CAP]` and
 * `staged_active_tail++` (invisible to the consumer until a commit). The debug assert
 * `staged >= tail` is not evaluated here (see `i2cStagedAssertOf`).
 */
export function i2cEnqueueRequest(
  mem: SharedMem,
  q: I2cReqQueueRef,
  f: I2cQueueFlavour,
  cmd: number,
): boolean {
  if (i2cRequestFull(mem, q, f)) return false;
  const staged = mem.load(q.stagedTail);
  mem.store(q.slots + ringSlotOf(U32, staged, q.capacity), cmd);
  mem.store(q.stagedTail, U32.add(staged, 1));
  return true;
}

/** `i2c_request_commit`: `THREAD_MEMORY_RELEASE(); ctrl.tail = staged_active_tail`. */
export function i2cRequestCommit(mem: SharedMem, q: I2cReqQueueRef): void {
  mem.fence('release');
  mem.store(q.tail, mem.load(q.stagedTail));
}

/** `i2c_request_abort`: `staged_active_tail = ctrl.tail`. */
export function i2cRequestAbort(mem: SharedMem, q: I2cReqQueueRef): void {
  mem.store(q.stagedTail, mem.load(q.tail));
}

function dequeueAt(
  mem: SharedMem,
  q: I2cRespQueueRef | I2cReqQueueRef,
  f: I2cQueueFlavour,
): number | null {
  if (i2cEmpty(mem, q, f)) return null;
  const head = mem.load(q.head);
  const record = mem.load(q.slots + ringSlotOf(U32, head, q.capacity));
  mem.fence('release');
  mem.store(q.head, U32.add(head, 1));
  return record;
}

/** `i2c_dequeue_request`: null (C `-1`) when empty; else the command, release, `ctrl.head++`. */
export function i2cDequeueRequest(
  mem: SharedMem,
  q: I2cReqQueueRef,
  f: I2cQueueFlavour,
): number | null {
  return dequeueAt(mem, q, f);
}

/** `i2c_enqueue_response`: false when full; else the record, release, `ctrl.tail++`. */
export function i2cEnqueueResponse(
  mem: SharedMem,
  q: I2cRespQueueRef,
  f: I2cQueueFlavour,
  response: number,
): boolean {
  const tail = mem.load(q.tail);
  if (i2cFullOf(U32, tail, loadPeerIndex(mem, q.head, f, 'producer'), q.capacity)) return false;
  mem.store(q.slots + ringSlotOf(U32, mem.load(q.tail), q.capacity), response);
  mem.fence('release');
  mem.store(q.tail, U32.add(tail, 1));
  return true;
}

/** `i2c_dequeue_response`. */
export function i2cDequeueResponse(
  mem: SharedMem,
  q: I2cRespQueueRef,
  f: I2cQueueFlavour,
): number | null {
  return dequeueAt(mem, q, f);
}
