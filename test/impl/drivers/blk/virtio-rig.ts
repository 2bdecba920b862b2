// The virtio-blk driver's test rig: the emulated device (impl/hw/virtio/blk.ts) over a memory
// disk, behind an IOMMU over the virtqueue, header and data regions; the driver's address space and
// recording MicrokitApi (the net fixture's); and the virt's side of the driver connection (the blk
// fixture's). The device serves only when the test calls `service()` (processOnNotify false), so a
// test can hold requests in the device and look at the driver in between.
import {
  VirtioBlkDriver,
  type VirtioBlkDriverOptions,
} from '../../../../impl/drivers/blk/virtio.ts';
import type { BlkDriverConfig } from '../../../../impl/components/blk/config.ts';
import { Iommu } from '../../../../impl/mem/iommu.ts';
import type { DmaPort } from '../../../../impl/mem/types.ts';
import { VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { MemoryBlockBackend, type BlockBackend } from '../../../../impl/hw/block_backend.ts';
import {
  BLK_TRANSFER_SIZE_BYTES,
  BlkReqCode,
  type BlkReq,
  type BlkResp,
} from '../../../../spec/queue/blk.ts';
import { Layout, dev, recordingApi, res } from '../../components/net/fixture.ts';
import { connection } from '../../components/blk/fixture.ts';

export const IRQ = 3;
export const VIRT = 1;
export const RING_IO = 0x5000_0000n;
export const HDR_IO = 0x5100_0000n;
export const DATA_IO = 0x5200_0000n;
export const DATA_BLOCKS = 16;
const B = BLK_TRANSFER_SIZE_BYTES;

export interface BlkRigOptions {
  readonly capacity?: number;
  readonly queueNumMax?: number;
  readonly diskBytes?: number;
  readonly headersBytes?: number;
  readonly readOnly?: boolean;
  readonly backend?: BlockBackend;
  readonly driver?: VirtioBlkDriverOptions;
  /** Rewrites what the device DMA-writes (a device that answers other than the emulation). */
  readonly onDeviceWrite?: (io: bigint, data: Uint8Array) => Uint8Array;
}

export function blkRig(o: BlkRigOptions = {}) {
  const capacity = o.capacity ?? 8;
  const backend = o.backend ?? new MemoryBlockBackend({ sizeBytes: o.diskBytes ?? 1024 * 1024 });
  const ring = new SharedArrayBuffer(0x10000);
  const headers = new SharedArrayBuffer(Math.max(o.headersBytes ?? 0x1000, 0x1000));
  const data = new SharedArrayBuffer(DATA_BLOCKS * B);
  const late: { port?: DmaPort } = {};
  const line = { level: false };
  const device = new VirtioBlk({
    name: 'blk',
    backend,
    readOnly: o.readOnly ?? false,
    queueNumMax: o.queueNumMax ?? 64,
    processOnNotify: false,
    dma: {
      read: (a, l) => late.port!.read(a, l),
      write: (a, d) => late.port!.write(a, o.onDeviceWrite?.(a, d) ?? d),
    },
    onIrqLevel: (up) => (line.level = up),
  });
  const regions = new Map(
    (
      [
        ['ring', RING_IO, ring],
        ['headers', HDR_IO, headers],
        ['data', DATA_IO, data],
      ] as const
    ).map(([name, physAddr, buffer]) => [
      name,
      { name, physAddr, sizeBytes: buffer.byteLength, physFixed: true, buffer, mmio: null },
    ]),
  );
  const { iommu } = Iommu.build(regions, [
    { device: 'blk', ioMaps: [{ mr: 'ring' }, { mr: 'headers' }, { mr: 'data' }] },
  ]);
  late.port = iommu.portFor('blk');

  const l = new Layout();
  const regsR = l.add('regs', 0x1000, { mmio: device });
  const ringR = l.add('ring', 0x10000, { ioAddr: RING_IO, buffer: ring });
  const hdrR = l.add('headers', headers.byteLength, { ioAddr: HDR_IO, buffer: headers });
  const virt = connection(l, 'virt', capacity, VIRT);
  const config: BlkDriverConfig = {
    regs: res(regsR),
    headers: { ...dev(hdrR), sizeBytes: o.headersBytes ?? hdrR.sizeBytes },
    metadata: dev(ringR),
    irqId: IRQ,
    virt: virt.conn,
  };
  const space = l.space('blk_driver');
  const instance = (driver: VirtioBlkDriverOptions = o.driver ?? {}) => {
    const r = recordingApi('blk_driver', space);
    return { d: new VirtioBlkDriver(r.api, config, driver), ...r };
  };
  /** The virt's side: submit requests, collect answers. */
  const submit = (...rs: BlkReq[]): void => {
    for (const r of rs) if (!virt.peer.req.enqueue(r)) throw new Error('driver queue full');
  };
  const responses = (): BlkResp[] => {
    const out: BlkResp[] = [];
    for (let r = virt.peer.resp.dequeue(); r !== null; r = virt.peer.resp.dequeue()) out.push(r);
    return out;
  };
  return {
    device,
    backend,
    line,
    config,
    virt,
    instance,
    submit,
    responses,
    data: new Uint8Array(data),
    headers: new Uint8Array(headers),
    space,
    l,
  };
}

export type BlkRig = ReturnType<typeof blkRig>;

export const rd = (block: number, count: number, id: number, slot = 0): BlkReq => ({
  code: BlkReqCode.READ,
  ioOrOffset: DATA_IO + BigInt(slot * B),
  blockNumber: BigInt(block),
  count,
  id,
});
export const wr = (block: number, count: number, id: number, slot = 0): BlkReq => ({
  ...rd(block, count, id, slot),
  code: BlkReqCode.WRITE,
});
export const flush = (id: number): BlkReq => ({
  code: BlkReqCode.FLUSH,
  ioOrOffset: 0n,
  blockNumber: 0n,
  count: 0,
  id,
});
export const barrier = (id: number): BlkReq => ({ ...flush(id), code: BlkReqCode.BARRIER });
