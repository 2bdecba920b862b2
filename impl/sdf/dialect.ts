// Which Microkit a description is written for: the release (1.4 … 2.3) and the architecture
// (aarch64, riscv64, x86_64), and the closed attribute set of every element at that release
// (microkit-sdf.md §1.1). Every row below is a `check_attributes` call (or the element match) in
// seL4/microkit `tool/microkit/src/sdf.rs` at the tags 1.4.1, 2.0.0, 2.1.0, 2.2.0 and 2.3.0:
//   1.4.1: PD `pp`; map `setvar_vaddr`; irq `irq,id,trigger`; end `pd,id`; vcpu `id`.
//   2.0.0: PD `-pp +smc`; map `+setvar_size`; end `+pp,notify`.
//   2.1.0: PD `+cpu`, child `+setvar_id`; irq `+setvar_id` and the x86 forms (I/O APIC `pin`,
//          MSI `pcidev`); `<ioport>` (x86); vcpu `+setvar_id,cpu`; end `+setvar_id`.
//   2.2.0: `program_image path_for_symbols`; MR `prefill_path`; map `setvar_prefill_size`.
//   2.3.0: PD `+domain,fpu`; MR `prefill_bootinfo`; `<cspace>`, `<domains>`, `<io_address_space>`;
//          `<virtual_machine>` keeps budget/period/priority on aarch64 only.
// Dialect '1' is 1.4; '2' is 2.0 and later. The `<virtual_machine id>` form of the LionsOS docs'
// DriverVM tutorial is from a pre-release VM fork: mainline Microkit never accepted it (its first VM
// support, c387cef 2024-06-20, already had `<vcpu>` children and name/budget/period/priority).

import type {
  Arch,
  Dialect,
  MicrokitTarget,
  MicrokitVersion,
  SourceLocation,
} from '../../spec/system/model.ts';
import { MICROKIT_VERSIONS } from '../../spec/system/model.ts';
import type { XmlElement } from './xml.ts';

export type DialectChoice = 'auto' | '1' | '2';

/** Elements (and element variants) whose attribute set is closed. */
export type AttrContext =
  | 'memory_region'
  | 'protection_domain'
  | 'protection_domain.child'
  | 'program_image'
  | 'map'
  | 'map.vm'
  | 'irq'
  | 'irq.ioapic'
  | 'irq.msi'
  | 'ioport'
  | 'setvar'
  | 'virtual_machine'
  | 'vcpu'
  | 'channel'
  | 'end'
  | 'cspace'
  | 'cap'
  | 'domains'
  | 'domain'
  | 'domain_schedule'
  | 'schedule_entry'
  | 'schedule_end_marker'
  | 'io_address_space'
  | 'iomap';

interface AttrRule {
  readonly name: string;
  /** First release that accepts it. */
  readonly since: MicrokitVersion;
  /** Last release that accepts it (absent: still accepted). */
  readonly until?: MicrokitVersion;
  /** Only on these architectures. */
  readonly arch?: readonly Arch[];
}

const a = (
  since: MicrokitVersion,
  names: readonly string[],
  extra: Omit<AttrRule, 'name' | 'since'> = {},
): AttrRule[] => names.map((name) => ({ name, since, ...extra }));

const PD_COMMON: readonly AttrRule[] = [
  ...a('1.4', ['name', 'priority', 'budget', 'period', 'passive', 'stack_size']),
  ...a('1.4', ['pp'], { until: '1.4' }),
  ...a('2.0', ['smc']),
  ...a('2.1', ['cpu']),
  ...a('2.3', ['domain', 'fpu']),
];

