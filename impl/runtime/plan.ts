// From a SystemModel to what the runtime instantiates (issue #5 part 2): regions, each PD's address
// space, channel table, IRQs, component binding and derived configuration. Pure data plus the
// region buffers; both schedulers start from a SystemPlan. Problems are located diagnostics, all
// collected (STYLE.md), never exceptions.

import { assert } from '../../spec/common/assert.ts';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { ProtectionDomain, SourceLocation, SystemModel } from '../../spec/system/model.ts';
import type { MappingSpec } from '../mem/address-space.ts';
import { Iommu, type DeviceIoConfig } from '../mem/iommu.ts';
import { buildRegions, type RegionInstance } from '../mem/region.ts';
import type { MmioDevice } from '../mem/types.ts';
import type { ChannelConfig, ComponentConfig, IrqConfig, MapConfig } from './config.ts';
import type { ComponentBinding, ComponentRegistry } from './registry.ts';

/** Channel and IRQ ids share one per-PD space 0..=61 (microkit-sdf.md §1.3, PD_MAX_ID = 61). */
export const MAX_CHANNEL_ID = 61;

export interface PdPlan {
  readonly index: number;
  readonly pd: ProtectionDomain;
  readonly config: ComponentConfig;
  readonly mappings: readonly MappingSpec[];
  readonly binding: ComponentBinding;
}

export interface SystemPlan {
  readonly file: string;
  readonly regions: ReadonlyMap<string, RegionInstance>;
  readonly pds: readonly PdPlan[];
  readonly iommu: Iommu;
}

export interface PlanOptions {
  readonly registry: ComponentRegistry;
  /** MR name → emulated device behind it (driver register blocks). */
  readonly mmio?: ReadonlyMap<string, MmioDevice>;
  /** Which regions each device may DMA to (the SDF of Microkit < 2.3 does not say). */
  readonly devices?: readonly DeviceIoConfig[];
}

function at(loc: SourceLocation): { file: string; line: number; column: number } {
  return { file: loc.file, line: loc.line, column: loc.column };
}

export function planSystem(
  model: SystemModel,
  options: PlanOptions,
): { plan?: SystemPlan; errors: Diagnostic[] } {
  const built = buildRegions({
    regions: model.memoryRegions,
    ...(options.mmio === undefined ? {} : { mmio: options.mmio }),
  });
  const errors: Diagnostic[] = [...built.errors];
  const channels = channelTables(model, errors);
  const pds: PdPlan[] = [];
  model.pds.forEach((pd, index) => {
    const binding = options.registry.resolve(pd);
    if (binding === undefined) {
      errors.push({
        code: 'RUNTIME_NO_COMPONENT',
        message: `no component registered for PD '${pd.name}' (program_image '${pd.programImage}')`,
        ...at(pd.loc),
      });
      return;
    }
    const maps: MapConfig[] = [];
    const mappings: MappingSpec[] = [];
    for (const m of pd.maps) {
      const region = built.regions.get(m.mr);
      if (region === undefined) {
        errors.push({
          code: 'RUNTIME_MAP_MR',
          message: `map in PD '${pd.name}' names unknown memory region '${m.mr}'`,
          ...at(m.loc),
        });
        continue;
      }
      const vaddr = Number(m.vaddr);
      if (!Number.isSafeInteger(vaddr + region.sizeBytes)) {
        errors.push({
          code: 'RUNTIME_MAP_VADDR',
          message: `map of '${m.mr}' in PD '${pd.name}' at vaddr 0x${m.vaddr.toString(16)} is beyond 2^53`,
          ...at(m.loc),
        });
        continue;
      }
      maps.push({
        mr: m.mr,
        vaddr,
        sizeBytes: region.sizeBytes,
        ioAddr: region.physAddr,
        perms: m.perms,
        cached: m.cached,
      });
      mappings.push({
        mr: m.mr,
        vaddr,
        sizeBytes: region.sizeBytes,
        perms: m.perms,
        cached: m.cached,
        buffer: region.buffer,
        mmio: region.mmio,
      });
    }
    const irqs: IrqConfig[] = pd.irqs.map((i) => ({ id: i.id, irq: i.irq, trigger: i.trigger }));
    const chans = channels.get(pd.name) ?? [];
    checkIdSpace(pd, chans, errors);
    const config: ComponentConfig = {
      pd: pd.name,
      programImage: pd.programImage,
      priority: pd.priority,
      passive: pd.passive,
      maps,
      channels: chans,
      irqs,
    };
    pds.push({ index, pd, config, mappings, binding });
  });
  const { iommu, errors: ioErrors } = Iommu.build(built.regions, options.devices ?? []);
  errors.push(...ioErrors);
  if (errors.length > 0) return { errors };
  assert(pds.length === model.pds.length, 'every PD got a plan when there are no errors');
  return { plan: { file: model.file, regions: built.regions, pds, iommu }, errors };
}

