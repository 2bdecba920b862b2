// virtio-blk (device id 2) over virtio-mmio (reference sddf-protocols.md §5.1 [spec]
// "virtio-blk"; virtio 1.2 §5.2). A request is a chain: 16-byte header {le32 type; le32 reserved;
// le64 sector} (device-readable) → data (readable for OUT, writable for IN/GET_ID) → 1-byte status
// (the last writable byte). used.len is the size of all device-writable buffers, as QEMU reports
// it (req->in_len), whatever was transferred: the status byte is always inside it. Optional seeded
// out-of-order completion among the requests the device holds.

import { assert } from '../../../spec/common/assert.ts';
import type { BlockBackend } from '../block_backend.ts';
import { SeededRng } from '../rng.ts';
import { DeviceId, Feature, Rule } from './constants.ts';
import {
  VirtioMmioDevice,
  type ConfigField,
  type InFlight,
  type VirtioDeviceOptions,
} from './mmio.ts';
import {
  malformed,
  readSegments,
  writeSegments,
  writeSegmentsAt,
  type Chain,
} from './virtqueue.ts';

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
  /** Seed for out-of-order completion of held requests; absent = strictly in avail order. */
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

const BLK_DEFAULT_FEATURES =
  Feature.Version1 |
  Feature.BlkFlush |
  Feature.BlkBlkSize |
  Feature.RingEventIdx |
  Feature.RingIndirectDesc;

interface Request {
  readonly type: number;
  readonly sector: bigint;
  readonly outData: Uint8Array;
  /** Writable bytes before the status byte. */
  readonly inBytes: number;
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
      deviceFeatures: BLK_DEFAULT_FEATURES | (readOnly ? Feature.BlkRo : 0n),
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

  protected configFields(): readonly ConfigField[] {
    // struct virtio_blk_config { le64 capacity; le32 size_max; le32 seg_max;
    //   { le16 cylinders; u8 heads; u8 sectors } geometry; le32 blk_size; ... }: the fields of
    // the features this device offers (size_max, seg_max and geometry are not offered: their
    // bytes are holes, §2.5.1). §4.2.2.2: 64-bit fields are read as two 32-bit halves.
    return [
      { name: 'capacity (low)', offset: 0, sizeBytes: 4, widths: [4] },
      { name: 'capacity (high)', offset: 4, sizeBytes: 4, widths: [4] },
      { name: 'blk_size', offset: 20, sizeBytes: 4, widths: [4], feature: Feature.BlkBlkSize },
    ];
  }

  protected configBytes(): Uint8Array {
    const cfg = new Uint8Array(24);
    const v = new DataView(cfg.buffer);
    v.setBigUint64(0, this.capacitySectors, true);
    v.setUint32(20, SECTOR_BYTES, true);
    return cfg;
  }

  protected onReset(): void {
    this.completionOrder.length = 0;
  }

  protected pollsQueue(index: number): boolean {
    return index === BLK_REQUEST_QUEUE;
  }

  /** §2.6: buffers may be used in any order; held requests may complete in any order. */
  protected override pickNext(_index: number, held: number): number {
    return this.#rng === null ? 0 : this.#rng.below(held);
  }

  protected override onUsed(_index: number, work: InFlight): void {
    for (const chain of work.chains) this.completionOrder.push(chain.head);
  }

  protected startRequest(_index: number, chain: Chain): InFlight | null {
    if (chain.readableBytes < BLK_HDR_BYTES || chain.writableBytes < 1) {
      // QEMU: "virtio-blk missing headers" / "request outhdr too short" (virtio_error).
      this.fail(
        malformed(
          'blk-request-shape',
          Rule.blkOperation,
          `queue ${BLK_REQUEST_QUEUE} avail[${chain.availIndex}] head ${chain.head}`,
          `a block request needs a ${BLK_HDR_BYTES} B header and a status byte`,
        ),
      );
      return null;
    }
    return { chains: [chain], finish: () => this.#execute(chain) };
  }

  /** Run one request; used.len = every writable byte (QEMU's in_len), or null on failure. */
  #execute(chain: Chain): number[] | null {
    const readable = readSegments(this.dma, chain.readable);
    if (!(readable instanceof Uint8Array)) {
      this.fail(readable);
      return null;
    }
    const v = new DataView(readable.buffer, readable.byteOffset, readable.byteLength);
    const req: Request = {
      type: v.getUint32(0, true),
      sector: v.getBigUint64(8, true),
      outData: readable.subarray(BLK_HDR_BYTES),
      inBytes: chain.writableBytes - 1,
    };
    this.#checkRequest(chain, req); // records only in strict mode (driverIssue)
    const result = this.#perform(req);
    // The status byte is the last writable byte (§5.2.6); data (if any) fills the bytes before it.
    const written = writeSegments(this.dma, chain.writable, result.data);
    if (typeof written !== 'number') {
      this.fail(written);
      return null;
    }
    const status = writeSegmentsAt(this.dma, chain.writable, {
      offsetBytes: req.inBytes,
      data: Uint8Array.of(result.status),
    });
    if (typeof status !== 'number') {
      this.fail(status);
      return null;
    }
    assert(written === result.data.length && status === 1, 'data and status written whole');
    return [chain.writableBytes];
  }

