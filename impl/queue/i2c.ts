// The I²C queues over a SharedArrayBuffer, as include/sddf/i2c/queue.h lays them out
// (reference sddf-protocols.md §2.5), LP64 C rules: request queue {u32 staged_active_tail @0;
// ctrl {u32 tail @4; u32 head @8}; i2c_cmd_t cmds[CAP] @16}; response queue {ctrl {u32 tail
// @0; u32 head @4}; i2c_response_t responses[CAP] @8}. i2c_cmd_t (16 B): the union (u64 data
// pointer, or u16 batch_len @0 + u8 address @2) @0, u8 data_len @8, u8 flag_mask @9 (assumed
// a u8 typedef). i2c_response_t (16 B): size_t err_cmd @0, u8 bus_address @8 (i2c_addr_t is a
// uint8_t, queue.h; bytes 9-11 are padding a C peer may leave as anything), i32 error @12.
// CAP = 254 as upstream (not a power of two: bug U5); full = tail - head + 1 == CAP.
//
// Ordering: commands are staged with plain stores; `commit` publishes `ctrl.tail` with an
// Atomics store (C: THREAD_MEMORY_RELEASE then store); the consumer Atomics-loads tail.
import { assert } from '../../spec/common/assert.ts';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import {
  I2C_CAPACITY,
  I2C_CMD_SIZE_BYTES,
  I2C_RESPONSE_SIZE_BYTES,
  i2cFullAt,
  type I2cCmd,
  type I2cErr,
  type I2cResponse,
} from '../../spec/queue/i2c.ts';
import { U32 } from '../../spec/queue/arith.ts';
import { ringEmptyOf, ringLengthOf, ringSlotOf } from '../../spec/queue/ring.ts';
import { checkRegion, throwIfProblem, type SharedRegion } from './region.ts';

export const I2C_REQ_QUEUE_HEADER_BYTES = 16;
export const I2C_RESP_QUEUE_HEADER_BYTES = 8;

function checkI2cCapacity(capacity: number): Diagnostic | null {
  // No power-of-two rule: upstream's 254 is kept on purpose so U5 stays observable.
  if (!Number.isInteger(capacity) || capacity < 2 || capacity > 0x8000_0000) {
    return {
      code: 'QUEUE_CAPACITY',
      message: `i2c queue: capacity ${capacity} is not an integer in 2..2^31 (one slot is reserved)`,
    };
  }
  return null;
}

/** `i2c_queue_handle_t` request side. */
export class I2cReqQueue {
  readonly capacity: number;
  private readonly words: Uint32Array; // [staged_active_tail, tail, head]
  private readonly view: DataView;

  constructor(opts: { readonly region: SharedRegion; readonly capacity?: number }) {
    this.capacity = opts.capacity ?? I2C_CAPACITY;
    throwIfProblem(checkI2cCapacity(this.capacity));
    const sizeBytes = I2C_REQ_QUEUE_HEADER_BYTES + I2C_CMD_SIZE_BYTES * this.capacity;
    throwIfProblem(
      checkRegion({ queue: 'i2c request queue', region: opts.region, sizeBytes, alignBytes: 8 }),
    );
    this.words = new Uint32Array(opts.region.buffer, opts.region.byteOffset, 3);
    this.view = new DataView(opts.region.buffer, opts.region.byteOffset, sizeBytes);
  }

  /** Consumer view: committed commands only. */
  empty(): boolean {
    return ringEmptyOf(U32, Atomics.load(this.words, 1), Atomics.load(this.words, 2));
  }

  length(): number {
    return ringLengthOf(U32, Atomics.load(this.words, 1), Atomics.load(this.words, 2));
  }

  /** Producer view: committed and staged commands, `staged_active_tail - head`. */
  stagedLength(): number {
    return ringLengthOf(U32, this.words[0] as number, Atomics.load(this.words, 2));
  }

  /** Producer view: full on the staged tail. */
  full(): boolean {
    return i2cFullAt(this.capacity, this.words[0] as number, Atomics.load(this.words, 2));
  }

