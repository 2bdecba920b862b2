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
  readonly loc: SourceLocation;
  /** Where each written attribute starts (added by impl/sdf; absent on models built in code). */
  readonly attrLocs?: AttrLocations;
}

export type IrqTrigger = 'level' | 'edge';

export interface Irq {
  /** Hardware IRQ number (ARM/RISC-V). */
  readonly irq: number;
  /** Channel-id space of the PD, 0..=61. */
  readonly id: number;
  readonly trigger: IrqTrigger;
  /** 2.1+: symbol in the PD image patched with `id`. */
  readonly setvarId?: string;
  readonly loc: SourceLocation;
  readonly attrLocs?: AttrLocations;
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

export interface SystemModel {
  readonly file: string;
  readonly dialect: Dialect;
  readonly memoryRegions: readonly MemoryRegion[];
  /** PD tree flattened pre-order (Microkit `pd_tree_to_list`: A[B[D],C] → A,B,D,C). */
  readonly pds: readonly ProtectionDomain[];
  readonly channels: readonly Channel[];
}
