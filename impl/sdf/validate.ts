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
import { IOVA_LIMIT } from './parse-v23.ts';
import { assert } from '../../spec/common/assert.ts';
import type { ParseContext } from './context.ts';
import { SDF_CODES } from './diagnostics.ts';
import { hex, U64_MAX } from './number.ts';
import { LARGE_PAGE_BYTES } from '../../spec/system/facts.ts';
import {
  parseChannel,
  addressLimits,
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
function flatten(
  ctx: ParseContext,
  node: PdNode,
  out: { pds: ProtectionDomain[]; symbols: Map<string, Set<string>> },
  depth: number,
): void {
  assert(depth <= 1024, () => `PD tree depth ${depth} beyond the XML depth limit`);
  out.pds.push(node.pd);
  if (!out.symbols.has(node.pd.name)) out.symbols.set(node.pd.name, node.symbols);
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
  const flat = { pds: [] as ProtectionDomain[], symbols: new Map<string, Set<string>>() };
  for (const root of local.roots) flatten(ctx, root, flat, 0);
  const pds = flat.pds;
  const pdNames = new Set(pds.map((p) => p.name));
  const parsed: ParsedChannel[] = [];
  for (const el of local.channelEls) {
    const ch = parseChannel(ctx, el, pdNames);
    if (ch === undefined) continue;
    parsed.push(ch);
    // A channel end's setvar_id patches that end's PD image (2.1.0 `456e2a5`), checked per PD.
    for (const e of ch.ends) {
      const sym = e.end.setvarId;
      const symbols = flat.symbols.get(e.end.pd);
      if (sym === undefined || symbols === undefined) continue;
      if (symbols.has(sym)) {
        ctx.valueError(SDF_CODES.setvarDuplicate, el, `setvar on symbol '${sym}' already exists`);
      }
      symbols.add(sym);
    }
  }
  checkCapMapPds(ctx, pds, pdNames);
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
  checkX86Vmm(ctx, pds);
  checkIrqs(ctx, pds);
  const channels = checkChannels(ctx, pds, parsed);
  checkIoports(ctx, pds);
  const mrByName = new Map(local.mrs.map((m) => [m.name, m] as const));
  const mrs = { mrByName, mrNames: local.mrNames };
  // 1.4.1 checks alignment and overlap only, and not a VM's maps (cf833e9, bfcba00: 2.0).
  const bounded = ctx.since('2.0');
  for (const pd of pds) {
    const limits = addressLimits(ctx, pd.stackSizeBytes);
    checkMaps(ctx, mrs, {
      kind: 'protection domain',
      name: pd.name,
      maps: pd.maps,
      ...(bounded ? { maxVaddr: limits.pdMax } : {}),
    });
    const vm = pd.virtualMachine;
    if (vm !== undefined && bounded) {
      checkMaps(ctx, mrs, {
        kind: 'virtual machine',
        name: vm.name,
        maps: vm.maps,
        maxVaddr: limits.vmMax,
      });
    }
  }
  checkIoMaps(ctx, mrs, local);
  checkCapSlots(ctx, pds);
  checkPhysOverlap(ctx, local.mrs);
  if (ctx.since('2.0')) checkUnused(ctx, local.mrs);
  checkPrefillSetvars(ctx, pds, local.mrs);
  checkSetvars(ctx, pds, local.mrNames, local.mrs);
  return { pds, channels };
}

/** 2.3: cap maps name PDs (`unknown PD name`), resolved after the tree is flattened. */
function checkCapMapPds(
  ctx: ParseContext,
  pds: readonly ProtectionDomain[],
  pdNames: ReadonlySet<string>,
): void {
  for (const pd of pds) {
    for (const c of pd.capMaps ?? []) {
      if (!pdNames.has(c.pd)) ctx.error(SDF_CODES.capUnknownPd, `unknown PD name '${c.pd}'`, c.loc);
    }
  }
}

/** 2.3 x86: a PD with a bound vCPU cannot have children (the kernel checks only its notification). */
function checkX86Vmm(ctx: ParseContext, pds: readonly ProtectionDomain[]): void {
  if (ctx.arch !== 'x86_64' || !ctx.since('2.3')) return;
  for (const pd of pds) {
    if (pd.virtualMachine === undefined) continue;
    if (!pds.some((c) => c.parent === pd.name)) continue;
    ctx.error(
      SDF_CODES.x86Vm,
      `It is not possible for PD '${pd.name}' with a bound vCPU to have children on x86_64`,
      pd.loc,
    );
  }
}

/**
 * 2.1+: I/O port ids unique per PD; port ranges disjoint across the system. 2.1.0 compares and
 * prints inclusive ranges [addr, addr + size - 1]; 2.2 half-open ones (aaac8e6).
 */
function checkIoports(ctx: ParseContext, pds: readonly ProtectionDomain[]): void {
  for (const pd of pds) {
    const ids = new Set<number>();
    for (const p of pd.ioports ?? []) {
      if (ids.has(p.id)) {
        ctx.error(
          SDF_CODES.ioportDuplicateId,
          `duplicate I/O port id: ${p.id} in protection domain: '${pd.name}'`,
          p.loc,
        );
      }
      ids.add(p.id);
    }
  }
  const seen: { pd: string; id: number; start: bigint; end: bigint }[] = [];
  for (const pd of pds) {
    for (const p of pd.ioports ?? []) {
      const start = p.addr;
      const end = p.addr + p.size;
      const clash = seen.find((s) => start < s.end && s.start < end);
      if (clash !== undefined) {
        const range = (a: bigint, b: bigint): string =>
          ctx.since('2.2')
            ? `half-open range: [${hex(a)}, ${hex(b)})`
            : `inclusive range: [${hex(a)}, ${hex(b - 1n)}]`;
        ctx.error(
          SDF_CODES.ioportOverlap,
          `I/O port id: ${p.id}, ${range(start, end)} in protection domain: '${pd.name}' overlaps with I/O port id: ${clash.id}, ${range(clash.start, clash.end)} in protection domain: '${clash.pd}'`,
          p.loc,
        );
      }
      seen.push({ pd: pd.name, id: p.id, start, end });
    }
  }
}

/** `check_io_maps` (2.3): no large-page region in an IOMMU space; per device, `check_maps`. */
function checkIoMaps(
  ctx: ParseContext,
  mrs: {
    readonly mrByName: ReadonlyMap<string, MemoryRegion>;
    readonly mrNames: ReadonlySet<string>;
  },
  local: LocalParse,
): void {
  const all = local.ioSpaces.flatMap((s) => s.maps);
  const large = all.find((m) => mrs.mrByName.get(m.mr)?.pageSizeBytes === LARGE_PAGE_BYTES);
  if (large !== undefined) {
    ctx.error(
      SDF_CODES.iomap,
      'currently seL4 does not have large page support for the IOMMU',
      large.loc,
    );
    return;
  }
  for (const space of local.ioSpaces) {
    checkMaps(ctx, mrs, {
      kind: 'io',
      name: space.peripheralId,
      maps: space.maps.map((m) => ({ mr: m.mr, vaddr: m.iovaddr, loc: m.loc })),
      maxVaddr: IOVA_LIMIT,
    });
  }
}

/** 2.3: two caps in one slot of a PD's CSpace. */
function checkCapSlots(ctx: ParseContext, pds: readonly ProtectionDomain[]): void {
  for (const pd of pds) {
    const slots = new Map<number, number>();
    for (const c of pd.capMaps ?? []) slots.set(c.slot, (slots.get(c.slot) ?? 0) + 1);
    for (const [slot, n] of slots) {
      if (n < 2) continue;
      const where = (pd.capMaps ?? []).filter((c) => c.slot === slot);
      // Rust's Debug names of `CapMapType`.
      const debug = { tcb: 'Tcb', sc: 'Sc', vspace: 'VSpace' } as const;
      const lines = where.map(
        (c) =>
          `\n  type ${debug[c.type]} from '${c.pd}' at '${c.loc.file}:${c.loc.line}:${c.loc.column}'`,
      );
      ctx.error(
        SDF_CODES.capOverlap,
        `overlapping user caps in slot ${slot} of protection domain '${pd.name}':${lines.join('')}`,
        where[1]?.loc ?? pd.loc,
      );
    }
  }
}

/** 2.2+: `setvar_prefill_size` names a region that is prefilled from a file. */
function checkPrefillSetvars(
  ctx: ParseContext,
  pds: readonly ProtectionDomain[],
  mrs: readonly MemoryRegion[],
): void {
  for (const pd of pds) {
    for (const m of pd.maps) {
      if (m.setvarPrefillSize === undefined) continue;
      const mr = mrs.find((x) => x.name === m.mr);
      if (mr === undefined || mr.prefillPath !== undefined) continue;
      ctx.error(
        SDF_CODES.prefill,
        `'setvar_prefill_size' used for MR without a \`prefill_path\` @ '${mr.name}'`,
        mr.loc,
      );
    }
  }
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
    // The reserved name is checked from 2.1.0 on (sdf.rs `MONITOR_PD_NAME`).
    if (pd.name === RESERVED_PD_NAME && ctx.since('2.1')) {
      ctx.error(
        SDF_CODES.reservedPdName,
        `the PD name '${RESERVED_PD_NAME}' is reserved for the Microkit Monitor.`,
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
      // 1.4.1 has no PPC priority check (d4d08d3 added it with end-level pp, 2.0.0).
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
    // 2.3 x86: no PPC into a PD with a bound vCPU (seL4_VMEnter checks the notification only).
    const ppTarget = a.end.pp ? pb : b.end.pp ? pa : undefined;
    if (ctx.arch === 'x86_64' && ctx.since('2.3') && ppTarget?.virtualMachine !== undefined) {
      const caller = a.end.pp ? pa : pb;
      ctx.error(
        SDF_CODES.x86Vm,
        `It is not possible to PPC to PD '${ppTarget.name}' with a bound vCPU from PD '${caller.name}' on x86_64`,
        ch.el.loc,
      );
    }
    ids.get(a.end.pd)?.add(a.end.id);
    ids.get(b.end.pd)?.add(b.end.id);
    channels.push({ ends: [a.end, b.end], loc: ch.el.loc });
  }
  return channels;
}

interface MapOwner {
  /** `io`: an IOMMU address space (`<iomap>`, iovaddr); its name is the device (`PCI device …`). */
  readonly kind: 'protection domain' | 'virtual machine' | 'io';
  readonly name: string;
  readonly maps: readonly Pick<Mapping, 'mr' | 'vaddr' | 'loc'>[];
  /** Absent: no bound (1.4.1). */
  readonly maxVaddr?: bigint;
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
  const io = owner.kind === 'io';
  const element = io ? 'iomap' : 'map';
  const range = io ? 'io address range' : 'virtual address range';
  const space = io ? owner.name : `${owner.kind} '${owner.name}'`;
  const placed: { mr: string; start: bigint; end: bigint }[] = [];
  for (const map of owner.maps) {
    const mr = mrs.mrByName.get(map.mr);
    if (mr === undefined) {
      // An MR that exists but had a bad value was already reported: no cascade.
      if (!mrs.mrNames.has(map.mr)) {
        ctx.error(
          SDF_CODES.unknownMr,
          `invalid memory region name '${map.mr}' on '${element}'`,
          map.loc,
        );
      }
      continue;
    }
    if (map.vaddr % mr.pageSizeBytes !== 0n) {
      const what = io ? 'iovaddr' : 'vaddr';
      ctx.error(SDF_CODES.mapAlign, `invalid ${what} alignment on '${element}'`, map.loc);
      continue;
    }
    const start = map.vaddr;
    const end = start + mr.sizeBytes;
    if (end > U64_MAX) {
      ctx.error(
        SDF_CODES.mapOverflow,
        `${element} for '${map.mr}' has address range that overflows`,
        map.loc,
      );
      continue;
    }
    if (owner.maxVaddr !== undefined && end > owner.maxVaddr) {
      ctx.error(
        SDF_CODES.mapBound,
        `${element} for '${map.mr}' has ${range} [${hex(start)}..${hex(end)}) which exceeds valid address space [0x0..${hex(owner.maxVaddr)})`,
        map.loc,
      );
      continue;
    }
    const clash = placed.find((p) => start < p.end && p.start < end);
    if (clash !== undefined) {
      ctx.error(
        SDF_CODES.mapOverlap,
        `map for '${map.mr}' has ${range} [${hex(start)}..${hex(end)}) which overlaps with map for '${clash.mr}' [${hex(clash.start)}..${hex(clash.end)}) in ${space}`,
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

/**
 * `<setvar region_paddr>` must name an MR (ours: Microkit resolves it in its build phase). On x86
 * the region needs a phys_addr (2.2+; 2.1.0 refused every `<setvar>` on x86).
 */
function checkSetvars(
  ctx: ParseContext,
  pds: readonly ProtectionDomain[],
  mrNames: ReadonlySet<string>,
  mrs: readonly MemoryRegion[],
): void {
  for (const pd of pds) {
    for (const sv of pd.setvars) {
      const mr = mrs.find((m) => m.name === sv.regionPaddr);
      if (
        ctx.arch === 'x86_64' &&
        (!ctx.since('2.2') || (mr !== undefined && mr.physAddr === undefined))
      ) {
        ctx.error(
          SDF_CODES.setvarX86,
          `setvar with 'region_paddr' for MR without a specified paddr is unsupported on x86-64 @ '${sv.regionPaddr}'`,
          sv.loc,
        );
        continue;
      }
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
    microkit: ctx.opts.target,
    memoryRegions: local.mrs,
    pds: v.pds,
    channels: v.channels,
    ...(local.ioSpaces.length === 0 ? {} : { ioAddressSpaces: local.ioSpaces }),
    ...(local.domains === undefined ? {} : { domainSchedule: local.domains }),
  };
}
