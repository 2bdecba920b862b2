// Issue 12 part 5: every permission, window and bounds check of impl/mem at its edges (exactly at
// the end, one past, wrap-around of the address arithmetic), through the public accessors, with
// the address space's one-entry cache warm and cold, against brute-force oracles that look at
// each byte (not at interval formulas).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import type { Perms } from '../../../spec/system/model.ts';
import { AddressSpace, type MappingSpec } from '../../../impl/mem/address-space.ts';
import { PdFaultTrap, type PdAccess, type PdFaultKind } from '../../../impl/mem/fault.ts';
import type { MmioDevice } from '../../../impl/mem/types.ts';

// ---------------------------------------------------------------- the oracle

interface OMap {
  readonly spec: MappingSpec;
  readonly shadow: Uint8Array | null; // test-side copy of the bytes (shared by aliases)
}

/** The map holding byte `a`, by looking at each map's bytes one by one (no interval maths). */
function mapOfByte(maps: readonly OMap[], a: number): OMap | undefined {
  for (const m of maps) {
    for (let i = 0; i < m.spec.sizeBytes; i++) if (m.spec.vaddr + i === a) return m;
  }
  return undefined;
}

function allows(p: Perms, access: PdAccess): boolean {
  return { read: p.r, write: p.w, exec: p.x, atomic: p.r && p.w }[access];
}

type Expect =
  | { readonly ok: true; readonly map: OMap }
  | { readonly ok: false; readonly kind: PdFaultKind | 'invariant' };

/**
 * What an access of `len` bytes at `vaddr` must do: its first byte must be mapped and every
 * other byte mapped by the same map (an access straddling two maps faults, ADR 009), with the
 * perm; device maps take only aligned 32-bit accesses (`word` accessors), atomics views only
 * `align`-aligned normal memory.
 */
function oracle(
  maps: readonly OMap[],
  a: { vaddr: number; len: number; access: PdAccess; kind: AccessorKind; align?: number },
): Expect {
  if (!Number.isSafeInteger(a.len) || a.len < 0) return { ok: false, kind: 'invariant' };
  if (!Number.isSafeInteger(a.vaddr) || a.vaddr < 0) return { ok: false, kind: 'unmapped' };
  const m = mapOfByte(maps, a.vaddr);
  if (m === undefined) return { ok: false, kind: 'unmapped' };
  for (let i = 1; i < a.len; i++)
    if (mapOfByte(maps, a.vaddr + i) !== m) return { ok: false, kind: 'unmapped' };
  if (!allows(m.spec.perms, a.access)) return { ok: false, kind: 'permission' };
  const mmio = m.spec.mmio !== null;
  const offset = a.vaddr - m.spec.vaddr;
  switch (a.kind) {
    case 'window': // a typed array over the buffer: normal memory, aligned in the buffer too
      if (mmio) return { ok: false, kind: 'alignment' };
      if (a.vaddr % a.align! !== 0 || offset % a.align! !== 0)
        return { ok: false, kind: 'alignment' };
      break;
    case 'word': // device registers: aligned 32-bit accesses only
      if (mmio && offset % 4 !== 0) return { ok: false, kind: 'alignment' };
      break;
    case 'bytes':
      if (mmio) return { ok: false, kind: 'alignment' };
      break;
    case 'exec':
      break;
  }
  return { ok: true, map: m };
}

// ---------------------------------------------------------------- accessors

type AccessorKind = 'bytes' | 'word' | 'window' | 'exec';

interface Accessor {
  readonly name: string;
  readonly access: PdAccess;
  readonly kind: AccessorKind;
  /** Fixed width, or null when the length is an argument. */
  readonly width: number | null;
  readonly align?: number;
  /** Runs it; returns the bytes read (LE) or written, for the value check. */
  run(as: AddressSpace, vaddr: number, len: number, fill: number): Uint8Array | null;
}

const le = (v: bigint, n: number) =>
  Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
const val = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const pattern = (fill: number, n: number) =>
  Uint8Array.from({ length: n }, (_, i) => (fill + 37 * i) & 0xff);

