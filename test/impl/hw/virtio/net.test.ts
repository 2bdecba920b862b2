import { describe, expect, it } from 'vitest';
import { Feature, Interrupt, Reg, Status } from '../../../../impl/hw/virtio/constants.ts';
import { NET_RX_QUEUE, NET_TX_QUEUE, VirtioNet } from '../../../../impl/hw/virtio/net.ts';
import {
  connectNics,
  connectSink,
  FrameSink,
  frameSeq,
  loopback,
  TrafficGenerator,
} from '../../../../impl/hw/wire.ts';
import type { TestMemory } from '../../../../impl/hw/testing.ts';
import type { VirtioDriver } from '../../../../impl/hw/virtio/driver.ts';
import { BUF_BASE, driverFor, fullWindow, ram, RING_BASE } from './harness.ts';

const MAC_A = Uint8Array.of(0x52, 0x54, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(0x52, 0x54, 0, 0, 0, 2);
const BUF_BYTES = 2048;

interface Nic {
  nic: VirtioNet;
  drv: VirtioDriver;
  mem: TestMemory;
}

function makeNic(
  options: {
    features?: bigint;
    negotiation?: 'strict' | 'qemu';
    num?: number;
    mem?: TestMemory;
    slot?: number;
  } = {},
): Nic {
  const mem = options.mem ?? ram();
  const slot = options.slot ?? 0;
  const nic = new VirtioNet({
    name: `nic${slot}`,
    dma: fullWindow(mem, `nic${slot}`),
    mac: slot === 0 ? MAC_A : MAC_B,
    negotiation: options.negotiation ?? 'strict',
  });
  const drv = driverFor({ mmio: nic, memory: mem });
  expect(drv.negotiate(options.features ?? Feature.Version1 | Feature.NetMac)).toBe(true);
  const num = options.num ?? 16;
  drv.setupQueue({ index: NET_RX_QUEUE, num, baseAddr: RING_BASE + BigInt(slot) * 0x2_0000n });
  drv.setupQueue({
    index: NET_TX_QUEUE,
    num,
    baseAddr: RING_BASE + BigInt(slot) * 0x2_0000n + 0x1_0000n,
  });
  drv.driverOk();
  return { nic, drv, mem };
}

function rxBufAddr(slot: number, i: number): bigint {
  return BUF_BASE + BigInt(slot) * 0x4_0000n + BigInt(i * BUF_BYTES);
}
function txBufAddr(slot: number, i: number): bigint {
  return BUF_BASE + BigInt(slot) * 0x4_0000n + 0x2_0000n + BigInt(i * BUF_BYTES);
}

/** sDDF shape: header descriptor → buffer descriptor, both WRITE. */
function postRx(n: Nic, options: { slot?: number; i: number; hdrBytes: number }): number | null {
  const addr = rxBufAddr(options.slot ?? 0, options.i);
  return n.drv.queue(NET_RX_QUEUE).add([
    { addr, lenBytes: options.hdrBytes, write: true },
    { addr: addr + BigInt(options.hdrBytes), lenBytes: BUF_BYTES - options.hdrBytes, write: true },
  ]);
}

function postTx(
  n: Nic,
  options: { slot?: number; i: number; hdrBytes: number; frame: Uint8Array },
): number | null {
  const addr = txBufAddr(options.slot ?? 0, options.i);
  n.mem.write(addr, new Uint8Array(options.hdrBytes));
  n.mem.write(addr + BigInt(options.hdrBytes), options.frame);
  return n.drv.queue(NET_TX_QUEUE).add([
    { addr, lenBytes: options.hdrBytes, write: false },
    { addr: addr + BigInt(options.hdrBytes), lenBytes: options.frame.length, write: false },
  ]);
}

function gen(seed = 1): TrafficGenerator {
  return new TrafficGenerator({ seed, srcMac: MAC_B, dstMac: MAC_A, maxPayloadBytes: 200 });
}

describe('virtio-net registers and negotiation', () => {
  it('identifies as a version 2 virtio-mmio net device with its MAC in config', () => {
    const { nic } = makeNic();
    expect(nic.read32(Reg.MagicValue)).toBe(0x74726976);
    expect(nic.read32(Reg.Version)).toBe(2);
    expect(nic.read32(Reg.DeviceId)).toBe(1);
    const lo = nic.read32(Reg.Config);
    const hi = nic.read32(Reg.Config + 4) & 0xffff;
    expect([
      lo & 0xff,
      (lo >>> 8) & 0xff,
      (lo >>> 16) & 0xff,
      lo >>> 24,
      hi & 0xff,
      hi >>> 8,
    ]).toEqual([...MAC_A]);
  });

  it('header is 12 bytes with VERSION_1 and 10 without (tolerant device)', () => {
    expect(makeNic().nic.headerBytes()).toBe(12);
    const legacy = makeNic({ features: Feature.NetMac, negotiation: 'qemu' });
    expect(legacy.nic.headerBytes()).toBe(10);
  });

  it('a strict device refuses FEATURES_OK without VERSION_1; unoffered features are refused', () => {
    const mem = ram();
    const nic = new VirtioNet({ name: 'n', dma: fullWindow(mem, 'n'), mac: MAC_A });
    const drv = driverFor({ mmio: nic, memory: mem });
    expect(drv.negotiate(Feature.NetMac)).toBe(false);
    expect(nic.status & Status.FeaturesOk).toBe(0);
    expect(nic.status & Status.Failed).toBe(Status.Failed);
    expect(drv.negotiate(Feature.Version1 | Feature.NetCsum)).toBe(false); // CSUM not offered
    expect(drv.negotiate(Feature.Version1 | (1n << 40n))).toBe(false);
    expect(drv.negotiate(Feature.Version1)).toBe(true);
    expect(nic.negotiatedFeatures).toBe(Feature.Version1);
  });

  it('the sDDF U10 feature writes (bit indices as masks) fail on a strict device, pass on a tolerant one', () => {
    // set_driver_features(0, 5) and (1, 32): bits 0 and 2 of page 0, bit 5 of page 1.
    const u10 = (1n << 0n) | (1n << 2n) | (1n << 37n);
    const verdicts = (['strict', 'qemu'] as const).map((negotiation) => {
      const mem = ram();
      const nic = new VirtioNet({ name: 'n', dma: fullWindow(mem, 'n'), mac: MAC_A, negotiation });
      const ok = driverFor({ mmio: nic, memory: mem }).negotiate(u10);
      return { ok, features: nic.negotiatedFeatures, hdr: nic.headerBytes() };
    });
    // Bits 0, 2 and 37 are not offered: strict refuses; QEMU masks them to nothing → 10 B header.
    expect(verdicts[0]?.ok).toBe(false);
    expect(verdicts[1]).toEqual({ ok: true, features: 0n, hdr: 10 });
  });
});

describe('virtio-net transmit and receive', () => {
  it('transmits header+frame chains: frame on the wire, used.len = 0, used-buffer interrupt', () => {
    const n = makeNic();
    const sink = new FrameSink('sink');
    connectSink({ nic: n.nic, sink });
    const frame = gen().nextFrame();
    const head = postTx(n, { i: 0, hdrBytes: 12, frame });
    n.drv.kick(NET_TX_QUEUE);
    expect(sink.frameCount).toBe(1);
    expect(sink.frames[0]).toEqual(frame);
    expect(n.nic.irqAsserted()).toBe(true);
    expect(n.drv.queue(NET_TX_QUEUE).collect()).toEqual([{ head, lenBytes: 0 }]);
    expect(n.drv.ackInterrupt()).toBe(Interrupt.UsedBuffer);
    expect(n.nic.irqAsserted()).toBe(false);
    expect(n.nic.stats.txFrames).toBe(1);
  });

  it('receives into a 2-descriptor chain: used.len = header + frame, header num_buffers = 1', () => {
    const n = makeNic();
    const head = postRx(n, { i: 0, hdrBytes: 12 });
    n.drv.kick(NET_RX_QUEUE);
    const frame = gen().nextFrame();
    n.nic.receiveFrame(frame);
    expect(n.drv.queue(NET_RX_QUEUE).collect()).toEqual([{ head, lenBytes: 12 + frame.length }]);
    expect(n.mem.readU16(rxBufAddr(0, 0) + 10n)).toBe(1);
    expect(n.mem.read(rxBufAddr(0, 0) + 12n, frame.length)).toEqual(frame);
  });

  it('with a 10-byte header the frame starts at byte 10', () => {
    const n = makeNic({ features: Feature.NetMac, negotiation: 'qemu' });
    postRx(n, { i: 0, hdrBytes: 10 });
    const frame = gen().nextFrame();
    n.nic.receiveFrame(frame);
    const [u] = n.drv.queue(NET_RX_QUEUE).collect();
    expect(u?.lenBytes).toBe(10 + frame.length);
    expect(n.mem.read(rxBufAddr(0, 0) + 10n, frame.length)).toEqual(frame);
  });

  it('frames arriving with no receive buffer are dropped and counted', () => {
    const n = makeNic();
    postRx(n, { i: 0, hdrBytes: 12 });
    postRx(n, { i: 1, hdrBytes: 12 });
    gen().send({ count: 5, to: n.nic });
    expect(n.nic.stats.rxFrames).toBe(2);
    expect(n.nic.stats.rxDroppedNoBuffer).toBe(3);
    expect(n.nic.rxDropped).toBe(3);
    expect(n.drv.queue(NET_RX_QUEUE).collect()).toHaveLength(2);
  });

  it('frames before DRIVER_OK are dropped as not ready', () => {
    const mem = ram();
    const nic = new VirtioNet({ name: 'n', dma: fullWindow(mem, 'n'), mac: MAC_A });
    gen().send({ count: 2, to: nic });
    expect(nic.stats.rxDroppedNotReady).toBe(2);
  });

  it('loopback: what is sent is received, in order', () => {
    const n = makeNic();
    loopback({ nic: n.nic });
    for (let i = 0; i < 8; i++) postRx(n, { i, hdrBytes: 12 });
    const g = gen(7);
    for (let i = 0; i < 4; i++) postTx(n, { i, hdrBytes: 12, frame: g.nextFrame() });
    n.drv.kick(NET_TX_QUEUE);
    const got = n.drv.queue(NET_RX_QUEUE).collect();
    expect(
      got.map((u) => frameSeq(n.mem.read(rxBufAddr(0, u.head / 2) + 12n, u.lenBytes - 12))),
    ).toEqual([0, 1, 2, 3]);
  });

  it('two NICs on one wire exchange frames', () => {
    const mem = ram();
    const a = makeNic({ mem, slot: 0 });
    const b = makeNic({ mem, slot: 1 });
    connectNics({ a: a.nic, b: b.nic });
    postRx(b, { slot: 1, i: 0, hdrBytes: 12 });
    postTx(a, { i: 0, hdrBytes: 12, frame: gen().nextFrame() });
    a.drv.kick(NET_TX_QUEUE);
    expect(b.nic.stats.rxFrames).toBe(1);
    expect(a.nic.stats.txFrames).toBe(1);
  });

  it('a receive buffer too small for header + frame is left for a smaller frame', () => {
    const n = makeNic();
    n.drv.queue(NET_RX_QUEUE).add([{ addr: rxBufAddr(0, 0), lenBytes: 80, write: true }]);
    const big = new TrafficGenerator({
      seed: 1,
      srcMac: MAC_B,
      dstMac: MAC_A,
      minPayloadBytes: 500,
      maxPayloadBytes: 500,
    });
    n.nic.receiveFrame(big.nextFrame());
    expect(n.nic.stats.rxDroppedTooLong).toBe(1);
    const small = new TrafficGenerator({
      seed: 1,
      srcMac: MAC_B,
      dstMac: MAC_A,
      minPayloadBytes: 46,
      maxPayloadBytes: 46,
    });
    n.nic.receiveFrame(small.nextFrame()); // 60 B + 12 fits in 80
    expect(n.nic.stats.rxFrames).toBe(1);
  });

  it('a stalled NIC transmits nothing until released', () => {
    const n = makeNic();
    const sink = new FrameSink();
    connectSink({ nic: n.nic, sink });
    n.nic.stall();
    postTx(n, { i: 0, hdrBytes: 12, frame: gen().nextFrame() });
    n.drv.kick(NET_TX_QUEUE);
    expect(sink.frameCount).toBe(0);
    n.nic.receiveFrame(gen().nextFrame());
    expect(n.nic.stats.rxDroppedStalled).toBe(1);
    n.nic.release();
    expect(sink.frameCount).toBe(1);
  });
});

describe('virtio-net link state and re-entrant peers', () => {
  it('link down: config status bit clears, a config-change interrupt, ConfigGeneration moves, frames lost both ways', () => {
    const n = makeNic();
    const sink = new FrameSink();
    connectSink({ nic: n.nic, sink });
    const gen0 = n.nic.read32(Reg.ConfigGeneration);
    expect(n.nic.read32(Reg.Config + 4) >>> 16).toBe(1); // status: LINK_UP
    n.nic.setLinkUp(false);
    expect(n.nic.read32(Reg.Config + 4) >>> 16).toBe(0);
    expect(n.nic.read32(Reg.ConfigGeneration)).toBe(gen0 + 1);
    expect(n.drv.ackInterrupt()).toBe(Interrupt.ConfigChange);
    const head = postTx(n, { i: 0, hdrBytes: 12, frame: gen().nextFrame() });
    n.drv.kick(NET_TX_QUEUE);
    expect(n.drv.queue(NET_TX_QUEUE).collect()).toEqual([{ head, lenBytes: 0 }]);
    expect(sink.frameCount).toBe(0);
    expect(n.nic.stats.txDroppedLinkDown).toBe(1);
    postRx(n, { i: 0, hdrBytes: 12 });
    n.nic.receiveFrame(gen().nextFrame());
    expect(n.nic.stats.rxDroppedLinkDown).toBe(1);
    n.nic.setLinkUp(true);
    n.nic.receiveFrame(gen().nextFrame());
    expect(n.nic.stats.rxFrames).toBe(1);
  });

  it('a peer that answers synchronously and kicks the device again is served after the current pass', () => {
    const n = makeNic();
    const g = gen(11);
    let answered = 0;
    const seen: (number | null)[] = [];
    // An echo peer: each frame it gets, it answers (once) by making this NIC send another frame.
    n.nic.connect({
      receiveFrame(frame) {
        seen.push(frameSeq(frame));
        if (answered < 3) {
          answered++;
          postTx(n, { i: 4 + answered, hdrBytes: 12, frame: g.nextFrame() });
          n.drv.kick(NET_TX_QUEUE);
        }
      },
    });
    postTx(n, { i: 0, hdrBytes: 12, frame: g.nextFrame() });
    postTx(n, { i: 1, hdrBytes: 12, frame: g.nextFrame() });
    n.drv.kick(NET_TX_QUEUE);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(n.nic.errorCount).toBe(0);
    expect(n.drv.queue(NET_TX_QUEUE).collect()).toHaveLength(5);
  });

  it('only notified queues are processed: a kick on receiveq does not transmit', () => {
    const n = makeNic();
    const sink = new FrameSink();
    connectSink({ nic: n.nic, sink });
    postTx(n, { i: 0, hdrBytes: 12, frame: gen().nextFrame() });
    n.drv.kick(NET_RX_QUEUE);
    expect(sink.frameCount).toBe(0);
    n.drv.kick(NET_TX_QUEUE);
    expect(sink.frameCount).toBe(1);
  });

  it('a config change before DRIVER_OK moves ConfigGeneration but raises no interrupt', () => {
    const mem = ram();
    const nic = new VirtioNet({ name: 'n', dma: fullWindow(mem, 'n'), mac: MAC_A });
    nic.setLinkUp(false);
    expect(nic.read32(Reg.ConfigGeneration)).toBe(1);
    expect(nic.irqAsserted()).toBe(false);
  });
});

describe('virtio-net edges', () => {
  it('copies its MAC; MTU in config only with VIRTIO_NET_F_MTU; fields of unoffered features read as QEMU reads them', () => {
    const mac = Uint8Array.from(MAC_A);
    const mem = ram();
    const nic = new VirtioNet({
      name: 'n',
      dma: fullWindow(mem, 'n'),
      mac,
      deviceFeatures: Feature.Version1 | Feature.NetMac | Feature.NetStatus,
      mtu: 1500,
    });
    mac[0] = 0xff;
    expect(nic.read8(Reg.Config)).toBe(MAC_A[0]);
    expect(nic.read16(Reg.Config + 6)).toBe(1); // LINK_UP
    expect(nic.read16(Reg.Config + 10)).toBe(1500);
    expect(nic.deviceFeatures & Feature.NetMtu).toBe(Feature.NetMtu);
    expect(nic.errorCount).toBe(0);
    // max_virtqueue_pairs exists only with VIRTIO_NET_F_MQ (§2.5.1): a driver error; QEMU reads
    // the byte that is there (the space is sized for the MTU field).
    expect(nic.read16(Reg.Config + 8)).toBe(1);
    expect(nic.errorCodes()).toEqual(['hole']);
    const bare = new VirtioNet({
      name: 'b',
      dma: fullWindow(mem, 'b'),
      mac,
      deviceFeatures: Feature.Version1,
    });
    expect(bare.read16(Reg.Config + 6)).toBe(0xffff); // past the end of a 6-byte space: all ones
  });

  it('setLinkUp to the current state changes nothing; rxDropped sums every reason', () => {
    const n = makeNic();
    const gen0 = n.nic.read32(Reg.ConfigGeneration);
    n.nic.setLinkUp(true);
    expect(n.nic.read32(Reg.ConfigGeneration)).toBe(gen0);
    expect(n.nic.linkUp).toBe(true);
    n.nic.receiveFrame(gen().nextFrame()); // no buffer
    n.nic.stall();
    n.nic.receiveFrame(gen().nextFrame()); // stalled
    n.nic.release();
    n.nic.setLinkUp(false);
    n.nic.receiveFrame(gen().nextFrame()); // link down
    n.nic.setLinkUp(true);
    n.drv.queue(NET_RX_QUEUE).add([{ addr: rxBufAddr(0, 0), lenBytes: 20, write: true }]);
    n.nic.receiveFrame(gen().nextFrame()); // too long
    expect(n.nic.rxDropped).toBe(4);
    expect(n.nic.stats).toMatchObject({
      rxDroppedNoBuffer: 1,
      rxDroppedStalled: 1,
      rxDroppedLinkDown: 1,
      rxDroppedTooLong: 1,
    });
  });

  it('byte counters, exact-fit receive buffer, no link, no interrupt for an empty kick', () => {
    const n = makeNic();
    n.drv.kick(NET_TX_QUEUE);
    expect(n.nic.irqAsserted()).toBe(false);
    const frame = new TrafficGenerator({
      seed: 1,
      srcMac: MAC_B,
      dstMac: MAC_A,
      minPayloadBytes: 46,
      maxPayloadBytes: 46,
    }).nextFrame();
    n.drv
      .queue(NET_RX_QUEUE)
      .add([{ addr: rxBufAddr(0, 0), lenBytes: 12 + frame.length, write: true }]);
    n.nic.receiveFrame(frame);
    expect(n.nic.stats).toMatchObject({ rxFrames: 1, rxBytes: frame.length });
    postTx(n, { i: 0, hdrBytes: 12, frame }); // no link connected: transmitted into the void
    postTx(n, { i: 1, hdrBytes: 12, frame });
    n.drv.kick(NET_TX_QUEUE);
    expect(n.nic.stats).toMatchObject({ txFrames: 2, txBytes: 2 * frame.length });
    expect(n.nic.errorCount).toBe(0);
  });

  it('a header-only transmit breaks the device, as QEMU ("virtio-net nothing to send")', () => {
    const n = makeNic();
    n.drv.queue(NET_TX_QUEUE).add([{ addr: txBufAddr(0, 1), lenBytes: 12, write: false }]);
    n.drv.kick(NET_TX_QUEUE);
    expect(n.nic.needsReset).toBe(true);
    expect(n.nic.errorCodes()).toEqual(['tx-empty-frame']);
    expect(n.nic.stats.txFrames).toBe(0);
  });

  it('receive with the receiveq not set up is dropped as not ready; a bad receive ring breaks the device', () => {
    const mem = ram();
    const nic = new VirtioNet({ name: 'n', dma: fullWindow(mem, 'n'), mac: MAC_A });
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.Version1);
    drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    nic.receiveFrame(gen().nextFrame());
    expect(nic.stats.rxDroppedNotReady).toBe(1);

    const n = makeNic();
    n.mem.writeU16(n.drv.queue(NET_RX_QUEUE).layout.availAddr + 2n, 100);
    n.nic.receiveFrame(gen().nextFrame());
    expect(n.nic.errorCodes()).toEqual(['avail-idx-ahead']);
    const m = makeNic();
    m.drv.queue(NET_RX_QUEUE).publish(16); // out of range on a 16-entry queue
    m.nic.receiveFrame(gen().nextFrame());
    expect(m.nic.errorCodes()).toEqual(['head-out-of-range']);
  });
});
