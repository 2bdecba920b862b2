// The copier (reference sddf-protocols.md §3.5; network/components/copy.c): C1 rx_return copies
// each frame from an Rx DMA buffer into a free buffer of its client and returns the DMA buffer to
// virt_rx; without a free client buffer it drops the frame. Bug switch: F15 (it stops draining
// while its client has no free buffer).
import { assert } from '../../common/assert.ts';
import type { SharedMem } from '../../common/memory.ts';
import { netCancelSignal, netDequeue, netEmpty, netRequestSignal } from '../../queue/net.ts';
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
const C1_P = 1;
const C1_A = 2;
const C1_R = 3;
const C1_NC = 4;
const C1_NV = 5;

export function netCopier(c: NetConfig, k: number): ComponentProgram {
  const f = c.flavour;
  const virt = c.virtRx[k]!;
  const cli = c.cliRx[k]!;
  const cliData = c.cliRxData[k]!;
  // F15 (before 7d69d7ba): stop draining virt.RxA while the client has no free buffer.
  const work = (mem: SharedMem) =>
    !netEmpty(mem, virt.active, f) && (c.bug !== 'F15' || !netEmpty(mem, cli.free, f));
  return {
    name: `copier${k}`,
    steps: [
      '',
      'rx_return.process(virt.RxA)',
      'rx_return.request_signal(virt.RxA)',
      'rx_return.recheck(virt.RxA)',
      'rx_return.notify_if(client.RxA)',
      'rx_return.notify_if(virt.RxF)',
    ],
    localWords: 3,
    initPc: PC_DONE,
    entry: () => C1_P,
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case C1_P: {
          if (!work(mem)) return C1_A;
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
          return C1_R;
        case C1_R:
          if (work(mem)) {
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
          ctx.setLocal(CP_CLIENT_ENQ, 0);
          return C1_NV;
        case C1_NV:
          notifyIf(ctx, {
            f,
            q: virt.free,
            work: ctx.local(CP_VIRT_ENQ) === 1,
            ch: COPIER_CH_VIRT_RX,
            deferred: true,
          });
          ctx.setLocal(CP_VIRT_ENQ, 0);
          return PC_DONE;
        default:
          assert(false, `copier${k}: bad pc ${pc}`);
      }
    },
  };
}
