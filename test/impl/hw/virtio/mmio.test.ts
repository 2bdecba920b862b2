import { describe, expect, it } from 'vitest';
import type { HwEvent } from '../../../../impl/hw/events.ts';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { BlkType, VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { Feature, Interrupt, Reg, Status } from '../../../../impl/hw/virtio/constants.ts';
import { BUF_BASE, driverFor, fullWindow, ram, RING_BASE } from './harness.ts';

/** The features these tests negotiate: flushRequest sends FLUSH, which needs F_FLUSH. */
const V1_FLUSH = Feature.Version1 | Feature.BlkFlush;

function blk(observer?: (e: HwEvent) => void): { dev: VirtioBlk; mem: ReturnType<typeof ram> } {
  const mem = ram();
  const dev = new VirtioBlk({
    name: 'blk',
    dma: fullWindow(mem, 'blk'),
    backend: new MemoryBlockBackend({ sizeBytes: 8192 }),
    queueNumMax: 64,
    ...(observer ? { observer } : {}),
  });
  return { dev, mem };
}

function flushRequest(
  mem: ReturnType<typeof ram>,
  q: ReturnType<ReturnType<typeof driverFor>['setupQueue']>,
): number {
  mem.writeU32(BUF_BASE, BlkType.Flush);
  return q.add([
    { addr: BUF_BASE, lenBytes: 16, write: false },
    { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
  ]) as number;
}

describe('virtio-mmio transport', () => {
  it('device features are paged by DeviceFeaturesSel; pages past 1 read 0', () => {
    const { dev } = blk();
    dev.write32(Reg.DeviceFeaturesSel, 1);
    expect(dev.read32(Reg.DeviceFeatures)).toBe(1); // VERSION_1 = bit 32
    dev.write32(Reg.DeviceFeaturesSel, 0);
    expect(dev.read32(Reg.DeviceFeatures) & (1 << 9)).toBe(1 << 9); // FLUSH
    dev.write32(Reg.DeviceFeaturesSel, 2);
    expect(dev.read32(Reg.DeviceFeatures)).toBe(0);
  });

  it('FEATURES_OK is not kept for a bad feature set; DriverFeatures after FEATURES_OK are ignored', () => {
    const { dev, mem } = blk();
    const drv = driverFor({ mmio: dev, memory: mem });
    expect(drv.negotiate(Feature.BlkFlush)).toBe(false); // no VERSION_1
    expect(dev.read32(Reg.Status) & Status.FeaturesOk).toBe(0);
    expect(dev.errorCodes()).toEqual(['version-1-not-accepted', 'features-refused']);
    expect(drv.negotiate(Feature.Version1)).toBe(true);
    dev.write32(Reg.DriverFeaturesSel, 0);
    dev.write32(Reg.DriverFeatures, 1 << 9);
    expect(dev.negotiatedFeatures).toBe(Feature.Version1);
    expect(dev.errorCodes().at(-1)).toBe('features-after-features-ok');
  });

  it('queue set-up: a bad num or alignment is recorded and the queue does not run; QueueReady reads back the last value written (§4.2.2)', () => {
    const { dev, mem } = blk();
    driverFor({ mmio: dev, memory: mem }).negotiate(V1_FLUSH);
    dev.write32(Reg.QueueSel, 0);
    expect(dev.read32(Reg.QueueNumMax)).toBe(64);
    const tryReady = (num: number, desc: number): boolean => {
      dev.write32(Reg.QueueReady, 0);
      dev.write32(Reg.QueueNum, num);
      dev.write32(Reg.QueueDescLow, desc);
      dev.write32(Reg.QueueDriverLow, 0x4000_1000);
      dev.write32(Reg.QueueDeviceLow, 0x4000_2000);
      dev.write32(Reg.QueueReady, 1);
      expect(dev.read32(Reg.QueueReady)).toBe(1);
      return dev.queueState(0).enabled;
    };
    expect(tryReady(12, 0x4000_0000)).toBe(false); // not a power of two
    expect(tryReady(128, 0x4000_0000)).toBe(false); // > QueueNumMax
    expect(tryReady(16, 0x4000_0008)).toBe(false); // desc not 16-aligned
    expect(tryReady(16, 0x4000_0000)).toBe(true);
    expect(dev.errorCodes()).toEqual([
      'queue-num',
      'queue-num-too-large',
      'queue-num',
      'ring-alignment',
    ]);
    // QEMU keeps the shadow register; the running queue keeps what was latched at QueueReady.
    dev.write32(Reg.QueueNum, 32);
    expect(dev.queueState(0).config.num).toBe(32);
    expect(dev.queueState(0).active.num).toBe(16);
    expect(dev.errorCodes().at(-1)).toBe('queue-reprogrammed-while-ready');
    dev.write32(Reg.QueueSel, 5);
    expect(dev.read32(Reg.QueueNumMax)).toBe(0);
  });

  it('high address words are kept (64-bit ring addresses)', () => {
    const { dev } = blk();
    dev.write32(Reg.QueueSel, 0);
    dev.write32(Reg.QueueDescLow, 0x1000);
    dev.write32(Reg.QueueDescHigh, 0x2);
    expect(dev.queueState(0).config.descAddr).toBe(0x2_0000_1000n);
  });

  it('§3.1.1: a notify before DRIVER_OK is a driver error and is dropped, not served at DRIVER_OK', () => {
    const { dev, mem } = blk();
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1_FLUSH);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    const head = flushRequest(mem, q);
    drv.kick(0);
    expect(q.collect()).toEqual([]);
    expect(dev.errorCodes()).toEqual(['notify-before-driver-ok']);
    drv.driverOk();
    expect(q.collect()).toEqual([]); // §2.1.2: nothing consumed before DRIVER_OK, nor because of it
    drv.kick(0);
    expect(q.collect()).toEqual([{ head, lenBytes: 1 }]);
  });

  it('InterruptStatus/ACK: W1C per bit; the IRQ line follows InterruptStatus != 0', () => {
    const { dev, mem } = blk();
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1_FLUSH);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    flushRequest(mem, q);
    drv.kick(0);
    expect(dev.read32(Reg.InterruptStatus)).toBe(Interrupt.UsedBuffer);
    expect(dev.irqAsserted()).toBe(true);
    dev.write32(Reg.InterruptAck, Interrupt.ConfigChange); // wrong bit: nothing cleared
    expect(dev.irqAsserted()).toBe(true);
    dev.write32(Reg.InterruptAck, Interrupt.UsedBuffer);
    expect(dev.read32(Reg.InterruptStatus)).toBe(0);
    expect(dev.irqAsserted()).toBe(false);
  });

  it('avail NO_INTERRUPT suppresses the used-buffer interrupt (not the used entry)', () => {
    const { dev, mem } = blk();
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1_FLUSH);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    q.setAvailFlags(1);
    flushRequest(mem, q);
    drv.kick(0);
    expect(q.collect()).toHaveLength(1);
    expect(dev.irqAsserted()).toBe(false);
  });

  it('reset (Status = 0) clears status, features, queues, indices and interrupts', () => {
    const { dev, mem } = blk();
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1_FLUSH);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    flushRequest(mem, q);
    drv.kick(0);
    expect(dev.irqAsserted()).toBe(true);
    dev.write32(Reg.Status, 0);
    expect(dev.read32(Reg.Status)).toBe(0);
    expect(dev.read32(Reg.InterruptStatus)).toBe(0);
    expect(dev.negotiatedFeatures).toBe(0n);
    dev.write32(Reg.QueueSel, 0);
    expect(dev.read32(Reg.QueueReady)).toBe(0);
    expect(dev.queueState(0).lastAvailIdx).toBe(0);
    expect(dev.queueState(0).usedIdx).toBe(0);
    expect(dev.live).toBe(false);
    // And the device works again after a fresh initialisation.
    mem.bytes.fill(0, 0, 0x1000);
    drv.negotiate(V1_FLUSH);
    const q2 = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    const head = flushRequest(mem, q2);
    drv.kick(0);
    expect(q2.collect()).toEqual([{ head, lenBytes: 1 }]);
  });

  it('records events only when observed: DMA, used, IRQ edges, notify', () => {
    const events: HwEvent[] = [];
    const { dev, mem } = blk((e) => events.push(e));
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1_FLUSH);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    const head = flushRequest(mem, q);
    drv.kick(0);
    drv.ackInterrupt();
    const kinds = new Set(events.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['dma-read', 'dma-write', 'irq', 'queue-notify', 'used']);
    expect(events).toContainEqual({ kind: 'used', device: 'blk', queue: 0, id: head, lenBytes: 1 });
    expect(
      events.filter((e) => e.kind === 'irq').map((e) => (e.kind === 'irq' ? e.asserted : null)),
    ).toEqual([true, false]);
  });

  it('identification registers and all six ring address words', () => {
    const { dev } = blk();
    expect(dev.read32(Reg.MagicValue)).toBe(0x74726976);
    expect(dev.read32(Reg.Version)).toBe(2);
    expect(dev.read32(Reg.VendorId)).toBe(0x46444453);
    dev.write32(Reg.QueueSel, 0);
    const words: [number, number][] = [
      [Reg.QueueDescLow, 0x1110],
      [Reg.QueueDescHigh, 0x1],
      [Reg.QueueDriverLow, 0x2220],
      [Reg.QueueDriverHigh, 0x2],
      [Reg.QueueDeviceLow, 0x3330],
      [Reg.QueueDeviceHigh, 0x3],
    ];
    for (const [reg, v] of words) dev.write32(reg, v);
    const c = dev.queueState(0).config;
    expect([c.descAddr, c.availAddr, c.usedAddr]).toEqual([
      0x1_0000_1110n,
      0x2_0000_2220n,
      0x3_0000_3330n,
    ]);
    dev.write32(Reg.QueueDescLow, 0x4440); // a low write keeps the high word
    expect(dev.queueState(0).config.descAddr).toBe(0x1_0000_4440n);
  });

  it('a driver feature bit in page 2 or above can only make a strict negotiation fail', () => {
    const { dev, mem } = blk();
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1_FLUSH);
    dev.write32(Reg.Status, 0);
    dev.write32(Reg.Status, Status.Acknowledge | Status.Driver);
    dev.write32(Reg.DriverFeaturesSel, 1);
    dev.write32(Reg.DriverFeatures, 1);
    dev.write32(Reg.DriverFeaturesSel, 2);
    dev.write32(Reg.DriverFeatures, 1);
    dev.write32(Reg.Status, Status.Acknowledge | Status.Driver | Status.FeaturesOk);
    expect(dev.read32(Reg.Status) & Status.FeaturesOk).toBe(0);
  });

  it('QueueReady = 0 disables a queue; notifies of absent queues are recorded, not fatal', () => {
    const { dev, mem } = blk();
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1_FLUSH);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    dev.write32(Reg.QueueSel, 0);
    dev.write32(Reg.QueueReady, 0);
    expect(dev.read32(Reg.QueueReady)).toBe(0);
    flushRequest(mem, q);
    drv.kick(0);
    expect(q.collect()).toEqual([]);
    drv.kick(3);
    expect(dev.errors.join()).toMatch(/absent queue 3/);
    expect(dev.live).toBe(true);
  });

  it('DEVICE_NEEDS_RESET survives status writes other than 0; only a reset clears it', () => {
    const { dev, mem } = blk();
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1_FLUSH);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    q.publish(9); // head out of range
    drv.kick(0);
    expect(dev.needsReset).toBe(true);
    dev.write32(
      Reg.Status,
      Status.Acknowledge | Status.Driver | Status.FeaturesOk | Status.DriverOk,
    );
    expect(dev.read32(Reg.Status) & Status.DeviceNeedsReset).toBe(Status.DeviceNeedsReset);
    dev.write32(Reg.Status, 0);
    expect(dev.needsReset).toBe(false);
  });

  it('keeps at most 64 error reasons but counts them all', () => {
    const { dev } = blk();
    for (let i = 0; i < 100; i++) dev.write32(Reg.QueueNotify, 7);
    expect(dev.errorCount).toBe(100);
    expect(dev.errors).toHaveLength(64);
  });

  it('processOnNotify = false: a notify only marks the queue; service() processes it', () => {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'blk',
      dma: fullWindow(mem, 'blk'),
      backend: new MemoryBlockBackend({ sizeBytes: 8192 }),
      processOnNotify: false,
    });
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1_FLUSH);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    const head = flushRequest(mem, q);
    drv.kick(0);
    expect(q.collect()).toEqual([]);
    expect(dev.service()).toBe(1);
    expect(q.collect()).toEqual([{ head, lenBytes: 1 }]);
    expect(dev.service()).toBe(0);
  });

  it('queue registers for an absent queue and a notify naming queue num_queues are recorded, not fatal', () => {
    const { dev } = blk();
    dev.write32(Reg.QueueSel, 1); // blk has queue 0 only
    dev.write32(Reg.QueueNum, 8);
    dev.write32(Reg.QueueReady, 1);
    expect(dev.read32(Reg.QueueReady)).toBe(0);
    dev.write32(Reg.QueueNotify, 1);
    expect(dev.errorCodes()).toEqual(['absent-queue', 'absent-queue', 'notify-absent-queue']);
    expect(dev.errors.map(String)).toEqual([
      'blk: queue 1 register 0x038 32-bit write: queue 1 is not available (QueueNumMax reads 0) [virtio-1.2 §4.2.2.2]',
      'blk: queue 1 QueueReady (0x044) 32-bit write: queue 1 is not available (QueueNumMax reads 0) [virtio-1.2 §4.2.2.2]',
      'blk: QueueNotify (0x050) 32-bit write of 1: QueueNotify names absent queue 1 [virtio-1.2 §4.2.3.3]',
    ]);
  });
});
