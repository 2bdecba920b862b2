import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  BlkReqQueue,
  BlkRespQueue,
  blkReqQueueSizeBytes,
  blkRespQueueSizeBytes,
  createBlkQueueHandle,
} from '../../../impl/queue/blk.ts';
import { blkReqProperty, blkRespProperty } from '../../../traces/refinement/queue-commands.ts';
import { expectUserError, region } from './helpers.ts';

describe('blk queues refine the abstract FIFO', () => {
  it('request queue, model-based from indices around the u32 wrap (2^32 - 3)', () => {
    fc.assert(blkReqProperty(), { numRuns: 200 });
  });
  it('response queue, model-based from indices around the u32 wrap', () => {
    fc.assert(blkRespProperty(), { numRuns: 200 });
  });
});

describe('blk byte layout (include/sddf/blk/queue.h)', () => {
  it('request queue: head@0, tail@4, plugged@8, 32-byte requests from 16', () => {
    const r = region(blkReqQueueSizeBytes(2), 8);
    const q = new BlkReqQueue({ region: r, capacity: 2 });
    const dv = new DataView(r.buffer, 8);
    expect(
      q.enqueue({
        code: 3,
        ioOrOffset: 0x1_0000_1000n,
        blockNumber: 0xffff_ffff_ffffn,
        count: 7,
        id: 0xdead_beef,
      }),
    ).toBe(true);
    expect(dv.getUint32(0, true)).toBe(0); // head
    expect(dv.getUint32(4, true)).toBe(1); // tail
    expect(dv.getUint32(16, true)).toBe(3); // code BARRIER
    expect(dv.getBigUint64(24, true)).toBe(0x1_0000_1000n);
    expect(dv.getBigUint64(32, true)).toBe(0xffff_ffff_ffffn);
    expect(dv.getUint16(40, true)).toBe(7);
    expect(dv.getUint32(44, true)).toBe(0xdead_beef);
    q.setPlugged(true);
    expect(dv.getUint8(8)).toBe(1);
    expect(q.isPlugged()).toBe(true);
    q.setPlugged(false);
    expect(dv.getUint8(8)).toBe(0);
    expect(q.isPlugged()).toBe(false);
    expect(q.dequeue()).toEqual({
      code: 3,
      ioOrOffset: 0x1_0000_1000n,
      blockNumber: 0xffff_ffff_ffffn,
      count: 7,
      id: 0xdead_beef,
    });
    expect(dv.getUint32(0, true)).toBe(1);
  });

  it('response queue: head@0, tail@4, 12-byte responses from 8', () => {
    const r = region(blkRespQueueSizeBytes(2));
    const q = new BlkRespQueue({ region: r, capacity: 2 });
    const dv = new DataView(r.buffer);
    q.enqueue({ status: 3, successCount: 9, id: 42 });
    q.enqueue({ status: 0, successCount: 1, id: 43 });
    expect(dv.getUint32(4, true)).toBe(2);
    expect(dv.getUint32(8, true)).toBe(3);
    expect(dv.getUint16(12, true)).toBe(9);
    expect(dv.getUint32(16, true)).toBe(42);
    expect(dv.getUint32(20 + 8, true)).toBe(43);
    expect(q.full()).toBe(true);
    expect(q.length()).toBe(2);
    expect(q.enqueue({ status: 0, successCount: 0, id: 0 })).toBe(false);
    expect(q.dequeue()?.id).toBe(42);
  });

  it('a handle pairs request and response queues of one capacity', () => {
    const h = createBlkQueueHandle({
      req: region(blkReqQueueSizeBytes(4)),
      resp: region(blkRespQueueSizeBytes(4)),
      capacity: 4,
    });
    expect(h.req.capacity).toBe(4);
    expect(h.resp.capacity).toBe(4);
    expect(h.req.empty() && h.resp.empty()).toBe(true);
  });
});

describe('blk bad input', () => {
  it('the sdfgen Σ capacity 384 (U8) is rejected, naming the value', () => {
    expectUserError(
      () => new BlkReqQueue({ region: region(blkReqQueueSizeBytes(384)), capacity: 384 }),
      /capacity 384 is not a power of two/,
    );
  });
  it('region too small, or misaligned', () => {
    expectUserError(
      () => new BlkRespQueue({ region: region(blkRespQueueSizeBytes(4) - 1), capacity: 4 }),
      /needs 56 bytes/,
    );
    expectUserError(
      () => new BlkReqQueue({ region: region(4096, 4), capacity: 4 }),
      /byte offset 4 is not a non-negative multiple of 8/,
    );
  });
  it('records that do not fit their C fields are our bug', () => {
    const q = new BlkReqQueue({ region: region(blkReqQueueSizeBytes(2)), capacity: 2 });
    expect(() =>
      q.enqueue({ code: 9 as never, ioOrOffset: 0n, blockNumber: 0n, count: 0, id: 0 }),
    ).toThrow(InvariantError);
    const p = new BlkRespQueue({ region: region(blkRespQueueSizeBytes(2)), capacity: 2 });
    expect(() => p.enqueue({ status: 0, successCount: -1, id: 0 })).toThrow(InvariantError);
  });
});
