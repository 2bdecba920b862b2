// Physical memory regions (Microkit `<memory_region>`), each backed by its own SharedArrayBuffer so
// it can be handed to exactly the workers of the PDs that map it (issue #5 part 3b).
// Memory regions are zero-filled at boot (sddf-protocols.md §1.7): a fresh SharedArrayBuffer is.

import { assert } from '../../spec/common/assert.ts';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { MemoryRegion } from '../../spec/system/model.ts';
import type { MmioDevice } from './types.ts';

/** Largest region the emulator backs with real memory: SharedArrayBuffer pages are lazily zeroed
 * by the OS, but a typo'd 64 GiB region must not take the host down. */
export const MAX_REGION_SIZE_BYTES = 256 * 1024 * 1024;
/** Total backing memory of one system, for the same reason. */
export const MAX_TOTAL_SIZE_BYTES = 1024 * 1024 * 1024;
/** Where MRs without a phys_addr are placed (Microkit allocates them contiguously in RAM;
 * microkit-sdf.md §1.3 `setvar.region_paddr`). QEMU virt AArch64 RAM starts at 0x4000_0000. */
export const AUTO_PHYS_BASE = 0x6000_0000n;

export interface RegionInstance {
  readonly name: string;
  readonly physAddr: bigint;
  readonly sizeBytes: number;
  /** True when the SDF fixed the physical address (a device or a pinned DMA region). */
  readonly physFixed: boolean;
  /** Backing store; absent for a region bound to an emulated MMIO device. */
  readonly buffer: SharedArrayBuffer | null;
  /** Set when the region is a device's register block (accesses go to the device). */
  readonly mmio: MmioDevice | null;
}

export interface BuildRegionsOptions {
  readonly regions: readonly MemoryRegion[];
  /** MR name → emulated device whose registers the region is (no backing buffer then). */
  readonly mmio?: ReadonlyMap<string, MmioDevice>;
}

export interface BuildRegionsResult {
  readonly regions: Map<string, RegionInstance>;
  readonly errors: Diagnostic[];
}

function alignUp(x: bigint, alignBytes: bigint): bigint {
  return ((x + alignBytes - 1n) / alignBytes) * alignBytes;
}

function sizeAllowed(mr: MemoryRegion): boolean {
  return mr.sizeBytes > 0n && mr.sizeBytes <= BigInt(MAX_REGION_SIZE_BYTES);
}

/**
 * The physical address of every MR, as the runtime places them (what Microkit's tool does for an
 * MR without phys_addr): fixed ones where they are, the others above them, page aligned, in file
 * order. Wiring that passes an MR's physical address to a component (`setvar region_paddr`) asks
 * here before the runtime exists.
 */
export function placeRegions(regions: readonly MemoryRegion[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let nextPhys = AUTO_PHYS_BASE;
  for (const mr of regions) {
    if (mr.physAddr !== undefined) {
      const end = mr.physAddr + mr.sizeBytes;
      if (end > nextPhys) nextPhys = end;
    }
  }
  for (const mr of regions) {
    if (!sizeAllowed(mr)) continue;
    let physAddr = mr.physAddr;
    if (physAddr === undefined) {
      physAddr = alignUp(nextPhys, mr.pageSizeBytes > 0n ? mr.pageSizeBytes : 0x1000n);
      nextPhys = physAddr + mr.sizeBytes;
    }
    out.set(mr.name, physAddr);
  }
  return out;
}

/** Instantiate every MR; MRs without phys_addr get addresses above the fixed ones, page aligned. */
export function buildRegions(options: BuildRegionsOptions): BuildRegionsResult {
  const regions = new Map<string, RegionInstance>();
  const errors: Diagnostic[] = [];
  let totalBytes = 0;
  const placed = placeRegions(options.regions);
  for (const mr of options.regions) {
    const at = { file: mr.loc.file, line: mr.loc.line, column: mr.loc.column };
    if (!sizeAllowed(mr)) {
      errors.push({
        code: 'RUNTIME_MR_SIZE',
        message: `memory region '${mr.name}' of ${mr.sizeBytes} bytes: the emulator backs regions of 1..${MAX_REGION_SIZE_BYTES} bytes`,
        ...at,
      });
      continue;
    }
    const sizeBytes = Number(mr.sizeBytes);
    const device = options.mmio?.get(mr.name) ?? null;
    if (device === null) totalBytes += sizeBytes;
    if (totalBytes > MAX_TOTAL_SIZE_BYTES) {
      errors.push({
        code: 'RUNTIME_MR_TOTAL',
        message: `memory regions exceed the emulator's ${MAX_TOTAL_SIZE_BYTES} bytes in total at '${mr.name}'`,
        ...at,
      });
      break;
    }
    const physAddr = placed.get(mr.name);
    assert(physAddr !== undefined, `every valid region is placed: '${mr.name}'`);
    assert(
      !regions.has(mr.name),
      `memory region names are unique (validated by impl/sdf): '${mr.name}'`,
    );
    regions.set(mr.name, {
      name: mr.name,
      physAddr,
      sizeBytes,
      physFixed: mr.physAddr !== undefined,
      buffer: device === null ? new SharedArrayBuffer(sizeBytes) : null,
      mmio: device,
    });
  }
  return { regions, errors };
}
