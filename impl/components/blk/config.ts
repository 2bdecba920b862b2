// Configuration of the block components, shaped like the structs microkit_sdf_gen serialises
// (sDDF include/sddf/blk/config.h at 650ace5d: blk_connection_resource_t, blk_virt_config_t,
// blk_driver_config_t, blk_client_config_t). Plain data; impl/systems/blk derives it from the
// system description. Also `blk_storage_info_t` (include/sddf/blk/storage_info.h) over a PD's map.

import { assert } from '../../../spec/common/assert.ts';
import {
  createBlkQueueHandle,
  blkReqQueueSizeBytes,
  blkRespQueueSizeBytes,
  type BlkQueueHandle,
} from '../../queue/blk.ts';
import type { MicrokitApi } from '../../runtime/api.ts';
import type { DeviceRegion, RegionResource } from '../net/config.ts';

export type { DeviceRegion, RegionResource };

/** `blk_connection_resource_t`: storage info, request and response queue, channel. */
export interface BlkConnection {
  readonly storageInfo: RegionResource;
  readonly req: RegionResource;
  readonly resp: RegionResource;
  /** Capacity of both queues (a power of two: U8, spec/components/blk/virt.ts). */
  readonly capacity: number;
  /** Channel id at this end. */
  readonly id: number;
}

/** `blk_virt_config_client_t`. */
export interface BlkVirtClient {
  readonly conn: BlkConnection;
  readonly data: DeviceRegion;
  /** Index of the client's partition in the MBR or GPT (sdfgen `partition`). */
  readonly partition: number;
}

/** `blk_virt_config_t` + the virt's metadata region (our addition: state that survives restart). */
export interface BlkVirtConfig {
  readonly driver: { readonly conn: BlkConnection; readonly data: DeviceRegion };
  readonly clients: readonly BlkVirtClient[];
  /**
   * The virt's bookkeeping (request table, partitions, init state), kept across a restart; absent
   * (sDDF's own systems), it is private and a restarted virt starts afresh.
   */
  readonly metadata?: RegionResource;
}

/** `blk_driver_config_t` + the virtio-blk driver's regions (its .system setvars). */
export interface BlkDriverConfig {
  readonly regs: RegionResource;
  /** virtio request headers and status bytes (`virtio_headers_paddr`). */
  readonly headers: DeviceRegion;
  /** The virtqueue (`requests_paddr`). */
  readonly metadata: DeviceRegion;
  readonly irqId: number;
  readonly virt: BlkConnection;
}

/** `blk_client_config_t`. */
export interface BlkClientConfig {
  readonly conn: BlkConnection;
  readonly data: RegionResource;
}

/** The queue handle of a connection, over this PD's `rw` maps of the two queue MRs. */
export function openBlkConnection(api: MicrokitApi, conn: BlkConnection): BlkQueueHandle {
  const reqBytes = blkReqQueueSizeBytes(conn.capacity);
  const respBytes = blkRespQueueSizeBytes(conn.capacity);
  assert(
    conn.req.sizeBytes >= reqBytes && conn.resp.sizeBytes >= respBytes,
    () =>
      `blk queue MRs of ${conn.req.sizeBytes}/${conn.resp.sizeBytes} bytes hold ${conn.capacity} entries`,
  );
  const req = api.mem.sharedWindow(conn.req.vaddr, reqBytes, 8);
  const resp = api.mem.sharedWindow(conn.resp.vaddr, respBytes, 8);
  return createBlkQueueHandle({
    req: { buffer: req.buffer, byteOffset: req.byteOffset },
    resp: { buffer: resp.buffer, byteOffset: resp.byteOffset },
    capacity: conn.capacity,
  });
}

/** `blk_storage_info_t` field offsets (LP64: capacity u64 at 80). */
const SI = {
  readOnly: 64,
  ready: 65,
  sectorSize: 66,
  blockSize: 68,
  queueDepth: 70,
  capacity: 80,
} as const;

export interface BlkStorageInfo {
  readonly readOnly: boolean;
  readonly ready: boolean;
  readonly sectorSize: number;
  readonly blockSize: number;
  readonly queueDepth: number;
  /** In BLK_TRANSFER_SIZE units. */
  readonly capacity: bigint;
}

/** Read a storage info page through this PD's map (the client maps it read-only). */
export function readStorageInfo(api: MicrokitApi, r: RegionResource): BlkStorageInfo {
  const m = api.mem;
  return {
    readOnly: m.read8(r.vaddr + SI.readOnly) !== 0,
    ready: m.read8(r.vaddr + SI.ready) !== 0,
    sectorSize: m.read16(r.vaddr + SI.sectorSize),
    blockSize: m.read16(r.vaddr + SI.blockSize),
    queueDepth: m.read16(r.vaddr + SI.queueDepth),
    capacity: m.read64(r.vaddr + SI.capacity),
  };
}

/**
 * Fill the page and then publish `ready` last (blk_storage_set_ready: a release store; here the
 * single-threaded runtime orders the stores, and `ready` is written after every other field).
 */
export function writeStorageInfo(
  api: MicrokitApi,
  r: RegionResource,
  info: Omit<BlkStorageInfo, 'ready'>,
): void {
  const m = api.mem;
  m.write8(r.vaddr + SI.readOnly, info.readOnly ? 1 : 0);
  m.write16(r.vaddr + SI.sectorSize, info.sectorSize);
  m.write16(r.vaddr + SI.blockSize, info.blockSize);
  m.write16(r.vaddr + SI.queueDepth, info.queueDepth);
  m.write64(r.vaddr + SI.capacity, info.capacity);
  m.write8(r.vaddr + SI.ready, 1);
}
