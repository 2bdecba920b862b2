// A network client (reference sddf-protocols.md §3.6; network/lib_sddf_lwip/lib_sddf_lwip.c and
// examples/echo_server/echo.c at au-ts/sddf 650ace5d): L1 process_rx consumes frames (optionally
// queueing an echo of each), L2 frees each buffer at once (interface_free_buffer), L3 transmits
// echoes and the application's own packets (lwip_eth_send), L4 notifies (sddf_lwip_maybe_notify);
// `init` gives the client's Tx free queue its buffers (net_buffers_init) then runs L4.
//
// Two transmit behaviours (NetConfig.lwip):
//   - the abstract client of §3.6: with packets to send and no free Tx buffer it arms TxF's
//     signal and re-checks (the three-phase protocol), so virt_tx wakes it;
//   - lib_sddf_lwip as it is: it never arms TxF. With no free Tx buffer `lwip_eth_send` calls
//     `handle_empty_tx_free_default` (notify virt_tx at once if Tx work is pending, 4eefdb94) and
//     returns ERR_NO_BUF; the packet is sent when lwIP retries, on its timer tick (channel
//     CLIENT_CH_TIMER) or the next time it runs. A notification from virt_tx does nothing
//     (echo.c: "Nothing to do") but L4.
// L4 is `sddf_lwip_maybe_notify`: `notify_rx`/`notify_tx` are cleared only when the notify is
// made (require_signal true); the deferred slot is used when empty, skipped when it already holds
// the same channel, and an immediate notify made when it holds another.
// Not modelled: the pbuf pool as its own resource (the echo FIFO is bounded by the client's Rx
// buffers; the model's re-check includes that bound where the C re-checks only the queue and
// relies on the pool being as large as the Rx buffers), lwIP's protocol processing, frame lengths.
import { assert } from '../../common/assert.ts';
import {
  NET_BUFFER_SIZE_BYTES,
  netCancelSignal,
  netDequeue,
  netEmpty,
  netEnqueue,
  netRequestSignal,
  netRequireSignal,
} from '../../queue/net.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from '../program.ts';
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
  mustEnqueue,
  netBufferIndex,
  netOffsetIn,
  notifyIfMode,
  payload,
  payloadKind,
  payloadSeq,
  type NetConfig,
} from './config.ts';

export const CLIENT_CH_COPIER = 0;
export const CLIENT_CH_VIRT_TX = 1;
/** The application's send requests arrive on this channel (lwIP output). */
export const CLIENT_CH_APP = 2;
/** lwIP's timer tick (echo.c `set_timeout`, a timer driver notification). */
export const CLIENT_CH_TIMER = 3;
const CL_NOTIFY_RX = 0;
const CL_NOTIFY_TX = 1;
export const CL_ECHO_COUNT = 2;
const CL_INIT_I = 3;
/** Echo FIFO (payloads received, not yet echoed) from local 4; its size is the pbuf pool. */
const CL_ECHO = 4;
/** The largest number of frames a model injects (proofs/models bound `frames`). */
const FRAMES_MAX = 8;

const L1_P = 1;
const L1_A = 2;
const L1_R = 3;
const L3_P = 4;
const L3_A = 5;
const L3_R = 6;
const L4_RX = 7;
const L4_TX = 8;
const I_BUF = 9;
const T_SET = 10;

