// Global validation in one visible place, in Microkit's order (microkit-sdf.md §1.4):
// flatten the PD tree (child ids) → parse channels → ≥1 PD → ≤63 PDs → PD names / `monitor` →
// MR names → VM names → IRQ numbers → IRQ ids → per channel: end ids (a, b), PPC priority →
// maps per PD then its VM → physical overlap of fixed MRs → unused MR (warning) → setvar regions.
// Collect-all: every rule reports every violation; errors[0] is Microkit's first error.
//
// Locations: Microkit points duplicate IRQ / channel-id errors at the PD element; we point at the
// offending <irq> or <end> (the PD is named in the message). See docs/adr/005-sdf-parser.md.

import type {
  Channel,
  Mapping,
  MemoryRegion,
  ProtectionDomain,
  SourceLocation,
  SystemModel,
} from '../../spec/system/model.ts';
import { assert } from '../../spec/common/assert.ts';
import type { ParseContext } from './context.ts';
import { SDF_CODES } from './diagnostics.ts';
import { hex, U64_MAX } from './number.ts';
import {
  parseChannel,
  pdMapMaxVaddr,
  VM_MAP_MAX_VADDR,
  type LocalParse,
  type ParsedChannel,
  type PdNode,
} from './parse.ts';

/** `lib.rs MAX_PDS`: children count too. */
export const MAX_PDS = 63;
export const RESERVED_PD_NAME = 'monitor';
/** `lib.rs PD_MAX_NAME_LENGTH`: longer names are cut in the monitor's fault messages. */
export const PD_MAX_NAME_LENGTH = 64;

/** `pd_tree_to_list`: pre-order, checking each PD's child ids before descending. */
function flatten(ctx: ParseContext, node: PdNode, out: ProtectionDomain[], depth: number): void {
  assert(depth <= 64, () => `PD tree depth ${depth} beyond the XML depth limit`);
  out.push(node.pd);
  const seen = new Set<number>();
  const vcpuIds = new Set((node.pd.virtualMachine?.vcpus ?? []).map((v) => v.id));
  for (const child of node.children) {
    const id = child.pd.childId;
    if (id === undefined) continue;
    if (seen.has(id)) {
      ctx.error(
        SDF_CODES.childIdDuplicate,
        `duplicate id: ${id} in protection domain: '${node.pd.name}'`,
        child.pd.loc,
      );
    } else if (vcpuIds.has(id)) {
      ctx.error(
        SDF_CODES.childIdVcpu,
        `duplicate id: ${id} clashes with virtual machine vcpu id in protection domain: '${node.pd.name}'`,
        child.pd.loc,
      );
    }
    seen.add(id);
  }
  for (const child of node.children) flatten(ctx, child, out, depth + 1);
}

export interface Validated {
  readonly pds: readonly ProtectionDomain[];
  readonly channels: readonly Channel[];
}

export function validateSystem(ctx: ParseContext, local: LocalParse): Validated {
  const pds: ProtectionDomain[] = [];
  for (const root of local.roots) flatten(ctx, root, pds, 0);
  const pdNames = new Set(pds.map((p) => p.name));
  const parsed: ParsedChannel[] = [];
  for (const el of local.channelEls) {
    const ch = parseChannel(ctx, el, pdNames);
    if (ch !== undefined) parsed.push(ch);
  }
  const sys = local.system.loc;
  if (pds.length === 0)
    ctx.error(SDF_CODES.noPd, 'at least one protection domain must be defined', sys);
  if (pds.length > MAX_PDS) {
    const extra = pds[MAX_PDS];
    ctx.error(
      SDF_CODES.tooManyPds,
      `too many protection domains (${pds.length}) defined. Maximum is ${MAX_PDS}.`,
      extra?.loc ?? sys,
    );
  }
  checkPdNames(ctx, pds);
  checkDuplicates(ctx, local.mrs, SDF_CODES.duplicateMrName, 'memory region');
  const vms = pds.flatMap((p) => (p.virtualMachine === undefined ? [] : [p.virtualMachine]));
  checkDuplicates(ctx, vms, SDF_CODES.duplicateVmName, 'virtual machine');
  checkIrqs(ctx, pds);
  const channels = checkChannels(ctx, pds, parsed);
  const mrByName = new Map(local.mrs.map((m) => [m.name, m] as const));
  for (const pd of pds) {
    checkMaps(
      ctx,
      { mrByName, mrNames: local.mrNames },
      {
        kind: 'protection domain',
        name: pd.name,
        maps: pd.maps,
        maxVaddr: pdMapMaxVaddr(pd.stackSizeBytes),
      },
    );
    const vm = pd.virtualMachine;
    if (vm !== undefined) {
      checkMaps(
        ctx,
        { mrByName, mrNames: local.mrNames },
        {
          kind: 'virtual machine',
          name: vm.name,
          maps: vm.maps,
          maxVaddr: VM_MAP_MAX_VADDR,
        },
      );
    }
  }
  checkPhysOverlap(ctx, local.mrs);
  checkUnused(ctx, local.mrs);
  checkSetvars(ctx, pds, local.mrNames);
  return { pds, channels };
}

