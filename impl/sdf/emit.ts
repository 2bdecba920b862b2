// Emitter: a SystemModel back to SDF XML in either dialect (microkit-sdf.md §1.1).
// Defaults are left out, so parse(emit(m)) gives m again modulo locations.
//
// Converting `pp` between dialects:
// - 1 → 2: a PD-level pp="true" on Y becomes pp="true" on every channel end X↔Y whose PD X has a
//   strictly lower priority than Y. Peers of equal or higher priority CANNOT be converted: 2.x
//   rejects such a PPC (strict-priority rule), so that grant is dropped and listed in an XML comment.
// - 2 → 1: an end pp="true" on X towards Y becomes pp="true" on PD Y. This widens the grant: in
//   1.x every peer of Y may PP-call it. 2.x-only syntax (notify="false", setvar_size, setvar_id,
//   cpu, smc, fpu="false", path_for_symbols, prefill, domains, cspace, I/O ports, x86 interrupts,
//   I/O address spaces, a second vCPU) has no 1.x form: it is dropped and listed in a comment.
// Dialect 2 is written as Microkit 2.3 syntax; the default stack size is the dialect's (0x1000 in
// 1.4, 0x2000 from 2.1), so an unwritten stack_size reads back as the same value.

import type {
  Channel,
  ChannelEnd,
  Dialect,
  DomainSchedule,
  IoAddressSpace,
  Irq,
  Mapping,
  MemoryRegion,
  ProtectionDomain,
  SystemModel,
} from '../../spec/system/model.ts';
import { assert } from '../../spec/common/assert.ts';
import { hex } from './number.ts';
import {
  BUDGET_DEFAULT_US,
  PD_DEFAULT_STACK_SIZE_BYTES,
  PD_DEFAULT_STACK_SIZE_BYTES_BEFORE_2_1,
} from './parse.ts';

const INDENT = '    ';

function esc(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;')
    .replaceAll('\t', '&#9;');
}

/** A comment body may not contain `--` nor end in `-`. */
function comment(s: string): string {
  return `<!-- ${s.replaceAll('--', '- -').replace(/-$/u, '- ')} -->`;
}

type Attr = readonly [string, string | undefined];

