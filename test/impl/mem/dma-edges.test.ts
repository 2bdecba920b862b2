// Issue 12 part 5: the IOMMU's windows and the region builder at their edges (exactly at the
// end, one past, the 2^64 end of the I/O space, zero lengths, the u32 length limit), against
// brute-force oracles that look at each byte or page.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Iommu,
  MAX_DMA_BYTES,
  MAX_RECORDED_DMA_FAULTS,
  type IoMapConfig,
} from '../../../impl/mem/iommu.ts';
import {
  AUTO_PHYS_BASE,
  MAX_REGION_SIZE_BYTES,
  MAX_TOTAL_SIZE_BYTES,
  buildRegions,
  type RegionInstance,
} from '../../../impl/mem/region.ts';
import type { DmaFault, MmioDevice } from '../../../impl/mem/types.ts';

const U64 = 1n << 64n;

function region(name: string, physAddr: bigint, sizeBytes: number, device = false): RegionInstance {
  return {
    name,
    physAddr,
    sizeBytes,
    physFixed: true,
    buffer: device ? null : new SharedArrayBuffer(sizeBytes),
    mmio: null,
  };
}

const isFault = (x: unknown): x is DmaFault =>
  typeof x === 'object' && x !== null && (x as DmaFault).kind === 'dma-fault';

// ---------------------------------------------------------------- the oracle

interface OWindow {
  readonly mr: string;
  readonly ioAddr: bigint;
  readonly sizeBytes: number;
  readonly read: boolean;
  readonly write: boolean;
  readonly shadow: Uint8Array;
}

/** Does window `w` hold I/O byte `a`? Counted out byte by byte (no interval formula). */
function holds(w: OWindow, a: bigint): boolean {
  for (let i = 0; i < w.sizeBytes; i++) if (w.ioAddr + BigInt(i) === a) return true;
  return false;
}

/**
 * The windows `Iommu.build` must keep, in order, and the errors it must report: an unknown or
 * device region, a window leaving the 64-bit I/O space, or one sharing a byte with an earlier
 * window of the same device.
 */
function oracleBuild(
  regions: ReadonlyMap<string, RegionInstance>,
  maps: readonly IoMapConfig[],
  shadows: ReadonlyMap<string, Uint8Array>,
): { windows: OWindow[]; errors: string[] } {
  const windows: OWindow[] = [];
  const errors: string[] = [];
  for (const m of maps) {
    const r = regions.get(m.mr);
    if (r === undefined || r.buffer === null) {
      errors.push('RUNTIME_IOMAP_MR');
      continue;
    }
    const w: OWindow = {
      mr: m.mr,
      ioAddr: m.ioAddr ?? r.physAddr,
      sizeBytes: r.sizeBytes,
      read: m.read ?? true,
      write: m.write ?? true,
      shadow: shadows.get(m.mr)!,
    };
    const bytes = Array.from({ length: w.sizeBytes }, (_, i) => w.ioAddr + BigInt(i));
    if (bytes.some((a) => a < 0n || a >= U64)) {
      errors.push('RUNTIME_IOMAP_RANGE');
      continue;
    }
    if (bytes.some((a) => windows.some((o) => holds(o, a)))) {
      errors.push('RUNTIME_IOMAP_OVERLAP');
      continue;
    }
    windows.push(w);
  }
  return { windows, errors };
}

/** What a DMA of `len` bytes at `io` must do: its first byte and all others in one window, with the perm. */
function oracleDma(
  windows: readonly OWindow[],
  io: bigint,
  len: number,
  write: boolean,
): OWindow | 'fault' {
  if (len > MAX_DMA_BYTES) return 'fault';
  const w = windows.find((x) => holds(x, io));
  if (w === undefined) return 'fault';
  for (let i = 1; i < len; i++) if (!holds(w, io + BigInt(i))) return 'fault';
  return (write ? w.write : w.read) ? w : 'fault';
}

// ---------------------------------------------------------------- the property

const BASES = [0n, 0x1000n, (1n << 32n) - 16n, U64 - 48n] as const;

const ioMapArb = fc.record({
  mr: fc.constantFrom('a', 'b', 'c', 'dev', 'missing'),
  at: fc.option(fc.integer({ min: -4, max: 40 }), { nil: undefined }),
  read: fc.option(fc.boolean(), { nil: undefined }),
  write: fc.option(fc.boolean(), { nil: undefined }),
});

const dmaArb = fc.record({
  window: fc.nat(),
  edge: fc.nat(9),
  lenPick: fc.nat(5),
  write: fc.boolean(),
  fill: fc.integer({ min: 0, max: 255 }),
});

