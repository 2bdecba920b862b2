// The virtio-net driver (reference sddf-protocols.md §2.2, §3.2 "virtio-net driver";
// drivers/network/virtio/common/ethernet.c at au-ts/sddf 650ace5d) over the device of
// spec/devices/virtio-net.ts: the same four functions as the ENET driver, rx_provide, rx_return,
// tx_provide, tx_return, with the HW ring replaced by split virtqueues. Each packet uses two
// descriptors from an `ialloc` index allocator (include/sddf/util/ialloc.h, modelled exactly:
// a free list through `idxlist`, `head`, `tail`, `size`); "HW full" is `ialloc.size >= num`; the
// return paths walk a private u16 `used_head` up to `used->idx`. The IRQ path (`handle_irq`) reads
// InterruptStatus, acks it, then runs tx_return(); tx_provide(); rx_return(). Step names follow the
// C functions (impl/drivers/net/virtio.ts is held to them by refinement).
//
// Where this spec deliberately differs from upstream HEAD (each difference is a catalogue variant
// that restores the upstream code, proofs/models/net-pipeline/bounds.ts):
//   U10 fixed: features are written as masks (`1 << VIRTIO_NET_F_MAC` in page 0,
//       `1 << (VIRTIO_F_VERSION_1 - 32)` in page 1), so VERSION_1 is negotiated, and the header is
//       the 12-byte `virtio_net_hdr_t` with `num_buffers` that VERSION_1 implies (§5.1.6).
//   U11 fixed: the Tx and Rx header regions are sized for `num` headers each (they are indexed by
//       descriptor index, up to num − 1), so they neither overlap nor overrun.
// Other switches: F4 (IRQ path without tx_provide, before 7b9e09ce), F5 (rx_provide never writes
// QueueNotify, before ef74b2af), F19 (the used index tracked in a wider integer, before f6dd6347),
// and the seeded `no-rx-recheck` / `no-tx-recheck`.
import { assert } from '../../common/assert.ts';
import {
  VIRTIO_F_VERSION_1,
  VIRTIO_IRQ_VQUEUE,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_HDR_BYTES,
  VIRTIO_NET_HDR_LEGACY_BYTES,
  VIRTIO_NET_RX_QUEUE,
  VIRTIO_NET_TX_QUEUE,
  VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DRIVER,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FEATURES_OK,
  virtioNetAckInterrupt,
  virtioNetChainOwned,
  virtioNetHdrIo,
  virtioNetPublish,
  virtioNetQueueNotify,
  virtioNetUsedAt,
  virtioNetWriteChain,
  virtioNetWriteDriverFeatures,
  virtioNetWriteStatus,
  type VirtioNetDev,
  type VirtqRef,
} from '../../devices/virtio-net.ts';
import { VIRTQ_DESC_F_NEXT } from '../../devices/virtio-queue.ts';
import { U16, U32 } from '../../queue/arith.ts';
import {
  NET_BUFFER_SIZE_BYTES,
  netCancelSignal,
  netDequeue,
  netEmpty,
  netRequestSignal,
} from '../../queue/net.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from '../program.ts';
import { mustEnqueue, netIoIn, notifyIf, type NetConfig } from './config.ts';
import { DRIVER_CH_IRQ, DRIVER_CH_VIRT_RX, DRIVER_CH_VIRT_TX } from './driver.ts';

/** `ialloc_t` "no index": the C's `-1` in a `uint32_t`. */
const IALLOC_NONE = 0xffff_ffff;

/** Where one queue's driver state lives among the locals. */
interface QueueLocals {
  readonly usedHead: number;
  readonly iaHead: number;
  readonly iaTail: number;
  readonly iaSize: number;
  /** `idxlist[num]`. */
  readonly iaList: number;
}

function queueLocals(base: number): QueueLocals {
  return { usedHead: base, iaHead: base + 1, iaTail: base + 2, iaSize: base + 3, iaList: base + 4 };
}