export function netClient(c: NetConfig, k: number): ComponentProgram {
  const f = c.flavour;
  const rx = c.cliRx[k]!;
  const tx = c.cliTx[k]!;
  // The echo FIFO. Abstract client: it is the pbuf pool (bounded by the client's Rx buffers, and
  // a full pool stops process_rx). lib_sddf_lwip: pbufs are freed as soon as lwIP has the frame,
  // so the pool never runs out; what waits is lwIP's own send buffer (TCP), at most one echo per
  // frame (FRAMES_MAX, the bound's maximum).
  const pool = c.lwip ? FRAMES_MAX : c.cliRxData[k]!.count;
  const slow = c.slowClient === k;
  const ownPending = (ctx: PdContext) =>
    c.sends > 0 && ctx.ghost(cg(k, NGC_SENT)) < ctx.ghost(cg(k, NGC_REQUESTED));
  const txPending = (ctx: PdContext) => ctx.local(CL_ECHO_COUNT) > 0 || ownPending(ctx);
  const rxWork = (ctx: PdContext) =>
    !slow && !netEmpty(ctx.mem, rx.active, f) && ctx.local(CL_ECHO_COUNT) < pool;
  const txWork = (ctx: PdContext) => txPending(ctx) && !netEmpty(ctx.mem, tx.free, f);
  // L4: sddf_lwip_maybe_notify.
  const l4 = (ctx: PdContext, flag: number, q: typeof rx.free, ch: number) => {
    const made = notifyIfMode(ctx, {
      f,
      q,
      work: ctx.local(flag) === 1,
      ch,
      mode: 'deferred-if-free',
    });
    if (made) ctx.setLocal(flag, 0);
  };
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
      'init.net_buffers_init(TxF)',
      'timeout.set_timeout',
    ],
    localWords: CL_ECHO + pool,
    initPc: c.boot ? I_BUF : PC_DONE,
    entry: (ch) => {
      if (!c.lwip) return slow ? L3_P : L1_P;
      // echo.c notified(): rx → process_rx (which may send); timer → lwIP timeouts (retries);
      // the Tx virtualiser → nothing; then sddf_lwip_maybe_notify().
      if (ch === CLIENT_CH_COPIER) return slow ? L3_P : L1_P;
      if (ch === CLIENT_CH_VIRT_TX) return L4_RX;
      if (ch === CLIENT_CH_TIMER) return T_SET;
      return L3_P;
    },
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case I_BUF: {
          // net_buffers_init(&net_tx_handle, 0): one enqueue (asserted) per step.
          const i = ctx.local(CL_INIT_I);
          if (!netEnqueue(mem, tx.free, f, NET_BUFFER_SIZE_BYTES * i))
            ctx.fail('no-assert-failure', `net_buffers_init: ${tx.free.name} full at ${i}`);
          ctx.setLocal(CL_INIT_I, i + 1);
          if (i + 1 < c.cliTxData[k]!.count) return I_BUF;
          ctx.setLocal(CL_INIT_I, 0);
          if (c.lwip) ctx.setGhost(cg(k, NGC_TIMER_ARMED), 1); // set_timeout() in init()
          return L4_RX;
        }
        case T_SET:
          // sddf_lwip_process_timeout(); set_timeout(): lwIP's timers run (a retry of what it could
          // not send), and the next tick is armed.
          ctx.setGhost(cg(k, NGC_TIMER_ARMED), 1);
          return L3_P;
        case L1_P: {
          if (!rxWork(ctx)) return L1_A;
          const off = netDequeue(mem, rx.active, f)!;
          if (!netOffsetIn(off, c.cliRxData[k]!)) {
            ctx.fail('address-domain', `client${k}: RxA holds offset ${off}`);
            return L1_P;
          }
          const p = mem.load(c.cliRxData[k]!.data + netBufferIndex(off));
          const seq = payloadSeq(p);
          if (payloadKind(p) === KIND_RX_MISPLACED) {
            ctx.fail(
              'frame-integrity',
              `client${k}: frame ${seq} is misplaced in its buffer (virtio header length mismatch)`,
            );
          } else if (payloadKind(p) !== KIND_RX || seq <= ctx.ghost(cg(k, NGC_LAST_RX))) {
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
          if (!txWork(ctx)) {
            if (!txPending(ctx)) return L4_RX;
            if (!c.lwip) return L3_A;
            // handle_empty_tx_free_default (4eefdb94; F14 before it did nothing): flush pending Tx
            // work to virt_tx now, then ERR_NO_BUF: no signal is requested on TxF.
            if (
              c.bug !== 'F14' &&
              ctx.local(CL_NOTIFY_TX) === 1 &&
              netRequireSignal(mem, tx.active, f)
            ) {
              netCancelSignal(mem, tx.active);
              ctx.setLocal(CL_NOTIFY_TX, 0);
              ctx.notify(CLIENT_CH_VIRT_TX);
            }
            return L4_RX;
          }
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
          // The abstract client waits for TxF with the three-phase protocol.
          netRequestSignal(mem, tx.free, f);
          return L3_R;
        case L3_R:
          if (txWork(ctx)) {
            netCancelSignal(mem, tx.free);
            return L3_P;
          }
          return L4_RX;
        case L4_RX:
          l4(ctx, CL_NOTIFY_RX, rx.free, CLIENT_CH_COPIER);
          return L4_TX;
        case L4_TX:
          l4(ctx, CL_NOTIFY_TX, tx.active, CLIENT_CH_VIRT_TX);
          return PC_DONE;
        default:
          assert(false, `client${k}: bad pc ${pc}`);
      }
    },
  };
}
