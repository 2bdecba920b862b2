// A network client's handlers (spec/components/net/client.ts; reference sddf-protocols.md §3.6;
// lib_sddf_lwip.c and echo.c at au-ts/sddf 650ace5d) on hand-set states: process_rx consumes RxA in
// order and frees each buffer at once, transmit takes TxF for echoes (FIFO) then own packets,
// sddf_lwip_maybe_notify clears a notify flag only when the notify is made; the lwIP client never
// arms TxF (F14: without handle_empty_tx_free's flush).
import { describe, expect, it } from 'vitest';
import {
  CLIENT_CH_APP,
  CLIENT_CH_COPIER,
  CLIENT_CH_TIMER,
  CLIENT_CH_VIRT_TX,
  CL_ECHO_COUNT,
} from '../../../../spec/components/net/client.ts';
import {
  KIND_ECHO,
  KIND_OWN,
  KIND_RX,
  KIND_RX_MISPLACED,
  NGC_DELIVERED,
  NGC_ECHOED,
  NGC_LAST_RX,
  NGC_REQUESTED,
  NGC_SENT,
  NGC_TIMER_ARMED,
  cg,
  payload,
} from '../../../../spec/components/net/config.ts';
import { netRequestSignal, netRequireSignal } from '../../../../spec/queue/net.ts';
import { netRig, type NetRig } from './rig.ts';

const BUF = 2048;

function client(bounds: Record<string, number> = {}, bug?: string) {
  const r = netRig({ clients: 1, ...bounds }, bug);
  const q = {
    rx: r.cfg.cliRx[0]!,
    tx: r.cfg.cliTx[0]!,
    rxData: r.cfg.cliRxData[0]!,
    txData: r.cfg.cliTxData[0]!,
  };
  return { r, q };
}
type Q = ReturnType<typeof client>['q'];
/** The copier delivers a frame with payload `p` in client Rx buffer `i`. */
function deliver(r: NetRig, q: Q, i: number, p: number) {
  r.s[q.rxData.data + i] = p;
  r.enq(q.rx.active, BUF * i);
}
const frame = (seq: number) => payload(KIND_RX, 0, seq);
/** Everything client 0 enqueued on its Tx active queue, with the payload in each buffer. */
function sent(r: NetRig, q: Q) {
  return r.drain(q.tx.active).map((off) => r.s[q.txData.data + off / BUF]!);
}

describe('client process_rx', () => {
  it('consumes RxA in order, frees each buffer to RxF at once, counts and records the last seq', () => {
    const { r, q } = client({ clientRxBuffers: 2 });
    r.drain(q.rx.free);
    deliver(r, q, 1, frame(1));
    deliver(r, q, 0, frame(2));
    r.notified('client0', CLIENT_CH_COPIER);
    expect(r.fails).toEqual([]);
    expect(r.drain(q.rx.free)).toEqual([BUF, 0]);
    expect(r.ghost(cg(0, NGC_DELIVERED))).toBe(2);
    expect(r.ghost(cg(0, NGC_LAST_RX))).toBe(2);
    // The copier wanted a signal (the state init leaves): one notify of RxF, deferred.
    expect(r.calls).toEqual([`deferred ${CLIENT_CH_COPIER}`]);
  });

  it('nothing to consume: request_signal on RxA, re-check; a frame arriving in between is consumed', () => {
    const { r, q } = client();
    const p = r.program('client0');
    const ctx = r.ctx('client0');
    const pc = (n: string) => p.steps.indexOf(n);
    expect(p.step(pc('process_rx.process(RxA)'), ctx)).toBe(pc('process_rx.request_signal(RxA)'));
    expect(p.step(pc('process_rx.request_signal(RxA)'), ctx)).toBe(pc('process_rx.recheck(RxA)'));
    expect(netRequireSignal(r.mem, q.rx.active, r.cfg.flavour)).toBe(true);
    r.drain(q.rx.free);
    deliver(r, q, 0, frame(1));
    expect(p.step(pc('process_rx.recheck(RxA)'), ctx)).toBe(pc('process_rx.process(RxA)'));
    expect(netRequireSignal(r.mem, q.rx.active, r.cfg.flavour)).toBe(false);
    // Nothing there: the re-check goes on to transmit.
    expect(p.step(pc('process_rx.recheck(RxA)'), ctx)).toBe(pc('process_rx.process(RxA)'));
    p.step(pc('process_rx.process(RxA)'), ctx);
    expect(p.step(pc('process_rx.recheck(RxA)'), ctx)).toBe(pc('transmit.process(TxF)'));
  });

  it('FIFO per flow: a seq not above the last is a fifo violation, a later one is not', () => {
    const { r, q } = client({ clientRxBuffers: 2 });
    r.drain(q.rx.free);
    r.setGhost(cg(0, NGC_LAST_RX), 5);
    deliver(r, q, 0, frame(5));
    deliver(r, q, 1, frame(6));
    r.notified('client0', CLIENT_CH_COPIER);
    expect(r.fails.map((x) => x.message)).toEqual(['client0: received frame 5 after 5']);
    expect(r.ghost(cg(0, NGC_LAST_RX))).toBe(6);
  });

  it('a buffer holding no Rx frame is a fifo violation; a misplaced frame is a frame-integrity one', () => {
    const { r, q } = client({ clientRxBuffers: 2 });
    r.drain(q.rx.free);
    deliver(r, q, 0, payload(KIND_OWN, 0, 9));
    deliver(r, q, 1, payload(KIND_RX_MISPLACED, 0, 10));
    r.notified('client0', CLIENT_CH_COPIER);
    expect(r.fails.map((x) => x.property)).toEqual(['fifo', 'frame-integrity']);
    expect(r.ghost(cg(0, NGC_DELIVERED))).toBe(2);
  });

  it('an RxA offset outside the client Rx region is an address-domain violation and is not freed', () => {
    const { r, q } = client();
    r.drain(q.rx.free);
    r.enq(q.rx.active, BUF * 4);
    r.notified('client0', CLIENT_CH_COPIER);
    expect(r.fails.map((x) => x.property)).toEqual(['address-domain']);
    expect(r.len(q.rx.free)).toBe(0);
    expect(r.ghost(cg(0, NGC_DELIVERED))).toBe(0);
  });

  it('a slow client (F15 rig) does not consume Rx at all', () => {
    const { r, q } = client({ slowClient: 1 });
    r.drain(q.rx.free);
    deliver(r, q, 0, frame(1));
    r.notified('client0', CLIENT_CH_COPIER);
    expect(r.len(q.rx.active)).toBe(1);
    expect(r.ghost(cg(0, NGC_DELIVERED))).toBe(0);
  });
});

