// The block virtualiser's partition init (B0 init, B1 partition init; reference
// sddf-protocols.md §3.9; impl/components/blk/virt.ts), each test with its pre- and
// post-condition: the driver not yet ready, notifications before any answer (F16), stale answers,
// read errors, a driver data region of exactly the size the reads need and one block less, MBR and
// GPT tables that are refused (and then every request answered ERR_NO_DEVICE), a GPT header that
// changes between reads, the mirror copy that disagrees (U9), a disk beyond 2 TiB whose partition
// starts need all 64 bits, requests that arrive before the virt is ready, and the storage info
// each client is given.
import { describe, expect, it } from 'vitest';
import {
  BLK_TRANSFER_SIZE_BYTES,
  BlkReqCode,
  BlkRespStatus,
  type BlkReq,
} from '../../../../spec/queue/blk.ts';
import { readStorageInfo } from '../../../../impl/components/blk/config.ts';
import type { BlkVirtEvent } from '../../../../impl/components/blk/virt.ts';
import { crc32 } from '../../../../spec/components/blk/partition.ts';
import { buildGptImage, gptImageSectors } from '../../../../impl/systems/blk/disk.ts';
import {
  DISK_BYTES,
  DRIVER,
  DRV_IO,
  PARTS,
  SparseDisk,
  clientCh,
  read,
  virtRig,
  type VirtRig,
} from './fixture.ts';

const B = BLK_TRANSFER_SIZE_BYTES;
const gptDisk = (): SparseDisk => SparseDisk.of(buildGptImage(DISK_BYTES, PARTS));
/** 4 MiB GPT disk: the primary span is blocks [0, 5), the mirror span blocks [1019, 1024). */
const TOTAL = BigInt(DISK_BYTES / 512);

function start(t: VirtRig) {
  t.driverReady();
  const x = t.instance();
  x.v.init();
  return x;
}

/** After a refused table: every request (READ, FLUSH) is answered ERR_NO_DEVICE, none forwarded. */
function expectNoDevice(t: VirtRig, x: ReturnType<typeof start>, reason: RegExp): void {
  const events: BlkVirtEvent[] = [];
  x.v.observer = (e) => events.push(e);
  x.rec.notified.length = 0;
  t.client(0).req.enqueue(read(0n, 1, 1));
  t.client(0).req.enqueue({
    code: BlkReqCode.FLUSH,
    ioOrOffset: 0n,
    blockNumber: 0n,
    count: 0,
    id: 2,
  });
  x.v.notified(clientCh(0));
  expect(t.take()).toEqual([]);
  expect(t.responses(0)).toEqual([
    { status: BlkRespStatus.ERR_NO_DEVICE, successCount: 0, id: 1 },
    { status: BlkRespStatus.ERR_NO_DEVICE, successCount: 0, id: 2 },
  ]);
  expect(x.rec.notified).toEqual([clientCh(0)]);
  for (const e of events) {
    expect(e).toMatchObject({ kind: 'client-request', outcome: { kind: 'reject' } });
    if (e.kind === 'client-request' && e.outcome.kind === 'reject')
      expect(e.outcome.reason).toMatch(reason);
  }
  expect(events.length).toBe(2);
  for (let c = 0; c < t.clients.length; c++)
    expect(readStorageInfo(x.api, t.config.clients[c]!.conn.storageInfo)).toMatchObject({
      ready: true,
      capacity: 0n,
    });
}

