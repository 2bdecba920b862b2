// The virtio-net driver (reference sddf-protocols.md §3.2 virtio shape, §5.1) on the emulated device
// (impl/hw/virtio/net.ts): negotiation as VIRTIO 1.2 requires, the negotiated header length, the
// four handlers and the IRQ path, interrupt suppression with its re-check, reclaim on restart and
// on a device reset, the watchdog, and each upstream-bug switch (U10, U11, F19, no re-check)
// reproducing its symptom.
import { describe, expect, it } from 'vitest';
import { driverLayout } from '../../../../impl/drivers/net/layout.ts';
import { Feature, Reg, Status } from '../../../../impl/hw/virtio/constants.ts';
import { entries } from '../../components/net/fixture.ts';
import {
  IRQ,
  RX_IO,
  RX_N,
  TIMER,
  TX_IO,
  TX_N,
  VIRT_RX,
  VIRT_TX,
  frame,
  rig,
} from './virtio-rig.ts';

describe('virtio-net driver: set-up (virtio 1.2 §3.1.1)', () => {
  it('walks the status sequence, accepts offered VERSION_1|MAC as masks, and notifies only after DRIVER_OK', () => {
    const t = rig();
    t.fillRx();
    const { d, rec } = t.instance(0);
    d.init();
    const statusWrites = t.mmio.writes.filter(([off]) => off === Reg.Status).map(([, v]) => v);
    const A = Status.Acknowledge;
    const D = Status.Driver;
    expect(statusWrites).toEqual([
      0,
      A,
      A | D,
      A | D | Status.FeaturesOk,
      A | D | Status.FeaturesOk | Status.DriverOk,
    ]);
    const featureWrites = t.mmio.writes
      .filter(([off]) => off === Reg.DriverFeatures)
      .map(([, v]) => v);
    expect(featureWrites).toEqual([Number(Feature.NetMac), Number(Feature.Version1 >> 32n)]);
    const driverOkAt = t.mmio.writes.findIndex(
      ([off, v]) => off === Reg.Status && (v & Status.DriverOk) !== 0,
    );
    const firstNotify = t.mmio.writes.findIndex(([off]) => off === Reg.QueueNotify);
    expect(firstNotify).toBeGreaterThan(driverOkAt);
    expect(t.nic.live).toBe(true);
    expect(t.nic.negotiatedFeatures).toBe(Feature.Version1 | Feature.NetMac);
    expect(d.state.hdrLen).toBe(12);
    expect(rec.irqAcks).toEqual([IRQ]);
    // rx_provide posted every free buffer (16 chains of 2 descriptors fit 256 descriptors).
    expect(t.counters()['rxPosted']).toBe(RX_N);
    expect(t.virtRx.free.empty()).toBe(true);
  });

  it('U10 (upstream negotiation) is refused by a strict device: FEATURES_OK not kept, the driver stays down', () => {
    const t = rig({ driver: { negotiation: 'U10', header: 'fixed10' } });
    t.fillRx();
    const { d } = t.instance(0);
    d.init();
    expect(t.counters()['negotiationFailed']).toBe(1);
    expect(d.state.live).toBe(false);
    expect(t.nic.live).toBe(false);
    expect(t.nic.status & Status.Failed).toBe(Status.Failed);
  });

  it('U10 works only because a QEMU-like device negotiates nothing: then the header is 10 bytes', () => {
    const t = rig({ driver: { negotiation: 'U10', header: 'fixed10' }, negotiation: 'qemu' });
    const { d } = t.instance(0);
    d.init();
    expect(d.state.live).toBe(true);
    expect(t.nic.negotiatedFeatures).toBe(0n);
    expect(t.nic.headerBytes()).toBe(10);
    t.transmit(0, frame(60));
    d.notified(VIRT_TX);
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]).toEqual(frame(60));
  });

  it('a 10-byte header with VERSION_1 negotiated (U10 latent half) corrupts every frame: 2 bytes lost', () => {
    const t = rig({ driver: { header: 'fixed10' } });
    const { d } = t.instance(0);
    d.init();
    const f = frame(60);
    t.transmit(0, f);
    d.notified(VIRT_TX);
    expect(t.sent[0]).toEqual(f.subarray(2));
  });
});

