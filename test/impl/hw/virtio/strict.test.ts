// Strict mode (issue #14 part 2): each MUST the VIRTIO 1.2 specification places on a driver of the
// transport and the rings, one test each, citing the section. The device records a located driver
// error, then behaves as QEMU does.

import { describe, expect, it } from 'vitest';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { BlkType, VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { DescFlag, Feature, Interrupt, Reg, Status } from '../../../../impl/hw/virtio/constants.ts';
import type { DriverQueue } from '../../../../impl/hw/virtio/driver.ts';
import type { Negotiation } from '../../../../impl/hw/virtio/mmio.ts';
import type { TestMemory } from '../../../../impl/hw/testing.ts';
import { BUF_BASE, driverFor, fullWindow, ram, RING_BASE } from './harness.ts';

const V1 = Feature.Version1 | Feature.BlkFlush;
const A = Status.Acknowledge;
const D = Status.Driver;
const F = Status.FeaturesOk;
const OK = Status.DriverOk;

function blk(options: { negotiation?: Negotiation; strict?: boolean } = {}): {
  dev: VirtioBlk;
  mem: TestMemory;
} {
  const mem = ram();
  const dev = new VirtioBlk({
    name: 'blk',
    dma: fullWindow(mem, 'blk'),
    backend: new MemoryBlockBackend({ sizeBytes: 64 * 512 }),
    ...options,
  });
  return { dev, mem };
}

/** A device brought up by the test driver (negotiated, one queue, DRIVER_OK). */
function live(features = V1): { dev: VirtioBlk; mem: TestMemory; q: DriverQueue } {
  const { dev, mem } = blk();
  const drv = driverFor({ mmio: dev, memory: mem });
  expect(drv.negotiate(features)).toBe(true);
  const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
  drv.driverOk();
  return { dev, mem, q };
}

function flush(mem: TestMemory, q: DriverQueue, i = 0): number {
  const base = BUF_BASE + BigInt(i * 0x100);
  mem.writeU32(base, BlkType.Flush);
  return q.add([
    { addr: base, lenBytes: 16, write: false },
    { addr: base + 16n, lenBytes: 1, write: true },
  ]) as number;
}

function features(dev: VirtioBlk, bits: bigint): void {
  for (let sel = 0; sel < 2; sel++) {
    dev.write32(Reg.DriverFeaturesSel, sel);
    dev.write32(Reg.DriverFeatures, Number((bits >> BigInt(32 * sel)) & 0xffff_ffffn));
  }
}

describe('§3.1.1 device initialisation sequence', () => {
  it('DRIVER_OK without FEATURES_OK (negotiation skipped) is a driver error; a strict device cannot run', () => {
    const { dev } = blk();
    dev.write32(Reg.Status, A);
    dev.write32(Reg.Status, A | D);
    dev.write32(Reg.Status, A | D | OK);
    expect(dev.errorCodes()).toEqual(['driver-ok-without-features-ok', 'device-cannot-run']);
    expect(dev.needsReset).toBe(true);
    expect(dev.interruptStatus).toBe(Interrupt.ConfigChange);
    expect(dev.live).toBe(false);
  });

  it('the same under QEMU negotiation: recorded, and the device runs with no features (as QEMU)', () => {
    const { dev } = blk({ negotiation: 'qemu' });
    dev.write32(Reg.Status, A);
    dev.write32(Reg.Status, A | D);
    dev.write32(Reg.Status, A | D | OK);
    expect(dev.errorCodes()).toEqual(['driver-ok-without-features-ok']);
    expect(dev.live).toBe(true);
    expect(dev.negotiatedFeatures).toBe(0n);
  });

  it('DRIVER_OK after FEATURES_OK was refused is the same driver error (step 6: re-read Status)', () => {
    const { dev } = blk();
    dev.write32(Reg.Status, A | D);
    features(dev, Feature.BlkFlush); // no VERSION_1: refused
    dev.write32(Reg.Status, A | D | F);
    expect(dev.status & F).toBe(0);
    dev.write32(Reg.Status, A | D | F | OK);
    // Setting FEATURES_OK again is another (refused) attempt; then DRIVER_OK without it.
    expect(dev.errorCodes()).toEqual([
      'version-1-not-accepted',
      'features-refused',
      'version-1-not-accepted',
      'features-refused',
      'driver-ok-without-features-ok',
      'device-cannot-run',
    ]);
  });

  it('status bits are set in order: ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK', () => {
    const { dev } = blk({ negotiation: 'qemu' });
    dev.write32(Reg.Status, D); // DRIVER without ACKNOWLEDGE
    dev.write32(Reg.Status, 0);
    dev.write32(Reg.Status, A | F); // FEATURES_OK without DRIVER
    dev.write32(Reg.Status, 0);
    dev.write32(Reg.Status, A | OK); // DRIVER_OK without DRIVER (or FEATURES_OK)
    expect(dev.errorCodes()).toEqual([
      'status-order',
      'status-order',
      'version-1-not-accepted',
      'status-order',
      'driver-ok-without-features-ok',
    ]);
  });

  it('§4.2.2.2: DeviceFeatures is read, and DriverFeatures written, only after their Sel register', () => {
    const { dev } = blk();
    dev.read32(Reg.DeviceFeatures);
    dev.write32(Reg.DriverFeatures, 0);
    expect(dev.errorCodes()).toEqual(['features-sel-not-written', 'features-sel-not-written']);
    dev.write32(Reg.DeviceFeaturesSel, 1);
    expect(dev.read32(Reg.DeviceFeatures)).toBe(1);
    dev.write32(Reg.Status, 0); // a reset forgets the Sel writes
    dev.read32(Reg.DeviceFeatures);
    expect(dev.errorCount).toBe(3);
  });

  it('§3.1.1: a notify before DRIVER_OK is recorded and dropped', () => {
    const { dev, mem } = blk();
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(V1);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    flush(mem, q);
    drv.kick(0);
    expect(dev.errorCodes()).toEqual(['notify-before-driver-ok']);
    drv.driverOk();
    expect(dev.queueState(0).lastAvailIdx).toBe(0);
  });
});

describe('§2.1.1 device status', () => {
  it('the driver does not clear a status bit: recorded; the status takes the value written (QEMU)', () => {
    const { dev } = live();
    dev.write32(Reg.Status, A | D | F);
    expect(dev.errorCodes()).toEqual(['status-bit-cleared']);
    expect(dev.status).toBe(A | D | F);
    expect(dev.live).toBe(false);
  });

  it('DEVICE_NEEDS_RESET is the device’s: a status write never clears it', () => {
    const { dev, q } = live();
    q.publish(9); // head out of the table
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.needsReset).toBe(true);
    dev.write32(Reg.Status, A | D | F | OK);
    expect(dev.needsReset).toBe(true);
    expect(dev.errorCodes()).toEqual(['head-out-of-range']);
    dev.write32(Reg.Status, A | D | F); // clears DRIVER_OK: recorded, NEEDS_RESET stays
    expect(dev.status).toBe(A | D | F | Status.DeviceNeedsReset);
    expect(dev.errorCodes()).toEqual(['head-out-of-range', 'status-bit-cleared']);
  });

  it('after FAILED the driver resets before setting anything else', () => {
    const { dev } = blk();
    dev.write32(Reg.Status, A | Status.Failed);
    dev.write32(Reg.Status, A | D | Status.Failed);
    expect(dev.errorCodes()).toEqual(['failed-not-reset']);
    dev.write32(Reg.Status, 0);
    dev.write32(Reg.Status, A);
    expect(dev.errorCount).toBe(1);
  });
});

