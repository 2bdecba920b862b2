// Local parse of <system> (microkit-sdf.md §1.2–1.4): elements in document order, each checked
// the way Microkit's `from_xml` functions check them and in the same order, so the first collected
// error is the one Microkit would report. Errors are collected; a bad value falls back to its
// default so that later checks still run (collect-all). Global checks live in validate.ts.

import type {
  Irq,
  Mapping,
  MemoryRegion,
  Perms,
  ProtectionDomain,
  Setvar,
  SourceLocation,
  VirtualMachine,
  ChannelEnd,
} from '../../spec/system/model.ts';
import { assert } from '../../spec/common/assert.ts';
import { attr, attrLocs, ParseContext } from './context.ts';
import { SDF_CODES } from './diagnostics.ts';
import { hex } from './number.ts';
import type { XmlElement } from './xml.ts';
import { LARGE_PAGE_BYTES, SMALL_PAGE_BYTES } from '../../spec/system/facts.ts';

// sdf.rs constants (microkit-sdf.md §1.3); the limits and their reasons.
/** Ids are badge bits: bit 63 marks a PPC, bit 62 a fault, leaving 62 ids (sdf.rs:36-46). */
export const PD_MAX_ID = 61n;
export const VCPU_MAX_ID = PD_MAX_ID;
/** 255 is the monitor's priority. */
export const PD_MAX_PRIORITY = 254n;
export const BUDGET_DEFAULT_US = 1000n;
/** Task/reference default (2.x); older tools used one page. */
export const PD_DEFAULT_STACK_SIZE_BYTES = 0x2000n;
export const PD_MIN_STACK_SIZE_BYTES = 0x1000n;
export const PD_MAX_STACK_SIZE_BYTES = 0x1000000n;
/** AArch64 / RISC-V page sizes: 4 KiB and 2 MiB. */
export const PAGE_SIZES_BYTES: readonly bigint[] = [SMALL_PAGE_BYTES, LARGE_PAGE_BYTES];
export { SMALL_PAGE_BYTES };
/**
 * AArch64 with hypervisor support and a 40-bit PA (qemu_virt_aarch64): the stack sits just under
 * this address, and maps must lie below the stack bottom (`pd_map_max_vaddr(stack_size)`); with
 * the default 0x2000 stack that is 0xffffffc000 (microkit-sdf.md §1.3).
 */
export const PD_STACK_TOP = 0xffffffe000n;
/** A VM's guest-physical space on the same configuration (`vm_map_max_vaddr`): 40 bits. */
export const VM_MAP_MAX_VADDR = 1n << 40n;

export function pdMapMaxVaddr(stackSizeBytes: bigint): bigint {
  return PD_STACK_TOP - stackSizeBytes;
}

/** A PD as parsed, before the tree is flattened. */
export interface PdNode {
  readonly pd: ProtectionDomain;
  readonly children: readonly PdNode[];
}

export interface ParsedEnd {
  readonly end: ChannelEnd;
  readonly el: XmlElement;
}

export interface ParsedChannel {
  readonly ends: readonly ParsedEnd[];
  readonly el: XmlElement;
}

export interface LocalParse {
  readonly system: XmlElement;
  readonly mrs: readonly MemoryRegion[];
  /** Names of every <memory_region> with a name, even one with a bad value (no cascades). */
  readonly mrNames: ReadonlySet<string>;
  readonly roots: readonly PdNode[];
  readonly channelEls: readonly XmlElement[];
}

/** Elements of Microkit 2.3 that this model does not cover (x86 and 2.3 scheduling/caps). */
const UNSUPPORTED_SYSTEM = ['domains', 'io_address_space'];
const UNSUPPORTED_PD = ['ioport', 'cspace'];

