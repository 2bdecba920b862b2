// The emulated devices behind the real IOMMU of impl/mem (not the test window): a DMA outside
// the device's I/O maps is refused there, recorded against that device, and never performed.

import { describe, expect, it } from 'vitest';
import { Iommu, type RegionInstance } from '../../../../impl/mem/index.ts';
import { TestMemory } from '../../../../impl/hw/testing.ts';
import { Feature } from '../../../../impl/hw/virtio/constants.ts';
import { VirtioDriver } from '../../../../impl/hw/virtio/driver.ts';
import { NET_RX_QUEUE, NET_TX_QUEUE, VirtioNet } from '../../../../impl/hw/virtio/net.ts';
import { TrafficGenerator } from '../../../../impl/hw/wire.ts';

function region(name: string, physAddr: bigint, sizeBytes: number): RegionInstance {
  return {
    name,
    physAddr,
    sizeBytes,
    physFixed: true,
    buffer: new SharedArrayBuffer(sizeBytes),
    mmio: null,
  };
}

describe('virtio-net behind impl/mem Iommu', () => {
  it('works inside its I/O maps; an Rx buffer in an unmapped region faults only that device', () => {
    const ring = region('hw_ring', 0x5000_0000n, 0x1_0000);
    const rxDma = region('rx_dma', 0x5100_0000n, 0x1_0000);
    const secret = region('secret', 0x5200_0000n, 0x1000);
    const regions = new Map([ring, rxDma, secret].map((r) => [r.name, r]));
    const { iommu, errors } = Iommu.build(regions, [
      { device: 'nic', ioMaps: [{ mr: 'hw_ring' }, { mr: 'rx_dma' }] },
    ]);
    expect(errors).toEqual([]);
    const nic = new VirtioNet({
      name: 'nic',
      dma: iommu.portFor('nic'),
      mac: Uint8Array.of(2, 0, 0, 0, 0, 9),
    });
    const view = (r: RegionInstance): TestMemory =>
      new TestMemory({
        baseAddr: r.physAddr,
        bytes: new Uint8Array(r.buffer as SharedArrayBuffer),
      });
    const ringMem = view(ring);
    const drv = new VirtioDriver({ mmio: nic, memory: ringMem });
    expect(drv.negotiate(Feature.Version1)).toBe(true);
    const rx = drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: ring.physAddr });
    drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: ring.physAddr + 0x8000n });
    drv.driverOk();
    const gen = new TrafficGenerator({
      seed: 5,
      srcMac: nic.mac,
      dstMac: nic.mac,
      maxPayloadBytes: 100,
    });

    rx.add([{ addr: rxDma.physAddr, lenBytes: 2048, write: true }]);
    nic.receiveFrame(gen.nextFrame());
    expect(rx.collect()).toHaveLength(1);
    expect(iommu.isFaulted('nic')).toBe(false);

    rx.add([{ addr: secret.physAddr, lenBytes: 2048, write: true }]);
    nic.receiveFrame(gen.nextFrame());
    expect(iommu.isFaulted('nic')).toBe(true);
    expect(nic.dmaFaults[0]).toMatchObject({ device: 'nic', ioAddr: secret.physAddr, write: true });
    expect(new Uint8Array(secret.buffer as SharedArrayBuffer).every((b) => b === 0)).toBe(true);
    expect(rx.collect()).toEqual([]);
    expect(nic.needsReset).toBe(true);
  });
});
