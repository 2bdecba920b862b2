// The ENET driver's handlers (spec/components/net/driver.ts; reference sddf-protocols.md §3.2
// D1–D5; drivers/network/imx/ethernet.c at au-ts/sddf 650ace5d) on hand-set states: private u32
// HW ring indices (full at tail − head = capacity, 75e2eef9; F18 before it), BD ownership, the IRQ
// path tx_return, tx_provide, rx_return, rx_provide per event, init = eth_setup, rx_provide,
// tx_provide.
import { describe, expect, it } from 'vitest';
import { RX_IO_BASE, TX_IO_BASE } from '../../../../proofs/models/net-pipeline/config.ts';
import {
  DL_RX_HEAD,
  DL_RX_TAIL,
  DL_TX_HEAD,
  DL_TX_TAIL,
  DRIVER_CH_IRQ,
  DRIVER_CH_VIRT_RX,
  DRIVER_CH_VIRT_TX,
  enetPostedBuffers,
  netDriver,
} from '../../../../spec/components/net/driver.ts';
import {
  ENET_BD_WRAP,
  ENET_EIR_RXF,
  ENET_EIR_TXF,
  ENET_RXD_EMPTY,
  ENET_TXD_READY,
  enetRxComplete,
  enetTxComplete,
  type EnetNic,
} from '../../../../spec/devices/enet.ts';
import { netRequestSignal, netRequireSignal } from '../../../../spec/queue/net.ts';
import { netRig, type NetRig } from './rig.ts';

const BUF = 2048;

function enet(bounds: Record<string, number> = {}, bug?: string) {
  const r = netRig({ clients: 1, coalesce: 0, ...bounds }, bug);
  const nic: EnetNic | null = r.cfg.hw.kind === 'enet' ? r.cfg.hw.nic : null;
  if (nic === null) throw new Error('not an ENET instance');
  return { r, nic };
}
const ring = (r: NetRig, base: number, n: number) => Array.from(r.s.subarray(base, base + n));
const idx = (r: NetRig) => ({
  rxTail: r.local('driver', DL_RX_TAIL),
  rxHead: r.local('driver', DL_RX_HEAD),
  txTail: r.local('driver', DL_TX_TAIL),
  txHead: r.local('driver', DL_TX_HEAD),
});
const sends = (r: NetRig, n: number) => {
  for (let i = 0; i < n; i++) r.enq(r.cfg.drvTx.active, TX_IO_BASE + BUF * i);
};