const RULES: Readonly<Record<AttrContext, readonly AttrRule[]>> = {
  memory_region: [
    ...a('1.4', ['name', 'size', 'page_size', 'phys_addr']),
    ...a('2.2', ['prefill_path']),
    ...a('2.3', ['prefill_bootinfo']),
  ],
  protection_domain: PD_COMMON,
  'protection_domain.child': [...PD_COMMON, ...a('1.4', ['id']), ...a('2.1', ['setvar_id'])],
  program_image: [...a('1.4', ['path']), ...a('2.2', ['path_for_symbols'])],
  map: [
    ...a('1.4', ['mr', 'vaddr', 'perms', 'cached', 'setvar_vaddr']),
    ...a('2.0', ['setvar_size']),
    ...a('2.2', ['setvar_prefill_size']),
  ],
  'map.vm': a('1.4', ['mr', 'vaddr', 'perms', 'cached']),
  irq: [...a('1.4', ['irq', 'id', 'trigger']), ...a('2.1', ['setvar_id'])],
  'irq.ioapic': a('2.1', ['id', 'setvar_id', 'ioapic', 'pin', 'trigger', 'polarity', 'vector'], {
    arch: ['x86_64'],
  }),
  'irq.msi': a('2.1', ['id', 'setvar_id', 'pcidev', 'handle', 'vector'], { arch: ['x86_64'] }),
  ioport: a('2.1', ['id', 'setvar_id', 'setvar_addr', 'addr', 'size'], { arch: ['x86_64'] }),
  setvar: a('1.4', ['symbol', 'region_paddr']),
  virtual_machine: [
    ...a('1.4', ['name']),
    // 2.3.0 `VirtualMachine::from_xml`: scheduling attributes only `if config.arch == Aarch64`.
    ...a('1.4', ['budget', 'period', 'priority'], { until: '2.2' }),
    ...a('2.3', ['budget', 'period', 'priority'], { arch: ['aarch64'] }),
  ],
  vcpu: [...a('1.4', ['id']), ...a('2.1', ['setvar_id', 'cpu'])],
  channel: [],
  end: [...a('1.4', ['pd', 'id']), ...a('2.0', ['pp', 'notify']), ...a('2.1', ['setvar_id'])],
  cspace: [],
  cap: a('2.3', ['slot', 'pd']),
  domains: [],
  domain: a('2.3', ['name', 'id']),
  domain_schedule: a('2.3', ['index_shift', 'start_index']),
  schedule_entry: a('2.3', ['domain', 'duration']),
  schedule_end_marker: [],
  io_address_space: a('2.3', ['name', 'peripheral_id', 'domain_id']),
  iomap: a('2.3', ['mr', 'iovaddr', 'perms']),
};

/** Elements that appeared after 1.4 (`since`), and where only x86 has them. */
export const ELEMENT_SINCE: Readonly<
  Record<string, { readonly since: MicrokitVersion; readonly arch?: readonly Arch[] }>
> = {
  ioport: { since: '2.1', arch: ['x86_64'] },
  cspace: { since: '2.3' },
  domains: { since: '2.3' },
  io_address_space: { since: '2.3', arch: ['x86_64'] },
};

export function versionAtLeast(v: MicrokitVersion, min: MicrokitVersion): boolean {
  return MICROKIT_VERSIONS.indexOf(v) >= MICROKIT_VERSIONS.indexOf(min);
}

export function dialectOf(v: MicrokitVersion): Dialect {
  return v === '1.4' ? '1' : '2';
}

function accepts(rule: AttrRule, t: MicrokitTarget): boolean {
  if (!versionAtLeast(t.version, rule.since)) return false;
  if (rule.until !== undefined && !versionAtLeast(rule.until, t.version)) return false;
  return rule.arch === undefined || rule.arch.includes(t.arch);
}

/**
 * The attributes `ctx` accepts at target `t`. `tolerate` adds attributes of the other dialect that a
 * mixed file was seen to use (it was warned about; see `detectTarget`).
 */
