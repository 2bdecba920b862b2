// The virtio-net driver's handlers (spec/components/net/virtio-driver.ts; reference
// sddf-protocols.md §3.2 "virtio-net driver"; drivers/network/virtio/common/ethernet.c at au-ts/sddf
// 650ace5d) on hand-set states: each packet is a two-descriptor chain from the ialloc allocator,
// published in the available ring; the return paths walk a u16 used_head up to used.idx; the IRQ
// path is tx_return, tx_provide, rx_return; init negotiates VERSION_1 and MAC as masks.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../../spec/common/assert.ts';
import {
  RX_IO_BASE,
  TX_IO_BASE,
  VIRTIO_HDR_IO_BASE,
} from '../../../../proofs/models/net-pipeline/config.ts';
import {
  DRIVER_CH_IRQ,
  DRIVER_CH_VIRT_RX,
  DRIVER_CH_VIRT_TX,
} from '../../../../spec/components/net/driver.ts';
import {
  virtioInitialLocals,
  virtioPostedBuffers,
  virtioQueueLocals,
  netVirtioDriver,
} from '../../../../spec/components/net/virtio-driver.ts';
import {
  VIRTIO_IRQ_VQUEUE,
  VIRTIO_STATUS_DRIVER_OK,
  virtioNetReceive,
  virtioNetTransmit,
  type VirtioNetDev,
  type VirtqRef,
} from '../../../../spec/devices/virtio-net.ts';
import { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../../../spec/devices/virtio-queue.ts';
import { netRequestSignal, netRequireSignal } from '../../../../spec/queue/net.ts';
import { netRig, type NetRig } from './rig.ts';

const NUM = 4;
const BUF = 2048;
const IALLOC_NONE = 0xffff_ffff;

function virtio(bounds: Record<string, number> = {}, bug?: string) {
  const r = netRig({ driver: 1, clients: 1, virtqNum: NUM, coalesce: 0, ...bounds }, bug);
  const d = r.cfg.hw.kind === 'virtio' ? r.cfg.hw.dev : null;
  if (d === null) throw new Error('not a virtio instance');
  return { r, d };
}

const words = (r: NetRig, base: number, n: number) => Array.from(r.s.subarray(base, base + n));
const chains = (r: NetRig, q: VirtqRef) => ({
  addr: words(r, q.descAddr, q.num),
  len: words(r, q.descLen, q.num),
  flags: words(r, q.descFlags, q.num),
  next: words(r, q.descNext, q.num),
});
const rxSteps = (r: NetRig) => r.program('driver').steps;
const pcOf = (r: NetRig, name: string) => rxSteps(r).indexOf(name);
/** The ialloc state of `queue` among the driver's locals. */
function ialloc(r: NetRig, queue: 'rx' | 'tx') {
  const l = virtioQueueLocals(r.cfg, queue);
  return {
    usedHead: r.local('driver', l.usedHead),
    head: r.local('driver', l.iaHead),
    tail: r.local('driver', l.iaTail),
    size: r.local('driver', l.iaSize),
    list: Array.from({ length: NUM }, (_, i) => r.local('driver', l.iaList + i)),
  };
}
/** The client sends `n` buffers: TxA gets client 0's Tx IO addresses. */
function clientSends(r: NetRig, n: number) {
  for (let i = 0; i < n; i++) r.enq(r.cfg.drvTx.active, TX_IO_BASE + BUF * i);
}
/** The device writes `n` used elements (in order) on the rx queue, raising the interrupt. */
function receive(r: NetRig, d: VirtioNetDev, n: number) {
  for (let i = 0; i < n; i++) virtioNetReceive(r.dev, d);
}

describe('virtio rx_provide (notified by virt_rx)', () => {
  it('posts each free buffer as a writable chain hdr → buf, publishes it and kicks the rx queue', () => {
    const { r, d } = virtio({ rxBuffers: 2 });
    r.s[d.rx.waitKick] = 1; // the device waits for a QueueNotify
    r.notified('driver', DRIVER_CH_VIRT_RX);
    const c = chains(r, d.rx);
    // Rx headers after the Tx header region, which holds num headers (U11 fixed).
    expect(c.addr).toEqual([
      VIRTIO_HDR_IO_BASE + NUM,
      RX_IO_BASE,
      VIRTIO_HDR_IO_BASE + NUM + 2,
      RX_IO_BASE + BUF,
    ]);
    expect(c.len).toEqual([12, BUF, 12, BUF]); // 12-byte virtio_net_hdr_t (U10 fixed)
    const W = VIRTQ_DESC_F_WRITE;
    expect(c.flags).toEqual([VIRTQ_DESC_F_NEXT | W, W, VIRTQ_DESC_F_NEXT | W, W]);
    expect(c.next.slice(0, 3)).toEqual([1, 0, 3]);
    expect(r.s[d.rx.availIdx]).toBe(2);
    expect(words(r, d.rx.availRing, 2)).toEqual([0, 2]);
    expect(r.s[d.rx.waitKick]).toBe(0);
    expect(ialloc(r, 'rx')).toMatchObject({ size: 4, head: IALLOC_NONE, tail: IALLOC_NONE });
    expect(ialloc(r, 'tx')).toMatchObject({ size: 0, head: 0, tail: NUM - 1 });
    expect(r.len(r.cfg.drvRx.free)).toBe(0);
    expect(r.fails).toEqual([]);
    expect(virtioPostedBuffers((a) => r.s[a]!, d.rx, 0)).toEqual([RX_IO_BASE, RX_IO_BASE + BUF]);
  });

  it('stops at a full virtqueue (ialloc size = num) with buffers left, and does not re-check into a loop', () => {
    const { r, d } = virtio({ rxBuffers: 4 });
    const ran = r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(r.fails).toEqual([]);
    expect(r.s[d.rx.availIdx]).toBe(2);
    expect(r.len(r.cfg.drvRx.free)).toBe(2);
    expect(ran.filter((x) => x === 'rx_provide.process(RxF)')).toHaveLength(3);
    expect(ran.at(-1)).toBe('rx_provide.queue_notify(rx_virtq)');
  });

  it('with nothing to post asks for a signal and does not kick the device', () => {
    const { r, d } = virtio({ rxBuffers: 1 });
    r.drain(r.cfg.drvRx.free);
    r.s[d.rx.waitKick] = 1;
    const ran = r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(ran).toEqual([
      'rx_provide.process(RxF)',
      'rx_provide.request_signal(RxF)',
      'rx_provide.recheck(RxF)',
      'rx_provide.queue_notify(rx_virtq)',
    ]);
    expect(netRequireSignal(r.mem, r.cfg.drvRx.free, r.cfg.flavour)).toBe(true);
    expect(r.s[d.rx.waitKick]).toBe(1);
  });

  it('re-check: a buffer enqueued after request_signal is taken and the signal cancelled', () => {
    const { r, d } = virtio({ rxBuffers: 1 });
    const io = r.drain(r.cfg.drvRx.free)[0]!;
    const p = r.program('driver');
    const ctx = r.ctx('driver');
    expect(p.step(pcOf(r, 'rx_provide.process(RxF)'), ctx)).toBe(
      pcOf(r, 'rx_provide.request_signal(RxF)'),
    );
    expect(p.step(pcOf(r, 'rx_provide.request_signal(RxF)'), ctx)).toBe(
      pcOf(r, 'rx_provide.recheck(RxF)'),
    );
    r.enq(r.cfg.drvRx.free, io); // virt_rx returns a buffer now
    expect(p.step(pcOf(r, 'rx_provide.recheck(RxF)'), ctx)).toBe(
      pcOf(r, 'rx_provide.process(RxF)'),
    );
    expect(netRequireSignal(r.mem, r.cfg.drvRx.free, r.cfg.flavour)).toBe(false);
    expect(r.runFrom('driver', pcOf(r, 'rx_provide.process(RxF)'))).toContain(
      'rx_provide.queue_notify(rx_virtq)',
    );
    expect(r.s[d.rx.availIdx]).toBe(1);
  });

  it('no-rx-recheck (seeded): request_signal goes straight to the kick, missing that buffer', () => {
    const { r } = virtio({ rxBuffers: 1, scheduling: 2 }, 'no-rx-recheck');
    r.drain(r.cfg.drvRx.free);
    const ran = r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(ran).not.toContain('rx_provide.recheck(RxF)');
  });

  it('F5: rx_provide never writes QueueNotify, so a device waiting for a kick keeps waiting', () => {
    const { r, d } = virtio({}, 'F5');
    const posted = r.len(r.cfg.drvRx.free);
    r.s[d.rx.waitKick] = 1;
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(posted).toBeGreaterThan(0);
    expect(r.s[d.rx.availIdx]).toBe(posted);
    expect(r.s[d.rx.waitKick]).toBe(1);
  });

  it('an RxF entry outside the Rx DMA region is an address-domain violation', () => {
    const { r } = virtio({ rxBuffers: 1 });
    r.drain(r.cfg.drvRx.free);
    r.enq(r.cfg.drvRx.free, TX_IO_BASE);
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(r.fails.map((x) => x.property)).toEqual(['address-domain']);
  });

  it('ialloc: an index the device still owns is never written; an odd free count fails the alloc', () => {
    const { r } = virtio({ rxBuffers: 3 });
    const l = virtioQueueLocals(r.cfg, 'rx');
    const taken = r.drain(r.cfg.drvRx.free);
    r.enq(r.cfg.drvRx.free, taken[0]!);
    r.enq(r.cfg.drvRx.free, taken[1]!);
    r.notified('driver', DRIVER_CH_VIRT_RX); // chains 0→1, 2→3 are the device's
    // A corrupted allocator that believes 0 and 1 free again.
    r.setLocal('driver', l.iaSize, 2);
    r.setLocal('driver', l.iaHead, 0);
    r.setLocal('driver', l.iaTail, 1);
    r.setLocal('driver', l.iaList + 0, 1);
    r.setLocal('driver', l.iaList + 1, NUM);
    r.enq(r.cfg.drvRx.free, taken[2]!);
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(r.fails.map((x) => x.property)).toEqual(['hw-ownership', 'hw-ownership']);
    // One index left (size num − 1): the header gets it, the buffer's alloc fails (an assert).
    const v = virtio({ rxBuffers: 1 });
    const lv = virtioQueueLocals(v.r.cfg, 'rx');
    v.r.setLocal('driver', lv.iaSize, NUM - 1);
    v.r.setLocal('driver', lv.iaHead, 3);
    v.r.setLocal('driver', lv.iaTail, 3);
    for (let i = 0; i < 3; i++) v.r.setLocal('driver', lv.iaList + i, IALLOC_NONE);
    v.r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(v.r.fails).toEqual([
      { property: 'no-assert-failure', message: 'virtio rx_provide: ialloc_alloc failed' },
    ]);
    expect(v.r.s[v.d.rx.availIdx]).toBe(0);
  });

  it('ialloc: a corrupt allocator whose head is past idxlist (size < num) is our bug, not a write past it', () => {
    // Unreachable from ialloc_init (a free list of num − size indices below num); the guard keeps
    // idxlist[num], the tx queue's used_head among the locals, from being overwritten.
    const { r } = virtio({ rxBuffers: 1 });
    const l = virtioQueueLocals(r.cfg, 'rx');
    r.setLocal('driver', l.iaHead, NUM);
    let err: unknown = null;
    try {
      r.notified('driver', DRIVER_CH_VIRT_RX);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvariantError);
    expect((err as Error).message).toBe(`ialloc head ${NUM}`);
    expect(r.local('driver', virtioQueueLocals(r.cfg, 'tx').usedHead)).toBe(0);
  });
});

describe('virtio tx_provide (notified by virt_tx)', () => {
  it('posts each TxA buffer as a read-only chain with the default header and kicks the tx queue', () => {
    const { r, d } = virtio({ txBuffers: 2, clients: 2 });
    r.enq(r.cfg.drvTx.active, TX_IO_BASE);
    r.enq(r.cfg.drvTx.active, r.cfg.cliTxData[1]!.ioBase);
    r.s[d.tx.waitKick] = 1;
    const ran = r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(ran[0]).toBe('tx_provide.process(TxA)');
    const c = chains(r, d.tx);
    expect(c.addr).toEqual([
      VIRTIO_HDR_IO_BASE + 0,
      TX_IO_BASE,
      VIRTIO_HDR_IO_BASE + 2,
      r.cfg.cliTxData[1]!.ioBase,
    ]);
    expect(c.flags).toEqual([VIRTQ_DESC_F_NEXT, 0, VIRTQ_DESC_F_NEXT, 0]);
    expect(r.s[d.tx.availIdx]).toBe(2);
    expect(r.s[d.rx.availIdx]).toBe(0);
    expect(ialloc(r, 'tx').size).toBe(4);
    expect(ialloc(r, 'rx')).toMatchObject({ size: 0, head: 0 });
    expect(r.s[d.tx.waitKick]).toBe(0);
    expect(r.fails).toEqual([]);
  });

  it('nothing to send: request_signal on TxA, no kick', () => {
    const { r, d } = virtio();
    r.s[d.tx.waitKick] = 1;
    expect(r.notified('driver', DRIVER_CH_VIRT_TX)).toEqual([
      'tx_provide.process(TxA)',
      'tx_provide.request_signal(TxA)',
      'tx_provide.recheck(TxA)',
      'tx_provide.queue_notify(tx_virtq)',
    ]);
    expect(netRequireSignal(r.mem, r.cfg.drvTx.active, r.cfg.flavour)).toBe(true);
    expect(r.s[d.tx.waitKick]).toBe(1);
  });

  it('a full tx virtqueue with more to send stops (no loop through the re-check)', () => {
    const { r, d } = virtio({ txBuffers: 4 });
    clientSends(r, 3);
    r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(r.s[d.tx.availIdx]).toBe(2);
    expect(r.len(r.cfg.drvTx.active)).toBe(1);
  });

  it('re-check: a buffer enqueued after request_signal is sent; no-tx-recheck misses it', () => {
    const { r, d } = virtio();
    const p = r.program('driver');
    const ctx = r.ctx('driver');
    expect(p.step(pcOf(r, 'tx_provide.request_signal(TxA)'), ctx)).toBe(
      pcOf(r, 'tx_provide.recheck(TxA)'),
    );
    clientSends(r, 1);
    expect(p.step(pcOf(r, 'tx_provide.recheck(TxA)'), ctx)).toBe(
      pcOf(r, 'tx_provide.process(TxA)'),
    );
    expect(netRequireSignal(r.mem, r.cfg.drvTx.active, r.cfg.flavour)).toBe(false);
    r.runFrom('driver', pcOf(r, 'tx_provide.process(TxA)'));
    expect(r.s[d.tx.availIdx]).toBe(1);
    const seeded = virtio({ scheduling: 2 }, 'no-tx-recheck');
    const ran = seeded.r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(ran).toEqual([
      'tx_provide.process(TxA)',
      'tx_provide.request_signal(TxA)',
      'tx_provide.queue_notify(tx_virtq)',
    ]);
  });

  it('a TxA entry in no client Tx region is an address-domain violation; every client region is accepted', () => {
    const { r } = virtio({ clients: 2 });
    r.enq(r.cfg.drvTx.active, r.cfg.cliTxData[1]!.ioBase);
    r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(r.fails).toEqual([]);
    r.enq(r.cfg.drvTx.active, RX_IO_BASE);
    r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(r.fails.map((x) => x.property)).toEqual(['address-domain']);
  });
});

describe('virtio rx_return / tx_return and the IRQ (handle_irq)', () => {
  /** Buffers posted on rx and tx, then the device receives `rxN` frames and sends `txN`. */
  function traffic(rxN: number, txN: number, bounds: Record<string, number> = {}, bug?: string) {
    const { r, d } = virtio({ rxBuffers: 2, txBuffers: 2, ...bounds }, bug);
    r.notified('driver', DRIVER_CH_VIRT_RX);
    clientSends(r, 2);
    r.notified('driver', DRIVER_CH_VIRT_TX);
    receive(r, d, rxN);
    for (let i = 0; i < txN; i++) virtioNetTransmit(r.dev, d);
    r.calls.length = 0;
    return { r, d };
  }

  it('runs tx_return, tx_provide, rx_return in that order, then a deferred IRQ ack', () => {
    const { r, d } = traffic(2, 1);
    expect(r.s[d.isr]! & VIRTIO_IRQ_VQUEUE).toBe(VIRTIO_IRQ_VQUEUE);
    const ran = r.notified('driver', DRIVER_CH_IRQ);
    const order = ran.filter((x, i) => i === 0 || x.split('.')[0] !== ran[i - 1]!.split('.')[0]);
    expect(order.map((x) => x.split('.')[0])).toEqual([
      'irq',
      'tx_return',
      'tx_provide',
      'rx_return',
      'irq',
    ]);
    expect(ran.at(-1)).toBe('irq.deferred_irq_ack');
    expect(r.s[d.isr]! & VIRTIO_IRQ_VQUEUE).toBe(0); // acked first
    // The two received buffers to RxA in used order, the sent one back to TxF.
    expect(r.drain(r.cfg.drvRx.active)).toEqual([RX_IO_BASE, RX_IO_BASE + BUF]);
    expect(r.drain(r.cfg.drvTx.free)).toEqual([TX_IO_BASE]);
    expect(ialloc(r, 'rx')).toMatchObject({ usedHead: 2, size: 0 });
    expect(ialloc(r, 'tx')).toMatchObject({ usedHead: 1, size: 2 });
    expect(r.fails).toEqual([]);
    // Both consumers start wanting a signal (the state init leaves): tx first, then rx.
    expect(r.calls).toEqual([
      `notify ${DRIVER_CH_VIRT_TX}`,
      `notify ${DRIVER_CH_VIRT_RX}`,
      'deferred_irq_ack 0',
    ]);
  });

  it('tx_return hands back every transmitted chain in used order (chain 0 → 1, then 2 → 3)', () => {
    const { r } = traffic(0, 2);
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.drain(r.cfg.drvTx.free)).toEqual([TX_IO_BASE, TX_IO_BASE + BUF]);
    expect(ialloc(r, 'tx')).toMatchObject({ usedHead: 2, size: 0 });
    expect(r.fails).toEqual([]);
  });

  it('frees both descriptors of a returned chain to the tail of the free list, in order', () => {
    const { r } = traffic(1, 0);
    r.notified('driver', DRIVER_CH_IRQ);
    // All four were taken (head/tail none); freeing 0 then 1 makes 0 → 1 the list.
    expect(ialloc(r, 'rx')).toMatchObject({ head: 0, tail: 1, size: 2 });
    expect(ialloc(r, 'rx').list.slice(0, 2)).toEqual([1, NUM]);
    // The next rx_provide reuses chain 0 → 1 for the buffer just returned.
    r.enq(r.cfg.drvRx.free, RX_IO_BASE);
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(r.fails).toEqual([]);
  });

  it('notifies virt_rx / virt_tx after a return only when something came back and they asked', () => {
    const { r } = traffic(1, 1);
    netRequestSignal(r.mem, r.cfg.drvRx.active, r.cfg.flavour);
    netRequestSignal(r.mem, r.cfg.drvTx.free, r.cfg.flavour);
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.calls).toEqual([
      `notify ${DRIVER_CH_VIRT_TX}`,
      `notify ${DRIVER_CH_VIRT_RX}`,
      'deferred_irq_ack 0',
    ]);
    // Nothing came back: no notify, though both still ask.
    const q = traffic(0, 0);
    netRequestSignal(q.r.mem, q.r.cfg.drvRx.active, q.r.cfg.flavour);
    netRequestSignal(q.r.mem, q.r.cfg.drvTx.free, q.r.cfg.flavour);
    q.r.s[q.d.isr] = VIRTIO_IRQ_VQUEUE;
    q.r.notified('driver', DRIVER_CH_IRQ);
    expect(q.r.calls).toEqual(['deferred_irq_ack 0']);
  });

  it('an interrupt without the used-buffer bit only acks the IRQ', () => {
    const { r, d } = traffic(1, 0);
    r.s[d.isr] = 0;
    expect(r.notified('driver', DRIVER_CH_IRQ)).toEqual(['irq.isr', 'irq.deferred_irq_ack']);
    expect(r.len(r.cfg.drvRx.active)).toBe(0);
  });

  it('F4: the IRQ path skips tx_provide, so a packet queued meanwhile waits', () => {
    const { r } = traffic(0, 1, { virtqNum: NUM }, 'F4');
    r.enq(r.cfg.drvTx.active, TX_IO_BASE + BUF);
    const waiting = r.len(r.cfg.drvTx.active);
    const ran = r.notified('driver', DRIVER_CH_IRQ);
    expect(ran.some((x) => x.startsWith('tx_provide'))).toBe(false);
    expect(ran.filter((x) => x === 'rx_return.notify_if(RxA)')).toHaveLength(1);
    expect(ran.filter((x) => x === 'tx_return.notify_if(TxF)')).toHaveLength(1);
    expect(r.len(r.cfg.drvTx.active)).toBe(waiting);
    const fixed = traffic(0, 1);
    fixed.r.enq(fixed.r.cfg.drvTx.active, TX_IO_BASE + BUF);
    const before = fixed.r.len(fixed.r.cfg.drvTx.active);
    fixed.r.notified('driver', DRIVER_CH_IRQ);
    expect(fixed.r.len(fixed.r.cfg.drvTx.active)).toBe(before - 1);
  });

  it('a used length not above the 12-byte header is an assert on rx only', () => {
    const { r, d } = traffic(2, 1);
    r.s[d.rx.usedLen + 0] = 12;
    r.s[d.rx.usedLen + 1] = 13;
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.fails).toEqual([
      {
        property: 'no-assert-failure',
        message: 'rx_return: used len 12 ≤ sizeof(virtio_net_hdr_t)',
      },
    ]);
  });

  it('a used head out of range or without NEXT is an assert, and the walk goes on to the next element', () => {
    const { r, d } = traffic(2, 0);
    r.s[d.rx.usedId + 0] = NUM; // out of range
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.fails).toEqual([
      { property: 'no-assert-failure', message: `rx_return: descriptor ${NUM} has no NEXT` },
    ]);
    expect(r.drain(r.cfg.drvRx.active)).toEqual([RX_IO_BASE + BUF]); // chain 2 → 3
    expect(ialloc(r, 'rx').usedHead).toBe(2);
    const b = traffic(1, 0);
    b.r.s[b.d.rx.descFlags + 0] = VIRTQ_DESC_F_WRITE; // head 0 lost its NEXT
    b.r.notified('driver', DRIVER_CH_IRQ);
    expect(b.r.fails.map((x) => x.message)).toEqual(['rx_return: descriptor 0 has no NEXT']);
  });

  it('a chain returned twice frees free indices: two asserts, the buffer enqueued twice', () => {
    const { r, d } = traffic(0, 1);
    // The device writes the used element of chain 0 a second time.
    r.s[d.tx.usedId + 1] = 0;
    r.s[d.tx.usedIdx] = 2;
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.fails.map((x) => x.message)).toEqual([
      'tx_return: ialloc_free(0) of a free index',
      'tx_return: ialloc_free(1) of a free index',
    ]);
    // A buffer descriptor index past num is never "in use".
    const e = traffic(0, 1);
    e.r.s[e.d.tx.descNext + 0] = NUM;
    e.r.s[e.d.tx.descAddr + 1] = TX_IO_BASE;
    e.r.notified('driver', DRIVER_CH_IRQ);
    expect(e.r.fails.map((x) => x.message)).toEqual([
      `tx_return: ialloc_free(${NUM}) of a free index`,
    ]);
  });

  it('walks the used ring across the u16 wrap (used_head 65535 → 0)', () => {
    const { r } = traffic(2, 1, { virtqBase: 0xffff });
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.fails).toEqual([]);
    expect(r.drain(r.cfg.drvRx.active)).toEqual([RX_IO_BASE, RX_IO_BASE + BUF]);
    expect(ialloc(r, 'rx').usedHead).toBe(1);
    expect(ialloc(r, 'tx').usedHead).toBe(0);
  });

  it("the fixed walk keeps no loop counter: after handle_irq the words of F19's i and curr_idx stay 0", () => {
    // The refinement checker compares every local after a handler with the implementation's view,
    // which has no such counter; F19's size_t i and curr_idx live in locals 3 and 4.
    const handlerWords = (r: NetRig) => [0, 1, 2, 3, 4].map((i) => r.local('driver', i));
    const fixed = traffic(2, 1, { virtqBase: 5 });
    fixed.r.notified('driver', DRIVER_CH_IRQ);
    expect(ialloc(fixed.r, 'rx').usedHead).toBe(7);
    expect(handlerWords(fixed.r)).toEqual([0, 0, 0, 0, 0]);
    // F19 leaves rx_return's i = curr_idx = used.idx = 7 behind.
    const old = traffic(2, 1, { virtqBase: 5 }, 'F19');
    old.r.notified('driver', DRIVER_CH_IRQ);
    expect(handlerWords(old.r)).toEqual([0, 0, 0, 7, 7]);
  });

  it('F19: the wider counter returns what the fixed walk returns away from the wrap', () => {
    const { r } = traffic(2, 1, { virtqBase: 5 }, 'F19');
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.fails).toEqual([]);
    expect(r.drain(r.cfg.drvRx.active)).toEqual([RX_IO_BASE, RX_IO_BASE + BUF]);
    expect(r.drain(r.cfg.drvTx.free)).toEqual([TX_IO_BASE]);
    expect(ialloc(r, 'rx').usedHead).toBe(7);
    expect(ialloc(r, 'tx').usedHead).toBe(6);
    // Each queue's walk starts at its own used_head: rx has two more, tx one more.
    r.enq(r.cfg.drvRx.free, RX_IO_BASE);
    r.notified('driver', DRIVER_CH_VIRT_RX);
    receive(r, r.cfg.hw.kind === 'virtio' ? r.cfg.hw.dev : (null as never), 1);
    r.notified('driver', DRIVER_CH_IRQ);
    expect(r.fails).toEqual([]);
    expect(r.drain(r.cfg.drvRx.active)).toEqual([RX_IO_BASE]);
    expect(r.drain(r.cfg.drvTx.free)).toEqual([]);
  });

  it('F19: across the u16 wrap the counter never meets used.idx and walks stale elements', () => {
    const { r } = traffic(2, 0, { virtqBase: 0xffff }, 'F19');
    const p = r.program('driver');
    r.runFrom('driver', p.entry(DRIVER_CH_IRQ), 40);
    // Past the two real elements it returns a stale one: a chain freed a moment ago.
    expect(r.fails.map((x) => x.message)).toContain('rx_return: ialloc_free(0) of a free index');
  });
});

