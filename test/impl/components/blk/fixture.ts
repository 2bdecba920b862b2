// Test rig for the block virtualiser's handlers (impl/components/blk/virt.ts): the virt's address
// space over fresh regions (the net fixture's Layout and recording MicrokitApi), and a test that
// stands on the other end of every queue: the driver's side (storage info, a sparse disk that
// serves requests on demand) and each client's side. Nothing is scheduled: the test calls the
// virt's handlers and states what it expects before and after.
import {
  BLK_TRANSFER_SIZE_BYTES,
  BlkReqCode,
  BlkRespStatus,
  type BlkReq,
  type BlkResp,
} from '../../../../spec/queue/blk.ts';
import { SECTOR_BYTES, crc32 } from '../../../../spec/components/blk/partition.ts';
import {
  BlkVirt,
  blkVirtMetadataBytes,
  type BlkVirtOptions,
} from '../../../../impl/components/blk/virt.ts';
import {
  writeStorageInfo,
  type BlkConnection,
  type BlkVirtConfig,
} from '../../../../impl/components/blk/config.ts';
import {
  blkReqQueueSizeBytes,
  blkRespQueueSizeBytes,
  createBlkQueueHandle,
  type BlkQueueHandle,
} from '../../../../impl/queue/blk.ts';
import { buildMbrImage, type ImagePartition } from '../../../../impl/systems/blk/disk.ts';
import { Layout, dev, recordingApi, res, type Region } from '../net/fixture.ts';

export const DRIVER = 0;
/** Client c's channel id at the virt is c + 1. */
export const clientCh = (c: number): number => c + 1;
export const DRV_IO = 0x4000_0000n;
export const CLIENT_IO = 0x8000_0000n;
const B = BLK_TRANSFER_SIZE_BYTES;

/** Sector-addressed disk contents; unwritten sectors read as zeros (a disk larger than memory). */
export class SparseDisk {
  private readonly sectors = new Map<bigint, Uint8Array>();
  constructor(readonly totalSectors: bigint) {}

  static of(image: Uint8Array): SparseDisk {
    const d = new SparseDisk(BigInt(image.length / SECTOR_BYTES));
    d.write(0n, image);
    return d;
  }

  write(sector: bigint, bytes: Uint8Array): void {
    for (let i = 0; i * SECTOR_BYTES < bytes.length; i++) {
      const s = bytes.subarray(i * SECTOR_BYTES, (i + 1) * SECTOR_BYTES);
      if (s.some((b) => b !== 0) || this.sectors.has(sector + BigInt(i)))
        this.sectors.set(sector + BigInt(i), Uint8Array.from(s));
    }
  }

  read(sector: bigint, count: number): Uint8Array {
    const out = new Uint8Array(count * SECTOR_BYTES);
    for (let i = 0; i < count; i++) {
      const s = this.sectors.get(sector + BigInt(i));
      if (s !== undefined) out.set(s, i * SECTOR_BYTES);
    }
    return out;
  }

  /** Edit a GPT header at `lba` and seal it again (its CRC32 over the first header_size bytes). */
  editGptHeader(lba: bigint, edit: (v: DataView) => void): void {
    const h = this.read(lba, 1);
    const v = new DataView(h.buffer);
    edit(v);
    v.setUint32(16, 0, true);
    v.setUint32(16, crc32(h.subarray(0, v.getUint32(12, true))), true);
    this.write(lba, h);
  }
}

export interface ClientSpec {
  readonly capacity?: number;
  readonly partition?: number;
  readonly dataBlocks?: number;
}

export interface VirtRigOptions {
  readonly clients?: readonly ClientSpec[];
  readonly driverCapacity?: number;
  /** The driver data region's size as configured (default 64 blocks). */
  readonly driverDataBytes?: number;
  readonly disk?: SparseDisk;
  /** Capacity the driver publishes, in blocks (default: the disk's). */
  readonly capacityBlocks?: bigint;
  /** The metadata region (false: the virt keeps its state privately, as in sDDF's own systems). */
  readonly metadata?: boolean;
  readonly options?: BlkVirtOptions;
}

export const PARTS: ImagePartition[] = [
  { startSector: 2048, sectors: 2048 },
  { startSector: 4096, sectors: 1024 },
];
export const DISK_BYTES = 4 * 1024 * 1024;

export function connection(l: Layout, name: string, capacity: number, id: number) {
  const si = l.add(`${name}/storage_info`, 0x1000);
  const req = l.add(`${name}/req`, blkReqQueueSizeBytes(capacity));
  const resp = l.add(`${name}/resp`, blkRespQueueSizeBytes(capacity));
  const conn: BlkConnection = {
    storageInfo: res(si),
    req: res(req),
    resp: res(resp),
    capacity,
    id,
  };
  const peer: BlkQueueHandle = createBlkQueueHandle({
    req: { buffer: req.buffer!, byteOffset: 0 },
    resp: { buffer: resp.buffer!, byteOffset: 0 },
    capacity,
  });
  return { conn, peer, si, req, resp };
}

