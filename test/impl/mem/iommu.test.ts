import { describe, expect, it } from 'vitest';
import { Iommu } from '../../../impl/mem/iommu.ts';
import { buildRegions } from '../../../impl/mem/region.ts';
import type { DmaFault } from '../../../impl/mem/types.ts';

const loc = { file: 't.system', line: 1, column: 1 };
const mr = (name: string, size: bigint, physAddr?: bigint) => ({
  name,
  sizeBytes: size,
  pageSizeBytes: 0x1000n,
  pageSizeExplicit: false,
  ...(physAddr === undefined ? {} : { physAddr }),
  loc,
});

function setup() {
  const { regions, errors } = buildRegions({
    regions: [
      mr('rx_dma', 0x2000n, 0x5000_0000n),
      mr('tx_dma', 0x1000n, 0x5100_0000n),
      mr('blk_data', 0x1000n),
    ],
  });
  expect(errors).toEqual([]);
  const { iommu, errors: ioErrors } = Iommu.build(regions, [
    { device: 'virtio_net', ioMaps: [{ mr: 'rx_dma' }, { mr: 'tx_dma', write: false }] },
    { device: 'virtio_blk', ioMaps: [{ mr: 'blk_data', ioAddr: 0x1000n }] },
  ]);
  expect(ioErrors).toEqual([]);
  return { regions, iommu };
}

const isFault = (x: unknown): x is DmaFault =>
  typeof x === 'object' && x !== null && (x as DmaFault).kind === 'dma-fault';

describe('Iommu', () => {
  it('performs a DMA inside the window at io address = phys addr', () => {
    const { regions, iommu } = setup();
    const net = iommu.portFor('virtio_net');
    expect(net.write(0x5000_0100n, new Uint8Array([1, 2, 3]))).toBeNull();
    expect(new Uint8Array(regions.get('rx_dma')!.buffer!)[0x101]).toBe(2);
    const r = net.read(0x5000_0100n, 3);
    expect(isFault(r) ? r : [...r]).toEqual([1, 2, 3]);
    expect(iommu.isFaulted('virtio_net')).toBe(false);
  });

  it('faults a DMA outside the window: not performed, that device only', () => {
    const { regions, iommu } = setup();
    const net = iommu.portFor('virtio_net');
    const blk = iommu.portFor('virtio_blk');
    // blk_data is in blk's window only; net writing its physical address must fault.
    const blkPhys = regions.get('blk_data')!.physAddr;
    const f = net.write(blkPhys, new Uint8Array([0xff]));
    expect(f).toMatchObject({ kind: 'dma-fault', device: 'virtio_net', write: true });
    expect(new Uint8Array(regions.get('blk_data')!.buffer!)[0]).toBe(0);
    expect(iommu.isFaulted('virtio_net')).toBe(true);
    expect(iommu.isFaulted('virtio_blk')).toBe(false);
    expect(blk.write(0x1000n, new Uint8Array([5]))).toBeNull();
    expect(new Uint8Array(regions.get('blk_data')!.buffer!)[0]).toBe(5);
    expect(iommu.faults).toHaveLength(1);
  });

  it('faults a DMA that runs past the end of its window, and a write through a read-only window', () => {
    const { regions, iommu } = setup();
    const net = iommu.portFor('virtio_net');
    expect(isFault(net.read(0x5000_1ffen, 4))).toBe(true);
    expect(net.write(0x5100_0000n, new Uint8Array([1]))).toMatchObject({ kind: 'dma-fault' });
    expect(new Uint8Array(regions.get('tx_dma')!.buffer!)[0]).toBe(0);
    expect(isFault(net.read(0x5100_0000n, 1))).toBe(false);
  });

  it('a device with no I/O maps reaches nothing', () => {
    const { iommu } = setup();
    expect(isFault(iommu.portFor('uart').read(0x5000_0000n, 1))).toBe(true);
  });

  it('reports unknown regions and overlapping windows as diagnostics', () => {
    const { regions } = setup();
    const { errors } = Iommu.build(regions, [
      {
        device: 'd',
        ioMaps: [{ mr: 'nope' }, { mr: 'rx_dma', ioAddr: 0n }, { mr: 'tx_dma', ioAddr: 0x1000n }],
      },
    ]);
    expect(errors.map((e) => e.code)).toEqual(['RUNTIME_IOMAP_MR', 'RUNTIME_IOMAP_OVERLAP']);
  });
});