describe('§2.2.1 and §6.2 feature negotiation', () => {
  it('accepting an unoffered feature is a driver error; strict refuses FEATURES_OK, QEMU masks it', () => {
    for (const negotiation of ['strict', 'qemu'] as const) {
      const { dev } = blk({ negotiation });
      dev.write32(Reg.Status, A | D);
      features(dev, Feature.Version1 | (1n << 40n));
      dev.write32(Reg.Status, A | D | F);
      expect(dev.errorCodes()[0]).toBe('unoffered-feature');
      expect(dev.negotiatedFeatures).toBe(negotiation === 'strict' ? 0n : Feature.Version1);
    }
  });

  it('§3.1.1 step 5: no new features after FEATURES_OK (ignored, as QEMU)', () => {
    const { dev } = live(Feature.Version1);
    dev.write32(Reg.DriverFeaturesSel, 0);
    dev.write32(Reg.DriverFeatures, Number(Feature.BlkFlush));
    expect(dev.negotiatedFeatures).toBe(Feature.Version1);
    expect(dev.errorCodes()).toEqual(['features-after-features-ok']);
  });
});

describe('§4.2.2.2 queue registers', () => {
  it('QueueNum above QueueNumMax is a driver error; the queue does not run', () => {
    const { dev } = blk();
    dev.write32(Reg.QueueSel, 0);
    dev.write32(Reg.QueueNum, 512);
    dev.write32(Reg.QueueReady, 1);
    expect(dev.errorCodes()).toEqual(['queue-num-too-large', 'queue-num']);
    expect(dev.queueState(0).enabled).toBe(false);
    expect(dev.read32(Reg.QueueReady)).toBe(1);
  });

  it('§2.7.1: a misaligned ring is a driver error; the queue does not run', () => {
    const { dev } = blk();
    dev.write32(Reg.QueueSel, 0);
    dev.write32(Reg.QueueNum, 8);
    dev.write32(Reg.QueueDeviceLow, 0x4000_0002);
    dev.write32(Reg.QueueReady, 1);
    expect(dev.errorCodes()).toEqual(['ring-alignment']);
    expect(dev.queueState(0).enabled).toBe(false);
  });

  it('QueueReady 0 then 1 keeps the ring indices, as QEMU (only a reset zeroes them)', () => {
    const { dev, mem, q } = live();
    flush(mem, q);
    dev.write32(Reg.QueueNotify, 0);
    expect(q.collect()).toHaveLength(1);
    dev.write32(Reg.QueueSel, 0);
    dev.write32(Reg.QueueReady, 0);
    expect(dev.read32(Reg.QueueReady)).toBe(0);
    dev.write32(Reg.QueueReady, 1);
    expect(dev.queueState(0).lastAvailIdx).toBe(1);
    expect(dev.queueState(0).usedIdx).toBe(1);
    flush(mem, q, 1);
    dev.write32(Reg.QueueNotify, 0);
    expect(q.collect()).toHaveLength(1);
    expect(dev.errorCount).toBe(0);
  });

  it('§4.2.2.1: the device does not touch a queue whose QueueReady is 0', () => {
    const { dev, mem, q } = live();
    dev.write32(Reg.QueueSel, 0);
    dev.write32(Reg.QueueReady, 0);
    flush(mem, q);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.queueState(0).lastAvailIdx).toBe(0);
    expect(dev.errorCount).toBe(0);
  });

  it('InterruptACK with bits other than the two defined ones is a driver error', () => {
    const { dev } = live();
    dev.write32(Reg.InterruptAck, 0x4);
    expect(dev.errorCodes()).toEqual(['interrupt-ack-undefined-bits']);
  });
});

