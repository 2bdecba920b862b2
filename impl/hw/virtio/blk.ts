// virtio-blk (device id 2) over virtio-mmio (reference sddf-protocols.md §5.1 [spec]
// "virtio-blk"; virtio 1.x §5.2). A request is a chain: 16-byte header {le32 type; le32 reserved;
// le64 sector} (device-readable) → data (readable for OUT, writable for IN/GET_ID) → 1-byte status
// (writable). Optional seeded out-of-order execution and completion within a notified batch.

import { assert } from '../../../spec/common/assert.ts';
import type { BlockBackend } from '../block_backend.ts';
import { SeededRng } from '../rng.ts';
import { DeviceId, Feature } from './constants.ts';
import { VirtioMmioDevice, type VirtioDeviceOptions } from './mmio.ts';
import { readSegments, writeSegments, writeSegmentsAt, type Chain } from './virtqueue.ts';

export const BLK_REQUEST_QUEUE = 0;
export const SECTOR_BYTES = 512;
export const BLK_HDR_BYTES = 16;
/** VIRTIO_BLK_ID_BYTES: GET_ID returns a 20-byte serial string. */
export const BLK_ID_BYTES = 20;

export const BlkType = { In: 0, Out: 1, Flush: 4, GetId: 8 } as const;
export const BlkStatus = { Ok: 0, IoErr: 1, Unsupp: 2 } as const;
export type BlkStatusCode = (typeof BlkStatus)[keyof typeof BlkStatus];

export interface VirtioBlkOptions extends VirtioDeviceOptions {
  readonly backend: BlockBackend;
  /** GET_ID answer (ASCII, at most 20 bytes; shorter is NUL-padded). */
  readonly serial?: string;
  readonly readOnly?: boolean;
  /** Seed for out-of-order execution and completion; absent = strictly in avail order. */
  readonly outOfOrderSeed?: number;
}

export interface BlkStats {
  reads: number;
  writes: number;
  flushes: number;
  getIds: number;
  ioErrors: number;
  unsupported: number;
}

export class VirtioBlk extends VirtioMmioDevice {
  readonly stats: BlkStats = {
    reads: 0,
    writes: 0,
    flushes: 0,
    getIds: 0,
    ioErrors: 0,
    unsupported: 0,
  };
  readonly #backend: BlockBackend;
  readonly #serial: Uint8Array;
  readonly #readOnly: boolean;
  readonly #rng: SeededRng | null;
  /** Heads in the order they were completed, most recent last (tests read it for reordering). */
  readonly completionOrder: number[] = [];

  constructor(options: VirtioBlkOptions) {
    const readOnly = options.readOnly ?? false;
    super(options, {
      deviceId: DeviceId.Block,
      deviceFeatures:
        Feature.Version1 | Feature.BlkFlush | Feature.BlkBlkSize | (readOnly ? Feature.BlkRo : 0n),
      numQueues: 1,
    });
    assert(options.backend.sizeBytes % SECTOR_BYTES === 0, 'backend is whole sectors');
    const serial = new TextEncoder().encode(options.serial ?? 'sddf-model-blk');
    assert(serial.length <= BLK_ID_BYTES, `serial is at most ${BLK_ID_BYTES} bytes`);
    this.#serial = new Uint8Array(BLK_ID_BYTES);
    this.#serial.set(serial);
    this.#backend = options.backend;
    this.#readOnly = readOnly;
    this.#rng = options.outOfOrderSeed === undefined ? null : new SeededRng(options.outOfOrderSeed);
  }

