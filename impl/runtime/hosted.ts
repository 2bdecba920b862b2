// Devices in worker mode (issue 9: `sddf run --workers`): an emulated device lives in the worker of
// the PD that maps its registers, so MMIO stays a synchronous call, its IRQ goes straight to that
// PD's notification word, and its DMA reaches only the regions given to it (its IOMMU windows).
// The PD's address space still maps only the PD's own regions; the DMA buffers are the device's,
// held in the device object, as the IOMMU holds them in deterministic mode. A hosted device may
// also have work of its own (a traffic generator on its wire): `poll` does it, `busy` keeps the
// run from being declared quiescent while it lasts.

import type { IrqTrigger } from '../../spec/system/model.ts';
import type { DmaPort, MmioDevice } from '../mem/types.ts';

export interface HostedDeviceSpec {
  /** The register MR the PD maps (accesses go to the device). */
  readonly mr: string;
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** MRs the device may DMA to, at their physical (= I/O) address. */
  readonly dmaMrs: readonly string[];
  /** The PD's `<irq>` (by channel id) the device raises, if any. */
  readonly irqId?: number;
}

/** What a worker receives for a hosted device: the spec plus its DMA windows. */
export interface HostedDeviceData extends HostedDeviceSpec {
  readonly dma: readonly {
    readonly mr: string;
    readonly ioAddr: bigint;
    readonly buffer: SharedArrayBuffer;
  }[];
  readonly irq?: { readonly irq: number; readonly id: number; readonly trigger: IrqTrigger };
}

export interface HostedDeviceContext {
  readonly name: string;
  readonly dma: DmaPort;
  readonly onIrqLevel: (asserted: boolean) => void;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface HostedDevice {
  readonly mmio: MmioDevice;
  /** Do what is due (e.g. send frames); true when something happened. */
  poll(): boolean;
  /** Work of its own is left: the run is not quiescent. */
  busy(): boolean;
  /** How long the worker may sleep before poll() has work (ms; Infinity: until woken). */
  idleMs(): number;
  /** Plain data for the main thread at the end of the run. */
  result(): unknown;
}

export type HostedDeviceFactory = (ctx: HostedDeviceContext) => HostedDevice;
