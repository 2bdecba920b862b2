// Step semantics of the network components (reference sddf-protocols.md §3.1–3.6): driver
// (D1–D5 over an i.MX8 ENET-like descriptor ring), virt_tx (T1–T2), virt_rx (R1–R2), copier (C1)
// and an abstract client (L1–L4). One step = one program-order group of shared accesses that no
// other PD can split in a way that matters: one queue transfer (dequeue + enqueue), one
// request_signal, one re-check, one require+cancel+notify. Bug switches re-introduce catalogue
// entries (sddf-bug-catalogue.md) where the code had them.
import { assert } from '../common/assert.ts';
import { u32 } from '../common/int.ts';
import type { SharedMem } from './mem.ts';
import {
  netCancelSignal,
  netDequeue,
  netEmpty,
  netEnqueue,
  netRequestSignal,
  netRequireSignal,
  type NetQueueFlavour,
  type NetQueueRef,
} from '../queue/net.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from './program.ts';

export const NET_BUFFER_SIZE = 2048;

export interface NetQueuePair {
  readonly free: NetQueueRef;
  readonly active: NetQueueRef;
}

/** A data region: `count` buffers of 2048 bytes; one payload word per buffer in the model. */
export interface DataRegion {
  /** Word address of buffer 0's payload word. */
  readonly data: number;
  readonly count: number;
  /** IO (physical) address of the region, for the driver-side queues (§2.1 io_or_offset). */
  readonly ioBase: number;
}

/** Frame destinations (the MAC match of §3.4 reduced to an index). */
export const DEST_BROADCAST = 0xfe;
export const DEST_NONE = 0xfd;

/** Payload word: kind (1 = NIC rx frame, 2 = client's own packet, 3 = echo), dest/src, seq. */
export const KIND_RX = 1;
export const KIND_OWN = 2;
export const KIND_ECHO = 3;
export function payload(kind: number, who: number, seq: number): number {
  assert(seq >= 0 && seq <= 0xffff && who >= 0 && who <= 0xff, 'payload fields in range');
  return u32((kind << 24) | (who << 16) | seq);
}
export function payloadKind(p: number): number {
  return p >>> 24;
}
export function payloadWho(p: number): number {
  return (p >>> 16) & 0xff;
}
export function payloadSeq(p: number): number {
  return p & 0xffff;
}

/** ENET-like HW rings (§5.2): per slot an address word and a status word. */
export interface HwRing {
  readonly addr: number;
  readonly stat: number;
  readonly capacity: number;
}
export const RXD_EMPTY = 0x8000;
export const TXD_READY = 0x8000;
export const EIR_RXF = 1 << 25;
export const EIR_TXF = 1 << 27;

export type NetBug = 'F3' | 'F4' | 'F15' | 'F33' | 'U15';

export interface NetConfig {
  readonly clients: number;
  readonly flavour: NetQueueFlavour;
  readonly drvRx: NetQueuePair;
  readonly drvTx: NetQueuePair;
  /** virt_rx ↔ copier c (Rx DMA offsets). */
  readonly virtRx: readonly NetQueuePair[];
  /** copier c ↔ client c (client Rx offsets). */
  readonly cliRx: readonly NetQueuePair[];
  /** client c ↔ virt_tx (client Tx offsets). */
  readonly cliTx: readonly NetQueuePair[];
  readonly rxDma: DataRegion;
  readonly cliRxData: readonly DataRegion[];
  readonly cliTxData: readonly DataRegion[];
  readonly hwRx: HwRing;
  readonly hwTx: HwRing;
  /** ENET EIR register word (W1C). */
  readonly eir: number;
  readonly echo: boolean;
  /**
   * Own packets the application may ask each client to send (0 = it never asks). With 0 the
   * request counter is a constant the client need not load, so its transmit check is PD-local
   * (the runtime then runs it in the same transition as the step before it, ADR 008).
   */
  readonly sends: number;
  /** Client index that stopped consuming Rx (a slow client, for F15), or -1. */
  readonly slowClient: number;
  /** copier 0 returns one Rx DMA buffer twice (a misbehaving copier-less peer, for U15). */
  readonly doubleReturn: boolean;
  readonly bug?: NetBug;
}

/** Ghost words of the network monitors. */
export const NG_RX_INJECTED = 0;
export const NG_DRV_RXF_NEW = 1; // virt_rx enqueued to drv.RxF since its last notify (F3 monitor)
/** Per client c: base + 6*c + field. */
export const NG_CLIENT_BASE = 2;
export const NGC_REQUESTED = 0; // own sends requested by the application
export const NGC_SENT = 1; // own sends enqueued
export const NGC_DELIVERED = 2; // rx frames the client consumed
export const NGC_LAST_RX = 3; // last rx seq seen (FIFO per flow)
export const NGC_DROPPED = 4; // copier drops for this client
export const NGC_ECHOED = 5; // echoes enqueued
export const NGC_WORDS = 6;
export function netGhostWords(clients: number): number {
  return NG_CLIENT_BASE + NGC_WORDS * clients;
}
export function cg(c: number, field: number): number {
  return NG_CLIENT_BASE + NGC_WORDS * c + field;
}

