// The copier (reference sddf-protocols.md §3.5; network/components/copy.c at au-ts/sddf 650ace5d):
// C1 rx_return copies each frame from an Rx DMA buffer into a free buffer of its client and
// returns the DMA buffer to virt_rx; without a free client buffer it drops the frame (7d69d7ba);
// `init` gives the client's Rx free queue every client buffer (net_buffers_init).
//
// Bug switch F15: copy.c before 7d69d7ba (network/components/copy.c lines 19-83 at 7d69d7ba^):
// the loop runs only while both virt.RxA and client.RxF are non-empty; after it the copier
// requests virt.RxA's signal and, if frames still wait, the client's RxF signal (else cancels it);
// the re-check cancels both and loops when both are non-empty again; one `enqueued` flag decides
// both notifies. So a client that stops returning Rx buffers holds the copier's Rx DMA buffers
// (in virt.RxA) and virt_rx runs out of buffers for every client.
import { assert } from '../../common/assert.ts';
import {
  NET_BUFFER_SIZE_BYTES,
  netCancelSignal,
  netDequeue,
  netEmpty,
  netEnqueue,
  netRequestSignal,
} from '../../queue/net.ts';
import { PC_DONE, type ComponentProgram } from '../program.ts';
import {
  NGC_DROPPED,
  cg,
  mustEnqueue,
  netBufferIndex,
  netOffsetIn,
  notifyIf,
  type NetConfig,
} from './config.ts';

export const COPIER_CH_VIRT_RX = 0;
export const COPIER_CH_CLIENT = 1;
const CP_CLIENT_ENQ = 0;
const CP_VIRT_ENQ = 1;
const CP_DOUBLE_DONE = 2;
const CP_INIT_I = 3;
const C1_P = 1;
const C1_A = 2;
const C1_R = 3;
const C1_NC = 4;
const C1_NV = 5;
const I_BUF = 6;
/** F15: the second signalling store of the old code (request or cancel the client's RxF). */
const C1_A2 = 7;

export function netCopier(c: NetConfig, k: number): ComponentProgram {
  const f = c.flavour;
  const virt = c.virtRx[k]!;
  const cli = c.cliRx[k]!;
  const cliData = c.cliRxData[k]!;
  const old = c.bug === 'F15';
  return {
    name: `copier${k}`,
    steps: [
      '',
      'rx_return.process(virt.RxA)',
      'rx_return.request_signal(virt.RxA)',
      'rx_return.recheck(virt.RxA)',
      'rx_return.notify_if(client.RxA)',
      'rx_return.notify_if(virt.RxF)',
      'init.net_buffers_init(client.RxF)',
      'rx_return.request_signal(client.RxF)',
    ],
    localWords: 4,
    initPc: c.boot ? I_BUF : PC_DONE,
    entry: () => C1_P,
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case I_BUF: {
          // net_buffers_init(&rx_queue_cli, 0): one enqueue (asserted) per step.
          const i = ctx.local(CP_INIT_I);
          if (!netEnqueue(mem, cli.free, f, NET_BUFFER_SIZE_BYTES * i))
            ctx.fail('no-assert-failure', `net_buffers_init: ${cli.free.name} full at ${i}`);
          ctx.setLocal(CP_INIT_I, i + 1);
          if (i + 1 < cliData.count) return I_BUF;
          ctx.setLocal(CP_INIT_I, 0);
          return PC_DONE;
        }
        case C1_P: {
          if (netEmpty(mem, virt.active, f)) return C1_A;
          if (!netEmpty(mem, cli.free, f)) {
            const cb = netDequeue(mem, cli.free, f)!;
            if (!netOffsetIn(cb, cliData)) return C1_P; // log and drop cb (§3.5)
            const vb = netDequeue(mem, virt.active, f)!;
            if (!netOffsetIn(vb, c.rxDma)) {
              ctx.fail('address-domain', `copier${k}: virt.RxA holds offset ${vb}`);
              return C1_P;
            }
            mem.store(
              cliData.data + netBufferIndex(cb),
              mem.load(c.rxDma.data + netBufferIndex(vb)),
            ); // memcpy
            mustEnqueue(ctx, f, cli.active, cb);
            mustEnqueue(ctx, f, virt.free, vb);
            if (c.doubleReturn && k === 0 && ctx.local(CP_DOUBLE_DONE) === 0) {
              ctx.setLocal(CP_DOUBLE_DONE, 1);
              mustEnqueue(ctx, f, virt.free, vb); // the same buffer returned twice
            }
            ctx.setLocal(CP_CLIENT_ENQ, 1);
          } else if (old) {
            return C1_A; // F15: wait for a free client buffer, holding the DMA buffer
          } else {
            // Client has no free buffer: drop the packet so a slow client cannot hold DMA buffers.
            const vb = netDequeue(mem, virt.active, f)!;
            mustEnqueue(ctx, f, virt.free, vb);
            ctx.setGhost(cg(k, NGC_DROPPED), ctx.ghost(cg(k, NGC_DROPPED)) + 1);
          }
          ctx.setLocal(CP_VIRT_ENQ, 1);
          return C1_P;
        }
        case C1_A:
          netRequestSignal(mem, virt.active, f);
          return old ? C1_A2 : C1_R;
        case C1_A2:
          // F15 (old): "Only request signal from client if incoming packets from multiplexer are
          // awaiting free buffers".
          if (!netEmpty(mem, virt.active, f)) netRequestSignal(mem, cli.free, f);
          else netCancelSignal(mem, cli.free);
          return C1_R;
        case C1_R:
          if (old) {
            if (!netEmpty(mem, virt.active, f) && !netEmpty(mem, cli.free, f)) {
              netCancelSignal(mem, virt.active);
              netCancelSignal(mem, cli.free);
              return C1_P;
            }
            return C1_NC;
          }
          if (!netEmpty(mem, virt.active, f)) {
            netCancelSignal(mem, virt.active);
            return C1_P;
          }
          return C1_NC;
        case C1_NC:
          notifyIf(ctx, {
            f,
            q: cli.active,
            work: ctx.local(CP_CLIENT_ENQ) === 1,
            ch: COPIER_CH_CLIENT,
            deferred: false,
          });
          if (!old) ctx.setLocal(CP_CLIENT_ENQ, 0);
          return C1_NV;
        case C1_NV:
          notifyIf(ctx, {
            f,
            q: virt.free,
            // F15 (old): one `enqueued` flag for both notifies, set only when a frame was copied.
            work: ctx.local(old ? CP_CLIENT_ENQ : CP_VIRT_ENQ) === 1,
            ch: COPIER_CH_VIRT_RX,
            deferred: true,
          });
          ctx.setLocal(CP_CLIENT_ENQ, 0);
          ctx.setLocal(CP_VIRT_ENQ, 0);
          return PC_DONE;
        default:
          assert(false, `copier${k}: bad pc ${pc}`);
      }
    },
  };
}
