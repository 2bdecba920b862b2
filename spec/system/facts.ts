// Derived facts of a SystemModel (pure): what each PD can reach and whom it can signal or call.
// The least-privilege auditor (reference least-privilege-policy.md) reasons over these, not over XML.
// Ranges are half-open [start, end) bigint (STYLE.md "Integers are exact").
//
// Dialect 1 (microkit-sdf.md §1.1): pp on <protection_domain> Y means "Y may be PP-called"; Microkit
// 1.x gives every channel peer of Y the endpoint, so each peer X gets a PPC edge X → Y, marked
// `legacyPp`. Dialect 2: pp on the <end> of X means X may PP-call the other end. The parser sets
// each only where its dialect has it (a 1.x end has notify true and pp false; a 2.x PD has no
// ppLegacy), and a mixed file keeps both with their own meaning.
//
// The auditor (spec/system/audit) also derives its facts here, from the `partialModel` impl/sdf
// returns when Microkit validation fails: with `partial`, a map of an undeclared MR and a channel
// end naming an undeclared PD are skipped or left without rights instead of asserting, and a
// repeated PD name resolves to its first declaration.

import { assert } from '../common/assert.ts';
import type {
  Irq,
  Mapping,
  Perms,
  ProtectionDomain,
  SourceLocation,
  SystemModel,
} from './model.ts';

export type MapperKind = 'pd' | 'vm';

export interface AddressSpaceEntry {
  readonly mr: string;
  /** Inclusive start of the mapping. */
  readonly vaddrStart: bigint;
  /** Exclusive end: vaddrStart + MR size. */
  readonly vaddrEnd: bigint;
  readonly perms: Perms;
  readonly cached: boolean;
  readonly loc: SourceLocation;
}

export interface Mapper {
  /** PD name, or the VM name for a VM's maps. */
  readonly name: string;
  readonly kind: MapperKind;
  /** The PD that owns the VM (same as `name` for a PD). */
  readonly pd: string;
  readonly vaddr: bigint;
  readonly perms: Perms;
  readonly cached: boolean;
  readonly loc: SourceLocation;
  /** The `<map>` itself (attribute locations for findings). */
  readonly map: Mapping;
}

/** One direction of a channel: `from` holds `fromId`, its peer `to` holds `toId`. */
export interface ChannelEdge {
  readonly from: string;
  readonly to: string;
  readonly fromId: number;
  readonly toId: number;
  /** `from` may notify `to` (2.x `notify` on from's end; always true in 1.x). */
  readonly notify: boolean;
  /** `from` may PP-call `to`. */
  readonly pp: boolean;
  /** The PPC right comes from a 1.x PD-level pp on `to` (every peer gets it). */
  readonly legacyPp: boolean;
  /** Index into model.channels. */
  readonly channel: number;
  readonly loc: SourceLocation;
}

export interface PpcEdge {
  readonly caller: string;
  readonly callee: string;
  readonly callerPriority: number;
  readonly calleePriority: number;
  readonly legacyPp: boolean;
  readonly channel: number;
  readonly loc: SourceLocation;
}

export interface SystemFacts {
  /** Address space of each PD (keyed by PD name), sorted by vaddr. */
  readonly addressSpaces: ReadonlyMap<string, readonly AddressSpaceEntry[]>;
  /** Guest-physical space of each VM (keyed by VM name: VM and PD names are separate namespaces). */
  readonly vmAddressSpaces: ReadonlyMap<string, readonly AddressSpaceEntry[]>;
  /** Every PD and VM that maps `mr`, with its perms, in model order. */
  mappersOf(mr: string): readonly Mapper[];
  readonly channelEdges: readonly ChannelEdge[];
  readonly ppcEdges: readonly PpcEdge[];
  irqsOf(pd: string): readonly Irq[];
  pd(name: string): ProtectionDomain | undefined;
  /**
   * The page size Microkit will really use for `mr`: an MR without a written page_size starts at
   * 4 KiB and is promoted to 2 MiB when its size, every vaddr it is mapped at and its phys_addr are
   * 2 MiB aligned (microkit-sdf.md §1.3, sdf.rs "Optimise page size of MRs").
   */
  effectivePageSizeOf(mr: string): bigint | undefined;
}

export const SMALL_PAGE_BYTES = 0x1000n;
export const LARGE_PAGE_BYTES = 0x200000n;

export interface DeriveOptions {
  /**
   * The model may be a `partialModel` (validation failed): skip maps of undeclared MRs, give no
   * PD-level pp through a channel end naming an undeclared PD, and leave PPC edges with such an
   * end out of `ppcEdges` (they stay in `channelEdges`). Without it, either is an InvariantError.
   */
  readonly partial?: boolean;
}

