// The copier's handler (spec/components/net/copier.ts; reference sddf-protocols.md §3.5;
// network/components/copy.c at au-ts/sddf 650ace5d) on hand-set states: each frame in virt.RxA is
// copied into a free client buffer (client.RxA) and its DMA buffer returned (virt.RxF); with no free
// client buffer the frame is dropped (7d69d7ba); F15 (before it) holds the DMA buffer instead.
import { describe, expect, it } from 'vitest';
import { COPIER_CH_CLIENT, COPIER_CH_VIRT_RX } from '../../../../spec/components/net/copier.ts';
import { NGC_DROPPED, cg } from '../../../../spec/components/net/config.ts';
import { netRequestSignal, netRequireSignal } from '../../../../spec/queue/net.ts';
import { netRig, type NetRig } from './rig.ts';

const BUF = 2048;

function copier(bounds: Record<string, number> = {}, bug?: string) {
  const r = netRig({ clients: 1, ...bounds }, bug);
  const q = {
    virt: r.cfg.virtRx[0]!,
    cli: r.cfg.cliRx[0]!,
    data: r.cfg.cliRxData[0]!,
    dma: r.cfg.rxDma,
  };
  return { r, q };
}
type Q = ReturnType<typeof copier>['q'];
/** virt_rx hands the copier DMA buffer `i` holding payload `p`. */
function frame(r: NetRig, q: Q, i: number, p: number) {
  r.s[q.dma.data + i] = p;
  r.enq(q.virt.active, BUF * i);
}
const wantSignals = (r: NetRig, q: Q) => {
  netRequestSignal(r.mem, q.cli.active, r.cfg.flavour);
  netRequestSignal(r.mem, q.virt.free, r.cfg.flavour);
};

describe('copier rx_return', () => {
  it('copies each frame into the next free client buffer, returns the DMA buffer, notifies both', () => {
    const { r, q } = copier({ rxBuffers: 2, clientRxBuffers: 2 });
    const free = r.drain(q.cli.free);
    r.enq(q.cli.free, free[1]!);
    r.enq(q.cli.free, free[0]!);
    frame(r, q, 1, 0xaa);
    frame(r, q, 0, 0xbb);
    wantSignals(r, q);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(r.fails).toEqual([]);
    expect(r.drain(q.cli.active)).toEqual([BUF, 0]);
    expect([r.s[q.data.data + 1], r.s[q.data.data + 0]]).toEqual([0xaa, 0xbb]);
    expect(r.drain(q.virt.free)).toEqual([BUF, 0]);
    expect(r.calls).toEqual([`notify ${COPIER_CH_CLIENT}`, `deferred ${COPIER_CH_VIRT_RX}`]);
    expect(r.ghost(cg(0, NGC_DROPPED))).toBe(0);
    // Nothing new on the next run: neither peer is notified although both ask again.
    wantSignals(r, q);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(r.calls).toHaveLength(2);
  });

  it('no free client buffer: the frame is dropped, its DMA buffer returned, the client not notified', () => {
    const { r, q } = copier();
    r.drain(q.cli.free);
    frame(r, q, 0, 0xaa);
    wantSignals(r, q);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(r.ghost(cg(0, NGC_DROPPED))).toBe(1);
    expect(r.drain(q.virt.free)).toEqual([0]);
    expect(r.len(q.cli.active)).toBe(0);
    expect(r.calls).toEqual([`deferred ${COPIER_CH_VIRT_RX}`]);
  });

  it('a client buffer outside its region is dropped (logged), the frame then takes the next one', () => {
    const { r, q } = copier({ clientRxBuffers: 2 });
    r.drain(q.cli.free);
    r.enq(q.cli.free, BUF * 7);
    r.enq(q.cli.free, BUF);
    frame(r, q, 0, 0xaa);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(r.fails).toEqual([]);
    expect(r.drain(q.cli.active)).toEqual([BUF]);
    expect(r.s[q.data.data + 1]).toBe(0xaa);
  });

  it('a virt.RxA offset outside the DMA region is an address-domain violation and is not returned', () => {
    const { r, q } = copier();
    r.enq(q.virt.active, BUF * 9);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(r.fails.map((x) => x.property)).toEqual(['address-domain']);
    expect(r.len(q.virt.free)).toBe(0);
  });

  it('nothing waiting: request_signal on virt.RxA; the re-check takes a frame that arrived meanwhile', () => {
    const { r, q } = copier();
    const p = r.program('copier0');
    const ctx = r.ctx('copier0');
    const pc = (n: string) => p.steps.indexOf(n);
    expect(p.step(pc('rx_return.process(virt.RxA)'), ctx)).toBe(
      pc('rx_return.request_signal(virt.RxA)'),
    );
    expect(p.step(pc('rx_return.request_signal(virt.RxA)'), ctx)).toBe(
      pc('rx_return.recheck(virt.RxA)'),
    );
    expect(netRequireSignal(r.mem, q.virt.active, r.cfg.flavour)).toBe(true);
    expect(p.step(pc('rx_return.recheck(virt.RxA)'), ctx)).toBe(
      pc('rx_return.notify_if(client.RxA)'),
    );
    frame(r, q, 0, 1);
    expect(p.step(pc('rx_return.recheck(virt.RxA)'), ctx)).toBe(pc('rx_return.process(virt.RxA)'));
    expect(netRequireSignal(r.mem, q.virt.active, r.cfg.flavour)).toBe(false);
    // With no free client buffer too: a waiting frame is still taken (to be dropped, 7d69d7ba).
    r.drain(q.cli.free);
    netRequestSignal(r.mem, q.virt.active, r.cfg.flavour);
    expect(p.step(pc('rx_return.recheck(virt.RxA)'), ctx)).toBe(pc('rx_return.process(virt.RxA)'));
  });

  it('doubleReturn (the U15 rig): copier 0 returns its first DMA buffer twice, once only', () => {
    const { r, q } = copier({ doubleReturn: 1, rxBuffers: 2, clientRxBuffers: 2 });
    frame(r, q, 0, 1);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(r.drain(q.virt.free)).toEqual([0, 0]);
    r.drain(q.cli.active).forEach((o) => r.enq(q.cli.free, o));
    frame(r, q, 1, 2);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(r.drain(q.virt.free)).toEqual([BUF]);
    // Copier 1 never does.
    const two = netRig({ clients: 2, doubleReturn: 1 });
    two.s[two.cfg.rxDma.data] = 1;
    two.enq(two.cfg.virtRx[1]!.active, 0);
    two.notified('copier1', COPIER_CH_VIRT_RX);
    expect(two.drain(two.cfg.virtRx[1]!.free)).toEqual([0]);
  });

  it('init: net_buffers_init gives client.RxF every client buffer, offsets 0, 2048, …', () => {
    const { r, q } = copier({ boot: 1, clientRxBuffers: 3 });
    const ran = r.init('copier0');
    expect(ran).toEqual(Array(3).fill('init.net_buffers_init(client.RxF)'));
    expect(r.drain(q.cli.free)).toEqual([0, BUF, 2 * BUF]);
    expect(r.local('copier0', 3)).toBe(0); // the loop counter is left at 0
    // A queue already full is an assert.
    const full = copier({ boot: 1, clientRxBuffers: 2 });
    full.r.enq(full.q.cli.free, 0);
    full.r.enq(full.q.cli.free, 0);
    full.r.init('copier0');
    expect(full.r.fails.map((x) => x.property)).toEqual(['no-assert-failure', 'no-assert-failure']);
    expect(() => r.program('copier0').step(99, r.ctx('copier0'))).toThrow(/bad pc 99/);
  });
});

