// Local parse of <system> (microkit-sdf.md §1.2–1.4): elements in document order, each checked
// the way Microkit's `from_xml` functions check them and in the same order, at the release the
// file is read as (seL4/microkit tool/microkit/src/sdf.rs at 1.4.1 … 2.3.0; the differences are
// named where they apply). The first collected error is the one Microkit would report. Errors are
// collected; a bad value falls back to its default so that later checks still run (collect-all).
// Interrupts and I/O ports live in parse-x86.ts (their forms are mostly x86), the 2.3 elements
// (cspace, domains, io_address_space) in parse-v23.ts, global checks in validate.ts.

import type {
  Arch,
  CapMap,
  ChannelEnd,
  DomainSchedule,
  IoAddressSpace,
  IoPort,
  Irq,
  Mapping,
  MemoryRegion,
  Perms,
  ProtectionDomain,
  Setvar,
  SourceLocation,
  VirtualMachine,
} from '../../spec/system/model.ts';
import { assert } from '../../spec/common/assert.ts';
import { attr, attrLocs, ParseContext } from './context.ts';
import { SDF_CODES } from './diagnostics.ts';
import { hex } from './number.ts';
import type { XmlElement } from './xml.ts';
import { LARGE_PAGE_BYTES, SMALL_PAGE_BYTES } from '../../spec/system/facts.ts';
import { parseIoport, parseIrq } from './parse-x86.ts';
import { parseCspace, parseDomains, parseIoAddressSpace } from './parse-v23.ts';

// sdf.rs constants (microkit-sdf.md §1.3); the limits and their reasons.
/** Ids are badge bits: bit 63 marks a PPC, bit 62 a fault, leaving 62 ids (sdf.rs:36-46). */
export const PD_MAX_ID = 61n;
export const VCPU_MAX_ID = PD_MAX_ID;
/** 255 is the monitor's priority. */
export const PD_MAX_PRIORITY = 254n;
export const BUDGET_DEFAULT_US = 1000n;
/** `PD_DEFAULT_STACK_SIZE`: 0x2000 from 2.1.0 (53377eb); 0x1000 at 1.4.1 and 2.0.x. */
export const PD_DEFAULT_STACK_SIZE_BYTES = 0x2000n;
export const PD_DEFAULT_STACK_SIZE_BYTES_BEFORE_2_1 = 0x1000n;
export const PD_MIN_STACK_SIZE_BYTES = 0x1000n;
export const PD_MAX_STACK_SIZE_BYTES = 0x1000000n;
/** Page sizes on every Microkit architecture: 4 KiB and 2 MiB (`Config::page_sizes`, 2.3.0). */
export const PAGE_SIZES_BYTES: readonly bigint[] = [SMALL_PAGE_BYTES, LARGE_PAGE_BYTES];
export { SMALL_PAGE_BYTES };

/**
 * seL4_UserVSpaceTop (inclusive) per architecture, as Microkit 2.3 reads it from the kernel build
 * when the kernel config does not say: aarch64 is qemu_virt_aarch64 with hypervisor support and a
 * 40-bit PA, x86_64 as Microkit's own tests (`DEFAULT_{AARCH64,X86_64}_KERNEL_CONFIG`, test.rs at
 * 2.3.0); riscv64 is Sv39. Each is one below the exclusive top 2.0–2.2 hard-code (`user_top`).
 */
export const DEFAULT_VSPACE_USER_TOP: Readonly<Record<Arch, bigint>> = {
  aarch64: 0xffffffffffn,
  riscv64: 0x3fffffefffn,
  x86_64: 0x7fffffffefffn,
};
/**
 * With the default aarch64 top at 2.3: the stack sits just under this address, and maps must lie
 * below the stack bottom (`pd_map_max_vaddr(stack_size)`); with a 0x2000 stack that is 0xffffffc000.
 */
export const PD_STACK_TOP = stackTop(DEFAULT_VSPACE_USER_TOP.aarch64);
/** A VM's guest-physical space on the same configuration (`vm_map_max_vaddr`): 40 bits. */
export const VM_MAP_MAX_VADDR = DEFAULT_VSPACE_USER_TOP.aarch64 + 1n;

/** `pd_stack_top` (2.3): the IPC buffer is the top page, then a guard page (sel4.rs, 2.3.0). */
function stackTop(userTop: bigint): bigint {
  return (userTop & ~(SMALL_PAGE_BYTES - 1n)) - SMALL_PAGE_BYTES;
}