const VL_TRANSFERRED = 0;
const VL_RET = 1;
const VL_STAGE = 2;
/** F19: the wider loop counter `i` and `curr_idx` of a return function. */
const VL_I = 3;
const VL_CURR = 4;
const VL_QUEUES = 5;
const RET_NOTIFIED = 0;
const RET_IRQ = 1;
const RET_INIT = 2;

const R1_P = 1;
const R1_A = 2;
const R1_R = 3;
const R1_N = 4;
const R2_P = 5;
const R2_N = 6;
const T1_P = 7;
const T1_A = 8;
const T1_R = 9;
const T1_N = 10;
const T2_P = 11;
const T2_N = 12;
const I_ISR = 13;
const I_ACK = 14;
const S_RESET = 15;
const S_FEATURES = 16;
const S_FEATURES_OK = 17;
const S_QUEUES = 18;
const S_DRIVER_OK = 19;
const S_IRQ_ACK = 20;

/** The virtio-net device of a NetConfig (this driver drives nothing else). */
export function virtioOf(c: NetConfig): VirtioNetDev {
  assert(c.hw.kind === 'virtio', 'the virtio-net driver needs a virtio-net device');
  return c.hw.dev;
}

/** `sizeof(virtio_net_hdr_t)` the driver uses: 12 bytes (U10 fixed), 10 at HEAD. */
export function virtioDriverHdrBytes(c: NetConfig): number {
  return c.bug === 'U10' ? VIRTIO_NET_HDR_LEGACY_BYTES : VIRTIO_NET_HDR_BYTES;
}

/**
 * The header slot of descriptor `hdrIdx` (one slot = one header): Tx headers from slot 0, Rx
 * headers after the Tx region, which is sized for `num` headers (U11 fixed) or `num / 2` (HEAD).
 */
export function virtioHdrSlot(c: NetConfig, queue: 'rx' | 'tx', hdrIdx: number): number {
  const d = virtioOf(c);
  const txRegion = c.bug === 'U11' ? d.tx.num / 2 : d.tx.num;
  return queue === 'tx' ? hdrIdx : txRegion + hdrIdx;
}

/** The driver's locals of `queue`. */
export function virtioQueueLocals(c: NetConfig, queue: 'rx' | 'tx'): QueueLocals {
  const d = virtioOf(c);
  return queueLocals(queue === 'rx' ? VL_QUEUES : VL_QUEUES + 4 + d.rx.num);
}

/**
 * The driver's locals in the state `init()` leaves: `ialloc_init` of both queues (idxlist[i] =
 * i + 1, head 0, tail num − 1) and `used_head` at the queues' starting index.
 */
export function virtioInitialLocals(c: NetConfig, usedHead: number): number[] {
  const d = virtioOf(c);
  const out = new Array<number>(virtioLocalWords(c)).fill(0);
  for (const [q, ref] of [
    ['rx', d.rx],
    ['tx', d.tx],
  ] as const) {
    const l = virtioQueueLocals(c, q);
    out[l.usedHead] = usedHead;
    out[l.iaHead] = 0;
    out[l.iaTail] = ref.num - 1;
    for (let i = 0; i < ref.num; i++) out[l.iaList + i] = i + 1;
  }
  return out;
}

function virtioLocalWords(c: NetConfig): number {
  const d = virtioOf(c);
  return VL_QUEUES + 8 + d.rx.num + d.tx.num;
}

