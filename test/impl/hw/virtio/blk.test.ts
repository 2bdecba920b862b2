import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FileBlockBackend,
  MemoryBlockBackend,
  type BlockBackend,
} from '../../../../impl/hw/block_backend.ts';
import { BlkStatus, BlkType, SECTOR_BYTES, VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { Feature, Reg } from '../../../../impl/hw/virtio/constants.ts';
import type { VirtioDriver } from '../../../../impl/hw/virtio/driver.ts';
import type { TestMemory } from '../../../../impl/hw/testing.ts';
import { BUF_BASE, driverFor, fullWindow, ram, RING_BASE } from './harness.ts';

const DISK_SECTORS = 64;

interface Blk {
  dev: VirtioBlk;
  drv: VirtioDriver;
  mem: TestMemory;
  backend: MemoryBlockBackend;
}

function makeBlk(
  options: {
    outOfOrderSeed?: number;
    readOnly?: boolean;
    num?: number;
    backend?: BlockBackend;
  } = {},
): Blk {
  const mem = ram();
  const backend = new MemoryBlockBackend({ sizeBytes: DISK_SECTORS * SECTOR_BYTES });
  const dev = new VirtioBlk({
    name: 'blk',
    dma: fullWindow(mem, 'blk'),
    backend: options.backend ?? backend,
    serial: 'disk-0',
    ...(options.outOfOrderSeed !== undefined ? { outOfOrderSeed: options.outOfOrderSeed } : {}),
    ...(options.readOnly !== undefined ? { readOnly: options.readOnly } : {}),
  });
  const drv = driverFor({ mmio: dev, memory: mem });
  expect(drv.negotiate(Feature.Version1 | Feature.BlkFlush)).toBe(true);
  drv.setupQueue({ index: 0, num: options.num ?? 16, baseAddr: RING_BASE });
  drv.driverOk();
  return { dev, drv, mem, backend };
}

/** Request i uses header at BUF_BASE + i*0x2000, status after it, data at +0x1000 (≤ 4 KiB). */
function request(
  b: Blk,
  options: { i: number; type: number; sector: bigint; dataBytes: number; dataSplit?: number },
): number {
  const base = BUF_BASE + BigInt(options.i * 0x2000);
  b.mem.writeU32(base, options.type);
  b.mem.writeU32(base + 4n, 0);
  b.mem.writeU64(base + 8n, options.sector);
  b.mem.writeU8(base + 16n, 0xff); // status: poisoned until the device writes it
  const deviceWrites = options.type !== BlkType.Out;
  const data = base + 0x1000n;
  const parts =
    options.dataBytes === 0
      ? []
      : options.dataSplit !== undefined
        ? [
            { addr: data, lenBytes: options.dataSplit, write: deviceWrites },
            {
              addr: data + BigInt(options.dataSplit),
              lenBytes: options.dataBytes - options.dataSplit,
              write: deviceWrites,
            },
          ]
        : [{ addr: data, lenBytes: options.dataBytes, write: deviceWrites }];
  const head = b.drv
    .queue(0)
    .add([
      { addr: base, lenBytes: 16, write: false },
      ...parts,
      { addr: base + 16n, lenBytes: 1, write: true },
    ]);
  expect(head).not.toBeNull();
  return head as number;
}
const statusOf = (b: Blk, i: number): number => b.mem.readU8(BUF_BASE + BigInt(i * 0x2000) + 16n);
const dataAddr = (i: number): bigint => BUF_BASE + BigInt(i * 0x2000) + 0x1000n;

describe('virtio-blk', () => {
  it('reports capacity in 512-byte sectors in config', () => {
    const { dev } = makeBlk();
    expect(dev.read32(Reg.DeviceId)).toBe(2);
    expect(dev.read32(Reg.Config)).toBe(DISK_SECTORS);
    expect(dev.read32(Reg.Config + 4)).toBe(0);
  });

  it('OUT then IN round-trips data through a split data buffer; used.len = 1 and data + 1', () => {
    const b = makeBlk();
    const pattern = Uint8Array.from({ length: 1024 }, (_, k) => (k * 7) & 0xff);
    b.mem.write(dataAddr(0), pattern);
    const w = request(b, { i: 0, type: BlkType.Out, sector: 3n, dataBytes: 1024, dataSplit: 100 });
    b.drv.kick(0);
    expect(b.drv.queue(0).collect()).toEqual([{ head: w, lenBytes: 1 }]);
    expect(statusOf(b, 0)).toBe(BlkStatus.Ok);
    expect(b.backend.bytes.subarray(3 * 512, 5 * 512)).toEqual(pattern);
    const r = request(b, { i: 1, type: BlkType.In, sector: 3n, dataBytes: 1024, dataSplit: 700 });
    b.drv.kick(0);
    expect(b.drv.queue(0).collect()).toEqual([{ head: r, lenBytes: 1025 }]);
    expect(b.mem.read(dataAddr(1), 1024)).toEqual(pattern);
    expect(b.dev.irqAsserted()).toBe(true);
  });

  it('§5.2.6.1: sectors beyond capacity are a driver error → IOERR (including a u64 sector near 2^64), nothing transferred; used.len is every writable byte (QEMU in_len)', () => {
    const b = makeBlk();
    request(b, { i: 0, type: BlkType.In, sector: BigInt(DISK_SECTORS - 1), dataBytes: 1024 });
    request(b, { i: 1, type: BlkType.Out, sector: BigInt(DISK_SECTORS), dataBytes: 512 });
    request(b, { i: 2, type: BlkType.In, sector: (1n << 64n) - 1n, dataBytes: 512 });
    request(b, { i: 3, type: BlkType.In, sector: BigInt(DISK_SECTORS - 1), dataBytes: 512 });
    b.drv.kick(0);
    const used = b.drv.queue(0).collect();
    expect([0, 1, 2, 3].map((i) => statusOf(b, i))).toEqual([1, 1, 1, 0]);
    expect(used.map((u) => u.lenBytes)).toEqual([1025, 1, 513, 513]);
    expect(b.dev.stats.ioErrors).toBe(3);
    expect(b.dev.errorCodes()).toEqual([
      'blk-beyond-capacity',
      'blk-beyond-capacity',
      'blk-beyond-capacity',
    ]);
    expect(b.mem.read(dataAddr(0), 1024).every((x) => x === 0)).toBe(true);
  });

  it('§5.2.6.1: a data length that is not whole sectors is a driver error → IOERR', () => {
    const b = makeBlk();
    request(b, { i: 0, type: BlkType.In, sector: 0n, dataBytes: 100 });
    b.drv.kick(0);
    expect(statusOf(b, 0)).toBe(BlkStatus.IoErr);
    expect(b.dev.errorCodes()).toEqual(['blk-data-length']);
  });

  it('unknown type → UNSUPP; FLUSH reaches the backend; GET_ID writes the serial', () => {
    const b = makeBlk();
    request(b, { i: 0, type: 99, sector: 0n, dataBytes: 0 });
    request(b, { i: 1, type: BlkType.Flush, sector: 0n, dataBytes: 0 });
    request(b, { i: 2, type: BlkType.GetId, sector: 0n, dataBytes: 20 });
    b.drv.kick(0);
    expect(b.dev.errorCount).toBe(0);
    const used = b.drv.queue(0).collect();
    expect([0, 1, 2].map((i) => statusOf(b, i))).toEqual([
      BlkStatus.Unsupp,
      BlkStatus.Ok,
      BlkStatus.Ok,
    ]);
    expect(b.backend.flushCount).toBe(1);
    expect(new TextDecoder().decode(b.mem.read(dataAddr(2), 6))).toBe('disk-0');
    expect(used.map((u) => u.lenBytes)).toEqual([1, 1, 21]);
  });

  it('a read-only disk refuses OUT with IOERR and offers VIRTIO_BLK_F_RO', () => {
    const b = makeBlk({ readOnly: true });
    expect(b.drv.deviceFeatures() & Feature.BlkRo).toBe(Feature.BlkRo);
    request(b, { i: 0, type: BlkType.Out, sector: 0n, dataBytes: 512 });
    b.drv.kick(0);
    expect(statusOf(b, 0)).toBe(BlkStatus.IoErr);
  });

  it('a backend error becomes IOERR', () => {
    const failing: BlockBackend = {
      sizeBytes: DISK_SECTORS * SECTOR_BYTES,
      read: () => ({ kind: 'backend-error', reason: 'media error' }),
      write: () => ({ kind: 'backend-error', reason: 'media error' }),
      flush: () => ({ kind: 'backend-error', reason: 'media error' }),
    };
    const b = makeBlk({ backend: failing });
    request(b, { i: 0, type: BlkType.In, sector: 0n, dataBytes: 512 });
    request(b, { i: 1, type: BlkType.Flush, sector: 0n, dataBytes: 0 });
    b.drv.kick(0);
    expect([statusOf(b, 0), statusOf(b, 1)]).toEqual([BlkStatus.IoErr, BlkStatus.IoErr]);
  });

  it('in order by default; seeded out-of-order completion is reproducible and does reorder', () => {
    const order = (seed?: number): number[] => {
      const b = makeBlk(seed === undefined ? { num: 32 } : { num: 32, outOfOrderSeed: seed });
      const heads = Array.from({ length: 8 }, (_, i) =>
        request(b, { i, type: BlkType.In, sector: BigInt(i), dataBytes: 512 }),
      );
      b.drv.kick(0);
      const used = b.drv
        .queue(0)
        .collect()
        .map((u) => u.head);
      expect(used).toEqual(b.dev.completionOrder);
      expect([...used].sort((x, y) => x - y)).toEqual(heads);
      return used;
    };
    const inOrder = order();
    expect(inOrder).toEqual([...inOrder].sort((x, y) => x - y));
    expect(order(42)).toEqual(order(42));
    const seeds = [1, 2, 3, 4, 5];
    expect(seeds.some((s) => order(s).join() !== inOrder.join())).toBe(true);
  });

  it('§5.2.6.1: GET_ID into a short buffer is a driver error; only what fits is written; used.len counts it', () => {
    const b = makeBlk();
    request(b, { i: 0, type: BlkType.GetId, sector: 0n, dataBytes: 4 });
    b.drv.kick(0);
    expect(
      b.drv
        .queue(0)
        .collect()
        .map((u) => u.lenBytes),
    ).toEqual([5]);
    expect(new TextDecoder().decode(b.mem.read(dataAddr(0), 4))).toBe('disk');
    expect(b.dev.errorCodes()).toEqual(['blk-get-id-length']);
  });

  it('a request without a status byte or with a short header breaks the device, not the host', () => {
    for (const chain of [
      [{ addr: BUF_BASE, lenBytes: 16, write: false }],
      [
        { addr: BUF_BASE, lenBytes: 8, write: false },
        { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
      ],
    ]) {
      const b = makeBlk();
      b.drv.queue(0).add(chain);
      b.drv.kick(0);
      expect(b.dev.needsReset).toBe(true);
      expect(b.dev.errorCodes()).toEqual(['blk-request-shape']);
      expect(b.drv.queue(0).collect()).toEqual([]);
    }
  });

  it('a stalled disk completes nothing until released', () => {
    const b = makeBlk();
    b.dev.stall();
    request(b, { i: 0, type: BlkType.In, sector: 0n, dataBytes: 512 });
    b.drv.kick(0);
    expect(b.drv.queue(0).collect()).toEqual([]);
    b.dev.release();
    expect(b.drv.queue(0).collect()).toHaveLength(1);
  });
});

describe('FileBlockBackend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sddf-blk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and writes a real file through the device', () => {
    const path = join(dir, 'disk.img');
    writeFileSync(path, new Uint8Array(DISK_SECTORS * SECTOR_BYTES));
    const backend = new FileBlockBackend({ path });
    const b = makeBlk({ backend });
    b.mem.write(dataAddr(0), new Uint8Array(512).fill(0x5a));
    request(b, { i: 0, type: BlkType.Out, sector: 2n, dataBytes: 512 });
    request(b, { i: 1, type: BlkType.Flush, sector: 0n, dataBytes: 0 });
    b.drv.kick(0);
    expect([statusOf(b, 0), statusOf(b, 1)]).toEqual([0, 0]);
    backend.close();
    const onDisk = readFileSync(path);
    expect(onDisk[2 * 512]).toBe(0x5a);
    expect(onDisk[3 * 512]).toBe(0);
    expect(backend.read(0, 512)).toMatchObject({ kind: 'backend-error' });
  });
});

