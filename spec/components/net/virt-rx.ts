// virt_rx (reference sddf-protocols.md §3.4; network/components/virt_rx.c at au-ts/sddf 650ace5d):
// R1 rx_return takes frames the driver filled, demultiplexes them by destination (a client index,
// broadcast, or no match) with per-buffer u8 refcounts `buffer_refs`; R2 rx_provide takes buffers
// back from the copiers and, when no client holds one any more, returns it to the driver; `init`
// fills the driver's free queue (net_buffers_init) and notifies the driver (deferred).
//
// One deliberate difference from upstream (issue 9 part 3, U15 fixed): a buffer a client returns
// while its refcount is already zero is rejected and counted (ghost NG_RX_REJECTED), where the C
// only asserts (`assert(buffer_refs[ref_index] != 0)`; with asserts compiled out the u8 refcount
// underflows). Bug switches: F3 (notify_drv never cleared), F33 (the copier queue handles sized
// with the client's capacity), U15 (the upstream assert instead of the rejection).
import { assert } from '../../common/assert.ts';
import {
  NET_BUFFER_SIZE_BYTES as NET_BUFFER_SIZE,
  netCancelSignal,
  netDequeue,
  netEmpty,
  netEnqueue,
  netRequestSignal,
  netRequireSignal,
  type NetQueueRef,
} from '../../queue/net.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from '../program.ts';
import {
  DEST_BROADCAST,
  NG_DRV_RXF_NEW,
  NG_RX_REJECTED,
  mustEnqueue,
  netBufferIndex,
  netIoIn,
  notifyIf,
  payloadWho,
  type NetConfig,
  type NetQueuePair,
} from './config.ts';

export const VIRT_RX_CH_DRIVER = 0;
/** virt_rx's channel to copier c is 1 + c. */
const VR_C = 0;
const VR_MARKED = 1;
/** `notify_drv` (virt_rx.c): buffers went back to the driver since it was last signalled. */
export const VR_NOTIFY_DRV = 2;
/** buffer_refs[i] (u8, in the virt_metadata region) start at local 4. */
export const VR_REFS = 4;
/** init: the next buffer net_buffers_init enqueues. */
const VR_INIT_I = 3;

const R1_P = 1;
const R1_A = 2;
const R1_R = 3;
const R1_N = 4;
const R2_P = 5;
const R2_A = 6;
const R2_R = 7;
const R2_N = 8;
const I_BUF = 9;
const I_N = 10;

/** Where frame `payload` goes (the MAC demux): a client index, DEST_BROADCAST or DEST_NONE. */
function demux(p: number): number {
  return payloadWho(p);
}

/**
 * The queue handles virt_rx uses for copier k. F33 (before 97131509): `net_queue_init` of the
 * pair with the client's size (RX_QUEUE_SIZE_CLI0) instead of the copier's (RX_QUEUE_SIZE_COPY0):
 * one capacity in the handle, so both queues of the pair get it.
 */
export function virtRxCopierHandles(c: NetConfig): NetQueuePair[] {
  return c.virtRx.map((pair, i) => {
    if (c.bug !== 'F33') return pair;
    const capacity = c.cliRx[i]!.active.capacity;
    return { free: { ...pair.free, capacity }, active: { ...pair.active, capacity } };
  });
}