function tag(name: string, attrs: readonly Attr[], selfClose: boolean): string {
  const parts = attrs.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}="${esc(v ?? '')}"`);
  const inner = [name, ...parts].join(' ');
  return selfClose ? `<${inner} />` : `<${inner}>`;
}

function permsText(m: Mapping): string {
  return `${m.perms.r ? 'r' : ''}${m.perms.w ? 'w' : ''}${m.perms.x ? 'x' : ''}`;
}

interface EmitState {
  readonly dialect: Dialect;
  readonly model: SystemModel;
  readonly lines: string[];
  readonly dropped: string[];
  /** PDs that get PD-level pp in a 1.x emission. */
  readonly ppCallees: ReadonlySet<string>;
  /** PDs written so far: every PD must be written exactly once. */
  emittedPds: number;
}

function v2Only(st: EmitState, what: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (st.dialect === '2') return value;
  st.dropped.push(what);
  return undefined;
}

function emitMap(st: EmitState, m: Mapping, depth: number, owner: string): void {
  const perms = permsText(m);
  st.lines.push(
    INDENT.repeat(depth) +
      tag(
        'map',
        [
          ['mr', m.mr],
          ['vaddr', hex(m.vaddr)],
          ['perms', perms === 'rw' ? undefined : perms],
          ['cached', m.cached ? undefined : 'false'],
          ['setvar_vaddr', m.setvarVaddr],
          [
            'setvar_size',
            v2Only(st, `setvar_size on map of '${m.mr}' in '${owner}'`, m.setvarSize),
          ],
          [
            'setvar_prefill_size',
            v2Only(
              st,
              `setvar_prefill_size on map of '${m.mr}' in '${owner}'`,
              m.setvarPrefillSize,
            ),
          ],
        ],
        true,
      ),
  );
}

function emitPd(st: EmitState, pd: ProtectionDomain, depth: number): void {
  const pad = INDENT.repeat(depth);
  const isChild = pd.parent !== undefined;
  const pp = st.dialect === '1' && (pd.ppLegacy || st.ppCallees.has(pd.name));
  const defaultStack =
    st.dialect === '1' ? PD_DEFAULT_STACK_SIZE_BYTES_BEFORE_2_1 : PD_DEFAULT_STACK_SIZE_BYTES;
  st.emittedPds++;
  st.lines.push(
    pad +
      tag(
        'protection_domain',
        [
          ['name', pd.name],
          ['priority', pd.priority === 0 ? undefined : String(pd.priority)],
          ['pp', pp ? 'true' : undefined],
          ['id', isChild && pd.childId !== undefined ? String(pd.childId) : undefined],
          ['budget', pd.budgetUs === BUDGET_DEFAULT_US ? undefined : String(pd.budgetUs)],
          ['period', pd.periodUs === pd.budgetUs ? undefined : String(pd.periodUs)],
          ['passive', pd.passive ? 'true' : undefined],
          ['stack_size', pd.stackSizeBytes === defaultStack ? undefined : hex(pd.stackSizeBytes)],
          ['cpu', v2Only(st, `cpu on '${pd.name}'`, pd.cpu === 0 ? undefined : String(pd.cpu))],
          ['smc', v2Only(st, `smc on '${pd.name}'`, pd.smc ? 'true' : undefined)],
          ['fpu', v2Only(st, `fpu on '${pd.name}'`, pd.fpu ? undefined : 'false')],
          ['domain', v2Only(st, `domain on '${pd.name}'`, pd.domain)],
          ['setvar_id', isChild ? v2Only(st, `setvar_id on '${pd.name}'`, pd.setvarId) : undefined],
        ],
        false,
      ),
  );
  const inner = INDENT.repeat(depth + 1);
  st.lines.push(
    inner +
      tag(
        'program_image',
        [
          ['path', pd.programImage],
          [
            'path_for_symbols',
            v2Only(st, `path_for_symbols on '${pd.name}'`, pd.programImagePathForSymbols),
          ],
        ],
        true,
      ),
  );
  for (const m of pd.maps) emitMap(st, m, depth + 1, pd.name);
  for (const irq of pd.irqs) emitIrq(st, irq, inner);
  for (const p of pd.ioports ?? []) {
    if (v2Only(st, `ioport ${p.id} of '${pd.name}'`, 'x') === undefined) continue;
    st.lines.push(
      inner +
        tag(
          'ioport',
          [
            ['id', String(p.id)],
            ['addr', hex(p.addr)],
            ['size', String(p.size)],
            ['setvar_id', p.setvarId],
            ['setvar_addr', p.setvarAddr],
          ],
          true,
        ),
    );
  }
  for (const sv of pd.setvars) {
    st.lines.push(
      inner +
        tag(
          'setvar',
          [
            ['symbol', sv.symbol],
            ['region_paddr', sv.regionPaddr],
          ],
          true,
        ),
    );
  }
  const vm = pd.virtualMachine;
  if (vm !== undefined) emitVm(st, vm, depth + 1);
  const caps = pd.capMaps ?? [];
  if (caps.length > 0 && v2Only(st, `cspace of '${pd.name}'`, 'x') !== undefined) {
    st.lines.push(`${inner}<cspace>`);
    for (const c of caps) {
      st.lines.push(
        inner +
          INDENT +
          tag(
            `cap_${c.type}`,
            [
              ['slot', String(c.slot)],
              ['pd', c.pd],
            ],
            true,
          ),
      );
    }
    st.lines.push(`${inner}</cspace>`);
  }
  // Children follow their parent in the pre-order list (Microkit `pd_tree_to_list`).
  for (const child of st.model.pds.filter((c) => c.parent === pd.name)) {
    assert(depth < 1024, () => `PD nesting ${depth} too deep to emit`);
    emitPd(st, child, depth + 1);
  }
  st.lines.push(`${pad}</protection_domain>`);
}

function emitVm(
  st: EmitState,
  vm: NonNullable<ProtectionDomain['virtualMachine']>,
  depth: number,
): void {
  const pad = INDENT.repeat(depth);
  st.lines.push(
    pad +
      tag(
        'virtual_machine',
        [
          ['name', vm.name],
          ['priority', vm.priority === undefined ? undefined : String(vm.priority)],
          ['budget', vm.budgetUs === undefined ? undefined : String(vm.budgetUs)],
          ['period', vm.periodUs === undefined ? undefined : String(vm.periodUs)],
        ],
        false,
      ),
  );
  for (const [i, v] of vm.vcpus.entries()) {
    // 1.4.1 allows one vCPU per VM ("vcpu must only be specified once").
    if (i > 0 && st.dialect === '1') {
      st.dropped.push(`vcpu ${v.id} of '${vm.name}' (one vCPU per VM in 1.x)`);
      continue;
    }
    const cpu = v.cpu === undefined ? undefined : v2Only(st, `cpu on vcpu ${v.id}`, String(v.cpu));
    st.lines.push(
      pad +
        INDENT +
        tag(
          'vcpu',
          [
            ['id', String(v.id)],
            ['cpu', cpu],
          ],
          true,
        ),
    );
  }
  for (const m of vm.maps) emitMap(st, m, depth + 1, vm.name);
  st.lines.push(`${pad}</virtual_machine>`);
}

function endPp(st: EmitState, ch: Channel, self: ChannelEnd, other: ChannelEnd): boolean {
  if (st.dialect === '1') return false;
  if (self.pp) return true;
  // A 1.x PD-level pp (a dialect-1 model, or a mixed file read with both meanings).
  const me = st.model.pds.find((p) => p.name === self.pd);
  const callee = st.model.pds.find((p) => p.name === other.pd);
  if (me === undefined || callee === undefined || !callee.ppLegacy) return false;
  if (me.priority < callee.priority) return true;
  st.dropped.push(
    `PD-level pp of '${callee.name}' towards peer '${me.name}' (priority ${me.priority} >= ${callee.priority}) at channel line ${ch.loc.line}`,
  );
  return false;
}

function emitChannel(st: EmitState, ch: Channel): void {
  st.lines.push(`${INDENT}<channel>`);
  const [a, b] = ch.ends;
  for (const [self, other] of [
    [a, b],
    [b, a],
  ] as const) {
    st.lines.push(
      INDENT.repeat(2) +
        tag(
          'end',
          [
            ['pd', self.pd],
            ['id', String(self.id)],
            ['pp', endPp(st, ch, self, other) ? 'true' : undefined],
            [
              'notify',
              v2Only(
                st,
                `notify="false" on end of '${self.pd}'`,
                self.notify ? undefined : 'false',
              ),
            ],
            ['setvar_id', v2Only(st, `setvar_id on end of '${self.pd}'`, self.setvarId)],
          ],
          true,
        ),
    );
  }
  st.lines.push(`${INDENT}</channel>`);
}

function emitIrq(st: EmitState, irq: Irq, pad: string): void {
  const kind = irq.kind ?? 'conventional';
  const setvar: [string, string | undefined] = [
    'setvar_id',
    v2Only(st, `setvar_id on irq ${irq.irq}`, irq.setvarId),
  ];
  if (kind !== 'conventional' && st.dialect === '1') {
    st.dropped.push(`x86 ${kind} interrupt ${irq.id}`);
    return;
  }
  const attrs: Attr[] =
    kind === 'conventional'
      ? [
          ['irq', String(irq.irq)],
          ['id', String(irq.id)],
          ['trigger', irq.trigger === 'level' ? undefined : irq.trigger],
          setvar,
        ]
      : kind === 'ioapic'
        ? [
            ['id', String(irq.id)],
            [
              'ioapic',
              irq.ioapic === undefined || irq.ioapic === 0 ? undefined : String(irq.ioapic),
            ],
            ['pin', String(irq.pin ?? 0)],
            ['trigger', irq.trigger === 'level' ? undefined : irq.trigger],
            ['polarity', irq.polarity === 'low' ? 'low' : undefined],
            ['vector', String(irq.irq)],
            setvar,
          ]
        : [
            ['id', String(irq.id)],
            ['pcidev', pciText(irq.pciDevice)],
            ['handle', String(irq.handle ?? 0)],
            ['vector', String(irq.irq)],
            setvar,
          ];
  st.lines.push(pad + tag('irq', attrs, true));
}

function pciText(p: Irq['pciDevice']): string {
  assert(p !== undefined, 'an MSI interrupt has a PCI device');
  return `${p.bus.toString(16)}:${p.device.toString(16)}.${p.func.toString(16)}`;
}

function emitMr(st: EmitState, mr: MemoryRegion): void {
  st.lines.push(
    INDENT +
      tag(
        'memory_region',
        [
          ['name', mr.name],
          ['size', hex(mr.sizeBytes)],
          ['page_size', mr.pageSizeExplicit ? hex(mr.pageSizeBytes) : undefined],
          ['phys_addr', mr.physAddr === undefined ? undefined : hex(mr.physAddr)],
          ['prefill_path', v2Only(st, `prefill_path of '${mr.name}'`, mr.prefillPath)],
          ['prefill_bootinfo', v2Only(st, `prefill_bootinfo of '${mr.name}'`, mr.prefillBootinfo)],
        ],
        true,
      ),
  );
}

function emitDomains(st: EmitState, d: DomainSchedule): void {
  if (v2Only(st, '<domains>', 'x') === undefined) return;
  const pad = INDENT.repeat(2);
  st.lines.push(`${INDENT}<domains>`);
  for (const dom of d.domains) {
    st.lines.push(
      pad +
        tag(
          'domain',
          [
            ['name', dom.name],
            ['id', dom.id === undefined ? undefined : String(dom.id)],
          ],
          true,
        ),
    );
  }
  st.lines.push(
    pad +
      tag(
        'domain_schedule',
        [
          ['start_index', d.startIndex === undefined ? undefined : String(d.startIndex)],
          ['index_shift', d.indexShift === undefined ? undefined : String(d.indexShift)],
        ],
        false,
      ),
  );
  for (const e of d.entries) {
    st.lines.push(
      pad +
        INDENT +
        ('endMarker' in e
          ? '<schedule_end_marker />'
          : tag(
              'schedule_entry',
              [
                ['domain', e.domain],
                ['duration', e.duration],
              ],
              true,
            )),
    );
  }
  st.lines.push(`${pad}</domain_schedule>`, `${INDENT}</domains>`);
}

function emitIoSpace(st: EmitState, s: IoAddressSpace): void {
  if (v2Only(st, `io_address_space '${s.name}'`, 'x') === undefined) return;
  // The model keeps the peripheral id canonical (`PCI device bb:dd.f`); the SDF wants `bb:dd.f`.
  const pid = s.peripheralId.replace(/^PCI device /u, '');
  st.lines.push(
    INDENT +
      tag(
        'io_address_space',
        [
          ['name', s.name],
          ['peripheral_id', pid],
          ['domain_id', s.domainId === undefined ? undefined : String(s.domainId)],
        ],
        false,
      ),
  );
  for (const m of s.maps) {
    const perms = `${m.perms.r ? 'r' : ''}${m.perms.w ? 'w' : ''}`;
    st.lines.push(
      INDENT.repeat(2) +
        tag(
          'iomap',
          [
            ['mr', m.mr],
            ['iovaddr', hex(m.iovaddr)],
            ['perms', perms === 'rw' ? undefined : perms],
          ],
          true,
        ),
    );
  }
  st.lines.push(`${INDENT}</io_address_space>`);
}

/** PDs that some 2.x end PP-calls: in 1.x they carry pp="true" themselves. */
function calleesOf(model: SystemModel): Set<string> {
  const out = new Set<string>();
  if (model.dialect === '1') return out;
  for (const ch of model.channels) {
    const [a, b] = ch.ends;
    if (a.pp) out.add(b.pd);
    if (b.pp) out.add(a.pd);
  }
  return out;
}

export function emitSystem(model: SystemModel, opts: { readonly dialect?: Dialect } = {}): string {
  const dialect = opts.dialect ?? model.dialect;
  const st: EmitState = {
    dialect,
    model,
    lines: [],
    dropped: [],
    ppCallees: calleesOf(model),
    emittedPds: 0,
  };
  st.lines.push('<?xml version="1.0" encoding="UTF-8"?>', '<system>');
  for (const mr of model.memoryRegions) emitMr(st, mr);
  // PDs see only the domains declared before them (2.3.0 parses in document order).
  if (model.domainSchedule !== undefined) emitDomains(st, model.domainSchedule);
  for (const pd of model.pds) if (pd.parent === undefined) emitPd(st, pd, 1);
  for (const ch of model.channels) emitChannel(st, ch);
  for (const s of model.ioAddressSpaces ?? []) emitIoSpace(st, s);
  st.lines.push('</system>');
  // A child whose parent is not in the model would silently vanish from the output.
  assert(
    st.emittedPds === model.pds.length,
    () => `emitted ${st.emittedPds} of ${model.pds.length} PDs: a parent is missing from the model`,
  );
  if (st.dropped.length > 0) {
    const note = comment(
      `sddf emit: not expressible in dialect ${dialect}, dropped: ${st.dropped.join('; ')}`,
    );
    st.lines.splice(2, 0, INDENT + note);
  }
  return `${st.lines.join('\n')}\n`;
}
