// Tests written to kill mutants Stryker found alive in impl/queue (docs/adr/003-queues.md):
// assertion messages, the i2c response queue away from index 0, exact-fit transfers.
import { describe, expect, it } from 'vitest';
import {
  BlkReqQueue,
  BlkRespQueue,
  blkReqQueueSizeBytes,
  blkRespQueueSizeBytes,
} from '../../../impl/queue/blk.ts';
import { I2cReqQueue, I2cRespQueue } from '../../../impl/queue/i2c.ts';
import { NetQueue } from '../../../impl/queue/net.ts';
import { SerialQueue, serialTransferAll } from '../../../impl/queue/serial.ts';
import { region } from './helpers.ts';

function serial(capacity: number, start = 0) {
  const q = region(12);
  new DataView(q.buffer).setUint32(0, start, true);
  new DataView(q.buffer).setUint32(4, start, true);
  return new SerialQueue({ queue: q, data: region(capacity), capacity });
}

describe('impl assertion messages name what was seen', () => {
  it('records that do not fit', () => {
    const req = new BlkReqQueue({ region: region(blkReqQueueSizeBytes(2)), capacity: 2 });
    expect(() =>
      req.enqueue({ code: 0, ioOrOffset: 0n, blockNumber: 0n, count: 0x1_0000, id: 0 }),
    ).toThrow(/impossible request: count 65536/);
    const resp = new BlkRespQueue({ region: region(blkRespQueueSizeBytes(2)), capacity: 2 });
    expect(() => resp.enqueue({ status: 9 as never, successCount: 0, id: 0 })).toThrow(
      /impossible response: status 9/,
    );
    const net = new NetQueue({ region: region(NetQueue.sizeBytes(2)), capacity: 2 });
    expect(() => net.enqueue({ ioOrOffset: -1n, len: 0, oid: 0 })).toThrow(
      /impossible descriptor: io_or_offset -1/,
    );
  });

  it('serial batch publishing', () => {
    const q = serial(4, 7);
    q.enqueue(1);
    expect(() => q.updateSharedTail(7)).toThrow(/update_shared_tail: length 1 -> 0/);
    expect(() => q.updateSharedHead(9)).toThrow(/update_shared_head: consumed 2 > length 1/);
    q.updateSharedTail(8); // publishing nothing new is allowed
    expect(q.length()).toBe(1);
    q.updateSharedHead(8);
    expect(q.empty()).toBe(true);
  });

  it('serial transfer_all: exact fit passes, one byte too many is refused by name', () => {
    const src = serial(4, 0xffff_fffe);
    const dst = serial(4, 3);
    for (const c of [1, 2]) src.enqueue(c);
    for (const c of [8, 9]) dst.enqueue(c);
    expect(serialTransferAll({ dst, src })).toBe(2);
    expect([dst.dequeue(), dst.dequeue(), dst.dequeue(), dst.dequeue()]).toEqual([8, 9, 1, 2]);
    const full = serial(1);
    full.enqueue(0);
    const one = serial(2);
    one.enqueue(5);
    expect(() => serialTransferAll({ dst: full, src: one })).toThrow(/1 bytes do not fit in 0/);
  });
});

describe('i2c queues away from index 0', () => {
  it('response queue: empty, length, full and dequeue order with head and tail at 5', () => {
    const r = region(8 + 16 * 3);
    const dv = new DataView(r.buffer);
    dv.setUint32(0, 5, true);
    dv.setUint32(4, 5, true);
    const q = new I2cRespQueue({ region: r, capacity: 3 });
    expect(q.empty()).toBe(true);
    expect(q.length()).toBe(0);
    expect(q.enqueue({ errCmd: 11n, busAddress: 0x10, error: 5 })).toBe(true);
    expect(q.full()).toBe(false);
    expect(q.enqueue({ errCmd: 22n, busAddress: 0x20, error: 6 })).toBe(true);
    expect(q.full()).toBe(true);
    expect(q.length()).toBe(2);
    expect(q.enqueue({ errCmd: 0n, busAddress: 0, error: 0 })).toBe(false);
    // slot 5 % 3 == 2 holds the first response: error is a little-endian i32 at +12
    expect(dv.getInt32(8 + 2 * 16 + 12, true)).toBe(5);
    expect(q.dequeue()).toEqual({ errCmd: 11n, busAddress: 0x10, error: 5 });
    expect(q.dequeue()).toEqual({ errCmd: 22n, busAddress: 0x20, error: 6 });
    expect(q.dequeue()).toBeNull();
  });

  it('request queue refuses a command once CAP - 1 are staged', () => {
    const r = region(16 + 16 * 3);
    for (const off of [0, 4, 8]) new DataView(r.buffer).setUint32(off, 9, true);
    const q = new I2cReqQueue({ region: r, capacity: 3 });
    const cmd = { payload: 1n, dataLen: 0, flagMask: 0 };
    expect(q.enqueue(cmd) && q.enqueue(cmd)).toBe(true);
    expect(q.full()).toBe(true);
    expect(q.enqueue(cmd)).toBe(false);
    q.commit();
    expect(q.length()).toBe(2);
    expect(q.empty()).toBe(false);
  });
});

describe('i2c command fields: both bounds of both u8 fields', () => {
  it('a negative data_len or a flag_mask above 255 is our bug', () => {
    const q = new I2cReqQueue({ region: region(16 + 16 * 4), capacity: 4 });
    expect(() => q.enqueue({ payload: 0n, dataLen: -1, flagMask: 0 })).toThrow(/u8 fields/);
    expect(() => q.enqueue({ payload: 0n, dataLen: 0, flagMask: 256 })).toThrow(/u8 fields/);
    expect(q.full()).toBe(false);
  });
});
