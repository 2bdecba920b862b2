// Split-virtqueue conformance: u16 index wrap, chains, malformed chains, DMA outside the IOMMU
// window. Driven through virtio-net transmit/receive (the simplest chain consumers).

import { describe, expect, it } from 'vitest';
import { DescFlag, Feature, Interrupt, Status } from '../../../../impl/hw/virtio/constants.ts';
import type { DriverQueue, VirtioDriver } from '../../../../impl/hw/virtio/driver.ts';
import { NET_RX_QUEUE, NET_TX_QUEUE, VirtioNet } from '../../../../impl/hw/virtio/net.ts';
import { TestMemory, WindowDmaPort } from '../../../../impl/hw/testing.ts';
import { FrameSink, connectSink, frameSeq, TrafficGenerator } from '../../../../impl/hw/wire.ts';
import { BUF_BASE, driverFor, fullWindow, RAM_BASE, RAM_BYTES, ram, RING_BASE } from './harness.ts';

const MAC = Uint8Array.of(2, 0, 0, 0, 0, 1);
const HDR = 12;

interface Setup {
  nic: VirtioNet;
  drv: VirtioDriver;
  mem: TestMemory;
  sink: FrameSink;
  tx: DriverQueue;
  rx: DriverQueue;
}

function setup(
  options: {
    num?: number;
    mem?: TestMemory;
    dma?: WindowDmaPort;
    ringBase?: bigint;
    name?: string;
  } = {},
): Setup {
  const mem = options.mem ?? ram();
  const name = options.name ?? 'nic';
  const nic = new VirtioNet({
    name,
    dma: options.dma ?? fullWindow(mem, name),
    mac: MAC,
    queueNumMax: 1024,
  });
  const drv = driverFor({ mmio: nic, memory: mem });
  expect(drv.negotiate(Feature.Version1)).toBe(true);
  const num = options.num ?? 8;
  const base = options.ringBase ?? RING_BASE;
  const rx = drv.setupQueue({ index: NET_RX_QUEUE, num, baseAddr: base });
  const tx = drv.setupQueue({ index: NET_TX_QUEUE, num, baseAddr: base + 0x8000n });
  drv.driverOk();
  const sink = new FrameSink('sink', 0);
  connectSink({ nic, sink });
  return { nic, drv, mem, sink, tx, rx };
}

const gen = (): TrafficGenerator =>
  new TrafficGenerator({
    seed: 3,
    srcMac: MAC,
    dstMac: MAC,
    minPayloadBytes: 46,
    maxPayloadBytes: 46,
  });

function postTx(s: Setup, options: { i: number; frame: Uint8Array; base?: bigint }): number | null {
  const addr = (options.base ?? BUF_BASE) + BigInt(options.i * 2048);
  s.mem.write(addr + BigInt(HDR), options.frame);
  return s.tx.add([
    { addr, lenBytes: HDR, write: false },
    { addr: addr + BigInt(HDR), lenBytes: options.frame.length, write: false },
  ]);
}

function expectNeedsReset(s: Setup, reason: RegExp): void {
  expect(s.nic.needsReset).toBe(true);
  expect(s.nic.status & Status.DeviceNeedsReset).toBe(Status.DeviceNeedsReset);
  expect(s.nic.interruptStatus & Interrupt.ConfigChange).toBe(Interrupt.ConfigChange);
  expect(s.nic.errors.join('\n')).toMatch(reason);
  expect(s.nic.live).toBe(false);
}

describe('u16 index wrap', () => {
  it('avail and used indices started near 0xffff wrap to 0 and every buffer comes back once', () => {
    const s = setup({ num: 8 });
    s.tx.startIndicesAt(0xfff0);
    const dq = s.nic.queueState(NET_TX_QUEUE);
    dq.lastAvailIdx = 0xfff0;
    dq.usedIdx = 0xfff0;
    const g = gen();
    const heads: number[] = [];
    for (let batch = 0; batch < 8; batch++) {
      for (let i = 0; i < 4; i++) postTx(s, { i, frame: g.nextFrame() });
      s.drv.kick(NET_TX_QUEUE);
      heads.push(...s.tx.collect().map((u) => u.head));
    }
    expect(heads).toHaveLength(32);
    expect(s.sink.frameCount).toBe(32);
    expect(dq.usedIdx).toBe((0xfff0 + 32) & 0xffff);
    expect(s.mem.readU16(s.tx.layout.usedAddr + 2n)).toBe(16);
    expect(s.tx.usedHead).toBe(16);
    expect(s.nic.errorCount).toBe(0);
  });

  it('a full 2^16 + 40 round trips through a small queue keep the rings in step', () => {
    const s = setup({ num: 4 });
    const frame = gen().nextFrame();
    s.mem.write(BUF_BASE + BigInt(HDR), frame);
    const total = 0x1_0000 + 40;
    // One descriptor per packet (header + frame together), four packets per notify.
    for (let sent = 0; sent < total; sent += 4) {
      for (let k = 0; k < 4; k++)
        s.tx.add([{ addr: BUF_BASE, lenBytes: HDR + frame.length, write: false }]);
      s.drv.kick(NET_TX_QUEUE);
      if (s.tx.collect().length !== 4) break;
    }
    expect(s.sink.frameCount).toBe(total);
    expect(s.nic.queueState(NET_TX_QUEUE).usedIdx).toBe(40);
    expect(s.tx.availIdx).toBe(40);
    expect(s.nic.errorCount).toBe(0);
  });

  it('avail.idx more than QueueNum ahead of the device is a driver error', () => {
    const s = setup({ num: 8 });
    s.mem.writeU16(s.tx.layout.availAddr + 2n, 9);
    s.drv.kick(NET_TX_QUEUE);
    expectNeedsReset(s, /ahead of the device/);
  });
});

