// The i.MX ENET driver (impl/drivers/net/imx.ts; upstream drivers/network/imx/ethernet.c at
// 650ace5d) on the emulated ENET-like NIC (impl/hw/enet.ts, strict): eth_setup, the four handlers
// and the IRQ path as spec/components/net/driver.ts has them, the BDs through the spec's
// driver-side functions, restart reclaim; each seeded re-check removal losing progress in the
// window the model checker finds (catalogue no-rx-recheck / no-tx-recheck). The echo server end to
// end on the ENET is in imx-system.test.ts.
import { describe, expect, it } from 'vitest';
import {
  ENET_META_MAGIC,
  ENET_META_OFF,
  EnetMeta,
  enetInflightBuffers,
} from '../../../../impl/drivers/net/imx.ts';
import { Ecr, EnetIrq, EnetReg } from '../../../../impl/hw/enet.ts';
import { ENET_IRQ_MASK } from '../../../../spec/devices/enet.ts';
import { InvariantError } from '../../../../spec/common/assert.ts';
import { RX_N, TX_IO, VIRT_RX, VIRT_TX, drain, frame, rig } from './imx-rig.ts';

describe('ENET driver: eth_setup and the handlers', () => {
  it('eth_setup leaves the NIC as sDDF does (DBSWP, ETHEREN, RXF|TXF|EBERR unmasked), Rx ring full, no driver error', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const { d } = t.instance();
    d.init();
    expect(t.nic.errorCount).toBe(0);
    expect(t.nic.enabled).toBe(true);
    expect(t.nic.read32(EnetReg.ECR) & (Ecr.DBSWP | Ecr.ETHEREN)).toBe(Ecr.DBSWP | Ecr.ETHEREN);
    expect(t.nic.eimr).toBe((ENET_IRQ_MASK | EnetIrq.EBERR) >>> 0);
    expect(t.nic.rdarActive).toBe(true);
    expect(t.counters()['rxPosted']).toBe(4); // the ring holds 4; 4 wait in the free queue
    expect(t.virtRx.free.length()).toBe(4);
    // The ring is full: rx_provide cancels its signal (upstream: no notification wanted).
    expect(t.virtRx.free.requireSignal()).toBe(false);
    const inflight = enetInflightBuffers(t.ring);
    expect(inflight?.rx).toEqual([0, 1, 2, 3].map(t.rxBuf));
    expect(new Uint32Array(t.ring, ENET_META_OFF, 1)[EnetMeta.magic]).toBe(ENET_META_MAGIC);
  });

  it('rx: frames come up as I/O address + BD length (FCS included, as upstream), the ring is refilled in the IRQ path, wrapping at W', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const { d, rec } = t.instance();
    d.init();
    const up: { ioOrOffset: bigint; len: number }[] = [];
    for (let n = 0; n < 6; n++) {
      t.nic.receiveFrame(frame(60 + n));
      expect(t.irqs(d)).toBeGreaterThan(0);
      up.push(...drain(t.virtRx.active));
      // virt_rx hands each buffer straight back.
      for (const b of up.splice(0)) {
        expect(b.len).toBe(60 + n + 4);
        t.virtRx.free.enqueue({ ioOrOffset: b.ioOrOffset, len: 0, oid: 0 });
      }
    }
    expect(t.nic.stats.rxFrames).toBe(6);
    expect(t.nic.stats.rxDroppedNoDescriptor).toBe(0);
    expect(t.counters()['rxReturned']).toBe(6);
    expect(rec.notified.filter((c) => c === VIRT_RX).length).toBeGreaterThan(0);
    expect(t.nic.errorCount).toBe(0);
  });

  it('tx beyond the ring: on TXF the IRQ path runs tx_return then tx_provide, so every buffer goes out (F4)', () => {
    const t = rig({ timing: 'agent' });
    const { d } = t.instance();
    d.init();
    for (let b = 0; b < 7; b++) t.transmit(b, frame(60, b));
    d.notified(VIRT_TX);
    expect(t.counters()['txPosted']).toBe(4); // the ring is full
    // The device's first action each step (take, send, the coalescing timer) until it is idle.
    for (let step = 0; step < 200 && t.nic.agentBusy(); step++) {
      t.nic.agentPerform(t.nic.agentActions()[0]!);
      t.irqs(d);
    }
    expect(t.nic.agentBusy()).toBe(false);
    expect(t.sent.map((f) => f[6])).toEqual([0, 1, 2, 3, 4, 5, 6].map((b) => frame(60, b)[6]));
    expect(drain(t.virtTx.free).length).toBe(7);
    expect(t.nic.errorCount).toBe(0);
  });

  it('the driver’s view refuses the device-private words of the spec (rxNext, txNext)', () => {
    const t = rig();
    const { d } = t.instance();
    d.init();
    expect(() => d.view.read(d.nic.rxNext)).toThrow(InvariantError);
    expect(() => d.view.write(d.nic.txNext, 0)).toThrow(InvariantError);
  });

  it('a restarted driver reclaims what its rings held: Rx re-posted after the reset, Tx returned', () => {
    const t = rig({ timing: 'agent' });
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const first = t.instance();
    first.d.init();
    for (let b = 0; b < 3; b++) t.transmit(b, frame(60, b));
    first.d.notified(VIRT_TX); // posted; the device has not taken them (agent timing)
    const second = t.instance(1);
    second.d.init();
    const c = t.counters();
    expect(c['recoveredRx']).toBe(4);
    expect(c['recoveredTx']).toBe(3);
    expect(drain(t.virtTx.free).map((x) => x.ioOrOffset)).toEqual(
      [0, 1, 2].map((b) => TX_IO + BigInt(2048 * b)),
    );
    expect(enetInflightBuffers(t.ring)?.rx).toEqual([0, 1, 2, 3].map(t.rxBuf));
    expect(t.virtRx.free.length()).toBe(4);
    t.nic.receiveFrame(frame(64));
    t.nic.agentPerform({ kind: 'rx-frame' });
    t.irqs(second.d);
    expect(drain(t.virtRx.active).map((x) => x.ioOrOffset)).toEqual([t.rxBuf(0)]);
    expect(t.nic.errorCount).toBe(0);
  });
});

