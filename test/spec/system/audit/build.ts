// A compact builder of SystemModel values for unit tests of the rules (no parser involved).
import { BUDGET_DEFAULT_US, PD_DEFAULT_STACK_SIZE_BYTES } from '../../../../impl/sdf/parse.ts';
import type {
  Channel,
  Mapping,
  MemoryRegion,
  ProtectionDomain,
  SourceLocation,
  SystemModel,
} from '../../../../spec/system/model.ts';

export interface PdSpec {
  readonly name: string;
  readonly prio?: number;
  readonly image?: string;
  readonly irq?: number;
  readonly passive?: boolean;
  readonly ppLegacy?: boolean;
  /** [mr, perms, cached = true] */
  readonly maps?: readonly (readonly [string, string, boolean?])[];
  readonly vm?: {
    readonly name: string;
    readonly maps: readonly (readonly [string, string, boolean?])[];
  };
}

export interface SysSpec {
  readonly dialect?: '1' | '2';
  /** [name, physAddr?] */
  readonly mrs: readonly (readonly [string, bigint?])[];
  readonly pds: readonly PdSpec[];
  /** [a, b, caller?]: caller ppcalls the other end (2.x `pp` on its end). */
  readonly channels?: readonly (readonly [string, string, (string | undefined)?])[];
}

const FILE = 'built.system';

export function sys(spec: SysSpec): SystemModel {
  let line = 1;
  const loc = (): SourceLocation => ({ file: FILE, line: line++, column: 5 });
  const memoryRegions: MemoryRegion[] = spec.mrs.map(([name, physAddr]) => ({
    name,
    sizeBytes: 0x1000n,
    pageSizeBytes: 0x1000n,
    pageSizeExplicit: false,
    ...(physAddr !== undefined ? { physAddr } : {}),
    loc: loc(),
  }));
  const mapping = (
    [mr, perms, cached]: readonly [string, string, boolean?],
    i: number,
  ): Mapping => ({
    mr,
    vaddr: 0x2000_0000n + BigInt(i) * 0x20_0000n,
    perms: { r: perms.includes('r'), w: perms.includes('w'), x: perms.includes('x') },
    cached: cached ?? true,
    loc: loc(),
  });
  const pds: ProtectionDomain[] = spec.pds.map((p) => {
    const pdLoc = loc();
    const vm = p.vm;
    return {
      name: p.name,
      priority: p.prio ?? 100,
      budgetUs: BUDGET_DEFAULT_US,
      periodUs: BUDGET_DEFAULT_US,
      passive: p.passive ?? false,
      stackSizeBytes: PD_DEFAULT_STACK_SIZE_BYTES,
      cpu: 0,
      smc: false,
      fpu: true,
      ppLegacy: p.ppLegacy ?? false,
      programImage: p.image ?? `${p.name}.elf`,
      maps: (p.maps ?? []).map(mapping),
      irqs: p.irq === undefined ? [] : [{ irq: p.irq, id: 0, trigger: 'level', loc: loc() }],
      setvars: [],
      ...(vm !== undefined
        ? {
            virtualMachine: {
              name: vm.name,
              vcpus: [{ id: 0 }],
              maps: vm.maps.map(mapping),
              loc: loc(),
            },
          }
        : {}),
      loc: pdLoc,
    };
  });
  const channels: Channel[] = (spec.channels ?? []).map(([a, b, caller], i) => ({
    ends: [
      { pd: a, id: 10 + i, pp: caller === a, notify: true, loc: loc() },
      { pd: b, id: 10 + i, pp: caller === b, notify: true, loc: loc() },
    ],
    loc: loc(),
  }));
  return { file: FILE, dialect: spec.dialect ?? '2', memoryRegions, pds, channels };
}
