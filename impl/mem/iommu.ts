// The IOMMU: each device reaches memory only through its I/O mappings, the regions the system makes
// DMA-visible to it (issue #5 part 1). A DMA outside them, or against the mapping's perms, faults
// that device (it is recorded as faulted) and is reported as a DmaFault; it is never performed.
// The I/O address of a mapping is the region's physical address unless configured otherwise, as
// sdfgen's DeviceRegion.io_addr = MR paddr (microkit-sdf.md §2.5).

import { assert } from '../../spec/common/assert.ts';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { RegionInstance } from './region.ts';
import type { DmaFault, DmaPort } from './types.ts';

/** An I/O mapping as configured: region name, optional I/O address, perms (default rw). */
export interface IoMapConfig {
  readonly mr: string;
  readonly ioAddr?: bigint;
  readonly read?: boolean;
  readonly write?: boolean;
}

export interface DeviceIoConfig {
  readonly device: string;
  readonly ioMaps: readonly IoMapConfig[];
}

interface IoWindow {
  readonly mr: string;
  readonly ioAddr: bigint;
  /** Exclusive. */
  readonly ioEnd: bigint;
  readonly read: boolean;
  readonly write: boolean;
  readonly bytes: Uint8Array;
}

/** Observer of DMA traffic (runtime events); only called when set. */
export interface DmaObserver {
  dma(device: string, ioAddr: bigint, lengthBytes: number, write: boolean): void;
  dmaFault(fault: DmaFault): void;
}

/** Upper bound on one DMA transfer (a virtio descriptor's len is u32). */
export const MAX_DMA_BYTES = 0xffff_ffff;
/** End of the I/O address space (exclusive): DMA addresses are u64. */
export const IO_SPACE_END = 1n << 64n;
/** Faults kept for inspection; later ones are only counted (a looping device must not eat memory). */
export const MAX_RECORDED_DMA_FAULTS = 1024;

export class Iommu {
  private readonly windows = new Map<string, IoWindow[]>();
  private readonly faulted = new Set<string>();
  readonly faults: DmaFault[] = [];
  faultCount = 0;
  observer: DmaObserver | null = null;

  /** Build from per-device configs; unknown regions and overlapping windows are diagnostics. */
  static build(
    regions: ReadonlyMap<string, RegionInstance>,
    devices: readonly DeviceIoConfig[],
  ): { iommu: Iommu; errors: Diagnostic[] } {
    const iommu = new Iommu();
    const errors: Diagnostic[] = [];
    for (const d of devices) {
      const ws: IoWindow[] = [];
      for (const m of d.ioMaps) {
        const region = regions.get(m.mr);
        if (region === undefined || region.buffer === null) {
          errors.push({
            code: 'RUNTIME_IOMAP_MR',
            message: `device '${d.device}': I/O map of unknown or device memory region '${m.mr}'`,
          });
          continue;
        }
        const ioAddr = m.ioAddr ?? region.physAddr;
        const ioEnd = ioAddr + BigInt(region.sizeBytes);
        // A device puts u64 addresses on the bus: a window below 0 or past 2^64 is a
        // configuration error (it used to be accepted, half unreachable; issue 12 part 5).
        if (ioAddr < 0n || ioEnd > IO_SPACE_END) {
          errors.push({
            code: 'RUNTIME_IOMAP_RANGE',
            message: `device '${d.device}': I/O map of '${m.mr}' at [0x${ioAddr.toString(16)}..0x${ioEnd.toString(16)}) leaves the 64-bit I/O address space`,
          });
          continue;
        }
        const w: IoWindow = {
          mr: m.mr,
          ioAddr,
          ioEnd,
          read: m.read ?? true,
          write: m.write ?? true,
          bytes: new Uint8Array(region.buffer),
        };
        const clash = ws.find((o) => w.ioAddr < o.ioEnd && o.ioAddr < w.ioEnd);
        if (clash !== undefined) {
          errors.push({
            code: 'RUNTIME_IOMAP_OVERLAP',
            message: `device '${d.device}': I/O maps of '${clash.mr}' and '${m.mr}' overlap`,
          });
          continue;
        }
        ws.push(w);
      }
      iommu.windows.set(d.device, ws);
    }
    return { iommu, errors };
  }

  /** The device's only way to memory. */
  portFor(device: string): DmaPort {
    const ws = this.windows.get(device) ?? [];
    return {
      read: (ioAddr, lengthBytes) => this.read(device, ws, ioAddr, lengthBytes),
      write: (ioAddr, data) => this.write(device, ws, ioAddr, data),
    };
  }

  /** Has this device made a DMA the IOMMU refused? */
  isFaulted(device: string): boolean {
    return this.faulted.has(device);
  }

  private read(
    device: string,
    ws: readonly IoWindow[],
    ioAddr: bigint,
    lengthBytes: number,
  ): Uint8Array | DmaFault {
    const w = this.find({ device, ws, ioAddr, lengthBytes, write: false });
    if (!('bytes' in w)) return w;
    const off = Number(ioAddr - w.ioAddr);
    this.observer?.dma(device, ioAddr, lengthBytes, false);
    return w.bytes.slice(off, off + lengthBytes);
  }

  private write(
    device: string,
    ws: readonly IoWindow[],
    ioAddr: bigint,
    data: Uint8Array,
  ): DmaFault | null {
    const w = this.find({ device, ws, ioAddr, lengthBytes: data.length, write: true });
    if (!('bytes' in w)) return w;
    const off = Number(ioAddr - w.ioAddr);
    w.bytes.set(data, off);
    this.observer?.dma(device, ioAddr, data.length, true);
    return null;
  }

  private find(a: {
    device: string;
    ws: readonly IoWindow[];
    ioAddr: bigint;
    lengthBytes: number;
    write: boolean;
  }): IoWindow | DmaFault {
    assert(
      Number.isSafeInteger(a.lengthBytes) && a.lengthBytes >= 0,
      `DMA length is a byte count, saw ${a.lengthBytes}`,
    );
    let reason = `I/O address 0x${a.ioAddr.toString(16)} is outside every I/O mapping of '${a.device}'`;
    if (a.lengthBytes > MAX_DMA_BYTES)
      reason = `DMA of ${a.lengthBytes} bytes exceeds a u32 length`;
    else {
      const end = a.ioAddr + BigInt(a.lengthBytes);
      for (const w of a.ws) {
        if (a.ioAddr < w.ioAddr || a.ioAddr >= w.ioEnd) continue;
        if (end > w.ioEnd) {
          reason = `DMA [0x${a.ioAddr.toString(16)}..0x${end.toString(16)}) runs past the I/O mapping of '${w.mr}'`;
          break;
        }
        if (a.write ? !w.write : !w.read) {
          reason = `DMA ${a.write ? 'write' : 'read'} through the ${a.write ? 'read-only' : 'write-only'} I/O mapping of '${w.mr}'`;
          break;
        }
        return w;
      }
    }
    const fault: DmaFault = {
      kind: 'dma-fault',
      device: a.device,
      ioAddr: a.ioAddr,
      lengthBytes: a.lengthBytes,
      write: a.write,
      reason,
    };
    this.faulted.add(a.device);
    this.faultCount++;
    if (this.faults.length < MAX_RECORDED_DMA_FAULTS) this.faults.push(fault);
    this.observer?.dmaFault(fault);
    return fault;
  }
}