  /** `i2c_enqueue_request`: stage one command; false when full. */
  enqueue(cmd: I2cCmd): boolean {
    assert(
      cmd.dataLen >= 0 && cmd.dataLen <= 0xff && cmd.flagMask >= 0 && cmd.flagMask <= 0xff,
      'u8 fields',
    );
    if (this.full()) return false;
    const staged = this.words[0] as number; // plain: only the producer writes staged_active_tail
    const o =
      I2C_REQ_QUEUE_HEADER_BYTES + ringSlotOf(U32, staged, this.capacity) * I2C_CMD_SIZE_BYTES;
    this.view.setBigUint64(o, cmd.payload, true);
    this.view.setUint8(o + 8, cmd.dataLen);
    this.view.setUint8(o + 9, cmd.flagMask);
    this.words[0] = U32.add(staged, 1);
    return true;
  }

  /** `i2c_request_commit`: release, then `ctrl.tail = staged_active_tail`. */
  commit(): void {
    Atomics.store(this.words, 1, this.words[0] as number);
  }

  /** `i2c_request_abort`: `staged_active_tail = ctrl.tail`. */
  abort(): void {
    this.words[0] = this.words[1] as number; // plain: only the producer writes both
  }

  /** `i2c_dequeue_request`: null when empty. */
  dequeue(): I2cCmd | null {
    const head = this.words[2] as number; // plain: only the consumer writes head
    if (ringEmptyOf(U32, Atomics.load(this.words, 1), head)) return null; // acquire
    const o =
      I2C_REQ_QUEUE_HEADER_BYTES + ringSlotOf(U32, head, this.capacity) * I2C_CMD_SIZE_BYTES;
    const cmd = {
      payload: this.view.getBigUint64(o, true),
      dataLen: this.view.getUint8(o + 8),
      flagMask: this.view.getUint8(o + 9),
    };
    Atomics.store(this.words, 2, U32.add(head, 1)); // release: the command was read first
    return cmd;
  }
}

/** `i2c_queue_handle_t` response side. */
export class I2cRespQueue {
  readonly capacity: number;
  private readonly words: Uint32Array; // [tail, head]
  private readonly view: DataView;

  constructor(opts: { readonly region: SharedRegion; readonly capacity?: number }) {
    this.capacity = opts.capacity ?? I2C_CAPACITY;
    throwIfProblem(checkI2cCapacity(this.capacity));
    const sizeBytes = I2C_RESP_QUEUE_HEADER_BYTES + I2C_RESPONSE_SIZE_BYTES * this.capacity;
    throwIfProblem(
      checkRegion({ queue: 'i2c response queue', region: opts.region, sizeBytes, alignBytes: 8 }),
    );
    this.words = new Uint32Array(opts.region.buffer, opts.region.byteOffset, 2);
    this.view = new DataView(opts.region.buffer, opts.region.byteOffset, sizeBytes);
  }

  empty(): boolean {
    return ringEmptyOf(U32, Atomics.load(this.words, 0), Atomics.load(this.words, 1));
  }

  length(): number {
    return ringLengthOf(U32, Atomics.load(this.words, 0), Atomics.load(this.words, 1));
  }

  full(): boolean {
    return i2cFullAt(this.capacity, this.words[0] as number, Atomics.load(this.words, 1));
  }

  /** `i2c_enqueue_response`: false when full. */
  enqueue(r: I2cResponse): boolean {
    if (this.full()) return false;
    const tail = this.words[0] as number; // plain: only the producer writes tail
    const o =
      I2C_RESP_QUEUE_HEADER_BYTES + ringSlotOf(U32, tail, this.capacity) * I2C_RESPONSE_SIZE_BYTES;
    this.view.setBigUint64(o, r.errCmd, true);
    assert(r.busAddress >= 0 && r.busAddress <= 0xff, 'bus_address is a u8');
    this.view.setUint8(o + 8, r.busAddress);
    this.view.setInt32(o + 12, r.error, true);
    Atomics.store(this.words, 0, U32.add(tail, 1)); // release: the record before the index
    return true;
  }

  /** `i2c_dequeue_response`: null when empty. */
  dequeue(): I2cResponse | null {
    const head = this.words[1] as number; // plain: only the consumer writes head
    if (ringEmptyOf(U32, Atomics.load(this.words, 0), head)) return null; // acquire
    const o =
      I2C_RESP_QUEUE_HEADER_BYTES + ringSlotOf(U32, head, this.capacity) * I2C_RESPONSE_SIZE_BYTES;
    const r = {
      errCmd: this.view.getBigUint64(o, true),
      busAddress: this.view.getUint8(o + 8), // byte 9 is padding
      error: this.view.getInt32(o + 12, true) as I2cErr,
    };
    Atomics.store(this.words, 1, U32.add(head, 1)); // release: the record was read first
    return r;
  }
}