/** Facts of a validated model (every map names an existing MR; see impl/sdf), or of a partial one. */
export function deriveFacts(model: SystemModel, opts: DeriveOptions = {}): SystemFacts {
  const partial = opts.partial === true;
  const mrSize = new Map(model.memoryRegions.map((m) => [m.name, m.sizeBytes] as const));
  // A repeated PD name (a validation error) resolves to its first declaration.
  const pds = new Map<string, ProtectionDomain>();
  for (const p of model.pds) if (!pds.has(p.name)) pds.set(p.name, p);
  const spaces = new Map<string, AddressSpaceEntry[]>();
  const vmSpaces = new Map<string, AddressSpaceEntry[]>();
  const mappers = new Map<string, Mapper[]>();
  for (const pd of model.pds) {
    const owners: { name: string; kind: MapperKind; maps: ProtectionDomain['maps'] }[] = [
      { name: pd.name, kind: 'pd', maps: pd.maps },
    ];
    if (pd.virtualMachine !== undefined) {
      owners.push({ name: pd.virtualMachine.name, kind: 'vm', maps: pd.virtualMachine.maps });
    }
    for (const o of owners) {
      const entries: AddressSpaceEntry[] = [];
      for (const m of o.maps) {
        const size = mrSize.get(m.mr);
        assert(partial || size !== undefined, () => `map of unknown MR '${m.mr}' in '${o.name}'`);
        if (size === undefined) continue; // partial model: the parser reports the map
        entries.push({
          mr: m.mr,
          vaddrStart: m.vaddr,
          vaddrEnd: m.vaddr + size,
          perms: m.perms,
          cached: m.cached,
          loc: m.loc,
        });
        const list = mappers.get(m.mr) ?? [];
        list.push({
          name: o.name,
          kind: o.kind,
          pd: pd.name,
          vaddr: m.vaddr,
          perms: m.perms,
          cached: m.cached,
          loc: m.loc,
          map: m,
        });
        mappers.set(m.mr, list);
      }
      entries.sort((a, b) =>
        a.vaddrStart < b.vaddrStart ? -1 : a.vaddrStart > b.vaddrStart ? 1 : 0,
      );
      (o.kind === 'pd' ? spaces : vmSpaces).set(o.name, entries);
    }
  }
  const channelEdges = deriveChannelEdges(model, pds, partial);
  const ppcEdges: PpcEdge[] = [];
  for (const e of channelEdges) {
    if (!e.pp) continue;
    const caller = pds.get(e.from);
    const callee = pds.get(e.to);
    const known = caller !== undefined && callee !== undefined;
    assert(partial || known, 'channel ends name PDs of the model');
    if (caller === undefined || callee === undefined) continue;
    ppcEdges.push({
      caller: e.from,
      callee: e.to,
      callerPriority: caller.priority,
      calleePriority: callee.priority,
      legacyPp: e.legacyPp,
      channel: e.channel,
      loc: e.loc,
    });
  }
  return {
    addressSpaces: spaces,
    vmAddressSpaces: vmSpaces,
    mappersOf: (mr) => mappers.get(mr) ?? [],
    channelEdges,
    ppcEdges,
    irqsOf: (name) => pds.get(name)?.irqs ?? [],
    effectivePageSizeOf: (name) => effectivePageSize(model, name, mappers.get(name) ?? []),
    pd: (name) => pds.get(name),
  };
}

function effectivePageSize(
  model: SystemModel,
  name: string,
  maps: readonly Mapper[],
): bigint | undefined {
  const mr = model.memoryRegions.find((m) => m.name === name);
  if (mr === undefined) return undefined;
  if (mr.pageSizeExplicit || mr.sizeBytes % LARGE_PAGE_BYTES !== 0n) return mr.pageSizeBytes;
  const addrs = maps.map((m) => m.vaddr);
  if (mr.physAddr !== undefined) addrs.push(mr.physAddr);
  const aligned = addrs.every((a) => a % LARGE_PAGE_BYTES === 0n);
  assert(mr.pageSizeBytes === SMALL_PAGE_BYTES, () => `implicit page size of '${name}' is 4 KiB`);
  return aligned ? LARGE_PAGE_BYTES : SMALL_PAGE_BYTES;
}

function deriveChannelEdges(
  model: SystemModel,
  pds: ReadonlyMap<string, ProtectionDomain>,
  partial: boolean,
): ChannelEdge[] {
  const edges: ChannelEdge[] = [];
  model.channels.forEach((ch, index) => {
    const [a, b] = ch.ends;
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const callee = pds.get(other.pd);
      assert(partial || callee !== undefined, () => `channel end names unknown PD '${other.pd}'`);
      // A 1.x PD-level pp (dialect 1, or a mixed file that the parser read with both meanings).
      const legacyPp = callee?.ppLegacy === true;
      edges.push({
        from: self.pd,
        to: other.pd,
        fromId: self.id,
        toId: other.id,
        notify: self.notify,
        pp: legacyPp || self.pp,
        legacyPp,
        channel: index,
        loc: self.loc,
      });
    }
  });
  return edges;
}
