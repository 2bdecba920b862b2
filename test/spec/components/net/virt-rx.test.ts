// virt_rx's handler (spec/components/net/virt-rx.ts; reference sddf-protocols.md §3.4;
// network/components/virt_rx.c at au-ts/sddf 650ace5d) on hand-set states: rx_return demultiplexes
// each frame by destination (one copier with refcount 1, every copier with refcount = clients, or
// straight back to the driver); rx_provide takes buffers back from the copiers, decrements the
// refcount and returns a buffer to the driver when no copier holds it; U15 fixed: a buffer with
// refcount 0 is rejected and counted.
import { describe, expect, it } from 'vitest';
import {
  DEST_BROADCAST,
  DEST_NONE,
  KIND_RX,
  NG_RX_REJECTED,
  payload,
} from '../../../../spec/components/net/config.ts';
import {
  VIRT_RX_CH_DRIVER,
  VR_NOTIFY_DRV,
  VR_REFS,
} from '../../../../spec/components/net/virt-rx.ts';
import { netRequestSignal, netRequireSignal } from '../../../../spec/queue/net.ts';
import { netRig, type NetRig } from './rig.ts';

const BUF = 2048;

/** Two clients, four Rx DMA buffers, every queue empty. */
function virtRx(bounds: Record<string, number> = {}, bug?: string) {
  const r = netRig({ clients: 2, rxBuffers: 4, ...bounds }, bug);
  r.drain(r.cfg.drvRx.free);
  return r;
}
/** The driver hands virt_rx DMA buffer `b` holding a frame for `dest`. */
function arrive(r: NetRig, b: number, dest: number) {
  r.s[r.cfg.rxDma.data + b] = payload(KIND_RX, dest, 1 + b);
  r.enq(r.cfg.drvRx.active, r.cfg.rxDma.ioBase + BUF * b);
}
const refs = (r: NetRig) =>
  Array.from({ length: r.cfg.rxDma.count }, (_, b) => r.local('virt_rx', VR_REFS + b));

describe('virt_rx rx_return (demux)', () => {
  it('unicast to its copier (refcount 1), broadcast to every copier (refcount = clients), no match back', () => {
    const r = virtRx();
    arrive(r, 0, 1);
    arrive(r, 1, DEST_BROADCAST);
    arrive(r, 2, DEST_NONE);
    arrive(r, 3, 2); // a destination index past the last client matches no one
    for (const p of r.cfg.virtRx) netRequestSignal(r.mem, p.active, r.cfg.flavour);
    r.notified('virt_rx', VIRT_RX_CH_DRIVER);
    expect(r.fails).toEqual([]);
    expect(r.drain(r.cfg.virtRx[0]!.active)).toEqual([BUF]);
    expect(r.drain(r.cfg.virtRx[1]!.active)).toEqual([0, BUF]);
    expect(refs(r)).toEqual([1, 2, 0, 0]);
    expect(r.drain(r.cfg.drvRx.free)).toEqual([2, 3].map((b) => r.cfg.rxDma.ioBase + BUF * b));
    expect(r.calls.slice(0, 2)).toEqual(['notify 1', 'notify 2']);
  });

  it('only the copiers given a frame are notified', () => {
    const r = virtRx();
    arrive(r, 0, 1);
    for (const p of r.cfg.virtRx) netRequestSignal(r.mem, p.active, r.cfg.flavour);
    r.mem.store(r.cfg.drvRx.free.consumerSignalled, 1);
    r.notified('virt_rx', VIRT_RX_CH_DRIVER);
    expect(r.calls).toEqual(['notify 2']);
  });

  it('a buffer with a stale refcount is an assert (unicast and broadcast)', () => {
    const r = virtRx();
    r.setLocal('virt_rx', VR_REFS + 0, 1);
    arrive(r, 0, 0);
    r.notified('virt_rx', VIRT_RX_CH_DRIVER);
    expect(r.fails.map((x) => x.message)).toEqual(['virt_rx: unicast buffer 0 has refs 1']);
    const b = virtRx();
    b.setLocal('virt_rx', VR_REFS + 2, 1);
    arrive(b, 2, DEST_BROADCAST);
    b.notified('virt_rx', VIRT_RX_CH_DRIVER);
    expect(b.fails.map((x) => x.message)).toEqual(['virt_rx: broadcast buffer 2 has refs 1']);
    expect(refs(b)[2]).toBe(2);
  });

  it('drv.RxA holding no Rx DMA IO address is an address-domain violation', () => {
    const r = virtRx();
    r.enq(r.cfg.drvRx.active, r.cfg.cliTxData[0]!.ioBase);
    r.notified('virt_rx', VIRT_RX_CH_DRIVER);
    expect(r.fails.map((x) => x.property)).toEqual(['address-domain']);
  });

  it('re-check: a frame the driver returns after request_signal is taken', () => {
    const r = virtRx();
    const p = r.program('virt_rx');
    const ctx = r.ctx('virt_rx');
    const pc = (n: string) => p.steps.indexOf(n);
    expect(p.step(pc('rx_return.request_signal(drv.RxA)'), ctx)).toBe(
      pc('rx_return.recheck(drv.RxA)'),
    );
    expect(netRequireSignal(r.mem, r.cfg.drvRx.active, r.cfg.flavour)).toBe(true);
    arrive(r, 0, 0);
    expect(p.step(pc('rx_return.recheck(drv.RxA)'), ctx)).toBe(pc('rx_return.process(drv.RxA)'));
    expect(netRequireSignal(r.mem, r.cfg.drvRx.active, r.cfg.flavour)).toBe(false);
    r.drain(r.cfg.drvRx.active);
    expect(p.step(pc('rx_return.recheck(drv.RxA)'), ctx)).toBe(
      pc('rx_return.notify_if(copier.RxA)'),
    );
  });
});