/** Per PD, its channel ends; PPC rights per dialect and the strict-priority rule (sddf-protocols.md §1.5). */
function channelTables(model: SystemModel, errors: Diagnostic[]): Map<string, ChannelConfig[]> {
  const byName = new Map(model.pds.map((p) => [p.name, p]));
  const tables = new Map<string, ChannelConfig[]>();
  for (const ch of model.channels) {
    const [a, b] = ch.ends;
    const pa = byName.get(a.pd);
    const pb = byName.get(b.pd);
    if (pa === undefined || pb === undefined) {
      errors.push({
        code: 'RUNTIME_CHANNEL_PD',
        message: `channel names unknown PD '${pa === undefined ? a.pd : b.pd}'`,
        ...at(ch.loc),
      });
      continue;
    }
    // 2.x: `pp` on the calling end, a load error unless the callee is strictly higher. 1.x: `pp`
    // on the PD that can be called (microkit-sdf.md §1.1), which does not say who calls; the right
    // goes only to strictly lower-priority peers (impl/sdf warns about the others; the i2c
    // fixture's driver is above its pp virt and must not get it).
    const aCallsB = model.dialect === '2' ? a.pp : pb.ppLegacy && pa.priority < pb.priority;
    const bCallsA = model.dialect === '2' ? b.pp : pa.ppLegacy && pb.priority < pa.priority;
    for (const [caller, callee, calls] of [
      [pa, pb, aCallsB],
      [pb, pa, bCallsA],
    ] as const) {
      if (calls && caller.priority >= callee.priority) {
        errors.push({
          code: 'RUNTIME_PPC_PRIORITY',
          message: `PPCs must be to protection domains of strictly higher priorities; channel with PPC exists from pd ${caller.name} (priority: ${caller.priority}) to pd ${callee.name} (priority: ${callee.priority})`,
          ...at(ch.loc),
        });
      }
    }
    const push = (pd: string, c: ChannelConfig): void => {
      const list = tables.get(pd) ?? [];
      list.push(c);
      tables.set(pd, list);
    };
    push(a.pd, { id: a.id, peer: b.pd, peerId: b.id, notify: a.notify, pp: aCallsB });
    push(b.pd, { id: b.id, peer: a.pd, peerId: a.id, notify: b.notify, pp: bCallsA });
  }
  return tables;
}

function checkIdSpace(
  pd: ProtectionDomain,
  chans: readonly ChannelConfig[],
  errors: Diagnostic[],
): void {
  const seen = new Set<number>();
  const ids = [...chans.map((c) => c.id), ...pd.irqs.map((i) => i.id)];
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_CHANNEL_ID) {
      errors.push({
        code: 'RUNTIME_CHANNEL_ID',
        message: `id ${id} in PD '${pd.name}' is outside 0..${MAX_CHANNEL_ID}`,
        ...at(pd.loc),
      });
    } else if (seen.has(id)) {
      errors.push({
        code: 'RUNTIME_CHANNEL_ID',
        message: `duplicate channel id: ${id} in protection domain: '${pd.name}'`,
        ...at(pd.loc),
      });
    }
    seen.add(id);
  }
}
