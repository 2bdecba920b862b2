// Issue 12 part 5: the whole-system rules of impl/sdf/validate.ts checked by fast-check against an
// independent, simple oracle. Generated systems (one element per line, so a diagnostic's line
// names its element) go through `parseSystem`; the oracle decides every rule by brute force:
// map and physical overlap by the 4 KiB pages each range covers (never an interval formula),
// bounds by each page, IRQ and channel-id clashes by walking the declarations in order.
//
// Where Microkit stops at the first error, the collect-all behaviour is ours (ADR 005): an
// overlapping map (or fixed MR) is still placed, so a later one that overlaps only it is reported
// too, against the first placed range it shares a page with.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSystem, SDF_CODES } from '../../../impl/sdf/index.ts';

const SMALL = 0x1000n;
const LARGE = 0x20_0000n;
const U64_END = 1n << 64n;
/** Default stack 0x2000: PD maps must end at or below 0xffffffe000 − 0x2000 (microkit-sdf.md §1.3). */
const PD_MAP_END = 0xff_ffff_c000n;
const PHYS_BASE = 0x9000_0000n;
/** VM maps end at or below 2^40 (microkit-sdf.md §1.3 virtual_machine map). */
const VM_MAP_END = 1n << 40n;

interface GenMr {
  readonly pages: number;
  readonly large: boolean;
  /** Page index of phys_addr from PHYS_BASE, or 'top' (ends at 2^64) / 'below-top' (one page lower). */
  readonly phys: number | 'top' | 'below-top' | null;
}
interface GenMap {
  /** Index of an MR, or −1 for an undeclared name. */
  readonly mr: number;
  readonly at: number | 'high' | 'high-1' | 'high+1';
  readonly misalign: boolean;
}
interface GenPd {
  readonly priority: number;
  readonly maps: readonly GenMap[];
  /** Maps of the PD's virtual machine, or null for none (VM maps end at or below 2^40). */
  readonly vm: readonly GenMap[] | null;
  readonly irqs: readonly { readonly irq: number; readonly id: number }[];
}
interface GenChannel {
  readonly a: number;
  readonly b: number;
  readonly ida: number;
  readonly idb: number;
  readonly pp: 'none' | 'a' | 'b';
}
interface GenSystem {
  readonly mrs: readonly GenMr[];
  readonly pds: readonly GenPd[];
  readonly channels: readonly GenChannel[];
}

const mapArb: fc.Arbitrary<GenMap> = fc.record({
  mr: fc.oneof({ arbitrary: fc.constant(-1), weight: 1 }, { arbitrary: fc.nat(4), weight: 6 }),
  at: fc.oneof(
    fc.constantFrom(0, 1, 2, 3, 4, 6, 512, 513, 1024),
    fc.constantFrom<'high' | 'high-1' | 'high+1'>('high', 'high-1', 'high+1'),
  ),
  misalign: fc.nat(9).map((x) => x === 0),
});

