// Block partitioning, once (reference sddf-protocols.md §3.9 B1; upstream blk/components/
// partitioning.c, msdos_mbr.h, gpt.h at au-ts/sddf 650ace5d): the MBR and GPT layouts, CRC32,
// header validation, and the assignment of one partition to each client. Pure functions over
// bytes; the virt (impl/components/blk/virt.ts) and the model (proofs/models/blk-virt.ts) call them.
//
// Where we are stricter than upstream, on purpose (docs/adr/022-block-subsystem.md):
//  - GPT primary and mirror headers are compared on every key field. Upstream writes four of the
//    comparisons as `assert(a = b)` (an assignment: always true, and it overwrites the primary's
//    field), catalogue U9; `gptCompareHeaders(…, {u9: true})` is that behaviour.
//  - A partition must lie inside the disk, be non-empty, and (GPT too) start on a 4 KiB boundary;
//    upstream checks alignment for MBR only and never checks the end against the disk size.
//  - A malformed table is a value (`PartitionProblem`), never an assert.
import { assert } from '../../common/assert.ts';

export const SECTOR_BYTES = 512;
/** BLK_TRANSFER_SIZE / MSDOS_MBR_SECTOR_SIZE: sectors per sDDF block. */
export const SECTORS_PER_BLOCK = 8;
export const MBR_SIGNATURE = 0xaa55;
export const MBR_MAX_PRIMARY_PARTITIONS = 4;
export const MBR_PARTITION_TYPE_EMPTY = 0x00;
export const MBR_PARTITION_TYPE_GPT = 0xee;
/** `struct msdos_mbr`: bootstrap[446], partitions[4] of 16 B, u16 signature @510. */
const MBR_PARTITIONS_OFFSET = 446;
const MBR_SIGNATURE_OFFSET = 510;

export const GPT_SIGNATURE = 'EFI PART';
/** gpt.h GPT_MAX_PARTITIONS: the table upstream indexes. */
export const GPT_MAX_PARTITIONS = 128;
/** The header CRC covers the first 0x5C bytes (the UEFI header size), crc field zeroed. */
export const GPT_HEADER_CRC_BYTES = 0x5c;
export const GPT_ENTRY_MIN_BYTES = 128;
/** Bound on the entry array we read (128 entries of 128 B = 16 KiB, what every tool writes). */
export const GPT_MAX_TABLE_BYTES = GPT_MAX_PARTITIONS * GPT_ENTRY_MIN_BYTES * 4;

/** What was wrong with the partition table, for the virt's log and the tests. */
export interface PartitionProblem {
  readonly kind: 'partition-problem';
  readonly code:
    | 'mbr-signature'
    | 'mbr-partition'
    | 'gpt-signature'
    | 'gpt-header-crc'
    | 'gpt-entries-crc'
    | 'gpt-header-shape'
    | 'gpt-mirror-mismatch'
    | 'gpt-partition'
    | 'partition-bounds'
    | 'partition-alignment';
  readonly message: string;
}

function problem(code: PartitionProblem['code'], message: string): PartitionProblem {
  return { kind: 'partition-problem', code, message };
}

export function isPartitionProblem(x: unknown): x is PartitionProblem {
  return (
    typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'partition-problem'
  );
}

// ---------------------------------------------------------------- CRC32

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The reflected CRC-32 (polynomial 0xEDB88320, init and final xor ~0), as gpt_calc_crc32. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffff_ffff;
  for (const b of bytes) crc = (CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return (crc ^ 0xffff_ffff) >>> 0;
}

// ---------------------------------------------------------------- MBR

/** `struct msdos_mbr_partition` (16 B, packed): status, chs[3], type, chs[3], u32 lba, u32 sectors. */
export interface MbrPartition {
  readonly type: number;
  readonly lbaStart: number;
  readonly sectors: number;
}

export interface Mbr {
  readonly signature: number;
  readonly partitions: readonly MbrPartition[];
  /** Partition 0 has type 0xEE: a protective MBR in front of a GPT. */
  readonly protective: boolean;
}

/** Decode sector 0 (at least 512 bytes). The signature is checked by `mbrAssign`, as upstream. */
export function parseMbr(sector0: Uint8Array): Mbr {
  assert(sector0.length >= SECTOR_BYTES, 'the MBR is one 512-byte sector');
  const v = new DataView(sector0.buffer, sector0.byteOffset, SECTOR_BYTES);
  const partitions: MbrPartition[] = [];
  for (let i = 0; i < MBR_MAX_PRIMARY_PARTITIONS; i++) {
    const o = MBR_PARTITIONS_OFFSET + 16 * i;
    partitions.push({
      type: v.getUint8(o + 4),
      lbaStart: v.getUint32(o + 8, true),
      sectors: v.getUint32(o + 12, true),
    });
  }
  return {
    signature: v.getUint16(MBR_SIGNATURE_OFFSET, true),
    partitions,
    protective: partitions[0]!.type === MBR_PARTITION_TYPE_GPT,
  };
}