export function parseSystemElement(ctx: ParseContext, system: XmlElement): LocalParse {
  assert(system.tag === 'system', () => `expected <system>, got <${system.tag}>`);
  // `check_no_text` runs before anything else.
  if (system.texts.length > 0) {
    ctx.error(SDF_CODES.unexpectedText, "unexpected text found in element 'system'", system.loc);
  }
  for (const a of system.attrs) {
    ctx.valueError(SDF_CODES.invalidAttr, system, `invalid attribute '${a.name}'`, a.loc);
  }
  const mrs: MemoryRegion[] = [];
  const mrNames = new Set<string>();
  const roots: PdNode[] = [];
  const channelEls: XmlElement[] = [];
  for (const child of system.children) {
    switch (child.tag) {
      case 'memory_region': {
        const name = attr(child, 'name')?.value;
        if (name !== undefined) mrNames.add(name);
        const mr = parseMemoryRegion(ctx, child);
        if (mr !== undefined) mrs.push(mr);
        break;
      }
      case 'protection_domain':
        roots.push(parsePd(ctx, child, { isChild: false, depth: 0 }));
        break;
      case 'channel':
        channelEls.push(child);
        break;
      case 'virtual_machine':
        ctx.error(
          SDF_CODES.vmTopLevel,
          'virtual machine must be a child of a protection domain',
          child.loc,
        );
        break;
      default:
        invalidElement(ctx, child, UNSUPPORTED_SYSTEM);
    }
  }
  return { system, mrs, mrNames, roots, channelEls };
}

function invalidElement(
  ctx: ParseContext,
  el: XmlElement,
  unsupported: readonly string[],
  inPd = false,
): void {
  if (ctx.dialect === '2' && unsupported.includes(el.tag)) {
    ctx.error(
      SDF_CODES.unsupported,
      `element '${el.tag}' (Microkit 2.1+ x86 / 2.3) is not supported by this model`,
      el.loc,
    );
    return;
  }
  // microkit-sdf.md §1.4: inside a PD Microkit writes `Invalid XML element` (capital I); kept.
  const word = inPd ? 'Invalid' : 'invalid';
  ctx.error(SDF_CODES.invalidElement, `${word} XML element '${el.tag}'`, el.loc);
}