describe('virt_rx rx_provide (buffers back from the copiers)', () => {
  it('a broadcast buffer goes back to the driver only when the last copier returns it', () => {
    const r = virtRx();
    arrive(r, 1, DEST_BROADCAST);
    r.notified('virt_rx', VIRT_RX_CH_DRIVER);
    for (const p of r.cfg.virtRx) r.drain(p.active);
    r.enq(r.cfg.virtRx[0]!.free, BUF);
    r.notified('virt_rx', 1);
    expect(refs(r)[1]).toBe(1);
    expect(r.len(r.cfg.drvRx.free)).toBe(0);
    r.enq(r.cfg.virtRx[1]!.free, BUF);
    r.calls.length = 0;
    r.notified('virt_rx', 2);
    expect(refs(r)[1]).toBe(0);
    expect(r.drain(r.cfg.drvRx.free)).toEqual([r.cfg.rxDma.ioBase + BUF]);
    expect(r.calls).toEqual([`deferred ${VIRT_RX_CH_DRIVER}`]);
    expect(r.local('virt_rx', VR_NOTIFY_DRV)).toBe(0);
  });

  it('U15 fixed: a buffer returned with refcount 0 is rejected and counted; U15 asserts and wraps the u8', () => {
    const r = virtRx();
    r.enq(r.cfg.virtRx[1]!.free, BUF * 2);
    r.notified('virt_rx', 2);
    expect(r.fails).toEqual([]);
    expect(r.ghost(NG_RX_REJECTED)).toBe(1);
    expect(r.len(r.cfg.drvRx.free)).toBe(0);
    const u = virtRx({ rxBuffers: 4 }, 'U15');
    u.enq(u.cfg.virtRx[0]!.free, BUF * 2);
    u.notified('virt_rx', 1);
    expect(u.fails.map((x) => x.message)).toEqual(['virt_rx: buffer 2 returned with refcount 0']);
    expect(refs(u)[2]).toBe(255);
  });

  it('an offset that is not a buffer of the DMA region is an assert and an address-domain violation', () => {
    for (const off of [1, 4 * BUF]) {
      const r = virtRx();
      r.enq(r.cfg.virtRx[0]!.free, off);
      r.notified('virt_rx', 1);
      expect(r.fails.map((x) => x.property)).toEqual(['no-assert-failure', 'address-domain']);
    }
    const ok = virtRx();
    ok.setLocal('virt_rx', VR_REFS + 3, 1);
    ok.enq(ok.cfg.virtRx[0]!.free, 3 * BUF);
    ok.notified('virt_rx', 1);
    expect(ok.fails).toEqual([]);
  });

  it("re-check: a buffer a copier returns after its request_signal is taken before the next copier's", () => {
    const r = virtRx();
    const p = r.program('virt_rx');
    const ctx = r.ctx('virt_rx');
    const pc = (n: string) => p.steps.indexOf(n);
    expect(p.step(pc('rx_provide.request_signal(copier.RxF)'), ctx)).toBe(
      pc('rx_provide.recheck(copier.RxF)'),
    );
    expect(netRequireSignal(r.mem, r.cfg.virtRx[0]!.free, r.cfg.flavour)).toBe(true);
    r.setLocal('virt_rx', VR_REFS, 1);
    r.enq(r.cfg.virtRx[0]!.free, 0);
    expect(p.step(pc('rx_provide.recheck(copier.RxF)'), ctx)).toBe(
      pc('rx_provide.process(copier.RxF)'),
    );
    expect(netRequireSignal(r.mem, r.cfg.virtRx[0]!.free, r.cfg.flavour)).toBe(false);
    expect(() => p.step(99, ctx)).toThrow(/bad pc 99/);
  });
});

describe('virt_rx init (boot)', () => {
  it('net_buffers_init gives drv.RxF every Rx DMA buffer as an IO address, then a deferred notify', () => {
    const r = netRig({ clients: 1, rxBuffers: 3, boot: 1 });
    const ran = r.init('virt_rx');
    expect(ran).toEqual([
      ...Array(3).fill('init.net_buffers_init(drv.RxF)'),
      'init.notify_if(drv.RxF)',
    ]);
    expect(r.drain(r.cfg.drvRx.free)).toEqual([0, 1, 2].map((b) => r.cfg.rxDma.ioBase + BUF * b));
    expect(r.calls).toEqual([`deferred ${VIRT_RX_CH_DRIVER}`]);
  });
});