describe('virtio-net driver: the handlers', () => {
  it('rx: a received frame comes up as an I/O address with its length (header removed), virt_rx notified', () => {
    const t = rig();
    t.fillRx();
    const { d, rec } = t.instance(0);
    d.init();
    const f = frame(100, 0x5a);
    t.nic.receiveFrame(f);
    expect(t.line.level).toBe(true);
    d.notified(IRQ);
    const up = entries(t.rxq.active, RX_N);
    expect(up).toHaveLength(1);
    expect(up[0]!.len).toBe(100);
    const off = Number(up[0]!.io - RX_IO);
    expect(new Uint8Array(t.rxdma, off, 100)).toEqual(f);
    expect(rec.notified).toContain(VIRT_RX);
    expect(t.line.level).toBe(false); // acked
  });

  it('tx beyond the ring: the IRQ path runs tx_return then tx_provide, so every buffer goes out (F4)', () => {
    const t = rig({ queueNumMax: 8 }); // 4 packets in flight at most
    const { d } = t.instance(0);
    d.init();
    t.nic.stall(); // hold completions so the ring really fills
    for (let b = 0; b < 10; b++) t.transmit(b, frame(60, b));
    d.notified(VIRT_TX);
    expect(t.counters()['txPosted']).toBe(4);
    t.nic.release(); // the device transmits and completes what it holds: an interrupt
    for (let i = 0; i < 10 && t.line.level; i++) d.notified(IRQ);
    expect(t.sent.map((s) => s[20])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.virtTx.free.length()).toBe(10);
    expect(t.virtTx.active.empty()).toBe(true);
  });

  it('the IRQ path refills the receive ring from the free queue (upstream waits for virt_rx)', () => {
    const drops = (irqRxProvide: boolean): number => {
      const t = rig({ queueNumMax: 8, driver: { irqRxProvide } }); // 4 chains in the ring
      t.fillRx(); // 16 free buffers: 4 posted, 12 wait in the free queue, announced already
      const { d } = t.instance(0);
      d.init();
      for (let i = 0; i < 4; i++) t.nic.receiveFrame(frame(64));
      d.notified(IRQ); // virt_rx has not run: nobody announces the 12 again
      for (let i = 0; i < 4; i++) t.nic.receiveFrame(frame(64));
      return t.nic.stats.rxDroppedNoBuffer;
    };
    expect(drops(true)).toBe(0);
    expect(drops(false)).toBe(4);
  });

  it('completions while interrupts are suppressed are picked up by the re-check, with no interrupt', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    t.transmit(0, frame(60));
    d.notified(VIRT_TX); // the device completes synchronously, while NO_INTERRUPT is set
    expect(t.line.level).toBe(false);
    expect(t.virtTx.free.length()).toBe(1);
  });

  it('without the re-check that completion is stranded: no buffer back, no interrupt to come', () => {
    const t = rig({ driver: { recheck: false } });
    const { d } = t.instance(0);
    d.init();
    t.transmit(0, frame(60));
    d.notified(VIRT_TX);
    expect(t.line.level).toBe(false);
    expect(t.virtTx.free.length()).toBe(0);
  });
});

describe('virtio-net driver: restart and reset', () => {
  it('a restarted driver reclaims what the device held: Rx re-posted, Tx returned, nothing lost', () => {
    const t = rig();
    t.fillRx();
    const first = t.instance(0);
    first.d.init();
    t.nic.stall();
    for (let b = 0; b < 3; b++) t.transmit(b, frame(60));
    first.d.notified(VIRT_TX);
    expect(t.counters()['txPosted']).toBe(3);
    // The PD faults; the monitor builds a fresh instance on the same shared memory.
    const second = t.instance(1);
    second.d.init();
    t.nic.release();
    expect(t.counters()).toMatchObject({ recoveredRx: RX_N, recoveredTx: 3, recoveryFailed: 0 });
    expect(t.virtTx.free.length()).toBe(3);
    // Every Rx buffer is in the new receive ring: 16 frames can arrive.
    for (let i = 0; i < RX_N; i++) t.nic.receiveFrame(frame(64));
    expect(t.nic.stats.rxDroppedNoBuffer).toBe(0);
    second.d.notified(IRQ);
    expect(entries(t.rxq.active, RX_N)).toHaveLength(RX_N);
  });

  it('a device that needs a reset (a DMA fault) is reset and set up again, its buffers reclaimed', () => {
    const t = rig();
    t.fillRx();
    const { d } = t.instance(0);
    d.init();
    // A Tx buffer outside every I/O window: the device faults and asks for a reset.
    t.virtTx.active.enqueue({ ioOrOffset: 0x1000n, len: 60, oid: 0 });
    d.notified(VIRT_TX);
    expect(t.nic.needsReset).toBe(true);
    d.notified(IRQ);
    expect(t.counters()['deviceResets']).toBe(1);
    expect(t.nic.live).toBe(true);
    expect(t.virtTx.free.length()).toBe(1); // the bad buffer came back unsent
    t.nic.receiveFrame(frame(64));
    d.notified(IRQ);
    expect(entries(t.rxq.active, RX_N)).toHaveLength(1);
  });

  it('the watchdog re-arms itself, polls the device and kicks both virtualisers', () => {
    const t = rig({ driver: { watchdogNs: 10_000_000 } });
    const { d, rec } = t.instance(0);
    d.init();
    expect(rec.ppcalls).toHaveLength(1);
    expect(rec.ppcalls[0]!.msg.words[0]).toBe(10_000_000n);
    d.notified(TIMER);
    expect(rec.ppcalls).toHaveLength(2);
    expect(rec.notified).toEqual(expect.arrayContaining([VIRT_RX, VIRT_TX]));
    expect(t.counters()['watchdogTicks']).toBe(1);
  });
});