describe('client echo and transmit', () => {
  it('echoes frames in the order received, each in a TxF buffer, counted; the echo FIFO drains in order', () => {
    const { r, q } = client({ echo: 1, clientRxBuffers: 3, txBuffers: 4 });
    r.drain(q.rx.free);
    deliver(r, q, 2, frame(1));
    deliver(r, q, 0, frame(2));
    deliver(r, q, 1, frame(3));
    r.notified('client0', CLIENT_CH_COPIER);
    expect(r.fails).toEqual([]);
    expect(r.local('client0', CL_ECHO_COUNT)).toBe(0);
    expect(r.ghost(cg(0, NGC_ECHOED))).toBe(3);
    expect(sent(r, q)).toEqual([1, 2, 3].map((s) => payload(KIND_ECHO, 0, s)));
  });

  it('with one Tx buffer the FIFO keeps the rest in order for later', () => {
    const { r, q } = client({ echo: 1, clientRxBuffers: 3, txBuffers: 1 });
    r.drain(q.rx.free);
    deliver(r, q, 0, frame(1));
    deliver(r, q, 1, frame(2));
    deliver(r, q, 2, frame(3));
    r.notified('client0', CLIENT_CH_COPIER);
    expect(r.local('client0', CL_ECHO_COUNT)).toBe(2);
    // The FIFO (client.ts CL_ECHO, two words after the count) holds the two left, then zero.
    const fifo = [0, 1, 2].map((i) => r.local('client0', CL_ECHO_COUNT + 2 + i));
    expect(fifo).toEqual([payload(KIND_ECHO, 0, 2), payload(KIND_ECHO, 0, 3), 0]);
    expect(sent(r, q)).toEqual([payload(KIND_ECHO, 0, 1)]);
    expect(r.calls).toEqual([`deferred ${CLIENT_CH_COPIER}`, `notify ${CLIENT_CH_VIRT_TX}`]);
    // virt_tx returns the buffer: the next echo is 2, then 3.
    r.enq(q.tx.free, 0);
    r.notified('client0', CLIENT_CH_VIRT_TX);
    expect(sent(r, q)).toEqual([payload(KIND_ECHO, 0, 2)]);
    r.enq(q.tx.free, 0);
    r.notified('client0', CLIENT_CH_VIRT_TX);
    expect(sent(r, q)).toEqual([payload(KIND_ECHO, 0, 3)]);
    expect(r.local('client0', CL_ECHO_COUNT)).toBe(0);
    expect(r.ghost(cg(0, NGC_ECHOED))).toBe(3);
  });

  it("own packets: as many as requested and not yet sent, numbered from 1, in the buffer's payload", () => {
    const { r, q } = client({ sends: 3, txBuffers: 4 });
    r.setGhost(cg(0, NGC_REQUESTED), 2);
    r.notified('client0', CLIENT_CH_APP);
    expect(sent(r, q)).toEqual([payload(KIND_OWN, 0, 1), payload(KIND_OWN, 0, 2)]);
    expect(r.ghost(cg(0, NGC_SENT))).toBe(2);
    r.notified('client0', CLIENT_CH_APP);
    expect(sent(r, q)).toEqual([]);
    // A client configured to send nothing ignores the request counter.
    const z = client({ sends: 0, txBuffers: 2 });
    z.r.setGhost(cg(0, NGC_REQUESTED), 1);
    z.r.notified('client0', CLIENT_CH_APP);
    expect(sent(z.r, z.q)).toEqual([]);
  });

  it('abstract client, Tx work and no free buffer: request_signal on TxF and re-check', () => {
    const { r, q } = client({ sends: 1, txBuffers: 1 });
    r.drain(q.tx.free);
    r.setGhost(cg(0, NGC_REQUESTED), 1);
    r.mem.store(q.tx.free.consumerSignalled, 1); // not yet waiting for TxF
    const ran = r.notified('client0', CLIENT_CH_APP);
    expect(ran).toContain('transmit.request_signal(TxF)');
    expect(netRequireSignal(r.mem, q.tx.free, r.cfg.flavour)).toBe(true);
    const p = r.program('client0');
    const ctx = r.ctx('client0');
    const pc = (n: string) => p.steps.indexOf(n);
    expect(p.step(pc('transmit.recheck(TxF)'), ctx)).toBe(pc('maybe_notify(RxF)'));
    r.enq(q.tx.free, 0); // virt_tx frees one now
    expect(p.step(pc('transmit.recheck(TxF)'), ctx)).toBe(pc('transmit.process(TxF)'));
    expect(netRequireSignal(r.mem, q.tx.free, r.cfg.flavour)).toBe(false);
  });

  it('nothing pending: transmit goes straight to maybe_notify and asks for nothing', () => {
    const { r, q } = client();
    r.mem.store(q.tx.free.consumerSignalled, 1); // not waiting for TxF
    const ran = r.notified('client0', CLIENT_CH_APP);
    expect(ran).not.toContain('transmit.request_signal(TxF)');
    expect(netRequireSignal(r.mem, q.tx.free, r.cfg.flavour)).toBe(false);
  });
});

