// virt_rx (reference sddf-protocols.md §3.4; network/components/virt_rx.c): R1 rx_return takes
// frames the driver filled, demultiplexes them by destination (a client index, broadcast, or no
// match) with per-buffer refcounts `buffer_refs`; R2 rx_provide takes buffers back from the
// copiers and, when no client holds one any more, returns it to the driver. Bug switches: F3
// (notify_drv never cleared), F33 (the copier queue handle sized with the client's capacity), U15
// (a double return underflows the u8 refcount).
import { assert } from '../../common/assert.ts';
import {
  netCancelSignal,
  netDequeue,
  netEmpty,
  netRequestSignal,
  netRequireSignal,
} from '../../queue/net.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from '../program.ts';
import {
  DEST_BROADCAST,
  NG_DRV_RXF_NEW,
  mustEnqueue,
  netBufferIndex,
  netIoIn,
  netOffsetIn,
  notifyIf,
  payloadWho,
  type NetConfig,
} from './config.ts';

export const VIRT_RX_CH_DRIVER = 0;
/** virt_rx's channel to copier c is 1 + c. */
const VR_C = 0;
const VR_MARKED = 1;
const VR_NOTIFY_DRV = 2;
/** buffer_refs[i] (u8, in the virt_metadata region) start at local 3. */
export const VR_REFS = 3;

const R1_P = 1;
const R1_A = 2;
const R1_R = 3;
const R1_N = 4;
const R2_P = 5;
const R2_A = 6;
const R2_R = 7;
const R2_N = 8;

/** Where frame `payload` goes (the MAC demux): a client index, DEST_BROADCAST or DEST_NONE. */
function demux(p: number): number {
  return payloadWho(p);
}

export function netVirtRx(c: NetConfig): ComponentProgram {
  const f = c.flavour;
  // F33: the per-client queue handle sized from the client's macro instead of the copier's.
  const toCopier = c.virtRx.map((pair, i) =>
    c.bug === 'F33'
      ? { free: pair.free, active: { ...pair.active, capacity: c.cliRx[i]!.active.capacity } }
      : pair,
  );
  const refs = (ctx: PdContext, i: number) => ctx.local(VR_REFS + i);
  const setRefs = (ctx: PdContext, i: number, v: number) => ctx.setLocal(VR_REFS + i, v & 0xff);
  const toDriverFree = (ctx: PdContext, io: number) => {
    mustEnqueue(ctx, f, c.drvRx.free, io);
    ctx.setLocal(VR_NOTIFY_DRV, 1);
    ctx.setGhost(NG_DRV_RXF_NEW, 1);
  };
  return {
    name: 'virt_rx',
    steps: [
      '',
      'rx_return.process(drv.RxA)',
      'rx_return.request_signal(drv.RxA)',
      'rx_return.recheck(drv.RxA)',
      'rx_return.notify_if(copier.RxA)',
      'rx_provide.process(copier.RxF)',
      'rx_provide.request_signal(copier.RxF)',
      'rx_provide.recheck(copier.RxF)',
      'rx_provide.notify_if(drv.RxF)',
    ],
    localWords: VR_REFS + c.rxDma.count,
    initPc: PC_DONE,
    entry: () => R1_P, // §3.1: notified(any) re-runs rx_return(); rx_provide()
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case R1_P: {
          const io = netDequeue(mem, c.drvRx.active, f);
          if (io === null) return R1_A;
          if (!netIoIn(io, c.rxDma)) {
            ctx.fail('address-domain', `virt_rx: drv.RxA holds ${io}, not an Rx DMA IO address`);
            return R1_P;
          }
          const off = io - c.rxDma.ioBase;
          const b = netBufferIndex(off);
          const dest = demux(mem.load(c.rxDma.data + b));
          if (dest === DEST_BROADCAST) {
            setRefs(ctx, b, c.clients);
            for (let k = 0; k < c.clients; k++) mustEnqueue(ctx, f, toCopier[k]!.active, off);
            ctx.setLocal(VR_MARKED, (1 << c.clients) - 1);
          } else if (dest < c.clients) {
            if (refs(ctx, b) !== 0)
              ctx.fail('refcount', `virt_rx: unicast buffer ${b} has refs ${refs(ctx, b)}`);
            setRefs(ctx, b, 1);
            mustEnqueue(ctx, f, toCopier[dest]!.active, off);
            ctx.setLocal(VR_MARKED, ctx.local(VR_MARKED) | (1 << dest));
          } else {
            toDriverFree(ctx, io); // no match: straight back to the driver
          }
          return R1_P;
        }
        case R1_A:
          netRequestSignal(mem, c.drvRx.active, f);
          return R1_R;
        case R1_R:
          if (!netEmpty(mem, c.drvRx.active, f)) {
            netCancelSignal(mem, c.drvRx.active);
            return R1_P;
          }
          ctx.setLocal(VR_C, 0);
          return R1_N;
        case R1_N: {
          const k = ctx.local(VR_C);
          const work = (ctx.local(VR_MARKED) >>> k) & 1;
          notifyIf(ctx, {
            f,
            q: toCopier[k]!.active,
            work: work === 1,
            ch: 1 + k,
            deferred: false,
          });
          if (k + 1 < c.clients) {
            ctx.setLocal(VR_C, k + 1);
            return R1_N;
          }
          ctx.setLocal(VR_MARKED, 0);
          ctx.setLocal(VR_C, 0);
          return R2_P;
        }
        case R2_P: {
          const k = ctx.local(VR_C);
          const off = netDequeue(mem, c.virtRx[k]!.free, f);
          if (off === null) return R2_A;
          if (!netOffsetIn(off, c.rxDma)) {
            ctx.fail('address-domain', `virt_rx: copier${k} returned offset ${off}`);
            return R2_P;
          }
          const b = netBufferIndex(off);
          if (refs(ctx, b) === 0 && c.bug !== 'U15') return R2_P; // reject a double return
          setRefs(ctx, b, refs(ctx, b) - 1); // U15: u8 underflow to 255 in a release build
          if (refs(ctx, b) === 0) toDriverFree(ctx, off + c.rxDma.ioBase);
          return R2_P;
        }
        case R2_A:
          netRequestSignal(mem, c.virtRx[ctx.local(VR_C)]!.free, f);
          return R2_R;
        case R2_R: {
          const k = ctx.local(VR_C);
          if (!netEmpty(mem, c.virtRx[k]!.free, f)) {
            netCancelSignal(mem, c.virtRx[k]!.free);
            return R2_P;
          }
          if (k + 1 < c.clients) {
            ctx.setLocal(VR_C, k + 1);
            return R2_P;
          }
          ctx.setLocal(VR_C, 0);
          return R2_N;
        }
        case R2_N: {
          const wanted = ctx.local(VR_NOTIFY_DRV) === 1;
          if (wanted && netRequireSignal(mem, c.drvRx.free, f)) {
            if (ctx.ghost(NG_DRV_RXF_NEW) === 0) {
              ctx.fail(
                'no-spurious-notify',
                'virt_rx notified the driver with nothing new in drv.RxF',
              );
            }
            netCancelSignal(mem, c.drvRx.free);
            ctx.deferredNotify(VIRT_RX_CH_DRIVER);
            ctx.setGhost(NG_DRV_RXF_NEW, 0);
            if (c.bug !== 'F3') ctx.setLocal(VR_NOTIFY_DRV, 0); // 938d8051
          }
          return PC_DONE;
        }
        default:
          assert(false, `virt_rx: bad pc ${pc}`);
      }
    },
  };
}