describe('virtio-net driver: upstream layout and index bugs', () => {
  it('U11: with num/2 header slots per queue, a Tx header slot ≥ num/2 lands in the Rx header area', () => {
    const u11 = driverLayout({ num: 256, hdrBytes: 10, headerSlots: 'U11', regionBytes: 0x10000 })!;
    expect(u11.tx.hdrOff + 10 * 200).toBeGreaterThanOrEqual(u11.rx.hdrOff);
    const ours = driverLayout({
      num: 256,
      hdrBytes: 12,
      headerSlots: 'per-descriptor',
      regionBytes: 0x10000,
    })!;
    expect(ours.tx.hdrOff + 12 * 255 + 12).toBeLessThanOrEqual(ours.rx.hdrOff);
    expect(ours.rx.hdrOff + 12 * 256).toBeLessThanOrEqual(ours.metaOff);
  });

  it('F19: a used head that does not wrap at 2^16 goes wrong after 65536 completions; the u16 one does not', () => {
    const run = (usedHeadWidth: 'u16' | 'size_t'): Record<string, number> => {
      const t = rig({ driver: { usedHeadWidth }, queueNumMax: 8 });
      const { d } = t.instance(0);
      d.init();
      const f = frame(60);
      for (let i = 0; i < (65536 + 8) / 4; i++) {
        for (let b = 0; b < 4; b++) t.transmit(b, f);
        d.notified(VIRT_TX);
        while (t.virtTx.free.dequeue() !== null);
      }
      return t.counters();
    };
    expect(run('u16')).toMatchObject({ deviceErrors: 0, txReturned: 65544 });
    expect(run('size_t')['deviceErrors']).toBeGreaterThan(0);
  });
});

describe('virtio-net driver: what each handler hands back (issue 12 part 7 survivors)', () => {
  it('tx_return gives virt_tx the exact I/O address of each sent buffer, and notifies only when asked', () => {
    const t = rig();
    const { d, rec } = t.instance(0);
    d.init();
    t.nic.stall();
    for (const b of [3, 7]) t.transmit(b, frame(60, b));
    d.notified(VIRT_TX);
    t.virtTx.free.cancelSignal(); // virt_tx does not want a signal
    t.nic.release();
    for (let i = 0; i < 4 && t.line.level; i++) d.notified(IRQ);
    expect(entries(t.txq.free, TX_N)).toEqual([
      { io: TX_IO + 3n * 2048n, len: 0, oid: 0 },
      { io: TX_IO + 7n * 2048n, len: 0, oid: 0 },
    ]);
    expect(rec.notified).not.toContain(VIRT_TX);
    // Armed: the next return is signalled.
    t.virtTx.free.requestSignal();
    t.nic.stall();
    t.transmit(9, frame(60, 9));
    d.notified(VIRT_TX);
    t.nic.release();
    for (let i = 0; i < 4 && t.line.level; i++) d.notified(IRQ);
    expect(rec.notified).toContain(VIRT_TX);
    expect(entries(t.txq.free, TX_N).map((e) => e.io)).toContain(TX_IO + 9n * 2048n);
  });

  it('a notification on the virt_rx channel posts the newly freed buffers and notifies the device', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    expect(t.counters()['rxPosted']).toBe(0);
    t.fillRx();
    t.mmio.writes.length = 0;
    d.notified(VIRT_RX);
    expect(t.counters()['rxPosted']).toBe(RX_N);
    expect(t.mmio.writes).toContainEqual([Reg.QueueNotify, 0]);
    t.nic.receiveFrame(frame(64));
    expect(t.nic.stats.rxDroppedNoBuffer).toBe(0);
  });

  it('a length virt_tx should have refused goes back unsent with len 0, counted', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    t.virtTx.active.enqueue({ ioOrOffset: TX_IO, len: 0, oid: 0 });
    t.virtTx.active.enqueue({ ioOrOffset: TX_IO + 2048n, len: 2049, oid: 0 });
    t.transmit(2, frame(2048, 2));
    d.notified(VIRT_TX);
    expect(t.counters()['badTxLength']).toBe(2);
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]!.length).toBe(2048);
    expect(entries(t.txq.free, TX_N).slice(0, 2)).toEqual([
      { io: TX_IO, len: 0, oid: 0 },
      { io: TX_IO + 2048n, len: 0, oid: 0 },
    ]);
  });

  it('a notification on a channel the driver does not own is counted and ignored', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    const before = t.mmio.writes.length;
    d.notified(9);
    expect(t.counters()['unexpectedChannel']).toBe(1);
    expect(t.mmio.writes.length).toBe(before);
  });
});
