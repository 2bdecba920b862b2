// The typed system model: what a Microkit system description (.system file) says, with the PD
// tree flattened (reference microkit-sdf.md §1.2–1.4). Produced by impl/sdf (parse + validate),
// consumed by the auditor (spec/system rules), the runtime (impl/runtime) and the emitter.
// Addresses and sizes are bigint: they are u64 in Microkit and can exceed 2^53.

/** Attribute name → where the attribute starts in the source (microkit-sdf.md §1.3). */
export type AttrLocations = Readonly<Record<string, SourceLocation>>;

export interface SourceLocation {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** Which SDF dialect a file is written in (microkit-sdf.md §1.1): 1.x has `pp` on the PD, 2.x on `<end>`. */
export type Dialect = '1' | '2';

/**
 * Microkit releases whose SDF we read (microkit-sdf.md §1.1; seL4/microkit
 * `tool/microkit/src/sdf.rs` at tags 1.4.1, 2.0.0, 2.1.0, 2.2.0, 2.3.0). '1.4' is dialect 1.
 */
export const MICROKIT_VERSIONS = ['1.4', '2.0', '2.1', '2.2', '2.3'] as const;
export type MicrokitVersion = (typeof MICROKIT_VERSIONS)[number];

/** Architectures Microkit supports; x86_64 from 2.1 on. */
export const ARCHES = ['aarch64', 'riscv64', 'x86_64'] as const;
export type Arch = (typeof ARCHES)[number];

/** The Microkit release and architecture a description is read as. */
export interface MicrokitTarget {
  readonly version: MicrokitVersion;
  readonly arch: Arch;
}

export interface Perms {
  readonly r: boolean;
  readonly w: boolean;
  readonly x: boolean;
}

export interface MemoryRegion {
  readonly name: string;
  readonly sizeBytes: bigint;
  readonly pageSizeBytes: bigint;
  /** False when page_size was not written (Microkit picks 4 KiB, may later promote to 2 MiB). */
  readonly pageSizeExplicit: boolean;
  readonly physAddr?: bigint;
  /** 2.2+: file whose bytes the region starts with (found on Microkit's search path). */
  readonly prefillPath?: string;
  /** 2.3+: boot-info item the region is filled with (`fdt`, `x86_vbe`, …). */
  readonly prefillBootinfo?: string;
  readonly loc: SourceLocation;
  readonly attrLocs?: AttrLocations;
}

export interface Mapping {
  readonly mr: string;
  readonly vaddr: bigint;
  readonly perms: Perms;
  /** Microkit default: true. */
  readonly cached: boolean;
  readonly setvarVaddr?: string;
  readonly setvarSize?: string;
  /** 2.2+: symbol patched with the size of the region's prefill file. */
  readonly setvarPrefillSize?: string;
  readonly loc: SourceLocation;
  /** Where each written attribute starts (added by impl/sdf; absent on models built in code). */
  readonly attrLocs?: AttrLocations;
}

export type IrqTrigger = 'level' | 'edge';

/** `conventional`: ARM/RISC-V `irq=`; x86 (2.1+): I/O APIC `pin=` or MSI `pcidev=`. */
export type IrqKind = 'conventional' | 'ioapic' | 'msi';

export interface Irq {
  /**
   * The number Microkit keeps system-wide unique (`SysIrq::irq_num`): the hardware IRQ on
   * ARM/RISC-V, the vector for x86 I/O APIC and MSI interrupts.
   */
  readonly irq: number;
  /** Channel-id space of the PD, 0..=61. */
  readonly id: number;
  /** MSI interrupts are edge-triggered by nature; I/O APIC ones say so (default level). */
  readonly trigger: IrqTrigger;
  /** Absent on models built in code: conventional. */
  readonly kind?: IrqKind;
  /** x86 I/O APIC: which unit (default 0), which pin, and the polarity (default high). */
  readonly ioapic?: number;
  readonly pin?: number;
  readonly polarity?: 'low' | 'high';
  /** x86 MSI: the PCI device `bus:device.function` (hex fields) and the handle. */
  readonly pciDevice?: { readonly bus: number; readonly device: number; readonly func: number };
  readonly handle?: number;
  /** 2.1+: symbol in the PD image patched with `id`. */
  readonly setvarId?: string;
  readonly loc: SourceLocation;
  readonly attrLocs?: AttrLocations;
}

/** x86 (2.1+): a range of I/O ports the PD may use, in the PD's channel-id space. */
export interface IoPort {
  readonly id: number;
  readonly addr: bigint;
  readonly size: bigint;
  readonly setvarId?: string;
  readonly setvarAddr?: string;
  readonly loc: SourceLocation;
}

/** 2.3: a capability to another PD's TCB, SC or VSpace placed in this PD's CSpace. */
export interface CapMap {
  readonly type: 'tcb' | 'sc' | 'vspace';
  readonly pd: string;
  readonly slot: number;
  readonly loc: SourceLocation;
}

export interface Setvar {
  readonly symbol: string;
  readonly regionPaddr: string;
  readonly loc: SourceLocation;
}

export interface VirtualMachine {
  readonly name: string;
  readonly priority?: number;
  readonly budgetUs?: bigint;
  readonly periodUs?: bigint;
  readonly vcpus: readonly { readonly id: number; readonly cpu?: number }[];
  readonly maps: readonly Mapping[];
  readonly loc: SourceLocation;
}

export interface ProtectionDomain {
  readonly name: string;
  /** 0..=254, default 0. */
  readonly priority: number;
  readonly budgetUs: bigint;
  readonly periodUs: bigint;
  readonly passive: boolean;
  readonly stackSizeBytes: bigint;
  readonly cpu: number;
  readonly smc: boolean;
  readonly fpu: boolean;
  /** 1.x dialect only: this PD may be PP-called (microkit-sdf.md §1.1). */
  readonly ppLegacy: boolean;
  /** Child PDs only: the id in the parent's id space. */
  readonly childId?: number;
  /** Name of the parent PD for child PDs. */
  readonly parent?: string;
  readonly programImage: string;
  /** 2.2+: `<program_image path_for_symbols>`. */
  readonly programImagePathForSymbols?: string;
  /** 2.1+ child PDs: symbol in the parent's image patched with `childId`. */
  readonly setvarId?: string;
  readonly maps: readonly Mapping[];
  readonly irqs: readonly Irq[];
  readonly setvars: readonly Setvar[];
  readonly virtualMachine?: VirtualMachine;
  /** x86 (2.1+). Absent on models built in code: none. */
  readonly ioports?: readonly IoPort[];
  /** 2.3 `<cspace>`. Absent on models built in code: none. */
  readonly capMaps?: readonly CapMap[];
  /** 2.3: the scheduling domain the PD runs in (required iff `<domains>` is declared). */
  readonly domain?: string;
  readonly loc: SourceLocation;
  readonly attrLocs?: AttrLocations;
}

export interface ChannelEnd {
  readonly pd: string;
  readonly id: number;
  /** 2.x: this end may PP-call the other end. */
  readonly pp: boolean;
  /** 2.x: this end may notify the other end (default true). */
  readonly notify: boolean;
  /** 2.1+: symbol in this end's PD image patched with `id`. */
  readonly setvarId?: string;
  readonly loc: SourceLocation;
  readonly attrLocs?: AttrLocations;
}

export interface Channel {
  readonly ends: readonly [ChannelEnd, ChannelEnd];
  readonly loc: SourceLocation;
}

/** 2.3 (x86 with an IOMMU): an `<iomap>` maps a region into one device's I/O address space. */
export interface IoMap {
  readonly mr: string;
  readonly iovaddr: bigint;
  readonly perms: { readonly r: boolean; readonly w: boolean };
  readonly loc: SourceLocation;
}

export interface IoAddressSpace {
  /** The device's name. */
  readonly name: string;
  /** `peripheral_id` as written (a PCI `bus:device.function` on x86). */
  readonly peripheralId: string;
  readonly domainId?: bigint;
  readonly maps: readonly IoMap[];
  readonly loc: SourceLocation;
}

/** One slot of the 2.3 domain schedule: a domain for a duration (`'1000 us'`), or the end marker. */
export type ScheduleEntry =
  { readonly domain: string; readonly duration: string } | { readonly endMarker: true };

/** 2.3 `<domains>`: the domain names (with ids where written) and the schedule. */
export interface DomainSchedule {
  readonly domains: readonly { readonly name: string; readonly id?: number }[];
  readonly entries: readonly ScheduleEntry[];
  readonly startIndex?: bigint;
  readonly indexShift?: bigint;
  readonly loc: SourceLocation;
}

export interface SystemModel {
  readonly file: string;
  readonly dialect: Dialect;
  /** The release and architecture the file was read as (absent on models built in code). */
  readonly microkit?: MicrokitTarget;
  readonly memoryRegions: readonly MemoryRegion[];
  /** PD tree flattened pre-order (Microkit `pd_tree_to_list`: A[B[D],C] → A,B,D,C). */
  readonly pds: readonly ProtectionDomain[];
  readonly channels: readonly Channel[];
  /** 2.3 x86 IOMMU: devices' I/O address spaces (absent: none). */
  readonly ioAddressSpaces?: readonly IoAddressSpace[];
  /** 2.3 domain scheduling (absent: no `<domains>`). */
  readonly domainSchedule?: DomainSchedule;
}