export function netVirtRx(c: NetConfig): ComponentProgram {
  const f = c.flavour;
  const toCopier = virtRxCopierHandles(c);
  const refs = (ctx: PdContext, i: number) => ctx.local(VR_REFS + i);
  const setRefs = (ctx: PdContext, i: number, v: number) => ctx.setLocal(VR_REFS + i, v & 0xff);
  const toDriverFree = (ctx: PdContext, io: number) => {
    mustEnqueue(ctx, f, c.drvRx.free, io);
    ctx.setLocal(VR_NOTIFY_DRV, 1);
    ctx.setGhost(NG_DRV_RXF_NEW, 1);
  };
  // Rx DMA offsets virt_rx accepts back: `!(off % NET_BUFFER_SIZE) && off < NET_BUFFER_SIZE *
  // rx_queue_drv.capacity` (the driver queue's capacity is the number of Rx DMA buffers).
  const offsetOk = (off: number) =>
    off % NET_BUFFER_SIZE === 0 && off < NET_BUFFER_SIZE * c.rxDma.count;
  const enqueueTo = (ctx: PdContext, q: NetQueueRef, off: number) => mustEnqueue(ctx, f, q, off);
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
      'init.net_buffers_init(drv.RxF)',
      'init.notify_if(drv.RxF)',
    ],
    localWords: VR_REFS + c.rxDma.count,
    initPc: c.boot ? I_BUF : PC_DONE,
    entry: () => R1_P, // §3.1: notified(any) re-runs rx_return(); rx_provide()
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case I_BUF: {
          // net_buffers_init(&rx_queue_drv, data.io_addr): one enqueue (asserted) per step.
          const i = ctx.local(VR_INIT_I);
          if (!netEnqueue(mem, c.drvRx.free, f, c.rxDma.ioBase + NET_BUFFER_SIZE * i))
            ctx.fail('no-assert-failure', `net_buffers_init: ${c.drvRx.free.name} full at ${i}`);
          ctx.setLocal(VR_INIT_I, i + 1);
          return i + 1 < c.rxDma.count ? I_BUF : I_N;
        }
        case I_N:
          notifyIf(ctx, { f, q: c.drvRx.free, work: true, ch: VIRT_RX_CH_DRIVER, deferred: true });
          ctx.setLocal(VR_INIT_I, 0);
          return PC_DONE;
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
            if (refs(ctx, b) !== 0)
              ctx.fail(
                'no-assert-failure',
                `virt_rx: broadcast buffer ${b} has refs ${refs(ctx, b)}`,
              );
            setRefs(ctx, b, c.clients);
            for (let k = 0; k < c.clients; k++) enqueueTo(ctx, toCopier[k]!.active, off);
            ctx.setLocal(VR_MARKED, (1 << c.clients) - 1);
          } else if (dest < c.clients) {
            if (refs(ctx, b) !== 0)
              ctx.fail(
                'no-assert-failure',
                `virt_rx: unicast buffer ${b} has refs ${refs(ctx, b)}`,
              );
            setRefs(ctx, b, 1);
            enqueueTo(ctx, toCopier[dest]!.active, off);
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
          const off = netDequeue(mem, toCopier[k]!.free, f);
          if (off === null) return R2_A;
          if (!offsetOk(off)) {
            ctx.fail('no-assert-failure', `virt_rx: copier${k} returned offset ${off}`);
            // Asserts compiled out: buffer_refs[off / 2048] is outside the array.
            ctx.fail('address-domain', `virt_rx: copier${k} returned offset ${off}`);
            return R2_P;
          }
          const b = netBufferIndex(off);
          if (refs(ctx, b) === 0) {
            if (c.bug !== 'U15') {
              // U15 fixed: a buffer no client holds is rejected and counted, not asserted.
              ctx.setGhost(NG_RX_REJECTED, ctx.ghost(NG_RX_REJECTED) + 1);
              return R2_P;
            }
            // HEAD: `assert(buffer_refs[ref_index] != 0)`, then `buffer_refs[ref_index]--`.
            ctx.fail('no-assert-failure', `virt_rx: buffer ${b} returned with refcount 0`);
          }
          setRefs(ctx, b, refs(ctx, b) - 1); // u8: 0 - 1 is 255 once the assert is compiled out
          if (refs(ctx, b) === 0) toDriverFree(ctx, off + c.rxDma.ioBase);
          return R2_P;
        }
        case R2_A:
          netRequestSignal(mem, toCopier[ctx.local(VR_C)]!.free, f);
          return R2_R;
        case R2_R: {
          const k = ctx.local(VR_C);
          if (!netEmpty(mem, toCopier[k]!.free, f)) {
            netCancelSignal(mem, toCopier[k]!.free);
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
