import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
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

describe('block request semantics: edges', () => {
  it('epoch counts the barriers submitted, and only them', () => {
    let s = blkConnectionInitial();
    const epochs: number[] = [];
    for (const q of [
      r(1, BlkReqCode.WRITE),
      r(2, BlkReqCode.FLUSH),
      r(3, BlkReqCode.BARRIER),
      r(4, BlkReqCode.READ),
      r(5, BlkReqCode.BARRIER),
    ]) {
      s = blkSubmit(s, q).state;
      epochs.push(s.epoch);
    }
    expect(epochs).toEqual([0, 0, 1, 1, 2]);
  });

  it('a buffer of count blocks is 4 KiB × count long: the next block overlaps, the one after not', () => {
    const two: BlkReq = { ...r(1, BlkReqCode.WRITE, 0), count: 2 };
    const s = submitAll([two]);
    expect(blkSubmit(s, r(2, BlkReqCode.READ, 1)).problem).toMatch(/overlaps request 1/);
    expect(blkSubmit(s, r(3, BlkReqCode.READ, 2)).problem).toBeNull();
  });

  it('FLUSH and BARRIER own no buffer, wherever their io field points', () => {
    const s = submitAll([r(1, BlkReqCode.WRITE, 4)]);
    const inside = (id: number, code: BlkReqCode): BlkReq => ({
      ...r(id, code),
      ioOrOffset: 4n * 4096n + 512n,
      count: 2,
    });
    expect(blkSubmit(s, inside(2, BlkReqCode.FLUSH)).problem).toBeNull();
    expect(blkSubmit(s, inside(3, BlkReqCode.BARRIER)).problem).toBeNull();
    // …and an OK answer to them carries no blocks, whatever their count field says.
    const t = submitAll([inside(2, BlkReqCode.FLUSH)]);
    expect(blkComplete(t, ok(2, 0)).problem).toBeNull();
  });

  it('a short OK answer is a violation for a READ as for a WRITE', () => {
    const s = submitAll([r(1, BlkReqCode.READ)]);
    expect(blkComplete(s, ok(1, 0)).problem).toMatch(/OK with 0 of 1 blocks/);
    expect(blkComplete(s, ok(1, 1)).problem).toBeNull();
  });

  it('barriers are answered in order: the later one waits for the earlier, not the reverse', () => {
    const s = submitAll([r(1, BlkReqCode.BARRIER), r(2, BlkReqCode.BARRIER)]);
    expect(blkComplete(s, ok(2, 0)).problem).toMatch(/response for 2 overtakes request 1/);
    const x = blkComplete(s, ok(1, 0));
    expect(x.problem).toBeNull();
    expect(blkComplete(x.state, ok(2, 0)).problem).toBeNull();
  });

  it('property: any answer order is accepted iff it never crosses a barrier', () => {
    // Oracle, from the submission positions alone: answering request a while an earlier request b
    // (b < a) is outstanding crosses a barrier iff a barrier is among positions b..a (b itself, a
    // itself, or one between). Answering an earlier request first never does.
    const codes = fc.array(
      fc.constantFrom(BlkReqCode.READ, BlkReqCode.WRITE, BlkReqCode.FLUSH, BlkReqCode.BARRIER),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(
        codes.chain((cs) =>
          fc.tuple(fc.constant(cs), fc.shuffledSubarray([...cs.keys()], { minLength: cs.length })),
        ),
        ([cs, order]) => {
          const reqs = cs.map((c, i) => r(i + 1, c));
          let s = submitAll(reqs);
          let oracleOk = true;
          const answered = new Set<number>();
          let specOk = true;
          for (const a of order) {
            for (let b = 0; b < a; b++) {
              if (answered.has(b)) continue;
              if (cs.slice(b, a + 1).some((c) => c === BlkReqCode.BARRIER)) oracleOk = false;
            }
            const x = blkComplete(s, ok(a + 1, reqs[a]!.count));
            if (x.problem !== null) {
              specOk = false;
              break;
            }
            s = x.state;
            answered.add(a);
          }
          expect(specOk).toBe(oracleOk);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