export function netVirtioDriver(c: NetConfig): ComponentProgram {
  const f = c.flavour;
  const d = virtioOf(c);
  const hdrBytes = virtioDriverHdrBytes(c);
  const rxL = virtioQueueLocals(c, 'rx');
  const txL = virtioQueueLocals(c, 'tx');

  // ialloc.h, over the locals of one queue.
  const iaInUse = (ctx: PdContext, l: QueueLocals, num: number, id: number) =>
    id < num && ctx.local(l.iaList + id) === IALLOC_NONE;
  const iaAlloc = (ctx: PdContext, l: QueueLocals, num: number): number | null => {
    if (ctx.local(l.iaSize) === num) return null;
    const id = ctx.local(l.iaHead);
    assert(id < num, () => `ialloc head ${id}`);
    if (ctx.local(l.iaHead) === ctx.local(l.iaTail)) {
      ctx.setLocal(l.iaHead, IALLOC_NONE);
      ctx.setLocal(l.iaTail, IALLOC_NONE);
    } else {
      ctx.setLocal(l.iaHead, ctx.local(l.iaList + id));
    }
    ctx.setLocal(l.iaList + id, IALLOC_NONE);
    ctx.setLocal(l.iaSize, ctx.local(l.iaSize) + 1);
    return id;
  };
  const iaFree = (ctx: PdContext, l: QueueLocals, num: number, id: number): boolean => {
    if (!iaInUse(ctx, l, num, id)) return false;
    if (ctx.local(l.iaSize) === num) {
      ctx.setLocal(l.iaHead, id);
      ctx.setLocal(l.iaTail, id);
    } else {
      ctx.setLocal(l.iaList + ctx.local(l.iaTail), id);
      ctx.setLocal(l.iaTail, id);
    }
    ctx.setLocal(l.iaList + id, num);
    ctx.setLocal(l.iaSize, ctx.local(l.iaSize) - 1);
    return true;
  };
  const iaInit = (ctx: PdContext, l: QueueLocals, num: number) => {
    ctx.setLocal(l.iaHead, 0);
    ctx.setLocal(l.iaTail, num - 1);
    ctx.setLocal(l.iaSize, 0);
    for (let i = 0; i < num; i++) ctx.setLocal(l.iaList + i, i + 1);
  };
  // virtio_avail_full: `ialloc->size >= virtq->num`.
  const availFull = (ctx: PdContext, l: QueueLocals, q: VirtqRef) => ctx.local(l.iaSize) >= q.num;

  // One packet into a queue: dequeue, two descriptors, the chain, publish (rx_/tx_provide body).
  const provideOne = (ctx: PdContext, queue: 'rx' | 'tx', io: number): void => {
    const q = queue === 'rx' ? d.rx : d.tx;
    const l = queue === 'rx' ? rxL : txL;
    const hdr = iaAlloc(ctx, l, q.num);
    const buf = iaAlloc(ctx, l, q.num);
    if (hdr === null || buf === null) {
      ctx.fail('no-assert-failure', `virtio ${queue}_provide: ialloc_alloc failed`);
      return;
    }
    // Descriptor ownership (§5.1): the driver writes only descriptors the device does not own.
    for (const desc of [hdr, buf]) {
      if (virtioNetChainOwned(ctx.dev, q, desc))
        ctx.fail('hw-ownership', `driver: ${q.name} descriptor ${desc} is still the device's`);
    }
    virtioNetWriteChain(ctx.dev, d, q, {
      hdr,
      buf,
      hdrIo: virtioNetHdrIo(d, virtioHdrSlot(c, queue, hdr)),
      hdrBytes,
      bufIo: io,
      bufBytes: NET_BUFFER_SIZE_BYTES,
      writable: queue === 'rx',
    });
    virtioNetPublish(ctx.dev, q, hdr); // ring[idx % num] = hdr; wwmb(); idx++
    ctx.setLocal(VL_TRANSFERRED, 1);
  };

  // One used element back (rx_/tx_return body); false at the end of the loop.
  const returnOne = (ctx: PdContext, queue: 'rx' | 'tx'): boolean => {
    const q = queue === 'rx' ? d.rx : d.tx;
    const l = queue === 'rx' ? rxL : txL;
    const usedIdx = ctx.dev.read(q.usedIdx);
    let index: number;
    if (c.bug === 'F19') {
      // Before f6dd6347: `size_t i = last_seen_used; size_t curr_idx = used->idx; while (i !=
      // curr_idx) { ... i++; } last_seen_used = curr_idx;` — i does not wrap at 2^16.
      if (ctx.local(VL_I) === ctx.local(VL_CURR)) {
        ctx.setLocal(l.usedHead, ctx.local(VL_CURR) & 0xffff);
        return false;
      }
      index = ctx.local(VL_I) & 0xffff; // `i % num` of a wider i is `(i mod 2^16) % num` here
      ctx.setLocal(VL_I, U32.add(ctx.local(VL_I), 1));
    } else {
      if (ctx.local(l.usedHead) === usedIdx) return false;
      index = ctx.local(l.usedHead);
      ctx.setLocal(l.usedHead, U16.add(index, 1));
    }
    const { id: hdr, len } = virtioNetUsedAt(ctx.dev, q, index); // after rrmb()
    if (queue === 'rx' && len <= hdrBytes)
      ctx.fail('no-assert-failure', `rx_return: used len ${len} ≤ sizeof(virtio_net_hdr_t)`);
    if (hdr >= q.num || (ctx.dev.read(q.descFlags + hdr) & VIRTQ_DESC_F_NEXT) === 0) {
      ctx.fail('no-assert-failure', `${queue}_return: descriptor ${hdr} has no NEXT`);
      return true;
    }
    const buf = ctx.dev.read(q.descNext + hdr);
    const io = ctx.dev.read(q.descAddr + buf);
    mustEnqueue(ctx, f, queue === 'rx' ? c.drvRx.active : c.drvTx.free, io);
    if (!iaFree(ctx, l, q.num, hdr))
      ctx.fail('no-assert-failure', `${queue}_return: ialloc_free(${hdr}) of a free index`);
    if (!iaFree(ctx, l, q.num, buf))
      ctx.fail('no-assert-failure', `${queue}_return: ialloc_free(${buf}) of a free index`);
    ctx.setLocal(VL_TRANSFERRED, 1);
    return true;
  };
  const startReturn = (ctx: PdContext, queue: 'rx' | 'tx'): void => {
    if (c.bug !== 'F19') return;
    const q = queue === 'rx' ? d.rx : d.tx;
    const l = queue === 'rx' ? rxL : txL;
    ctx.setLocal(VL_I, ctx.local(l.usedHead));
    ctx.setLocal(VL_CURR, ctx.dev.read(q.usedIdx));
  };

  // handle_irq: tx_return(); tx_provide(); rx_return() (F4: without tx_provide).
  const irqNext = (ctx: PdContext): number => {
    for (let stage = ctx.local(VL_STAGE); stage < 3; stage++) {
      ctx.setLocal(VL_STAGE, stage + 1);
      if (stage === 0) {
        startReturn(ctx, 'tx');
        return T2_P;
      }
      if (stage === 1 && c.bug !== 'F4') return T1_P;
      if (stage === 2) {
        startReturn(ctx, 'rx');
        return R2_P;
      }
    }
    ctx.setLocal(VL_RET, RET_NOTIFIED);
    ctx.setLocal(VL_STAGE, 0);
    return I_ACK;
  };
  // init(): eth_setup() = ... rx_provide(); tx_provide(); queue setup; DRIVER_OK; then irq ack.
  const initNext = (ctx: PdContext): number => {
    const stage = ctx.local(VL_STAGE);
    ctx.setLocal(VL_STAGE, stage + 1);
    if (stage === 0) return T1_P;
    ctx.setLocal(VL_RET, RET_NOTIFIED);
    ctx.setLocal(VL_STAGE, 0);
    return S_QUEUES;
  };
  const ret = (ctx: PdContext): number => {
    switch (ctx.local(VL_RET)) {
      case RET_IRQ:
        return irqNext(ctx);
      case RET_INIT:
        return initNext(ctx);
      default:
        return PC_DONE;
    }
  };

  return {
    name: 'driver',
    steps: [
      '',
      'rx_provide.process(RxF)',
      'rx_provide.request_signal(RxF)',
      'rx_provide.recheck(RxF)',
      'rx_provide.queue_notify(rx_virtq)',
      'rx_return.process(RxA)',
      'rx_return.notify_if(RxA)',
      'tx_provide.process(TxA)',
      'tx_provide.request_signal(TxA)',
      'tx_provide.recheck(TxA)',
      'tx_provide.queue_notify(tx_virtq)',
      'tx_return.process(TxF)',
      'tx_return.notify_if(TxF)',
      'irq.isr',
      'irq.deferred_irq_ack',
      'init.reset',
      'init.driver_features',
      'init.features_ok',
      'init.queue_setup',
      'init.driver_ok',
      'init.irq_ack',
    ],
    localWords: virtioLocalWords(c),
    initPc: c.boot ? S_RESET : PC_DONE,
    entry: (ch) => {
      if (ch === DRIVER_CH_IRQ) return I_ISR;
      if (ch === DRIVER_CH_VIRT_RX) return R1_P;
      assert(ch === DRIVER_CH_VIRT_TX, `virtio driver: unknown channel ${ch}`);
      return T1_P;
    },
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case S_RESET:
          // Reset, then ACKNOWLEDGE, then DRIVER (each a plain Status write, as the C does).
          virtioNetWriteStatus(ctx.dev, d, 0);
          virtioNetWriteStatus(ctx.dev, d, VIRTIO_STATUS_ACKNOWLEDGE);
          virtioNetWriteStatus(ctx.dev, d, VIRTIO_STATUS_DRIVER);
          return S_FEATURES;
        case S_FEATURES:
          if (c.bug === 'U10') {
            // HEAD: `set_driver_features(0, VIRTIO_NET_F_MAC)` and `(1, VIRTIO_F_VERSION_1)`: the
            // bit numbers 5 and 32 written as masks (bits 0 and 2 of page 0, bit 5 of page 1).
            virtioNetWriteDriverFeatures(ctx.dev, d, 0, VIRTIO_NET_F_MAC);
            virtioNetWriteDriverFeatures(ctx.dev, d, 1, VIRTIO_F_VERSION_1);
          } else {
            virtioNetWriteDriverFeatures(ctx.dev, d, 0, 1 << VIRTIO_NET_F_MAC);
            virtioNetWriteDriverFeatures(ctx.dev, d, 1, 1 << (VIRTIO_F_VERSION_1 - 32));
          }
          return S_FEATURES_OK;
        case S_FEATURES_OK: {
          virtioNetWriteStatus(ctx.dev, d, VIRTIO_STATUS_FEATURES_OK);
          if ((ctx.dev.read(d.status) & VIRTIO_STATUS_FEATURES_OK) === 0) {
            // `LOG_DRIVER_ERR("device status features is not OK!\n"); return;` from eth_setup:
            // no queue is set up, the device never runs.
            ctx.fail('device-init', 'virtio driver: the device refused FEATURES_OK');
            return S_IRQ_ACK;
          }
          iaInit(ctx, rxL, d.rx.num);
          iaInit(ctx, txL, d.tx.num);
          ctx.setLocal(VL_RET, RET_INIT);
          ctx.setLocal(VL_STAGE, 0);
          return R1_P;
        }
        case S_QUEUES:
          ctx.dev.write(d.rx.ready, 1);
          ctx.dev.write(d.tx.ready, 1);
          return S_DRIVER_OK;
        case S_DRIVER_OK:
          virtioNetWriteStatus(ctx.dev, d, VIRTIO_STATUS_DRIVER_OK);
          virtioNetAckInterrupt(ctx.dev, d, VIRTIO_IRQ_VQUEUE);
          return S_IRQ_ACK;
        case S_IRQ_ACK:
          ctx.irqAck(DRIVER_CH_IRQ); // sddf_irq_ack(irq) at the end of init()
          return PC_DONE;
        case R1_P: {
          if (availFull(ctx, rxL, d.rx) || netEmpty(mem, c.drvRx.free, f)) return R1_A;
          const io = netDequeue(mem, c.drvRx.free, f)!;
          if (!netIoIn(io, c.rxDma))
            ctx.fail('address-domain', `driver: RxF holds ${io}, not an Rx DMA IO address`);
          provideOne(ctx, 'rx', io);
          return R1_P;
        }
        case R1_A:
          netRequestSignal(mem, c.drvRx.free, f);
          return c.bug === 'no-rx-recheck' ? R1_N : R1_R;
        case R1_R:
          if (!netEmpty(mem, c.drvRx.free, f) && !availFull(ctx, rxL, d.rx)) {
            netCancelSignal(mem, c.drvRx.free);
            return R1_P;
          }
          return R1_N;
        case R1_N:
          // ef74b2af: `if (transferred) virtio_transport_queue_notify(RX)`; F5: never.
          if (ctx.local(VL_TRANSFERRED) === 1 && c.bug !== 'F5')
            virtioNetQueueNotify(ctx.dev, d, VIRTIO_NET_RX_QUEUE);
          ctx.setLocal(VL_TRANSFERRED, 0);
          return ret(ctx);
        case R2_P:
          return returnOne(ctx, 'rx') ? R2_P : R2_N;
        case R2_N:
          notifyIf(ctx, {
            f,
            q: c.drvRx.active,
            work: ctx.local(VL_TRANSFERRED) === 1,
            ch: DRIVER_CH_VIRT_RX,
            deferred: false,
          });
          ctx.setLocal(VL_TRANSFERRED, 0);
          return ret(ctx);
        case T1_P: {
          if (availFull(ctx, txL, d.tx) || netEmpty(mem, c.drvTx.active, f)) return T1_A;
          const io = netDequeue(mem, c.drvTx.active, f)!;
          if (!c.cliTxData.some((r) => netIoIn(io, r)))
            ctx.fail('address-domain', `driver: TxA holds ${io}, not a client Tx IO address`);
          provideOne(ctx, 'tx', io);
          return T1_P;
        }
        case T1_A:
          netRequestSignal(mem, c.drvTx.active, f);
          return c.bug === 'no-tx-recheck' ? T1_N : T1_R;
        case T1_R:
          if (!availFull(ctx, txL, d.tx) && !netEmpty(mem, c.drvTx.active, f)) {
            netCancelSignal(mem, c.drvTx.active);
            return T1_P;
          }
          return T1_N;
        case T1_N:
          // af8817c0: notify the transmit queue only when something was added.
          if (ctx.local(VL_TRANSFERRED) === 1)
            virtioNetQueueNotify(ctx.dev, d, VIRTIO_NET_TX_QUEUE);
          ctx.setLocal(VL_TRANSFERRED, 0);
          return ret(ctx);
        case T2_P:
          return returnOne(ctx, 'tx') ? T2_P : T2_N;
        case T2_N:
          notifyIf(ctx, {
            f,
            q: c.drvTx.free,
            work: ctx.local(VL_TRANSFERRED) === 1,
            ch: DRIVER_CH_VIRT_TX,
            deferred: false,
          });
          ctx.setLocal(VL_TRANSFERRED, 0);
          return ret(ctx);
        case I_ISR: {
          const isr = ctx.dev.read(d.isr);
          if ((isr & VIRTIO_IRQ_VQUEUE) === 0) return I_ACK;
          virtioNetAckInterrupt(ctx.dev, d, VIRTIO_IRQ_VQUEUE); // ACK first, then handle
          ctx.setLocal(VL_RET, RET_IRQ);
          ctx.setLocal(VL_STAGE, 0);
          return irqNext(ctx);
        }
        case I_ACK:
          ctx.deferredIrqAck(DRIVER_CH_IRQ);
          return PC_DONE;
        default:
          assert(false, `virtio driver: bad pc ${pc}`);
      }
    },
  };
}

/**
 * The buffers the driver has made available and not taken back (for buffer conservation): the
 * buffer of every chain published at avail positions `used_head … avail.idx − 1`.
 */
export function virtioPostedBuffers(
  read: (addr: number) => number,
  q: VirtqRef,
  usedHead: number,
): number[] {
  const out: number[] = [];
  const n = Math.min(U16.sub(read(q.availIdx), usedHead), q.num);
  for (let i = 0; i < n; i++) {
    const head = read(q.availRing + (U16.add(usedHead, i) % q.num));
    if (head < q.num) out.push(read(q.descAddr + read(q.descNext + head)));
  }
  return out;
}

export { VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE };
