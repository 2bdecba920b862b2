// The block configuration helpers (impl/components/blk/config.ts): the queue MRs must hold the
// capacity's records (one byte short is refused, with the sizes in the message), and the storage
// info page round-trips every field, `ready` and `read_only` each way.
import { describe, expect, it } from 'vitest';
import {
  openBlkConnection,
  readStorageInfo,
  writeStorageInfo,
} from '../../../../impl/components/blk/config.ts';
import { blkReqQueueSizeBytes, blkRespQueueSizeBytes } from '../../../../impl/queue/blk.ts';
import { Layout, recordingApi, res } from '../net/fixture.ts';

function setup() {
  const l = new Layout();
  const si = l.add('si', 0x1000);
  const req = l.add('req', 0x1000);
  const resp = l.add('resp', 0x1000);
  const { api } = recordingApi('pd', l.space('pd'));
  return { api, si, req, resp };
}

describe('openBlkConnection', () => {
  it('request and response MRs of exactly the queue size open; one byte short of either is refused', () => {
    const { api, si, req, resp } = setup();
    const conn = (reqBytes: number, respBytes: number) => ({
      storageInfo: res(si),
      req: { ...res(req), sizeBytes: reqBytes },
      resp: { ...res(resp), sizeBytes: respBytes },
      capacity: 8,
      id: 1,
    });
    const rq = blkReqQueueSizeBytes(8);
    const rs = blkRespQueueSizeBytes(8);
    expect(openBlkConnection(api, conn(rq, rs)).capacity).toBe(8);
    expect(() => openBlkConnection(api, conn(rq - 1, rs))).toThrow(
      `blk queue MRs of ${rq - 1}/${rs} bytes hold 8 entries`,
    );
    expect(() => openBlkConnection(api, conn(rq, rs - 1))).toThrow(/blk queue MRs of/);
  });
});

describe('storage info', () => {
  it.each([true, false])('every field round-trips (read_only %s), and ready is set last', (ro) => {
    const { api, si } = setup();
    expect(readStorageInfo(api, res(si)).ready).toBe(false); // a fresh page: not ready
    const info = {
      readOnly: ro,
      sectorSize: 4096,
      blockSize: 3,
      queueDepth: 0x1234,
      capacity: (1n << 40n) + 5n,
    };
    writeStorageInfo(api, res(si), info);
    expect(readStorageInfo(api, res(si))).toEqual({ ...info, ready: true });
    expect(new Uint8Array(si.buffer!)[64]).toBe(ro ? 1 : 0);
    expect(new Uint8Array(si.buffer!)[65]).toBe(1);
  });
});
