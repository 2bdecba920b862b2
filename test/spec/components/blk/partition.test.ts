import { describe, expect, it } from 'vitest';
import {
  SECTOR_BYTES,
  checkGptEntries,
  crc32,
  gptAssign,
  gptCompareHeaders,
  gptReads,
  gptTableBytes,
  isPartitionProblem,
  mbrAssign,
  parseGptHeader,
  parseMbr,
  type GptHeader,
} from '../../../../spec/components/blk/partition.ts';
import { buildGptImage, buildMbrImage } from '../../../../impl/systems/blk/disk.ts';
import { PARTS, SECTORS, SIZE, code } from './fixture.ts';

describe('crc32', () => {
  it('is the standard reflected CRC-32 (check value of "123456789")', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('MBR', () => {
  it('assigns one partition per client', () => {
    const mbr = parseMbr(buildMbrImage(SIZE, PARTS));
    expect(mbr.protective).toBe(false);
    expect(mbrAssign(mbr, [1, 0], SECTORS)).toEqual([
      { startSector: 4096n, sectors: 2048n },
      { startSector: 2048n, sectors: 2048n },
    ]);
  });

  it('refuses a bad signature, a missing or empty partition, an unaligned or oversize one', () => {
    const img = buildMbrImage(SIZE, PARTS);
    const bad = img.slice(0, 512);
    bad[510] = 0;
    expect(code(mbrAssign(parseMbr(bad), [0], SECTORS))).toBe('mbr-signature');
    expect(code(mbrAssign(parseMbr(img), [4], SECTORS))).toBe('mbr-partition');
    expect(code(mbrAssign(parseMbr(img), [2], SECTORS))).toBe('mbr-partition');
    const unaligned = buildMbrImage(SIZE, [{ startSector: 2049, sectors: 2048 }]);
    expect(code(mbrAssign(parseMbr(unaligned), [0], SECTORS))).toBe('partition-alignment');
    const beyond = buildMbrImage(SIZE, [{ startSector: 2048, sectors: Number(SECTORS) }]);
    expect(code(mbrAssign(parseMbr(beyond), [0], SECTORS))).toBe('partition-bounds');
    const tiny = buildMbrImage(SIZE, [{ startSector: 2048, sectors: 7 }]);
    expect(code(mbrAssign(parseMbr(tiny), [0], SECTORS))).toBe('partition-bounds');
  });
});

describe('GPT', () => {
  const img = buildGptImage(SIZE, PARTS);
  const sector = (lba: bigint): Uint8Array =>
    img.subarray(Number(lba) * SECTOR_BYTES, Number(lba + 1n) * SECTOR_BYTES);
  const primary = parseGptHeader(sector(1n), 'primary') as GptHeader;
  const mirror = parseGptHeader(sector(SECTORS - 1n), 'mirror') as GptHeader;
  const entries = img.subarray(2 * SECTOR_BYTES, 2 * SECTOR_BYTES + gptTableBytes(primary));

  it('parses a protective MBR and both headers, checks CRCs, assigns partitions', () => {
    expect(parseMbr(img).protective).toBe(true);
    expect(isPartitionProblem(primary) || isPartitionProblem(mirror)).toBe(false);
    expect(checkGptEntries(primary, entries, 'primary')).toBeNull();
    expect(gptCompareHeaders(primary, mirror)).toBeNull();
    expect(gptAssign(primary, entries, [0, 1], SECTORS)).toEqual([
      { startSector: 2048n, sectors: 2048n },
      { startSector: 4096n, sectors: 2048n },
    ]);
    expect(gptReads(primary, SECTORS)).toEqual({
      primary: { block: 0n, count: 5 },
      mirror: { block: BigInt((Number(SECTORS) - 33) >> 3), count: 5 },
    });
  });

  it('refuses a bad signature, a bad header CRC, a bad entry-array CRC, a missing partition', () => {
    const s = sector(1n).slice();
    s[0] = 0x41;
    expect(code(parseGptHeader(s, 'primary'))).toBe('gpt-signature');
    const c = sector(1n).slice();
    c[40]! ^= 1; // first usable LBA: covered by the header CRC
    expect(code(parseGptHeader(c, 'primary'))).toBe('gpt-header-crc');
    const e = entries.slice();
    e[40]! ^= 1;
    expect(code(checkGptEntries(primary, e, 'primary'))).toBe('gpt-entries-crc');
    expect(code(gptAssign(primary, entries, [2], SECTORS))).toBe('gpt-partition');
    expect(code(gptAssign(primary, entries, [200], SECTORS))).toBe('gpt-partition');
  });

  it('compares every key field of the mirror; U9 (assignments upstream) lets four through', () => {
    const m: GptHeader = { ...mirror, numEntries: mirror.numEntries - 1 };
    expect(code(gptCompareHeaders(primary, m))).toBe('gpt-mirror-mismatch');
    expect(gptCompareHeaders(primary, m, { u9: true })).toBeNull();
    const crc: GptHeader = { ...mirror, crc32EntryArray: mirror.crc32EntryArray ^ 1 };
    expect(code(gptCompareHeaders(primary, crc))).toBe('gpt-mirror-mismatch');
    expect(gptCompareHeaders(primary, crc, { u9: true })).toBeNull();
    // The comparisons upstream really makes still hold under u9.
    const guid: GptHeader = { ...mirror, guid: '00'.repeat(16) };
    expect(code(gptCompareHeaders(primary, guid, { u9: true }))).toBe('gpt-mirror-mismatch');
  });

  it('refuses a header whose table shape or placement is outside what we read', () => {
    expect(gptReads({ ...primary, lbaAltHeader: SECTORS }, SECTORS)).toBeNull();
    expect(gptReads({ ...primary, lbaHeader: 2n }, SECTORS)).toBeNull();
  });
});
