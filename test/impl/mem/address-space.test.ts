import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AddressSpace, type MappingSpec } from '../../../impl/mem/address-space.ts';
import { PdFaultTrap, type PdFault } from '../../../impl/mem/fault.ts';
import type { MmioDevice } from '../../../impl/mem/types.ts';

const rw = { r: true, w: true, x: false };
const ro = { r: true, w: false, x: false };
const rx = { r: true, w: false, x: true };

function map(
  mr: string,
  vaddr: number,
  sizeBytes: number,
  perms: MappingSpec['perms'],
  buffer = new SharedArrayBuffer(sizeBytes),
): MappingSpec {
  return { mr, vaddr, sizeBytes, perms, cached: true, buffer, mmio: null };
}

function faultOf(f: () => unknown): PdFault {
  try {
    f();
  } catch (e) {
    if (e instanceof PdFaultTrap) return e.fault;
    throw e;
  }
  throw new Error('expected a PdFaultTrap, the access succeeded');
}

describe('AddressSpace', () => {
  it('reads and writes every width little-endian through an rw map, shared with a second PD at another vaddr', () => {
    const buf = new SharedArrayBuffer(0x1000);
    const a = new AddressSpace('a', [map('shared', 0x10_000, 0x1000, rw, buf)]);
    const b = new AddressSpace('b', [map('shared', 0x80_000, 0x1000, ro, buf)]);
    a.write8(0x10_000, 0x1ff);
    a.write16(0x10_002, 0x12345);
    a.write32(0x10_004, -1);
    a.write64(0x10_008, -2n);
    a.writeBytes(0x10_010, new Uint8Array([9, 8, 7]));
    expect(b.read8(0x80_000)).toBe(0xff);
    expect(b.read16(0x80_002)).toBe(0x2345);
    expect(b.read32(0x80_004)).toBe(0xffff_ffff);
    expect(b.read64(0x80_008)).toBe(0xffff_ffff_ffff_fffen);
    expect([...b.readBytes(0x80_010, 3)]).toEqual([9, 8, 7]);
    expect(new Uint8Array(buf)[2]).toBe(0x45); // little-endian low byte first
  });

  it('faults a write through an r mapping and leaves memory unchanged', () => {
    const buf = new SharedArrayBuffer(0x1000);
    const as = new AddressSpace('virt_rx', [map('rx_dma', 0x2000_0000, 0x1000, ro, buf)]);
    const f = faultOf(() => as.write32(0x2000_0010, 0xdead));
    expect(f).toMatchObject({
      kind: 'permission',
      pd: 'virt_rx',
      vaddr: 0x2000_0010,
      access: 'write',
    });
    expect(new Uint32Array(buf)[4]).toBe(0);
    expect(faultOf(() => as.writeBytes(0x2000_0000, new Uint8Array(4))).kind).toBe('permission');
    expect(as.read32(0x2000_0010)).toBe(0);
  });

  it('faults an access outside every map, and one that runs past the end of a map', () => {
    const as = new AddressSpace('client0', [map('data', 0x1000, 0x1000, rw)]);
    expect(faultOf(() => as.read8(0x3000))).toMatchObject({
      kind: 'unmapped',
      vaddr: 0x3000,
      access: 'read',
    });
    expect(faultOf(() => as.read8(0xfff)).kind).toBe('unmapped');
    expect(faultOf(() => as.read32(0x1ffe)).kind).toBe('unmapped');
    expect(faultOf(() => as.write64(-8, 0n)).kind).toBe('unmapped');
    expect(as.read32(0x1ffc)).toBe(0);
  });

  it('faults executing data; allows exec of an x mapping', () => {
    const as = new AddressSpace('driver', [
      map('data', 0x1000, 0x1000, rw),
      map('code', 0x4000, 0x1000, rx),
    ]);
    expect(faultOf(() => as.exec(0x1000))).toMatchObject({ kind: 'permission', access: 'exec' });
    expect(() => as.exec(0x4000)).not.toThrow();
  });

  it('check() reports the fault without throwing, and null when allowed', () => {
    const as = new AddressSpace('p', [map('data', 0x1000, 0x1000, ro)]);
    expect(as.check(0x1000, 4, 'read')).toBeNull();
    expect(as.check(0x1000, 4, 'write')?.kind).toBe('permission');
    expect(as.check(0x9000, 1, 'read')?.kind).toBe('unmapped');
  });

  it('hands out an Atomics view only for an rw mapping, aligned', () => {
    const buf = new SharedArrayBuffer(0x1000);
    const as = new AddressSpace('p', [
      map('queue', 0x1000, 0x1000, rw, buf),
      map('ro', 0x4000, 0x1000, ro),
    ]);
    const words = as.atomicsU32(0x1008, 2);
    Atomics.store(words, 1, 7);
    expect(new Uint32Array(buf)[3]).toBe(7);
    expect(as.atomicsU16(0x1002, 1).length).toBe(1);
    expect(faultOf(() => as.atomicsU32(0x4000, 1))).toMatchObject({
      kind: 'permission',
      access: 'atomic',
    });
    expect(faultOf(() => as.atomicsU32(0x1002, 1)).kind).toBe('alignment');
    expect(faultOf(() => as.atomicsU32(0x1ffc, 2)).kind).toBe('unmapped');
  });

  it('routes 32-bit accesses of a device mapping to the device, and refuses other widths', () => {
    const writes: [number, number][] = [];
    const dev: MmioDevice = {
      name: 'uart',
      sizeBytes: 0x1000,
      read32: (o) => o + 1,
      write32: (o, v) => void writes.push([o, v]),
      irqAsserted: () => false,
    };
    const as = new AddressSpace('driver', [
      {
        mr: 'uart',
        vaddr: 0x9000,
        sizeBytes: 0x1000,
        perms: rw,
        cached: false,
        buffer: null,
        mmio: dev,
      },
    ]);
    expect(as.read32(0x9010)).toBe(0x11);
    as.write32(0x9044, 5);
    expect(writes).toEqual([[0x44, 5]]);
    expect(faultOf(() => as.read8(0x9000)).kind).toBe('alignment');
    expect(faultOf(() => as.read32(0x9002)).kind).toBe('alignment');
    expect(faultOf(() => as.atomicsU32(0x9000, 1)).kind).toBe('alignment');
  });

  it('routes 8/16/64-bit accesses to a device that decodes them; unaligned ones fault; a refused one is a bus error (issue #14)', () => {
    const log: string[] = [];
    const dev: MmioDevice = {
      name: 'nic',
      sizeBytes: 0x200,
      read32: (o) => (log.push(`r32 ${o}`), 0x32),
      write32: (o, v) => void log.push(`w32 ${o} ${v}`),
      read8: (o) => (log.push(`r8 ${o}`), 0x8),
      read16: (o) => (o === 0x10 ? { kind: 'bus-error', reason: 'no 16-bit here' } : 0x16),
      read64: (o) => (log.push(`r64 ${o}`), 0x64n),
      write8: (o, v) => (log.push(`w8 ${o} ${v}`), null),
      write16: (o, v) => (log.push(`w16 ${o} ${v}`), null),
      write64: (o, v) => (
        log.push(`w64 ${o} ${v}`),
        o === 0x18 ? { kind: 'bus-error', reason: 'x' } : null
      ),
      irqAsserted: () => false,
    };
    const as = new AddressSpace('driver', [
      {
        mr: 'nic',
        vaddr: 0x9000,
        sizeBytes: 0x1000,
        perms: rw,
        cached: false,
        buffer: null,
        mmio: dev,
      },
    ]);
    expect(as.read8(0x9101)).toBe(0x8);
    expect(as.read16(0x9106)).toBe(0x16);
    expect(as.read64(0x9108)).toBe(0x64n);
    as.write8(0x9103, 0x1ff);
    as.write16(0x9002, 0x1_ffff);
    as.write64(0x9008, -1n);
    expect(log).toEqual([
      'r8 257',
      'r64 264',
      'w8 259 255',
      'w16 2 65535',
      `w64 8 ${(1n << 64n) - 1n}`,
    ]);
    expect(faultOf(() => as.read16(0x9101))).toMatchObject({ kind: 'alignment', lengthBytes: 2 });
    expect(faultOf(() => as.read64(0x9104)).kind).toBe('alignment');
    expect(faultOf(() => as.write16(0x9001, 0)).kind).toBe('alignment');
    expect(faultOf(() => as.write64(0x9004, 0n)).kind).toBe('alignment');
    expect(faultOf(() => as.read16(0x9010))).toMatchObject({
      kind: 'bus-error',
      access: 'read',
      message: 'driver: bus error: no 16-bit here',
    });
    expect(faultOf(() => as.write64(0x9018, 1n))).toMatchObject({
      kind: 'bus-error',
      access: 'write',
    });
  });

  it('rejects overlapping maps at construction (Microkit rejects them too)', () => {
    expect(
      () => new AddressSpace('p', [map('a', 0x1000, 0x2000, rw), map('b', 0x2000, 0x1000, rw)]),
    ).toThrow(/do not overlap/);
  });
});

