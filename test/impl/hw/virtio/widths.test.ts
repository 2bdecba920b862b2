// virtio 1.2 §4.2.2.2 (driver requirements, MMIO register layout): control registers take 32-bit
// aligned accesses only; the configuration space takes 8-bit accesses for 8-bit fields, 16-bit for
// 16-bit fields, 32-bit for 32- and 64-bit fields; no access to locations the layout does not
// describe; no read of a write-only and no write of a read-only register. Each is a recorded driver
// error; the device then answers as QEMU's virtio-mmio does (wrong size on a control register:
// ignored and reads 0; config space: performed; 64-bit: split into two 32-bit accesses).

import { describe, expect, it } from 'vitest';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { Feature, Reg, Status } from '../../../../impl/hw/virtio/constants.ts';
import { VirtioNet } from '../../../../impl/hw/virtio/net.ts';
import { driverFor, fullWindow, ram } from './harness.ts';

const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

function nic(options: { strict?: boolean; deviceFeatures?: bigint; mtu?: number } = {}): VirtioNet {
  const mem = ram();
  return new VirtioNet({
    name: 'nic',
    dma: fullWindow(mem, 'nic'),
    mac: MAC,
    ...options,
  });
}

function blk(): VirtioBlk {
  const mem = ram();
  return new VirtioBlk({
    name: 'blk',
    dma: fullWindow(mem, 'blk'),
    backend: new MemoryBlockBackend({ sizeBytes: 0x300 * 512 }),
  });
}

describe('§4.2.2.2: configuration space accesses by field width', () => {
  it('a driver reading the MAC with 8-bit accesses works and records nothing', () => {
    const n = nic();
    const mem = ram();
    expect(driverFor({ mmio: n, memory: mem }).readMac()).toEqual(MAC);
    expect([0, 1, 2, 3, 4, 5].map((i) => n.read8(Reg.Config + i))).toEqual([...MAC]);
    expect(n.errorCount).toBe(0);
  });

  it('a 32-bit read across mac[0..3] is a driver error; QEMU performs it (little-endian bytes)', () => {
    const n = nic();
    expect(n.read32(Reg.Config)).toBe(0x12005452);
    expect(n.errorCodes()).toEqual(['wrong-width']);
    expect(String(n.errors[0])).toBe(
      'nic: config mac[0] (0x100) 32-bit read: a 32-bit access; config mac[0] takes 8-bit accesses at its own offset [virtio-1.2 §4.2.2.2]',
    );
  });

  it('16-bit fields take 16-bit reads; an 8-bit read of half of one is a driver error', () => {
    const n = nic();
    expect(n.read16(Reg.Config + 6)).toBe(1); // status: LINK_UP
    expect(n.errorCount).toBe(0);
    expect(n.read8(Reg.Config + 7)).toBe(0); // high byte of status
    expect(n.read8(Reg.Config + 6)).toBe(1); // low byte: at the field's offset, but 8-bit
    expect(n.errorCodes()).toEqual(['wrong-width', 'wrong-width']);
  });

  it('§2.5.1: a field of an unoffered feature is not there to read (driver error); QEMU reads the bytes or all ones', () => {
    const n = nic();
    // max_virtqueue_pairs needs VIRTIO_NET_F_MQ; the space ends after status (8 bytes).
    expect(n.read16(Reg.Config + 8)).toBe(0xffff);
    expect(n.errorCodes()).toEqual(['hole']);
    const withMtu = nic({ mtu: 9000 });
    expect(withMtu.read16(Reg.Config + 10)).toBe(9000);
    expect(withMtu.read16(Reg.Config + 8)).toBe(1); // inside the 12-byte space: the bytes
    expect(withMtu.errorCodes()).toEqual(['hole']);
  });

  it('64-bit config fields are read as two 32-bit halves; a 64-bit read is an error, split as QEMU splits it', () => {
    const b = blk();
    const cap = b.capacitySectors;
    expect(cap).toBe(0x300n);
    expect(b.read32(Reg.Config)).toBe(Number(cap & 0xffff_ffffn));
    expect(b.read32(Reg.Config + 4)).toBe(0);
    expect(b.errorCount).toBe(0);
    expect(b.read64(Reg.Config)).toBe(cap);
    expect(b.errorCodes()).toEqual(['wrong-width']);
    expect(b.read16(Reg.Config)).toBe(0x300); // performed at 16 bits, and recorded
    expect(b.errorCodes()).toEqual(['wrong-width', 'wrong-width']);
  });

  it('configuration fields are read-only for the driver: a write is a driver error and ignored', () => {
    const n = nic();
    expect(n.write8(Reg.Config, 0xff)).toBeNull();
    expect(n.read8(Reg.Config)).toBe(MAC[0]);
    expect(n.errorCodes()).toEqual(['write-to-read-only']);
  });

  it('with strict off, nothing is recorded and the device answers the same', () => {
    const n = nic({ strict: false });
    expect(n.read32(Reg.Config)).toBe(0x12005452);
    expect(n.read16(Reg.Config + 8)).toBe(0xffff);
    expect(n.write16(Reg.Status, 1)).toBeNull();
    expect(n.errorCount).toBe(0);
    expect(n.strictMode).toBe(false);
  });
});