describe('IOMMU windows at their edges, against a byte-by-byte oracle', () => {
  it('build keeps exactly the windows the oracle keeps; every DMA at every edge agrees', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BASES),
        fc.array(ioMapArb, { minLength: 1, maxLength: 4 }),
        fc.array(dmaArb, { minLength: 1, maxLength: 30 }),
        (base, rawMaps, dmas) => {
          const sizes = { a: 1, b: 7, c: 16, dev: 8 } as const;
          const regions = new Map<string, RegionInstance>(
            (['a', 'b', 'c', 'dev'] as const).map((n, i) => [
              n,
              region(n, base + BigInt(8 * i), sizes[n], n === 'dev'),
            ]),
          );
          const shadows = new Map(
            [...regions.values()]
              .filter((r) => r.buffer)
              .map((r) => [r.name, new Uint8Array(r.sizeBytes)]),
          );
          const maps: IoMapConfig[] = rawMaps.map((m) => ({
            mr: m.mr,
            ...(m.at === undefined ? {} : { ioAddr: base + BigInt(m.at) }),
            ...(m.read === undefined ? {} : { read: m.read }),
            ...(m.write === undefined ? {} : { write: m.write }),
          }));
          const want = oracleBuild(regions, maps, shadows);
          const seen: string[] = [];
          const { iommu, errors } = Iommu.build(regions, [{ device: 'd', ioMaps: maps }]);
          iommu.observer = {
            dma: (dev, io, n, w) => seen.push(`dma ${dev} ${io} ${n} ${w}`),
            dmaFault: (f) => seen.push(`fault ${f.device} ${f.ioAddr} ${f.lengthBytes} ${f.write}`),
          };
          expect(errors.map((e) => e.code)).toEqual(want.errors);
          const port = iommu.portFor('d');
          const expected: string[] = [];
          let faults = 0;
          for (const d of dmas) {
            const target = want.windows[d.window % Math.max(want.windows.length, 1)];
            const io0 = target?.ioAddr ?? base;
            const size = target?.sizeBytes ?? 4;
            const len = [0, 1, 2, size, size + 1, MAX_DMA_BYTES + 1][d.lenPick]!;
            const width = BigInt(Math.min(len, size + 1));
            const end = io0 + BigInt(size);
            const io = [
              io0 - 1n,
              io0,
              io0 + 1n,
              end - width - 1n,
              end - width,
              end - width + 1n,
              end - 1n,
              end,
              end + 1n,
              0n,
            ][d.edge]!;
            const w = oracleDma(want.windows, io, len, d.write);
            const what = `${d.write ? 'write' : 'read'} [${io}, +${len}) in ${JSON.stringify(want.windows.map((x) => [x.mr, String(x.ioAddr), x.sizeBytes, x.read, x.write]))}`;
            if (d.write) {
              const data =
                len > 64
                  ? new Uint8Array(0)
                  : Uint8Array.from({ length: len }, (_, i) => d.fill + i);
              if (len > 64) continue; // a >4 GiB write cannot even be built; reads cover the limit
              const r = port.write(io, data);
              expect(r === null ? 'ok' : 'fault', what).toBe(w === 'fault' ? 'fault' : 'ok');
              if (w !== 'fault') w.shadow.set(data, Number(io - w.ioAddr));
            } else {
              const r = port.read(io, len);
              expect(isFault(r) ? 'fault' : 'ok', what).toBe(w === 'fault' ? 'fault' : 'ok');
              if (w !== 'fault' && !isFault(r)) {
                const off = Number(io - w.ioAddr);
                expect(Array.from(r), what).toEqual(Array.from(w.shadow.subarray(off, off + len)));
              }
            }
            if (w === 'fault') faults++;
            expected.push(
              w === 'fault' ? `fault d ${io} ${len} ${d.write}` : `dma d ${io} ${len} ${d.write}`,
            );
          }
          // Memory equals the shadow (no DMA touched anything else); the fault record adds up.
          for (const [name, sh] of shadows)
            expect(new Uint8Array(regions.get(name)!.buffer!)).toEqual(sh);
          expect(seen).toEqual(expected);
          expect(iommu.faultCount).toBe(faults);
          expect(iommu.faults).toHaveLength(faults);
          expect(iommu.isFaulted('d')).toBe(faults > 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the I/O space ends at 2^64: a window may end exactly there, a DMA does not wrap to 0', () => {
    const regions = new Map([
      ['top', region('top', 0n, 16)],
      ['low', region('low', 0x10n, 16)],
    ]);
    const { iommu, errors } = Iommu.build(regions, [
      {
        device: 'd',
        ioMaps: [
          { mr: 'top', ioAddr: U64 - 16n },
          { mr: 'low', ioAddr: 0n },
        ],
      },
    ]);
    expect(errors).toEqual([]);
    const port = iommu.portFor('d');
    expect(isFault(port.read(U64 - 1n, 1))).toBe(false);
    expect(isFault(port.read(U64 - 16n, 16))).toBe(false);
    const wrap = port.read(U64 - 8n, 16);
    expect(isFault(wrap) && wrap.reason).toMatch(/runs past the I\/O mapping of 'top'/);
    expect(isFault(port.read(U64, 1))).toBe(true);
    // A window past the end of (or below) the I/O space is a configuration error, not a window.
    for (const ioAddr of [U64 - 15n, U64, -1n]) {
      const r = Iommu.build(regions, [{ device: 'e', ioMaps: [{ mr: 'top', ioAddr }] }]);
      expect(r.errors.map((e) => e.code)).toEqual(['RUNTIME_IOMAP_RANGE']);
      expect(r.errors[0]!.message).toMatch(
        /device 'e': I\/O map of 'top' at \[.*\) leaves the 64-bit I\/O address space/,
      );
      expect(isFault(r.iommu.portFor('e').read(U64 - 1n, 1))).toBe(true);
    }
  });

  it('the u32 length limit: MAX_DMA_BYTES is a length, one more is refused by name, nothing allocated', () => {
    const regions = new Map([['r', region('r', 0n, 16)]]);
    const { iommu } = Iommu.build(regions, [{ device: 'd', ioMaps: [{ mr: 'r' }] }]);
    const port = iommu.portFor('d');
    const at = port.read(0n, MAX_DMA_BYTES);
    expect(isFault(at) && at.reason).toMatch(/runs past/);
    const over = port.read(0n, MAX_DMA_BYTES + 1);
    expect(isFault(over) && over.reason).toMatch(/exceeds a u32 length/);
    expect(() => port.read(0n, -1)).toThrow(/byte count/);
  });

  it('keeps the first MAX_RECORDED_DMA_FAULTS faults and counts the rest', () => {
    const { iommu } = Iommu.build(new Map(), [{ device: 'd', ioMaps: [] }]);
    const port = iommu.portFor('d');
    for (let i = 0; i <= MAX_RECORDED_DMA_FAULTS; i++) port.read(BigInt(i), 1);
    expect(iommu.faults).toHaveLength(MAX_RECORDED_DMA_FAULTS);
    expect(iommu.faultCount).toBe(MAX_RECORDED_DMA_FAULTS + 1);
    expect(iommu.faults[0]!.ioAddr).toBe(0n);
    // A device with no windows at all reaches nothing, and is told why.
    const stray = iommu.portFor('unknown').read(0x40n, 1);
    expect(isFault(stray) && stray.reason).toBe(
      "I/O address 0x40 is outside every I/O mapping of 'unknown'",
    );
  });
});

