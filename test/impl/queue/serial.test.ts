import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import { SerialQueue, serialTransferAll } from '../../../impl/queue/serial.ts';
import { serialProperty } from '../../../traces/refinement/queue-commands.ts';
import { expectUserError, region } from './helpers.ts';

function serial(capacity: number, start = 0) {
  const q = region(12);
  const dv = new DataView(q.buffer);
  dv.setUint32(0, start, true);
  dv.setUint32(4, start, true);
  const data = region(capacity);
  return {
    q: new SerialQueue({ queue: q, data, capacity }),
    dv,
    data: new Uint8Array(data.buffer),
  };
}

describe('serial queue refines the abstract FIFO', () => {
  it('model-based with local and batch operations, around the u32 wrap (2^32 - 3)', () => {
    fc.assert(serialProperty(), { numRuns: 300 });
  });
});

describe('serial byte layout (include/sddf/serial/queue.h)', () => {
  it('tail@0, head@4, producer_signalled@8; characters in the data region at index % capacity', () => {
    const { q, dv, data } = serial(4, 0xffff_fffe);
    expect(q.enqueue(0x41)).toBe(true);
    expect(q.enqueue(0x42)).toBe(true);
    expect(q.enqueue(0x43)).toBe(true);
    expect(dv.getUint32(0, true)).toBe(1); // tail wrapped
    expect(dv.getUint32(4, true)).toBe(0xffff_fffe);
    expect([data[2], data[3], data[0]]).toEqual([0x41, 0x42, 0x43]);
    expect(q.dequeue()).toBe(0x41);
    expect(dv.getUint32(4, true)).toBe(0xffff_ffff);
    q.cancelConsumerSignal();
    expect(dv.getUint32(8, true)).toBe(1);
    expect(q.requireConsumerSignal()).toBe(false);
    q.requestConsumerSignal();
    expect(dv.getUint32(8, true)).toBe(0);
    expect(q.requireConsumerSignal()).toBe(true);
  });

  it('enqueue_batch writes across the end of the data region in two pieces', () => {
    const { q, data } = serial(8, 6);
    expect(q.enqueueBatch(Uint8Array.from([1, 2, 3, 4, 5]))).toBe(5);
    expect(Array.from(data)).toEqual([3, 4, 5, 0, 0, 0, 1, 2]);
    expect(q.enqueueBatch(Uint8Array.from([9, 9, 9, 9]))).toBe(3);
    expect(q.full()).toBe(true);
    expect(q.free()).toBe(0);
    expect(q.enqueue(1)).toBe(false);
  });

  it('transfer_all moves a consumed queue into a produced one', () => {
    const a = serial(4, 0xffff_fffd);
    const b = serial(8, 0xffff_ffff);
    for (const c of [1, 2, 3]) a.q.enqueue(c);
    b.q.enqueue(7);
    expect(serialTransferAll({ dst: b.q, src: a.q })).toBe(3);
    expect(a.q.empty()).toBe(true);
    const out: number[] = [];
    for (let c = b.q.dequeue(); c !== null; c = b.q.dequeue()) out.push(c);
    expect(out).toEqual([7, 1, 2, 3]);
    const full = serial(1);
    full.q.enqueue(0);
    const src = serial(2);
    src.q.enqueue(5);
    expect(() => serialTransferAll({ dst: full.q, src: src.q })).toThrow(InvariantError);
  });

  it('update_shared_tail/head refuse to shrink, overflow or pass the tail', () => {
    const { q } = serial(4);
    q.enqueue(1);
    expect(() => q.updateSharedTail(0)).toThrow(InvariantError);
    expect(() => q.updateSharedTail(5)).toThrow(InvariantError);
    expect(() => q.updateSharedHead(2)).toThrow(InvariantError);
    expect(q.dequeueLocal(1)).toBeNull();
  });
});

describe('serial bad input', () => {
  it('non-power-of-two capacity, too-small data or queue region', () => {
    expectUserError(
      () => new SerialQueue({ queue: region(12), data: region(100), capacity: 100 }),
      /capacity 100 is not a power of two/,
    );
    expectUserError(
      () => new SerialQueue({ queue: region(12), data: region(63), capacity: 64 }),
      /serial data region.*needs 64 bytes/,
    );
    expectUserError(
      () => new SerialQueue({ queue: region(11), data: region(64), capacity: 64 }),
      /serial queue.*needs 12 bytes/,
    );
    expectUserError(
      () => new SerialQueue({ queue: region(16, 2), data: region(64), capacity: 64 }),
      /byte offset 2/,
    );
  });
});