describe('virtio init (eth_setup) and the entry points', () => {
  it('negotiates MAC and VERSION_1 as masks, sets up both queues, DRIVER_OK, then acks the IRQ', () => {
    const { r, d } = virtio({ boot: 1 });
    const ran = r.init('driver');
    expect(ran[0]).toBe('init.reset');
    expect(ran.at(-1)).toBe('init.irq_ack');
    expect(r.s[d.driverFeatures0]).toBe(1 << 5);
    expect(r.s[d.driverFeatures1]).toBe(1); // VERSION_1 is bit 32: bit 0 of page 1
    // Each status write is a plain write of one bit, as the C does; the last is DRIVER_OK.
    expect(r.s[d.status]).toBe(VIRTIO_STATUS_DRIVER_OK);
    expect([r.s[d.rx.ready], r.s[d.tx.ready]]).toEqual([1, 1]);
    expect(r.fails).toEqual([]);
    expect(r.calls).toEqual(['irq_ack 0']);
    // The allocator as ialloc_init leaves it, the same words the model starts from after init.
    const l = r.program('driver').localWords;
    const locals = Array.from({ length: l }, (_, i) => r.local('driver', i));
    expect(locals).toEqual(virtioInitialLocals(r.cfg, 0));
    expect(ran).toContain('rx_provide.process(RxF)');
    expect(ran).toContain('tx_provide.process(TxA)');
  });

  it('U10: the bit numbers written as masks; a strict device refuses FEATURES_OK and the driver stops', () => {
    const { r, d } = virtio({ boot: 1 }, 'U10');
    const ran = r.init('driver');
    expect(r.s[d.driverFeatures0]).toBe(5);
    expect(r.s[d.driverFeatures1]).toBe(32);
    expect(r.fails.map((x) => x.property)).toEqual(['device-init']);
    expect(ran).toEqual(['init.reset', 'init.driver_features', 'init.features_ok', 'init.irq_ack']);
    expect(r.s[d.rx.ready]).toBe(0);
  });

  it('U10 on a device that accepts the legacy negotiation: 10-byte headers in the Rx chains', () => {
    const { r, d } = virtio({ boot: 1, virtioStrict: 0 }, 'U10');
    r.init('driver');
    expect(r.fails).toEqual([]);
    r.enq(r.cfg.drvRx.free, RX_IO_BASE);
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(r.s[d.rx.descLen + 0]).toBe(10);
  });

  it('virtioInitialLocals: ialloc_init of both queues (idxlist[i] = i + 1), used_head given, nothing else', () => {
    const { r } = virtio();
    const out = virtioInitialLocals(r.cfg, 7);
    const want = new Array<number>(r.program('driver').localWords).fill(0);
    for (const q of ['rx', 'tx'] as const) {
      const l = virtioQueueLocals(r.cfg, q);
      want[l.usedHead] = 7;
      want[l.iaTail] = NUM - 1;
      for (let i = 0; i < NUM; i++) want[l.iaList + i] = i + 1;
    }
    expect(out).toEqual(want);
    const rx = virtioQueueLocals(r.cfg, 'rx');
    const tx = virtioQueueLocals(r.cfg, 'tx');
    const all = [rx, tx].flatMap((l) => [
      l.usedHead,
      l.iaHead,
      l.iaTail,
      l.iaSize,
      ...Array.from({ length: NUM }, (_, i) => l.iaList + i),
    ]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('channels: IRQ → handle_irq, virt_rx → rx_provide, virt_tx → tx_provide; any other is a bug', () => {
    const { r } = virtio();
    const p = r.program('driver');
    expect(p.steps[p.entry(DRIVER_CH_IRQ)]).toBe('irq.isr');
    expect(p.steps[p.entry(DRIVER_CH_VIRT_RX)]).toBe('rx_provide.process(RxF)');
    expect(p.steps[p.entry(DRIVER_CH_VIRT_TX)]).toBe('tx_provide.process(TxA)');
    expect(() => p.entry(5)).toThrow(/unknown channel 5/);
    // The virtio driver drives a virtio-net device and nothing else.
    const enetCfg = netRig({ clients: 1 }).cfg;
    expect(() => netVirtioDriver(enetCfg)).toThrow(/needs a virtio-net device/);
    expect(() => p.step(99, r.ctx('driver'))).toThrow(/bad pc 99/);
  });
});

describe('virtio header slots and the posted buffers', () => {
  it('U11: Rx headers start num/2 slots in, so Rx chain 0 shares its header with Tx chain 2', () => {
    const { r, d } = virtio({ rxBuffers: 1, txBuffers: 2, sends: 2, virtqNum: NUM }, 'U11');
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(r.s[d.rx.descAddr + 0]).toBe(VIRTIO_HDR_IO_BASE + NUM / 2);
    clientSends(r, 2);
    r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(r.s[d.tx.descAddr + 2]).toBe(VIRTIO_HDR_IO_BASE + 2);
  });

  it('virtioPostedBuffers: the buffers of chains published from used_head up to avail.idx, skipping bad heads', () => {
    const { r, d } = virtio({ rxBuffers: 2, txBuffers: 2 });
    const read = (a: number) => r.s[a]!;
    expect(virtioPostedBuffers(read, d.rx, 0)).toEqual([]);
    r.notified('driver', DRIVER_CH_VIRT_RX);
    expect(virtioPostedBuffers(read, d.rx, 1)).toEqual([RX_IO_BASE + BUF]);
    clientSends(r, 2);
    r.notified('driver', DRIVER_CH_VIRT_TX);
    expect(virtioPostedBuffers(read, d.tx, 0)).toEqual([TX_IO_BASE, TX_IO_BASE + BUF]);
    expect(virtioPostedBuffers(read, d.tx, 1)).toEqual([TX_IO_BASE + BUF]);
    r.s[d.rx.availRing + 1] = NUM; // a head the driver never wrote
    expect(virtioPostedBuffers(read, d.rx, 0)).toEqual([RX_IO_BASE]);
  });
});