// ---------------------------------------------------------------- the region builder

const mr = (name: string, size: bigint, opts: { phys?: bigint; page?: bigint } = {}) => ({
  name,
  sizeBytes: size,
  pageSizeBytes: opts.page ?? 0x1000n,
  pageSizeExplicit: false,
  ...(opts.phys === undefined ? {} : { physAddr: opts.phys }),
  loc: { file: 't.system', line: 1, column: 1 },
});

/** The 4 KiB pages a range touches, one by one. */
function pages(start: bigint, size: bigint): bigint[] {
  const out: bigint[] = [];
  for (let p = start / 0x1000n; p * 0x1000n < start + size; p++) out.push(p);
  return out;
}

describe('buildRegions at its edges', () => {
  it('auto placement: aligned, above AUTO_PHYS_BASE and every fixed region, sharing no page (page-by-page oracle)', () => {
    const regionArb = fc.record({
      pagesCount: fc.integer({ min: 1, max: 3 }),
      tail: fc.constantFrom(0n, 1n, 0xfffn),
      page: fc.constantFrom(0x1000n, 0x20_0000n),
      fixedAt: fc.option(fc.integer({ min: 0, max: 0x40 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(regionArb, { minLength: 1, maxLength: 6 }), (raw) => {
        // Fixed regions one after another, never sharing a page (validate.ts rejects overlaps).
        let fixedNext = 0x5fff_0000n;
        const mrs = raw.map((r, i) => {
          const size = BigInt(r.pagesCount) * 0x1000n - (r.tail === 0n ? 0n : 0x1000n - r.tail);
          if (r.fixedAt === undefined) return mr(`m${i}`, size, { page: r.page });
          const phys = fixedNext + BigInt(r.fixedAt) * 0x1000n;
          fixedNext = phys + BigInt(r.pagesCount + 1) * 0x1000n;
          return mr(`m${i}`, size, { phys });
        });
        const { regions, errors } = buildRegions({ regions: mrs });
        expect(errors).toEqual([]);
        const fixedEnd = mrs.reduce(
          (e, m) =>
            m.physAddr !== undefined && m.physAddr + m.sizeBytes > e ? m.physAddr + m.sizeBytes : e,
          0n,
        );
        const owner = new Map<bigint, string>();
        let lastAuto = -1n;
        for (const m of mrs) {
          const r = regions.get(m.name)!;
          expect(r.sizeBytes).toBe(Number(m.sizeBytes));
          expect(new Uint8Array(r.buffer!).length).toBe(Number(m.sizeBytes));
          if (m.physAddr !== undefined) expect(r.physAddr).toBe(m.physAddr);
          else {
            expect(r.physAddr % m.pageSizeBytes).toBe(0n);
            expect(r.physAddr >= AUTO_PHYS_BASE && r.physAddr >= fixedEnd).toBe(true);
            expect(r.physAddr > lastAuto).toBe(true); // declaration order
            lastAuto = r.physAddr;
          }
          for (const p of pages(r.physAddr, m.sizeBytes)) {
            expect(owner.get(p), `page 0x${p.toString(16)}000 of ${m.name}`).toBeUndefined();
            owner.set(p, m.name);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('sizes: 0 is refused, 1 is backed, the emulator limit is backed, one byte more is refused', () => {
    const { regions, errors } = buildRegions({
      regions: [
        mr('zero', 0n),
        mr('one', 1n),
        mr('max', BigInt(MAX_REGION_SIZE_BYTES)),
        mr('over', BigInt(MAX_REGION_SIZE_BYTES) + 1n),
      ],
    });
    expect(errors.map((e) => [e.code, e.message.match(/'(\w+)'/)?.[1]])).toEqual([
      ['RUNTIME_MR_SIZE', 'zero'],
      ['RUNTIME_MR_SIZE', 'over'],
    ]);
    expect(regions.get('one')!.buffer!.byteLength).toBe(1);
    expect(regions.get('max')!.sizeBytes).toBe(MAX_REGION_SIZE_BYTES);
    expect([...regions.keys()]).toEqual(['one', 'max']);
  });
});

describe('buildRegions limits and devices', () => {
  it('the total backing limit: exactly MAX_TOTAL is backed, one byte more stops the build there', () => {
    const max = BigInt(MAX_REGION_SIZE_BYTES);
    const dev: MmioDevice = {
      name: 'uart',
      sizeBytes: 0x1000,
      read32: () => 0,
      write32: () => {},
      irqAsserted: () => false,
    };
    const { regions, errors } = buildRegions({
      regions: [
        mr('a', max),
        mr('uart', max),
        mr('b', max),
        mr('c', max),
        mr('d', max),
        mr('e', 1n),
        mr('f', 1n),
      ],
      mmio: new Map([['uart', dev]]),
    });
    expect(4 * MAX_REGION_SIZE_BYTES).toBe(MAX_TOTAL_SIZE_BYTES);
    expect(errors.map((e) => [e.code, e.message.match(/at '(\w+)'/)?.[1]])).toEqual([
      ['RUNTIME_MR_TOTAL', 'e'],
    ]);
    expect([...regions.keys()]).toEqual(['a', 'uart', 'b', 'c', 'd']); // 'f' is not reached
    // A device's region is its registers: no backing buffer, not counted.
    expect(regions.get('uart')).toMatchObject({ buffer: null, mmio: dev });
  });

  it('a region without a page size is placed on a 4 KiB boundary', () => {
    const { regions } = buildRegions({
      regions: [
        mr('fixed', 0x1001n, { phys: AUTO_PHYS_BASE + 0x10n }),
        { ...mr('z', 0x10n), pageSizeBytes: 0n },
      ],
    });
    expect(regions.get('z')!.physAddr).toBe(AUTO_PHYS_BASE + 0x2000n);
    expect(regions.get('fixed')!.physFixed).toBe(true);
    expect(regions.get('z')!.physFixed).toBe(false);
  });
});
