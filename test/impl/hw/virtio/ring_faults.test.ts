// Queue set-up limits and DMA faults on each part of a split virtqueue (descriptor table, avail
// ring, used ring), using a DmaPort with a hole over exactly one part.

import { describe, expect, it } from 'vitest';
import type { DmaFault, DmaPort } from '../../../../impl/mem/types.ts';
import { InvariantError } from '../../../../spec/common/assert.ts';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { BlkStatus, BlkType, VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { Feature, Interrupt, Reg, Status } from '../../../../impl/hw/virtio/constants.ts';
import { ringLayout } from '../../../../impl/hw/virtio/driver.ts';
import { SplitVirtqueue } from '../../../../impl/hw/virtio/virtqueue.ts';
import type { TestMemory } from '../../../../impl/hw/testing.ts';
import { BUF_BASE, driverFor, ram, RING_BASE } from './harness.ts';

/** Full access to `memory` except `[holeStart, holeEnd)`. */
function holePort(options: { memory: TestMemory; holeStart: bigint; holeEnd: bigint }): DmaPort {
  const { memory, holeStart, holeEnd } = options;
  const fault = (ioAddr: bigint, lengthBytes: number, write: boolean): DmaFault | null =>
    ioAddr < holeEnd && holeStart < ioAddr + BigInt(lengthBytes)
      ? { kind: 'dma-fault', device: 'blk', ioAddr, lengthBytes, write, reason: 'hole' }
      : null;
  return {
    read: (a, n) => fault(a, n, false) ?? memory.read(a, n),
    write: (a, d) => {
      const f = fault(a, d.length, true);
      if (f === null) memory.write(a, d);
      return f;
    },
  };
}

function blkWith(dma: DmaPort, mem: TestMemory, num = 8) {
  const dev = new VirtioBlk({
    name: 'blk',
    dma,
    backend: new MemoryBlockBackend({ sizeBytes: 64 * 512 }),
  });
  const drv = driverFor({ mmio: dev, memory: mem });
  expect(drv.negotiate(Feature.Version1 | Feature.BlkFlush)).toBe(true);
  const q = drv.setupQueue({ index: 0, num, baseAddr: RING_BASE });
  drv.driverOk();
  return { dev, drv, q };
}

function readRequest(mem: TestMemory, q: ReturnType<typeof blkWith>['q'], i: number): number {
  const base = BUF_BASE + BigInt(i * 0x1000);
  mem.writeU32(base, BlkType.In);
  mem.writeU64(base + 8n, 0n);
  // One writable descriptor holding 512 data bytes and the status byte at its end.
  return q.add([
    { addr: base, lenBytes: 16, write: false },
    { addr: base + 0x100n, lenBytes: 513, write: true },
  ]) as number;
}

describe('DMA faults on each ring part', () => {
  const layout = ringLayout({ baseAddr: RING_BASE, num: 8 });
  // [part, hole, used.idx afterwards]: the avail flags are read after the used entry is published.
  const parts: [string, bigint, bigint, number][] = [
    ['descriptor table', layout.descAddr, layout.availAddr, 0],
    ['avail ring entries', layout.availAddr + 4n, layout.availAddr + 20n, 0],
    ['avail flags (read when interrupting)', layout.availAddr, layout.availAddr + 2n, 1],
    ['used ring entries', layout.usedAddr + 4n, layout.endAddr, 0],
    ['used idx', layout.usedAddr + 2n, layout.usedAddr + 4n, 0],
  ];
  for (const [name, holeStart, holeEnd, usedIdx] of parts) {
    it(`a hole over the ${name} faults the device and publishes nothing`, () => {
      const mem = ram();
      const { dev, q } = blkWith(holePort({ memory: mem, holeStart, holeEnd }), mem);
      readRequest(mem, q, 0);
      dev.write32(Reg.QueueNotify, 0);
      expect(dev.dmaFaults).toHaveLength(1);
      expect(dev.dmaFaults[0]?.ioAddr).toBeGreaterThanOrEqual(holeStart);
      expect(dev.needsReset).toBe(true);
      expect(dev.interruptStatus & Interrupt.ConfigChange).toBe(Interrupt.ConfigChange);
      expect(mem.readU16(layout.usedAddr + 2n)).toBe(usedIdx);
      expect(dev.interruptStatus & Interrupt.UsedBuffer).toBe(0);
    });
  }
});

describe('avail.flags with EVENT_IDX', () => {
  it('the device ignores avail.flags then: a refused read of them is no fault (only the strict check is skipped)', () => {
    const mem = ram();
    const layout = ringLayout({ baseAddr: RING_BASE, num: 8 });
    const dma = holePort({
      memory: mem,
      holeStart: layout.availAddr,
      holeEnd: layout.availAddr + 2n,
    });
    const dev = new VirtioBlk({
      name: 'blk',
      dma,
      backend: new MemoryBlockBackend({ sizeBytes: 64 * 512 }),
    });
    const drv = driverFor({ mmio: dev, memory: mem });
    expect(drv.negotiate(Feature.Version1 | Feature.RingEventIdx)).toBe(true);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    readRequest(mem, q, 0);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.dmaFaults).toEqual([]);
    expect(dev.irqAsserted()).toBe(true);
    expect(q.collect()).toHaveLength(1);
  });
});