/** A client's partition in 512-byte sectors (partitioning.c `client_t`). */
export interface Partition {
  readonly startSector: bigint;
  readonly sectors: bigint;
}

/** Checks every assignment shares: inside the disk, non-empty, 4 KiB aligned start. */
function checkPartition(p: Partition, where: string, diskSectors: bigint): PartitionProblem | null {
  if (p.sectors < BigInt(SECTORS_PER_BLOCK))
    return problem('partition-bounds', `${where} holds ${p.sectors} sectors, less than one block`);
  if (p.startSector % BigInt(SECTORS_PER_BLOCK) !== 0n) {
    return problem(
      'partition-alignment',
      `${where} starts at sector ${p.startSector}, not on a 4 KiB block boundary`,
    );
  }
  if (p.startSector + p.sectors > diskSectors) {
    return problem(
      'partition-bounds',
      `${where} [${p.startSector}, +${p.sectors}) reaches beyond the disk's ${diskSectors} sectors`,
    );
  }
  return null;
}

/** mbr_partitions_init: each client's configured partition index, or the first problem. */
export function mbrAssign(
  mbr: Mbr,
  clientPartitions: readonly number[],
  diskSectors: bigint,
): readonly Partition[] | PartitionProblem {
  if (mbr.signature !== MBR_SIGNATURE) {
    return problem('mbr-signature', `MBR signature 0x${mbr.signature.toString(16)} is not 0xaa55`);
  }
  const out: Partition[] = [];
  for (const [client, index] of clientPartitions.entries()) {
    const p = mbr.partitions[index];
    if (index < 0 || index >= MBR_MAX_PRIMARY_PARTITIONS || p === undefined)
      return problem('mbr-partition', `client ${client}: MBR partition ${index} does not exist`);
    if (p.type === MBR_PARTITION_TYPE_EMPTY)
      return problem('mbr-partition', `client ${client}: MBR partition ${index} is empty`);
    const part = { startSector: BigInt(p.lbaStart), sectors: BigInt(p.sectors) };
    const bad = checkPartition(part, `client ${client}: MBR partition ${index}`, diskSectors);
    if (bad !== null) return bad;
    out.push(part);
  }
  return out;
}

// ---------------------------------------------------------------- GPT

/** `struct gpt_partition_header` (packed), the fields upstream reads. */
export interface GptHeader {
  readonly signature: string;
  readonly revision: number;
  readonly headerSize: number;
  readonly crc32Header: number;
  readonly lbaHeader: bigint;
  readonly lbaAltHeader: bigint;
  readonly guid: string;
  /** `lba_start`: the LBA of the partition entry array. */
  readonly lbaStart: bigint;
  readonly numEntries: number;
  readonly entrySize: number;
  readonly crc32EntryArray: number;
}

/** Decode a header sector and check its signature, shape and CRC (the crc field zeroed). */
export function parseGptHeader(sector: Uint8Array, which: string): GptHeader | PartitionProblem {
  assert(sector.length >= SECTOR_BYTES, 'a GPT header is one 512-byte sector');
  const v = new DataView(sector.buffer, sector.byteOffset, SECTOR_BYTES);
  const signature = String.fromCharCode(...sector.subarray(0, 8));
  if (signature !== GPT_SIGNATURE)
    return problem('gpt-signature', `${which} GPT header signature is not "${GPT_SIGNATURE}"`);
  const h: GptHeader = {
    signature,
    revision: v.getUint32(8, true),
    headerSize: v.getUint32(12, true),
    crc32Header: v.getUint32(16, true),
    lbaHeader: v.getBigUint64(24, true),
    lbaAltHeader: v.getBigUint64(32, true),
    guid: Array.from(sector.subarray(56, 72), (b) => b.toString(16).padStart(2, '0')).join(''),
    lbaStart: v.getBigUint64(72, true),
    numEntries: v.getUint32(80, true),
    entrySize: v.getUint32(84, true),
    crc32EntryArray: v.getUint32(88, true),
  };
  const copy = sector.slice(0, GPT_HEADER_CRC_BYTES);
  new DataView(copy.buffer).setUint32(16, 0, true);
  if (crc32(copy) !== h.crc32Header)
    return problem('gpt-header-crc', `${which} GPT header CRC32 does not match`);
  // Our bounds (upstream has none): the table we read is at most GPT_MAX_TABLE_BYTES, entries are
  // at least 128 B and a multiple of 8 (UEFI 2.10 §5.3.2), and a table index < 128 must exist.
  if (
    h.entrySize < GPT_ENTRY_MIN_BYTES ||
    h.entrySize % 8 !== 0 ||
    h.numEntries === 0 ||
    h.numEntries * h.entrySize > GPT_MAX_TABLE_BYTES
  ) {
    return problem(
      'gpt-header-shape',
      `${which} GPT header: ${h.numEntries} entries of ${h.entrySize} B is outside the supported shape`,
    );
  }
  return h;
}

