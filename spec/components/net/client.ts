// An abstract network client (reference sddf-protocols.md §3.6; network/lib_sddf_lwip): L1
// process_rx consumes frames (optionally queueing an echo of each), L2 frees each buffer at once,
// L3 transmits echoes and the application's own packets, L4 notifies through the deferred slot
// when it is free (sddf_lwip_maybe_notify).
import { assert } from '../../common/assert.ts';
import {
  netCancelSignal,
  netDequeue,
  netEmpty,
  netRequestSignal,
  type NetQueueRef,
} from '../../queue/net.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from '../program.ts';
import {
  KIND_ECHO,
  KIND_OWN,
  KIND_RX,
  NGC_DELIVERED,
  NGC_ECHOED,
  NGC_LAST_RX,
  NGC_REQUESTED,
  NGC_SENT,
  cg,
  mustEnqueue,
  netBufferIndex,
  netOffsetIn,
  notifyIf,
  payload,
  payloadKind,
  payloadSeq,
  type NetConfig,
} from './config.ts';

export const CLIENT_CH_COPIER = 0;
export const CLIENT_CH_VIRT_TX = 1;
/** The application's send requests arrive on this channel (lwIP output, timer tick). */
export const CLIENT_CH_APP = 2;
const CL_NOTIFY_RX = 0;
const CL_NOTIFY_TX = 1;
export const CL_ECHO_COUNT = 2;
/** Echo FIFO (payloads received, not yet echoed) from local 3; its size is the pbuf pool. */
const CL_ECHO = 3;

const L1_P = 1;
const L1_A = 2;
const L1_R = 3;
const L3_P = 4;
const L3_A = 5;
const L3_R = 6;
const L4_RX = 7;
const L4_TX = 8;

export function netClient(c: NetConfig, k: number): ComponentProgram {
  const f = c.flavour;
  const rx = c.cliRx[k]!;
  const tx = c.cliTx[k]!;
  const pool = c.cliRxData[k]!.count;
  const slow = c.slowClient === k;
  const ownPending = (ctx: PdContext) =>
    c.sends > 0 && ctx.ghost(cg(k, NGC_SENT)) < ctx.ghost(cg(k, NGC_REQUESTED));
  const txPending = (ctx: PdContext) => ctx.local(CL_ECHO_COUNT) > 0 || ownPending(ctx);
  const rxWork = (ctx: PdContext) =>
    !slow && !netEmpty(ctx.mem, rx.active, f) && ctx.local(CL_ECHO_COUNT) < pool;
  const txWork = (ctx: PdContext) => txPending(ctx) && !netEmpty(ctx.mem, tx.free, f);
  // L4: the deferred slot only if it is empty (sddf_lwip_maybe_notify).
  const l4 = (ctx: PdContext, q: NetQueueRef, work: boolean, ch: number) =>
    notifyIf(ctx, { f, q, work, ch, deferred: !ctx.deferredPending() });
  return {
    name: `client${k}`,
    steps: [
      '',
      'process_rx.process(RxA)',
      'process_rx.request_signal(RxA)',
      'process_rx.recheck(RxA)',
      'transmit.process(TxF)',
      'transmit.request_signal(TxF)',
      'transmit.recheck(TxF)',
      'maybe_notify(RxF)',
      'maybe_notify(TxA)',
    ],
    localWords: CL_ECHO + pool,
    initPc: PC_DONE,
    entry: () => (slow ? L3_P : L1_P),
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case L1_P: {
          if (!rxWork(ctx)) return L1_A;
          const off = netDequeue(mem, rx.active, f)!;
          if (!netOffsetIn(off, c.cliRxData[k]!)) {
            ctx.fail('address-domain', `client${k}: RxA holds offset ${off}`);
            return L1_P;
          }
          const p = mem.load(c.cliRxData[k]!.data + netBufferIndex(off));
          const seq = payloadSeq(p);
          if (payloadKind(p) !== KIND_RX || seq <= ctx.ghost(cg(k, NGC_LAST_RX))) {
            ctx.fail(
              'fifo',
              `client${k}: received frame ${seq} after ${ctx.ghost(cg(k, NGC_LAST_RX))}`,
            );
          }
          ctx.setGhost(cg(k, NGC_LAST_RX), seq);
          ctx.setGhost(cg(k, NGC_DELIVERED), ctx.ghost(cg(k, NGC_DELIVERED)) + 1);
          if (c.echo) {
            const n = ctx.local(CL_ECHO_COUNT);
            ctx.setLocal(CL_ECHO + n, payload(KIND_ECHO, k, seq));
            ctx.setLocal(CL_ECHO_COUNT, n + 1);
          }
          mustEnqueue(ctx, f, rx.free, off); // L2: pbuf freed at once
          ctx.setLocal(CL_NOTIFY_RX, 1);
          return L1_P;
        }
        case L1_A:
          netRequestSignal(mem, rx.active, f);
          return L1_R;
        case L1_R:
          if (rxWork(ctx)) {
            netCancelSignal(mem, rx.active);
            return L1_P;
          }
          return L3_P;
        case L3_P: {
          if (!txWork(ctx)) return txPending(ctx) ? L3_A : L4_RX;
          const off = netDequeue(mem, tx.free, f)!;
          let p: number;
          if (ctx.local(CL_ECHO_COUNT) > 0) {
            p = ctx.local(CL_ECHO);
            const n = ctx.local(CL_ECHO_COUNT);
            for (let i = 1; i < n; i++) ctx.setLocal(CL_ECHO + i - 1, ctx.local(CL_ECHO + i));
            ctx.setLocal(CL_ECHO + n - 1, 0);
            ctx.setLocal(CL_ECHO_COUNT, n - 1);
            ctx.setGhost(cg(k, NGC_ECHOED), ctx.ghost(cg(k, NGC_ECHOED)) + 1);
          } else {
            const seq = ctx.ghost(cg(k, NGC_SENT)) + 1;
            ctx.setGhost(cg(k, NGC_SENT), seq);
            p = payload(KIND_OWN, k, seq);
          }
          mem.store(c.cliTxData[k]!.data + netBufferIndex(off), p);
          mustEnqueue(ctx, f, tx.active, off);
          ctx.setLocal(CL_NOTIFY_TX, 1);
          return L3_P;
        }
        case L3_A:
          // The abstract client waits for TxF with the three-phase protocol (lib_sddf_lwip instead
          // returns ERR_NO_BUF and relies on lwIP's timer to retry; docs/adr/008-models.md).
          netRequestSignal(mem, tx.free, f);
          return L3_R;
        case L3_R:
          if (txWork(ctx)) {
            netCancelSignal(mem, tx.free);
            return L3_P;
          }
          return L4_RX;
        case L4_RX:
          l4(ctx, rx.free, ctx.local(CL_NOTIFY_RX) === 1, CLIENT_CH_COPIER);
          ctx.setLocal(CL_NOTIFY_RX, 0);
          return L4_TX;
        case L4_TX:
          l4(ctx, tx.active, ctx.local(CL_NOTIFY_TX) === 1, CLIENT_CH_VIRT_TX);
          ctx.setLocal(CL_NOTIFY_TX, 0);
          return PC_DONE;
        default:
          assert(false, `client${k}: bad pc ${pc}`);
      }
    },
  };
}
