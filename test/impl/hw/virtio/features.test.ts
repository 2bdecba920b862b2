// The ring features QEMU offers by default (issue #14 part 4) and the device-type rules of
// virtio-net (§5.1.6) and virtio-blk (§5.2.6): EVENT_IDX in both directions, NO_NOTIFY, INDIRECT
// descriptors, MRG_RXBUF; each negotiable, each declinable.

import { describe, expect, it } from 'vitest';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { BlkStatus, BlkType, VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { DescFlag, Feature, Reg } from '../../../../impl/hw/virtio/constants.ts';
import type { DriverQueue, VirtioDriver } from '../../../../impl/hw/virtio/driver.ts';
import { NET_RX_QUEUE, NET_TX_QUEUE, VirtioNet } from '../../../../impl/hw/virtio/net.ts';
import { vringNeedEvent } from '../../../../impl/hw/virtio/virtqueue.ts';
import { FrameSink, connectSink } from '../../../../impl/hw/wire.ts';
import type { TestMemory } from '../../../../impl/hw/testing.ts';
import { BUF_BASE, driverFor, fullWindow, ram, RING_BASE } from './harness.ts';

const MAC = Uint8Array.of(2, 0, 0, 0, 0, 7);

interface Net {
  nic: VirtioNet;
  drv: VirtioDriver;
  mem: TestMemory;
  rx: DriverQueue;
  tx: DriverQueue;
  sink: FrameSink;
}

function net(features: bigint, num = 8): Net {
  const mem = ram();
  const nic = new VirtioNet({ name: 'nic', dma: fullWindow(mem, 'nic'), mac: MAC });
  const drv = driverFor({ mmio: nic, memory: mem });
  expect(drv.negotiate(features)).toBe(true);
  const rx = drv.setupQueue({ index: NET_RX_QUEUE, num, baseAddr: RING_BASE });
  const tx = drv.setupQueue({ index: NET_TX_QUEUE, num, baseAddr: RING_BASE + 0x8000n });
  drv.driverOk();
  const sink = new FrameSink('sink');
  connectSink({ nic, sink });
  return { nic, drv, mem, rx, tx, sink };
}

function frame(bytes: number, fill = 0xab): Uint8Array {
  return new Uint8Array(bytes).fill(fill);
}

function sendTx(n: Net, i: number, body: Uint8Array, hdr: Uint8Array = new Uint8Array(12)): number {
  const addr = BUF_BASE + 0x8_0000n + BigInt(i * 0x800);
  n.mem.write(addr, hdr);
  n.mem.write(addr + BigInt(hdr.length), body);
  return n.tx.add([{ addr, lenBytes: hdr.length + body.length, write: false }]) as number;
}

describe('VIRTIO_F_EVENT_IDX (§2.7.7, §2.7.10)', () => {
  it('vring_need_event: notify exactly when used.idx passes used_event', () => {
    expect(vringNeedEvent({ event: 0, next: 1, old: 0 })).toBe(true);
    expect(vringNeedEvent({ event: 1, next: 1, old: 0 })).toBe(false);
    expect(vringNeedEvent({ event: 1, next: 3, old: 1 })).toBe(true);
    expect(vringNeedEvent({ event: 0xffff, next: 0, old: 0xfffe })).toBe(true); // across the wrap
    expect(vringNeedEvent({ event: 5, next: 5, old: 5 })).toBe(false);
  });

  it('§2.7.7.2: the device interrupts only when it publishes the entry used_event names', () => {
    const n = net(Feature.Version1 | Feature.RingEventIdx);
    n.tx.setUsedEvent(2); // interrupt me when entry 2 is used (used.idx goes 2 → 3)
    for (let i = 0; i < 2; i++) {
      sendTx(n, i, frame(60));
      n.drv.kick(NET_TX_QUEUE);
      expect(n.nic.irqAsserted()).toBe(i === 0); // first notification ever: QEMU's signalled_used_valid
      n.drv.ackInterrupt();
    }
    sendTx(n, 2, frame(60));
    n.drv.kick(NET_TX_QUEUE);
    expect(n.nic.irqAsserted()).toBe(true);
    expect(n.tx.collect()).toHaveLength(3);
    expect(n.nic.errorCount).toBe(0);
  });

  it('§2.7.10: the device writes avail_event as it consumes, so the driver notifies for the next entry', () => {
    const n = net(Feature.Version1 | Feature.RingEventIdx);
    sendTx(n, 0, frame(60));
    n.drv.kick(NET_TX_QUEUE);
    expect(n.tx.availEvent()).toBe(1);
    const old = n.tx.availIdx;
    sendTx(n, 1, frame(60));
    expect(n.tx.needsNotify({ eventIdx: true, oldIdx: old })).toBe(true);
  });

  it('declined: NO_INTERRUPT governs, used_event and avail_event are not used', () => {
    const n = net(Feature.Version1);
    n.tx.setUsedEvent(7);
    sendTx(n, 0, frame(60));
    n.drv.kick(NET_TX_QUEUE);
    expect(n.nic.irqAsserted()).toBe(true);
    expect(n.tx.availEvent()).toBe(0);
  });
});

describe('VIRTIO_F_INDIRECT_DESC (§2.7.5.3)', () => {
  const TABLE = BUF_BASE + 0x4_0000n;

  it('a chain in an indirect table is walked like a direct one; the table descriptor’s WRITE flag is ignored', () => {
    const n = net(Feature.Version1 | Feature.RingIndirectDesc);
    const addr = BUF_BASE;
    n.mem.write(addr, new Uint8Array(12));
    n.mem.write(addr + 12n, frame(60, 0x11));
    const head = n.tx.add(
      [
        { addr, lenBytes: 12, write: false },
        { addr: addr + 12n, lenBytes: 60, write: false },
      ],
      { indirect: { addr: TABLE } },
    );
    n.tx.writeDesc(head as number, {
      addr: TABLE,
      lenBytes: 32,
      flags: DescFlag.Indirect | DescFlag.Write,
      next: 0,
    });
    n.drv.kick(NET_TX_QUEUE);
    expect(n.sink.frames[0]).toEqual(frame(60, 0x11));
    expect(n.tx.collect()).toEqual([{ head, lenBytes: 0 }]);
    expect(n.tx.freeDescCount).toBe(8);
    expect(n.nic.errorCount).toBe(0);
  });

  it('§2.7.5.3.2: normal descriptors followed by one indirect descriptor', () => {
    const n = net(Feature.Version1 | Feature.RingIndirectDesc);
    n.mem.write(BUF_BASE + 12n, frame(60, 0x22));
    n.mem.writeU64(TABLE, BUF_BASE + 12n);
    n.mem.writeU32(TABLE + 8n, 60);
    n.tx.writeDesc(0, { addr: BUF_BASE, lenBytes: 12, flags: DescFlag.Next, next: 1 });
    n.tx.writeDesc(1, { addr: TABLE, lenBytes: 16, flags: DescFlag.Indirect, next: 0 });
    n.tx.publish(0);
    n.drv.kick(NET_TX_QUEUE);
    expect(n.sink.frames[0]).toEqual(frame(60, 0x22));
    expect(n.nic.errorCount).toBe(0);
  });

  it('INDIRECT without negotiation is a driver error; QEMU follows the table anyway', () => {
    const n = net(Feature.Version1);
    n.mem.write(BUF_BASE + 12n, frame(60, 0x33));
    n.mem.writeU64(TABLE, BUF_BASE);
    n.mem.writeU32(TABLE + 8n, 72);
    n.tx.writeDesc(0, {
      addr: TABLE,
      lenBytes: 16,
      flags: DescFlag.Indirect | DescFlag.Next,
      next: 1,
    });
    n.tx.publish(0);
    n.drv.kick(NET_TX_QUEUE);
    expect(n.nic.errorCodes()).toEqual(['indirect-not-negotiated', 'indirect-with-next']);
    expect(n.sink.frames[0]).toEqual(frame(60, 0x33));
  });

  for (const [name, table, code] of [
    ['a table length that is not a multiple of 16', { len: 24 }, 'indirect-size'],
    ['an empty table', { len: 0 }, 'indirect-size'],
    ['a table longer than the queue', { len: 16 * 9 }, 'chain-too-long'],
    ['INDIRECT inside the table', { len: 16, innerFlags: DescFlag.Indirect }, 'nested-indirect'],
    [
      'next outside the table',
      { len: 16, innerFlags: DescFlag.Next, innerNext: 1 },
      'next-out-of-range',
    ],
    ['a loop inside the table', { len: 16, innerFlags: DescFlag.Next, innerNext: 0 }, 'chain-loop'],
    ['a table that wraps u64', { len: 32, addr: (1n << 64n) - 16n }, 'range-wraps'],
  ] as const) {
    it(`${name} breaks the device`, () => {
      const n = net(Feature.Version1 | Feature.RingIndirectDesc);
      const at = 'addr' in table ? table.addr : TABLE;
      if (!('addr' in table)) {
        n.mem.writeU64(TABLE, BUF_BASE);
        n.mem.writeU32(TABLE + 8n, 72);
        n.mem.writeU16(TABLE + 12n, 'innerFlags' in table ? table.innerFlags : 0);
        n.mem.writeU16(TABLE + 14n, 'innerNext' in table ? table.innerNext : 0);
      }
      n.tx.writeDesc(0, { addr: at, lenBytes: table.len, flags: DescFlag.Indirect, next: 0 });
      n.tx.publish(0);
      n.drv.kick(NET_TX_QUEUE);
      expect(n.nic.errorCodes()).toEqual([code]);
      expect(n.nic.needsReset).toBe(true);
    });
  }
});

describe('VIRTIO_NET_F_MRG_RXBUF (§5.1.6.3, §5.1.6.4)', () => {
  const postRx = (n: Net, i: number, lenBytes: number): number =>
    n.rx.add([{ addr: BUF_BASE + BigInt(i * 0x1000), lenBytes, write: true }]) as number;

  it('a frame larger than one buffer spans several, each filled but the last; num_buffers counts them', () => {
    const n = net(Feature.Version1 | Feature.NetMrgRxbuf);
    const heads = [0, 1, 2].map((i) => postRx(n, i, 100));
    const f = Uint8Array.from({ length: 250 }, (_, k) => k & 0xff);
    n.nic.receiveFrame(f);
    expect(n.rx.collect()).toEqual([
      { head: heads[0], lenBytes: 100 },
      { head: heads[1], lenBytes: 100 },
      { head: heads[2], lenBytes: 62 },
    ]);
    expect(n.mem.readU16(BUF_BASE + 10n)).toBe(3);
    const back = new Uint8Array([
      ...n.mem.read(BUF_BASE + 12n, 88),
      ...n.mem.read(BUF_BASE + 0x1000n, 100),
      ...n.mem.read(BUF_BASE + 0x2000n, 62),
    ]);
    expect(back).toEqual(f);
    expect(n.nic.queueState(NET_RX_QUEUE).usedIdx).toBe(3);
  });

  it('a frame that does not fit in all available buffers is dropped and no buffer is taken', () => {
    const n = net(Feature.Version1 | Feature.NetMrgRxbuf);
    postRx(n, 0, 100);
    postRx(n, 1, 100);
    n.nic.receiveFrame(frame(300));
    expect(n.nic.stats.rxDroppedNoBuffer).toBe(1);
    expect(n.nic.queueState(NET_RX_QUEUE).lastAvailIdx).toBe(0);
    n.nic.receiveFrame(frame(60));
    expect(n.rx.collect()).toHaveLength(1);
  });

  it('§5.1.6.3.1: each buffer is at least the size of the header', () => {
    const n = net(Feature.Version1 | Feature.NetMrgRxbuf);
    postRx(n, 0, 8);
    postRx(n, 1, 200);
    n.nic.receiveFrame(frame(60));
    expect(n.nic.errorCodes()).toEqual(['rx-buffer-smaller-than-header']);
    expect(n.rx.collect().map((u) => u.lenBytes)).toEqual([8, 64]);
  });

  it('declined: one buffer per frame, num_buffers = 1, a frame too large for it is dropped', () => {
    const n = net(Feature.Version1);
    postRx(n, 0, 100);
    n.nic.receiveFrame(frame(200));
    expect(n.nic.stats.rxDroppedTooLong).toBe(1);
    n.nic.receiveFrame(frame(60));
    expect(n.rx.collect()).toEqual([{ head: 0, lenBytes: 72 }]);
    expect(n.mem.readU16(BUF_BASE + 10n)).toBe(1);
  });
});

describe('§5.1.6.2.1: the transmit header', () => {
  const hdr = (bytes: [number, number][]): Uint8Array<ArrayBuffer> => {
    const h = new Uint8Array(12);
    for (const [at, v] of bytes) h[at] = v;
    return h;
  };
  for (const [name, h, code] of [
    ['num_buffers not 0', hdr([[10, 1]]), 'tx-hdr-num-buffers'],
    ['flags without VIRTIO_NET_F_CSUM', hdr([[0, 1]]), 'tx-hdr-flags'],
    ['DATA_VALID in flags', hdr([[0, 2]]), 'tx-hdr-flags'],
    ['RSC_INFO in flags', hdr([[0, 4]]), 'tx-hdr-flags'],
    ['gso_type without HOST_TSO4', hdr([[1, 1]]), 'tx-hdr-gso'],
    ['an unknown gso_type', hdr([[1, 9]]), 'tx-hdr-gso'],
  ] as const) {
    it(`${name} is a driver error; the frame goes out (as QEMU)`, () => {
      const n = net(Feature.Version1);
      sendTx(n, 0, frame(60), h);
      n.drv.kick(NET_TX_QUEUE);
      expect(n.nic.errorCodes()).toContain(code);
      expect(n.sink.frameCount).toBe(1);
    });
  }

  it('a gso_type without NEEDS_CSUM is flagged too', () => {
    const n = net(Feature.Version1);
    sendTx(n, 0, frame(60), hdr([[1, 1]]));
    n.drv.kick(NET_TX_QUEUE);
    expect(n.nic.errorCodes()).toEqual(['tx-hdr-gso', 'tx-hdr-gso']);
  });

  it('the legacy 10-byte header has no num_buffers to check', () => {
    const mem = ram();
    const nic = new VirtioNet({
      name: 'n',
      dma: fullWindow(mem, 'n'),
      mac: MAC,
      negotiation: 'qemu',
    });
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.NetMac);
    drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    const tx = drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    mem.write(BUF_BASE, new Uint8Array(10));
    mem.write(BUF_BASE + 10n, frame(60));
    tx.add([{ addr: BUF_BASE, lenBytes: 70, write: false }]);
    drv.kick(NET_TX_QUEUE);
    expect(nic.headerBytes()).toBe(10);
    expect(nic.errorCodes()).toEqual(['version-1-not-accepted']); // U10's legacy path, recorded
  });
});