describe('AddressSpace against a reference model (random maps and accesses)', () => {
  it('an access is allowed exactly when one map covers all of it with the needed perm', () => {
    const permsArb = fc.record({ r: fc.boolean(), w: fc.boolean(), x: fc.boolean() });
    const mapsArb = fc
      .uniqueArray(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 5 })
      .chain((pages) =>
        fc.tuple(
          ...pages.map((p) =>
            fc.record({
              page: fc.constant(p),
              pages: fc.integer({ min: 1, max: 2 }),
              perms: permsArb,
            }),
          ),
        ),
      );
    const accessArb = fc.record({
      vaddr: fc.integer({ min: 0, max: 18 * 0x1000 }),
      len: fc.constantFrom(1, 2, 4, 8, 64),
      access: fc.constantFrom<'read' | 'write' | 'exec' | 'atomic'>(
        'read',
        'write',
        'exec',
        'atomic',
      ),
    });
    fc.assert(
      fc.property(
        mapsArb,
        fc.array(accessArb, { minLength: 1, maxLength: 20 }),
        (raw, accesses) => {
          // Drop maps that would overlap an earlier one (Microkit rejects overlaps).
          const maps: MappingSpec[] = [];
          for (const m of raw) {
            const start = m.page * 0x1000;
            const end = start + m.pages * 0x1000;
            if (maps.some((o) => start < o.vaddr + o.sizeBytes && o.vaddr < end)) continue;
            maps.push(map(`mr${m.page}`, start, m.pages * 0x1000, m.perms));
          }
          const as = new AddressSpace('p', maps);
          for (const a of accesses) {
            const cover = maps.find(
              (m) => a.vaddr >= m.vaddr && a.vaddr + a.len <= m.vaddr + m.sizeBytes,
            );
            const p = cover?.perms;
            const ok =
              p !== undefined &&
              (a.access === 'read'
                ? p.r
                : a.access === 'write'
                  ? p.w
                  : a.access === 'exec'
                    ? p.x
                    : p.r && p.w);
            expect(as.check(a.vaddr, a.len, a.access) === null).toBe(ok);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('AddressSpace hands out no backing buffer of a read-only map', () => {
  it('describe() lists maps without buffers; no property of the object reaches one', () => {
    const buf = new SharedArrayBuffer(0x1000);
    const as = new AddressSpace('virt_rx', [map('rx_dma', 0x1000, 0x1000, ro, buf)]);
    expect(as.describe()).toEqual([
      { mr: 'rx_dma', vaddr: 0x1000, sizeBytes: 0x1000, perms: ro, cached: true },
    ]);
    // Walk every property reachable without the types (TS `private` would not hide it).
    const seen = new Set<unknown>();
    const walk = (v: unknown, depth: number): boolean => {
      if (v === buf) return true;
      if (typeof v !== 'object' || v === null || seen.has(v) || depth > 5) return false;
      seen.add(v);
      return Object.values(v).some((x) => walk(x, depth + 1));
    };
    expect(walk(as, 0)).toBe(false);
    expect(walk({ leak: [{ x: buf }] }, 0)).toBe(true); // the walker itself can find one
  });
});

describe('readInto (the copier path): readBytes without the intermediate copy', () => {
  it('reads what readBytes reads, at every offset and length of a mapping, into the given place', () => {
    fc.assert(
      fc.property(fc.nat(64), fc.nat(64), fc.nat(8), (off, len, at) => {
        const buffer = new SharedArrayBuffer(64);
        new Uint8Array(buffer).forEach((_, i, a) => (a[i] = (i * 7 + 3) & 0xff));
        const as = new AddressSpace('copier', [map('rx_dma', 0x2000, 64, ro, buffer)]);
        const dst = new Uint8Array(80).fill(0xee);
        // Past the end, or at 0x2040 itself (outside every map whatever the length, so a
        // zero-length read there faults too): readInto faults exactly as readBytes does.
        if (off + len > 64 || off === 64) {
          expect(faultOf(() => as.readInto(0x2000 + off, len, dst, at))).toEqual(
            faultOf(() => as.readBytes(0x2000 + off, len)),
          );
          expect(dst.every((b) => b === 0xee)).toBe(true);
          return;
        }
        as.readInto(0x2000 + off, len, dst, at);
        expect(dst.subarray(at, at + len)).toEqual(as.readBytes(0x2000 + off, len));
        expect(dst.subarray(0, at).every((b) => b === 0xee)).toBe(true);
        expect(dst.subarray(at + len).every((b) => b === 0xee)).toBe(true);
      }),
      // The edges every run: a zero-length read at the end (it faults), and the last byte.
      {
        examples: [
          [64, 0, 0],
          [63, 1, 0],
          [0, 64, 8],
        ],
      },
    );
  });

  it('faults on a mapping without r, as readBytes does', () => {
    const as = new AddressSpace('p', [map('w_only', 0x1000, 16, { r: false, w: true, x: false })]);
    const dst = new Uint8Array(16);
    expect(faultOf(() => as.readInto(0x1000, 4, dst, 0))).toEqual(
      faultOf(() => as.readBytes(0x1000, 4)),
    );
  });
});
