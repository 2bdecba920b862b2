// The elements Microkit 2.3.0 added (seL4/microkit tool/microkit/src/sdf.rs at 2.3.0):
// `<cspace>` (capability sharing: `CSpace::from_xml`, `CapMap::from_xml`), `<domains>` (domain
// scheduling: `Domains::from_xml` and its schedule) and `<io_address_space>` (x86 IOMMU:
// `IOAddressSpace::from_xml`, `SysIOMap::from_xml`). Checks that need a kernel-build value we may
// not have (number of cores, KernelNumDomains, KernelNumDomainSchedules, IOMMU support) run only
// when the kernel config gives it.

import type {
  CapMap,
  DomainSchedule,
  IoAddressSpace,
  IoMap,
  ScheduleEntry,
} from '../../spec/system/model.ts';
import { attr, type ParseContext } from './context.ts';
import { SDF_CODES } from './diagnostics.ts';
import { hex } from './number.ts';
import { parsePci } from './parse-x86.ts';
import type { XmlElement } from './xml.ts';

/** `CAP_MAP_MAX_SLOT`: slots 1..127 (0 holds the PD's own CNode). */
export const CAP_MAP_MAX_SLOT = 128n;
/** `x86_io_address_space::CAPDL_MAX_IOVA` + 1: 39-bit I/O virtual addresses (test.rs, 2.3.0). */
export const IOVA_LIMIT = 0x8000000000n;

const CAP_TYPES: Readonly<Record<string, CapMap['type']>> = {
  cap_tcb: 'tcb',
  cap_sc: 'sc',
  cap_vspace: 'vspace',
};

export function parseCspace(ctx: ParseContext, el: XmlElement): CapMap[] {
  ctx.checkAttributes(el, 'cspace');
  const out: CapMap[] = [];
  for (const child of el.children) {
    const type = CAP_TYPES[child.tag];
    if (type === undefined) {
      const loc = `${child.loc.file}:${child.loc.line}:${child.loc.column}`;
      const message = child.tag.startsWith('cap_')
        ? `Cap type: '${child.tag.slice(4)}' is not supported at '${loc}'`
        : `Element '${child.tag}' is not supported in a <cspace> element at '${loc}'`;
      ctx.error(SDF_CODES.cspace, message, child.loc);
      continue;
    }
    ctx.checkAttributes(child, 'cap');
    const pd = ctx.required(child, 'pd');
    const slotAttr = ctx.required(child, 'slot');
    const slot = slotAttr === undefined ? undefined : ctx.sdfNumber(child, slotAttr);
    if (slot === 0n) {
      ctx.valueError(
        SDF_CODES.cspace,
        child,
        'The destination slot 0 has been reserved for Microkit CNode',
        slotAttr?.loc,
      );
      continue;
    }
    if (slot !== undefined && slot >= CAP_MAP_MAX_SLOT) {
      ctx.valueError(
        SDF_CODES.cspace,
        child,
        `There are only ${CAP_MAP_MAX_SLOT} destination cspace slots available.`,
        slotAttr?.loc,
      );
      continue;
    }
    if (pd === undefined || slot === undefined) continue;
    out.push({ type, pd: pd.value, slot: Number(slot), loc: child.loc });
  }
  return out;
}

/** `Domains::from_xml`: domain names (and ids), then exactly one schedule. */
export function parseDomains(ctx: ParseContext, el: XmlElement): DomainSchedule | undefined {
  ctx.checkAttributes(el, 'domains');
  const cores = ctx.kernel.cores;
  if (cores !== undefined && cores !== 1) {
    ctx.error(
      SDF_CODES.domains,
      'The domain scheduler is not supported in multicore builds of seL4',
      el.loc,
    );
    return undefined;
  }
  const domains: { name: string; id?: number }[] = [];
  let scheduleEl: XmlElement | undefined;
  for (const child of el.children) {
    if (child.tag === 'domain') {
      const d = parseDomain(ctx, child, domains);
      if (d !== undefined) domains.push(d);
    } else if (child.tag === 'domain_schedule') {
      if (scheduleEl !== undefined) {
        ctx.valueError(
          SDF_CODES.domains,
          child,
          'The <domain_schedule> element can only appear once',
        );
      } else scheduleEl = child;
    } else {
      ctx.error(
        SDF_CODES.domains,
        `invalid XML element as child of <domains> '${child.tag}'`,
        child.loc,
      );
    }
  }
  if (scheduleEl === undefined) {
    ctx.valueError(SDF_CODES.domains, el, 'The <domain_schedule> element must appear once');
    return undefined;
  }
  const limit = ctx.kernel.numDomains;
  if (limit !== undefined && domains.length > limit) {
    ctx.valueError(SDF_CODES.domains, el, `Number of domains exceeds ${limit}`);
  }
  const schedule = parseSchedule(ctx, scheduleEl, new Set(domains.map((d) => d.name)));
  return { domains, ...schedule, loc: el.loc };
}

