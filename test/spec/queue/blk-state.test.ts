import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blkReqProblem,
  blkRespProblem,
  checkBlkCapacity,
  type BlkReq,
  type BlkResp,
} from '../../../spec/queue/blk.ts';
import {
  type BlkReqQueueState,
  type BlkRespQueueState,
  blkShape,
  blkStateDequeueReq,
  blkStateDequeueResp,
  blkStateEnqueueReq,
  blkStateEnqueueResp,
  blkStateInvariant,
  blkStateReqAbstraction,
  blkStateReqInitial,
  blkStateRespAbstraction,
  blkStateRespInitial,
  blkStateSetPlugged,
} from '../../../spec/queue/blk-state.ts';
import { ringIsEmpty, ringIsFull, ringLength } from '../../../spec/queue/ring.ts';
import { blkReqArb, blkRespArb } from '../../../traces/refinement/queue-commands.ts';
import { specRefinementProperty, startArb } from './spec-refinement.ts';

const common = (cap: number) => ({
  full: (s: BlkReqQueueState | BlkRespQueueState) => ringIsFull(blkShape(cap), s),
  empty: ringIsEmpty,
  length: (s: BlkReqQueueState | BlkRespQueueState) => ringLength(32, s),
  invariant: (s: BlkReqQueueState | BlkRespQueueState) => blkStateInvariant(cap, s),
});

describe('blk queue specs refine the abstract FIFO', () => {
  it.each([1, 4])('request queue, capacity %i, across the u32 wrap', (cap) => {
    fc.assert(
      specRefinementProperty<BlkReqQueueState, BlkReq>({
        item: blkReqArb,
        initial: startArb(32).map((start) => ({
          state: blkStateReqInitial(cap, start),
          usable: cap,
        })),
        ops: {
          ...common(cap),
          enqueue: (s, r) => blkStateEnqueueReq(cap, s, r),
          dequeue: (s) => blkStateDequeueReq(cap, s),
          abstraction: (s) => blkStateReqAbstraction(cap, s),
        },
      }),
      { numRuns: 100 },
    );
  });

  it.each([1, 4])('response queue, capacity %i, across the u32 wrap', (cap) => {
    fc.assert(
      specRefinementProperty<BlkRespQueueState, BlkResp>({
        item: blkRespArb,
        initial: startArb(32).map((start) => ({
          state: blkStateRespInitial(cap, start),
          usable: cap,
        })),
        ops: {
          ...common(cap),
          enqueue: (s, r) => blkStateEnqueueResp(cap, s, r),
          dequeue: (s) => blkStateDequeueResp(cap, s),
          abstraction: (s) => blkStateRespAbstraction(cap, s),
        },
      }),
      { numRuns: 100 },
    );
  });

  it('plugged is a flag on the request queue only, initially false', () => {
    const s = blkStateReqInitial(2);
    expect(s.plugged).toBe(false);
    expect(blkStateSetPlugged(s, true).plugged).toBe(true);
    expect(s.plugged).toBe(false);
    expect('plugged' in blkStateRespInitial(2)).toBe(false);
  });

  it('the sdfgen driver capacity 384 (U8) is rejected by the power-of-two rule', () => {
    expect(checkBlkCapacity(384)?.message).toMatch(/capacity 384 is not a power of two/);
    expect(checkBlkCapacity(128)).toBeNull();
  });

  it('record fields are checked at their C widths and enum ranges', () => {
    const ok: BlkReq = { code: 0, ioOrOffset: 0n, blockNumber: 0n, count: 0, id: 0 };
    expect(blkReqProblem(ok)).toBeNull();
    expect(blkReqProblem({ ...ok, code: 4 as never })).toMatch(/code 4/);
    expect(blkReqProblem({ ...ok, ioOrOffset: 1n << 64n })).toMatch(/io_or_offset/);
    expect(blkReqProblem({ ...ok, blockNumber: -1n })).toMatch(/block_number/);
    expect(blkReqProblem({ ...ok, count: 0x1_0000 })).toMatch(/count/);
    expect(blkReqProblem({ ...ok, id: 2 ** 32 })).toMatch(/id/);
    // Both bounds of every field, the largest valid value, and a non-integer.
    for (const [field, bad] of [
      ['ioOrOffset', -1n],
      ['blockNumber', 1n << 64n],
      ['count', -1],
      ['count', 1.5],
      ['id', -1],
      ['id', 0.5],
    ] as const) {
      expect(blkReqProblem({ ...ok, [field]: bad }), `${field} ${bad}`).toMatch(
        new RegExp(`${bad}`),
      );
    }
    expect(
      blkReqProblem({
        code: 3,
        ioOrOffset: (1n << 64n) - 1n,
        blockNumber: (1n << 64n) - 1n,
        count: 0xffff,
        id: 0xffff_ffff,
      }),
    ).toBeNull();
    const resp: BlkResp = { status: 4, successCount: 0xffff, id: 0xffff_ffff };
    for (const [field, bad] of [
      ['successCount', 0x1_0000],
      ['successCount', 0.5],
      ['id', 2 ** 32],
      ['id', 1.5],
    ] as const) {
      expect(blkRespProblem({ ...resp, [field]: bad }), `${field} ${bad}`).toMatch(
        new RegExp(`${bad}`),
      );
    }
    expect(blkRespProblem({ status: 0, successCount: 0, id: 0 })).toBeNull();
    expect(blkRespProblem(resp)).toBeNull();
    expect(blkRespProblem({ ...resp, status: 5 as never })).toMatch(/status 5/);
    expect(blkRespProblem({ ...resp, successCount: -1 })).toMatch(/success_count/);
    expect(blkRespProblem({ ...resp, id: -1 })).toMatch(/id/);
  });
});