const ACCESSORS: readonly Accessor[] = [
  {
    name: 'read8',
    access: 'read',
    kind: 'bytes',
    width: 1,
    run: (as, v) => le(BigInt(as.read8(v)), 1),
  },
  {
    name: 'read16',
    access: 'read',
    kind: 'bytes',
    width: 2,
    run: (as, v) => le(BigInt(as.read16(v)), 2),
  },
  {
    name: 'read32',
    access: 'read',
    kind: 'word',
    width: 4,
    run: (as, v) => le(BigInt(as.read32(v)), 4),
  },
  { name: 'read64', access: 'read', kind: 'bytes', width: 8, run: (as, v) => le(as.read64(v), 8) },
  {
    name: 'write8',
    access: 'write',
    kind: 'bytes',
    width: 1,
    run: (as, v, _n, f) => (as.write8(v, f), pattern(f, 1)),
  },
  {
    name: 'write16',
    access: 'write',
    kind: 'bytes',
    width: 2,
    run: (as, v, _n, f) => (as.write16(v, Number(val(pattern(f, 2)))), pattern(f, 2)),
  },
  {
    name: 'write32',
    access: 'write',
    kind: 'word',
    width: 4,
    run: (as, v, _n, f) => (as.write32(v, Number(val(pattern(f, 4)))), pattern(f, 4)),
  },
  {
    name: 'write64',
    access: 'write',
    kind: 'bytes',
    width: 8,
    run: (as, v, _n, f) => (as.write64(v, val(pattern(f, 8))), pattern(f, 8)),
  },
  {
    name: 'readBytes',
    access: 'read',
    kind: 'bytes',
    width: null,
    run: (as, v, n) => as.readBytes(v, n),
  },
  {
    name: 'writeBytes',
    access: 'write',
    kind: 'bytes',
    width: null,
    run: (as, v, n, f) => (as.writeBytes(v, pattern(f, n)), pattern(f, n)),
  },
  { name: 'exec', access: 'exec', kind: 'exec', width: 4, run: (as, v) => (as.exec(v), null) },
  {
    name: 'sharedWindow',
    access: 'atomic',
    kind: 'window',
    width: null,
    align: 1,
    run: (as, v, n) => (as.sharedWindow(v, n), null),
  },
  {
    name: 'atomicsU32',
    access: 'atomic',
    kind: 'window',
    width: null,
    align: 4,
    run: (as, v, n) => (as.atomicsU32(v, n / 4), null),
  },
  {
    name: 'atomicsU16',
    access: 'atomic',
    kind: 'window',
    width: null,
    align: 2,
    run: (as, v, n) => (as.atomicsU16(v, n / 2), null),
  },
];

type Seen =
  | { readonly ok: true; readonly bytes: Uint8Array | null }
  | { readonly ok: false; readonly kind: PdFaultKind | 'invariant'; readonly vaddr?: number };

function attempt(f: () => Uint8Array | null): Seen {
  try {
    return { ok: true, bytes: f() };
  } catch (e) {
    if (e instanceof PdFaultTrap) return { ok: false, kind: e.fault.kind, vaddr: e.fault.vaddr };
    if (e instanceof InvariantError) return { ok: false, kind: 'invariant' };
    throw e;
  }
}

// ---------------------------------------------------------------- the world

class Device implements MmioDevice {
  readonly regs: Uint8Array;
  constructor(
    readonly name: string,
    readonly sizeBytes: number,
  ) {
    this.regs = new Uint8Array(sizeBytes);
  }
  read32(o: number): number {
    return Number(val(this.regs.slice(o, o + 4)));
  }
  write32(o: number, v: number): void {
    this.regs.set(le(BigInt(v >>> 0), 4), o);
  }
  irqAsserted(): boolean {
    return false;
  }
}

interface RawMap {
  readonly sizeBytes: number;
  readonly gap: number;
  readonly perms: Perms;
  readonly device: boolean;
  /** Alias the previous map's buffer (same MR mapped twice) when sizes agree. */
  readonly alias: boolean;
}

const TOP = Number.MAX_SAFE_INTEGER; // 2^53 − 1: the highest end a map may have