export function allowedAttributes(
  t: MicrokitTarget,
  ctx: AttrContext,
  tolerate: ReadonlySet<string> = new Set(),
): readonly string[] {
  const rules = RULES[ctx];
  const out = rules.filter((r) => accepts(r, t)).map((r) => r.name);
  // Tolerance is per element and attribute, whichever variant (root or child PD) used it.
  const tag = ctx.split('.')[0];
  for (const r of rules)
    if (tolerate.has(`${tag} ${r.name}`) && !out.includes(r.name)) out.push(r.name);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Detection

/** One piece of syntax that only some releases (or one architecture) have. */
export interface Marker {
  /** `pp on <protection_domain>`, `<ioport>`, … */
  readonly what: string;
  readonly loc: SourceLocation;
  readonly since: MicrokitVersion;
  readonly until?: MicrokitVersion;
  readonly x86: boolean;
  /** The element and attribute (`protection_domain pp`) of an attribute marker. */
  readonly key?: string;
}

export interface DialectDecision {
  readonly dialect: Dialect;
  /** The release and architecture to read the file as first (index.ts may fall back to older). */
  readonly target: MicrokitTarget;
  /** The oldest release that has every marker the file uses. */
  readonly minVersion: MicrokitVersion;
  /** Why this dialect: the first dialect-specific syntax (`pp on <end> at line 70`). */
  readonly reason: string;
  /** Why this release and architecture. */
  readonly targetReason: string;
  /** A file that uses markers of both dialects: the two that clash (warned, both tolerated). */
  readonly mixed?: { readonly legacy: Marker; readonly modern: Marker };
  /** Attribute-set keys of the other dialect that a mixed file uses and that are tolerated. */
  readonly tolerated: ReadonlySet<string>;
}

export interface TargetChoice {
  readonly dialect?: DialectChoice;
  /** Force a release (implies the dialect). */
  readonly version?: MicrokitVersion;
  readonly arch?: Arch;
}

/** Attribute variants are decided by which attribute names the element (irq: pin / pcidev). */
function contextOf(el: XmlElement, parent: XmlElement | undefined): AttrContext | undefined {
  const has = (n: string): boolean => el.attrs.some((x) => x.name === n);
  switch (el.tag) {
    case 'protection_domain':
      return parent?.tag === 'protection_domain' ? 'protection_domain.child' : 'protection_domain';
    case 'map':
      return parent?.tag === 'virtual_machine' ? 'map.vm' : 'map';
    case 'irq':
      if (has('irq')) return 'irq';
      if (has('pin')) return 'irq.ioapic';
      return has('pcidev') ? 'irq.msi' : 'irq';
    case 'cap_tcb':
    case 'cap_sc':
    case 'cap_vspace':
      return 'cap';
    default:
      return el.tag in RULES ? (el.tag as AttrContext) : undefined;
  }
}

const X86_CONTEXTS: ReadonlySet<AttrContext> = new Set(['irq.ioapic', 'irq.msi', 'ioport']);

/** Every version- or arch-specific attribute and element, in document order. */
export function collectMarkers(root: XmlElement): Marker[] {
  const out: Marker[] = [];
  // Iterative walk (document order) so that deep nesting cannot exhaust the stack.
  const stack: { el: XmlElement; parent: XmlElement | undefined }[] = [
    { el: root, parent: undefined },
  ];
  while (stack.length > 0) {
    const top = stack.pop();
    if (top === undefined) break;
    const { el, parent } = top;
    const since = ELEMENT_SINCE[el.tag];
    if (since !== undefined && parent !== undefined) {
      out.push({
        what: `<${el.tag}>`,
        loc: el.loc,
        since: since.since,
        x86: since.arch?.includes('x86_64') === true,
      });
    }
    const ctx = contextOf(el, parent);
    if (ctx !== undefined) {
      for (const attr of el.attrs) {
        const rule = RULES[ctx].find((r) => r.name === attr.name);
        if (rule === undefined) continue;
        const x86 =
          X86_CONTEXTS.has(ctx) ||
          (attr.name === 'prefill_bootinfo' && attr.value.startsWith('x86_'));
        const versioned = rule.since !== '1.4' || rule.until !== undefined;
        if (!versioned && !x86) continue;
        out.push({
          what: `${attr.name} on <${el.tag}>`,
          loc: attr.loc,
          since: rule.since,
          ...(rule.until !== undefined ? { until: rule.until } : {}),
          x86,
          key: `${el.tag} ${attr.name}`,
        });
      }
    }
    for (let i = el.children.length - 1; i >= 0; i--) {
      const c = el.children[i];
      if (c !== undefined) stack.push({ el: c, parent: el });
    }
  }
  return out;
}

const at = (m: Marker): string => `${m.what} at line ${m.loc.line}`;

/**
 * Decide the release and architecture. Forced choices win. Otherwise: dialect 1 (Microkit 1.4)
 * when a 1.x-only marker is present; else the newest release, 2.3, which accepts every 2.x
 * attribute (index.ts falls back to the older releases that have every marker the file uses when
 * 2.3 rejects it, e.g. an x86 VM with a priority). x86_64 when any x86-only syntax is present, else
 * aarch64 (riscv64 has no syntax of its own: force it).
 */
export function detectTarget(root: XmlElement, choice: TargetChoice = {}): DialectDecision {
  const markers = collectMarkers(root);
  const x86 = markers.find((m) => m.x86);
  const arch: Arch = choice.arch ?? (x86 !== undefined ? 'x86_64' : 'aarch64');
  const archWhy =
    choice.arch !== undefined
      ? `${arch} (forced by option)`
      : x86 !== undefined
        ? `x86_64 (${at(x86)})`
        : 'aarch64 (no x86 syntax; riscv64 needs the option)';
  const legacy = markers.find((m) => m.until === '1.4');
  const modern = markers.filter((m) => m.since !== '1.4');
  const newest = modern.reduce<Marker | undefined>(
    (best, m) => (best === undefined || !versionAtLeast(best.since, m.since) ? m : best),
    undefined,
  );
  const minVersion: MicrokitVersion = newest?.since ?? (legacy !== undefined ? '1.4' : '2.0');
  const forcedVersion =
    choice.version ?? (choice.dialect === '1' ? '1.4' : choice.dialect === '2' ? '2.3' : undefined);
  if (forcedVersion !== undefined) {
    const how =
      choice.version !== undefined ? `Microkit ${choice.version}` : `dialect ${choice.dialect}`;
    return {
      dialect: dialectOf(forcedVersion),
      target: { version: forcedVersion, arch },
      minVersion: forcedVersion,
      reason: `forced by option (${how})`,
      targetReason: `Microkit ${forcedVersion} (forced by option), ${archWhy}`,
      tolerated: new Set(),
    };
  }
  if (legacy !== undefined && newest !== undefined) {
    // No release accepts both: warned by the parser; both are read with their own meaning.
    const first = modern[0] as Marker;
    return {
      dialect: '2',
      target: { version: '2.3', arch },
      minVersion,
      reason: `mixed: ${at(legacy)} (1.x) and ${at(first)} (${first.since}+)`,
      targetReason: `Microkit 2.3 with the 1.x syntax tolerated (${at(legacy)}), ${archWhy}`,
      mixed: { legacy, modern: first },
      tolerated: new Set(markers.filter((m) => m.until === '1.4').map((m) => m.key ?? '')),
    };
  }
  if (legacy !== undefined) {
    return {
      dialect: '1',
      target: { version: '1.4', arch },
      minVersion: '1.4',
      reason: at(legacy),
      targetReason: `Microkit 1.4 (${at(legacy)} is 1.x syntax), ${archWhy}`,
      tolerated: new Set(),
    };
  }
  const first = modern[0];
  return {
    dialect: '2',
    target: { version: '2.3', arch },
    minVersion,
    reason: first === undefined ? 'no dialect-specific syntax; assuming 2' : at(first),
    targetReason:
      newest === undefined
        ? `Microkit 2.3 (the newest release), ${archWhy}`
        : `Microkit 2.3 (the newest release; ${at(newest)} needs ${newest.since}+), ${archWhy}`,
    tolerated: new Set(),
  };
}
