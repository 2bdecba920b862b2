// Wiring emulated devices (impl/hw) into the runtime (issue #14 part 3). A device is built before
// the runtime that owns its IOMMU and IRQ controller, so its DMA port and IRQ line bind late. In
// adversarial device timing every MMIO access a PD makes is a yield point of the scheduler: the
// device may act between two register accesses of one handler (a completion between the
// driver's drain and its acknowledge).

import { assert } from '../../spec/common/assert.ts';
import type { DmaFault, DmaPort, MmioBusError, MmioDevice } from '../mem/types.ts';
import type { IrqController } from './irq.ts';

/** A device's IRQ line, bound to the runtime's IRQ controller once the runtime exists. */
export class DeviceIrq {
  #irqs: IrqController | null = null;
  #level = false;

  constructor(readonly irq: number) {}

  /** Pass as the device's `onIrqLevel`. */
  readonly onLevel = (asserted: boolean): void => {
    this.#level = asserted;
    const irqs = this.#irqs;
    if (irqs === null) return;
    if (asserted) irqs.assertLine(this.irq);
    else irqs.deassertLine(this.irq);
  };

  /** Connect to the controller; `level` is polled when the driver acks (MmioDevice.irqAsserted). */
  attach(irqs: IrqController, level: () => boolean): void {
    assert(this.#irqs === null, `IRQ ${this.irq} is attached once`);
    this.#irqs = irqs;
    irqs.attachLevelSource(this.irq, level);
    if (this.#level) irqs.assertLine(this.irq);
  }
}

/** A device's DMA port, bound to the runtime's IOMMU (`Iommu.portFor`) once the runtime exists. */
export class LateDmaPort implements DmaPort {
  #port: DmaPort | null = null;

  constructor(readonly device: string) {}

  bind(port: DmaPort): void {
    assert(this.#port === null, `the DMA port of '${this.device}' is bound once`);
    this.#port = port;
  }

  #bound(): DmaPort {
    assert(this.#port !== null, `the DMA port of '${this.device}' is bound before any DMA`);
    return this.#port;
  }

  read(ioAddr: bigint, lengthBytes: number): Uint8Array | DmaFault {
    return this.#bound().read(ioAddr, lengthBytes);
  }
  write(ioAddr: bigint, data: Uint8Array): DmaFault | null {
    return this.#bound().write(ioAddr, data);
  }
}

/** The same register block, with `yieldPoint` called before every access. */
export function yieldingMmio(dev: MmioDevice, yieldPoint: () => void): MmioDevice {
  const wrapped: {
    -readonly [K in keyof MmioDevice]: MmioDevice[K];
  } = {
    name: dev.name,
    sizeBytes: dev.sizeBytes,
    read32: (o) => (yieldPoint(), dev.read32(o)),
    write32: (o, v) => (yieldPoint(), dev.write32(o, v)),
    irqAsserted: () => dev.irqAsserted(),
  };
  const { read8, read16, read64, write8, write16, write64 } = dev;
  if (read8 !== undefined)
    wrapped.read8 = (o): number | MmioBusError => (yieldPoint(), read8.call(dev, o));
  if (read16 !== undefined)
    wrapped.read16 = (o): number | MmioBusError => (yieldPoint(), read16.call(dev, o));
  if (read64 !== undefined)
    wrapped.read64 = (o): bigint | MmioBusError => (yieldPoint(), read64.call(dev, o));
  if (write8 !== undefined)
    wrapped.write8 = (o, v): MmioBusError | null => (yieldPoint(), write8.call(dev, o, v));
  if (write16 !== undefined)
    wrapped.write16 = (o, v): MmioBusError | null => (yieldPoint(), write16.call(dev, o, v));
  if (write64 !== undefined)
    wrapped.write64 = (o, v): MmioBusError | null => (yieldPoint(), write64.call(dev, o, v));
  return wrapped;
}
