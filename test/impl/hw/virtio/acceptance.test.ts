// Issue #14 acceptance, first line: a driver that reads the MAC with 8-bit accesses works; one
// that notifies before DRIVER_OK, or skips FEATURES_OK, or sends FLUSH without F_FLUSH gets a
// recorded driver error in strict mode. (The timing lines are in adversarial.test.ts.)

import { describe, expect, it } from 'vitest';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { BlkType, VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { Feature, Reg, Status } from '../../../../impl/hw/virtio/constants.ts';
import { VirtioNet } from '../../../../impl/hw/virtio/net.ts';
import { BUF_BASE, driverFor, fullWindow, ram, RING_BASE } from './harness.ts';

const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0xab, 0xcd, 0xef);

function disk(strict = true) {
  const mem = ram();
  const dev = new VirtioBlk({
    name: 'blk',
    dma: fullWindow(mem, 'blk'),
    backend: new MemoryBlockBackend({ sizeBytes: 8 * 512 }),
    strict,
  });
  return { dev, mem, drv: driverFor({ mmio: dev, memory: mem }) };
}

describe('issue #14 acceptance: strict devices', () => {
  it('a driver that reads the MAC with 8-bit accesses works', () => {
    const mem = ram();
    const nic = new VirtioNet({ name: 'nic', dma: fullWindow(mem, 'nic'), mac: MAC });
    const drv = driverFor({ mmio: nic, memory: mem });
    expect(drv.negotiate(Feature.Version1 | Feature.NetMac)).toBe(true);
    expect(drv.readMac()).toEqual(MAC);
    expect(nic.errorCount).toBe(0);
  });

  it('one that notifies before DRIVER_OK gets a recorded driver error', () => {
    const { dev, drv } = disk();
    drv.negotiate(Feature.Version1);
    drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.kick(0);
    expect(dev.errorCodes()).toEqual(['notify-before-driver-ok']);
    expect(String(dev.errors[0])).toBe(
      'blk: QueueNotify (0x050) 32-bit write of 0: available buffer notification before DRIVER_OK (dropped) [virtio-1.2 §3.1.1]',
    );
  });

  it('one that skips FEATURES_OK gets a recorded driver error', () => {
    const { dev } = disk();
    dev.write32(Reg.Status, Status.Acknowledge);
    dev.write32(Reg.Status, Status.Acknowledge | Status.Driver);
    dev.write32(Reg.Status, Status.Acknowledge | Status.Driver | Status.DriverOk);
    expect(dev.errorCodes()[0]).toBe('driver-ok-without-features-ok');
  });

  it('one that sends FLUSH without F_FLUSH gets a recorded driver error', () => {
    const { dev, mem, drv } = disk();
    drv.negotiate(Feature.Version1);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    mem.writeU32(BUF_BASE, BlkType.Flush);
    q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    drv.kick(0);
    expect(dev.errorCodes()).toEqual(['blk-flush-not-negotiated']);
  });

  it('strict mode can be turned off: the same driver passes unrecorded, the device behaves the same', () => {
    const { dev, mem, drv } = disk(false);
    drv.negotiate(Feature.Version1);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.kick(0);
    drv.driverOk();
    mem.writeU32(BUF_BASE, BlkType.Flush);
    q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    drv.kick(0);
    expect(dev.errorCount).toBe(0);
    expect(q.collect()).toHaveLength(1);
  });
});