describe('ENET D1 rx_provide / D3 tx_provide', () => {
  it('D1 posts free buffers into BDs from the tail (E set, W on the last) until the ring is full', () => {
    const { r, nic } = enet({ rxBuffers: 3, hwRing: 2 });
    const ran = r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(ring(r, nic.rx.addr, 2)).toEqual([RX_IO_BASE, RX_IO_BASE + BUF]);
    expect(ring(r, nic.rx.stat, 2)).toEqual([ENET_RXD_EMPTY, ENET_RXD_EMPTY | ENET_BD_WRAP]);
    expect(idx(r)).toMatchObject({ rxTail: 2, rxHead: 0 });
    expect(r.len(r.cfg.drvRx.free)).toBe(1);
    // A full HW ring does not want free buffers: the signal stays cancelled, no re-check loop.
    expect(netRequireSignal(r.mem, r.cfg.drvRx.free, r.cfg.flavour)).toBe(false);
    expect(ran.at(-1)).toBe('rx_provide.recheck(RxF)');
    expect(r.fails).toEqual([]);
  });

  it('D1 with room and nothing free: request_signal, re-check; a buffer arriving in between is posted', () => {
    const { r, nic } = enet({ rxBuffers: 1, hwRing: 2 });
    const io = r.drain(r.cfg.drvRx.free)[0]!;
    const p = r.program('driver');
    const ctx = r.ctx('driver');
    const pc = (n: string) => p.steps.indexOf(n);
    expect(p.step(pc('rx_provide.process(RxF)'), ctx)).toBe(pc('rx_provide.request_signal(RxF)'));
    expect(p.step(pc('rx_provide.request_signal(RxF)'), ctx)).toBe(pc('rx_provide.recheck(RxF)'));
    expect(netRequireSignal(r.mem, r.cfg.drvRx.free, r.cfg.flavour)).toBe(true);
    r.enq(r.cfg.drvRx.free, io);
    expect(p.step(pc('rx_provide.recheck(RxF)'), ctx)).toBe(pc('rx_provide.process(RxF)'));
    expect(netRequireSignal(r.mem, r.cfg.drvRx.free, r.cfg.flavour)).toBe(false);
    r.runFrom('driver', pc('rx_provide.process(RxF)'));
    expect(r.s[nic.rx.addr]).toBe(RX_IO_BASE);
  });

  it('no-rx-recheck / no-tx-recheck (seeded): request_signal returns without the re-check', () => {
    const a = enet({ rxBuffers: 1, scheduling: 2 }, 'no-rx-recheck');
    a.r.drain(a.r.cfg.drvRx.free);
    expect(a.r.notified('driver', DRIVER_CH_VIRT_RX)).toEqual([
      'rx_provide.process(RxF)',
      'rx_provide.request_signal(RxF)',
    ]);
    const b = enet({ scheduling: 2 }, 'no-tx-recheck');
    expect(b.r.notified('driver', DRIVER_CH_VIRT_TX)).toEqual([
      'tx_provide.process(TxA)',
      'tx_provide.request_signal(TxA)',
    ]);
    const fixed = enet();
    expect(fixed.r.notified('driver', DRIVER_CH_VIRT_TX)).toEqual([
      'tx_provide.process(TxA)',
      'tx_provide.request_signal(TxA)',
      'tx_provide.recheck(TxA)',
    ]);
  });

  it('D3 posts TxA buffers (R set) up to a full ring; a full ring with more waiting does not loop', () => {
    const { r, nic } = enet({ txBuffers: 3, hwRing: 2 });
    sends(r, 3);
    r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(ring(r, nic.tx.addr, 2)).toEqual([TX_IO_BASE, TX_IO_BASE + BUF]);
    expect(r.s[nic.tx.stat]! & ENET_TXD_READY).toBe(ENET_TXD_READY);
    expect(idx(r)).toMatchObject({ txTail: 2, txHead: 0 });
    expect(r.len(r.cfg.drvTx.active)).toBe(1);
    expect(r.fails).toEqual([]);
  });

  it('D3 re-check: a packet enqueued after request_signal is posted and the signal cancelled', () => {
    const { r, nic } = enet();
    const p = r.program('driver');
    const ctx = r.ctx('driver');
    const pc = (n: string) => p.steps.indexOf(n);
    expect(p.step(pc('tx_provide.request_signal(TxA)'), ctx)).toBe(pc('tx_provide.recheck(TxA)'));
    sends(r, 1);
    expect(p.step(pc('tx_provide.recheck(TxA)'), ctx)).toBe(pc('tx_provide.process(TxA)'));
    expect(netRequireSignal(r.mem, r.cfg.drvTx.active, r.cfg.flavour)).toBe(false);
    r.runFrom('driver', pc('tx_provide.process(TxA)'));
    expect(r.s[nic.tx.addr]).toBe(TX_IO_BASE);
  });

  it('a BD the NIC still owns is not written: hw-ownership, the index moves on', () => {
    const { r, nic } = enet({ rxBuffers: 2, hwRing: 2 });
    r.s[nic.rx.stat + 1] = ENET_RXD_EMPTY; // BD 1 still the device's
    r.s[nic.rx.addr + 1] = 0x1234;
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(r.fails.map((x) => x.message)).toEqual(["driver: Rx BD 1 is still the device's"]);
    expect(r.s[nic.rx.addr + 1]).toBe(0x1234);
    const t = enet({ txBuffers: 2, hwRing: 2 });
    t.r.s[t.nic.tx.stat + 1] = ENET_TXD_READY;
    sends(t.r, 2);
    t.r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(t.r.fails.map((x) => x.message)).toEqual(["driver: Tx BD 1 is still the device's"]);
    expect(t.r.s[t.nic.tx.addr + 1]).toBe(0);
    expect(t.r.s[t.nic.tx.addr]).toBe(TX_IO_BASE);
  });

  it('buffers from the wrong region are address-domain violations; every client Tx region is accepted', () => {
    const { r } = enet({ rxBuffers: 1 });
    r.drain(r.cfg.drvRx.free);
    r.enq(r.cfg.drvRx.free, TX_IO_BASE);
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(r.fails.map((x) => x.property)).toEqual(['address-domain']);
    const t = enet({ clients: 2, hwRing: 2 });
    t.r.enq(t.r.cfg.drvTx.active, t.r.cfg.cliTxData[1]!.ioBase);
    t.r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(t.r.fails).toEqual([]);
    t.r.enq(t.r.cfg.drvTx.active, RX_IO_BASE);
    t.r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(t.r.fails.map((x) => x.property)).toEqual(['address-domain']);
  });

  it('F18: bounded indices with `% capacity` leave one BD of the ring unused', () => {
    const { r, nic } = enet({ rxBuffers: 3, hwRing: 2 }, 'F18');
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(r.s[nic.rx.addr]).toBe(RX_IO_BASE);
    expect(r.s[nic.rx.addr + 1]).toBe(0);
    expect(r.len(r.cfg.drvRx.free)).toBe(2);
    expect(idx(r).rxTail).toBe(1);
    // The device fills BD 0; rx_return takes it, and the bounded head wraps to 0.
    enetRxComplete(r.dev, nic, 0);
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.drain(r.cfg.drvRx.active)).toEqual([RX_IO_BASE]);
    expect(idx(r)).toMatchObject({ rxHead: 1, rxTail: 0 }); // (1 + 1) % 2 after the re-post
    const fixed = enet({ rxBuffers: 3, hwRing: 2 });
    fixed.r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(fixed.r.len(fixed.r.cfg.drvRx.free)).toBe(1);
  });

  it('F18 at a 3-BD ring: once the bounded tail wraps below the head, the old empty test reads the full ring as empty', () => {
    // `!((tail - head) % capacity)` on unsigned int (ethernet.c at 75e2eef9^): tail 0, head 1 gives
    // 2^32 − 1, a multiple of 3, so rx_return takes nothing although both posted BDs completed.
    // Upstream's 256 divides 2^32, where the test is exact; at 2 or 4 BDs the model's is too.
    const { r, nic } = enet({ rxBuffers: 3, hwRing: 3 }, 'F18');
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(idx(r)).toMatchObject({ rxTail: 2, rxHead: 0 }); // two BDs: full at (2 + 1 − 0) % 3
    enetRxComplete(r.dev, nic, 0);
    r.notified('driver', DRIVER_CH_IRQ); // takes BD 0, posts the third buffer in BD 2
    expect(r.drain(r.cfg.drvRx.active)).toEqual([RX_IO_BASE]);
    expect(idx(r)).toMatchObject({ rxTail: 0, rxHead: 1 });
    enetRxComplete(r.dev, nic, 1);
    enetRxComplete(r.dev, nic, 2);
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.drain(r.cfg.drvRx.active)).toEqual([]);
    expect(idx(r)).toMatchObject({ rxTail: 0, rxHead: 1 });
    expect(r.fails).toEqual([]);
    // The fixed driver's free-running indices take both.
    const fixed = enet({ rxBuffers: 3, hwRing: 3 });
    fixed.r.notified('driver', DRIVER_CH_VIRT_RX);
    for (const i of [0, 1, 2]) enetRxComplete(fixed.r.dev, fixed.nic, i);
    fixed.r.notified('driver', DRIVER_CH_IRQ);
    expect(fixed.r.drain(fixed.r.cfg.drvRx.active)).toEqual(
      [0, 1, 2].map((i) => RX_IO_BASE + BUF * i),
    );
  });
});

