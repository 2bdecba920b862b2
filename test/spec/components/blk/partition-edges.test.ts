// Edges of the partition spec (spec/components/blk/partition.ts), issue 12 part 6: every bound is
// tested exactly at its edge and one past it, every field the header comparison promises is
// compared, and every precondition (a full sector, a whole entry array) is an InvariantError.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvariantError } from '../../../../spec/common/assert.ts';
import {
  GPT_HEADER_CRC_BYTES,
  GPT_MAX_TABLE_BYTES,
  SECTOR_BYTES,
  SECTORS_PER_BLOCK,
  checkGptEntries,
  crc32,
  gptAssign,
  gptCompareHeaders,
  gptEntry,
  gptReads,
  gptTableBytes,
  isPartitionProblem,
  mbrAssign,
  parseGptHeader,
  parseMbr,
  type GptHeader,
  type Mbr,
} from '../../../../spec/components/blk/partition.ts';
import { buildGptImage, buildMbrImage } from '../../../../impl/systems/blk/disk.ts';
import { PARTS, SECTORS, SIZE, code } from './fixture.ts';

const img = buildGptImage(SIZE, PARTS);
const sector = (lba: bigint): Uint8Array =>
  img.slice(Number(lba) * SECTOR_BYTES, Number(lba + 1n) * SECTOR_BYTES);
const primary = parseGptHeader(sector(1n), 'primary') as GptHeader;
const mirror = parseGptHeader(sector(SECTORS - 1n), 'mirror') as GptHeader;
const entries = img.subarray(2 * SECTOR_BYTES, 2 * SECTOR_BYTES + gptTableBytes(primary));

/** The primary header sector with `edit` applied and its CRC recomputed (a well-sealed header). */
function resealed(edit: (v: DataView, bytes: Uint8Array) => void): Uint8Array {
  const s = sector(1n);
  const v = new DataView(s.buffer);
  edit(v, s);
  v.setUint32(16, 0, true);
  v.setUint32(16, crc32(s.subarray(0, GPT_HEADER_CRC_BYTES)), true);
  return s;
}

describe('isPartitionProblem', () => {
  it('is true only for an object of kind partition-problem (never throws on null or undefined)', () => {
    expect(isPartitionProblem(mbrAssign(parseMbr(new Uint8Array(512)), [0], SECTORS))).toBe(true);
    for (const x of [null, undefined, 0, 'partition-problem', {}, { kind: 'other' }, []])
      expect(isPartitionProblem(x)).toBe(false);
  });
});

describe('preconditions are InvariantErrors (a caller bug, not a bad disk)', () => {
  it('parseMbr and parseGptHeader need a whole sector; checkGptEntries the whole array', () => {
    expect(() => parseMbr(new Uint8Array(SECTOR_BYTES - 1))).toThrow(InvariantError);
    expect(() => parseGptHeader(sector(1n).subarray(0, SECTOR_BYTES - 1), 'p')).toThrow(
      InvariantError,
    );
    expect(() => checkGptEntries(primary, entries.subarray(0, entries.length - 1), 'p')).toThrow(
      InvariantError,
    );
  });
});

describe('MBR partition edges', () => {
  it('a partition of exactly one block, ending exactly at the end of the disk, is accepted', () => {
    const last = Number(SECTORS) - SECTORS_PER_BLOCK;
    const one = buildMbrImage(SIZE, [{ startSector: last, sectors: SECTORS_PER_BLOCK }]);
    expect(mbrAssign(parseMbr(one), [0], SECTORS)).toEqual([
      { startSector: BigInt(last), sectors: BigInt(SECTORS_PER_BLOCK) },
    ]);
    // One sector more reaches past the disk.
    const past = buildMbrImage(SIZE, [{ startSector: last, sectors: SECTORS_PER_BLOCK + 1 }]);
    expect(code(mbrAssign(parseMbr(past), [0], SECTORS))).toBe('partition-bounds');
  });

  it('only the four primary entries exist, whatever else the table value holds', () => {
    const mbr = parseMbr(buildMbrImage(SIZE, PARTS));
    const fifth = { type: 0x83, lbaStart: 2048, sectors: 2048 };
    const five: Mbr = { ...mbr, partitions: [...mbr.partitions, fifth] };
    expect(code(mbrAssign(five, [4], SECTORS))).toBe('mbr-partition');
    expect(code(mbrAssign(five, [-1], SECTORS))).toBe('mbr-partition');
    expect(mbrAssign(five, [1], SECTORS)).toEqual([{ startSector: 4096n, sectors: 2048n }]);
    // A table value holding fewer entries, or a configured index that is not an integer.
    const two: Mbr = { ...mbr, partitions: mbr.partitions.slice(0, 2) };
    expect(code(mbrAssign(two, [2], SECTORS))).toBe('mbr-partition');
    expect(code(mbrAssign(mbr, [0.5], SECTORS))).toBe('mbr-partition');
  });
});

