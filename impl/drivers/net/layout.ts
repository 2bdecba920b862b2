// Where the virtio-net driver puts things in its hw ring region (sdfgen "hw_ring_buffer", 64 KiB):
// the Rx then Tx split virtqueues laid out as upstream eth_setup does (desc, avail aligned 2, used
// aligned 4, Tx desc aligned 16; drivers/network/virtio/common/ethernet.c at 650ace5d), then the
// Tx and Rx virtio-net header slots, then the driver's persistent metadata (used heads and the two
// index allocators), which a restarted driver reads back. Pure arithmetic, shared by the driver and
// the run's monitors.

import { assert } from '../../../spec/common/assert.ts';
import { Ialloc, iallocWords } from './ialloc.ts';

/** `RX_COUNT_MAX` / `TX_COUNT_MAX`: the driver never uses more descriptors than this per queue. */
export const VIRTIO_NET_MAX_QUEUE_NUM = 512;
/** "SDNV": the metadata block is present (a restarted driver finds it). */
export const DRIVER_META_MAGIC = 0x56_4e_44_53;

export interface VirtqLayout {
  readonly num: number;
  readonly descOff: number;
  readonly availOff: number;
  readonly usedOff: number;
  /** Offset of header slot 0 of this queue. */
  readonly hdrOff: number;
}

export type HeaderSlots = 'per-descriptor' | 'U11';

export interface DriverLayout {
  readonly rx: VirtqLayout;
  readonly tx: VirtqLayout;
  /** Bytes per header slot: the header length in use. */
  readonly hdrStride: number;
  /** Metadata: u32 words from `metaOff`. */
  readonly metaOff: number;
  readonly endOff: number;
}

/** Metadata word indices (u32) from `metaOff`. */
export const Meta = {
  magic: 0,
  num: 1,
  rxUsedHead: 2,
  txUsedHead: 3,
  /** First word of the Rx ialloc, then the Tx ialloc right after it. */
  ialloc: 4,
} as const;

function align(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/**
 * The layout for queues of `num` descriptors and headers of `hdrBytes`. `U11` reproduces upstream:
 * each queue's header area holds `num/2` slots while slots are indexed by descriptor index (up to
 * `num-1`), so Tx headers ≥ num/2 land in the Rx header area (bug catalogue U11). The default gives
 * every descriptor index its own slot.
 */
export function driverLayout(options: {
  num: number;
  hdrBytes: number;
  headerSlots: HeaderSlots;
  regionBytes: number;
}): DriverLayout | null {
  const { num, hdrBytes, headerSlots, regionBytes } = options;
  assert(num > 0 && (num & (num - 1)) === 0, () => `queue size ${num} is a power of two`);
  const rxDesc = 0;
  const rxAvail = align(rxDesc + 16 * num, 2);
  const rxUsed = align(rxAvail + 6 + 2 * num, 4);
  const txDesc = align(rxUsed + 6 + 8 * num, 16);
  const txAvail = align(txDesc + 16 * num, 2);
  const txUsed = align(txAvail + 6 + 2 * num, 4);
  const virtqEnd = txUsed + 6 + 8 * num;
  const slots = headerSlots === 'U11' ? num / 2 : num;
  // Upstream puts the Tx headers right after the virtqueues and the Rx headers after them.
  const txHdr = headerSlots === 'U11' ? virtqEnd : align(virtqEnd, 16);
  const rxHdr = txHdr + slots * hdrBytes;
  // Room for every slot index a descriptor can have, even where U11 under-sizes the area.
  const hdrEnd = rxHdr + num * hdrBytes;
  const metaOff = align(hdrEnd, 8);
  const endOff = metaOff + 4 * (Meta.ialloc + 2 * iallocWords(num));
  if (endOff > regionBytes) return null;
  return {
    rx: { num, descOff: rxDesc, availOff: rxAvail, usedOff: rxUsed, hdrOff: rxHdr },
    tx: { num, descOff: txDesc, availOff: txAvail, usedOff: txUsed, hdrOff: txHdr },
    hdrStride: hdrBytes,
    metaOff,
    endOff,
  };
}

/** Header lengths a driver may have used (12 with VERSION_1, 10 without). */
const HEADER_LENGTHS = [12, 10];

/** The metadata block a driver left in its hw ring region, if there is a consistent one. */
export function findDriverMetadata(options: {
  ringU32: Uint32Array;
  regionBytes: number;
  headerSlots: HeaderSlots;
}): { metaWord: number; layout: DriverLayout; num: number } | null {
  for (const hdrBytes of HEADER_LENGTHS) {
    for (let num = VIRTIO_NET_MAX_QUEUE_NUM; num >= 2; num >>= 1) {
      const layout = driverLayout({
        num,
        hdrBytes,
        headerSlots: options.headerSlots,
        regionBytes: options.regionBytes,
      });
      if (layout === null) continue;
      const metaWord = layout.metaOff >> 2;
      if (
        options.ringU32[metaWord + Meta.magic] === DRIVER_META_MAGIC &&
        options.ringU32[metaWord + Meta.num] === num
      ) {
        return { metaWord, layout, num };
      }
    }
  }
  return null;
}

/**
 * The buffers of chains the driver has made available and not yet collected: each allocated
 * header descriptor (it has NEXT) points at its buffer descriptor. `null` for a queue whose
 * allocator is inconsistent. Read by a restarted driver and by the run's monitors.
 */
export function inflightBuffers(options: {
  ring: DataView;
  ringU32: Uint32Array;
  meta: { metaWord: number; layout: DriverLayout; num: number };
}): { rx: bigint[] | null; tx: bigint[] | null } {
  const { ring, ringU32, meta } = options;
  const { metaWord, layout, num } = meta;
  const one = (l: VirtqLayout, at: number): bigint[] | null => {
    const w = ringU32.subarray(at, at + iallocWords(num));
    const ia = new Ialloc(w);
    if (!ia.consistent(num)) return null;
    const out: bigint[] = [];
    for (let hdr = 0; hdr < num; hdr++) {
      if (!ia.inUse(hdr)) continue;
      const flags = ring.getUint16(l.descOff + 16 * hdr + 12, true);
      if ((flags & 1) === 0) continue; // DescFlag.Next: a buffer descriptor, found via its header
      const next = ring.getUint16(l.descOff + 16 * hdr + 14, true);
      if (next >= num || !ia.inUse(next)) return null;
      out.push(ring.getBigUint64(l.descOff + 16 * next, true));
    }
    return out;
  };
  return {
    rx: one(layout.rx, metaWord + Meta.ialloc),
    tx: one(layout.tx, metaWord + Meta.ialloc + iallocWords(num)),
  };
}