function parseMemoryRegion(ctx: ParseContext, el: XmlElement): MemoryRegion | undefined {
  ctx.checkAttributes(el, 'memory_region');
  const nameAttr = ctx.required(el, 'name');
  const sizeAttr = ctx.required(el, 'size');
  const sizeBytes = sizeAttr === undefined ? undefined : ctx.sdfNumber(el, sizeAttr);
  const pageAttr = attr(el, 'page_size');
  const pageSizeBytes = pageAttr === undefined ? SMALL_PAGE_BYTES : ctx.sdfNumber(el, pageAttr);
  let ok = nameAttr !== undefined && sizeBytes !== undefined && pageSizeBytes !== undefined;
  if (pageSizeBytes !== undefined && !PAGE_SIZES_BYTES.includes(pageSizeBytes)) {
    ctx.valueError(SDF_CODES.pageSize, el, `page size ${hex(pageSizeBytes)} not supported`);
    ok = false;
  } else if (
    sizeBytes !== undefined &&
    pageSizeBytes !== undefined &&
    sizeBytes % pageSizeBytes !== 0n
  ) {
    ctx.valueError(SDF_CODES.mrSizeAlign, el, 'size is not a multiple of the page size');
    ok = false;
  }
  const physAttr = attr(el, 'phys_addr');
  const physAddr = physAttr === undefined ? undefined : ctx.sdfNumber(el, physAttr);
  if (physAttr !== undefined && physAddr === undefined) ok = false;
  if (
    physAddr !== undefined &&
    pageSizeBytes !== undefined &&
    ok &&
    physAddr % pageSizeBytes !== 0n
  ) {
    ctx.valueError(SDF_CODES.mrPhysAlign, el, 'phys_addr is not aligned to the page size');
    ok = false;
  }
  if (!ok || nameAttr === undefined || sizeBytes === undefined || pageSizeBytes === undefined) {
    return undefined;
  }
  assert(
    PAGE_SIZES_BYTES.includes(pageSizeBytes) && sizeBytes % pageSizeBytes === 0n,
    () => `MR '${nameAttr.value}' kept with size ${sizeBytes} / page ${pageSizeBytes}`,
  );
  return {
    name: nameAttr.value,
    sizeBytes,
    pageSizeBytes,
    pageSizeExplicit: pageAttr !== undefined,
    ...(physAddr === undefined ? {} : { physAddr }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
}

interface PdParseOpts {
  readonly isChild: boolean;
  readonly depth: number;
  readonly parent?: string;
}

/** `ProtectionDomain::from_xml`, same check order. */
function parsePd(ctx: ParseContext, el: XmlElement, o: PdParseOpts): PdNode {
  assert(o.depth <= 64, () => `PD nesting ${o.depth} beyond the XML depth limit`);
  ctx.checkAttributes(el, o.isChild ? 'protection_domain.child' : 'protection_domain');
  const name = ctx.required(el, 'name')?.value ?? '';
  let childId: number | undefined;
  if (o.isChild) {
    const idAttr = ctx.required(el, 'id');
    const id = idAttr === undefined ? undefined : ctx.sdfNumber(el, idAttr);
    // Child ids are badges in the parent's id space (sdf.rs:36-46). Microkit checks only
    // uniqueness here; the 0..=61 bound is our addition (docs/adr/005-sdf-parser.md).
    if (id !== undefined && id > PD_MAX_ID) {
      ctx.valueError(SDF_CODES.idRange, el, `id must be < ${PD_MAX_ID + 1n}`, idAttr?.loc);
    } else if (id !== undefined) {
      childId = Number(id);
    }
  }
  const budgetAttr = attr(el, 'budget');
  const budgetUs = (budgetAttr && ctx.sdfNumber(el, budgetAttr)) ?? BUDGET_DEFAULT_US;
  const periodAttr = attr(el, 'period');
  const periodUs = (periodAttr && ctx.sdfNumber(el, periodAttr)) ?? budgetUs;
  if (budgetUs > periodUs) {
    ctx.valueError(
      SDF_CODES.budgetPeriod,
      el,
      `budget (${budgetUs}) must be less than, or equal to, period (${periodUs})`,
    );
  }
  const passive = ctx.bool(el, 'passive', false);
  const ppLegacy = ctx.dialect === '1' ? ctx.bool(el, 'pp', false) : false;
  const stackAttr = attr(el, 'stack_size');
  let stackSizeBytes = (stackAttr && ctx.sdfNumber(el, stackAttr)) ?? PD_DEFAULT_STACK_SIZE_BYTES;
  const cpu = parseCpu(ctx, el);
  const smc = ctx.bool(el, 'smc', false);
  const fpu = ctx.bool(el, 'fpu', true);
  if (stackSizeBytes < PD_MIN_STACK_SIZE_BYTES || stackSizeBytes > PD_MAX_STACK_SIZE_BYTES) {
    ctx.valueError(
      SDF_CODES.stackSizeRange,
      el,
      `stack size must be between ${hex(PD_MIN_STACK_SIZE_BYTES)} bytes and ${hex(PD_MAX_STACK_SIZE_BYTES)} bytes`,
    );
    stackSizeBytes = PD_DEFAULT_STACK_SIZE_BYTES;
  } else if (stackSizeBytes % SMALL_PAGE_BYTES !== 0n) {
    ctx.valueError(
      SDF_CODES.stackSizeAlign,
      el,
      `stack size must be aligned to the smallest page size, ${SMALL_PAGE_BYTES} bytes`,
    );
    stackSizeBytes = PD_DEFAULT_STACK_SIZE_BYTES;
  }
  const priority = parsePriority(ctx, el);
  const body = parsePdChildren(ctx, el, { name, stackSizeBytes, depth: o.depth });
  if (body.programImage === undefined) {
    ctx.error(
      SDF_CODES.programImageMissing,
      `missing 'program_image' element on protection_domain: '${name}'`,
      el.loc,
    );
  }
  const setvarId = o.isChild ? attr(el, 'setvar_id')?.value : undefined;
  const pd: ProtectionDomain = {
    name,
    priority,
    budgetUs,
    periodUs,
    passive,
    stackSizeBytes,
    cpu,
    smc,
    fpu,
    ppLegacy,
    ...(childId === undefined ? {} : { childId }),
    ...(o.parent === undefined ? {} : { parent: o.parent }),
    programImage: body.programImage ?? '',
    ...(body.pathForSymbols === undefined
      ? {}
      : { programImagePathForSymbols: body.pathForSymbols }),
    ...(setvarId === undefined ? {} : { setvarId }),
    maps: body.maps,
    irqs: body.irqs,
    setvars: body.setvars,
    ...(body.vm === undefined ? {} : { virtualMachine: body.vm }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
  return {
    pd,
    children: body.childEls.map((c) =>
      parsePd(ctx, c, { isChild: true, depth: o.depth + 1, parent: name }),
    ),
  };
}

function parseCpu(ctx: ParseContext, el: XmlElement): number {
  const a = attr(el, 'cpu');
  const cpu = a === undefined ? 0n : ctx.sdfNumber(el, a);
  if (cpu === undefined) return 0;
  const cores = ctx.opts.cores;
  if (cores !== undefined && cpu >= BigInt(cores)) {
    ctx.valueError(SDF_CODES.cpu, el, `cpu core must be less than ${cores}, got ${cpu}`, a?.loc);
    return 0;
  }
  // Without a board we still refuse absurd values: a seL4 node id fits in 16 bits.
  if (cpu > 0xffffn) {
    ctx.valueError(SDF_CODES.cpu, el, `cpu core must be less than 65536, got ${cpu}`, a?.loc);
    return 0;
  }
  return Number(cpu);
}

function parsePriority(ctx: ParseContext, el: XmlElement): number {
  const a = attr(el, 'priority');
  const p = a === undefined ? 0n : ctx.sdfNumber(el, a);
  if (p === undefined) return 0;
  if (p > PD_MAX_PRIORITY) {
    ctx.valueError(
      SDF_CODES.priority,
      el,
      `priority must be between 0 and ${PD_MAX_PRIORITY}`,
      a?.loc,
    );
    return 0;
  }
  return Number(p);
}

interface PdBody {
  programImage?: string;
  pathForSymbols?: string;
  readonly maps: Mapping[];
  readonly irqs: Irq[];
  readonly setvars: Setvar[];
  vm?: VirtualMachine;
  readonly childEls: XmlElement[];
}

function parsePdChildren(
  ctx: ParseContext,
  el: XmlElement,
  pd: { readonly name: string; readonly stackSizeBytes: bigint; readonly depth: number },
): PdBody {
  const body: PdBody = { maps: [], irqs: [], setvars: [], childEls: [] };
  // Symbols patched by setvar_vaddr / setvar_size / <setvar> share one namespace per PD.
  const symbols = new Set<string>();
  const symbol = (child: XmlElement, name: string | undefined, loc: SourceLocation): void => {
    if (name === undefined) return;
    if (symbols.has(name)) {
      ctx.valueError(
        SDF_CODES.setvarDuplicate,
        child,
        `setvar on symbol '${name}' already exists`,
        loc,
      );
    }
    symbols.add(name);
  };
  let vmSeen = false;
  for (const child of el.children) {
    switch (child.tag) {
      case 'program_image': {
        ctx.checkAttributes(child, 'program_image');
        if (body.programImage !== undefined) {
          ctx.valueError(
            SDF_CODES.programImageTwice,
            el,
            'program_image must only be specified once',
            child.loc,
          );
        }
        const path = ctx.required(child, 'path');
        if (path !== undefined && body.programImage === undefined) body.programImage = path.value;
        const pfs = attr(child, 'path_for_symbols');
        if (pfs !== undefined && ctx.dialect === '2') body.pathForSymbols = pfs.value;
        break;
      }
      case 'map': {
        const map = parseMap(ctx, child, {
          allowSetvar: true,
          maxVaddr: pdMapMaxVaddr(pd.stackSizeBytes),
        });
        const sv = attr(child, 'setvar_vaddr');
        if (sv !== undefined) symbol(child, sv.value, sv.loc);
        const ss = attr(child, 'setvar_size');
        if (ss !== undefined && ctx.dialect === '2') symbol(child, ss.value, ss.loc);
        if (map !== undefined) body.maps.push(map);
        break;
      }
      case 'irq': {
        const irq = parseIrq(ctx, child);
        if (irq !== undefined) body.irqs.push(irq);
        break;
      }
      case 'setvar': {
        ctx.checkAttributes(child, 'setvar');
        const sym = ctx.required(child, 'symbol');
        const region = ctx.required(child, 'region_paddr');
        if (sym !== undefined) symbol(child, sym.value, sym.loc);
        if (sym !== undefined && region !== undefined) {
          body.setvars.push({ symbol: sym.value, regionPaddr: region.value, loc: child.loc });
        }
        break;
      }
      case 'protection_domain':
        body.childEls.push(child);
        break;
      case 'virtual_machine': {
        if (vmSeen) {
          ctx.valueError(
            SDF_CODES.vmTwice,
            el,
            'virtual_machine must only be specified once',
            child.loc,
          );
        }
        const vm = parseVm(ctx, child);
        if (!vmSeen) body.vm = vm;
        vmSeen = true;
        break;
      }
      default:
        invalidElement(ctx, child, UNSUPPORTED_PD, true);
    }
  }
  assert(pd.depth >= 0, 'depth is non-negative');
  return body;
}

/** Perms: any multiset of r/w/x (microkit-sdf.md §1.3; `""` is accepted as no access). */
function parsePerms(text: string): Perms | undefined {
  let r = false;
  let w = false;
  let x = false;
  for (const c of text) {
    if (c === 'r') r = true;
    else if (c === 'w') w = true;
    else if (c === 'x') x = true;
    else return undefined;
  }
  return { r, w, x };
}

/** `SysMap::from_xml`. */
function parseMap(
  ctx: ParseContext,
  el: XmlElement,
  o: { readonly allowSetvar: boolean; readonly maxVaddr: bigint },
): Mapping | undefined {
  ctx.checkAttributes(el, o.allowSetvar ? 'map' : 'map.vm');
  const mr = ctx.required(el, 'mr');
  // A map with a bad value still uses its MR: no unused-MR warning as a cascade.
  if (mr !== undefined) ctx.mentionedMrs.add(mr.value);
  const vaddrAttr = ctx.required(el, 'vaddr');
  const vaddr = vaddrAttr === undefined ? undefined : ctx.sdfNumber(el, vaddrAttr);
  let ok = mr !== undefined && vaddr !== undefined;
  if (vaddr !== undefined && vaddr >= o.maxVaddr) {
    ctx.valueError(
      SDF_CODES.mapVaddrMax,
      el,
      `vaddr (${hex(vaddr)}) must be less than ${hex(o.maxVaddr)}`,
      vaddrAttr?.loc,
    );
    ok = false;
  }
  const permsAttr = attr(el, 'perms');
  let perms: Perms = { r: true, w: true, x: false };
  if (permsAttr !== undefined) {
    const p = parsePerms(permsAttr.value);
    if (p === undefined) {
      ctx.valueError(
        SDF_CODES.mapPerms,
        el,
        "perms must only be a combination of 'r', 'w', and 'x'",
        permsAttr.loc,
      );
      ok = false;
    } else {
      perms = p;
    }
  }
  if (perms.w && !perms.r && !perms.x) {
    // The kernel does not allow write-only mappings on any architecture.
    ctx.valueError(
      SDF_CODES.mapWriteOnly,
      el,
      "perms must not be 'w', write-only mappings are not allowed",
      permsAttr?.loc,
    );
    ok = false;
  }
  const cached = ctx.bool(el, 'cached', true);
  if (!ok || mr === undefined || vaddr === undefined) return undefined;
  assert(vaddr < o.maxVaddr, () => `map of '${mr.value}' kept at ${hex(vaddr)} >= max`);
  assert(perms.r || perms.x || !perms.w, () => `write-only map of '${mr.value}' kept`);
  const setvarVaddr = o.allowSetvar ? attr(el, 'setvar_vaddr')?.value : undefined;
  const setvarSize =
    o.allowSetvar && ctx.dialect === '2' ? attr(el, 'setvar_size')?.value : undefined;
  return {
    mr: mr.value,
    vaddr,
    perms,
    cached,
    ...(setvarVaddr === undefined ? {} : { setvarVaddr }),
    ...(setvarSize === undefined ? {} : { setvarSize }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
}

/** A channel / IRQ / vCPU id: decimal i64 (Microkit: `parse::<i64>().unwrap()`), 0..=61. */
function parseId(ctx: ParseContext, el: XmlElement, max: bigint): number | undefined {
  const a = ctx.required(el, 'id');
  if (a === undefined) return undefined;
  const id = ctx.decimalI64(el, a);
  if (id === undefined) return undefined;
  if (id > max) {
    ctx.valueError(SDF_CODES.idRange, el, `id must be < ${max + 1n}`, a.loc);
    return undefined;
  }
  if (id < 0n) {
    ctx.valueError(SDF_CODES.idRange, el, 'id must be >= 0', a.loc);
    return undefined;
  }
  assert(id >= 0n && id <= max, () => `id ${id} kept outside 0..=${max}`);
  return Number(id);
}

function parseIrq(ctx: ParseContext, el: XmlElement): Irq | undefined {
  ctx.checkAttributes(el, 'irq');
  const irqAttr = ctx.required(el, 'irq');
  const irqNum = irqAttr === undefined ? undefined : ctx.decimalU64(el, irqAttr);
  const id = parseId(ctx, el, PD_MAX_ID);
  const trig = attr(el, 'trigger');
  let trigger: Irq['trigger'] = 'level';
  if (trig !== undefined) {
    if (trig.value === 'level' || trig.value === 'edge') trigger = trig.value;
    else {
      ctx.valueError(
        SDF_CODES.irqTrigger,
        el,
        "trigger must be either 'level' or 'edge'",
        trig.loc,
      );
      return undefined;
    }
  }
  if (irqNum !== undefined && irqNum > BigInt(Number.MAX_SAFE_INTEGER)) {
    // Our model keeps IRQ numbers as JS numbers; no interrupt controller has 2^53 lines.
    ctx.valueError(SDF_CODES.badNumber, el, `irq number ${irqNum} is out of range`, irqAttr?.loc);
    return undefined;
  }
  if (irqNum === undefined || id === undefined) return undefined;
  const setvarId = ctx.dialect === '2' ? attr(el, 'setvar_id')?.value : undefined;
  return {
    irq: Number(irqNum),
    id,
    trigger,
    ...(setvarId === undefined ? {} : { setvarId }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
}

/** `VirtualMachine::from_xml`. */
function parseVm(ctx: ParseContext, el: XmlElement): VirtualMachine {
  ctx.checkAttributes(el, 'virtual_machine');
  const name = ctx.required(el, 'name')?.value ?? '';
  const budgetAttr = attr(el, 'budget');
  const budgetUs = budgetAttr && ctx.sdfNumber(el, budgetAttr);
  const periodAttr = attr(el, 'period');
  const periodUs = periodAttr && ctx.sdfNumber(el, periodAttr);
  const b = budgetUs ?? BUDGET_DEFAULT_US;
  const p = periodUs ?? b;
  if (b > p) {
    ctx.valueError(
      SDF_CODES.budgetPeriod,
      el,
      `budget (${b}) must be less than, or equal to, period (${p})`,
    );
  }
  const prioAttr = attr(el, 'priority');
  const priority = prioAttr === undefined ? undefined : parsePriority(ctx, el);
  const vcpus: { id: number; cpu?: number }[] = [];
  const maps: Mapping[] = [];
  const legacyId = ctx.dialect === '1' ? attr(el, 'id') : undefined;
  if (legacyId !== undefined) {
    // 1.x form: one implicit vCPU whose id is the VM's id.
    const id = parseId(ctx, el, VCPU_MAX_ID);
    if (id !== undefined) vcpus.push({ id });
  }
  for (const child of el.children) {
    if (child.tag === 'vcpu') {
      ctx.checkAttributes(child, 'vcpu');
      const id = parseId(ctx, child, VCPU_MAX_ID);
      if (id !== undefined && vcpus.some((v) => v.id === id)) {
        ctx.error(
          SDF_CODES.vcpuDuplicate,
          `duplicate vcpu id ${id} in virtual machine '${name}'`,
          child.loc,
        );
      } else if (id !== undefined) {
        const cpuAttr = attr(child, 'cpu');
        const cpu = cpuAttr === undefined ? undefined : ctx.sdfNumber(child, cpuAttr);
        vcpus.push(cpu === undefined ? { id } : { id, cpu: Number(cpu & 0xffffn) });
      }
    } else if (child.tag === 'map') {
      // VMs have no program image, so no setvar on their maps.
      const m = parseMap(ctx, child, { allowSetvar: false, maxVaddr: VM_MAP_MAX_VADDR });
      if (m !== undefined) maps.push(m);
    } else {
      ctx.error(SDF_CODES.invalidElement, `invalid XML element '${child.tag}'`, child.loc);
    }
  }
  if (vcpus.length === 0) {
    ctx.error(
      SDF_CODES.vcpuMissing,
      `missing 'vcpu' element on virtual_machine: '${name}'`,
      el.loc,
    );
  }
  return {
    name,
    ...(priority === undefined ? {} : { priority }),
    ...(budgetUs === undefined ? {} : { budgetUs }),
    ...(periodUs === undefined ? {} : { periodUs }),
    vcpus,
    maps,
    loc: el.loc,
  };
}

/** `Channel::from_xml` + `ChannelEnd::from_xml`, against the flattened PD names. */
export function parseChannel(
  ctx: ParseContext,
  el: XmlElement,
  pdNames: ReadonlySet<string>,
): ParsedChannel | undefined {
  ctx.checkAttributes(el, 'channel');
  const ends: ParsedEnd[] = [];
  let broken = false;
  for (const child of el.children) {
    if (child.tag !== 'end') {
      ctx.error(SDF_CODES.invalidElement, `invalid XML element '${child.tag}'`, child.loc);
      broken = true;
      continue;
    }
    const end = parseEnd(ctx, child, pdNames);
    if (end === undefined) broken = true;
    else ends.push({ end, el: child });
  }
  if (el.children.length !== 2) {
    ctx.valueError(SDF_CODES.channelEnds, el, 'exactly two end elements must be specified');
    return undefined;
  }
  const [a, b] = ends;
  if (broken || a === undefined || b === undefined) return undefined;
  if (a.end.pp && b.end.pp) {
    ctx.valueError(SDF_CODES.ppcBidirectional, el, 'cannot ppc bidirectionally');
    return undefined;
  }
  return { ends, el };
}

function parseEnd(
  ctx: ParseContext,
  el: XmlElement,
  pdNames: ReadonlySet<string>,
): ChannelEnd | undefined {
  ctx.checkAttributes(el, 'end');
  const pd = ctx.required(el, 'pd');
  const id = parseId(ctx, el, PD_MAX_ID);
  const v2 = ctx.dialect === '2';
  const notify = v2 ? ctx.bool(el, 'notify', true) : true;
  const pp = v2 ? ctx.bool(el, 'pp', false) : false;
  if (pd !== undefined && !pdNames.has(pd.value)) {
    ctx.valueError(SDF_CODES.unknownPd, el, `invalid PD name '${pd.value}'`, pd.loc);
    return undefined;
  }
  if (pd === undefined || id === undefined) return undefined;
  const setvarId = v2 ? attr(el, 'setvar_id')?.value : undefined;
  return {
    pd: pd.value,
    id,
    pp,
    notify,
    ...(setvarId === undefined ? {} : { setvarId }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
}