describe('GPT header shape (our bounds: entries ≥ 128 B, a multiple of 8, 1..16 KiB·4 of table)', () => {
  const shape = (numEntries: number, entrySize: number) =>
    parseGptHeader(
      resealed((v) => {
        v.setUint32(80, numEntries, true);
        v.setUint32(84, entrySize, true);
      }),
      'primary',
    );

  it('a resealed header of the usual shape parses, with every field read little-endian', () => {
    const h = shape(128, 128) as GptHeader;
    expect(h).toMatchObject({
      signature: 'EFI PART',
      revision: 0x0001_0000,
      headerSize: GPT_HEADER_CRC_BYTES,
      lbaHeader: 1n,
      lbaAltHeader: SECTORS - 1n,
      lbaStart: 2n,
      numEntries: 128,
      entrySize: 128,
    });
    const guid = Array.from(sector(1n).subarray(56, 72), (b) => b.toString(16).padStart(2, '0'));
    expect(h.guid).toBe(guid.join(''));
    expect(h.guid).toMatch(/^[0-9a-f]{32}$/);
  });

  it('the disk GUID is part of the parsed header: two disks differ there', () => {
    const other = parseGptHeader(
      resealed((_v, s) => s.set([1, 2, 3, 4], 56)),
      'primary',
    ) as GptHeader;
    expect(other.guid).not.toBe(primary.guid);
    expect(code(gptCompareHeaders(other, mirror))).toBe('gpt-mirror-mismatch');
  });

  it('refuses too small, unaligned, empty and oversize tables; accepts the largest', () => {
    expect(code(shape(128, 120))).toBe('gpt-header-shape');
    expect(code(shape(128, 132))).toBe('gpt-header-shape');
    expect(code(shape(0, 128))).toBe('gpt-header-shape');
    const most = GPT_MAX_TABLE_BYTES / 128;
    expect(code(shape(most, 128))).toBeNull();
    expect(code(shape(most + 1, 128))).toBe('gpt-header-shape');
    expect(code(shape(most / 2, 256))).toBeNull();
    expect(code(shape(most / 2 + 1, 256))).toBe('gpt-header-shape');
    expect(code(shape(1, 136))).toBeNull();
  });
});

describe('gptCompareHeaders: each promised field on its own', () => {
  const upstream: [string, Partial<GptHeader>][] = [
    ['revision', { revision: mirror.revision + 1 }],
    ['header_size', { headerSize: mirror.headerSize + 8 }],
    ['guid', { guid: 'ab'.repeat(16) }],
    ['lba_header / mirror lba_alt_header', { lbaAltHeader: 2n }],
    ['lba_alt_header / mirror lba_header', { lbaHeader: SECTORS - 2n }],
  ];
  const ours: [string, Partial<GptHeader>][] = [
    ['num_entries', { numEntries: 64 }],
    ['entry_size', { entrySize: 256 }],
    ['crc32_entry_array', { crc32EntryArray: mirror.crc32EntryArray ^ 1 }],
  ];

  it('a mirror differing in one field upstream compares is refused, with or without u9', () => {
    for (const [field, diff] of upstream) {
      for (const options of [{}, { u9: true }]) {
        const p = gptCompareHeaders(primary, { ...mirror, ...diff }, options);
        expect(code(p), field).toBe('gpt-mirror-mismatch');
        expect(isPartitionProblem(p) && p.message).toContain(field);
      }
    }
  });

  it('a mirror differing in one field upstream assigns is refused; under u9 accepted', () => {
    for (const [field, diff] of ours) {
      const p = gptCompareHeaders(primary, { ...mirror, ...diff });
      expect(isPartitionProblem(p) && p.message, field).toContain(field);
      expect(gptCompareHeaders(primary, { ...mirror, ...diff }, { u9: true })).toBeNull();
    }
    // lba_start differs by design (each copy's own array) and is not compared.
    expect(gptCompareHeaders(primary, { ...mirror, lbaStart: 99n })).toBeNull();
  });
});