function checkPdNames(ctx: ParseContext, pds: readonly ProtectionDomain[]): void {
  const seen = new Set<string>();
  for (const pd of pds) {
    if (seen.has(pd.name)) {
      ctx.error(
        SDF_CODES.duplicatePdName,
        `duplicate protection domain name '${pd.name}'.`,
        pd.loc,
      );
    }
    seen.add(pd.name);
    if (pd.name.length > PD_MAX_NAME_LENGTH) {
      ctx.warn(
        SDF_CODES.nameTruncated,
        `PD name '${pd.name}' is longer than ${PD_MAX_NAME_LENGTH} characters; the monitor truncates it`,
        pd.attrLocs?.['name'] ?? pd.loc,
      );
    }
    if (pd.name === RESERVED_PD_NAME) {
      ctx.error(
        SDF_CODES.reservedPdName,
        `the PD name '${RESERVED_PD_NAME}' is reserved for the Microkit monitor`,
        pd.loc,
      );
    }
  }
}

function checkDuplicates(
  ctx: ParseContext,
  items: readonly { readonly name: string; readonly loc: SourceLocation }[],
  code: typeof SDF_CODES.duplicateMrName | typeof SDF_CODES.duplicateVmName,
  what: string,
): void {
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.name)) ctx.error(code, `duplicate ${what} name '${it.name}'.`, it.loc);
    seen.add(it.name);
  }
}

function checkIrqs(ctx: ParseContext, pds: readonly ProtectionDomain[]): void {
  // A hardware IRQ number may be claimed by one PD only, system-wide.
  const claimed = new Set<number>();
  for (const pd of pds) {
    for (const irq of pd.irqs) {
      if (claimed.has(irq.irq)) {
        ctx.error(
          SDF_CODES.duplicateIrq,
          `duplicate irq: ${irq.irq} in protection domain: '${pd.name}'`,
          irq.loc,
        );
      }
      claimed.add(irq.irq);
    }
  }
  for (const pd of pds) {
    const ids = new Set<number>();
    for (const irq of pd.irqs) {
      if (ids.has(irq.id)) {
        ctx.error(
          SDF_CODES.duplicateChannelId,
          `duplicate channel id: ${irq.id} in protection domain: '${pd.name}'`,
          irq.loc,
        );
      }
      ids.add(irq.id);
    }
  }
}

/** Per channel: end-id clashes (shared with IRQ ids), then the PPC priority rule. */
function checkChannels(
  ctx: ParseContext,
  pds: readonly ProtectionDomain[],
  parsed: readonly ParsedChannel[],
): Channel[] {
  const byName = new Map(pds.map((p) => [p.name, p] as const));
  const ids = new Map<string, Set<number>>();
  for (const pd of pds) ids.set(pd.name, new Set(pd.irqs.map((i) => i.id)));
  const channels: Channel[] = [];
  for (const ch of parsed) {
    const [a, b] = ch.ends;
    assert(
      a !== undefined && b !== undefined && ch.ends.length === 2,
      'parsed channels have two ends',
    );
    for (const e of [a, b]) {
      const used = ids.get(e.end.pd);
      if (used?.has(e.end.id) === true) {
        ctx.error(
          SDF_CODES.duplicateChannelId,
          `duplicate channel id: ${e.end.id} in protection domain: '${e.end.pd}'`,
          e.end.loc,
        );
      }
    }
    const pa = byName.get(a.end.pd);
    const pb = byName.get(b.end.pd);
    assert(pa !== undefined && pb !== undefined, 'channel ends name known PDs');
    for (const [caller, callee, end] of [
      [pa, pb, a],
      [pb, pa, b],
    ] as const) {
      if (end.end.pp && caller.priority >= callee.priority) {
        ctx.error(
          SDF_CODES.ppcPriority,
          `PPCs must be to protection domains of strictly higher priorities; channel with PPC exists from pd ${caller.name} (priority: ${caller.priority}) to pd ${callee.name} (priority: ${callee.priority})`,
          ch.el.loc,
        );
      }
      // 1.x: PD-level pp lets every peer PP-call the PD; Microkit 1.x cannot tell who calls, so we
      // only warn where a peer would call at equal or higher priority (see the ADR).
      if (callee.ppLegacy && caller.priority >= callee.priority) {
        ctx.warn(
          SDF_CODES.legacyPpcPriority,
          `pd ${callee.name} (priority: ${callee.priority}) has pp="true", so pd ${caller.name} (priority: ${caller.priority}) may PP-call it without having strictly lower priority`,
          ch.el.loc,
        );
      }
    }
    ids.get(a.end.pd)?.add(a.end.id);
    ids.get(b.end.pd)?.add(b.end.id);
    channels.push({ ends: [a.end, b.end], loc: ch.el.loc });
  }
  return channels;
}