describe('§5.2.6 virtio-blk requests', () => {
  function disk(features = Feature.Version1 | Feature.BlkFlush) {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'blk',
      dma: fullWindow(mem, 'blk'),
      backend: new MemoryBlockBackend({ sizeBytes: 16 * 512 }),
    });
    const drv = driverFor({ mmio: dev, memory: mem });
    expect(drv.negotiate(features)).toBe(true);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    return { dev, mem, q, drv };
  }
  const header = (mem: TestMemory, type: number, sector: bigint): void => {
    mem.writeU32(BUF_BASE, type);
    mem.writeU64(BUF_BASE + 8n, sector);
  };

  it('FLUSH without VIRTIO_BLK_F_FLUSH negotiated is a driver error; the device flushes (as QEMU)', () => {
    const b = disk(Feature.Version1);
    header(b.mem, BlkType.Flush, 0n);
    b.q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    b.drv.kick(0);
    expect(b.dev.errorCodes()).toEqual(['blk-flush-not-negotiated']);
    expect(b.mem.readU8(BUF_BASE + 16n)).toBe(BlkStatus.Ok);
    expect(b.dev.stats.flushes).toBe(1);
  });

  it('§5.2.6.1: FLUSH with a non-zero sector is a driver error; the sector is ignored', () => {
    const b = disk();
    header(b.mem, BlkType.Flush, 5n);
    b.q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    b.drv.kick(0);
    expect(b.dev.errorCodes()).toEqual(['blk-flush-sector']);
    expect(b.mem.readU8(BUF_BASE + 16n)).toBe(BlkStatus.Ok);
  });

  it('an IN request whose data is device-readable: driver error; nothing read; used.len = 1 (QEMU)', () => {
    const b = disk();
    header(b.mem, BlkType.In, 0n);
    b.q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 0x100n, lenBytes: 512, write: false },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    b.drv.kick(0);
    expect(b.dev.errorCodes()).toEqual(['blk-data-direction']);
    expect(b.q.collect()[0]?.lenBytes).toBe(1);
    expect(b.mem.readU8(BUF_BASE + 16n)).toBe(BlkStatus.Ok);
  });

  it('an OUT request whose data is device-writable: driver error; nothing written to disk', () => {
    const b = disk();
    header(b.mem, BlkType.Out, 0n);
    b.q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 0x100n, lenBytes: 512, write: true },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    b.drv.kick(0);
    expect(b.dev.errorCodes()).toEqual(['blk-data-direction']);
    expect(b.q.collect()[0]?.lenBytes).toBe(513);
  });

  it('used.len is every device-writable byte, whatever the outcome (QEMU in_len)', () => {
    const b = disk();
    header(b.mem, 99, 0n); // unsupported
    b.q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 0x100n, lenBytes: 40, write: true },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    b.drv.kick(0);
    expect(b.q.collect()[0]?.lenBytes).toBe(41);
    expect(b.mem.readU8(BUF_BASE + 16n)).toBe(BlkStatus.Unsupp);
    expect(b.dev.errorCount).toBe(0);
  });

  it('the status byte is inside used.len for an out-of-range read (§2.7.8: bytes the driver may trust)', () => {
    const b = disk();
    header(b.mem, BlkType.In, 100n);
    b.q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 0x100n, lenBytes: 513, write: true },
    ]);
    b.drv.kick(0);
    const [u] = b.q.collect();
    expect(u?.lenBytes).toBe(513);
    expect(b.mem.readU8(BUF_BASE + 0x100n + 512n)).toBe(BlkStatus.IoErr);
    void Reg;
  });
});
