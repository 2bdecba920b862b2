// The Ethernet driver for the ENET-like NIC (reference sddf-protocols.md §3.2;
// drivers/network/imx/ethernet.c at au-ts/sddf 650ace5d): D1 rx_provide, D2 rx_return, D3
// tx_provide, D4 tx_return, D5 the IRQ handler and `init`, over the descriptor rings of
// spec/devices/enet.ts (the driver side of the ownership protocol is there: posting a BD and
// writing RDAR/TDAR, taking a completed one, acknowledging EIR). The HW ring's own indices are
// private u32 locals (`hw_ring_t`), full and empty by the spec's ring predicates. Step names follow
// the C functions; one step is one queue transfer plus its BD post (or one BD taken plus its
// enqueue), one request_signal, one re-check, one notify-if.
//
// Bug switches (the upstream code before its fix, at this grain; proofs/models/net-pipeline/
// bounds.ts documents each): F4 (the IRQ path without tx_provide), F18 (bounded ring indices with
// `% capacity`), and the seeded `no-rx-recheck` / `no-tx-recheck` (no re-check after
// request_signal).
import { assert } from '../../common/assert.ts';
import {
  ENET_EIR_RXF,
  ENET_EIR_TXF,
  ENET_RXD_EMPTY,
  ENET_TXD_READY,
  enetRxPost,
  enetRxTake,
  enetSetup,
  enetTakeEvents,
  enetTxPost,
  enetTxTake,
  type EnetNic,
} from '../../devices/enet.ts';
import { U32 } from '../../queue/arith.ts';
import { netCancelSignal, netDequeue, netEmpty, netRequestSignal } from '../../queue/net.ts';
import { ringEmptyOf, ringFullOf, ringSlotOf } from '../../queue/ring.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from '../program.ts';
import { mustEnqueue, netIoIn, notifyIf, type NetConfig } from './config.ts';

export const DRIVER_CH_IRQ = 0;
export const DRIVER_CH_VIRT_RX = 1;
export const DRIVER_CH_VIRT_TX = 2;
/** Driver locals: private HW ring indices (u32, free-running) and handler state. */
export const DL_RX_TAIL = 0;
export const DL_RX_HEAD = 1;
export const DL_TX_TAIL = 2;
export const DL_TX_HEAD = 3;
const DL_EIR = 4;
const DL_STAGE = 5;
/** Where a provide/return function returns to: the caller of notified, the IRQ loop, or init. */
const DL_RET = 6;
const DL_TRANSFERRED = 7;
const RET_NOTIFIED = 0;
const RET_IRQ = 1;
const RET_INIT = 2;

const D1_P = 1;
const D1_A = 2;
const D1_R = 3;
const D2_P = 4;
const D2_N = 5;
const D3_P = 6;
const D3_A = 7;
const D3_R = 8;
const D4_P = 9;
const D4_N = 10;
const D5_EIR = 11;
const D5_ACK = 12;
const I_SETUP = 13;

/** The ENET configuration of a NetConfig (this driver drives nothing else). */
export function enetOf(c: NetConfig): EnetNic {
  assert(c.hw.kind === 'enet', 'the ENET driver needs an ENET-like NIC');
  return c.hw.nic;
}