describe('client sddf_lwip_maybe_notify', () => {
  it('clears notify_tx only when the notify is made: a peer that did not ask is notified later', () => {
    const { r, q } = client({ sends: 2, txBuffers: 2 });
    r.setGhost(cg(0, NGC_REQUESTED), 1);
    netRequestSignal(r.mem, q.tx.active, r.cfg.flavour);
    // virt_tx is busy (it did not ask): no notify, the flag stays.
    r.mem.store(q.tx.active.consumerSignalled, 1);
    r.notified('client0', CLIENT_CH_APP);
    expect(r.calls).toEqual([]);
    // Now virt_tx asks; the next run notifies although it sent nothing new.
    netRequestSignal(r.mem, q.tx.active, r.cfg.flavour);
    r.notified('client0', CLIENT_CH_APP);
    expect(r.calls).toEqual([`deferred ${CLIENT_CH_VIRT_TX}`]);
    // Made: the flag is clear, so asking again brings no notify.
    netRequestSignal(r.mem, q.tx.active, r.cfg.flavour);
    r.notified('client0', CLIENT_CH_APP);
    expect(r.calls).toEqual([`deferred ${CLIENT_CH_VIRT_TX}`]);
  });

  it('both notifies: the deferred slot for the first, an immediate notify for the second', () => {
    const { r, q } = client({ sends: 1, txBuffers: 1 });
    r.drain(q.rx.free);
    deliver(r, q, 0, frame(1));
    r.setGhost(cg(0, NGC_REQUESTED), 1);
    r.notified('client0', CLIENT_CH_COPIER);
    expect(r.calls).toEqual([`deferred ${CLIENT_CH_COPIER}`, `notify ${CLIENT_CH_VIRT_TX}`]);
  });
});

