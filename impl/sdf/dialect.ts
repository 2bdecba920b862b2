// The two SDF dialects (microkit-sdf.md §1.1) as closed attribute sets, and dialect detection.
// Dialect '1' is Microkit 1.4.1 (pp on <protection_domain>); dialect '2' is 2.x up to 2.3.0-dev on
// ARM/RISC-V (pp/notify on <end>, setvar_size, smc, cpu, fpu, setvar_id, path_for_symbols).
// x86-only attributes (ioapic, MSI) are not part of either set: our model is AArch64/RISC-V.

import type { Dialect } from '../../spec/system/model.ts';
import type { XmlElement } from './xml.ts';

export type DialectChoice = 'auto' | '1' | '2';

/** Elements whose attribute set we check. `protection_domain.child` is a child PD. */
export type AttrContext =
  | 'memory_region'
  | 'protection_domain'
  | 'protection_domain.child'
  | 'program_image'
  | 'map'
  | 'map.vm'
  | 'irq'
  | 'setvar'
  | 'virtual_machine'
  | 'vcpu'
  | 'channel'
  | 'end';

const V1: Record<AttrContext, readonly string[]> = {
  memory_region: ['name', 'size', 'page_size', 'phys_addr'],
  protection_domain: ['name', 'priority', 'pp', 'budget', 'period', 'passive', 'stack_size'],
  'protection_domain.child': [
    'name',
    'priority',
    'pp',
    'budget',
    'period',
    'passive',
    'stack_size',
    'id',
  ],
  program_image: ['path'],
  map: ['mr', 'vaddr', 'perms', 'cached', 'setvar_vaddr'],
  'map.vm': ['mr', 'vaddr', 'perms', 'cached'],
  irq: ['irq', 'id', 'trigger'],
  setvar: ['symbol', 'region_paddr'],
  // lionsos_docs DriverVM tutorial shows the 1.x `<virtual_machine name="linux" id="0">` form.
  virtual_machine: ['name', 'id', 'budget', 'period', 'priority'],
  vcpu: ['id'],
  channel: [],
  end: ['pd', 'id'],
};

const V2: Record<AttrContext, readonly string[]> = {
  memory_region: ['name', 'size', 'page_size', 'phys_addr'],
  protection_domain: [
    'name',
    'priority',
    'budget',
    'period',
    'passive',
    'stack_size',
    'cpu',
    'smc',
    'fpu',
  ],
  'protection_domain.child': [
    'name',
    'priority',
    'budget',
    'period',
    'passive',
    'stack_size',
    'cpu',
    'smc',
    'fpu',
    'id',
    'setvar_id',
  ],
  program_image: ['path', 'path_for_symbols'],
  map: ['mr', 'vaddr', 'perms', 'cached', 'setvar_vaddr', 'setvar_size'],
  'map.vm': ['mr', 'vaddr', 'perms', 'cached'],
  irq: ['irq', 'id', 'trigger', 'setvar_id'],
  setvar: ['symbol', 'region_paddr'],
  virtual_machine: ['name', 'budget', 'period', 'priority'],
  vcpu: ['id', 'cpu'],
  channel: [],
  end: ['pd', 'id', 'pp', 'notify', 'setvar_id'],
};

export function allowedAttributes(dialect: Dialect, ctx: AttrContext): readonly string[] {
  return dialect === '1' ? V1[ctx] : V2[ctx];
}

/** Syntax only one dialect has: [element, attribute, dialect it implies]. */
const MARKERS: readonly (readonly [string, string, Dialect])[] = [
  ['protection_domain', 'pp', '1'],
  ['virtual_machine', 'id', '1'],
  ['end', 'pp', '2'],
  ['end', 'notify', '2'],
  ['end', 'setvar_id', '2'],
  ['map', 'setvar_size', '2'],
  ['protection_domain', 'smc', '2'],
  ['protection_domain', 'cpu', '2'],
  ['protection_domain', 'fpu', '2'],
  ['protection_domain', 'setvar_id', '2'],
  ['irq', 'setvar_id', '2'],
  ['program_image', 'path_for_symbols', '2'],
  ['vcpu', 'cpu', '2'],
];

const MARKER_INDEX = new Map(MARKERS.map((m) => [`${m[0]} ${m[1]}`, m] as const));

export interface DialectDecision {
  readonly dialect: Dialect;
  readonly reason: string;
}

/** The first dialect-specific attribute in document order decides (microkit-sdf.md §1.1). */
export function detectDialect(root: XmlElement, choice: DialectChoice): DialectDecision {
  if (choice !== 'auto') return { dialect: choice, reason: `forced by option (dialect ${choice})` };
  const hit = firstMarker(root, 0);
  if (hit === undefined) {
    return { dialect: '2', reason: 'no dialect-specific syntax; assuming 2' };
  }
  const [el, attr, dialect, line] = hit;
  return { dialect, reason: `${attr} on <${el}> at line ${line}` };
}

function firstMarker(
  el: XmlElement,
  depth: number,
): readonly [string, string, Dialect, number] | undefined {
  if (depth > 128) return undefined; // XML_MAX_DEPTH bounds the tree far below this.
  for (const a of el.attrs) {
    const m = MARKER_INDEX.get(`${el.tag} ${a.name}`);
    if (m !== undefined) return [m[0], m[1], m[2], a.loc.line];
  }
  for (const c of el.children) {
    const hit = firstMarker(c, depth + 1);
    if (hit !== undefined) return hit;
  }
  return undefined;
}
