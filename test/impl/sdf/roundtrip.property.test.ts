// Property: for random *valid* models of either dialect, parse(emit(m)) == m (modulo locations),
// and emit is a fixed point. Models are valid by construction: aligned, disjoint maps; ids drawn
// from one pool per PD (shared by IRQs and channel ends, microkit-sdf.md §1.5); globally unique IRQ
// numbers; PPC only towards strictly higher priority; names that need XML escaping.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emitSystem, parseSystem } from '../../../impl/sdf/index.ts';
import { deriveFacts } from '../../../spec/system/facts.ts';
import type {
  Channel,
  ChannelEnd,
  Dialect,
  Irq,
  Mapping,
  MemoryRegion,
  ProtectionDomain,
  SystemModel,
} from '../../../spec/system/model.ts';

const LOC = { file: 'gen', line: 1, column: 1 };
const PAGE = [0x1000n, 0x200000n] as const;
/** Every map sits in its own 256 MiB slot, so maps never overlap and are 2 MiB aligned. */
const SLOT = 0x1000_0000n;

function stripped(m: SystemModel | undefined): unknown {
  return JSON.parse(
    JSON.stringify(m, (k, v: unknown) =>
      k === 'loc' || k === 'attrLocs' || k === 'file'
        ? undefined
        : typeof v === 'bigint'
          ? `${v}n`
          : v,
    ),
  );
}

const nameChars = fc.constantFrom('a', 'b', '_', '0', '&', '<', '"', "'", '>', ' ', 'é');
const suffix = fc.string({ unit: nameChars, maxLength: 4 });

interface Shape {
  readonly dialect: Dialect;
  readonly mrs: readonly {
    suffix: string;
    pages: number;
    big: boolean;
    explicit: boolean;
    phys: boolean;
  }[];
  readonly pds: readonly {
    suffix: string;
    parent: number;
    priority: number;
    budget: number;
    extra: number;
    passive: boolean;
    stackPages: number;
    ppLegacy: boolean;
    cpu: number;
    smc: boolean;
    fpu: boolean;
    maps: readonly { mr: number; perms: number; cached: boolean; setvar: boolean; size: boolean }[];
    irqs: number;
    edge: boolean;
    vm: boolean;
    setvars: number;
  }[];
  readonly channels: readonly {
    a: number;
    b: number;
    pp: number;
    notifyA: boolean;
    notifyB: boolean;
  }[];
}