export function gptTableBytes(h: GptHeader): number {
  return h.numEntries * h.entrySize;
}

/** The entry array's CRC against the header. */
export function checkGptEntries(
  h: GptHeader,
  entries: Uint8Array,
  which: string,
): PartitionProblem | null {
  assert(entries.length >= gptTableBytes(h), 'the whole entry array was read');
  return crc32(entries.subarray(0, gptTableBytes(h))) === h.crc32EntryArray
    ? null
    : problem('gpt-entries-crc', `${which} GPT partition entry array CRC32 does not match`);
}

/**
 * gpt_validate_partitions' last block: the primary and mirror headers agree. With `u9` only the
 * comparisons upstream really makes are made (revision, header size, guid, the crossed header
 * LBAs); `lba_start`, `num_entries`, `entry_size`, `crc32_entry_array` are assignments there.
 */
export function gptCompareHeaders(
  primary: GptHeader,
  mirror: GptHeader,
  options: { readonly u9?: boolean } = {},
): PartitionProblem | null {
  const pairs: [string, unknown, unknown][] = [
    ['revision', primary.revision, mirror.revision],
    ['header_size', primary.headerSize, mirror.headerSize],
    ['guid', primary.guid, mirror.guid],
    ['lba_header / mirror lba_alt_header', primary.lbaHeader, mirror.lbaAltHeader],
    ['lba_alt_header / mirror lba_header', primary.lbaAltHeader, mirror.lbaHeader],
  ];
  if (options.u9 !== true) {
    pairs.push(
      // lba_start is where *each* copy's array lies: they differ by design; upstream compares
      // them (as an assignment). We compare what must agree: the array's shape and CRC.
      ['num_entries', primary.numEntries, mirror.numEntries],
      ['entry_size', primary.entrySize, mirror.entrySize],
      ['crc32_entry_array', primary.crc32EntryArray, mirror.crc32EntryArray],
    );
  }
  for (const [field, a, b] of pairs) {
    if (a !== b)
      return problem('gpt-mirror-mismatch', `GPT primary and mirror headers differ in ${field}`);
  }
  return null;
}

/** `struct gpt_partition_entry`: lba_start @32, lba_end @40 (inclusive), u64 each. */
export function gptEntry(
  h: GptHeader,
  entries: Uint8Array,
  index: number,
): { lbaStart: bigint; lbaEnd: bigint } | null {
  if (!Number.isInteger(index) || index < 0 || index >= h.numEntries) return null;
  const o = index * h.entrySize;
  const v = new DataView(entries.buffer, entries.byteOffset + o, 48);
  return { lbaStart: v.getBigUint64(32, true), lbaEnd: v.getBigUint64(40, true) };
}

/** gpt_partitions_init: an entry with lba_start 0 does not exist; sectors = end - start + 1. */
export function gptAssign(
  h: GptHeader,
  entries: Uint8Array,
  clientPartitions: readonly number[],
  diskSectors: bigint,
): readonly Partition[] | PartitionProblem {
  const out: Partition[] = [];
  for (const [client, index] of clientPartitions.entries()) {
    const e = gptEntry(h, entries, index);
    if (e === null || e.lbaStart === 0n || e.lbaEnd < e.lbaStart)
      return problem('gpt-partition', `client ${client}: GPT partition ${index} does not exist`);
    const part = { startSector: e.lbaStart, sectors: e.lbaEnd - e.lbaStart + 1n };
    const bad = checkPartition(part, `client ${client}: GPT partition ${index}`, diskSectors);
    if (bad !== null) return bad;
    out.push(part);
  }
  return out;
}

/**
 * The reads the GPT path needs after sector 0, in 4 KiB blocks (mbr_handle_response): the primary
 * header and its array from block 0 onward (upstream reads from block 1, keeping block 0 from the
 * MBR read; we read the span again: one request), and the mirror array + header ending at
 * `lba_alt_header`. Null when the header puts them outside the disk.
 */
export function gptReads(
  primary: GptHeader,
  diskSectors: bigint,
): { primary: { block: bigint; count: number }; mirror: { block: bigint; count: number } } | null {
  const spb = BigInt(SECTORS_PER_BLOCK);
  const tableSectors = BigInt(Math.ceil(gptTableBytes(primary) / SECTOR_BYTES));
  const pEnd = primary.lbaStart + tableSectors; // exclusive, sectors
  const mStart = primary.lbaAltHeader - tableSectors;
  if (primary.lbaHeader !== 1n || primary.lbaStart < 2n) return null;
  if (pEnd > diskSectors || primary.lbaAltHeader >= diskSectors || mStart <= pEnd) return null;
  const pCount = (pEnd + spb - 1n) / spb;
  const mBlock = mStart / spb;
  const mCount = (primary.lbaAltHeader + 1n + spb - 1n) / spb - mBlock;
  return {
    primary: { block: 0n, count: Number(pCount) },
    mirror: { block: mBlock, count: Number(mCount) },
  };
}