/** Lays maps out from `base` (or so that the last ends exactly at 2^53 − 1). */
function world(raw: readonly RawMap[], base: number | 'top'): { maps: OMap[]; as: AddressSpace } {
  const total = raw.reduce((n, m) => n + m.gap + m.sizeBytes, 0);
  let at = base === 'top' ? TOP - total : base;
  const maps: OMap[] = [];
  for (const [i, m] of raw.entries()) {
    at += m.gap;
    const prev = maps[maps.length - 1];
    const reuse = m.alias && prev?.spec.buffer !== null && prev?.spec.sizeBytes === m.sizeBytes;
    const buffer = m.device ? null : reuse ? prev!.spec.buffer : new SharedArrayBuffer(m.sizeBytes);
    const shadow = m.device ? null : reuse ? prev!.shadow : new Uint8Array(m.sizeBytes);
    const mmio = m.device ? new Device(`dev${i}`, m.sizeBytes) : null;
    maps.push({
      spec: {
        mr: `mr${i}`,
        vaddr: at,
        sizeBytes: m.sizeBytes,
        perms: m.perms,
        cached: !m.device,
        buffer,
        mmio,
      },
      shadow,
    });
    at += m.sizeBytes;
  }
  // Build with the maps in another order: the address space sorts them.
  return {
    maps,
    as: new AddressSpace(
      'pd',
      [...maps].reverse().map((m) => m.spec),
    ),
  };
}

const rawMapArb: fc.Arbitrary<RawMap> = fc.record({
  sizeBytes: fc.constantFrom(1, 2, 3, 4, 7, 8, 12, 16, 24),
  gap: fc.constantFrom(0, 0, 1, 3, 8),
  perms: fc.record({ r: fc.boolean(), w: fc.boolean(), x: fc.boolean() }),
  device: fc.nat(3).map((x) => x === 0), // one map in four is a device
  alias: fc.boolean(),
});

/** Offsets around a map's edges: before, at, just after the start; at, one past, past the end. */
function edgeAddrs(m: MappingSpec, width: number): number[] {
  const s = m.vaddr;
  const e = m.vaddr + m.sizeBytes;
  return [s - 1, s, s + 1, s + 2, e - width - 1, e - width, e - width + 1, e - 1, e, e + 1];
}

interface Step {
  readonly accessor: number;
  readonly map: number;
  readonly edge: number;
  readonly lenPick: number;
  readonly warm: boolean;
  readonly fill: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  accessor: fc.nat(ACCESSORS.length - 1),
  map: fc.nat(),
  edge: fc.nat(9),
  lenPick: fc.nat(6),
  warm: fc.boolean(),
  fill: fc.integer({ min: 0, max: 255 }),
});

/** A cheap allowed access that leaves memory as it was, to load the map into the cache. */
function warm(as: AddressSpace, m: MappingSpec): void {
  const p = m.perms;
  if (p.r && m.mmio !== null && m.sizeBytes >= 4) as.read32(m.vaddr);
  else if (p.r && m.mmio === null) as.read8(m.vaddr);
  else if (p.x && m.sizeBytes >= 4) as.exec(m.vaddr);
  else if (p.w && m.mmio === null) as.writeBytes(m.vaddr, new Uint8Array(0));
}

function lengthOf(acc: Accessor, m: MappingSpec, pick: number): number {
  if (acc.width !== null) return acc.width;
  const unit = acc.align ?? 1;
  const whole = m.sizeBytes - (m.sizeBytes % unit); // atomics views take whole elements
  return Math.max(0, [0, unit, 2 * unit, whole, whole + unit, whole - unit, 4 * unit][pick]!);
}

