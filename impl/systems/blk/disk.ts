// Disk images for the block system: an MBR with primary partitions, or a protective MBR and a GPT
// (primary header + entry array at LBA 1–33, mirror array + header at the end of the disk, CRC32
// over both: UEFI 2.10 §5.3). The layouts are spec/components/blk/partition.ts's; this writes them.

import { writeFileSync } from 'node:fs';
import { assert } from '../../../spec/common/assert.ts';
import {
  GPT_HEADER_CRC_BYTES,
  MBR_PARTITION_TYPE_GPT,
  SECTOR_BYTES,
  crc32,
} from '../../../spec/components/blk/partition.ts';

export interface ImagePartition {
  readonly startSector: number;
  readonly sectors: number;
  /** MBR type byte (default 0x83, Linux). */
  readonly type?: number;
}

/** Two partitions of the same size after a 1 MiB gap, as fdisk lays them out. */
export function defaultPartitions(sizeBytes: number): ImagePartition[] {
  const total = sizeBytes / SECTOR_BYTES;
  const start = 2048;
  const each = Math.floor((total - start - 64) / 2 / 8) * 8;
  assert(each >= 8, 'the disk holds two partitions of at least one block');
  return [
    { startSector: start, sectors: each },
    { startSector: start + each, sectors: each },
  ];
}

function mbrEntry(v: DataView, i: number, p: ImagePartition): void {
  const o = 446 + 16 * i;
  v.setUint8(o, 0x00);
  v.setUint8(o + 4, p.type ?? 0x83);
  v.setUint32(o + 8, p.startSector, true);
  v.setUint32(o + 12, p.sectors, true);
}

export function buildMbrImage(
  sizeBytes: number,
  partitions: readonly ImagePartition[],
): Uint8Array {
  assert(sizeBytes % 4096 === 0 && partitions.length <= 4, 'whole blocks, at most four partitions');
  const img = new Uint8Array(sizeBytes);
  const v = new DataView(img.buffer);
  partitions.forEach((p, i) => mbrEntry(v, i, p));
  v.setUint16(510, 0xaa55, true);
  return img;
}

const GPT_ENTRIES = 128;
const GPT_ENTRY_BYTES = 128;
const GPT_TABLE_SECTORS = (GPT_ENTRIES * GPT_ENTRY_BYTES) / SECTOR_BYTES; // 32

function gptHeader(o: {
  lbaHeader: bigint;
  lbaAlt: bigint;
  lbaTable: bigint;
  firstUsable: bigint;
  lastUsable: bigint;
  entriesCrc: number;
}): Uint8Array {
  const h = new Uint8Array(SECTOR_BYTES);
  const v = new DataView(h.buffer);
  h.set(new TextEncoder().encode('EFI PART'), 0);
  v.setUint32(8, 0x0001_0000, true); // revision 1.0
  v.setUint32(12, GPT_HEADER_CRC_BYTES, true);
  v.setBigUint64(24, o.lbaHeader, true);
  v.setBigUint64(32, o.lbaAlt, true);
  v.setBigUint64(40, o.firstUsable, true);
  v.setBigUint64(48, o.lastUsable, true);
  for (let i = 0; i < 16; i++) h[56 + i] = (0x11 * (i + 1)) & 0xff; // disk GUID
  v.setBigUint64(72, o.lbaTable, true);
  v.setUint32(80, GPT_ENTRIES, true);
  v.setUint32(84, GPT_ENTRY_BYTES, true);
  v.setUint32(88, o.entriesCrc, true);
  v.setUint32(16, crc32(h.subarray(0, GPT_HEADER_CRC_BYTES)), true);
  return h;
}

export function buildGptImage(
  sizeBytes: number,
  partitions: readonly ImagePartition[],
): Uint8Array {
  assert(sizeBytes % 4096 === 0, 'whole blocks');
  const img = new Uint8Array(sizeBytes);
  for (const p of gptImageSectors(BigInt(sizeBytes / SECTOR_BYTES), partitions))
    img.set(p.bytes, Number(p.sector) * SECTOR_BYTES);
  return img;
}

/**
 * The non-zero sectors of a GPT disk of `totalSectors` (protective MBR, both headers, both
 * arrays), each with the sector it starts at: a disk larger than memory (beyond 2 TiB, where
 * partition starts need all 64 bits) is these pieces over zeros.
 */
export function gptImageSectors(
  totalSectors: bigint,
  partitions: readonly ImagePartition[],
): { readonly sector: bigint; readonly bytes: Uint8Array }[] {
  const total = totalSectors;
  const mbr = new Uint8Array(SECTOR_BYTES);
  const v = new DataView(mbr.buffer);
  mbrEntry(v, 0, {
    startSector: 1,
    sectors: Number(total - 1n < 0xffff_ffffn ? total - 1n : 0xffff_ffffn),
    type: MBR_PARTITION_TYPE_GPT,
  });
  v.setUint16(510, 0xaa55, true);
  const table = new Uint8Array(GPT_ENTRIES * GPT_ENTRY_BYTES);
  const tv = new DataView(table.buffer);
  partitions.forEach((p, i) => {
    const o = i * GPT_ENTRY_BYTES;
    for (let k = 0; k < 16; k++) table[o + k] = 0xaf; // a type GUID (any non-zero)
    for (let k = 0; k < 16; k++) table[o + 16 + k] = (i * 16 + k + 1) & 0xff;
    tv.setBigUint64(o + 32, BigInt(p.startSector), true);
    tv.setBigUint64(o + 40, BigInt(p.startSector + p.sectors - 1), true);
  });
  const entriesCrc = crc32(table);
  const lastUsable = total - 2n - BigInt(GPT_TABLE_SECTORS);
  const common = { firstUsable: 34n, lastUsable, entriesCrc };
  const primary = gptHeader({ lbaHeader: 1n, lbaAlt: total - 1n, lbaTable: 2n, ...common });
  const mirrorTable = total - 1n - BigInt(GPT_TABLE_SECTORS);
  const mirror = gptHeader({ lbaHeader: total - 1n, lbaAlt: 1n, lbaTable: mirrorTable, ...common });
  return [
    { sector: 0n, bytes: mbr },
    { sector: 1n, bytes: primary },
    { sector: 2n, bytes: table },
    { sector: mirrorTable, bytes: table },
    { sector: total - 1n, bytes: mirror },
  ];
}

/** Write an image file (the tests and `sddf run blk --image` use real files). */
export function writeImageFile(path: string, bytes: Uint8Array): void {
  writeFileSync(path, bytes);
}