describe('gptEntry reads only inside the table', () => {
  // Three entries back to back; a header that says the table holds only the middle one.
  const three = new Uint8Array(3 * 128);
  const tv = new DataView(three.buffer);
  for (let i = 0; i < 3; i++) {
    tv.setBigUint64(i * 128 + 32, BigInt(2048 * (i + 1)), true);
    tv.setBigUint64(i * 128 + 40, BigInt(2048 * (i + 2) - 1), true);
  }
  const middle = three.subarray(128, 256);
  const one: GptHeader = { ...primary, numEntries: 1 };

  it('the one entry, and nothing before or after it, nor a fractional index', () => {
    expect(gptEntry(one, middle, 0)).toEqual({ lbaStart: 4096n, lbaEnd: 6143n });
    expect(gptEntry(one, middle, 1)).toBeNull();
    expect(gptEntry(one, middle, -1)).toBeNull();
    expect(gptEntry(one, middle, 0.5)).toBeNull();
    expect(code(gptAssign(one, middle, [1], SECTORS))).toBe('gpt-partition');
    expect(code(gptAssign(one, middle, [-1], SECTORS))).toBe('gpt-partition');
  });
});

describe('gptAssign: entry ranges and the shared partition checks', () => {
  const withEntry = (lbaStart: bigint, lbaEnd: bigint): Uint8Array => {
    const e = entries.slice();
    const v = new DataView(e.buffer);
    v.setBigUint64(32, lbaStart, true);
    v.setBigUint64(40, lbaEnd, true);
    return e;
  };

  it('an end before the start does not exist; one sector exists but is smaller than a block', () => {
    expect(code(gptAssign(primary, withEntry(2048n, 2047n), [0], SECTORS))).toBe('gpt-partition');
    expect(code(gptAssign(primary, withEntry(2048n, 2048n), [0], SECTORS))).toBe(
      'partition-bounds',
    );
    expect(gptAssign(primary, withEntry(2048n, 2055n), [0], SECTORS)).toEqual([
      { startSector: 2048n, sectors: 8n },
    ]);
  });

  it('an unaligned or oversize GPT partition is refused as in the MBR (stricter than upstream)', () => {
    expect(code(gptAssign(primary, withEntry(2049n, 4095n), [0], SECTORS))).toBe(
      'partition-alignment',
    );
    expect(code(gptAssign(primary, withEntry(2048n, SECTORS), [0], SECTORS))).toBe(
      'partition-bounds',
    );
    expect(gptAssign(primary, withEntry(2048n, SECTORS - 1n), [0], SECTORS)).toEqual([
      { startSector: 2048n, sectors: SECTORS - 2048n },
    ]);
  });
});

describe('gptReads', () => {
  it('refuses a table that starts on the header or overlaps the mirror array', () => {
    expect(gptReads({ ...primary, lbaStart: 1n }, SECTORS)).toBeNull();
    expect(gptReads({ ...primary, lbaStart: 2n }, SECTORS)).not.toBeNull();
    // Mirror array [alt - 32, alt) against primary [2, 34).
    expect(gptReads({ ...primary, lbaAltHeader: 40n }, SECTORS)).toBeNull(); // overlap
    // Adjacent arrays leave no usable sector between them: refused too.
    expect(gptReads({ ...primary, lbaAltHeader: 66n }, SECTORS)).toBeNull();
    expect(gptReads({ ...primary, lbaAltHeader: 67n }, SECTORS)).not.toBeNull();
    expect(gptReads({ ...primary, lbaAltHeader: SECTORS - 1n }, SECTORS)).not.toBeNull();
  });

  it('each read covers its array (and header) in the fewest whole blocks', () => {
    const spb = BigInt(SECTORS_PER_BLOCK);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 2n, max: 200n }),
        fc.constantFrom(1, 4, 5, 128, 200),
        fc.bigInt({ min: 0n, max: 4000n }),
        (lbaStart, numEntries, altFromEnd) => {
          const h: GptHeader = {
            ...primary,
            lbaStart,
            numEntries,
            lbaAltHeader: SECTORS - 1n - altFromEnd,
          };
          const r = gptReads(h, SECTORS);
          const table = BigInt(Math.ceil((numEntries * 128) / SECTOR_BYTES));
          const pEnd = lbaStart + table;
          const mStart = h.lbaAltHeader - table;
          if (mStart <= pEnd) return expect(r).toBeNull();
          expect(r).not.toBeNull();
          const { primary: p, mirror: m } = r!;
          // Primary: blocks [0, count) cover sectors [0, pEnd), and one block fewer would not.
          expect(p.block).toBe(0n);
          expect(BigInt(p.count) * spb >= pEnd).toBe(true);
          expect(BigInt(p.count - 1) * spb < pEnd).toBe(true);
          // Mirror: blocks [block, block + count) cover sectors [mStart, alt] and no more blocks.
          const end = h.lbaAltHeader + 1n;
          expect(m.block * spb <= mStart && (m.block + 1n) * spb > mStart).toBe(true);
          expect((m.block + BigInt(m.count)) * spb >= end).toBe(true);
          expect((m.block + BigInt(m.count) - 1n) * spb < end).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