describe('copier F15 (copy.c before 7d69d7ba)', () => {
  it('with no free client buffer it holds the frame in virt.RxA and asks the client for RxF', () => {
    const { r, q } = copier({ clients: 2, rxBuffers: 2, clientRxBuffers: 1 }, 'F15');
    r.drain(q.cli.free);
    frame(r, q, 0, 1);
    r.mem.store(q.cli.free.consumerSignalled, 1);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(r.len(q.virt.active)).toBe(1);
    expect(r.len(q.virt.free)).toBe(0);
    expect(r.ghost(cg(0, NGC_DROPPED))).toBe(0);
    expect(netRequireSignal(r.mem, q.cli.free, r.cfg.flavour)).toBe(true);
    // Nothing waiting: the client's RxF signal is cancelled.
    r.drain(q.virt.active);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(netRequireSignal(r.mem, q.cli.free, r.cfg.flavour)).toBe(false);
  });

  it('the re-check loops only when both queues are non-empty again, cancelling both signals', () => {
    const { r, q } = copier({ clients: 2, rxBuffers: 2, clientRxBuffers: 1 }, 'F15');
    const p = r.program('copier0');
    const ctx = r.ctx('copier0');
    const pc = (n: string) => p.steps.indexOf(n);
    r.drain(q.cli.free);
    frame(r, q, 0, 1);
    netRequestSignal(r.mem, q.virt.active, r.cfg.flavour);
    netRequestSignal(r.mem, q.cli.free, r.cfg.flavour);
    expect(p.step(pc('rx_return.recheck(virt.RxA)'), ctx)).toBe(
      pc('rx_return.notify_if(client.RxA)'),
    );
    r.enq(q.cli.free, 0);
    expect(p.step(pc('rx_return.recheck(virt.RxA)'), ctx)).toBe(pc('rx_return.process(virt.RxA)'));
    expect(netRequireSignal(r.mem, q.virt.active, r.cfg.flavour)).toBe(false);
    expect(netRequireSignal(r.mem, q.cli.free, r.cfg.flavour)).toBe(false);
    r.drain(q.virt.active);
    expect(p.step(pc('rx_return.recheck(virt.RxA)'), ctx)).toBe(
      pc('rx_return.notify_if(client.RxA)'),
    );
  });

  it('one `enqueued` flag for both notifies: a copied frame notifies both, nothing copied notifies neither', () => {
    const { r, q } = copier({ clients: 2, rxBuffers: 2, clientRxBuffers: 1 }, 'F15');
    frame(r, q, 0, 1);
    wantSignals(r, q);
    r.notified('copier0', COPIER_CH_VIRT_RX);
    expect(r.calls).toEqual([`notify ${COPIER_CH_CLIENT}`, `deferred ${COPIER_CH_VIRT_RX}`]);
  });
});