  get capacitySectors(): bigint {
    return BigInt(this.#backend.sizeBytes / SECTOR_BYTES);
  }

  protected configBytes(): Uint8Array {
    // struct virtio_blk_config { le64 capacity; le32 size_max; le32 seg_max;
    //   { le16 cylinders; u8 heads; u8 sectors } geometry; le32 blk_size; ... }
    const cfg = new Uint8Array(24);
    const v = new DataView(cfg.buffer);
    v.setBigUint64(0, this.capacitySectors, true);
    v.setUint32(20, SECTOR_BYTES, true);
    return cfg;
  }

  protected onReset(): void {
    this.completionOrder.length = 0;
  }

  protected processQueue(index: number): void {
    assert(index === BLK_REQUEST_QUEUE, `virtio-blk has one queue, got ${index}`);
    const q = this.queueState(index);
    const pending = q.pendingCount(this.dma);
    if (typeof pending !== 'number') return this.fail(pending);
    const batch: Chain[] = [];
    for (let i = 0; i < pending; i++) {
      const chain = q.popChain(this.dma);
      if (chain.kind !== 'chain') return this.fail(chain);
      batch.push(chain);
    }
    // §2.7: buffers may be used in any order; requests in flight together may run in any order.
    this.#rng?.shuffle(batch);
    for (const chain of batch) {
      const usedBytes = this.#execute(chain);
      if (usedBytes === null) return;
      if (!this.pushUsed(index, { head: chain.head, lenBytes: usedBytes })) return;
      this.completionOrder.push(chain.head);
    }
    if (batch.length > 0) this.raiseUsedBuffer(index);
  }

  /** Run one request; returns used.len (bytes written to writable descriptors) or null on failure. */
  #execute(chain: Chain): number | null {
    if (chain.readableBytes < BLK_HDR_BYTES || chain.writableBytes < 1) {
      this.fail(`block request ${chain.head}: needs a ${BLK_HDR_BYTES} B header and a status byte`);
      return null;
    }
    const readable = readSegments(this.dma, chain.readable);
    if (!(readable instanceof Uint8Array)) {
      this.fail(readable);
      return null;
    }
    const v = new DataView(readable.buffer, readable.byteOffset, readable.byteLength);
    const type = v.getUint32(0, true);
    const sector = v.getBigUint64(8, true);
    const outData = readable.subarray(BLK_HDR_BYTES);
    const inBytes = chain.writableBytes - 1;
    const result = this.#perform({ type, sector, outData, inBytes });
    // The status byte is the last writable byte (§5.2.6); data (if any) fills the bytes before it.
    const written = writeSegments(this.dma, chain.writable, result.data);
    if (typeof written !== 'number') {
      this.fail(written);
      return null;
    }
    const status = writeSegmentsAt(this.dma, chain.writable, {
      offsetBytes: inBytes,
      data: Uint8Array.of(result.status),
    });
    if (typeof status !== 'number') {
      this.fail(status);
      return null;
    }
    assert(written === result.data.length && status === 1, 'data and status written whole');
    return result.data.length + 1;
  }

  #perform(req: { type: number; sector: bigint; outData: Uint8Array; inBytes: number }): {
    status: BlkStatusCode;
    data: Uint8Array;
  } {
    const none = new Uint8Array(0);
    switch (req.type) {
      case BlkType.In: {
        this.stats.reads++;
        const range = this.#range(req.sector, req.inBytes);
        if (range === null) return this.#ioErr();
        const data = this.#backend.read(range.offsetBytes, req.inBytes);
        return data instanceof Uint8Array ? { status: BlkStatus.Ok, data } : this.#ioErr();
      }
      case BlkType.Out: {
        this.stats.writes++;
        const range = this.#range(req.sector, req.outData.length);
        if (range === null || this.#readOnly) return this.#ioErr();
        const err = this.#backend.write(range.offsetBytes, req.outData);
        return err === null ? { status: BlkStatus.Ok, data: none } : this.#ioErr();
      }
      case BlkType.Flush:
        this.stats.flushes++;
        return this.#backend.flush() === null
          ? { status: BlkStatus.Ok, data: none }
          : this.#ioErr();
      case BlkType.GetId:
        this.stats.getIds++;
        return {
          status: BlkStatus.Ok,
          data: this.#serial.slice(0, Math.min(BLK_ID_BYTES, req.inBytes)),
        };
      default:
        this.stats.unsupported++;
        return { status: BlkStatus.Unsupp, data: none };
    }
  }

  #ioErr(): { status: BlkStatusCode; data: Uint8Array } {
    this.stats.ioErrors++;
    return { status: BlkStatus.IoErr, data: new Uint8Array(0) };
  }

  /** Byte offset of `sector`, or null when the transfer is not whole sectors inside capacity. */
  #range(sector: bigint, lengthBytes: number): { offsetBytes: number } | null {
    if (lengthBytes % SECTOR_BYTES !== 0) return null;
    const endSector = sector + BigInt(lengthBytes / SECTOR_BYTES);
    // bigint arithmetic: a huge sector cannot wrap around into range (u64 in the header).
    if (endSector > this.capacitySectors) return null;
    return { offsetBytes: Number(sector) * SECTOR_BYTES };
  }
}
