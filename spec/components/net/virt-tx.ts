// virt_tx (reference sddf-protocols.md §3.3; network/components/virt_tx.c at au-ts/sddf 650ace5d):
// T2 tx_return hands transmitted buffers back to the client whose Tx region holds them
// (extract_offset); T1 tx_provide takes each client's packets in client order, validates the
// offset, and passes IO addresses to the driver; `init` is tx_provide(). Not modelled: `len` and
// `oid` (a descriptor is one word, its offset) and the cache clean.
import { assert } from '../../common/assert.ts';
import { netCancelSignal, netDequeue, netEmpty, netRequestSignal } from '../../queue/net.ts';
import { PC_DONE, type ComponentProgram } from '../program.ts';
import { mustEnqueue, netIoIn, netOffsetIn, notifyIf, type NetConfig } from './config.ts';

export const VIRT_TX_CH_DRIVER = 0;
/** virt_tx's channel to client c is 1 + c. */
const VT_C = 0;
const VT_MARKED = 1;
const VT_ENQUEUED = 2;
const T2_P = 1;
const T2_A = 2;
const T2_R = 3;
const T2_N = 4;
const T1_P = 5;
const T1_A = 6;
const T1_R = 7;
const T1_N = 8;

export function netVirtTx(c: NetConfig): ComponentProgram {
  const f = c.flavour;
  return {
    name: 'virt_tx',
    steps: [
      '',
      'tx_return.process(drv.TxF)',
      'tx_return.request_signal(drv.TxF)',
      'tx_return.recheck(drv.TxF)',
      'tx_return.notify_if(client.TxF)',
      'tx_provide.process(client.TxA)',
      'tx_provide.request_signal(client.TxA)',
      'tx_provide.recheck(client.TxA)',
      'tx_provide.notify_if(drv.TxA)',
    ],
    localWords: 3,
    initPc: c.boot ? T1_P : PC_DONE, // init(): tx_provide()
    entry: () => T2_P, // notified(any): tx_return(); tx_provide()
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case T2_P: {
          const io = netDequeue(mem, c.drvTx.free, f);
          if (io === null) return T2_A;
          // extract_offset: the client whose Tx region contains the IO address (assert found).
          const k = c.cliTxData.findIndex((r) => netIoIn(io, r));
          if (k < 0) {
            ctx.fail('address-domain', `virt_tx: drv.TxF holds ${io}, in no client's Tx region`);
            return T2_P;
          }
          mustEnqueue(ctx, f, c.cliTx[k]!.free, io - c.cliTxData[k]!.ioBase);
          ctx.setLocal(VT_MARKED, ctx.local(VT_MARKED) | (1 << k));
          return T2_P;
        }
        case T2_A:
          netRequestSignal(mem, c.drvTx.free, f);
          return T2_R;
        case T2_R:
          if (!netEmpty(mem, c.drvTx.free, f)) {
            netCancelSignal(mem, c.drvTx.free);
            return T2_P;
          }
          ctx.setLocal(VT_C, 0);
          return T2_N;
        case T2_N: {
          const k = ctx.local(VT_C);
          const work = ((ctx.local(VT_MARKED) >>> k) & 1) === 1;
          notifyIf(ctx, { f, q: c.cliTx[k]!.free, work, ch: 1 + k, deferred: false });
          if (k + 1 < c.clients) {
            ctx.setLocal(VT_C, k + 1);
            return T2_N;
          }
          ctx.setLocal(VT_MARKED, 0);
          ctx.setLocal(VT_C, 0);
          return T1_P;
        }
        case T1_P: {
          const k = ctx.local(VT_C);
          const off = netDequeue(mem, c.cliTx[k]!.active, f);
          if (off === null) return T1_A;
          if (!netOffsetIn(off, c.cliTxData[k]!)) {
            mustEnqueue(ctx, f, c.cliTx[k]!.free, off); // invalid: returned to the client
            return T1_P;
          }
          mustEnqueue(ctx, f, c.drvTx.active, c.cliTxData[k]!.ioBase + off);
          ctx.setLocal(VT_ENQUEUED, 1);
          return T1_P;
        }
        case T1_A:
          netRequestSignal(mem, c.cliTx[ctx.local(VT_C)]!.active, f);
          return T1_R;
        case T1_R: {
          const k = ctx.local(VT_C);
          if (!netEmpty(mem, c.cliTx[k]!.active, f)) {
            netCancelSignal(mem, c.cliTx[k]!.active);
            return T1_P;
          }
          if (k + 1 < c.clients) {
            ctx.setLocal(VT_C, k + 1);
            return T1_P;
          }
          ctx.setLocal(VT_C, 0);
          return T1_N;
        }
        case T1_N:
          notifyIf(ctx, {
            f,
            q: c.drvTx.active,
            work: ctx.local(VT_ENQUEUED) === 1,
            ch: VIRT_TX_CH_DRIVER,
            deferred: true,
          });
          ctx.setLocal(VT_ENQUEUED, 0);
          return PC_DONE;
        default:
          assert(false, `virt_tx: bad pc ${pc}`);
      }
    },
  };
}