function parseDomain(
  ctx: ParseContext,
  el: XmlElement,
  seen: readonly { readonly name: string; readonly id?: number }[],
): { name: string; id?: number } | undefined {
  ctx.checkAttributes(el, 'domain');
  const name = ctx.required(el, 'name')?.value;
  const idAttr = attr(el, 'id');
  const id = idAttr === undefined ? undefined : ctx.sdfNumber(el, idAttr);
  const limit = ctx.kernel.numDomains;
  if (id !== undefined && limit !== undefined && id >= BigInt(limit)) {
    ctx.valueError(
      SDF_CODES.domains,
      el,
      `domain id ${id} should be less than the configured KernelNumDomains value of ${limit}`,
      idAttr?.loc,
    );
    return undefined;
  }
  if (name === undefined) return undefined;
  const sameName = seen.find((d) => d.name === name);
  if (sameName !== undefined) {
    ctx.valueError(
      SDF_CODES.domains,
      el,
      `Each <domain>'s name element must be unique found existing domain '${name}'`,
    );
    return undefined;
  }
  const sameId = id === undefined ? undefined : seen.find((d) => d.id === Number(id));
  if (sameId !== undefined) {
    ctx.valueError(
      SDF_CODES.domains,
      el,
      `Each <domain>'s id element must be unique found existing domain '${sameId.name}' with id '${id}'`,
    );
    return undefined;
  }
  // Ids beyond 255 do not fit KernelNumDomains (a u8); without a config we keep them as written.
  return id === undefined ? { name } : { name, id: Number(id & 0xffffn) };
}

/** `domain_schedule_from_xml`: the entries, start index and shift. */
function parseSchedule(
  ctx: ParseContext,
  el: XmlElement,
  names: ReadonlySet<string>,
): Pick<DomainSchedule, 'entries' | 'startIndex' | 'indexShift'> {
  ctx.checkAttributes(el, 'domain_schedule');
  const startAttr = attr(el, 'start_index');
  const start = startAttr === undefined ? 0n : ctx.sdfNumber(el, startAttr);
  const shiftAttr = attr(el, 'index_shift');
  const shift = shiftAttr === undefined ? undefined : ctx.sdfNumber(el, shiftAttr);
  const list: ScheduleEntry[] = [];
  for (const child of el.children) {
    if (child.tag === 'schedule_entry') {
      const e = parseScheduleEntry(ctx, child, names);
      if (e !== undefined) list.push(e);
    } else if (child.tag === 'schedule_end_marker') {
      ctx.checkAttributes(child, 'schedule_end_marker');
      list.push({ endMarker: true });
    } else {
      ctx.error(
        SDF_CODES.domains,
        `invalid XML element as child of <domain_schedule> '${child.tag}'`,
        child.loc,
      );
    }
  }
  const entries = list.length;
  const max = ctx.kernel.numDomainSchedules;
  if (max !== undefined && entries >= max) {
    ctx.error(
      SDF_CODES.domains,
      `More than configured KernelNumDomainSchedules ${max} number of <schedule_entry> elements found`,
      el.loc,
    );
  }
  if (start !== undefined && start >= BigInt(entries)) {
    ctx.valueError(
      SDF_CODES.domains,
      el,
      `schedule_start_index '${start}' is greater than the length of the schedule '${entries}'`,
      startAttr?.loc,
    );
  }
  if (shift !== undefined && max !== undefined && shift + BigInt(entries) >= BigInt(max)) {
    // Microkit's message prints the start index where it means the shift; kept as it prints.
    ctx.valueError(
      SDF_CODES.domains,
      el,
      `schedule_index_shift '${start}' on top of the schedule length '${entries}' would exceed than the configured KernelNumDomainSchedules ${max}`,
      shiftAttr?.loc,
    );
  }
  return {
    entries: list,
    ...(startAttr === undefined || start === undefined ? {} : { startIndex: start }),
    ...(shift === undefined ? {} : { indexShift: shift }),
  };
}

function parseScheduleEntry(
  ctx: ParseContext,
  el: XmlElement,
  names: ReadonlySet<string>,
): ScheduleEntry | undefined {
  ctx.checkAttributes(el, 'schedule_entry');
  const domain = ctx.required(el, 'domain');
  const duration = ctx.required(el, 'duration');
  if (domain === undefined || duration === undefined) return undefined;
  if (!names.has(domain.value)) {
    ctx.valueError(SDF_CODES.domains, el, `domain '${domain.value}' does not exist,`, domain.loc);
    return undefined;
  }
  const text = duration.value;
  const space = text.indexOf(' ');
  if (space < 0) {
    ctx.valueError(
      SDF_CODES.domains,
      el,
      `The duration '${text}' must contain a value and a unit, e.g. '1000 us'`,
      duration.loc,
    );
    return undefined;
  }
  const value = ctx.sdfNumber(el, { ...duration, value: text.slice(0, space) });
  if (value === undefined) return undefined;
  if (value === 0n) {
    ctx.valueError(SDF_CODES.domains, el, `The duration '${text}' must be non-zero`, duration.loc);
    return undefined;
  }
  const unit = text.slice(space + 1);
  if (unit !== 'us' && unit !== 'ticks') {
    ctx.valueError(
      SDF_CODES.domains,
      el,
      `The duration '${text}' must be in either 'ticks' or 'us'`,
      duration.loc,
    );
    return undefined;
  }
  return { domain: domain.value, duration: text };
}