describe('B0: the MBR read waits for the driver', () => {
  it('nothing is sent until the driver says ready; then exactly one read of block 0', () => {
    const t = virtRig();
    const x = t.instance();
    x.v.init();
    expect(t.take()).toEqual([]);
    x.v.notified(DRIVER);
    expect(t.take()).toEqual([]);
    expect(x.v.ready).toBe(false);
    t.driverReady();
    x.v.notified(DRIVER);
    expect(t.take()).toEqual([read(0n, 1, 0, DRV_IO)]);
    expect(x.v.ready).toBe(false);
    expect(x.v.initialised()).toBe(false);
  });

  it('F16: notifications before the answer change nothing; a stale answer is skipped, not taken for the MBR', () => {
    const t = virtRig();
    const x = start(t);
    const [mbr] = t.take();
    x.v.notified(DRIVER);
    x.v.notified(clientCh(1));
    // An answer for a request of an earlier instance arrives alone: an orphan, init still waits.
    t.answer({ ...mbr!, id: 9 }, BlkRespStatus.ERR_IO);
    x.v.notified(DRIVER);
    expect(x.v.stats.orphanResponses).toBe(1);
    expect(x.v.initialised()).toBe(false);
    expect(x.v.failure).toBeNull();
    t.answer(mbr!);
    x.v.notified(DRIVER);
    expect(x.v.ready).toBe(true);
    expect(x.v.partitions()).toEqual([
      { startSector: 2048n, sectors: 2048n },
      { startSector: 4096n, sectors: 1024n },
    ]);
  });

  it('the driver data region of exactly one block holds the MBR read; less is a clear failure', () => {
    const ok = virtRig({ driverDataBytes: B });
    const x = start(ok);
    ok.serve();
    x.v.notified(DRIVER);
    expect(x.v.ready).toBe(true);
    const small = virtRig({ driverDataBytes: B / 2 });
    const y = start(small);
    expect(small.take()).toEqual([]);
    expect(y.v.failure).toMatchObject({ code: 'partition-bounds', message: /holds no block/ });
    expectNoDevice(small, y, /holds no block/);
  });

  it('a failed read of sector 0 refuses the disk (whatever the data region holds)', () => {
    const t = virtRig();
    const x = start(t);
    const [mbr] = t.take();
    t.answer(mbr!); // fills the data region with a good MBR...
    t.take();
    t.drv.peer.resp.dequeue();
    t.answer(mbr!, BlkRespStatus.ERR_IO); // ...but the answer says the read failed
    x.v.notified(DRIVER);
    expect(x.v.failure).toMatchObject({
      code: 'mbr-signature',
      message: /sector 0 failed \(status 3\)/,
    });
    expectNoDevice(t, x, /sector 0 failed/);
  });
});

describe('B1: MBR and GPT tables the virt refuses', () => {
  it('an MBR partition reaching beyond the disk the driver reports', () => {
    const t = virtRig({ capacityBlocks: 600n }); // partition 1 ends at block 640
    const x = start(t);
    t.serve();
    x.v.notified(DRIVER);
    expect(x.v.failure).toMatchObject({
      code: 'partition-bounds',
      message: /beyond the disk's 4800 sectors/,
    });
    expectNoDevice(t, x, /beyond the disk/);
  });

  it('a protective MBR (type 0xEE) without the 0xAA55 signature is an MBR with a bad signature, not a GPT', () => {
    const img = buildGptImage(DISK_BYTES, PARTS);
    img[510] = 0;
    const t = virtRig({ disk: SparseDisk.of(img) });
    const x = start(t);
    t.serve();
    x.v.notified(DRIVER);
    expect(t.take()).toEqual([]); // no GPT read
    expect(x.v.failure).toMatchObject({ code: 'mbr-signature' });
  });

  it('a GPT header whose tables lie beyond the disk the driver reports', () => {
    const t = virtRig({ disk: gptDisk(), capacityBlocks: 512n });
    const x = start(t);
    t.serve();
    x.v.notified(DRIVER);
    expect(t.take()).toEqual([]);
    expect(x.v.failure).toMatchObject({ code: 'gpt-header-shape', message: /outside the disk/ });
    expectNoDevice(t, x, /outside the disk/);
  });

  it('GPT reads need 10 blocks here: a data region of exactly 10 is enough, 9 is refused and the read already sent is an orphan', () => {
    const ok = virtRig({ disk: gptDisk(), driverDataBytes: 10 * B });
    const x = start(ok);
    for (let i = 0; i < 2; i++) {
      ok.serve();
      x.v.notified(DRIVER);
    }
    expect(x.v.failure).toBeNull();
    expect(x.v.ready).toBe(true);

    // Driver capacity 1: the failed set-up must give back the id of the read it sent.
    const t = virtRig({
      disk: gptDisk(),
      driverDataBytes: 9 * B,
      driverCapacity: 1,
      clients: [{ capacity: 2, partition: 0 }],
    });
    const y = start(t);
    t.serve();
    y.v.notified(DRIVER);
    expect(y.v.failure).toMatchObject({
      code: 'gpt-header-shape',
      message: /do not fit the driver data region/,
    });
    const sent = t.take();
    expect(sent.map((r) => [r.blockNumber, r.count])).toEqual([[0n, 5]]);
    t.answer(sent[0]!);
    y.v.notified(DRIVER);
    expect(y.v.stats.orphanResponses).toBe(1);
    expectNoDevice(t, y, /do not fit/);
  });

  it("a failed GPT read refuses the disk; the other read's late answer is an orphan", () => {
    const t = virtRig({ disk: gptDisk() });
    const x = start(t);
    t.serve();
    x.v.notified(DRIVER);
    const [primary, mirror] = t.take();
    expect([primary!.blockNumber, mirror!.blockNumber]).toEqual([0n, 1019n]);
    t.answer(primary!, BlkRespStatus.ERR_IO);
    x.v.notified(DRIVER);
    expect(x.v.failure).toMatchObject({
      code: 'gpt-signature',
      message: /reading the GPT failed \(status 3\)/,
    });
    const events: BlkVirtEvent[] = [];
    x.v.observer = (e) => events.push(e);
    t.answer(mirror!);
    x.v.notified(DRIVER);
    expect(x.v.stats.orphanResponses).toBe(1);
    expect(events).toEqual([
      {
        kind: 'driver-response',
        resp: expect.objectContaining({ id: mirror!.id }),
        client: null,
        clientResp: null,
      },
    ]);
    expect(t.responses(0)).toEqual([]);
    expectNoDevice(t, x, /reading the GPT failed/);
  });

  it('the GPT is judged only once both copies are in; a stray answer meanwhile is an orphan', () => {
    const t = virtRig({ disk: gptDisk() });
    const x = start(t);
    t.serve();
    x.v.notified(DRIVER);
    const [primary, mirror] = t.take();
    t.answer(primary!);
    t.answer({ ...primary!, id: 7 }); // no such read
    x.v.notified(DRIVER);
    expect(x.v.stats.orphanResponses).toBe(1);
    expect(x.v.initialised()).toBe(false);
    expect(x.v.failure).toBeNull();
    t.answer(mirror!);
    x.v.notified(DRIVER);
    expect(x.v.ready).toBe(true);
    expect(x.v.partitions().map((p) => p.startSector)).toEqual([2048n, 4096n]);
  });
});