function checkStep(maps: readonly OMap[], as: AddressSpace, st: Step): void {
  const acc = ACCESSORS[st.accessor]!;
  const target = maps[st.map % maps.length]!;
  const len = lengthOf(acc, target.spec, st.lenPick);
  const vaddr = edgeAddrs(target.spec, Math.max(len, 1))[st.edge]!;
  if (st.warm) warm(as, target.spec);
  const want = oracle(maps, {
    vaddr,
    len,
    access: acc.access,
    kind: acc.kind,
    ...(acc.align ? { align: acc.align } : {}),
  });
  const what = `${acc.name}(0x${vaddr.toString(16)}, ${len}) ${st.warm ? 'warm' : 'cold'} on ${target.spec.mr} [0x${target.spec.vaddr.toString(16)}, +${target.spec.sizeBytes}) perms ${JSON.stringify(target.spec.perms)}${target.spec.mmio ? ' mmio' : ''}`;
  const seen = attempt(() => acc.run(as, vaddr, len, st.fill));
  expect(seen.ok ? 'ok' : seen.kind, what).toBe(want.ok ? 'ok' : want.kind);
  // check() (the non-throwing lookup) agrees on mapping and perms; it does not look at widths.
  const checked = attempt(() => {
    const f = as.check(vaddr, len, acc.access);
    if (f !== null) throw new PdFaultTrap(f);
    return null;
  });
  const checkWant = want.ok || want.kind === 'alignment' ? 'ok' : want.kind;
  expect(checked.ok ? 'ok' : checked.kind, `check ${what}`).toBe(checkWant);
  if (!want.ok || !seen.ok || seen.bytes === null || want.map.shadow === null) return;
  const off = vaddr - want.map.spec.vaddr;
  if (acc.access === 'read') {
    expect(Array.from(seen.bytes), what).toEqual(
      Array.from(want.map.shadow.subarray(off, off + len)),
    );
  } else {
    want.map.shadow.set(seen.bytes, off);
    expect(Array.from(new Uint8Array(want.map.spec.buffer!, off, len)), what).toEqual(
      Array.from(seen.bytes),
    );
  }
}