describe('§4.2.2.2: control registers are 32 bits wide', () => {
  it('8- and 16-bit accesses are driver errors; QEMU ignores them (reads 0, writes dropped)', () => {
    const n = nic();
    expect(n.read8(Reg.MagicValue)).toBe(0);
    expect(n.read16(Reg.Version)).toBe(0);
    expect(n.write16(Reg.Status, Status.Acknowledge)).toBeNull();
    expect(n.status).toBe(0);
    expect(n.write8(Reg.Status, Status.Acknowledge)).toBeNull();
    expect(n.status).toBe(0);
    expect(n.errorCodes()).toEqual(['wrong-width', 'wrong-width', 'wrong-width', 'wrong-width']);
    expect(n.read32(Reg.MagicValue)).toBe(0x74726976);
    expect(n.errorCount).toBe(4);
  });

  it('a 64-bit access is a driver error; QEMU splits it into two 32-bit accesses (low first)', () => {
    const n = nic();
    expect(n.read64(Reg.MagicValue)).toBe((2n << 32n) | 0x74726976n); // Magic, then Version
    n.write32(Reg.QueueSel, 0);
    expect(n.write64(Reg.QueueDescLow, 0x1_0000_2000n)).toBeNull();
    expect(n.queueState(0).config.descAddr).toBe(0x1_0000_2000n);
    expect(n.errorCodes()).toEqual(['wrong-width', 'wrong-width']);
  });

  it('reading a write-only register, writing a read-only one, or touching an undescribed offset', () => {
    const n = nic();
    expect(n.read32(Reg.QueueNotify)).toBe(0);
    n.write32(Reg.MagicValue, 1);
    expect(n.read32(Reg.MagicValue)).toBe(0x74726976);
    expect(n.read32(0x0f8)).toBe(0);
    n.write32(0x0f8, 1);
    expect(n.errorCodes()).toEqual(['read-of-write-only', 'write-to-read-only', 'hole', 'hole']);
    expect(String(n.errors[2])).toMatch(/reserved offset \(0x0f8\) 32-bit read/);
  });

  it('§4.2.2: SHMLen/SHMBase of a region that does not exist read all ones', () => {
    const n = nic();
    expect(
      [Reg.ShmLenLow, Reg.ShmLenHigh, Reg.ShmBaseLow, Reg.ShmBaseHigh].map((r) => n.read32(r)),
    ).toEqual([0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff]);
    expect(n.read32(Reg.QueueReset)).toBe(0);
    n.write32(Reg.ShmSel, 3);
    n.write32(Reg.QueueReset, 1);
    expect(n.errorCount).toBe(0);
  });
});

describe('every device offers and reads its features the way the spec pages them', () => {
  it('virtio-net offers VERSION_1, MAC, STATUS, MRG_RXBUF, EVENT_IDX and INDIRECT_DESC by default', () => {
    const n = nic();
    const drv = driverFor({ mmio: n, memory: ram() });
    expect(drv.deviceFeatures()).toBe(
      Feature.Version1 |
        Feature.NetMac |
        Feature.NetStatus |
        Feature.NetMrgRxbuf |
        Feature.RingEventIdx |
        Feature.RingIndirectDesc,
    );
    expect(n.errorCount).toBe(0);
  });

  it('virtio-blk offers VERSION_1, FLUSH, BLK_SIZE, EVENT_IDX and INDIRECT_DESC', () => {
    const b = blk();
    expect(driverFor({ mmio: b, memory: ram() }).deviceFeatures()).toBe(
      Feature.Version1 |
        Feature.BlkFlush |
        Feature.BlkBlkSize |
        Feature.RingEventIdx |
        Feature.RingIndirectDesc,
    );
  });
});
