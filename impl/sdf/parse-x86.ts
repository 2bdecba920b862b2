// Interrupts and I/O ports (microkit-sdf.md §1.3): the ARM/RISC-V `<irq irq=…>` of every release,
// and from 2.1.0 the x86 forms — I/O APIC (`pin`) and MSI (`pcidev`) — and `<ioport>`. Check order
// of 2.1.0+ (seL4/microkit tool/microkit/src/sdf.rs `ProtectionDomain::from_xml`, "irq" arm): the
// id first, then its setvar, then the form by which attribute is present; 1.4.1 and 2.0.x check
// the closed attribute set first and know only the ARM/RISC-V form. Numbers Microkit reads with
// `parse::<i64>().unwrap()` are decimal; garbage there makes it panic, we report it.

import type { IoPort, Irq, IrqTrigger } from '../../spec/system/model.ts';
import { attr, attrLocs, type ParseContext } from './context.ts';
import { SDF_CODES } from './diagnostics.ts';
import { PD_MAX_ID, parseId, type PdBody } from './parse.ts';
import type { XmlElement } from './xml.ts';

/** `X86_IRQ_VECTOR_MAX` (2.3.0): the kernel's irq_user_max − irq_user_min. 2.1/2.2 check >= 0 only. */
export const X86_IRQ_VECTOR_MAX = 107n;
/** `PCIDevice::PCI_{BUS,DEV,FUNC}_MAX` (2.3.0). */
const PCI_MAX = { bus: 255, device: 31, func: 7 } as const;

export function parseIrq(ctx: ParseContext, el: XmlElement, body: PdBody): Irq | undefined {
  if (!ctx.since('2.1')) return parseConventional(ctx, el, undefined);
  const id = parseId(ctx, el, PD_MAX_ID);
  const sv = attr(el, 'setvar_id');
  if (sv !== undefined) body.symbol(sv.loc, sv.value, 'irq');
  if (attr(el, 'irq') !== undefined) {
    if (ctx.arch === 'x86_64') {
      ctx.valueError(SDF_CODES.irqArch, el, 'ARM and RISC-V IRQs are not supported on x86');
      return undefined;
    }
    return parseConventional(ctx, el, id);
  }
  if (attr(el, 'pin') !== undefined) {
    if (ctx.arch !== 'x86_64') {
      ctx.valueError(SDF_CODES.irqArch, el, "x86 I/O APIC IRQ isn't supported on ARM and RISC-V");
      return undefined;
    }
    return parseIoapic(ctx, el, id);
  }
  if (attr(el, 'pcidev') !== undefined) {
    if (ctx.arch !== 'x86_64') {
      ctx.valueError(SDF_CODES.irqArch, el, "x86 MSI IRQ isn't supported on ARM and RISC-V");
      return undefined;
    }
    return parseMsi(ctx, el, id);
  }
  // No form recognised: Microkit asks for the attribute of its architecture's form.
  ctx.required(el, ctx.arch === 'x86_64' ? 'pin' : 'irq');
  return undefined;
}