const shape: fc.Arbitrary<Shape> = fc.record({
  dialect: fc.constantFrom('1' as const, '2' as const),
  mrs: fc.array(
    fc.record({
      suffix,
      pages: fc.integer({ min: 1, max: 4 }),
      big: fc.boolean(),
      explicit: fc.boolean(),
      phys: fc.boolean(),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  pds: fc.array(
    fc.record({
      suffix,
      parent: fc.integer({ min: -3, max: 10 }),
      priority: fc.integer({ min: 0, max: 254 }),
      budget: fc.integer({ min: 1, max: 5000 }),
      extra: fc.integer({ min: 0, max: 3 }),
      passive: fc.boolean(),
      stackPages: fc.integer({ min: 1, max: 16 }),
      ppLegacy: fc.boolean(),
      cpu: fc.integer({ min: 0, max: 3 }),
      smc: fc.boolean(),
      fpu: fc.boolean(),
      maps: fc.array(
        fc.record({
          mr: fc.nat(),
          perms: fc.constantFrom(0, 1, 3, 4, 5, 7),
          cached: fc.boolean(),
          setvar: fc.boolean(),
          size: fc.boolean(),
        }),
        { maxLength: 4 },
      ),
      irqs: fc.integer({ min: 0, max: 3 }),
      edge: fc.boolean(),
      vm: fc.boolean(),
      setvars: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: 1, maxLength: 7 },
  ),
  channels: fc.array(
    fc.record({
      a: fc.nat(),
      b: fc.nat(),
      pp: fc.constantFrom(0, 1, 2),
      notifyA: fc.boolean(),
      notifyB: fc.boolean(),
    }),
    { maxLength: 8 },
  ),
});

/** Build the model the parser must produce for this shape (pre-order PD list, defaults applied). */
function modelOf(s: Shape): SystemModel {
  const v2 = s.dialect === '2';
  const mrs: MemoryRegion[] = s.mrs.map((m, i) => {
    const page = m.big ? PAGE[1] : PAGE[0];
    return {
      name: `mr${i}${m.suffix}`,
      sizeBytes: page * BigInt(m.pages),
      pageSizeBytes: page,
      pageSizeExplicit: m.big || m.explicit,
      ...(m.phys ? { physAddr: 0x4000_0000n * BigInt(i + 1) } : {}),
      loc: LOC,
    };
  });
  // Tree: PD i's parent is an earlier PD (or none); list it pre-order like pd_tree_to_list.
  const parentOf = s.pds.map((p, i) => (p.parent >= 0 && p.parent < i ? p.parent : -1));
  const order: number[] = [];
  const visit = (i: number): void => {
    order.push(i);
    parentOf.forEach((p, j) => {
      if (p === i) visit(j);
    });
  };
  parentOf.forEach((p, i) => {
    if (p === -1) visit(i);
  });
  const name = (i: number): string => `pd${i}${s.pds[i]?.suffix ?? ''}`;
  const nextId = s.pds.map(() => 0);
  const take = (i: number): number => {
    const id = nextId[i] ?? 0;
    nextId[i] = id + 1;
    return id;
  };
  let irqNumber = 32;
  const pds: ProtectionDomain[] = order.map((i) => {
    const p = s.pds[i];
    if (p === undefined) throw new Error('index');
    const parent = parentOf[i] ?? -1;
    const maps: Mapping[] = p.maps.map((m, k) => {
      const mr = mrs[m.mr % mrs.length];
      if (mr === undefined) throw new Error('mr');
      return {
        mr: mr.name,
        vaddr: SLOT * BigInt(k + 1),
        perms: { r: (m.perms & 1) !== 0, w: (m.perms & 2) !== 0, x: (m.perms & 4) !== 0 },
        cached: m.cached,
        ...(m.setvar ? { setvarVaddr: `v${k}` } : {}),
        ...(m.size && v2 ? { setvarSize: `s${k}` } : {}),
        loc: LOC,
      };
    });
    // Child ids live in the parent's id space; keep them apart from its vCPU ids (50+).
    const childId = parent >= 0 ? i : undefined;
    const irqs: Irq[] = Array.from({ length: p.irqs }, () => ({
      irq: irqNumber++,
      id: take(i),
      trigger: p.edge ? ('edge' as const) : ('level' as const),
      kind: 'conventional' as const,
      ...(v2 && p.edge ? { setvarId: `irq${irqNumber}` } : {}),
      loc: LOC,
    }));
    const budgetUs = BigInt(p.budget);
    return {
      name: name(i),
      priority: p.priority,
      budgetUs,
      periodUs: budgetUs + BigInt(p.extra * 100),
      passive: p.passive,
      stackSizeBytes: 0x1000n * BigInt(p.stackPages),
      cpu: v2 ? p.cpu : 0,
      smc: v2 && p.smc,
      fpu: v2 ? p.fpu : true,
      ppLegacy: !v2 && p.ppLegacy,
      ...(childId === undefined ? {} : { childId, parent: name(parent) }),
      programImage: `${name(i)}.elf`,
      ...(v2 && p.smc ? { programImagePathForSymbols: `${name(i)}.sym` } : {}),
      ...(v2 && childId !== undefined && p.fpu ? { setvarId: `child${i}` } : {}),
      maps,
      irqs,
      setvars: Array.from({ length: p.setvars }, (_, k) => ({
        symbol: `p${k}`,
        regionPaddr: mrs[k % mrs.length]?.name ?? '',
        loc: LOC,
      })),
      ...(p.vm
        ? {
            virtualMachine: {
              name: `vm${i}`,
              ...(v2 ? { priority: p.priority } : {}),
              // 1.4.1 allows one vCPU per VM.
              vcpus: v2 ? [{ id: 50 }, { id: 51, cpu: 1 }] : [{ id: 50 }],
              maps: [
                {
                  mr: mrs[0]?.name ?? '',
                  vaddr: SLOT,
                  perms: { r: true, w: true, x: true },
                  cached: false,
                  loc: LOC,
                },
              ],
              loc: LOC,
            },
          }
        : {}),
      loc: LOC,
    };
  });
  const byIndex = new Map(order.map((i, k) => [i, pds[k]] as const));
  const channels: Channel[] = [];
  for (const c of s.channels) {
    const ia = c.a % s.pds.length;
    const ib = c.b % s.pds.length;
    const pa = byIndex.get(ia);
    const pb = byIndex.get(ib);
    if (pa === undefined || pb === undefined) continue;
    if ((nextId[ia] ?? 62) >= 61 || (nextId[ib] ?? 62) >= 61) continue;
    const ida = take(ia);
    const idb = take(ib);
    // 2.x: pp only from the strictly lower priority end.
    const ppA = v2 && c.pp === 1 && pa.priority < pb.priority;
    const ppB = v2 && c.pp === 2 && pb.priority < pa.priority;
    const end = (pd: ProtectionDomain, id: number, pp: boolean, notify: boolean): ChannelEnd => ({
      pd: pd.name,
      id,
      pp,
      notify: v2 ? notify : true,
      ...(v2 && pp ? { setvarId: `ch${id}` } : {}),
      loc: LOC,
    });
    channels.push({
      ends: [end(pa, ida, ppA, c.notifyA), end(pb, idb, ppB, c.notifyB)],
      loc: LOC,
    });
  }
  return {
    file: 'gen',
    dialect: s.dialect,
    microkit: { version: v2 ? '2.3' : '1.4', arch: 'aarch64' },
    memoryRegions: mrs,
    pds,
    channels,
  };
}

describe('emit/parse round trip on generated models', () => {
  it('parse(emit(m)) equals m and emit is a fixed point (200 runs)', () => {
    // What the generated models exercised: each must be hit, or the property proves little.
    const seen = { children: 0, vms: 0, pp: 0, legacyPp: 0, notifyFalse: 0, escaped: 0, phys: 0 };
    fc.assert(
      fc.property(shape, (s) => {
        const model = modelOf(s);
        seen.children += model.pds.filter((p) => p.parent !== undefined).length;
        seen.vms += model.pds.filter((p) => p.virtualMachine !== undefined).length;
        seen.pp += model.channels.filter((c) => c.ends.some((e) => e.pp)).length;
        seen.legacyPp += model.pds.filter((p) => p.ppLegacy).length;
        seen.notifyFalse += model.channels.filter((c) => c.ends.some((e) => !e.notify)).length;
        seen.escaped += model.pds.filter((p) => /[&<>"']/u.test(p.name)).length;
        seen.phys += model.memoryRegions.filter((m) => m.physAddr !== undefined).length;
        const text = emitSystem(model);
        const r = parseSystem(text, { file: 'gen.system', dialect: model.dialect });
        expect(r.errors).toEqual([]);
        expect(stripped(r.model)).toEqual(stripped(model));
        if (r.model !== undefined) expect(emitSystem(r.model)).toBe(text);
      }),
      { numRuns: 200 },
    );
    for (const [what, count] of Object.entries(seen)) {
      expect(count, what).toBeGreaterThan(5);
    }
  });

  it('cross-dialect emission stays valid and keeps the PPC rights it can express (150 runs)', () => {
    const key = (e: { caller: string; callee: string; channel: number }): string =>
      `${e.channel}:${e.caller}->${e.callee}`;
    fc.assert(
      fc.property(shape, (s) => {
        const model = modelOf(s);
        const other = model.dialect === '1' ? '2' : '1';
        const r = parseSystem(emitSystem(model, { dialect: other }), {
          file: 'gen.system',
          dialect: other,
        });
        expect(r.errors).toEqual([]);
        if (r.model === undefined) return;
        const before = deriveFacts(model).ppcEdges;
        const after = new Set(deriveFacts(r.model).ppcEdges.map(key));
        if (other === '2') {
          // 1 → 2 keeps exactly the grants 2.x can express: caller strictly below callee.
          const expressible = before.filter((e) => e.callerPriority < e.calleePriority).map(key);
          expect([...after].sort()).toEqual(expressible.sort());
        } else {
          // 2 → 1 widens: every 2.x grant is still there.
          for (const e of before) expect(after.has(key(e))).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the comparison notices a changed model (the property can fail)', () => {
    const model = modelOf(fc.sample(shape, { numRuns: 1, seed: 7 })[0] as Shape);
    const first = model.pds[0];
    if (first === undefined) throw new Error('no PD');
    const changed = {
      ...model,
      pds: [{ ...first, priority: (first.priority + 1) % 255 }, ...model.pds.slice(1)],
    };
    const r = parseSystem(emitSystem(changed), { file: 'gen.system', dialect: model.dialect });
    expect(stripped(r.model)).not.toEqual(stripped(model));
  });
});