/**
 * The window of the model checker's traces (catalogue no-rx-recheck / no-tx-recheck, the
 * virtualiser on another core): the driver's loop has found its queue empty, and before its
 * request_signal the virtualiser enqueues one buffer and sees no signal wanted (it cancelled it
 * itself when it sent the notification this handler is consuming), so it does not notify. Nothing
 * is in flight to bring the driver back. The deterministic runtime cannot open this window (its
 * handlers do not interleave: see the end-to-end tests), so it is opened here: the virtualiser's
 * steps run at the driver's request_signal.
 */
function inWindow(q: { requestSignal(): void }, virtualiser: () => void): void {
  const requestSignal = q.requestSignal.bind(q);
  let once = true;
  q.requestSignal = () => {
    if (once) {
      once = false;
      virtualiser();
    }
    requestSignal();
  };
}

describe('ENET driver: the re-check after request_signal (seeded bugs)', () => {
  for (const rxRecheck of [true, false]) {
    it(`rx_provide ${rxRecheck ? 'with' : 'without'} the re-check: a buffer returned in the window is ${rxRecheck ? 'posted' : 'stranded, and every frame is dropped'}`, () => {
      const t = rig({ driver: { rxRecheck } });
      const { d } = t.instance();
      d.init(); // no Rx buffers yet: the ring is empty, a signal is wanted
      // The trace's state: virt_rx cancelled the signal when it notified the driver of a buffer
      // an earlier rx_provide already took (it has been filled and gone up since); the driver
      // now takes that late notification, and in its window virt_rx returns buffer 1.
      expect(t.virtRx.free.requireSignal()).toBe(true);
      t.virtRx.free.cancelSignal();
      inWindow(d.rxQueue.free, () => {
        t.giveRx(1);
        expect(t.virtRx.free.requireSignal()).toBe(false); // so virt_rx does not notify
      });
      d.notified(VIRT_RX);
      for (let n = 0; n < 3; n++) {
        t.nic.receiveFrame(frame(60));
        t.irqs(d);
      }
      if (rxRecheck) {
        expect(t.nic.stats.rxFrames).toBe(1);
        expect(drain(t.virtRx.active).map((x) => x.ioOrOffset)).toEqual([t.rxBuf(1)]);
      } else {
        expect(t.nic.stats.rxFrames).toBe(0);
        expect(t.nic.stats.rxDroppedNoDescriptor).toBe(3);
        expect(t.virtRx.free.length()).toBe(1); // the buffer waits, and nothing will wake the driver
      }
      expect(t.nic.errorCount).toBe(0);
    });
  }

  for (const txRecheck of [true, false]) {
    it(`tx_provide ${txRecheck ? 'with' : 'without'} the re-check: a packet enqueued in the window is ${txRecheck ? 'sent' : 'never sent'}`, () => {
      const t = rig({ driver: { txRecheck } });
      const { d } = t.instance();
      d.init();
      // A late notification: virt_tx notified (cancelling the signal) for a packet an earlier
      // tx_provide already sent; this one finds nothing, and virt_tx enqueues in its window.
      t.virtTx.active.cancelSignal();
      inWindow(d.txQueue.active, () => {
        t.transmit(0, frame(60, 7));
        expect(t.virtTx.active.requireSignal()).toBe(false);
      });
      d.notified(VIRT_TX);
      t.irqs(d);
      expect(t.sent.length).toBe(txRecheck ? 1 : 0);
      expect(t.virtTx.active.length()).toBe(txRecheck ? 0 : 1);
      expect(t.nic.errorCount).toBe(0);
    });
  }
});
