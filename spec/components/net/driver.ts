// The Ethernet driver (reference sddf-protocols.md §3.2; drivers/network/imx/ethernet.c at
// au-ts/sddf 650ace5d): D1 rx_provide, D2 rx_return, D3 tx_provide, D4 tx_return, D5 the IRQ
// handler, over the ENET-like descriptor rings of spec/devices/enet.ts (the driver side of the
// ownership protocol is there: posting a BD, taking a completed one, acknowledging EIR). The HW
// ring's own indices are private u32 locals (`hw_ring_t`), full and empty by the spec's ring
// predicates. Bug switch: F4 (the IRQ path without tx_provide).
import { assert } from '../../common/assert.ts';
import {
  ENET_EIR_RXF,
  ENET_EIR_TXF,
  enetRxPost,
  enetRxTake,
  enetTakeEvents,
  enetTxPost,
  enetTxTake,
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
const DL_RET = 6;
const DL_TRANSFERRED = 7;

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

export function netDriver(c: NetConfig): ComponentProgram {
  const f = c.flavour;
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
  ];
  const { rx, tx } = c.nic;
  // hw_ring_full / hw_ring_empty: `tail - head == capacity` / `== 0` on unsigned int.
  const full = (ctx: PdContext, tail: number, head: number, capacity: number) =>
    ringFullOf(U32, { tail: ctx.local(tail), head: ctx.local(head), capacity, reservedSlots: 0 });
  const rxFull = (ctx: PdContext) => full(ctx, DL_RX_TAIL, DL_RX_HEAD, rx.capacity);
  const txFull = (ctx: PdContext) => full(ctx, DL_TX_TAIL, DL_TX_HEAD, tx.capacity);
  const empty = (ctx: PdContext, tail: number, head: number) =>
    ringEmptyOf(U32, ctx.local(tail), ctx.local(head));
  // D5: after the EIR read, which function runs next; stages 0..3 = tx_return, tx_provide,
  // rx_return, rx_provide (F4 drops tx_provide), then back to the EIR read.
  const irqNext = (ctx: PdContext): number => {
    const e = ctx.local(DL_EIR);
    for (let stage = ctx.local(DL_STAGE); stage < 4; stage++) {
      ctx.setLocal(DL_STAGE, stage + 1);
      ctx.setLocal(DL_RET, 1);
      if (stage === 0 && e & ENET_EIR_TXF) return D4_P;
      if (stage === 1 && e & ENET_EIR_TXF && c.bug !== 'F4') return D3_P;
      if (stage === 2 && e & ENET_EIR_RXF) return D2_P;
      if (stage === 3 && e & ENET_EIR_RXF) return D1_P;
    }
    return D5_EIR;
  };
  const ret = (ctx: PdContext): number => (ctx.local(DL_RET) === 1 ? irqNext(ctx) : PC_DONE);
  return {
    name: 'driver',
    steps,
    localWords: 8,
    initPc: PC_DONE,
    entry: (ch) => {
      if (ch === DRIVER_CH_IRQ) return D5_EIR;
      if (ch === DRIVER_CH_VIRT_RX) return D1_P;
      assert(ch === DRIVER_CH_VIRT_TX, `driver: unknown channel ${ch}`);
      return D3_P;
    },
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case D1_P: {
          if (rxFull(ctx) || netEmpty(mem, c.drvRx.free, f)) return D1_A;
          const io = netDequeue(mem, c.drvRx.free, f)!;
          if (!netIoIn(io, c.rxDma))
            ctx.fail('address-domain', `driver: RxF holds ${io}, not an Rx DMA IO address`);
          enetRxPost(ctx.dev, rx, ringSlotOf(U32, ctx.local(DL_RX_TAIL), rx.capacity), io);
          ctx.setLocal(DL_RX_TAIL, U32.add(ctx.local(DL_RX_TAIL), 1));
          return D1_P;
        }
        case D1_A:
          // A full HW ring does not want free buffers (§3.2 D1).
          if (!rxFull(ctx)) netRequestSignal(mem, c.drvRx.free, f);
          else netCancelSignal(mem, c.drvRx.free);
          return D1_R;
        case D1_R:
          if (!netEmpty(mem, c.drvRx.free, f) && !rxFull(ctx)) {
            netCancelSignal(mem, c.drvRx.free);
            return D1_P;
          }
          return ret(ctx);
        case D2_P: {
          if (empty(ctx, DL_RX_TAIL, DL_RX_HEAD)) return D2_N;
          const head = ctx.local(DL_RX_HEAD);
          const io = enetRxTake(ctx.dev, rx, ringSlotOf(U32, head, rx.capacity));
          if (io === null) return D2_N; // the NIC still owns the BD
          mustEnqueue(ctx, f, c.drvRx.active, io);
          ctx.setLocal(DL_RX_HEAD, U32.add(head, 1));
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
          enetTxPost(ctx.dev, tx, ringSlotOf(U32, ctx.local(DL_TX_TAIL), tx.capacity), io);
          ctx.setLocal(DL_TX_TAIL, U32.add(ctx.local(DL_TX_TAIL), 1));
          return D3_P;
        }
        case D3_A:
          netRequestSignal(mem, c.drvTx.active, f);
          return D3_R;
        case D3_R:
          if (!txFull(ctx) && !netEmpty(mem, c.drvTx.active, f)) {
            netCancelSignal(mem, c.drvTx.active);
            return D3_P;
          }
          return ret(ctx);
        case D4_P: {
          if (empty(ctx, DL_TX_TAIL, DL_TX_HEAD)) return D4_N;
          const head = ctx.local(DL_TX_HEAD);
          const io = enetTxTake(ctx.dev, tx, ringSlotOf(U32, head, tx.capacity));
          if (io === null) return D4_N; // not transmitted yet
          mustEnqueue(ctx, f, c.drvTx.free, io);
          ctx.setLocal(DL_TX_HEAD, U32.add(head, 1));
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
          const e = enetTakeEvents(ctx.dev, c.nic);
          ctx.setLocal(DL_EIR, e);
          ctx.setLocal(DL_STAGE, 0);
          if (e === 0) {
            ctx.setLocal(DL_RET, 0);
            return D5_ACK;
          }
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