describe('chains', () => {
  it('a frame gathered from 4 readable descriptors is transmitted whole', () => {
    const s = setup();
    const frame = gen().nextFrame();
    const a = BUF_BASE;
    s.mem.write(a + 12n, frame);
    s.tx.add([
      { addr: a, lenBytes: 5, write: false },
      { addr: a + 5n, lenBytes: 7, write: false },
      { addr: a + 12n, lenBytes: 20, write: false },
      { addr: a + 32n, lenBytes: frame.length - 20, write: false },
    ]);
    s.drv.kick(NET_TX_QUEUE);
    expect(s.sink.frameCount).toBe(1);
    expect(s.tx.freeDescCount).toBe(4); // not yet collected
    expect(s.tx.collect()).toHaveLength(1);
    expect(s.tx.freeDescCount).toBe(8);
  });

  it('a received frame scattered over 3 writable descriptors, used.len = header + frame', () => {
    const s = setup();
    const a = BUF_BASE;
    const head = s.rx.add([
      { addr: a, lenBytes: 12, write: true },
      { addr: a + 0x100n, lenBytes: 30, write: true },
      { addr: a + 0x200n, lenBytes: 100, write: true },
    ]);
    const frame = gen().nextFrame();
    s.nic.receiveFrame(frame);
    expect(s.rx.collect()).toEqual([{ head, lenBytes: 12 + frame.length }]);
    const back = new Uint8Array([
      ...s.mem.read(a + 0x100n, 30),
      ...s.mem.read(a + 0x200n, frame.length - 30),
    ]);
    expect(back).toEqual(frame);
    expect(frameSeq(back)).toBe(0);
  });
});

describe('malformed chains: DEVICE_NEEDS_RESET, never a hang or a crash', () => {
  const cases: [string, (s: Setup) => void, RegExp][] = [
    [
      'a NEXT loop',
      (s) => {
        s.tx.writeDesc(0, { addr: BUF_BASE, lenBytes: 12, flags: DescFlag.Next, next: 1 });
        s.tx.writeDesc(1, { addr: BUF_BASE, lenBytes: 60, flags: DescFlag.Next, next: 0 });
        s.tx.publish(0);
      },
      /longer than QueueNum .*loop/,
    ],
    [
      'next out of the table',
      (s) => {
        s.tx.writeDesc(0, { addr: BUF_BASE, lenBytes: 72, flags: DescFlag.Next, next: 8 });
        s.tx.publish(0);
      },
      /next 8 ≥ QueueNum 8/,
    ],
    ['a head out of the table', (s) => s.tx.publish(9), /chain head 9/],
    [
      'INDIRECT without negotiation',
      (s) => {
        s.tx.writeDesc(0, { addr: BUF_BASE, lenBytes: 16, flags: DescFlag.Indirect, next: 0 });
        s.tx.publish(0);
      },
      /INDIRECT/,
    ],
    [
      'readable after writable',
      (s) => {
        s.tx.writeDesc(0, {
          addr: BUF_BASE,
          lenBytes: 12,
          flags: DescFlag.Write | DescFlag.Next,
          next: 1,
        });
        s.tx.writeDesc(1, { addr: BUF_BASE, lenBytes: 60, flags: 0, next: 0 });
        s.tx.publish(0);
      },
      /readable after a device-writable/,
    ],
    [
      'a writable buffer in a transmit chain',
      (s) => {
        s.tx.writeDesc(0, { addr: BUF_BASE, lenBytes: 72, flags: DescFlag.Write, next: 0 });
        s.tx.publish(0);
      },
      /transmit chain has a device-writable/,
    ],
    [
      'a transmit chain shorter than the header',
      (s) => {
        s.tx.writeDesc(0, { addr: BUF_BASE, lenBytes: 4, flags: 0, next: 0 });
        s.tx.publish(0);
      },
      /shorter than the 12 B header/,
    ],
    [
      'a chain describing more than the transfer limit (no huge allocation)',
      (s) => {
        s.tx.writeDesc(0, { addr: BUF_BASE, lenBytes: 0xffff_ffff, flags: 0, next: 0 });
        s.tx.publish(0);
      },
      /more than 67108864 bytes/,
    ],
    [
      'a descriptor range that wraps u64',
      (s) => {
        s.tx.writeDesc(0, { addr: (1n << 64n) - 8n, lenBytes: 72, flags: 0, next: 0 });
        s.tx.publish(0);
      },
      /wraps u64/,
    ],
  ];
  for (const [name, corrupt, reason] of cases) {
    it(name, () => {
      const s = setup();
      corrupt(s);
      s.drv.kick(NET_TX_QUEUE);
      expectNeedsReset(s, reason);
      expect(s.tx.collect()).toEqual([]);
      expect(s.sink.frameCount).toBe(0);
      // A broken device ignores further work until reset.
      postTx(s, { i: 1, frame: gen().nextFrame() });
      s.drv.kick(NET_TX_QUEUE);
      expect(s.sink.frameCount).toBe(0);
    });
  }

  it('a readable buffer in a receive chain breaks the device on the next frame', () => {
    const s = setup();
    s.rx.add([{ addr: BUF_BASE, lenBytes: 2048, write: false }]);
    s.nic.receiveFrame(gen().nextFrame());
    expectNeedsReset(s, /receive chain has a device-readable/);
  });
});