describe('§2.7 the rings', () => {
  it('§2.7.7.1: without EVENT_IDX avail.flags is 0 or 1', () => {
    const { dev, mem, q } = live();
    q.setAvailFlags(2);
    flush(mem, q);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['avail-flags']);
    expect(dev.irqAsserted()).toBe(true); // bit 0 clear: the interrupt is sent
  });

  it('§2.7.7.1: with EVENT_IDX avail.flags is 0', () => {
    const { dev, mem, q } = live(V1 | Feature.RingEventIdx);
    q.setAvailFlags(1);
    flush(mem, q);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['avail-flags']);
    expect(dev.irqAsserted()).toBe(true); // the device ignores the flag: used_event 0 was crossed
  });

  it('QEMU refuses zero-length buffers: the device breaks', () => {
    const { dev, mem, q } = live();
    mem.writeU32(BUF_BASE, BlkType.Flush);
    q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 32n, lenBytes: 0, write: true },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['zero-length']);
    expect(dev.needsReset).toBe(true);
  });

  it('§3.3.1: exposing a descriptor the device still holds is a driver error', () => {
    const { dev, mem, q } = live();
    const head = flush(mem, q);
    q.publish(head); // the same chain again, before it was used
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['descriptor-in-flight']);
    expect(dev.queueState(0).usedIdx).toBe(2); // as QEMU: both are served
  });

  it('§2.7.4.2: a readable descriptor after a writable one breaks the device', () => {
    const { dev, q } = live();
    q.writeDesc(0, { addr: BUF_BASE, lenBytes: 1, flags: DescFlag.Write | DescFlag.Next, next: 1 });
    q.writeDesc(1, { addr: BUF_BASE, lenBytes: 16, flags: 0, next: 0 });
    q.publish(0);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['readable-after-writable']);
  });
});