function validOffset(off: number, r: DataRegion): boolean {
  return off % NET_BUFFER_SIZE === 0 && off < NET_BUFFER_SIZE * r.count;
}

function validIo(io: number, r: DataRegion): boolean {
  return io >= r.ioBase && validOffset(io - r.ioBase, r);
}

function mustEnqueue(ctx: PdContext, f: NetQueueFlavour, q: NetQueueRef, desc: number): void {
  // §2.1 capacity discipline: queues hold every buffer that could be in them ⇒ `assert(!err)`.
  if (!netEnqueue(ctx.mem, q, f, desc))
    ctx.fail('no-assert-failure', `${q.name}: enqueue failed (full)`);
}

/** notify-if(Q) of §3: `if (work && require_signal(Q)) { cancel_signal(Q); notify(peer) }`. */
function notifyIf(
  ctx: PdContext,
  o: { f: NetQueueFlavour; q: NetQueueRef; work: boolean; ch: number; deferred: boolean },
): boolean {
  if (!o.work || !netRequireSignal(ctx.mem, o.q, o.f)) return false;
  netCancelSignal(ctx.mem, o.q);
  if (o.deferred) ctx.deferredNotify(o.ch);
  else ctx.notify(o.ch);
  return true;
}

// ---------------------------------------------------------------- driver (§3.2)

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
  const rxFull = (ctx: PdContext) =>
    u32(ctx.local(DL_RX_TAIL) - ctx.local(DL_RX_HEAD)) === c.hwRx.capacity;
  const txFull = (ctx: PdContext) =>
    u32(ctx.local(DL_TX_TAIL) - ctx.local(DL_TX_HEAD)) === c.hwTx.capacity;
  // D5: after the EIR read, which function runs next; stages 0..3 = tx_return, tx_provide,
  // rx_return, rx_provide (F4 drops tx_provide), then back to the EIR read.
  const irqNext = (ctx: PdContext): number => {
    const e = ctx.local(DL_EIR);
    for (let stage = ctx.local(DL_STAGE); stage < 4; stage++) {
      ctx.setLocal(DL_STAGE, stage + 1);
      ctx.setLocal(DL_RET, 1);
      if (stage === 0 && e & EIR_TXF) return D4_P;
      if (stage === 1 && e & EIR_TXF && c.bug !== 'F4') return D3_P;
      if (stage === 2 && e & EIR_RXF) return D2_P;
      if (stage === 3 && e & EIR_RXF) return D1_P;
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
          if (rxFull(ctx) || netEmpty(mem, c.drvRx.free)) return D1_A;
          const io = netDequeue(mem, c.drvRx.free)!;
          if (!validIo(io, c.rxDma))
            ctx.fail('address-domain', `driver: RxF holds ${io}, not an Rx DMA IO address`);
          const idx = ctx.local(DL_RX_TAIL) % c.hwRx.capacity;
          ctx.dev.write(c.hwRx.addr + idx, io);
          ctx.dev.write(c.hwRx.stat + idx, RXD_EMPTY); // after wwmb: the NIC now owns the slot
          ctx.setLocal(DL_RX_TAIL, u32(ctx.local(DL_RX_TAIL) + 1));
          return D1_P;
        }
        case D1_A:
          // A full HW ring does not want free buffers (§3.2 D1).
          if (!rxFull(ctx)) netRequestSignal(mem, c.drvRx.free, f);
          else netCancelSignal(mem, c.drvRx.free);
          return D1_R;
        case D1_R:
          if (!netEmpty(mem, c.drvRx.free) && !rxFull(ctx)) {
            netCancelSignal(mem, c.drvRx.free);
            return D1_P;
          }
          return ret(ctx);
        case D2_P: {
          const head = ctx.local(DL_RX_HEAD);
          const idx = head % c.hwRx.capacity;
          if (head === ctx.local(DL_RX_TAIL) || ctx.dev.read(c.hwRx.stat + idx) & RXD_EMPTY)
            return D2_N;
          mustEnqueue(ctx, f, c.drvRx.active, ctx.dev.read(c.hwRx.addr + idx));
          ctx.setLocal(DL_RX_HEAD, u32(head + 1));
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
          if (txFull(ctx) || netEmpty(mem, c.drvTx.active)) return D3_A;
          const io = netDequeue(mem, c.drvTx.active)!;
          if (!c.cliTxData.some((r) => validIo(io, r))) {
            ctx.fail('address-domain', `driver: TxA holds ${io}, not a client Tx IO address`);
          }
          const idx = ctx.local(DL_TX_TAIL) % c.hwTx.capacity;
          ctx.dev.write(c.hwTx.addr + idx, io);
          ctx.dev.write(c.hwTx.stat + idx, TXD_READY);
          ctx.setLocal(DL_TX_TAIL, u32(ctx.local(DL_TX_TAIL) + 1));
          return D3_P;
        }
        case D3_A:
          netRequestSignal(mem, c.drvTx.active, f);
          return D3_R;
        case D3_R:
          if (!txFull(ctx) && !netEmpty(mem, c.drvTx.active)) {
            netCancelSignal(mem, c.drvTx.active);
            return D3_P;
          }
          return ret(ctx);
        case D4_P: {
          const head = ctx.local(DL_TX_HEAD);
          const idx = head % c.hwTx.capacity;
          if (head === ctx.local(DL_TX_TAIL) || ctx.dev.read(c.hwTx.stat + idx) & TXD_READY)
            return D4_N;
          mustEnqueue(ctx, f, c.drvTx.free, ctx.dev.read(c.hwTx.addr + idx));
          ctx.setLocal(DL_TX_HEAD, u32(head + 1));
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
          const e = ctx.dev.read(c.eir) & (EIR_RXF | EIR_TXF);
          ctx.dev.write(c.eir, ctx.dev.read(c.eir) & ~e); // W1C
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

// ---------------------------------------------------------------- virt_rx (§3.4)

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
          const io = netDequeue(mem, c.drvRx.active);
          if (io === null) return R1_A;
          if (!validIo(io, c.rxDma)) {
            ctx.fail('address-domain', `virt_rx: drv.RxA holds ${io}, not an Rx DMA IO address`);
            return R1_P;
          }
          const off = io - c.rxDma.ioBase;
          const b = off / NET_BUFFER_SIZE;
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
          if (!netEmpty(mem, c.drvRx.active)) {
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
          const off = netDequeue(mem, c.virtRx[k]!.free);
          if (off === null) return R2_A;
          if (!validOffset(off, c.rxDma)) {
            ctx.fail('address-domain', `virt_rx: copier${k} returned offset ${off}`);
            return R2_P;
          }
          const b = off / NET_BUFFER_SIZE;
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
          if (!netEmpty(mem, c.virtRx[k]!.free)) {
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

// ---------------------------------------------------------------- copier (§3.5)

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
    !netEmpty(mem, virt.active) && (c.bug !== 'F15' || !netEmpty(mem, cli.free));
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
          if (!netEmpty(mem, cli.free)) {
            const cb = netDequeue(mem, cli.free)!;
            if (!validOffset(cb, cliData)) return C1_P; // log and drop cb (§3.5)
            const vb = netDequeue(mem, virt.active)!;
            if (!validOffset(vb, c.rxDma)) {
              ctx.fail('address-domain', `copier${k}: virt.RxA holds offset ${vb}`);
              return C1_P;
            }
            mem.store(
              cliData.data + cb / NET_BUFFER_SIZE,
              mem.load(c.rxDma.data + vb / NET_BUFFER_SIZE),
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
            const vb = netDequeue(mem, virt.active)!;
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

// ---------------------------------------------------------------- client (§3.6, abstract)

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
    !slow && !netEmpty(ctx.mem, rx.active) && ctx.local(CL_ECHO_COUNT) < pool;
  const txWork = (ctx: PdContext) => txPending(ctx) && !netEmpty(ctx.mem, tx.free);
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
          const off = netDequeue(mem, rx.active)!;
          if (!validOffset(off, c.cliRxData[k]!)) {
            ctx.fail('address-domain', `client${k}: RxA holds offset ${off}`);
            return L1_P;
          }
          const p = mem.load(c.cliRxData[k]!.data + off / NET_BUFFER_SIZE);
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
          const off = netDequeue(mem, tx.free)!;
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
          mem.store(c.cliTxData[k]!.data + off / NET_BUFFER_SIZE, p);
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

// ---------------------------------------------------------------- virt_tx (§3.3)

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
    initPc: PC_DONE,
    entry: () => T2_P, // notified(any): tx_return(); tx_provide()
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case T2_P: {
          const io = netDequeue(mem, c.drvTx.free);
          if (io === null) return T2_A;
          // extract_offset: the client whose Tx region contains the IO address (assert found).
          const k = c.cliTxData.findIndex((r) => validIo(io, r));
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
          if (!netEmpty(mem, c.drvTx.free)) {
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
          const off = netDequeue(mem, c.cliTx[k]!.active);
          if (off === null) return T1_A;
          if (!validOffset(off, c.cliTxData[k]!)) {
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
          if (!netEmpty(mem, c.cliTx[k]!.active)) {
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
