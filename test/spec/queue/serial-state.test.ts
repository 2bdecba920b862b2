import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSerialCapacity } from '../../../spec/queue/serial.ts';
import {
  type SerialQueueState,
  serialStateAbstraction,
  serialStateDequeue,
  serialStateDequeueLocal,
  serialStateEnqueue,
  serialStateEnqueueBatch,
  serialStateEnqueueLocal,
  serialStateFree,
  serialStateFull,
  serialStateInitial,
  serialStateInvariant,
  serialStateLength,
  serialStateTransferAll,
  serialStateUpdateSharedHead,
  serialStateUpdateSharedTail,
} from '../../../spec/queue/serial-state.ts';
import { InvariantError } from '../../../spec/common/assert.ts';
import { specRefinementProperty, startArb } from './spec-refinement.ts';

const byte = fc.integer({ min: 0, max: 0xff });

describe('serial queue spec refines the abstract FIFO', () => {
  it.each([1, 4, 8])('capacity %i, across the u32 wrap', (cap) => {
    fc.assert(
      specRefinementProperty<SerialQueueState, number>({
        item: byte,
        initial: startArb(32).map((start) => ({
          state: serialStateInitial(cap, start),
          usable: cap,
        })),
        ops: {
          enqueue: (s, c) => serialStateEnqueue(cap, s, c),
          dequeue: (s) => serialStateDequeue(cap, s),
          full: (s) => serialStateFull(cap, s),
          empty: (s) => serialStateLength(s) === 0,
          length: serialStateLength,
          abstraction: (s) => serialStateAbstraction(cap, s),
          invariant: (s) => serialStateInvariant(cap, s),
        },
      }),
      { numRuns: 100 },
    );
  });

  it('enqueue_batch copies min(n, free) bytes in at most two copies and equals n single enqueues', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 8, 16),
        startArb(32),
        fc.nat(16),
        fc.array(byte, { maxLength: 20 }),
        (cap, start, pre, src) => {
          let s = serialStateInitial(cap, start);
          for (let i = 0; i < Math.min(pre, cap); i++)
            s = serialStateEnqueue(cap, s, i & 0xff).state;
          const free = serialStateFree(cap, s);
          const batch = serialStateEnqueueBatch(cap, s, src);
          expect(batch.countBytes).toBe(Math.min(src.length, free));
          expect(batch.copies.length).toBeLessThanOrEqual(2);
          expect(batch.copies.reduce((n, c) => n + c.countBytes, 0)).toBe(batch.countBytes);
          if (batch.copies.length === 2) expect(batch.copies[1]?.dataIndex).toBe(0);
          let single = s;
          for (const c of src.slice(0, batch.countBytes))
            single = serialStateEnqueue(cap, single, c).state;
          expect(serialStateAbstraction(cap, batch.state)).toEqual(
            serialStateAbstraction(cap, single),
          );
          expect(batch.state.tail).toBe(single.tail);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the batch splits exactly at the end of the data region', () => {
    const s = serialStateInitial(8, 0xffff_fffe); // tail % 8 == 6
    const b = serialStateEnqueueBatch(8, s, [1, 2, 3, 4]);
    expect(b.copies).toEqual([
      { dataIndex: 6, countBytes: 2 },
      { dataIndex: 0, countBytes: 2 },
    ]);
    expect(b.state.tail).toBe(2);
    expect(serialStateEnqueueBatch(8, serialStateInitial(8), []).copies).toEqual([]);
  });

  it('local enqueue is invisible until update_shared_tail; local dequeue until update_shared_head', () => {
    let s = serialStateInitial(4, 0xffff_ffff);
    let local = s.tail;
    for (const c of [7, 8, 9, 10]) {
      const r = serialStateEnqueueLocal(4, s, local, c);
      expect(r.ok).toBe(true);
      s = r.state;
      local = r.localTail;
    }
    expect(serialStateEnqueueLocal(4, s, local, 11).ok).toBe(false);
    expect(serialStateLength(s)).toBe(0);
    s = serialStateUpdateSharedTail(4, s, local);
    expect(serialStateAbstraction(4, s).items).toEqual([7, 8, 9, 10]);
    let head = s.head;
    const got: number[] = [];
    for (
      let r = serialStateDequeueLocal(4, s, head);
      r.item !== null;
      r = serialStateDequeueLocal(4, s, head)
    ) {
      got.push(r.item);
      head = r.localHead;
    }
    expect(got).toEqual([7, 8, 9, 10]);
    expect(serialStateLength(s)).toBe(4);
    s = serialStateUpdateSharedHead(4, s, head);
    expect(serialStateLength(s)).toBe(0);
  });

  it('update_shared_tail/head refuse to shrink, overflow or pass the tail (debug asserts)', () => {
    const s = serialStateEnqueue(4, serialStateInitial(4), 1).state;
    expect(() => serialStateUpdateSharedTail(4, s, 0)).toThrow(InvariantError);
    expect(() => serialStateUpdateSharedTail(4, s, 5)).toThrow(InvariantError);
    expect(() => serialStateUpdateSharedHead(4, s, 2)).toThrow(InvariantError);
    expect(() => serialStateEnqueue(4, s, 256)).toThrow(InvariantError);
  });

  it('transfer_all moves everything from a consumed queue into a produced one', () => {
    let src = serialStateInitial(4, 0xffff_fffd);
    for (const c of [1, 2, 3]) src = serialStateEnqueue(4, src, c).state;
    let dst = serialStateInitial(8, 0xffff_ffff);
    dst = serialStateEnqueue(8, dst, 9).state;
    const r = serialStateTransferAll({ dstCapacity: 8, dst, srcCapacity: 4, src });
    expect(serialStateAbstraction(8, r.dst).items).toEqual([9, 1, 2, 3]);
    expect(serialStateLength(r.src)).toBe(0);
    const full = serialStateInitial(1);
    expect(() =>
      serialStateTransferAll({
        dstCapacity: 1,
        dst: serialStateEnqueue(1, full, 1).state,
        srcCapacity: 4,
        src,
      }),
    ).toThrow(InvariantError);
  });

  it('producer_signalled starts 0 and capacity must be a power of two', () => {
    expect(serialStateInitial(4).producerSignalled).toBe(0);
    expect(checkSerialCapacity(0x3000)?.message).toMatch(/12288 is not a power of two/);
    expect(checkSerialCapacity(0x10000)).toBeNull();
  });
});