export function virtRig(o: VirtRigOptions = {}) {
  const specs = o.clients ?? [{ partition: 0 }, { partition: 1 }];
  const driverCapacity = o.driverCapacity ?? 16;
  const disk = o.disk ?? SparseDisk.of(buildMbrImage(DISK_BYTES, PARTS));
  const l = new Layout();
  const drv = connection(l, 'drv', driverCapacity, DRIVER);
  const drvData = l.add('drv/data', o.driverDataBytes ?? 64 * B, { ioAddr: DRV_IO });
  const clients = specs.map((s, c) => {
    const x = connection(l, `client${c}`, s.capacity ?? 4, clientCh(c));
    const data = l.add(`client${c}/data`, (s.dataBlocks ?? 8) * B, {
      ioAddr: CLIENT_IO + BigInt(c) * 0x100_0000n,
    });
    return { ...x, data, partition: s.partition ?? c };
  });
  const metaBytes = blkVirtMetadataBytes(driverCapacity);
  const meta = o.metadata === false ? null : l.add('virt/metadata', metaBytes);
  const config: BlkVirtConfig = {
    driver: {
      conn: drv.conn,
      data: { ...dev(drvData), sizeBytes: o.driverDataBytes ?? 64 * B },
    },
    clients: clients.map((c) => ({
      conn: c.conn,
      data: { ...dev(c.data), sizeBytes: (specs[clients.indexOf(c)]!.dataBlocks ?? 8) * B },
      partition: c.partition,
    })),
    ...(meta === null ? {} : { metadata: { vaddr: meta.vaddr, sizeBytes: metaBytes } }),
  };
  const space = l.space('blk_virt');
  const driverSide = recordingApi('driver', l.space('driver'));

  /** A fresh virt over the same regions (a restart keeps the metadata and the queues). */
  const instance = (options: BlkVirtOptions = o.options ?? {}) => {
    const r = recordingApi('blk_virt', space);
    const v = new BlkVirt(r.api, config, options);
    return { v, ...r };
  };

  /** The region an I/O address lies in (the driver's or a client's data region). */
  const at = (io: bigint, len: number): { r: Region; off: number } => {
    for (const r of [drvData, ...clients.map((c) => c.data)]) {
      if (io >= r.ioAddr && io + BigInt(len) <= r.ioAddr + BigInt(r.sizeBytes))
        return { r, off: Number(io - r.ioAddr) };
    }
    throw new Error(`I/O address 0x${io.toString(16)} +${len} is in no data region`);
  };

  /** The driver publishes its storage info (capacity in blocks). */
  const driverReady = (capacityBlocks = o.capacityBlocks ?? disk.totalSectors / 8n): void =>
    writeStorageInfo(driverSide.api, drv.conn.storageInfo, {
      readOnly: false,
      sectorSize: 512,
      blockSize: 1,
      queueDepth: driverCapacity,
      capacity: capacityBlocks,
    });

  /** Requests the virt has put on the driver queue, dequeued (the driver took them). */
  const take = (): BlkReq[] => {
    const out: BlkReq[] = [];
    for (let r = drv.peer.req.dequeue(); r !== null; r = drv.peer.req.dequeue()) out.push(r);
    return out;
  };

  /** Perform one request on the disk (READ fills memory, WRITE stores) and answer it. */
  const answer = (r: BlkReq, status: BlkRespStatus = BlkRespStatus.OK): void => {
    if (
      status === BlkRespStatus.OK &&
      (r.code === BlkReqCode.READ || r.code === BlkReqCode.WRITE)
    ) {
      const { r: region, off } = at(r.ioOrOffset, r.count * B);
      const mem = new Uint8Array(region.buffer!, off, r.count * B);
      if (r.code === BlkReqCode.READ) mem.set(disk.read(r.blockNumber * 8n, r.count * 8));
      else disk.write(r.blockNumber * 8n, mem);
    }
    const ok = drv.peer.resp.enqueue({
      status,
      successCount: status === BlkRespStatus.OK ? r.count : 0,
      id: r.id,
    });
    if (!ok) throw new Error('the driver response queue is full');
  };

  /** The driver takes every request and answers each OK. */
  const serve = (): BlkReq[] => {
    const reqs = take();
    for (const r of reqs) answer(r);
    return reqs;
  };

  const responses = (c: number): BlkResp[] => {
    const out: BlkResp[] = [];
    const q = clients[c]!.peer.resp;
    for (let r = q.dequeue(); r !== null; r = q.dequeue()) out.push(r);
    return out;
  };

  /** A fresh virt, booted: driver ready, init, the partition reads served until it is ready. */
  const boot = (options?: BlkVirtOptions) => {
    driverReady();
    const x = instance(options);
    x.v.init();
    for (let i = 0; i < 4 && !x.v.initialised(); i++) {
      serve();
      x.v.notified(DRIVER);
    }
    for (const c of clients) c.peer.resp.dequeue(); // nothing: the virt answered no one yet
    x.rec.notified.length = 0;
    return x;
  };

  return {
    l,
    disk,
    config,
    drv,
    drvData,
    clients,
    meta,
    instance,
    driverReady,
    take,
    answer,
    serve,
    responses,
    boot,
    client: (c: number) => clients[c]!.peer,
    data: (c: number) => new Uint8Array(clients[c]!.data.buffer!),
  };
}

export type VirtRig = ReturnType<typeof virtRig>;

export function read(blockNumber: bigint, count: number, id: number, ioOrOffset = 0n): BlkReq {
  return { code: BlkReqCode.READ, ioOrOffset, blockNumber, count, id };
}

export function write(blockNumber: bigint, count: number, id: number, ioOrOffset = 0n): BlkReq {
  return { code: BlkReqCode.WRITE, ioOrOffset, blockNumber, count, id };
}
