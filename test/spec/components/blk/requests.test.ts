import { describe, expect, it } from 'vitest';
import { BlkReqCode, BlkRespStatus, type BlkReq } from '../../../../spec/queue/blk.ts';
import {
  blkComplete,
  blkConnectionInitial,
  blkSubmit,
  type BlkConnectionState,
} from '../../../../spec/components/blk/requests.ts';

const r = (id: number, code: BlkReqCode, buffer = id): BlkReq => ({
  code,
  ioOrOffset: BigInt(buffer * 4096),
  blockNumber: BigInt(id),
  count: code === BlkReqCode.READ || code === BlkReqCode.WRITE ? 1 : 0,
  id,
});
const ok = (id: number, successCount = 1) => ({ status: BlkRespStatus.OK, successCount, id });

function submitAll(reqs: readonly BlkReq[]): BlkConnectionState {
  let s = blkConnectionInitial();
  for (const q of reqs) {
    const x = blkSubmit(s, q);
    expect(x.problem).toBeNull();
    s = x.state;
  }
  return s;
}

describe('block request semantics', () => {
  const reqs = [
    r(1, BlkReqCode.WRITE),
    r(2, BlkReqCode.WRITE),
    r(3, BlkReqCode.BARRIER),
    r(4, BlkReqCode.READ),
  ];

  it('answers may come out of order within an epoch, then the barrier, then what follows', () => {
    let s = submitAll(reqs);
    for (const [id, n] of [
      [2, 1],
      [1, 1],
      [3, 0],
      [4, 1],
    ] as const) {
      const x = blkComplete(s, ok(id, n));
      expect(x.problem).toBeNull();
      s = x.state;
    }
    expect(s.outstanding.size).toBe(0);
  });

  it('a barrier answered before an earlier request, or a later request before the barrier, is a violation', () => {
    const s = submitAll(reqs);
    expect(blkComplete(s, ok(3, 0)).problem).toMatch(/overtakes request 1 across a barrier/);
    const s2 = blkComplete(blkComplete(s, ok(1)).state, ok(2)).state;
    expect(blkComplete(s, ok(4)).problem).toMatch(/across a barrier/);
    expect(blkComplete(s2, ok(4)).problem).toMatch(/overtakes request 3/);
  });

  it('unknown or duplicate answers, reused ids, shared buffers and short OK answers are violations', () => {
    const s = submitAll(reqs);
    expect(blkComplete(s, ok(9)).problem).toMatch(/not outstanding/);
    expect(blkComplete(blkComplete(s, ok(1)).state, ok(1)).problem).toMatch(/not outstanding/);
    expect(blkSubmit(s, r(1, BlkReqCode.READ, 50)).problem).toMatch(/while outstanding/);
    expect(blkSubmit(s, r(8, BlkReqCode.READ, 2)).problem).toMatch(/overlaps request 2/);
    expect(blkComplete(s, ok(1, 0)).problem).toMatch(/OK with 0 of 1 blocks/);
    // An error answer carries no blocks.
    expect(
      blkComplete(s, { status: BlkRespStatus.ERR_IO, successCount: 0, id: 1 }).problem,
    ).toBeNull();
  });
});