interface MapOwner {
  readonly kind: 'protection domain' | 'virtual machine';
  readonly name: string;
  readonly maps: readonly Mapping[];
  readonly maxVaddr: bigint;
}

/** `check_maps`: unknown MR, alignment, overflow, bound, overlap (same MR twice at disjoint vaddrs is fine). */
function checkMaps(
  ctx: ParseContext,
  mrs: {
    readonly mrByName: ReadonlyMap<string, MemoryRegion>;
    readonly mrNames: ReadonlySet<string>;
  },
  owner: MapOwner,
): void {
  const placed: { mr: string; start: bigint; end: bigint }[] = [];
  for (const map of owner.maps) {
    const mr = mrs.mrByName.get(map.mr);
    if (mr === undefined) {
      // An MR that exists but had a bad value was already reported: no cascade.
      if (!mrs.mrNames.has(map.mr)) {
        ctx.error(SDF_CODES.unknownMr, `invalid memory region name '${map.mr}' on 'map'`, map.loc);
      }
      continue;
    }
    if (map.vaddr % mr.pageSizeBytes !== 0n) {
      ctx.error(SDF_CODES.mapAlign, "invalid vaddr alignment on 'map'", map.loc);
      continue;
    }
    const start = map.vaddr;
    const end = start + mr.sizeBytes;
    if (end > U64_MAX) {
      ctx.error(
        SDF_CODES.mapOverflow,
        `map for '${map.mr}' has address range that overflows`,
        map.loc,
      );
      continue;
    }
    if (end > owner.maxVaddr) {
      ctx.error(
        SDF_CODES.mapBound,
        `map for '${map.mr}' has virtual address range [${hex(start)}..${hex(end)}) which exceeds valid address space [0x0..${hex(owner.maxVaddr)})`,
        map.loc,
      );
      continue;
    }
    const clash = placed.find((p) => start < p.end && p.start < end);
    if (clash !== undefined) {
      ctx.error(
        SDF_CODES.mapOverlap,
        `map for '${map.mr}' has virtual address range [${hex(start)}..${hex(end)}) which overlaps with map for '${clash.mr}' [${hex(clash.start)}..${hex(clash.end)}) in ${owner.kind} '${owner.name}'`,
        map.loc,
      );
    }
    placed.push({ mr: map.mr, start, end });
  }
}

function checkPhysOverlap(ctx: ParseContext, mrs: readonly MemoryRegion[]): void {
  const placed: { name: string; start: bigint; end: bigint }[] = [];
  for (const mr of mrs) {
    if (mr.physAddr === undefined) continue;
    const start = mr.physAddr;
    const end = start + mr.sizeBytes;
    if (end > U64_MAX) {
      // `phys_addr + size` overflows u64 in Microkit (wraps in release, panics in debug), even
      // when the range would end exactly at 2^64; we report it.
      ctx.error(
        SDF_CODES.physOverflow,
        `memory region '${mr.name}' physical address range overflows`,
        mr.loc,
      );
      continue;
    }
    const clash = placed.find((p) => start < p.end && p.start < end);
    if (clash !== undefined) {
      ctx.error(
        SDF_CODES.physOverlap,
        `memory region '${mr.name}' physical address range [${hex(start)}..${hex(end)}) overlaps with another memory region '${clash.name}' [${hex(clash.start)}..${hex(clash.end)})`,
        mr.loc,
      );
    }
    placed.push({ name: mr.name, start, end });
  }
}

function checkUnused(ctx: ParseContext, mrs: readonly MemoryRegion[]): void {
  for (const mr of mrs) {
    if (!ctx.mentionedMrs.has(mr.name))
      ctx.warn(SDF_CODES.unusedMr, `unused memory region '${mr.name}'`, mr.loc);
  }
}

/** `<setvar region_paddr>` must name an MR (Microkit resolves it after the unused-MR warning). */
function checkSetvars(
  ctx: ParseContext,
  pds: readonly ProtectionDomain[],
  mrNames: ReadonlySet<string>,
): void {
  for (const pd of pds) {
    for (const sv of pd.setvars) {
      if (!mrNames.has(sv.regionPaddr)) {
        ctx.error(
          SDF_CODES.setvarUnknownMr,
          `invalid memory region name '${sv.regionPaddr}' on 'setvar'`,
          sv.loc,
        );
      }
    }
  }
}

export function assembleModel(ctx: ParseContext, local: LocalParse, v: Validated): SystemModel {
  return {
    file: ctx.opts.file,
    dialect: ctx.dialect,
    memoryRegions: local.mrs,
    pds: v.pds,
    channels: v.channels,
  };
}