describe('B1: GPT copies that disagree or change', () => {
  /** Boot a GPT disk, running `between` after the MBR read was served (before the GPT reads). */
  function gpt(edit: (d: SparseDisk) => void, options = {}, between?: (d: SparseDisk) => void) {
    const disk = gptDisk();
    edit(disk);
    const t = virtRig({ disk, options });
    const x = start(t);
    t.serve();
    between?.(disk);
    x.v.notified(DRIVER);
    t.serve();
    x.v.notified(DRIVER);
    return { t, x };
  }

  it('a mirror header that differs in a compared field (its guid) is refused', () => {
    const { x } = gpt((d) => d.editGptHeader(TOTAL - 1n, (v) => v.setUint8(56, 0x99)));
    expect(x.v.failure).toMatchObject({ code: 'gpt-mirror-mismatch', message: /guid/ });
  });

  it('a mirror entry array that does not match its CRC is refused', () => {
    const { x } = gpt((d) => {
      const s = d.read(TOTAL - 33n, 1);
      s[100] = s[100]! ^ 1;
      d.write(TOTAL - 33n, s);
    });
    expect(x.v.failure).toMatchObject({ code: 'gpt-entries-crc', message: /mirror/ });
  });

  /** The mirror array edited (a byte of an entry's GUID) and the mirror header sealed over it. */
  const mirrorOwnArray = (d: SparseDisk): void => {
    const s = d.read(TOTAL - 33n, 1);
    s[20] = s[20]! ^ 0xff;
    d.write(TOTAL - 33n, s);
    const arr = d.read(TOTAL - 33n, 32);
    d.editGptHeader(TOTAL - 1n, (v) => v.setUint32(88, crc32(arr), true));
  };

  it("U9: a mirror whose array and array CRC differ from the primary is refused; upstream's comparison accepts it", () => {
    expect(gpt(mirrorOwnArray).x.v.failure).toMatchObject({
      code: 'gpt-mirror-mismatch',
      message: /crc32_entry_array/,
    });
    const seeded = gpt(mirrorOwnArray, { u9: true }).x.v;
    expect(seeded.failure).toBeNull();
    expect(seeded.ready).toBe(true);
  });

  it('a primary header corrupted between the first and second read is refused', () => {
    const { x } = gpt(
      () => {},
      {},
      (d) => {
        const s = d.read(1n, 1);
        s[60] = s[60]! ^ 1; // the CRC no longer matches
        d.write(1n, s);
      },
    );
    expect(x.v.failure).toMatchObject({ code: 'gpt-header-crc', message: /primary/ });
  });

  it('a primary header re-sealed between reads with its mirror beyond the disk is refused as changed', () => {
    const { x } = gpt(
      () => {},
      {},
      (d) => d.editGptHeader(1n, (v) => v.setBigUint64(32, TOTAL + 100n, true)),
    );
    expect(x.v.failure).toMatchObject({ code: 'gpt-header-shape', message: /changed/ });
  });
});