export function pdMapMaxVaddr(
  stackSizeBytes: bigint,
  userTop = DEFAULT_VSPACE_USER_TOP.aarch64,
): bigint {
  return stackTop(userTop) - stackSizeBytes;
}

/**
 * The first address a PD may not map (`pd_map_max_vaddr`) and the end of a VM's guest-physical
 * space (`vm_map_max_vaddr`) for this file. 2.3 puts the IPC buffer and a guard page above the
 * stack; 2.0–2.2 put the stack at the very top (`pd_stack_top() == user_top()`, exclusive).
 */
export function addressLimits(
  ctx: ParseContext,
  stackSizeBytes: bigint,
): { readonly pdMax: bigint; readonly vmMax: bigint } {
  const top = ctx.kernel.vspaceUserTop ?? DEFAULT_VSPACE_USER_TOP[ctx.arch];
  if (ctx.since('2.3') || ctx.kernel.vspaceUserTop !== undefined) {
    return { pdMax: stackTop(top) - stackSizeBytes, vmMax: top + 1n };
  }
  return { pdMax: top + 1n - stackSizeBytes, vmMax: top + 1n };
}

/** A PD as parsed, before the tree is flattened. */
export interface PdNode {
  readonly pd: ProtectionDomain;
  readonly children: readonly PdNode[];
  /** Symbols patched in this PD's image so far (channel-end setvar_ids are added later). */
  readonly symbols: Set<string>;
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
  readonly ioSpaces: readonly IoAddressSpace[];
  readonly domains?: DomainSchedule;
}

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
  const ioSpaces: IoAddressSpace[] = [];
  const ioSeen = { names: new Set<string>(), domainIds: new Set<bigint>(), ids: new Set<string>() };
  let domains: DomainSchedule | undefined;
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
        // PDs see the domains declared *before* them (2.3.0 parses in document order).
        roots.push(parsePd(ctx, child, { isChild: false, depth: 0, domains }));
        break;
      case 'channel':
        channelEls.push(child);
        break;
      case 'virtual_machine':
        if (!ctx.since('2.0')) invalidElement(ctx, child, true);
        else {
          ctx.error(
            SDF_CODES.vmTopLevel,
            'virtual machine must be a child of a protection domain',
            child.loc,
          );
        }
        break;
      case 'domains':
        if (!ctx.since('2.3')) invalidElement(ctx, child, !ctx.since('2.0'));
        else if (domains !== undefined && domains.domains.length > 0) {
          ctx.valueError(SDF_CODES.domains, child, 'domains must only be specified once');
        } else domains = parseDomains(ctx, child);
        break;
      case 'io_address_space': {
        if (!ctx.since('2.3')) {
          invalidElement(ctx, child, !ctx.since('2.0'));
          break;
        }
        const space = parseIoAddressSpace(ctx, child, ioSeen);
        if (space !== undefined) ioSpaces.push(space);
        break;
      }
      default:
        // 1.4.1 writes "Invalid" (capital I) at the system level; 2.x "invalid".
        invalidElement(ctx, child, !ctx.since('2.0'));
    }
  }
  return {
    system,
    mrs,
    mrNames,
    roots,
    channelEls,
    ioSpaces,
    ...(domains === undefined ? {} : { domains }),
  };
}

/** microkit-sdf.md §1.4: inside a PD Microkit writes `Invalid XML element` (capital I); kept. */
export function invalidElement(ctx: ParseContext, el: XmlElement, capital: boolean): void {
  const word = capital ? 'Invalid' : 'invalid';
  ctx.error(SDF_CODES.invalidElement, `${word} XML element '${el.tag}'`, el.loc);
}

/** Boot-info items a region may be prefilled with (2.3.0 `SysMemoryRegion::from_xml`). */
const PREFILL_BOOTINFO = [
  'x86_vbe',
  'x86_mbmmap',
  'x86_acpi_rsdp',
  'x86_framebuffer',
  'x86_tsc_freq',
  'fdt',
];

