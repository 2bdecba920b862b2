import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BlkReqCode, BlkRespStatus, type BlkReq } from '../../../../spec/queue/blk.ts';
import {
  blkDriverQueueCapacity,
  blkForwardProblem,
  blkVirtAdmit,
  blkVirtTranslate,
  type BlkVirtClientView,
} from '../../../../spec/components/blk/virt.ts';

const client: BlkVirtClientView = {
  partition: { startSector: 2048n, sectors: 800n }, // blocks [256, 356)
  dataSizeBytes: 0x20000n,
  dataIoAddr: 0x5fa00000n,
  dataVaddr: 0x30600000n,
};
const req = (r: Partial<BlkReq>): BlkReq => ({
  code: BlkReqCode.READ,
  ioOrOffset: 0n,
  blockNumber: 0n,
  count: 1,
  id: 7,
  ...r,
});

describe('blkVirtTranslate', () => {
  it('shifts blocks into the partition and offsets into I/O addresses', () => {
    expect(blkVirtTranslate(req({ blockNumber: 99n, ioOrOffset: 0x1000n }), client)).toEqual({
      kind: 'forward',
      code: BlkReqCode.READ,
      ioAddr: 0x5fa01000n,
      driverBlock: 355n,
      count: 1,
    });
  });

  it('rejects out-of-range blocks, offsets, zero counts, unaligned offsets and unknown codes', () => {
    const status = (r: BlkReq) => {
      const t = blkVirtTranslate(r, client);
      return t.kind === 'reject' ? t.status : 'forward';
    };
    expect(status(req({ blockNumber: 100n }))).toBe(BlkRespStatus.ERR_INVALID_PARAM);
    expect(status(req({ blockNumber: 99n, count: 2 }))).toBe(BlkRespStatus.ERR_INVALID_PARAM);
    expect(status(req({ ioOrOffset: 0x20000n }))).toBe(BlkRespStatus.ERR_INVALID_PARAM);
    expect(status(req({ count: 0 }))).toBe(BlkRespStatus.ERR_INVALID_PARAM);
    expect(status(req({ ioOrOffset: 0x800n }))).toBe(BlkRespStatus.ERR_INVALID_PARAM);
    expect(status(req({ code: 9 as BlkReqCode }))).toBe(BlkRespStatus.ERR_INVALID_PARAM);
    expect(status(req({ code: BlkReqCode.BARRIER, blockNumber: 1n << 60n }))).toBe('forward');
    expect(status(req({ code: BlkReqCode.FLUSH }))).toBe('forward');
  });

  it('U6: upstream u64 arithmetic wraps; a huge offset or block reaches outside (caught here)', () => {
    const hugeOffset = req({ ioOrOffset: (1n << 64n) - 4096n });
    expect(blkVirtTranslate(hugeOffset, client).kind).toBe('reject');
    const wrapped = blkVirtTranslate(hugeOffset, client, { u6: true });
    expect(wrapped.kind).toBe('forward');
    expect(blkForwardProblem(wrapped, client)).toMatch(/outside the client's data region/);
    const hugeBlock = req({ blockNumber: (1n << 64n) - 256n + 300n, count: 1 });
    const wb = blkVirtTranslate(req({ blockNumber: (1n << 64n) - 257n, count: 2 }), client, {
      u6: true,
    });
    expect(blkVirtTranslate(hugeBlock, client).kind).toBe('reject');
    expect(wb.kind === 'forward' && blkForwardProblem(wb, client) !== null).toBe(true);
  });

  it('whatever the request, a forwarded READ/WRITE stays inside the partition and the data region', () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const near = fc.oneof(u64, fc.bigInt({ min: 0n, max: 0x30000n }));
    fc.assert(
      fc.property(
        fc.constantFrom(BlkReqCode.READ, BlkReqCode.WRITE),
        near,
        near,
        fc.integer({ min: 0, max: 0xffff }),
        (code, ioOrOffset, blockNumber, count) => {
          const t = blkVirtTranslate(req({ code, ioOrOffset, blockNumber, count }), client);
          expect(blkForwardProblem(t, client)).toBeNull();
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('blkVirtAdmit (U7) and the driver capacity (U8)', () => {
  it('takes a request only while its answer has a slot', () => {
    const l = { inFlight: 2, waiting: 1, respLength: 0, respCapacity: 4 };
    expect(blkVirtAdmit(l)).toBe(true);
    expect(blkVirtAdmit({ ...l, respLength: 1 })).toBe(false);
    expect(blkVirtAdmit({ ...l, respLength: 0xffff_0000 })).toBe(false); // a wild head is full
    expect(blkVirtAdmit({ ...l, inFlight: 4 }, { u7: true })).toBe(true);
  });

  it('rounds the driver queue up to a power of two of the client capacities', () => {
    expect(blkDriverQueueCapacity([128, 128, 128])).toBe(512);
    expect(blkDriverQueueCapacity([128, 128])).toBe(256);
    expect(blkDriverQueueCapacity([1])).toBe(1);
  });
});

describe('blkVirtTranslate and blkForwardProblem at their edges', () => {
  const fwd = (driverBlock: bigint, ioAddr: bigint, count: number) =>
    ({ kind: 'forward', code: BlkReqCode.WRITE, ioAddr, driverBlock, count }) as const;
  // client: partition blocks [256, 356), data [0x5fa00000, +0x20000).
  const ioEnd = client.dataIoAddr + client.dataSizeBytes;

  it('a request ending exactly at the end of the data region is forwarded; one block more is not', () => {
    const last = client.dataSizeBytes - 4096n;
    expect(blkVirtTranslate(req({ ioOrOffset: last }), client)).toMatchObject({
      kind: 'forward',
      ioAddr: ioEnd - 4096n,
    });
    expect(blkVirtTranslate(req({ ioOrOffset: last, count: 2 }), client).kind).toBe('reject');
  });

  it('alignment is of the address the virt computes (data vaddr + offset), as upstream virt.c:174', () => {
    // A data region mapped at a vaddr that is not 4 KiB aligned: offset 0xc00 lands aligned.
    const odd: BlkVirtClientView = { ...client, dataVaddr: client.dataVaddr + 0x400n };
    expect(blkVirtTranslate(req({ ioOrOffset: 0xc00n }), odd).kind).toBe('forward');
    expect(blkVirtTranslate(req({ ioOrOffset: 0x1000n }), odd).kind).toBe('reject');
  });

  it('U6: a block number that wraps below the partition start is still refused (block < start)', () => {
    const t = blkVirtTranslate(req({ blockNumber: (1n << 64n) - 1n }), client, { u6: true });
    expect(t).toMatchObject({ kind: 'reject', status: BlkRespStatus.ERR_INVALID_PARAM });
  });

  it('blkForwardProblem: blocks exactly inside the partition pass; one before or past do not', () => {
    expect(blkForwardProblem(fwd(256n, client.dataIoAddr, 1), client)).toBeNull();
    expect(blkForwardProblem(fwd(355n, client.dataIoAddr, 1), client)).toBeNull();
    expect(blkForwardProblem(fwd(255n, client.dataIoAddr, 1), client)).toMatch(/\[256, 356\)/);
    expect(blkForwardProblem(fwd(356n, client.dataIoAddr, 1), client)).toMatch(
      /outside the partition/,
    );
    expect(blkForwardProblem(fwd(355n, client.dataIoAddr, 2), client)).toMatch(
      /outside the partition/,
    );
  });

  it('blkForwardProblem: DMA exactly inside the data region passes; one byte before or past not', () => {
    expect(blkForwardProblem(fwd(256n, ioEnd - 4096n, 1), client)).toBeNull();
    expect(blkForwardProblem(fwd(256n, ioEnd - 8192n, 2), client)).toBeNull();
    expect(blkForwardProblem(fwd(256n, ioEnd - 4096n, 2), client)).toBe(
      `DMA [0x${(ioEnd - 4096n).toString(16)}, +8192) outside the client's data region`,
    );
    expect(blkForwardProblem(fwd(256n, client.dataIoAddr - 1n, 1), client)).toMatch(/DMA/);
  });

  it('blkForwardProblem judges only forwarded data requests', () => {
    const rej = blkVirtTranslate(req({ count: 0 }), client);
    expect(rej.kind).toBe('reject');
    expect(blkForwardProblem(rej, client)).toBeNull();
    const barrier = { ...fwd(0n, 0n, 0), code: BlkReqCode.BARRIER };
    expect(blkForwardProblem(barrier, client)).toBeNull();
  });
});