describe('a GPT disk beyond 2 TiB: partition starts need all 64 bits', () => {
  it('the partitions, the storage info and the forwarded block are exact above 2^32 sectors', () => {
    const total = 1n << 34n; // 8 TiB
    const parts = [
      { startSector: 2048, sectors: 4096 },
      { startSector: 2 ** 33 + 8, sectors: 2 ** 32 + 8 },
    ];
    const disk = new SparseDisk(total);
    for (const p of gptImageSectors(total, parts)) disk.write(p.sector, p.bytes);
    const t = virtRig({ disk });
    const { v, api } = t.boot();
    expect(v.failure).toBeNull();
    expect(v.partitions()).toEqual([
      { startSector: 2048n, sectors: 4096n },
      { startSector: (1n << 33n) + 8n, sectors: (1n << 32n) + 8n },
    ]);
    expect(readStorageInfo(api, t.config.clients[1]!.conn.storageInfo).capacity).toBe(
      ((1n << 32n) + 8n) / 8n,
    );
    const last = ((1n << 32n) + 8n) / 8n - 1n;
    t.client(1).req.enqueue(read(last, 1, 5));
    t.client(1).req.enqueue(read(last + 1n, 1, 6));
    v.notified(clientCh(1));
    expect(t.take().map((r: BlkReq) => r.blockNumber)).toEqual([((1n << 33n) + 8n) / 8n + last]);
    expect(t.responses(1)).toEqual([
      { status: BlkRespStatus.ERR_INVALID_PARAM, successCount: 0, id: 6 },
    ]);
  });
});

describe('ready: what the clients are told, and requests that came early', () => {
  it("each client gets its partition's capacity, its queue depth, the driver's read-only flag and sector size, and a notification", () => {
    const t = virtRig({
      clients: [
        { capacity: 8, partition: 1 },
        { capacity: 2, partition: 0 },
      ],
    });
    t.driverReady();
    const x = t.instance();
    x.v.init();
    t.serve();
    x.v.notified(DRIVER);
    expect(x.rec.notified).toEqual([clientCh(0), clientCh(1)]);
    const info = (c: number) => readStorageInfo(x.api, t.config.clients[c]!.conn.storageInfo);
    expect(info(0)).toEqual({
      readOnly: false,
      ready: true,
      sectorSize: 512,
      blockSize: 1,
      queueDepth: 8,
      capacity: 128n,
    });
    expect(info(1)).toEqual({
      readOnly: false,
      ready: true,
      sectorSize: 512,
      blockSize: 1,
      queueDepth: 2,
      capacity: 256n,
    });
  });

  it('a request queued before the virt is ready waits untouched, and is forwarded in the notification that completes init', () => {
    const t = virtRig();
    const x = start(t);
    const [mbr] = t.take();
    t.client(0).req.enqueue(read(3n, 1, 1));
    x.v.notified(clientCh(0));
    expect(t.client(0).req.length()).toBe(1); // not taken, not rejected
    expect(t.responses(0)).toEqual([]);
    t.answer(mbr!);
    x.v.notified(DRIVER);
    expect(t.take().map((r) => [r.blockNumber, r.count])).toEqual([[256n + 3n, 1]]);
  });

  it('a restart during partition init carries on from the read in flight', () => {
    const t = virtRig({ disk: gptDisk() });
    const x = start(t);
    t.serve();
    x.v.notified(DRIVER); // the GPT reads are sent
    const reads = t.take();
    expect(reads.length).toBe(2);
    const y = t.instance();
    y.v.init();
    expect(y.v.initialised()).toBe(false);
    expect(y.v.inFlightCounts()).toEqual([0, 0]); // init reads belong to no client
    for (const r of reads) t.answer(r);
    y.v.notified(DRIVER);
    expect(y.v.ready).toBe(true);
    expect(t.take()).toEqual([]);
  });
});

describe('a driver queue of capacity 1 (BlkVirtConfig allows it; sdfgen never makes one)', () => {
  it('an MBR disk works; a GPT disk (two reads at once) is refused with a clear problem, not an assertion', () => {
    const mbr = virtRig({ driverCapacity: 1, clients: [{ capacity: 1, partition: 0 }] });
    expect(mbr.boot().v.ready).toBe(true);
    const t = virtRig({
      disk: gptDisk(),
      driverCapacity: 1,
      clients: [{ capacity: 2, partition: 0 }],
    });
    const x = start(t);
    t.serve();
    expect(() => x.v.notified(DRIVER)).not.toThrow();
    expect(x.v.failure).toMatchObject({
      code: 'gpt-header-shape',
      message:
        /\(5 \+ 5 blocks\) do not fit the driver data region \(262144 bytes\) or queue \(capacity 1\)/,
    });
    t.serve(); // the primary read that went out is answered: an orphan
    x.v.notified(DRIVER);
    expect(x.v.stats.orphanResponses).toBe(1);
    expectNoDevice(t, x, /capacity 1/);
  });
});