describe('lib_sddf_lwip client (lwip=1)', () => {
  it('entries: copier → process_rx, virt_tx → maybe_notify only, timer → set_timeout then transmit, app → transmit', () => {
    const { r } = client({ lwip: 1 });
    const p = r.program('client0');
    expect(p.steps[p.entry(CLIENT_CH_COPIER)]).toBe('process_rx.process(RxA)');
    expect(p.steps[p.entry(CLIENT_CH_VIRT_TX)]).toBe('maybe_notify(RxF)');
    expect(p.steps[p.entry(CLIENT_CH_TIMER)]).toBe('timeout.set_timeout');
    expect(p.steps[p.entry(CLIENT_CH_APP)]).toBe('transmit.process(TxF)');
    r.setGhost(cg(0, NGC_TIMER_ARMED), 0);
    const ran = r.notified('client0', CLIENT_CH_TIMER);
    expect(ran.slice(0, 2)).toEqual(['timeout.set_timeout', 'transmit.process(TxF)']);
    expect(r.ghost(cg(0, NGC_TIMER_ARMED))).toBe(1);
    const slow = client({ lwip: 1, slowClient: 1 }).r.program('client0');
    expect(slow.steps[slow.entry(CLIENT_CH_COPIER)]).toBe('transmit.process(TxF)');
    const abstract = client().r.program('client0');
    expect(abstract.steps[abstract.entry(CLIENT_CH_VIRT_TX)]).toBe('process_rx.process(RxA)');
    expect(() => p.step(99, r.ctx('client0'))).toThrow(/bad pc 99/);
  });

  it('no free Tx buffer: never arms TxF; flushes pending Tx work to virt_tx at once (4eefdb94)', () => {
    const { r, q } = client({ lwip: 1, sends: 2, txBuffers: 1 });
    r.setGhost(cg(0, NGC_REQUESTED), 2);
    r.mem.store(q.tx.free.consumerSignalled, 1); // not waiting for TxF
    const ran = r.notified('client0', CLIENT_CH_APP);
    expect(ran).not.toContain('transmit.request_signal(TxF)');
    expect(netRequireSignal(r.mem, q.tx.free, r.cfg.flavour)).toBe(false);
    expect(r.ghost(cg(0, NGC_SENT))).toBe(1);
    // The first packet went out with the flush's immediate notify; maybe_notify has nothing left.
    expect(r.calls).toEqual([`notify ${CLIENT_CH_VIRT_TX}`]);
    expect(netRequireSignal(r.mem, q.tx.active, r.cfg.flavour)).toBe(false);
  });

  it('the flush needs Tx work not yet signalled and a virt_tx that asked', () => {
    // virt_tx did not ask: no flush, notify_tx stays for maybe_notify (which skips it too).
    const a = client({ lwip: 1, sends: 2, txBuffers: 1 });
    a.r.setGhost(cg(0, NGC_REQUESTED), 2);
    a.r.mem.store(a.q.tx.active.consumerSignalled, 1);
    a.r.notified('client0', CLIENT_CH_APP);
    expect(a.r.calls).toEqual([]);
    // No Tx work since the last notify: nothing to flush.
    const b = client({ lwip: 1, sends: 1, txBuffers: 1 });
    b.r.setGhost(cg(0, NGC_REQUESTED), 1);
    b.r.drain(b.q.tx.free);
    b.r.notified('client0', CLIENT_CH_APP);
    expect(b.r.calls).toEqual([]);
  });

  it('F14: no flush; the packet waits for maybe_notify (deferred) instead of an immediate notify', () => {
    const { r } = client({ lwip: 1, sends: 2, txBuffers: 1 }, 'F14');
    r.setGhost(cg(0, NGC_REQUESTED), 2);
    r.notified('client0', CLIENT_CH_APP);
    expect(r.calls).toEqual([`deferred ${CLIENT_CH_VIRT_TX}`]);
  });
});

describe('client init (boot)', () => {
  it('net_buffers_init gives TxF every Tx buffer (offsets 0, 2048, …), then maybe_notify', () => {
    for (const lwip of [0, 1]) {
      const { r, q } = client({ boot: 1, txBuffers: 3, lwip });
      const ran = r.init('client0');
      expect(ran.filter((x) => x === 'init.net_buffers_init(TxF)')).toHaveLength(3);
      expect(ran.slice(-2)).toEqual(['maybe_notify(RxF)', 'maybe_notify(TxA)']);
      expect(r.drain(q.tx.free)).toEqual([0, BUF, 2 * BUF]);
      expect(r.local('client0', 3)).toBe(0); // the loop counter is left at 0
      expect(r.ghost(cg(0, NGC_TIMER_ARMED))).toBe(lwip); // echo.c init: set_timeout()
      expect(r.fails).toEqual([]);
    }
  });

  it('a TxF too small for the region is an assert', () => {
    const { r, q } = client({ boot: 1, txBuffers: 2 });
    r.enq(q.tx.free, 0);
    r.enq(q.tx.free, 0);
    r.init('client0');
    expect(r.fails.map((x) => x.property)).toEqual(['no-assert-failure', 'no-assert-failure']);
  });
});