export function netDriver(c: NetConfig): ComponentProgram {
  const f = c.flavour;
  const nic = enetOf(c);
  const { rx, tx } = nic;
  const steps = [
    '',
    'rx_provide.process(RxF)',
    'rx_provide.request_signal(RxF)',
    'rx_provide.recheck(RxF)',
    'rx_return.process(RxA)',
    'rx_return.notify_if(RxA)',
    'tx_provide.process(TxA)',
    'tx_provide.request_signal(TxA)',
    'tx_provide.recheck(TxA)',
    'tx_return.process(TxF)',
    'tx_return.notify_if(TxF)',
    'irq.eir',
    'irq.deferred_irq_ack',
    'init.eth_setup',
  ];
  // hw_ring_full / hw_ring_empty: `tail - head == capacity` / `== 0` on uint32_t (75e2eef9).
  // F18, before 75e2eef9: indices bounded by `% capacity` and `!((tail - head + 1) % cap)` for
  // full, `!((tail - head) % cap)` for empty: one BD of the ring is never used. The subtraction is
  // on unsigned int and wraps at 2^32, so at a capacity that does not divide 2^32 (3 here; not
  // upstream's 256) a full ring whose tail has wrapped below its head reads as empty.
  const full = (ctx: PdContext, tail: number, head: number, capacity: number) =>
    c.bug === 'F18'
      ? U32.sub(U32.add(ctx.local(tail), 1), ctx.local(head)) % capacity === 0
      : ringFullOf(U32, {
          tail: ctx.local(tail),
          head: ctx.local(head),
          capacity,
          reservedSlots: 0,
        });
  const rxFull = (ctx: PdContext) => full(ctx, DL_RX_TAIL, DL_RX_HEAD, rx.capacity);
  const txFull = (ctx: PdContext) => full(ctx, DL_TX_TAIL, DL_TX_HEAD, tx.capacity);
  const empty = (ctx: PdContext, tail: number, head: number, capacity: number) =>
    c.bug === 'F18'
      ? U32.sub(ctx.local(tail), ctx.local(head)) % capacity === 0
      : ringEmptyOf(U32, ctx.local(tail), ctx.local(head));
  const slot = (ctx: PdContext, index: number, capacity: number) =>
    ringSlotOf(U32, ctx.local(index), capacity);
  const advance = (ctx: PdContext, index: number, capacity: number) =>
    ctx.setLocal(
      index,
      c.bug === 'F18' ? (ctx.local(index) + 1) % capacity : U32.add(ctx.local(index), 1),
    );
  // D5: after the EIR read, which function runs next; stages 0..3 = tx_return, tx_provide,
  // rx_return, rx_provide (F4 drops tx_provide), then back to the EIR read.
  const irqNext = (ctx: PdContext): number => {
    const e = ctx.local(DL_EIR);
    for (let stage = ctx.local(DL_STAGE); stage < 4; stage++) {
      ctx.setLocal(DL_STAGE, stage + 1);
      if (stage === 0 && e & ENET_EIR_TXF) return D4_P;
      if (stage === 1 && e & ENET_EIR_TXF && c.bug !== 'F4') return D3_P;
      if (stage === 2 && e & ENET_EIR_RXF) return D2_P;
      if (stage === 3 && e & ENET_EIR_RXF) return D1_P;
    }
    return D5_EIR;
  };
  // init(): eth_setup(); rx_provide(); tx_provide().
  const initNext = (ctx: PdContext): number => {
    const stage = ctx.local(DL_STAGE);
    ctx.setLocal(DL_STAGE, stage + 1);
    if (stage === 0) return D3_P;
    ctx.setLocal(DL_RET, RET_NOTIFIED);
    ctx.setLocal(DL_STAGE, 0);
    return PC_DONE;
  };
  const ret = (ctx: PdContext): number => {
    switch (ctx.local(DL_RET)) {
      case RET_IRQ:
        return irqNext(ctx);
      case RET_INIT:
        return initNext(ctx);
      default:
        return PC_DONE;
    }
  };
  // Descriptor ownership (§5.2): the driver writes only BDs the device does not own.
  const mayPost = (ctx: PdContext, stat: number, idx: number, bit: number, what: string) => {
    if ((ctx.dev.read(stat + idx) & bit) === 0) return true;
    ctx.fail('hw-ownership', `driver: ${what} BD ${idx} is still the device's`);
    return false;
  };
  return {
    name: 'driver',
    steps,
    localWords: 8,
    initPc: c.boot ? I_SETUP : PC_DONE,
    entry: (ch) => {
      if (ch === DRIVER_CH_IRQ) return D5_EIR;
      if (ch === DRIVER_CH_VIRT_RX) return D1_P;
      assert(ch === DRIVER_CH_VIRT_TX, `driver: unknown channel ${ch}`);
      return D3_P;
    },
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case I_SETUP:
          enetSetup(ctx.dev, nic);
          ctx.setLocal(DL_RET, RET_INIT);
          ctx.setLocal(DL_STAGE, 0);
          return D1_P;
        case D1_P: {
          if (rxFull(ctx) || netEmpty(mem, c.drvRx.free, f)) return D1_A;
          const io = netDequeue(mem, c.drvRx.free, f)!;
          if (!netIoIn(io, c.rxDma))
            ctx.fail('address-domain', `driver: RxF holds ${io}, not an Rx DMA IO address`);
          const idx = slot(ctx, DL_RX_TAIL, rx.capacity);
          if (mayPost(ctx, rx.stat, idx, ENET_RXD_EMPTY, 'Rx')) enetRxPost(ctx.dev, nic, idx, io);
          advance(ctx, DL_RX_TAIL, rx.capacity);
          return D1_P;
        }
        case D1_A:
          // A full HW ring does not want free buffers (§3.2 D1).
          if (!rxFull(ctx)) netRequestSignal(mem, c.drvRx.free, f);
          else netCancelSignal(mem, c.drvRx.free);
          return c.bug === 'no-rx-recheck' ? ret(ctx) : D1_R;
        case D1_R:
          if (!netEmpty(mem, c.drvRx.free, f) && !rxFull(ctx)) {
            netCancelSignal(mem, c.drvRx.free);
            return D1_P;
          }
          return ret(ctx);
        case D2_P: {
          if (empty(ctx, DL_RX_TAIL, DL_RX_HEAD, rx.capacity)) return D2_N;
          const io = enetRxTake(ctx.dev, rx, slot(ctx, DL_RX_HEAD, rx.capacity));
          if (io === null) return D2_N; // the NIC still owns the BD
          mustEnqueue(ctx, f, c.drvRx.active, io);
          advance(ctx, DL_RX_HEAD, rx.capacity);
          ctx.setLocal(DL_TRANSFERRED, 1);
          return D2_P;
        }
        case D2_N:
          notifyIf(ctx, {
            f,
            q: c.drvRx.active,
            work: ctx.local(DL_TRANSFERRED) === 1,
            ch: DRIVER_CH_VIRT_RX,
            deferred: false,
          });
          ctx.setLocal(DL_TRANSFERRED, 0);
          return ret(ctx);
        case D3_P: {
          if (txFull(ctx) || netEmpty(mem, c.drvTx.active, f)) return D3_A;
          const io = netDequeue(mem, c.drvTx.active, f)!;
          if (!c.cliTxData.some((r) => netIoIn(io, r))) {
            ctx.fail('address-domain', `driver: TxA holds ${io}, not a client Tx IO address`);
          }
          const idx = slot(ctx, DL_TX_TAIL, tx.capacity);
          if (mayPost(ctx, tx.stat, idx, ENET_TXD_READY, 'Tx')) enetTxPost(ctx.dev, nic, idx, io);
          advance(ctx, DL_TX_TAIL, tx.capacity);
          return D3_P;
        }
        case D3_A:
          netRequestSignal(mem, c.drvTx.active, f);
          return c.bug === 'no-tx-recheck' ? ret(ctx) : D3_R;
        case D3_R:
          if (!txFull(ctx) && !netEmpty(mem, c.drvTx.active, f)) {
            netCancelSignal(mem, c.drvTx.active);
            return D3_P;
          }
          return ret(ctx);
        case D4_P: {
          if (empty(ctx, DL_TX_TAIL, DL_TX_HEAD, tx.capacity)) return D4_N;
          const io = enetTxTake(ctx.dev, tx, slot(ctx, DL_TX_HEAD, tx.capacity));
          if (io === null) return D4_N; // not transmitted yet
          mustEnqueue(ctx, f, c.drvTx.free, io);
          advance(ctx, DL_TX_HEAD, tx.capacity);
          ctx.setLocal(DL_TRANSFERRED, 1);
          return D4_P;
        }
        case D4_N:
          notifyIf(ctx, {
            f,
            q: c.drvTx.free,
            work: ctx.local(DL_TRANSFERRED) === 1,
            ch: DRIVER_CH_VIRT_TX,
            deferred: false,
          });
          ctx.setLocal(DL_TRANSFERRED, 0);
          return ret(ctx);
        case D5_EIR: {
          // handle_irq: e = EIR & IRQ_MASK; EIR = e; while (e) { ...; e = EIR & IRQ_MASK; EIR = e }
          const e = enetTakeEvents(ctx.dev, nic);
          ctx.setLocal(DL_EIR, e);
          ctx.setLocal(DL_STAGE, 0);
          if (e === 0) {
            ctx.setLocal(DL_RET, RET_NOTIFIED);
            return D5_ACK;
          }
          ctx.setLocal(DL_RET, RET_IRQ);
          return irqNext(ctx);
        }
        case D5_ACK:
          ctx.deferredIrqAck(DRIVER_CH_IRQ);
          return PC_DONE;
        default:
          assert(false, `driver: bad pc ${pc}`);
      }
    },
  };
}

/**
 * The buffers the driver has posted to a HW ring and not taken back: the addresses of BDs
 * `head … tail−1` of its free-running u32 ring indices, whoever owns them now (at most the
 * capacity; F18's bounded indices are netHwRingBuffers' business).
 */
export function enetPostedBuffers(
  read: (addr: number) => number,
  ring: { readonly addr: number; readonly capacity: number },
  tail: number,
  head: number,
): number[] {
  const n = Math.min(U32.sub(tail, head), ring.capacity);
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push(read(ring.addr + ringSlotOf(U32, U32.add(head, i), ring.capacity)));
  return out;
}