describe('ENET D2 rx_return / D4 tx_return and D5 the IRQ', () => {
  function posted(bounds: Record<string, number> = {}, bug?: string) {
    const e = enet({ rxBuffers: 2, txBuffers: 2, hwRing: 2, ...bounds }, bug);
    e.r.notified('driver', DRIVER_CH_VIRT_RX);
    sends(e.r, 2);
    e.r.notified('driver', DRIVER_CH_VIRT_TX);
    e.r.calls.length = 0;
    return e;
  }

  it('an Rx event: rx_return takes completed BDs in order, stops at one the NIC owns, then rx_provide', () => {
    const { r, nic } = posted();
    enetRxComplete(r.dev, nic, 0);
    netRequestSignal(r.mem, r.cfg.drvRx.active, r.cfg.flavour);
    const ran = r.notified('driver', DRIVER_CH_IRQ);
    expect(ran[0]).toBe('irq.eir');
    expect(ran.some((x) => x.startsWith('tx_'))).toBe(false);
    const fns = ran.map((x) => x.split('.')[0]).filter((x, i, a) => x !== a[i - 1]);
    expect(fns).toEqual(['irq', 'rx_return', 'rx_provide', 'irq']);
    expect(ran.at(-1)).toBe('irq.deferred_irq_ack');
    expect(r.drain(r.cfg.drvRx.active)).toEqual([RX_IO_BASE]);
    expect(idx(r)).toMatchObject({ rxHead: 1 });
    expect(r.calls).toEqual([`notify ${DRIVER_CH_VIRT_RX}`, `deferred_irq_ack ${DRIVER_CH_IRQ}`]);
    expect(r.s[nic.eir]! & ENET_EIR_RXF).toBe(0);
  });

  it('a Tx event: tx_return then tx_provide (not the rx functions); F4 leaves tx_provide out', () => {
    for (const bug of [undefined, 'F4']) {
      const { r, nic } = posted({ sends: 2 }, bug);
      enetTxComplete(r.dev, nic, 0);
      netRequestSignal(r.mem, r.cfg.drvTx.free, r.cfg.flavour);
      const ran = r.notified('driver', DRIVER_CH_IRQ);
      const fns = ran.map((x) => x.split('.')[0]).filter((x, i, a) => x !== a[i - 1]);
      expect(fns).toEqual(
        bug === 'F4' ? ['irq', 'tx_return', 'irq'] : ['irq', 'tx_return', 'tx_provide', 'irq'],
      );
      expect(r.drain(r.cfg.drvTx.free)).toEqual([TX_IO_BASE]);
      expect(idx(r).txHead).toBe(1);
      expect(r.calls).toEqual([`notify ${DRIVER_CH_VIRT_TX}`, `deferred_irq_ack ${DRIVER_CH_IRQ}`]);
    }
  });

  it('an event with nothing completed takes nothing and notifies no one', () => {
    const { r, nic } = posted();
    netRequestSignal(r.mem, r.cfg.drvRx.active, r.cfg.flavour);
    netRequestSignal(r.mem, r.cfg.drvTx.free, r.cfg.flavour);
    r.s[nic.eir] = ENET_EIR_RXF | ENET_EIR_TXF;
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.len(r.cfg.drvRx.active)).toBe(0);
    expect(r.len(r.cfg.drvTx.free)).toBe(0);
    expect(idx(r)).toMatchObject({ rxHead: 0, txHead: 0 });
    expect(r.calls).toEqual([`deferred_irq_ack ${DRIVER_CH_IRQ}`]);
    expect(r.fails).toEqual([]);
  });

  it('no pending event: only the deferred IRQ ack', () => {
    const { r } = posted();
    expect(r.notified('driver', DRIVER_CH_IRQ)).toEqual(['irq.eir', 'irq.deferred_irq_ack']);
  });

  it('u32 ring indices wrap at 2^32 (full is tail − head = capacity)', () => {
    const { r, nic } = enet({ rxBuffers: 2, hwRing: 2 });
    r.setLocal('driver', DL_RX_TAIL, 0xffff_ffff);
    r.setLocal('driver', DL_RX_HEAD, 0xffff_ffff);
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(idx(r)).toMatchObject({ rxTail: 1, rxHead: 0xffff_ffff });
    expect(ring(r, nic.rx.addr, 2)).toEqual([RX_IO_BASE + BUF, RX_IO_BASE]); // slot 1, then slot 0
    expect(enetPostedBuffers((a) => r.s[a]!, nic.rx, 1, 0xffff_ffff)).toEqual([
      RX_IO_BASE,
      RX_IO_BASE + BUF,
    ]);
  });
});

describe('ENET init and entry points', () => {
  it('init: eth_setup, rx_provide, tx_provide, then done', () => {
    const { r } = enet({ boot: 1 });
    const fns = r
      .init('driver')
      .map((x) => x.split('.')[0])
      .filter((x, i, a) => x !== a[i - 1]);
    expect(fns).toEqual(['init', 'rx_provide', 'tx_provide']);
    // After init a notification runs rx_provide alone (the return is to notified again).
    r.enq(r.cfg.drvRx.free, RX_IO_BASE);
    const again = r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(again.every((x) => x.startsWith('rx_provide'))).toBe(true);
  });

  it('channels: IRQ → handle_irq, virt_rx → rx_provide, virt_tx → tx_provide; any other is a bug', () => {
    const { r } = enet();
    const p = r.program('driver');
    expect(p.steps[p.entry(DRIVER_CH_IRQ)]).toBe('irq.eir');
    expect(p.steps[p.entry(DRIVER_CH_VIRT_RX)]).toBe('rx_provide.process(RxF)');
    expect(p.steps[p.entry(DRIVER_CH_VIRT_TX)]).toBe('tx_provide.process(TxA)');
    expect(() => p.entry(3)).toThrow(/unknown channel 3/);
    const virtioCfg = netRig({ clients: 1, driver: 1 }).cfg;
    expect(() => netDriver(virtioCfg)).toThrow(/needs an ENET-like NIC/);
    expect(() => p.step(77, r.ctx('driver'))).toThrow(/bad pc 77/);
  });
});

describe('enetPostedBuffers', () => {
  const nicRing = { addr: 100, capacity: 2 };
  const mem = (a: number) => (a >= 100 && a < 102 ? 0xa0 + a - 100 : 0);
  it('the addresses of BDs head … tail − 1, wrapping over the slots and the u32 index', () => {
    expect(enetPostedBuffers(mem, nicRing, 5, 3)).toEqual([0xa1, 0xa0]);
    expect(enetPostedBuffers(mem, nicRing, 4, 3)).toEqual([0xa1]);
    expect(enetPostedBuffers(mem, nicRing, 3, 3)).toEqual([]);
    expect(enetPostedBuffers(mem, nicRing, 1, 0xffff_ffff)).toEqual([0xa1, 0xa0]);
  });
  it('capacity 1: one BD posted or none, also at F18 bounded indices', () => {
    const one = { addr: 100, capacity: 1 };
    expect(enetPostedBuffers(mem, one, 1, 0)).toEqual([0xa0]);
    expect(enetPostedBuffers(mem, one, 0, 0)).toEqual([]);
    expect(enetPostedBuffers(mem, one, 7, 6)).toEqual([0xa0]);
  });
});