  /** §5.2.6.1: what the driver must do; the device then answers as QEMU does. */
  #checkRequest(chain: Chain, req: Request): void {
    const where = `queue ${BLK_REQUEST_QUEUE} avail[${chain.availIndex}] head ${chain.head} type ${req.type}`;
    const issue = (code: string, rule: string, message: string): void =>
      this.driverIssue({ code, rule, where, message });
    const direction = 'virtio-1.2 §5.2.6 (struct virtio_blk_req), §2.7.5.1';
    switch (req.type) {
      case BlkType.In:
      case BlkType.Out: {
        const isIn = req.type === BlkType.In;
        const dataBytes = isIn ? req.inBytes : req.outData.length;
        if (isIn && req.outData.length > 0) {
          issue(
            'blk-data-direction',
            direction,
            `IN request with ${req.outData.length} B of device-readable data (the data buffer lacks WRITE)`,
          );
        }
        if (!isIn && req.inBytes > 0) {
          issue(
            'blk-data-direction',
            direction,
            `OUT request with ${req.inBytes} B of device-writable data (the data buffer has WRITE)`,
          );
        }
        if (dataBytes % SECTOR_BYTES !== 0) {
          issue(
            'blk-data-length',
            Rule.blkOperation,
            `data of ${dataBytes} B is not a multiple of 512`,
          );
        } else if (req.sector + BigInt(dataBytes / SECTOR_BYTES) > this.capacitySectors) {
          issue(
            'blk-beyond-capacity',
            Rule.blkOperation,
            `sectors [${req.sector}, +${dataBytes / SECTOR_BYTES}) reach beyond capacity ${this.capacitySectors}`,
          );
        }
        return;
      }
      case BlkType.Flush:
        if (!this.negotiated(Feature.BlkFlush)) {
          issue(
            'blk-flush-not-negotiated',
            'virtio-1.2 §5.2.3 (VIRTIO_BLK_F_FLUSH), §2.2',
            'FLUSH sent although VIRTIO_BLK_F_FLUSH was not negotiated',
          );
        }
        if (req.sector !== 0n) {
          issue(
            'blk-flush-sector',
            Rule.blkOperation,
            `FLUSH with sector ${req.sector} (must be 0)`,
          );
        }
        return;
      case BlkType.GetId:
        if (req.inBytes !== BLK_ID_BYTES) {
          issue(
            'blk-get-id-length',
            Rule.blkOperation,
            `GET_ID data is ${req.inBytes} B, not ${BLK_ID_BYTES}`,
          );
        }
        return;
      default:
        return;
    }
  }

  #perform(req: Request): { status: BlkStatusCode; data: Uint8Array } {
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
        // §5.2.6.2: a write to a read-only device is IOERR and writes nothing.
        if (range === null || this.#readOnly) return this.#ioErr();
        const err = this.#backend.write(range.offsetBytes, req.outData);
        return err === null ? { status: BlkStatus.Ok, data: none } : this.#ioErr();
      }
      case BlkType.Flush:
        // QEMU serves FLUSH whether or not it was negotiated, and ignores the sector.
        this.stats.flushes++;
        return this.#backend.flush() === null
          ? { status: BlkStatus.Ok, data: none }
          : this.#ioErr();
      case BlkType.GetId:
        this.stats.getIds++;
        // §5.2.6: a NUL-padded string of up to 20 bytes, cut to the buffer given.
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
