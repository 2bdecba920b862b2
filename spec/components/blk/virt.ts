// The block virtualiser's per-request decisions, once (reference sddf-protocols.md §3.9 B2/B3;
// upstream blk/components/virt.c handle_client, partitioning.c get_drv_block_number at au-ts/sddf
// 650ace5d). The implementation (impl/components/blk/virt.ts), its refinement check
// (traces/refinement/blk) and the model (proofs/models/blk-virt.ts) all call these functions.
//
//  - translate: a client request → a driver request (block shifted into the partition, offset
//    turned into an I/O address) or an error status. Every bound is checked with exact integers
//    (bigint), so neither `offset + 4096*count` nor `block + count` can wrap (catalogue U6); the
//    `u6` option is upstream's u64 arithmetic, which wraps.
//  - admit: whether the virt may take one more request from a client. Upstream bounds requests in
//    flight by its allocator (1024) and the driver queue, not by the client's response capacity,
//    and asserts that a response always fits (catalogue U7). Here a request is taken only while
//    in flight + responses waiting + responses queued < the response queue's capacity, so every
//    response has a slot; and responses the client has not made room for wait in the virt
//    (bounded by the same sum) instead of being dropped.
import {
  BLK_TRANSFER_SIZE_BYTES,
  BlkReqCode,
  BlkRespStatus,
  type BlkReq,
  type BlkRespStatus as Status,
} from '../../queue/blk.ts';
import { SECTORS_PER_BLOCK, type Partition } from './partition.ts';

const U64 = 1n << 64n;
const TRANSFER = BigInt(BLK_TRANSFER_SIZE_BYTES);

/** What the virt knows of one client: its partition and its data region. */
export interface BlkVirtClientView {
  readonly partition: Partition;
  readonly dataSizeBytes: bigint;
  /** The data region's I/O address (sdfgen `data.io_addr`). */
  readonly dataIoAddr: bigint;
  /** The data region's vaddr in the virt (for the 4 KiB alignment check). */
  readonly dataVaddr: bigint;
}

export type BlkTranslation =
  | {
      readonly kind: 'forward';
      readonly code: BlkReqCode;
      readonly ioAddr: bigint;
      readonly driverBlock: bigint;
      readonly count: number;
    }
  | { readonly kind: 'reject'; readonly status: Status; readonly reason: string };

export interface TranslateOptions {
  /** Catalogue U6: the bounds are computed in u64 and wrap (upstream HEAD). */
  readonly u6?: boolean;
}

function reject(status: Status, reason: string): BlkTranslation {
  return { kind: 'reject', status, reason };
}

/** handle_client's checks for one request, in upstream's order. */
export function blkVirtTranslate(
  req: BlkReq,
  client: BlkVirtClientView,
  options: TranslateOptions = {},
): BlkTranslation {
  const wrap = (x: bigint): bigint => (options.u6 === true ? x % U64 : x);
  switch (req.code) {
    case BlkReqCode.READ:
    case BlkReqCode.WRITE: {
      const spb = BigInt(SECTORS_PER_BLOCK);
      const start = client.partition.startSector / spb;
      const blocks = client.partition.sectors / spb;
      const count = BigInt(req.count);
      // get_drv_block_number: `block_number < start || block_number + count > start + sectors`.
      const drvBlock = wrap(req.blockNumber + start);
      if (drvBlock < start || wrap(drvBlock + count) > start + blocks) {
        return reject(
          BlkRespStatus.ERR_INVALID_PARAM,
          `blocks [${req.blockNumber}, +${req.count}) outside the partition of ${blocks} blocks`,
        );
      }
      // `cli_offset + BLK_TRANSFER_SIZE * cli_count > data size`.
      if (wrap(req.ioOrOffset + TRANSFER * count) > client.dataSizeBytes) {
        return reject(
          BlkRespStatus.ERR_INVALID_PARAM,
          `offset ${req.ioOrOffset} + ${req.count} blocks outside the ${client.dataSizeBytes}-byte data region`,
        );
      }
      if (req.count === 0) return reject(BlkRespStatus.ERR_INVALID_PARAM, 'zero blocks requested');
      if (wrap(client.dataVaddr + req.ioOrOffset) % TRANSFER !== 0n) {
        return reject(
          BlkRespStatus.ERR_INVALID_PARAM,
          `offset ${req.ioOrOffset} not 4 KiB aligned`,
        );
      }
      return {
        kind: 'forward',
        code: req.code,
        ioAddr: wrap(client.dataIoAddr + req.ioOrOffset),
        driverBlock: drvBlock,
        count: req.count,
      };
    }
    case BlkReqCode.FLUSH:
    case BlkReqCode.BARRIER:
      // Passed through (§3.9: BARRIER/FLUSH ordering is the driver's). io and block carry nothing.
      return { kind: 'forward', code: req.code, ioAddr: 0n, driverBlock: 0n, count: 0 };
    default:
      return reject(BlkRespStatus.ERR_INVALID_PARAM, `unknown request code ${String(req.code)}`);
  }
}

/**
 * Does the forwarded request stay inside what the client owns: blocks inside its partition, bytes
 * inside its data region? The isolation property every check of the virt is judged by.
 */
export function blkForwardProblem(t: BlkTranslation, client: BlkVirtClientView): string | null {
  if (t.kind !== 'forward' || (t.code !== BlkReqCode.READ && t.code !== BlkReqCode.WRITE))
    return null;
  const spb = BigInt(SECTORS_PER_BLOCK);
  const start = client.partition.startSector / spb;
  const end = start + client.partition.sectors / spb;
  const count = BigInt(t.count);
  if (t.driverBlock < start || t.driverBlock + count > end)
    return `driver blocks [${t.driverBlock}, +${t.count}) outside the partition [${start}, ${end})`;
  const ioEnd = client.dataIoAddr + client.dataSizeBytes;
  if (t.ioAddr < client.dataIoAddr || t.ioAddr + TRANSFER * count > ioEnd)
    return `DMA [0x${t.ioAddr.toString(16)}, +${TRANSFER * count}) outside the client's data region`;
  return null;
}

/** The virt's per-client counts the admission rule reads. */
export interface BlkVirtClientLoad {
  /** Forwarded to the driver, not yet answered. */
  readonly inFlight: number;
  /** Answers the virt holds because the response queue had no room. */
  readonly waiting: number;
  /** `tail - head` of the client's response queue as read (untrusted: the client writes head). */
  readonly respLength: number;
  readonly respCapacity: number;
}

/**
 * May the virt dequeue one more request from this client? Each request taken will produce exactly
 * one response; it has a slot only if every earlier one's slot is counted. A response length above
 * the capacity (a client that wrote a wild head) counts as full (catalogue O2/O3's rule).
 */
export function blkVirtAdmit(
  l: BlkVirtClientLoad,
  options: { readonly u7?: boolean } = {},
): boolean {
  if (options.u7 === true) return true; // upstream: bounded elsewhere (ialloc, driver queue)
  const queued = l.respLength > l.respCapacity ? l.respCapacity : l.respLength;
  return l.inFlight + l.waiting + queued < l.respCapacity;
}

/**
 * Documented capacities (catalogue U8). sdfgen sizes the driver queue as Σ client capacities, not
 * necessarily a power of two; here it is rounded up to one, so `index % capacity` stays continuous
 * across the u32 wrap, and the virt's id allocator has exactly that many ids.
 */
export function blkDriverQueueCapacity(clientCapacities: readonly number[]): number {
  const sum = clientCapacities.reduce((s, c) => s + c, 0);
  let p = 1;
  while (p < sum) p *= 2;
  return p;
}
