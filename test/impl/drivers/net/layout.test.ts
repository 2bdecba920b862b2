// The virtio-net driver's hw ring layout (impl/drivers/net/layout.ts): the split virtqueue parts
// with virtio 1.2 §2.7's sizes and alignments (descriptor table 16 × num, 16-aligned; available
// ring 6 + 2 × num, 2-aligned; used ring 6 + 8 × num, 4-aligned), packed in upstream eth_setup's
// order with no more padding than the alignment needs; header slots that do not overlap (U11:
// they do); the metadata a restarted driver finds, and the in-flight buffers it reads back.
import { describe, expect, it } from 'vitest';
import { IALLOC_NONE, Ialloc, iallocWords } from '../../../../impl/drivers/net/ialloc.ts';
import {
  DRIVER_META_MAGIC,
  Meta,
  VIRTIO_NET_MAX_QUEUE_NUM,
  driverLayout,
  findDriverMetadata,
  inflightBuffers,
  type DriverLayout,
} from '../../../../impl/drivers/net/layout.ts';

const NUMS = [2, 4, 8, 16, 32, 64, 128, 256, 512];

describe('driverLayout', () => {
  it('every part sized and aligned as virtio 1.2 §2.7 says, in eth_setup order, tightly packed', () => {
    for (const num of NUMS) {
      for (const hdrBytes of [10, 12]) {
        const l = driverLayout({
          num,
          hdrBytes,
          headerSlots: 'per-descriptor',
          regionBytes: 1 << 20,
        });
        expect(l).not.toBeNull();
        const { rx, tx } = l!;
        expect(rx.num).toBe(num);
        expect(tx.num).toBe(num);
        expect(rx.descOff).toBe(0);
        const gap = (from: number, to: number, align: number): void => {
          expect(to % align).toBe(0);
          expect(to - from).toBeGreaterThanOrEqual(0);
          expect(to - from).toBeLessThan(align);
        };
        for (const q of [rx, tx]) {
          expect(q.descOff % 16).toBe(0);
          gap(q.descOff + 16 * num, q.availOff, 2);
          gap(q.availOff + 6 + 2 * num, q.usedOff, 4);
        }
        gap(rx.usedOff + 6 + 8 * num, tx.descOff, 16);
        const virtqEnd = tx.usedOff + 6 + 8 * num;
        // Tx header slots, then Rx header slots, one per descriptor index.
        gap(virtqEnd, tx.hdrOff, 16);
        expect(rx.hdrOff).toBe(tx.hdrOff + num * hdrBytes);
        expect(l!.hdrStride).toBe(hdrBytes);
        gap(rx.hdrOff + num * hdrBytes, l!.metaOff, 8);
        expect(l!.endOff).toBe(l!.metaOff + 4 * (Meta.ialloc + 2 * iallocWords(num)));
      }
    }
  });

  it('U11: num/2 Tx header slots, unaligned after the rings; Tx slot num/2 is Rx slot 0', () => {
    const l = driverLayout({ num: 256, hdrBytes: 10, headerSlots: 'U11', regionBytes: 0x10000 })!;
    const virtqEnd = l.tx.usedOff + 6 + 8 * 256;
    expect(l.tx.hdrOff).toBe(virtqEnd);
    expect(l.tx.hdrOff + 128 * 10).toBe(l.rx.hdrOff);
    // Room is still left for every Rx slot index the driver may use.
    expect(l.metaOff).toBeGreaterThanOrEqual(l.rx.hdrOff + 256 * 10);
    expect(l.metaOff - (l.rx.hdrOff + 256 * 10)).toBeLessThan(8);
  });

  it('null when the region is too small; exactly the end fits', () => {
    const l = driverLayout({
      num: 64,
      hdrBytes: 12,
      headerSlots: 'per-descriptor',
      regionBytes: 1 << 20,
    })!;
    const at = (regionBytes: number): DriverLayout | null =>
      driverLayout({ num: 64, hdrBytes: 12, headerSlots: 'per-descriptor', regionBytes });
    expect(at(l.endOff)).toEqual(l);
    expect(at(l.endOff - 1)).toBeNull();
  });

  it('refuses a queue size that is not a power of two', () => {
    for (const num of [0, 3, 6, -4])
      expect(() =>
        driverLayout({ num, hdrBytes: 12, headerSlots: 'per-descriptor', regionBytes: 1 << 20 }),
      ).toThrow(/power of two/);
  });
});

/** A ring region with a driver's metadata for queues of `num`, as VirtioNetDriver.setup leaves it. */
function ringWith(num: number, hdrBytes: number, regionBytes = 0x10000) {
  const layout = driverLayout({ num, hdrBytes, headerSlots: 'per-descriptor', regionBytes })!;
  const buf = new ArrayBuffer(regionBytes);
  const ring = new DataView(buf);
  const ringU32 = new Uint32Array(buf);
  const metaWord = layout.metaOff >> 2;
  ringU32[metaWord + Meta.magic] = DRIVER_META_MAGIC;
  ringU32[metaWord + Meta.num] = num;
  const rxAt = metaWord + Meta.ialloc;
  const txAt = rxAt + iallocWords(num);
  const rx = new Ialloc(ringU32.subarray(rxAt, rxAt + iallocWords(num)));
  const tx = new Ialloc(ringU32.subarray(txAt, txAt + iallocWords(num)));
  rx.init(num);
  tx.init(num);
  /** Post a chain header → buffer on `q` as the driver does. */
  const post = (q: 'rx' | 'tx', io: bigint): void => {
    const ia = q === 'rx' ? rx : tx;
    const l = layout[q];
    const hdr = ia.alloc();
    const b = ia.alloc();
    ring.setUint16(l.descOff + 16 * hdr + 12, 1, true); // NEXT
    ring.setUint16(l.descOff + 16 * hdr + 14, b, true);
    ring.setBigUint64(l.descOff + 16 * b, io, true);
  };
  return { layout, ring, ringU32, metaWord, rx, tx, post, regionBytes };
}