function parseMemoryRegion(ctx: ParseContext, el: XmlElement): MemoryRegion | undefined {
  ctx.checkAttributes(el, 'memory_region');
  const nameAttr = ctx.required(el, 'name');
  const pageAttr = attr(el, 'page_size');
  const pageSizeBytes = pageAttr === undefined ? SMALL_PAGE_BYTES : ctx.sdfNumber(el, pageAttr);
  let ok = nameAttr !== undefined && pageSizeBytes !== undefined;
  if (pageSizeBytes !== undefined && !PAGE_SIZES_BYTES.includes(pageSizeBytes)) {
    ctx.valueError(SDF_CODES.pageSize, el, `page size ${hex(pageSizeBytes)} not supported`);
    ok = false;
  }
  const prefill = parsePrefill(ctx, el);
  if (prefill === undefined) ok = false;
  const sizeBytes = parseMrSize(ctx, el, {
    pageSizeBytes,
    prefilled: prefill?.any === true,
    ...(prefill?.fileBytes === undefined ? {} : { fileBytes: prefill.fileBytes }),
  });
  if (sizeBytes === undefined) ok = false;
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
    ...(prefill?.path === undefined ? {} : { prefillPath: prefill.path }),
    ...(prefill?.bootinfo === undefined ? {} : { prefillBootinfo: prefill.bootinfo }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
}

/**
 * 2.2+ `prefill_path`, 2.3 `prefill_bootinfo`. The prefill file itself is found on Microkit's
 * search path (given on its command line): with a resolver for it we check that it exists and is
 * not empty; without one these are build-phase facts here (docs/adr/005-sdf-parser.md).
 */
function parsePrefill(
  ctx: ParseContext,
  el: XmlElement,
): { path?: string; bootinfo?: string; any: boolean; fileBytes?: number } | undefined {
  const path = attr(el, 'prefill_path')?.value;
  let fileBytes: number | undefined;
  const resolve = ctx.opts.prefill;
  if (path !== undefined && resolve !== undefined) {
    fileBytes = resolve(path);
    if (fileBytes === undefined) {
      ctx.valueError(SDF_CODES.prefill, el, `unable to find prefill file: '${path}'`);
      return undefined;
    }
    if (fileBytes === 0) {
      ctx.valueError(SDF_CODES.prefill, el, `prefill file '${path}' is empty`);
      return undefined;
    }
  }
  const bi = attr(el, 'prefill_bootinfo');
  if (bi !== undefined && !PREFILL_BOOTINFO.includes(bi.value)) {
    ctx.valueError(
      SDF_CODES.prefill,
      el,
      `BootInfoMap type: '${bi.value}' is not supported`,
      bi.loc,
    );
    return undefined;
  }
  if (path !== undefined && bi !== undefined) {
    ctx.valueError(
      SDF_CODES.prefill,
      el,
      'prefill_path and prefill_bootinfo cannot be both specified',
    );
    return undefined;
  }
  return {
    ...(path === undefined ? {} : { path }),
    ...(bi === undefined ? {} : { bootinfo: bi.value }),
    any: path !== undefined || bi !== undefined,
    ...(fileBytes === undefined ? {} : { fileBytes }),
  };
}

/**
 * `determine_size`: an explicit size must be a multiple of the page size (and hold the prefill
 * file); without one, a region prefilled from boot info is one page, and one prefilled from a file
 * is the file's size rounded up to the page size (one page when the file is not known: a lower
 * bound). Before 2.2 size is required.
 */
function parseMrSize(
  ctx: ParseContext,
  el: XmlElement,
  o: {
    readonly pageSizeBytes: bigint | undefined;
    readonly prefilled: boolean;
    readonly fileBytes?: number;
  },
): bigint | undefined {
  const sizeAttr = attr(el, 'size');
  if (sizeAttr === undefined) {
    if (o.prefilled && o.fileBytes !== undefined && o.pageSizeBytes !== undefined) {
      const page = o.pageSizeBytes;
      return ((BigInt(o.fileBytes) + page - 1n) / page) * page;
    }
    if (o.prefilled) return o.pageSizeBytes;
    if (ctx.since('2.2')) {
      ctx.valueError(
        SDF_CODES.missingAttr,
        el,
        'size must be specified if memory region is not prefilled',
      );
    } else {
      ctx.required(el, 'size');
    }
    return undefined;
  }
  const size = ctx.sdfNumber(el, sizeAttr);
  if (size === undefined || o.pageSizeBytes === undefined) return undefined;
  if (!PAGE_SIZES_BYTES.includes(o.pageSizeBytes)) return undefined;
  if (size % o.pageSizeBytes !== 0n) {
    ctx.valueError(SDF_CODES.mrSizeAlign, el, 'size is not a multiple of the page size');
    return undefined;
  }
  if (o.fileBytes !== undefined && BigInt(o.fileBytes) > size) {
    ctx.valueError(
      SDF_CODES.prefill,
      el,
      `size of prefill file exceeds memory region size: ${o.fileBytes.toString(16)} > ${size.toString(16)}`,
    );
    return undefined;
  }
  return size;
}

interface PdParseOpts {
  readonly isChild: boolean;
  readonly depth: number;
  readonly parent?: string;
  readonly domains: DomainSchedule | undefined;
}

/** `ProtectionDomain::from_xml`, same check order. */
function parsePd(ctx: ParseContext, el: XmlElement, o: PdParseOpts): PdNode {
  assert(o.depth <= 1024, () => `PD nesting ${o.depth} beyond the XML depth limit`);
  ctx.checkAttributes(el, o.isChild ? 'protection_domain.child' : 'protection_domain');
  const name = ctx.required(el, 'name')?.value ?? '';
  const childId = o.isChild ? parseChildId(ctx, el) : undefined;
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
  const ppLegacy = ctx.legacyPp ? ctx.bool(el, 'pp', false) : false;
  const passive = ctx.bool(el, 'passive', false);
  const stackAttr = attr(el, 'stack_size');
  const defaultStack = ctx.since('2.1')
    ? PD_DEFAULT_STACK_SIZE_BYTES
    : PD_DEFAULT_STACK_SIZE_BYTES_BEFORE_2_1;
  let stackSizeBytes = (stackAttr && ctx.sdfNumber(el, stackAttr)) ?? defaultStack;
  const smc = parseSmc(ctx, el);
  const cpu = parseCpu(ctx, el, attr(el, 'cpu'));
  const domain = parsePdDomain(ctx, el, o.domains);
  if (stackSizeBytes < PD_MIN_STACK_SIZE_BYTES || stackSizeBytes > PD_MAX_STACK_SIZE_BYTES) {
    ctx.valueError(
      SDF_CODES.stackSizeRange,
      el,
      `stack size must be between ${hex(PD_MIN_STACK_SIZE_BYTES)} bytes and ${hex(PD_MAX_STACK_SIZE_BYTES)} bytes`,
    );
    stackSizeBytes = defaultStack;
  } else if (stackSizeBytes % SMALL_PAGE_BYTES !== 0n) {
    ctx.valueError(
      SDF_CODES.stackSizeAlign,
      el,
      `stack size must be aligned to the smallest page size, ${SMALL_PAGE_BYTES} bytes`,
    );
    stackSizeBytes = defaultStack;
  }
  const priority = parsePriority(ctx, el);
  const fpu = ctx.bool(el, 'fpu', true);
  const body = parsePdChildren(ctx, el, { name, stackSizeBytes, depth: o.depth });
  const children = body.childEls.map((c) =>
    parsePd(ctx, c, { isChild: true, depth: o.depth + 1, parent: name, domains: o.domains }),
  );
  for (const c of children) {
    // A child's setvar_id patches the *parent's* image (2.1.0 `f63ac58`).
    if (c.pd.setvarId !== undefined) body.symbol(c.pd.loc, c.pd.setvarId, 'protection_domain');
  }
  if (body.programImage === undefined) {
    ctx.error(
      SDF_CODES.programImageMissing,
      `missing 'program_image' element on protection_domain: '${name}'`,
      el.loc,
    );
  }
  const setvarId = o.isChild && ctx.since('2.1') ? attr(el, 'setvar_id')?.value : undefined;
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
    ...(body.ioports.length === 0 ? {} : { ioports: body.ioports }),
    ...(body.capMaps.length === 0 ? {} : { capMaps: body.capMaps }),
    ...(domain === undefined ? {} : { domain }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
  return { pd, children, symbols: body.symbols };
}

function parseChildId(ctx: ParseContext, el: XmlElement): number | undefined {
  const idAttr = ctx.required(el, 'id');
  const id = idAttr === undefined ? undefined : ctx.sdfNumber(el, idAttr);
  // Child ids are badges in the parent's id space (sdf.rs:36-46). Microkit checks only
  // uniqueness here; the 0..=61 bound is our addition (docs/adr/005-sdf-parser.md).
  if (id !== undefined && id > PD_MAX_ID) {
    ctx.valueError(SDF_CODES.idRange, el, `id must be < ${PD_MAX_ID + 1n}`, idAttr?.loc);
    return undefined;
  }
  return id === undefined ? undefined : Number(id);
}

/** smc="true" needs ARM SMC forwarding: unavailable off aarch64, config-dependent on it. */
function parseSmc(ctx: ParseContext, el: XmlElement): boolean {
  const smc = ctx.bool(el, 'smc', false);
  if (!smc) return false;
  if (ctx.arch !== 'aarch64') {
    ctx.error(
      SDF_CODES.smc,
      'ARM SMC forwarding support is not available for this architecture',
      attr(el, 'smc')?.loc ?? el.loc,
    );
  } else if (ctx.kernel.armSmc === false) {
    ctx.valueError(
      SDF_CODES.smc,
      el,
      'Using SMC support without ARM SMC forwarding support enabled in the kernel for this platform',
      attr(el, 'smc')?.loc,
    );
  }
  return true;
}

/** `cpu` (2.1+) on a PD or a vCPU: a u8 (Microkit panics beyond), below the configured cores. */
export function parseCpu(
  ctx: ParseContext,
  el: XmlElement,
  a: { readonly value: string; readonly loc: SourceLocation } | undefined,
): number {
  if (a === undefined) return 0;
  const cpu = ctx.sdfNumber(el, { name: 'cpu', ...a });
  if (cpu === undefined) return 0;
  if (cpu > 255n) {
    // `.try_into().expect("cpu core must be between 0 and 255")`: Microkit panics; we report.
    ctx.valueError(SDF_CODES.cpu, el, 'cpu core must be between 0 and 255', a.loc);
    return 0;
  }
  const cores = ctx.kernel.cores;
  if (cores !== undefined && cpu >= BigInt(cores)) {
    ctx.valueError(SDF_CODES.cpu, el, `cpu core must be less than ${cores}, got ${cpu}`, a.loc);
    return 0;
  }
  return Number(cpu);
}

/** 2.3: `domain` is required when `<domains>` was declared before the PD, forbidden otherwise. */
function parsePdDomain(
  ctx: ParseContext,
  el: XmlElement,
  domains: DomainSchedule | undefined,
): string | undefined {
  const a = attr(el, 'domain');
  if (domains !== undefined && domains.domains.length > 0) {
    const d = ctx.required(el, 'domain');
    if (d === undefined) return undefined;
    if (!domains.domains.some((x) => x.name === d.value)) {
      ctx.valueError(
        SDF_CODES.pdDomain,
        el,
        `domain '${d.value}' not declared in <domains>:`,
        d.loc,
      );
      return undefined;
    }
    return d.value;
  }
  if (a !== undefined && ctx.since('2.3')) {
    ctx.valueError(
      SDF_CODES.pdDomain,
      el,
      `Specifying a domain '${a.value}' without declaring a domain schedule is not allowed:`,
      a.loc,
    );
  }
  return undefined;
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

export interface PdBody {
  programImage?: string;
  pathForSymbols?: string;
  readonly maps: Mapping[];
  readonly irqs: Irq[];
  readonly ioports: IoPort[];
  readonly setvars: Setvar[];
  readonly capMaps: CapMap[];
  vm?: VirtualMachine;
  readonly childEls: XmlElement[];
  /** Symbols patched by setvar_vaddr / setvar_size / setvar_id / <setvar>: one namespace per PD. */
  readonly symbols: Set<string>;
  /** `checked_add_setvar`: a second setvar on one symbol is an error on element `tag`. */
  symbol(loc: SourceLocation, name: string | undefined, tag: string): void;
}

function parsePdChildren(
  ctx: ParseContext,
  el: XmlElement,
  pd: { readonly name: string; readonly stackSizeBytes: bigint; readonly depth: number },
): PdBody {
  const symbols = new Set<string>();
  const body: PdBody = {
    maps: [],
    irqs: [],
    ioports: [],
    setvars: [],
    capMaps: [],
    childEls: [],
    symbols,
    symbol(loc, name, tag) {
      if (name === undefined) return;
      if (symbols.has(name)) {
        ctx.error(
          SDF_CODES.setvarDuplicate,
          `setvar on symbol '${name}' already exists on element '${tag}'`,
          loc,
        );
      }
      symbols.add(name);
    },
  };
  let vmSeen = false;
  let cspaceSeen = false;
  for (const child of el.children) {
    switch (child.tag) {
      case 'program_image':
        parseProgramImage(ctx, el, child, body);
        break;
      case 'map': {
        const map = parseMap(ctx, child, {
          allowSetvar: true,
          maxVaddr: ctx.since('2.0') ? addressLimits(ctx, pd.stackSizeBytes).pdMax : undefined,
        });
        for (const name of ['setvar_vaddr', 'setvar_size', 'setvar_prefill_size']) {
          const sv = attr(child, name);
          if (sv !== undefined && ctx.allows('map', name)) body.symbol(sv.loc, sv.value, 'map');
        }
        if (map !== undefined) body.maps.push(map);
        break;
      }
      case 'irq': {
        const irq = parseIrq(ctx, child, body);
        if (irq !== undefined) body.irqs.push(irq);
        break;
      }
      case 'ioport': {
        if (!ctx.since('2.1')) {
          invalidElement(ctx, child, true);
          break;
        }
        const port = parseIoport(ctx, el, child, body);
        if (port !== undefined) body.ioports.push(port);
        break;
      }
      case 'setvar': {
        ctx.checkAttributes(child, 'setvar');
        const sym = ctx.required(child, 'symbol');
        const region = ctx.required(child, 'region_paddr');
        if (sym !== undefined) body.symbol(sym.loc, sym.value, 'setvar');
        if (sym !== undefined && region !== undefined) {
          body.setvars.push({ symbol: sym.value, regionPaddr: region.value, loc: child.loc });
        }
        break;
      }
      case 'protection_domain':
        body.childEls.push(child);
        break;
      case 'virtual_machine': {
        if (ctx.kernel.hypervisor === false) {
          ctx.valueError(
            SDF_CODES.noHypervisor,
            el,
            'seL4 has not been built as a hypervisor, virtual machines are disabled',
            child.loc,
          );
        }
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
      case 'cspace': {
        if (!ctx.since('2.3')) {
          invalidElement(ctx, child, true);
          break;
        }
        if (cspaceSeen) {
          ctx.valueError(SDF_CODES.cspace, el, 'cspace must only be specified once', child.loc);
        } else {
          body.capMaps.push(...parseCspace(ctx, child));
        }
        cspaceSeen = true;
        break;
      }
      default:
        invalidElement(ctx, child, true);
    }
  }
  assert(pd.depth >= 0, 'depth is non-negative');
  return body;
}

function parseProgramImage(
  ctx: ParseContext,
  pdEl: XmlElement,
  child: XmlElement,
  body: PdBody,
): void {
  ctx.checkAttributes(child, 'program_image');
  if (body.programImage !== undefined) {
    ctx.valueError(
      SDF_CODES.programImageTwice,
      pdEl,
      'program_image must only be specified once',
      child.loc,
    );
  }
  const path = ctx.required(child, 'path');
  if (path !== undefined && body.programImage === undefined) body.programImage = path.value;
  const pfs = attr(child, 'path_for_symbols');
  if (pfs !== undefined && ctx.since('2.2')) body.pathForSymbols = pfs.value;
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

/**
 * `SysMap::from_xml`. `maxVaddr` is the 2.0+ bound (`vaddr must be less than`); 1.4.1 has none
 * (undefined).
 */
function parseMap(
  ctx: ParseContext,
  el: XmlElement,
  o: { readonly allowSetvar: boolean; readonly maxVaddr: bigint | undefined },
): Mapping | undefined {
  ctx.checkAttributes(el, o.allowSetvar ? 'map' : 'map.vm');
  const mr = ctx.required(el, 'mr');
  // A map with a bad value still uses its MR: no unused-MR warning as a cascade.
  if (mr !== undefined) ctx.mentionedMrs.add(mr.value);
  const vaddrAttr = ctx.required(el, 'vaddr');
  const vaddr = vaddrAttr === undefined ? undefined : ctx.sdfNumber(el, vaddrAttr);
  let ok = mr !== undefined && vaddr !== undefined;
  if (vaddr !== undefined && o.maxVaddr !== undefined && vaddr >= o.maxVaddr) {
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
  assert(
    o.maxVaddr === undefined || vaddr < o.maxVaddr,
    () => `map of '${mr.value}' kept beyond max`,
  );
  assert(perms.r || perms.x || !perms.w, () => `write-only map of '${mr.value}' kept`);
  const opt = (name: string): string | undefined =>
    o.allowSetvar && ctx.allows('map', name) ? attr(el, name)?.value : undefined;
  const setvarVaddr = opt('setvar_vaddr');
  const setvarSize = opt('setvar_size');
  const setvarPrefillSize = opt('setvar_prefill_size');
  return {
    mr: mr.value,
    vaddr,
    perms,
    cached,
    ...(setvarVaddr === undefined ? {} : { setvarVaddr }),
    ...(setvarSize === undefined ? {} : { setvarSize }),
    ...(setvarPrefillSize === undefined ? {} : { setvarPrefillSize }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
}

/** A channel / IRQ / vCPU id: decimal i64 (Microkit: `parse::<i64>().unwrap()`), 0..=61. */
export function parseId(ctx: ParseContext, el: XmlElement, max: bigint): number | undefined {
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

/** `VirtualMachine::from_xml`. */
function parseVm(ctx: ParseContext, el: XmlElement): VirtualMachine {
  ctx.checkAttributes(el, 'virtual_machine');
  const name = ctx.required(el, 'name')?.value ?? '';
  // 2.3.0: scheduling parameters only on aarch64 (f04ed74: "a VM on x86-64 cannot have
  // scheduling params"); the priority is not range-checked (`priority as u8`).
  const sched = ctx.allows('virtual_machine', 'priority');
  const budgetAttr = sched ? attr(el, 'budget') : undefined;
  const budgetUs = budgetAttr && ctx.sdfNumber(el, budgetAttr);
  const periodAttr = sched ? attr(el, 'period') : undefined;
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
  const prioAttr = sched ? attr(el, 'priority') : undefined;
  const prio = prioAttr === undefined ? undefined : ctx.sdfNumber(el, prioAttr);
  const vcpus: { id: number; cpu?: number }[] = [];
  const maps: Mapping[] = [];
  for (const child of el.children) {
    if (child.tag === 'vcpu') {
      parseVcpu(ctx, el, child, { vm: name, vcpus });
    } else if (child.tag === 'map') {
      // VMs have no program image, so no setvar on their maps.
      const maxVaddr = ctx.since('2.0') ? addressLimits(ctx, 0n).vmMax : undefined;
      const m = parseMap(ctx, child, { allowSetvar: false, maxVaddr });
      if (m !== undefined) maps.push(m);
    } else {
      // Located at the VM element, as Microkit does (`node.range()`).
      ctx.error(SDF_CODES.invalidElement, `invalid XML element '${child.tag}'`, el.loc);
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
    ...(prio === undefined ? {} : { priority: Number(prio & 0xffn) }),
    ...(budgetUs === undefined ? {} : { budgetUs }),
    ...(periodUs === undefined ? {} : { periodUs }),
    vcpus,
    maps,
    loc: el.loc,
  };
}

function parseVcpu(
  ctx: ParseContext,
  vmEl: XmlElement,
  child: XmlElement,
  o: { readonly vm: string; readonly vcpus: { id: number; cpu?: number }[] },
): void {
  if (!ctx.since('2.0') && o.vcpus.length > 0) {
    // 1.4.1: one vCPU per VM.
    ctx.valueError(SDF_CODES.vcpuDuplicate, vmEl, 'vcpu must only be specified once', child.loc);
    return;
  }
  ctx.checkAttributes(child, 'vcpu');
  const id = parseId(ctx, child, VCPU_MAX_ID);
  if (id !== undefined && o.vcpus.some((v) => v.id === id)) {
    ctx.error(
      SDF_CODES.vcpuDuplicate,
      `duplicate vcpu id ${id} in virtual machine '${o.vm}'`,
      child.loc,
    );
    return;
  }
  if (id === undefined) return;
  const cpuAttr = ctx.allows('vcpu', 'cpu') ? attr(child, 'cpu') : undefined;
  const cpu = cpuAttr === undefined ? undefined : parseCpu(ctx, child, cpuAttr);
  o.vcpus.push(cpu === undefined ? { id } : { id, cpu });
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
  const v2 = ctx.since('2.0');
  const notify = v2 ? ctx.bool(el, 'notify', true) : true;
  const pp = v2 ? ctx.bool(el, 'pp', false) : false;
  if (pd !== undefined && !pdNames.has(pd.value)) {
    ctx.valueError(SDF_CODES.unknownPd, el, `invalid PD name '${pd.value}'`, pd.loc);
    return undefined;
  }
  if (pd === undefined || id === undefined) return undefined;
  const setvarId = ctx.allows('end', 'setvar_id') ? attr(el, 'setvar_id')?.value : undefined;
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