describe('DMA faults on request buffers', () => {
  for (const [name, holeStart, holeEnd] of [
    ['data', BUF_BASE + 0x100n, BUF_BASE + 0x200n],
    ['status byte', BUF_BASE + 0x100n + 512n, BUF_BASE + 0x100n + 513n],
  ] as const) {
    it(`a ${name} buffer the device may not write faults the device; no used entry`, () => {
      const mem = ram();
      const { dev, q } = blkWith(holePort({ memory: mem, holeStart, holeEnd }), mem);
      readRequest(mem, q, 0);
      dev.write32(Reg.QueueNotify, 0);
      expect(dev.dmaFaults[0]).toMatchObject({ ioAddr: holeStart, write: true });
      expect(q.collect()).toEqual([]);
    });
  }
});

describe('queue limits', () => {
  it('the status byte goes to the last writable byte even inside a data descriptor', () => {
    const mem = ram();
    const { dev, q } = blkWith(holePort({ memory: mem, holeStart: 0n, holeEnd: 1n }), mem);
    readRequest(mem, q, 0);
    mem.writeU8(BUF_BASE + 0x100n + 512n, 0xff);
    mem.writeU64(BUF_BASE + 8n, 1000n); // out of range: IOERR, no data
    dev.write32(Reg.QueueNotify, 0);
    expect(mem.readU8(BUF_BASE + 0x100n + 512n)).toBe(BlkStatus.IoErr);
    expect(mem.readU8(BUF_BASE + 0x100n)).toBe(0);
    expect(q.collect().map((u) => u.lenBytes)).toEqual([513]); // QEMU: used.len = in_len
  });

  it('QueueNum = QueueNumMax is accepted, 0 is refused; avail/used alignment is checked (§2.7.1)', () => {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'b',
      dma: holePort({ memory: mem, holeStart: 0n, holeEnd: 1n }),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
      queueNumMax: 16,
    });
    dev.write32(Reg.QueueSel, 0);
    const ready = (num: number, avail: number, used: number): boolean => {
      dev.write32(Reg.QueueReady, 0);
      dev.write32(Reg.QueueNum, num);
      dev.write32(Reg.QueueDescLow, 0x4000_0000);
      dev.write32(Reg.QueueDriverLow, avail);
      dev.write32(Reg.QueueDeviceLow, used);
      dev.write32(Reg.QueueReady, 1);
      return dev.queueState(0).enabled;
    };
    expect(ready(16, 0x4000_1000, 0x4000_2000)).toBe(true);
    expect(ready(0, 0x4000_1000, 0x4000_2000)).toBe(false);
    expect(ready(16, 0x4000_1001, 0x4000_2000)).toBe(false);
    expect(ready(16, 0x4000_1000, 0x4000_2002)).toBe(false);
    expect(ready(16, 0x4000_1002, 0x4000_2004)).toBe(true);
    expect(dev.errorCodes()).toEqual(['queue-num', 'ring-alignment', 'ring-alignment']);
  });

  it('QueueNumMax must be a power of two in [1, 32768]', () => {
    for (const bad of [0, 3, 65536])
      expect(() => new SplitVirtqueue(0, bad)).toThrow(InvariantError);
    expect(new SplitVirtqueue(0, 32768).queueNumMax).toBe(32768);
    expect(new SplitVirtqueue(0, 1).queueNumMax).toBe(1);
  });

  it('every descriptor in use at once, and a chain of exactly QueueNum descriptors, are fine', () => {
    const mem = ram();
    const { dev, q } = blkWith(holePort({ memory: mem, holeStart: 0n, holeEnd: 1n }), mem, 8);
    // 4 requests of 2 descriptors = all 8 descriptors, avail.idx 4 ahead; then one 8-descriptor chain.
    for (let i = 0; i < 4; i++) readRequest(mem, q, i);
    dev.write32(Reg.QueueNotify, 0);
    expect(q.collect().map((u) => u.lenBytes)).toEqual([513, 513, 513, 513]);
    const base = BUF_BASE;
    mem.writeU32(base, BlkType.In);
    const chain = [
      { addr: base, lenBytes: 8, write: false },
      { addr: base + 8n, lenBytes: 8, write: false },
      ...Array.from({ length: 5 }, (_, k) => ({
        addr: base + 0x200n + BigInt(k * 0x200),
        lenBytes: 512,
        write: true,
      })),
      { addr: base + 0x100n, lenBytes: 1, write: true },
    ];
    q.add(chain);
    dev.write32(Reg.QueueNotify, 0);
    expect(q.collect().map((u) => u.lenBytes)).toEqual([5 * 512 + 1]);
    expect(mem.readU8(base + 0x100n)).toBe(BlkStatus.Ok);
    expect(dev.errorCount).toBe(0);
  });

  it('avail.idx exactly QueueNum ahead of the device is accepted (exposing held descriptors again is recorded)', () => {
    const mem = ram();
    const { dev, q } = blkWith(holePort({ memory: mem, holeStart: 0n, holeEnd: 1n }), mem, 16);
    for (let i = 0; i < 8; i++) {
      const base = BUF_BASE + BigInt(i * 0x100);
      mem.writeU32(base, BlkType.Flush);
      q.add([
        { addr: base, lenBytes: 16, write: false },
        { addr: base + 16n, lenBytes: 1, write: true },
      ]);
    }
    // Publish the same 8 heads again so avail.idx is 16 = QueueNum ahead of the device.
    const heads = [0, 2, 4, 6, 8, 10, 12, 14];
    for (const h of heads) q.publish(h);
    dev.write32(Reg.QueueNotify, 0);
    // §3.3.1: the second exposure of each head comes while the device still holds the first.
    expect(dev.errorCodes()).toEqual(new Array(8).fill('descriptor-in-flight'));
    expect(dev.needsReset).toBe(false);
    expect(dev.queueState(0).usedIdx).toBe(16);
  });

  it('a head equal to QueueNum is out of the table', () => {
    const mem = ram();
    const { dev, q } = blkWith(holePort({ memory: mem, holeStart: 0n, holeEnd: 1n }), mem, 8);
    q.publish(8);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['head-out-of-range']);
  });

  it('a descriptor ending exactly at 2^64 does not wrap (it is a DMA fault, not malformed)', () => {
    const mem = ram();
    const { dev, q } = blkWith(
      holePort({ memory: mem, holeStart: 1n << 63n, holeEnd: 1n << 64n }),
      mem,
      8,
    );
    q.add([
      { addr: (1n << 64n) - 16n, lenBytes: 16, write: false },
      { addr: BUF_BASE, lenBytes: 1, write: true },
    ]);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['dma-fault']);
    expect(dev.dmaFaults).toHaveLength(1);
  });
});

describe('status and negotiation corner cases', () => {
  it('negotiatedFeatures is 0 when FEATURES_OK was refused; DRIVER_OK without it does not make the device live', () => {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'b',
      dma: holePort({ memory: mem, holeStart: 0n, holeEnd: 1n }),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
    });
    dev.write32(Reg.Status, Status.Acknowledge | Status.Driver);
    dev.write32(Reg.DriverFeaturesSel, 0);
    dev.write32(Reg.DriverFeatures, 1 << 9); // FLUSH but no VERSION_1
    dev.write32(Reg.Status, Status.Acknowledge | Status.Driver | Status.FeaturesOk);
    expect(dev.negotiatedFeatures).toBe(0n);
    dev.write32(Reg.Status, Status.Acknowledge | Status.Driver | Status.DriverOk);
    expect(dev.live).toBe(false);
  });
});