/** `id` was parsed already from 2.1 on; before, it is parsed here in 1.4.1's order. */
function parseConventional(
  ctx: ParseContext,
  el: XmlElement,
  parsedId: number | undefined,
): Irq | undefined {
  ctx.checkAttributes(el, 'irq');
  const irqAttr = ctx.required(el, 'irq');
  const irqNum = irqAttr === undefined ? undefined : ctx.decimalU64(el, irqAttr);
  const id = ctx.since('2.1') ? parsedId : parseId(ctx, el, PD_MAX_ID);
  const trigger = parseTrigger(ctx, el);
  if (trigger === undefined) return undefined;
  if (irqNum !== undefined && irqNum > BigInt(Number.MAX_SAFE_INTEGER)) {
    // Our model keeps IRQ numbers as JS numbers; no interrupt controller has 2^53 lines.
    ctx.valueError(SDF_CODES.badNumber, el, `irq number ${irqNum} is out of range`, irqAttr?.loc);
    return undefined;
  }
  if (irqNum === undefined || id === undefined) return undefined;
  const setvarId = ctx.since('2.1') ? attr(el, 'setvar_id')?.value : undefined;
  return {
    irq: Number(irqNum),
    id,
    trigger,
    kind: 'conventional',
    ...(setvarId === undefined ? {} : { setvarId }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
}

function parseTrigger(ctx: ParseContext, el: XmlElement): IrqTrigger | undefined {
  const trig = attr(el, 'trigger');
  if (trig === undefined) return 'level';
  if (trig.value === 'level' || trig.value === 'edge') return trig.value;
  ctx.valueError(SDF_CODES.irqTrigger, el, "trigger must be either 'level' or 'edge'", trig.loc);
  return undefined;
}

/** A decimal i64 that must be >= 0 (`<name> must be >= 0`); absent: `dflt` (or required). */
function nonNegative(
  ctx: ParseContext,
  el: XmlElement,
  name: string,
  dflt?: bigint,
): bigint | undefined {
  const a = dflt === undefined ? ctx.required(el, name) : attr(el, name);
  if (a === undefined) return dflt;
  const v = ctx.decimalI64(el, a);
  if (v === undefined) return undefined;
  if (v < 0n) {
    ctx.valueError(SDF_CODES.irqX86, el, `${name} must be >= 0`, a.loc);
    return undefined;
  }
  return v;
}

function parseVector(ctx: ParseContext, el: XmlElement): bigint | undefined {
  const a = ctx.required(el, 'vector');
  if (a === undefined) return undefined;
  const v = ctx.decimalI64(el, a);
  if (v === undefined) return undefined;
  if (ctx.since('2.3') && (v < 0n || v > X86_IRQ_VECTOR_MAX)) {
    ctx.valueError(SDF_CODES.irqX86, el, `vector must be within [0..${X86_IRQ_VECTOR_MAX}]`, a.loc);
    return undefined;
  }
  if (v < 0n) {
    ctx.valueError(SDF_CODES.irqX86, el, 'vector must be >= 0', a.loc);
    return undefined;
  }
  return v;
}

function parseIoapic(ctx: ParseContext, el: XmlElement, id: number | undefined): Irq | undefined {
  ctx.checkAttributes(el, 'irq.ioapic');
  const ioapic = nonNegative(ctx, el, 'ioapic', 0n);
  const pin = nonNegative(ctx, el, 'pin');
  const trigger = parseTrigger(ctx, el);
  const pol = attr(el, 'polarity');
  let polarity: 'low' | 'high' | undefined = 'high';
  if (pol !== undefined) {
    if (pol.value === 'low' || pol.value === 'high') polarity = pol.value;
    else {
      ctx.valueError(SDF_CODES.irqX86, el, "polarity must be either 'low' or 'high'", pol.loc);
      polarity = undefined;
    }
  }
  const vector = parseVector(ctx, el);
  if (
    id === undefined ||
    ioapic === undefined ||
    pin === undefined ||
    trigger === undefined ||
    polarity === undefined ||
    vector === undefined
  ) {
    return undefined;
  }
  const setvarId = attr(el, 'setvar_id')?.value;
  return {
    irq: Number(vector),
    id,
    trigger,
    kind: 'ioapic',
    ioapic: Number(ioapic),
    pin: Number(pin),
    polarity,
    ...(setvarId === undefined ? {} : { setvarId }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
}

type Pci = { readonly bus: number; readonly device: number; readonly func: number };

/**
 * The PCI address `bus:device.function`, each part hex. 2.3.0 (`PciDevice::from_str`) checks the
 * form and each range; 2.1/2.2 split on ':' and '.', require three parts and check >= 0 only
 * (panicking on a part that is not hex; we report). Returns the reason Microkit gives on failure.
 */
export function parsePci(
  ctx: ParseContext,
  text: string,
): { readonly ok: true; readonly pci: Pci } | { readonly ok: false; readonly reason: string } {
  const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
  const hexPart = (s: string): number | undefined => {
    const t = s.trim();
    return /^[+-]?[0-9a-fA-F]+$/u.test(t) ? Number.parseInt(t, 16) : undefined;
  };
  if (!ctx.since('2.3')) {
    const parts = text.split(/[:.]/u).map(hexPart);
    if (parts.length !== 3) return fail(`failed to parse PCI address '${text}'`);
    if (parts.some((p) => p === undefined)) {
      return fail(`failed to parse PCI address '${text}': a part is not hexadecimal`);
    }
    const [bus, device, func] = parts as [number, number, number];
    if (bus < 0) return fail('PCI bus must be >= 0');
    if (device < 0) return fail('PCI device must be >= 0');
    if (func < 0) return fail('PCI function must be >= 0');
    return { ok: true, pci: { bus, device, func } };
  }
  const colon = text.indexOf(':');
  const dot = colon < 0 ? -1 : text.indexOf('.', colon + 1);
  if (colon < 0 || dot < 0) return fail('expected PCI address in bus:device.function form');
  const fields = [
    ['bus', text.slice(0, colon), PCI_MAX.bus],
    ['device', text.slice(colon + 1, dot), PCI_MAX.device],
    ['function', text.slice(dot + 1), PCI_MAX.func],
  ] as const;
  const out: number[] = [];
  for (const [name, s, max] of fields) {
    const v = hexPart(s);
    if (v === undefined) return fail(`failed to parse PCI ${name}`);
    if (v < 0 || v > max) return fail(`PCI ${name} must be within [0..${max}]`);
    out.push(v);
  }
  const [bus, device, func] = out as [number, number, number];
  return { ok: true, pci: { bus, device, func } };
}

function parseMsi(ctx: ParseContext, el: XmlElement, id: number | undefined): Irq | undefined {
  ctx.checkAttributes(el, 'irq.msi');
  const pcidev = attr(el, 'pcidev');
  const parsed = parsePci(ctx, pcidev?.value ?? '');
  if (!parsed.ok) ctx.valueError(SDF_CODES.irqX86, el, parsed.reason, pcidev?.loc);
  const pci = parsed.ok ? parsed.pci : undefined;
  const handle = nonNegative(ctx, el, 'handle');
  const vector = parseVector(ctx, el);
  if (id === undefined || pci === undefined || handle === undefined || vector === undefined) {
    return undefined;
  }
  const setvarId = attr(el, 'setvar_id')?.value;
  return {
    irq: Number(vector),
    id,
    // Message-signalled interrupts are edge-triggered by design.
    trigger: 'edge',
    kind: 'msi',
    pciDevice: pci,
    handle: Number(handle),
    ...(setvarId === undefined ? {} : { setvarId }),
    loc: el.loc,
    attrLocs: attrLocs(el),
  };
}

/** `<ioport>` (2.1+): x86 only, else an error on the PD element ("I/O Ports are only available on x86"). */
export function parseIoport(
  ctx: ParseContext,
  pdEl: XmlElement,
  el: XmlElement,
  body: PdBody,
): IoPort | undefined {
  if (ctx.arch !== 'x86_64') {
    ctx.valueError(SDF_CODES.ioport, pdEl, 'I/O Ports are only available on x86', el.loc);
    return undefined;
  }
  ctx.checkAttributes(el, 'ioport');
  const id = parseId(ctx, el, PD_MAX_ID);
  const sv = attr(el, 'setvar_id');
  if (sv !== undefined) body.symbol(sv.loc, sv.value, 'ioport');
  const addrAttr = ctx.required(el, 'addr');
  const addr = addrAttr === undefined ? undefined : ctx.sdfNumber(el, addrAttr);
  const sa = attr(el, 'setvar_addr');
  if (sa !== undefined) body.symbol(sa.loc, sa.value, 'ioport');
  const sizeAttr = ctx.required(el, 'size');
  const size = sizeAttr === undefined ? undefined : ctx.decimalI64(el, sizeAttr);
  if (size !== undefined && size <= 0n) {
    ctx.valueError(SDF_CODES.ioport, el, 'size must be > 0', sizeAttr?.loc);
    return undefined;
  }
  if (id === undefined || addr === undefined || size === undefined) return undefined;
  return {
    id,
    addr,
    size,
    ...(sv === undefined ? {} : { setvarId: sv.value }),
    ...(sa === undefined ? {} : { setvarAddr: sa.value }),
    loc: el.loc,
  };
}