describe('DMA outside the IOMMU window', () => {
  // Window covers rings and the first 64 KiB of buffers; BUF_BASE + 0x8_0000 is outside it.
  const narrow = (mem: TestMemory, name: string): WindowDmaPort =>
    new WindowDmaPort({
      memory: mem,
      device: name,
      windowStart: RAM_BASE,
      windowEnd: BUF_BASE + 0x1_0000n,
    });
  const outside = BUF_BASE + 0x8_0000n;

  it('a receive buffer outside the window: fault reported, nothing written, no used entry', () => {
    const mem = ram();
    const dma = narrow(mem, 'nic');
    const s = setup({ mem, dma });
    s.rx.add([{ addr: outside, lenBytes: 2048, write: true }]);
    s.nic.receiveFrame(gen().nextFrame());
    expect(dma.faults).toHaveLength(1);
    expect(s.nic.dmaFaults[0]).toMatchObject({
      kind: 'dma-fault',
      device: 'nic',
      ioAddr: outside,
      write: true,
    });
    expect(mem.read(outside, 2048).every((b) => b === 0)).toBe(true);
    expect(s.rx.collect()).toEqual([]);
    expect(s.nic.needsReset).toBe(true);
  });

  it('a transmit buffer outside the window: nothing reaches the wire', () => {
    const mem = ram();
    const dma = narrow(mem, 'nic');
    const s = setup({ mem, dma });
    postTx(s, { i: 0, frame: gen().nextFrame(), base: outside });
    s.drv.kick(NET_TX_QUEUE);
    expect(s.sink.frameCount).toBe(0);
    expect(s.nic.dmaFaults[0]).toMatchObject({ ioAddr: outside, write: false });
  });

  it('rings outside the window fault too', () => {
    const mem = ram();
    const dma = narrow(mem, 'nic');
    const s = setup({ mem, dma, ringBase: outside });
    postTx(s, { i: 0, frame: gen().nextFrame() });
    s.drv.kick(NET_TX_QUEUE);
    expect(s.nic.dmaFaults.length).toBeGreaterThan(0);
    expect(s.sink.frameCount).toBe(0);
  });

  it('faults that device only: a second device on the same memory keeps working', () => {
    const mem = new TestMemory({ baseAddr: RAM_BASE, sizeBytes: RAM_BYTES });
    const bad = setup({ mem, dma: narrow(mem, 'bad'), name: 'bad' });
    const good = setup({ mem, name: 'good', ringBase: RING_BASE + 0x2_0000n });
    postTx(bad, { i: 0, frame: gen().nextFrame(), base: outside });
    bad.drv.kick(NET_TX_QUEUE);
    postTx(good, { i: 4, frame: gen().nextFrame() });
    good.drv.kick(NET_TX_QUEUE);
    expect(bad.nic.needsReset).toBe(true);
    expect(good.nic.needsReset).toBe(false);
    expect(good.sink.frameCount).toBe(1);
    expect(good.nic.dmaFaults).toEqual([]);
  });
});
