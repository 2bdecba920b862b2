// Shared set-up for the virtio conformance tests: test RAM, an IOMMU-like window, a device and
// the driver-side helper.

import { TestMemory, WindowDmaPort } from '../../../../impl/hw/testing.ts';
import { VirtioDriver } from '../../../../impl/hw/virtio/driver.ts';

export const RAM_BASE = 0x4000_0000n;
export const RAM_BYTES = 1 << 20;
/** Rings live in the first 256 KiB, buffers after that. */
export const RING_BASE = RAM_BASE;
export const BUF_BASE = RAM_BASE + 0x4_0000n;

export function ram(): TestMemory {
  return new TestMemory({ baseAddr: RAM_BASE, sizeBytes: RAM_BYTES });
}

export function fullWindow(memory: TestMemory, device: string): WindowDmaPort {
  return new WindowDmaPort({
    memory,
    device,
    windowStart: RAM_BASE,
    windowEnd: RAM_BASE + BigInt(RAM_BYTES),
  });
}

export function driverFor(options: {
  mmio: ConstructorParameters<typeof VirtioDriver>[0]['mmio'];
  memory: TestMemory;
}): VirtioDriver {
  return new VirtioDriver({ mmio: options.mmio, memory: options.memory });
}
