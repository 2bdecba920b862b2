// Test helper: a SystemModel written compactly (the runtime accepts a model directly; the .system
// file path goes through impl/sdf and is tested with the ping-pong fixture).

import { BUDGET_DEFAULT_US, PD_DEFAULT_STACK_SIZE_BYTES } from '../../../impl/sdf/parse.ts';
import type {
  ChannelEnd,
  IrqTrigger,
  Mapping,
  ProtectionDomain,
  SystemModel,
} from '../../../spec/system/model.ts';
import type { Component, ComponentContext } from '../../../impl/runtime/api.ts';
import { ComponentRegistry } from '../../../impl/runtime/registry.ts';

const loc = { file: 'test.system', line: 1, column: 1 };

export interface PdSketch {
  readonly name: string;
  readonly priority?: number;
  readonly passive?: boolean;
  readonly ppLegacy?: boolean;
  readonly maps?: readonly { mr: string; vaddr: number; perms?: string }[];
  readonly irqs?: readonly { irq: number; id: number; trigger?: IrqTrigger }[];
}

export interface EndSketch {
  readonly pd: string;
  readonly id: number;
  readonly pp?: boolean;
  readonly notify?: boolean;
}

export function system(s: {
  dialect?: '1' | '2';
  mrs?: readonly { name: string; size: number; phys?: bigint }[];
  pds: readonly PdSketch[];
  channels?: readonly (readonly [EndSketch, EndSketch])[];
}): SystemModel {
  const end = (e: EndSketch): ChannelEnd => ({
    pd: e.pd,
    id: e.id,
    pp: e.pp ?? false,
    notify: e.notify ?? true,
    loc,
  });
  const pds: ProtectionDomain[] = s.pds.map((p) => ({
    name: p.name,
    priority: p.priority ?? 0,
    budgetUs: BUDGET_DEFAULT_US,
    periodUs: BUDGET_DEFAULT_US,
    passive: p.passive ?? false,
    stackSizeBytes: PD_DEFAULT_STACK_SIZE_BYTES,
    cpu: 0,
    smc: false,
    fpu: true,
    ppLegacy: p.ppLegacy ?? false,
    programImage: `${p.name}.elf`,
    maps: (p.maps ?? []).map((m): Mapping => ({
      mr: m.mr,
      vaddr: BigInt(m.vaddr),
      perms: {
        r: (m.perms ?? 'rw').includes('r'),
        w: (m.perms ?? 'rw').includes('w'),
        x: (m.perms ?? 'rw').includes('x'),
      },
      cached: true,
      loc,
    })),
    irqs: (p.irqs ?? []).map((i) => ({ irq: i.irq, id: i.id, trigger: i.trigger ?? 'level', loc })),
    setvars: [],
    loc,
  }));
  return {
    file: 'test.system',
    dialect: s.dialect ?? '2',
    memoryRegions: (s.mrs ?? []).map((m) => ({
      name: m.name,
      sizeBytes: BigInt(m.size),
      pageSizeBytes: 0x1000n,
      pageSizeExplicit: false,
      ...(m.phys === undefined ? {} : { physAddr: m.phys }),
      loc,
    })),
    pds,
    channels: (s.channels ?? []).map(([a, b]) => ({ ends: [end(a), end(b)] as const, loc })),
  };
}

/** Handlers as closures over the context; missing ones do nothing. */
export type Script = (ctx: ComponentContext) => Partial<Component>;

export function registryOf(scripts: Readonly<Record<string, Script>>): ComponentRegistry {
  const r = new ComponentRegistry();
  for (const [name, script] of Object.entries(scripts)) {
    r.register(name, {
      factory: (ctx) => {
        const h = script(ctx);
        return {
          init: h.init ?? (() => {}),
          notified: h.notified ?? (() => {}),
          ...(h.protected === undefined ? {} : { protected: h.protected }),
        };
      },
    });
  }
  return r;
}
