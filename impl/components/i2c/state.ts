// Reading the I²C queues in shared memory as the spec's values (spec/queue/i2c-state.ts), for the
// run's monitors and the refinement check (traces/refinement/i2c): the abstraction from bytes to
// `I2cReqQueueState` / `I2cRespQueueState`. Layout as impl/queue/i2c.ts (queue.h, LP64).
import type { I2cCmd, I2cErr, I2cResponse } from '../../../spec/queue/i2c.ts';
import { I2C_CMD_SIZE_BYTES, I2C_RESPONSE_SIZE_BYTES } from '../../../spec/queue/i2c.ts';
import type { I2cReqQueueState, I2cRespQueueState } from '../../../spec/queue/i2c-state.ts';
import { I2C_REQ_QUEUE_HEADER_BYTES, I2C_RESP_QUEUE_HEADER_BYTES } from '../../queue/i2c.ts';

export function readReqQueueState(
  buffer: SharedArrayBuffer,
  byteOffset: number,
  capacity: number,
): I2cReqQueueState {
  const v = new DataView(buffer, byteOffset);
  const slots: I2cCmd[] = [];
  for (let i = 0; i < capacity; i++) {
    const o = I2C_REQ_QUEUE_HEADER_BYTES + i * I2C_CMD_SIZE_BYTES;
    slots.push({
      payload: v.getBigUint64(o, true),
      dataLen: v.getUint8(o + 8),
      flagMask: v.getUint8(o + 9),
    });
  }
  return {
    stagedTail: v.getUint32(0, true),
    tail: v.getUint32(4, true),
    head: v.getUint32(8, true),
    slots,
  };
}

export function readRespQueueState(
  buffer: SharedArrayBuffer,
  byteOffset: number,
  capacity: number,
): I2cRespQueueState {
  const v = new DataView(buffer, byteOffset);
  const slots: I2cResponse[] = [];
  for (let i = 0; i < capacity; i++) {
    const o = I2C_RESP_QUEUE_HEADER_BYTES + i * I2C_RESPONSE_SIZE_BYTES;
    slots.push({
      errCmd: v.getBigUint64(o, true),
      busAddress: v.getUint8(o + 8), // i2c_addr_t is a u8; bytes 9-11 are padding
      error: v.getInt32(o + 12, true) as I2cErr,
    });
  }
  return { tail: v.getUint32(0, true), head: v.getUint32(4, true), slots };
}

/** The commands at indices [from, to) of a request queue (free-running u32 indices). */
export function reqCommands(
  buffer: SharedArrayBuffer,
  byteOffset: number,
  capacity: number,
  from: number,
  to: number,
): I2cCmd[] {
  const v = new DataView(buffer, byteOffset);
  const out: I2cCmd[] = [];
  const n = (to - from) >>> 0;
  for (let k = 0; k < n && k <= capacity; k++) {
    const o = I2C_REQ_QUEUE_HEADER_BYTES + (((from + k) >>> 0) % capacity) * I2C_CMD_SIZE_BYTES;
    out.push({
      payload: v.getBigUint64(o, true),
      dataLen: v.getUint8(o + 8),
      flagMask: v.getUint8(o + 9),
    });
  }
  return out;
}