/** `IOAddressSpace::from_xml`: one device's I/O address space and its `<iomap>`s. */
export function parseIoAddressSpace(
  ctx: ParseContext,
  el: XmlElement,
  seen: {
    readonly names: Set<string>;
    readonly domainIds: Set<bigint>;
    readonly ids: Set<string>;
  },
): IoAddressSpace | undefined {
  if (ctx.kernel.iommu === false) {
    ctx.error(
      SDF_CODES.ioSpace,
      'io address space requires seL4 to be built with IOMMU support',
      el.loc,
    );
    return undefined;
  }
  ctx.checkAttributes(el, 'io_address_space');
  const name = ctx.required(el, 'name')?.value;
  if (name !== undefined && seen.names.has(name)) {
    ctx.valueError(SDF_CODES.ioSpace, el, `duplicate device name '${name}'`);
    return undefined;
  }
  if (name !== undefined) seen.names.add(name);
  let domainId: bigint | undefined;
  if (ctx.arch === 'x86_64') {
    const d = ctx.required(el, 'domain_id');
    domainId = d === undefined ? undefined : ctx.sdfNumber(el, d);
    if (domainId !== undefined && seen.domainIds.has(domainId)) {
      ctx.valueError(SDF_CODES.ioSpace, el, 'reusing a domain id is forbidden');
      return undefined;
    }
    if (domainId !== undefined) seen.domainIds.add(domainId);
  }
  const pid = ctx.required(el, 'peripheral_id');
  if (pid === undefined || name === undefined) return undefined;
  const key = peripheralKey(ctx, el, pid.value);
  if (key === undefined) return undefined;
  if (seen.ids.has(key)) {
    ctx.valueError(SDF_CODES.ioSpace, el, `duplicate device peripheral_id '${key}'`);
    return undefined;
  }
  seen.ids.add(key);
  const maps: IoMap[] = [];
  for (const child of el.children) {
    if (child.tag !== 'iomap') {
      ctx.error(SDF_CODES.invalidElement, `invalid XML element '${child.tag}'`, child.loc);
      continue;
    }
    const m = parseIomap(ctx, child);
    if (m !== undefined) maps.push(m);
  }
  return {
    name,
    peripheralId: key,
    ...(domainId === undefined ? {} : { domainId }),
    maps,
    loc: el.loc,
  };
}

/** How Microkit prints an architecture (`impl Display for Arch`, sel4.rs 2.3.0). */
const ARCH_NAME = { aarch64: 'AArch64', riscv64: 'RISC-V (64-bit)', x86_64: 'x86-64' } as const;

/** `IommuDeviceIdentifier::from_str_for_arch`: a PCI device on x86, nothing elsewhere (yet). */
function peripheralKey(ctx: ParseContext, el: XmlElement, text: string): string | undefined {
  if (ctx.arch !== 'x86_64') {
    ctx.valueError(
      SDF_CODES.ioSpace,
      el,
      `failed to parse device peripheral_id '${text}': IOMMU device identifiers are not supported on ${ARCH_NAME[ctx.arch]}`,
    );
    return undefined;
  }
  const parsed = parsePci(ctx, text);
  if (!parsed.ok) {
    ctx.valueError(
      SDF_CODES.ioSpace,
      el,
      `failed to parse device peripheral_id '${text}': ${parsed.reason}`,
      attr(el, 'peripheral_id')?.loc,
    );
    return undefined;
  }
  const pci = parsed.pci;
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `PCI device ${h(pci.bus, 2)}:${h(pci.device, 2)}.${h(pci.func, 1)}`;
}

function parseIomap(ctx: ParseContext, el: XmlElement): IoMap | undefined {
  ctx.checkAttributes(el, 'iomap');
  const mr = ctx.required(el, 'mr');
  const ivAttr = ctx.required(el, 'iovaddr');
  const iovaddr = ivAttr === undefined ? undefined : ctx.sdfNumber(el, ivAttr);
  if (iovaddr !== undefined && iovaddr >= IOVA_LIMIT) {
    ctx.valueError(
      SDF_CODES.iomap,
      el,
      `iovaddr (${hex(iovaddr)}) must be less than ${hex(IOVA_LIMIT)}`,
      ivAttr?.loc,
    );
    return undefined;
  }
  const p = attr(el, 'perms');
  let perms = { r: true, w: true };
  if (p !== undefined) {
    const ok = p.value.length > 0 && [...p.value].every((c) => c === 'r' || c === 'w');
    if (!ok) {
      ctx.valueError(
        SDF_CODES.iomap,
        el,
        "perms for io mapped memory must only be a combination of 'r' and 'w'",
        p.loc,
      );
      return undefined;
    }
    perms = { r: p.value.includes('r'), w: p.value.includes('w') };
  }
  if (mr === undefined || iovaddr === undefined) return undefined;
  return { mr: mr.value, iovaddr, perms, loc: el.loc };
}