describe('AddressSpace at its edges, cache warm and cold, against a byte-by-byte oracle', () => {
  it('every accessor at start−1, start, end−w, end−w+1, end and end+1 of every map', () => {
    fc.assert(
      fc.property(
        fc.array(rawMapArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom<number | 'top'>(0, 0x1000, 'top'),
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        (raw, base, steps) => {
          const { maps, as } = world(raw, base);
          for (const st of steps) checkStep(maps, as, st);
          // Memory the accessors wrote equals the shadow everywhere (nothing written elsewhere).
          for (const m of maps)
            if (m.shadow) expect(new Uint8Array(m.spec.buffer!)).toEqual(m.shadow);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the cached map never lets a later access past the map end, a perm, or a bad argument', () => {
    const buf = new SharedArrayBuffer(16);
    const as = new AddressSpace('pd', [
      {
        mr: 'a',
        vaddr: 0x1000,
        sizeBytes: 16,
        perms: { r: true, w: false, x: false },
        cached: true,
        buffer: buf,
        mmio: null,
      },
      {
        mr: 'b',
        vaddr: 0x1010,
        sizeBytes: 16,
        perms: { r: true, w: true, x: false },
        cached: true,
        buffer: new SharedArrayBuffer(16),
        mmio: null,
      },
    ]);
    const kindOf = (f: () => unknown) => attempt(() => (f(), null));
    for (const v of [0x1000, 0x1008]) {
      as.read8(0x1000); // 'a' is the cached map
      expect(kindOf(() => as.read64(v + 1))).toMatchObject(
        v === 0x1008 ? { ok: false, kind: 'unmapped', vaddr: 0x1010 } : { ok: true },
      );
      as.read8(0x1000);
      expect(kindOf(() => as.write8(v, 1))).toMatchObject({ ok: false, kind: 'permission' });
    }
    // Straddling the boundary of two adjacent maps faults even when each byte is mapped.
    as.read8(0x1000);
    expect(kindOf(() => as.read16(0x100f))).toMatchObject({ ok: false, kind: 'unmapped' });
    // A fractional address or a negative / fractional length is refused warm as it is cold.
    const fresh = () =>
      new AddressSpace('pd', [
        {
          mr: 'b',
          vaddr: 0x1000,
          sizeBytes: 32,
          perms: { r: true, w: true, x: false },
          cached: true,
          buffer: new SharedArrayBuffer(32),
          mmio: null,
        },
      ]);
    const bad: [string, (s: AddressSpace) => unknown, PdFaultKind | 'invariant'][] = [
      ['read8 at a fractional vaddr', (s) => s.read8(4096.5), 'unmapped'],
      ['write32 at a fractional vaddr', (s) => s.write32(4100.25, 1), 'unmapped'],
      ['readBytes of -1 bytes', (s) => s.readBytes(0x1004, -1), 'invariant'],
      ['readBytes of 1.5 bytes', (s) => s.readBytes(0x1004, 1.5), 'invariant'],
      ['sharedWindow of -4 bytes', (s) => s.sharedWindow(0x1004, -4), 'invariant'],
    ];
    for (const [name, f, kind] of bad) {
      expect(
        kindOf(() => f(fresh())),
        `cold ${name}`,
      ).toMatchObject({ ok: false, kind });
      const warm = fresh();
      warm.read8(0x1000); // the map is cached
      expect(
        kindOf(() => f(warm)),
        `warm ${name}`,
      ).toMatchObject({ ok: false, kind });
    }
  });

  it('a map ending exactly at 2^53 − 1: the last bytes are reachable, one past is not, and nothing wraps', () => {
    const size = 16;
    const start = TOP - size;
    const buf = new SharedArrayBuffer(size);
    const as = new AddressSpace('pd', [
      {
        mr: 'top',
        vaddr: start,
        sizeBytes: size,
        perms: { r: true, w: true, x: false },
        cached: true,
        buffer: buf,
        mmio: null,
      },
      {
        mr: 'zero',
        vaddr: 0,
        sizeBytes: 16,
        perms: { r: true, w: true, x: false },
        cached: true,
        buffer: new SharedArrayBuffer(16),
        mmio: null,
      },
    ]);
    as.write8(TOP - 1, 0xab);
    expect(as.read8(TOP - 1)).toBe(0xab);
    expect(as.read64(TOP - 8)).toBe(0xab00_0000_0000_0000n);
    for (const [f, kind] of [
      [() => as.read8(TOP), 'unmapped'],
      [() => as.read16(TOP - 1), 'unmapped'],
      [() => as.read64(TOP - 7), 'unmapped'],
      [() => as.readBytes(TOP - 1, Number.MAX_SAFE_INTEGER), 'unmapped'],
      [() => as.read8(TOP + 1), 'unmapped'],
      [() => as.read8(2 ** 53), 'unmapped'],
    ] as const) {
      as.read8(start); // warm: the top map is cached
      expect(attempt(() => (f(), null))).toMatchObject({ ok: false, kind });
    }
  });
});

describe('AddressSpace construction and messages', () => {
  const m = (over: Partial<MappingSpec>): MappingSpec => ({
    mr: 'm',
    vaddr: 0x1000,
    sizeBytes: 16,
    perms: { r: true, w: false, x: false },
    cached: true,
    buffer: new SharedArrayBuffer(16),
    mmio: null,
    ...over,
  });
  const dev = new Device('d', 16);

  it('refuses maps it cannot hold: negative, past 2^53, backed twice or not at all, overlapping', () => {
    expect(() => new AddressSpace('p', [m({ vaddr: -16 })])).toThrow(InvariantError);
    expect(() => new AddressSpace('p', [m({ vaddr: TOP - 15 })])).toThrow(/fits below 2\^53/);
    expect(() => new AddressSpace('p', [m({ vaddr: TOP - 16 })])).not.toThrow();
    expect(() => new AddressSpace('p', [m({ mmio: dev })])).toThrow(
      /exactly one of memory or a device/,
    );
    expect(() => new AddressSpace('p', [m({ buffer: null })])).toThrow(
      /exactly one of memory or a device/,
    );
    expect(() => new AddressSpace('p', [m({ vaddr: 0 }), m({ vaddr: 15, mr: 'n' })])).toThrow(
      /'m' and 'n' in 'p' do not overlap/,
    );
    expect(() => new AddressSpace('p', [m({ vaddr: 0 }), m({ vaddr: 16, mr: 'n' })])).not.toThrow();
  });

  it('every width is little-endian, with bytes that differ (a palindrome would hide the order)', () => {
    const buf = new SharedArrayBuffer(16);
    const as = new AddressSpace('p', [m({ buffer: buf, perms: { r: true, w: true, x: false } })]);
    new Uint8Array(buf).set([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(as.read16(0x1000)).toBe(0x0201);
    expect(as.read32(0x1000)).toBe(0x04030201);
    expect(as.read64(0x1000)).toBe(0x0807060504030201n);
    as.write16(0x1008, 0x0a0b);
    as.write32(0x100a, 0x0c0d0e0f);
    as.write64(0x1008, 0x1112131415161718n);
    expect(Array.from(new Uint8Array(buf, 8, 8))).toEqual([
      0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,
    ]);
    as.write16(0x1000, 0x0a0b);
    as.write32(0x1004, 0x0c0d0e0f);
    expect(Array.from(new Uint8Array(buf, 0, 8))).toEqual([
      0x0b, 0x0a, 3, 4, 0x0f, 0x0e, 0x0d, 0x0c,
    ]);
  });

  it('fault messages name the PD, the access, the map and its perms', () => {
    const as = new AddressSpace('pd0', [
      m({}),
      m({ mr: 'wx', vaddr: 0x2000, perms: { r: false, w: true, x: true } }),
    ]);
    const fault = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof PdFaultTrap) return e.fault;
      }
      throw new Error('no fault');
    };
    expect(fault(() => as.write8(0x1000, 1))).toMatchObject({
      kind: 'permission',
      pd: 'pd0',
      vaddr: 0x1000,
      access: 'write',
      lengthBytes: 1,
      message: "pd0: write through map of 'm' with perms 'r'",
    });
    expect(fault(() => as.read8(0x2000)).message).toBe(
      "pd0: read through map of 'wx' with perms 'wx'",
    );
    expect(fault(() => as.read32(0x100e))).toMatchObject({
      kind: 'unmapped',
      vaddr: 0x1010,
      message: "pd0: read of 4 bytes runs past the map of 'm'",
    });
    expect(fault(() => as.read8(0x3000)).message).toBe('pd0: read at 0x3000 outside every map');
    expect(fault(() => as.read8(-1))).toMatchObject({
      vaddr: 0,
      message: 'pd0: vaddr -1 is not an address',
    });
    expect(fault(() => as.atomicsU32(0x1002, 1))).toMatchObject({
      kind: 'permission',
      access: 'atomic',
    });
    expect(as.describe()).toEqual([
      {
        mr: 'm',
        vaddr: 0x1000,
        sizeBytes: 16,
        perms: { r: true, w: false, x: false },
        cached: true,
      },
      {
        mr: 'wx',
        vaddr: 0x2000,
        sizeBytes: 16,
        perms: { r: false, w: true, x: true },
        cached: true,
      },
    ]);
    const io = new AddressSpace('drv', [
      m({ buffer: null, mmio: dev, perms: { r: true, w: true, x: false } }),
    ]);
    expect(fault(() => io.read8(0x1000))).toMatchObject({
      kind: 'alignment',
      lengthBytes: 1,
      message: "drv: this device's registers are accessed 32 bits at a time",
    });
    expect(fault(() => io.write32(0x1002, 0))).toMatchObject({
      kind: 'alignment',
      lengthBytes: 4,
      access: 'write',
      message: 'drv: 32-bit MMIO register access at unaligned offset 2',
    });
    const rw = new AddressSpace('q', [m({ perms: { r: true, w: true, x: false } })]);
    expect(fault(() => rw.atomicsU16(0x1001, 1))).toMatchObject({
      kind: 'alignment',
      access: 'atomic',
      lengthBytes: 2,
      message: 'q: atomic view not aligned to 2 bytes',
    });
    expect(rw.sharedWindow(0x1004, 8)).toMatchObject({ byteOffset: 4, lengthBytes: 8 });
    // A map at an address that is not word aligned: an aligned vaddr is still an unaligned
    // offset in the buffer, which no Uint32Array can start at (a fault, not a RangeError).
    const odd = new AddressSpace('q', [
      m({ vaddr: 0x1003, sizeBytes: 16, perms: { r: true, w: true, x: false } }),
    ]);
    expect(fault(() => odd.atomicsU32(0x1004, 1))).toMatchObject({
      kind: 'alignment',
      access: 'atomic',
    });
    expect(odd.sharedWindow(0x1004, 4).byteOffset).toBe(1); // byte granularity is fine
  });
});