describe('findDriverMetadata and inflightBuffers (a restarted driver)', () => {
  it('finds the metadata for each queue size and header length, and nothing in a blank region', () => {
    for (const num of [2, 16, 256, VIRTIO_NET_MAX_QUEUE_NUM]) {
      for (const hdrBytes of [10, 12]) {
        const r = ringWith(num, hdrBytes, 0x20000);
        const found = findDriverMetadata({
          ringU32: r.ringU32,
          regionBytes: r.regionBytes,
          headerSlots: 'per-descriptor',
        });
        expect(found).not.toBeNull();
        expect(found!.num).toBe(num);
        expect(found!.metaWord).toBe(r.metaWord);
        expect(found!.layout.hdrStride).toBe(hdrBytes);
      }
    }
    const blank = new Uint32Array(0x4000);
    expect(
      findDriverMetadata({ ringU32: blank, regionBytes: 0x10000, headerSlots: 'per-descriptor' }),
    ).toBeNull();
  });

  it('the magic and the queue size must both match', () => {
    const r = ringWith(16, 12);
    const find = () =>
      findDriverMetadata({
        ringU32: r.ringU32,
        regionBytes: r.regionBytes,
        headerSlots: 'per-descriptor',
      });
    r.ringU32[r.metaWord + Meta.num] = 32;
    expect(find()).toBeNull();
    r.ringU32[r.metaWord + Meta.num] = 16;
    r.ringU32[r.metaWord + Meta.magic] = DRIVER_META_MAGIC ^ 1;
    expect(find()).toBeNull();
  });

  it('lists the buffer of every posted chain, per queue', () => {
    const r = ringWith(16, 12);
    r.post('rx', 0x5fe0_0000n);
    r.post('rx', 0x5fe0_0800n);
    r.post('tx', 0x1_5fc0_0000n);
    const meta = findDriverMetadata({
      ringU32: r.ringU32,
      regionBytes: r.regionBytes,
      headerSlots: 'per-descriptor',
    })!;
    expect(inflightBuffers({ ring: r.ring, ringU32: r.ringU32, meta })).toEqual({
      rx: [0x5fe0_0000n, 0x5fe0_0800n],
      tx: [0x1_5fc0_0000n],
    });
  });

  it('null for a queue whose allocator is inconsistent or whose chain points at a free index', () => {
    const r = ringWith(16, 12);
    r.post('rx', 0x5fe0_0000n);
    r.post('tx', 0x5fc0_0000n);
    const meta = findDriverMetadata({
      ringU32: r.ringU32,
      regionBytes: r.regionBytes,
      headerSlots: 'per-descriptor',
    })!;
    // Rx: the size word disagrees with the marked entries.
    const rxSize = r.metaWord + Meta.ialloc + 2;
    r.ringU32[rxSize] = 5;
    expect(inflightBuffers({ ring: r.ring, ringU32: r.ringU32, meta })).toEqual({
      rx: null,
      tx: [0x5fc0_0000n],
    });
    r.ringU32[rxSize] = 2;
    // Tx: the header's next names an index that is not allocated, then one beyond the queue.
    const txHdr = r.layout.tx.descOff; // chain header is index 0
    r.ring.setUint16(txHdr + 14, 7, true);
    expect(inflightBuffers({ ring: r.ring, ringU32: r.ringU32, meta }).tx).toBeNull();
    r.ring.setUint16(txHdr + 14, 16, true);
    expect(inflightBuffers({ ring: r.ring, ringU32: r.ringU32, meta }).tx).toBeNull();
    expect(IALLOC_NONE).toBe(0xffff_ffff);
  });
});

describe('restart metadata: small regions and stale descriptors', () => {
  it('a region too small for the larger queue sizes still finds a smaller driver’s metadata', () => {
    const r = ringWith(16, 12, 0x4000);
    const found = findDriverMetadata({
      ringU32: r.ringU32,
      regionBytes: r.regionBytes,
      headerSlots: 'per-descriptor',
    });
    expect(found?.num).toBe(16);
  });

  it('a freed chain whose header still has NEXT set is not in flight', () => {
    const r = ringWith(16, 12);
    r.post('tx', 0x5fc0_0000n);
    // The driver collected it: both indices freed, the descriptors left as they were (upstream
    // does not clear them).
    r.tx.free(0);
    r.tx.free(1);
    r.post('tx', 0x5fc0_0800n);
    const meta = findDriverMetadata({
      ringU32: r.ringU32,
      regionBytes: r.regionBytes,
      headerSlots: 'per-descriptor',
    })!;
    expect(inflightBuffers({ ring: r.ring, ringU32: r.ringU32, meta }).tx).toEqual([0x5fc0_0800n]);
  });
});