const systemArb: fc.Arbitrary<GenSystem> = fc
  .record({
    mrs: fc.array(
      fc.record({
        pages: fc.integer({ min: 1, max: 3 }),
        large: fc.nat(4).map((x) => x === 0),
        phys: fc.oneof(
          fc.constant(null),
          fc.integer({ min: 0, max: 8 }),
          fc.constantFrom<'top' | 'below-top'>('top', 'below-top'),
        ),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    pds: fc.array(
      fc.record({
        priority: fc.integer({ min: 0, max: 4 }),
        maps: fc.array(mapArb, { maxLength: 4 }),
        vm: fc.option(fc.array(mapArb, { maxLength: 3 }), { nil: null }),
        irqs: fc.array(
          fc.record({ irq: fc.integer({ min: 1, max: 5 }), id: fc.integer({ min: 0, max: 3 }) }),
          {
            maxLength: 2,
          },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    channels: fc.array(
      fc.record({
        a: fc.nat(2),
        b: fc.nat(2),
        ida: fc.integer({ min: 0, max: 3 }),
        idb: fc.integer({ min: 0, max: 3 }),
        pp: fc.constantFrom<'none' | 'a' | 'b'>('none', 'a', 'b'),
      }),
      { maxLength: 3 },
    ),
  })
  .map((s) => ({
    ...s,
    // Maps mostly name a declared MR (−1 stays undeclared).
    pds: s.pds.map((p) => ({
      ...p,
      maps: p.maps.map((m) => ({ ...m, mr: m.mr < 0 ? -1 : m.mr % s.mrs.length })),
    })),
    // Channels join two different, existing PDs (same-PD and unknown-PD ends are parse errors).
    channels: s.channels
      .map((c) => ({ ...c, a: c.a % s.pds.length, b: c.b % s.pds.length }))
      .filter((c) => c.a !== c.b),
  }));

const pageOf = (m: GenMr): bigint => (m.large ? LARGE : SMALL);
const sizeOf = (m: GenMr): bigint => BigInt(m.pages) * pageOf(m);

function physOf(m: GenMr): bigint | null {
  if (m.phys === null) return null;
  if (m.phys === 'top') return U64_END - sizeOf(m);
  if (m.phys === 'below-top') return U64_END - sizeOf(m) - pageOf(m);
  return PHYS_BASE + BigInt(m.phys) * pageOf(m);
}

function vaddrOf(s: GenSystem, map: GenMap, top = PD_MAP_END): bigint {
  const mr = s.mrs[map.mr];
  const size = mr === undefined ? SMALL : sizeOf(mr);
  const skew = map.misalign ? 0x800n : 0n;
  switch (map.at) {
    case 'high':
      return top - size + skew;
    case 'high-1':
      return top - size - SMALL + skew;
    case 'high+1':
      return top - size + SMALL + skew;
    default:
      return BigInt(map.at) * SMALL + skew;
  }
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** The system as text, one element per line; `lines` says which line holds what. */
function render(s: GenSystem): { text: string; lines: Map<string, number> } {
  const out = ['<system>'];
  const lines = new Map<string, number>();
  const line = (key: string, text: string) => {
    out.push(text);
    lines.set(key, out.length);
  };
  s.mrs.forEach((m, i) => {
    const phys = physOf(m);
    line(
      `mr${i}`,
      `<memory_region name="m${i}" size="${hex(sizeOf(m))}"${m.large ? ' page_size="0x200000"' : ''}${
        phys === null ? '' : ` phys_addr="${hex(phys)}"`
      } />`,
    );
  });
  s.pds.forEach((p, i) => {
    line(`pd${i}`, `<protection_domain name="p${i}" priority="${p.priority}">`);
    out.push('<program_image path="x" />');
    p.maps.forEach((m, j) =>
      line(
        `pd${i}.map${j}`,
        `<map mr="${m.mr < 0 ? 'nope' : `m${m.mr}`}" vaddr="${hex(vaddrOf(s, m))}" />`,
      ),
    );
    p.irqs.forEach((q, j) => line(`pd${i}.irq${j}`, `<irq irq="${q.irq}" id="${q.id}" />`));
    if (p.vm !== null) {
      out.push(`<virtual_machine name="vm${i}">`, '<vcpu id="0" />');
      p.vm.forEach((m, j) =>
        line(
          `vm${i}.map${j}`,
          `<map mr="${m.mr < 0 ? 'nope' : `m${m.mr}`}" vaddr="${hex(vaddrOf(s, m, VM_MAP_END))}" />`,
        ),
      );
      out.push('</virtual_machine>');
    }
    out.push('</protection_domain>');
  });
  s.channels.forEach((c, k) =>
    line(
      `ch${k}`,
      `<channel><end pd="p${c.a}" id="${c.ida}"${c.pp === 'a' ? ' pp="true"' : ''} /><end pd="p${c.b}" id="${c.idb}"${
        c.pp === 'b' ? ' pp="true"' : ''
      } /></channel>`,
    ),
  );
  out.push('</system>');
  return { text: out.join('\n'), lines };
}

/** The 4 KiB pages of [start, start + size), one by one. */
function pages(start: bigint, size: bigint): Set<bigint> {
  const out = new Set<bigint>();
  for (let a = start; a < start + size; a += SMALL) out.add(a / SMALL);
  return out;
}

const shares = (a: Set<bigint>, b: Set<bigint>) => [...a].some((p) => b.has(p));

/** Every diagnostic the rules must give, as `CODE@line`, by brute force. */
function oracle(s: GenSystem, lines: Map<string, number>): string[] {
  const out: string[] = [];
  const at = (code: string, key: string): void => void out.push(`${code}@${lines.get(key)!}`);
  // IRQ numbers: one claimant system-wide; IRQ ids: unique within a PD.
  const claimed: number[] = [];
  s.pds.forEach((p, i) =>
    p.irqs.forEach((q, j) => {
      if (claimed.includes(q.irq)) at(SDF_CODES.duplicateIrq, `pd${i}.irq${j}`);
      claimed.push(q.irq);
    }),
  );
  s.pds.forEach((p, i) =>
    p.irqs.forEach((q, j) => {
      if (p.irqs.slice(0, j).some((o) => o.id === q.id))
        at(SDF_CODES.duplicateChannelId, `pd${i}.irq${j}`);
    }),
  );
  // Channel ids: taken by the PD's IRQs and by every earlier channel end of that PD.
  const used = s.pds.map((p) => p.irqs.map((q) => q.id));
  s.channels.forEach((c, k) => {
    if (used[c.a]!.includes(c.ida)) at(SDF_CODES.duplicateChannelId, `ch${k}`);
    if (used[c.b]!.includes(c.idb)) at(SDF_CODES.duplicateChannelId, `ch${k}`);
    const [caller, callee] = c.pp === 'a' ? [c.a, c.b] : [c.b, c.a];
    if (c.pp !== 'none' && s.pds[caller]!.priority >= s.pds[callee]!.priority)
      at(SDF_CODES.ppcPriority, `ch${k}`);
    used[c.a]!.push(c.ida);
    used[c.b]!.push(c.idb);
  });
  // Maps, per PD then its VM: declared MR, aligned to its page size, every page below the
  // owner's limit, no page shared with an earlier map of the same owner.
  const checkMaps = (maps: readonly GenMap[], keyOf: (j: number) => string, top: bigint) => {
    const placed: Set<bigint>[] = [];
    maps.forEach((m, j) => {
      const key = keyOf(j);
      const mr = s.mrs[m.mr];
      const vaddr = vaddrOf(s, m, top);
      if (vaddr >= top) return at(SDF_CODES.mapVaddrMax, key); // parse time: map dropped
      if (mr === undefined) return at(SDF_CODES.unknownMr, key);
      if (vaddr % pageOf(mr) !== 0n) return at(SDF_CODES.mapAlign, key);
      const mine = pages(vaddr, sizeOf(mr));
      if ([...mine].some((pg) => (pg + 1n) * SMALL > top)) return at(SDF_CODES.mapBound, key);
      if (placed.some((o) => shares(o, mine))) at(SDF_CODES.mapOverlap, key);
      placed.push(mine);
    });
  };
  s.pds.forEach((p, i) => {
    checkMaps(p.maps, (j) => `pd${i}.map${j}`, PD_MAP_END);
    if (p.vm !== null) checkMaps(p.vm, (j) => `vm${i}.map${j}`, VM_MAP_END);
  });
  // Fixed MRs: the exclusive end must be a u64; no page shared with an earlier fixed MR.
  const placed: Set<bigint>[] = [];
  s.mrs.forEach((m, i) => {
    const phys = physOf(m);
    if (phys === null) return;
    if (phys + sizeOf(m) >= U64_END) return at(SDF_CODES.physOverflow, `mr${i}`);
    const mine = pages(phys, sizeOf(m));
    if (placed.some((o) => shares(o, mine))) at(SDF_CODES.physOverlap, `mr${i}`);
    placed.push(mine);
  });
  // Unused MRs (a warning): no map names them.
  s.mrs.forEach((_, i) => {
    const names = (p: GenPd) => [...p.maps, ...(p.vm ?? [])].some((m) => m.mr === i);
    if (!s.pds.some(names)) at(SDF_CODES.unusedMr, `mr${i}`);
  });
  return out.sort();
}

describe('validate.ts whole-system rules against a brute-force oracle', () => {
  it('maps, fixed MRs, IRQs, channel ids and PPC priorities', () => {
    fc.assert(
      fc.property(systemArb, (s) => {
        const { text, lines } = render(s);
        const r = parseSystem(text, { file: 'gen.system', dialect: '2' });
        const seen = [...r.errors, ...r.warnings].map((d) => `${d.code}@${d.line}`).sort();
        expect(seen, text).toEqual(oracle(s, lines));
      }),
      { numRuns: 400 },
    );
  });

  it('names the first placed map or MR an overlapping one shares a page with', () => {
    fc.assert(
      fc.property(systemArb, (s) => {
        const { text } = render(s);
        const r = parseSystem(text, { file: 'gen.system', dialect: '2' });
        for (const d of r.errors.filter(
          (e) => e.code === SDF_CODES.mapOverlap || e.code === SDF_CODES.physOverlap,
        )) {
          // The message's two ranges share a page, by the same brute force.
          const ranges = [...d.message.matchAll(/\[(0x[0-9a-f]+)\.\.(0x[0-9a-f]+)\)/g)].map(
            ([, a, b]) => pages(BigInt(a!), BigInt(b!) - BigInt(a!)),
          );
          expect(ranges, d.message).toHaveLength(2);
          expect(shares(ranges[0]!, ranges[1]!), d.message).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------- names

describe('name rules against a counting oracle', () => {
  it('duplicate PD, MR and VM names, the reserved monitor name, long PD names', () => {
    const nameArb = fc.constantFrom('a', 'b', 'monitor', 'x'.repeat(64), 'y'.repeat(65));
    fc.assert(
      fc.property(
        fc.array(nameArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom('m', 'n'), { maxLength: 3 }),
        fc.array(fc.option(fc.constantFrom('v', 'w'), { nil: null }), { maxLength: 4 }),
        (pds, mrs, vms) => {
          const out = ['<system>'];
          const want: string[] = [];
          mrs.forEach((n, i) => {
            out.push(`<memory_region name="${n}" size="0x1000" />`);
            if (mrs.indexOf(n) < i) want.push(`${SDF_CODES.duplicateMrName}@${out.length}`);
            want.push(`${SDF_CODES.unusedMr}@${out.length}`);
          });
          const vmSeen: string[] = [];
          pds.forEach((n, i) => {
            out.push(`<protection_domain name="${n}" priority="${i + 1}">`);
            const line = out.length;
            out.push('<program_image path="x" />');
            const vm = vms[i] ?? null;
            if (vm !== null) {
              out.push(`<virtual_machine name="${vm}"><vcpu id="0" /></virtual_machine>`);
              if (vmSeen.includes(vm)) want.push(`${SDF_CODES.duplicateVmName}@${out.length}`);
              vmSeen.push(vm);
            }
            out.push('</protection_domain>');
            if (pds.indexOf(n) < i) want.push(`${SDF_CODES.duplicatePdName}@${line}`);
            if (n === 'monitor') want.push(`${SDF_CODES.reservedPdName}@${line}`);
            if (n.length > 64) want.push(`${SDF_CODES.nameTruncated}@${line}`);
          });
          out.push('</system>');
          const r = parseSystem(out.join('\n'), { file: 'names.system', dialect: '2' });
          const seen = [...r.errors, ...r.warnings].map((d) => `${d.code}@${d.line}`).sort();
          expect(seen, out.join('\n')).toEqual(want.sort());
        },
      ),
      { numRuns: 200 },
    );
  });
});