describe('virtio-blk edges', () => {
  it('out-of-range requests never reach the backend; statistics count each request type', () => {
    const calls: string[] = [];
    const inner = new MemoryBlockBackend({ sizeBytes: DISK_SECTORS * SECTOR_BYTES });
    const spy: BlockBackend = {
      sizeBytes: inner.sizeBytes,
      read: (o, n) => (calls.push(`r${o}`), inner.read(o, n)),
      write: (o, d) => (calls.push(`w${o}`), inner.write(o, d)),
      flush: () => (calls.push('f'), inner.flush()),
    };
    const b = makeBlk({ backend: spy, num: 32 });
    request(b, { i: 0, type: BlkType.In, sector: BigInt(DISK_SECTORS), dataBytes: 512 });
    request(b, { i: 1, type: BlkType.Out, sector: (1n << 64n) - 1n, dataBytes: 512 });
    request(b, { i: 2, type: BlkType.In, sector: 1n, dataBytes: 512 });
    request(b, { i: 3, type: BlkType.Out, sector: 2n, dataBytes: 512 });
    request(b, { i: 4, type: BlkType.Flush, sector: 0n, dataBytes: 0 });
    request(b, { i: 5, type: BlkType.GetId, sector: 0n, dataBytes: 20 });
    request(b, { i: 6, type: 77, sector: 0n, dataBytes: 0 });
    b.drv.kick(0);
    expect(calls).toEqual(['r512', 'w1024', 'f']);
    expect(b.dev.stats).toEqual({
      reads: 2,
      writes: 2,
      flushes: 1,
      getIds: 1,
      ioErrors: 2,
      unsupported: 1,
    });
  });

  it('a backend write error is IOERR; blk_size is 512 in config; reset forgets completion order', () => {
    const failing: BlockBackend = {
      sizeBytes: DISK_SECTORS * SECTOR_BYTES,
      read: () => new Uint8Array(512),
      write: () => ({ kind: 'backend-error', reason: 'media error' }),
      flush: () => null,
    };
    const b = makeBlk({ backend: failing });
    expect(b.dev.read32(Reg.Config + 20)).toBe(512);
    request(b, { i: 0, type: BlkType.Out, sector: 0n, dataBytes: 512 });
    b.drv.kick(0);
    expect(statusOf(b, 0)).toBe(BlkStatus.IoErr);
    expect(b.dev.completionOrder).toHaveLength(1);
    b.dev.write32(Reg.Status, 0);
    expect(b.dev.completionOrder).toEqual([]);
  });

  it('a notify with nothing available raises no interrupt', () => {
    const b = makeBlk();
    b.drv.kick(0);
    expect(b.dev.irqAsserted()).toBe(false);
  });
});
