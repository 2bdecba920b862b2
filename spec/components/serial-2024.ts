// The serial Tx path as it was in August 2024, before au-ts/sddf 5d9135f4 (catalogue F12), with
// the two-flag signalling protocol of include/sddf/serial/queue.h at 5d9135f4^ (the producer→
// consumer flag was removed in f20e4526, 2025-01-15; reference §2.4):
//   - "producer signal" (`serial_request/cancel/require_producer_signal`): the consumer asks the
//     producer for a signal on its next enqueue; the producer tests it after publishing;
//   - "consumer signal" (`serial_request/cancel/require_consumer_signal`): the producer asks the
//     consumer for a signal once it has freed space; the consumer tests it after dequeueing.
// Both flags are 0 ("wanted") in zero-initialised memory.
//
// Components (files at 5d9135f4^):
//   - client k: util/putchar_serial.c `_sddf_putchar`: characters written at a private tail,
//     dropped while the queue is full; the tail is published when the queue becomes full or at the
//     line's end, then `if (require_producer_signal) { cancel; notify }`. The model's client writes
//     one line of `chars` characters in `init` (the '\r' that '\n' adds is not modelled).
//   - virt_tx: serial/components/virt_tx.c: `process_tx_queue`, `tx_pending` (a FIFO of client
//     ids, deduplicated), `tx_return` (driver notify: retry the pending clients) and
//     `tx_provide(ch)` (client notify). F12 is the `microkit_deferred_notify` of the driver in
//     tx_return and of the client in tx_provide (5d9135f4 made both immediate). The code of that
//     time also lacked the re-check after `request_consumer_signal` (F8, fixed a year later in
//     334e9be8): with `recheck` the model adds it, so that a variant shows one bug alone.
//   - driver: drivers/serial/arm/uart.c `tx_provide` (the UART Tx FIFO drains at once, so TXFF is
//     never set and the Tx interrupt never enabled).
// Memory model: the 2024 queue had no barriers outside CONFIG_ENABLE_SMP_SUPPORT; the model runs
// it under SC (a single core), where F12 shows.
import { assert } from '../common/assert.ts';
import type { SharedMem } from '../common/memory.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../signal/handshake.ts';
import {
  SERIAL_FLAVOUR_HEAD,
  serialDequeue,
  serialEnqueueLocal,
  serialFree,
  serialFullAt,
  serialLengthConsumer,
  serialUpdateSharedTail,
  type SerialQueueRef,
} from '../queue/serial.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from './program.ts';
import {
  txPendingLength,
  txPendingPop,
  txPendingPush,
  type TxPending,
  type TxPendingFlavour,
} from './serial-virt.ts';

// The queue accesses are HEAD's (load_acquire of the other side's index, store_release on
// publish), as before the operations took a flavour. The 2024 queue's accesses were plain without
// SMP support; that differs only under a weak memory model, and the 2024 variants run under SC.
const Q24 = SERIAL_FLAVOUR_HEAD;

export interface Serial2024Config {
  readonly clients: readonly SerialQueueRef[];
  readonly driver: SerialQueueRef;
  /** Characters each client writes: one line, its last character the '\n' ('\r' '\n'). */
  readonly chars: number;
  /** Characters client 1 writes (the same line shape). */
  readonly chars1: number;
  /** F12: the two `microkit_deferred_notify` calls of virt_tx (before 5d9135f4). */
  readonly deferred: boolean;
  /**
   * F10: `_sddf_putchar` before 367d4231: a '\n' that finds one free slot returns without
   * publishing what was written before it, and the tail is published only when the queue is full
   * or at '\n' (367d4231 also publishes when it is one from full).
   */
  readonly oldPutchar: boolean;
  /** virt_tx re-checks the driver queue's free space after request_consumer_signal (334e9be8). */
  readonly recheck: boolean;
  /**
   * `SERIAL_WITH_COLOUR`: virt_tx wraps each client's data in colour codes (scaled to one code
   * byte before and one after; upstream 5 and 4 bytes).
   */
  readonly colour: boolean;
  /**
   * F22: `tx_pending` before 0e60979c (July 2024, a month before this protocol's snapshot):
   * head and tail never wrapped, the array had `SERIAL_NUM_CLIENTS` entries (serial-virt.ts).
   */
  readonly pendingUnbounded?: boolean;
}

/** Marker bytes (not counted as the client's characters): '\r', colour begin, colour end. */
export const S24_CR = 0xfd;
export const S24_COLOUR_BEGIN = 0xfe;
export const S24_COLOUR_END = 0xff;
/** Bytes of colour codes around one client's data in the model (upstream: 5 + 4). */
export const S24_COLOUR_BYTES = 2;

/** Ghosts: per client k, at 4k: accepted, dropped, emitted by the UART, the last emitted seq. */
export const S24_ACCEPTED = 0;
export const S24_DROPPED = 1;
export const S24_EMITTED = 2;
export const S24_LAST = 3;
export function s24Ghost(k: number, field: number): number {
  return 4 * k + field;
}
export function serial2024Ghosts(clients: number): number {
  return 4 * clients;
}

/** A character of client k: its sequence number (from 1) in the low byte, the client above. */
export function s24Char(k: number, seq: number): number {
  assert(seq >= 1 && seq < S24_CR, 'a character sequence fits below the marker bytes');
  return (k << 8) | seq;
}

function producerFlag(q: SerialQueueRef): number {
  assert(q.consumerSignalled !== undefined, `${q.name}: the 2024 queue has two flags`);
  return q.consumerSignalled;
}

// `request_producer_signal` (the consumer wants a signal): flag := 0; `cancel`: := 1; `require`
// (the producer asks): flag == 0. The same three for the consumer-signal flag.
const requestProducer = (mem: SharedMem, q: SerialQueueRef) =>
  mem.store(producerFlag(q), FLAG_WANTS_SIGNAL);
const cancelProducer = (mem: SharedMem, q: SerialQueueRef) =>
  mem.store(producerFlag(q), FLAG_SIGNALLED);
const requireProducer = (mem: SharedMem, q: SerialQueueRef) =>
  mem.load(producerFlag(q)) === FLAG_WANTS_SIGNAL;
const requestConsumer = (mem: SharedMem, q: SerialQueueRef) =>
  mem.store(q.producerSignalled, FLAG_WANTS_SIGNAL);
const cancelConsumer = (mem: SharedMem, q: SerialQueueRef) =>
  mem.store(q.producerSignalled, FLAG_SIGNALLED);
const requireConsumer = (mem: SharedMem, q: SerialQueueRef) =>
  mem.load(q.producerSignalled) === FLAG_WANTS_SIGNAL;

// ---------------------------------------------------------------- client (putchar)

const K_PUT = 1;
const K_FLUSH = 2;
const K_IGNORE = 3;
const KL_TAIL = 0;
const KL_SEQ = 1;
const KL_TAIL_INIT = 2;

export function serial2024Client(c: Serial2024Config, k: number): ComponentProgram {
  const q = c.clients[k]!;
  const chars = k === 1 ? c.chars1 : c.chars;
  return {
    name: `client${k}`,
    steps: ['', 'putchar.enqueue_local', 'putchar.flush', 'notified'],
    localWords: 3,
    initPc: chars > 0 ? K_PUT : PC_DONE,
    entry: () => K_IGNORE, // the client does nothing on virt_tx's signal
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case K_PUT: {
          // serial_putchar_init: local_tail = queue->tail (the first call reads it).
          if (ctx.local(KL_TAIL_INIT) === 0) {
            ctx.setLocal(KL_TAIL, mem.load(q.tail));
            ctx.setLocal(KL_TAIL_INIT, 1);
          }
          const seq = ctx.local(KL_SEQ) + 1;
          ctx.setLocal(KL_SEQ, seq);
          const newline = seq === chars;
          const tail = ctx.local(KL_TAIL);
          const full = serialFullAt(mem, q, Q24, tail);
          const oneFromFull = serialFullAt(mem, q, Q24, tail + 1);
          const drop = c.oldPutchar ? full || (newline && oneFromFull) : full || oneFromFull;
          if (drop) {
            ctx.setGhost(s24Ghost(k, S24_DROPPED), ctx.ghost(s24Ghost(k, S24_DROPPED)) + 1);
            return newline ? PC_DONE : K_PUT; // `return`: nothing published
          }
          let next = tail;
          if (newline) next = serialEnqueueLocal(mem, q, Q24, next, (k << 8) | S24_CR)!;
          next = serialEnqueueLocal(mem, q, Q24, next, s24Char(k, seq))!;
          ctx.setLocal(KL_TAIL, next);
          ctx.setGhost(s24Ghost(k, S24_ACCEPTED), ctx.ghost(s24Ghost(k, S24_ACCEPTED)) + 1);
          // "Make changes visible to virtualiser if character is flush or if queue is now filled"
          // (367d4231: "... or one from full").
          const publish =
            serialFullAt(mem, q, Q24, next) ||
            newline ||
            (!c.oldPutchar && serialFullAt(mem, q, Q24, next + 1));
          return publish ? K_FLUSH : newline ? PC_DONE : K_PUT;
        }
        case K_FLUSH: {
          const broken = serialUpdateSharedTail(mem, q, Q24, ctx.local(KL_TAIL));
          if (broken !== null) ctx.fail('no-assert-failure', broken);
          if (requireProducer(mem, q)) {
            cancelProducer(mem, q);
            ctx.notify(0);
          }
          return ctx.local(KL_SEQ) < chars ? K_PUT : PC_DONE;
        }
        case K_IGNORE:
          return PC_DONE;
        default:
          assert(false, `serial 2024 client: bad pc ${pc}`);
      }
    },
  };
}

// ---------------------------------------------------------------- virt_tx

export const S24_VT_CH_DRIVER = 0;
const V_CHECK = 1;
const V_EMPTY = 2;
const V_PEND = 3;
const V_PEND_CANCEL = 4;
const V_XFER = 5;
const V_REPROCESS = 6;
const V_RET_POP = 7;
const V_RET_DRV = 8;
const V_RET_CLI = 9;
const V_PROV_DRV = 10;
const V_PROV_CLI = 11;
const V_PEND_RECHECK = 12;
/** tx_provide(ch) for client k is pc V_PROVIDE + k. */
const V_PROVIDE = 13;
// Locals: the current client, whether the current function transferred, the pending FIFO
// (head, tail, entries), the per-client pending bits, notify_client bits, pops left, the caller.
const VL_C = 0;
const VL_XFERRED = 1;
const VL_CLIENT_XFERRED = 2;
const VL_PHEAD = 3;
const VL_PTAIL = 4;
const VL_PENDING = 5;
const VL_NOTIFY = 6;
const VL_LEFT = 7;
const VL_IN_RETURN = 8;
const VL_FIFO = 9;

export function serial2024VirtTx(c: Serial2024Config): ComponentProgram {
  const n = c.clients.length;
  const fifoLen = n + 1; // TX_PENDING_LEN = SERIAL_NUM_CLIENTS + 1
  const drv = c.driver;
  // The tx_pending FIFO is serial-virt.ts's (one truth), kept in the locals.
  const pf: TxPendingFlavour = c.pendingUnbounded === true ? { unbounded: true } : {};
  const readPending = (ctx: PdContext): TxPending => ({
    queue: Array.from({ length: fifoLen }, (_, i) => ctx.local(VL_FIFO + i)),
    pending: Array.from({ length: n }, (_, k) => ((ctx.local(VL_PENDING) >>> k) & 1) === 1),
    head: ctx.local(VL_PHEAD),
    tail: ctx.local(VL_PTAIL),
  });
  const writePending = (ctx: PdContext, p: TxPending): void => {
    p.queue.forEach((k, i) => ctx.setLocal(VL_FIFO + i, k));
    ctx.setLocal(
      VL_PENDING,
      p.pending.reduce((m, on, k) => (on ? m | (1 << k) : m), 0),
    );
    ctx.setLocal(VL_PHEAD, p.head);
    ctx.setLocal(VL_PTAIL, p.tail);
  };
  const pendingLength = (ctx: PdContext) => txPendingLength(readPending(ctx), pf);
  const isPending = (ctx: PdContext, k: number) => ((ctx.local(VL_PENDING) >>> k) & 1) === 1;
  const push = (ctx: PdContext, k: number) => {
    const r = txPendingPush(readPending(ctx), k, pf);
    if ('broken' in r) {
      // The C asserts the length (a debug build crashes); F22's write past the array overwrites
      // `clients_pending` behind it.
      ctx.fail(/past the/.test(r.broken) ? 'no-overwrite' : 'no-assert-failure', r.broken);
      return;
    }
    writePending(ctx, r.pending);
  };
  const pop = (ctx: PdContext): number => {
    const r = txPendingPop(readPending(ctx), pf);
    if ('broken' in r) {
      ctx.fail('no-overwrite', r.broken);
      return 0;
    }
    writePending(ctx, r.pending);
    return r.client;
  };
  const afterClient = (ctx: PdContext): number => {
    // End of one client's `while (reprocess)` loop.
    const k = ctx.local(VL_C);
    if (ctx.local(VL_IN_RETURN) === 1) {
      if (ctx.local(VL_CLIENT_XFERRED) === 1)
        ctx.setLocal(VL_NOTIFY, ctx.local(VL_NOTIFY) | (1 << k));
      ctx.setLocal(VL_CLIENT_XFERRED, 0);
      return V_RET_POP;
    }
    ctx.setLocal(VL_CLIENT_XFERRED, 0);
    return V_PROV_DRV;
  };
  const notify = (ctx: PdContext, ch: number, deferred: boolean) => {
    if (deferred) ctx.deferredNotify(ch);
    else ctx.notify(ch);
  };
  return {
    name: 'virt_tx',
    steps: [
      '',
      'process_tx_queue.length',
      'process_tx_queue.request_producer_signal(client)',
      'process_tx_queue.pending.request_consumer_signal(driver)',
      'process_tx_queue.pending.cancel_producer_signal(client)',
      'process_tx_queue.transfer_all',
      'reprocess.recheck(client)',
      'tx_return.pop',
      'tx_return.notify_if(driver)',
      'tx_return.notify_if(client)',
      'tx_provide.notify_if(driver)',
      'tx_provide.notify_if(client)',
      'process_tx_queue.recheck(driver)',
      ...c.clients.map((_, k) => `tx_provide(client${k})`),
    ],
    localWords: VL_FIFO + fifoLen,
    initPc: PC_DONE,
    entry: (ch) => {
      if (ch === S24_VT_CH_DRIVER) return V_RET_POP;
      assert(ch >= 1 && ch <= n, `serial 2024 virt_tx: unknown channel ${ch}`);
      return V_PROVIDE + (ch - 1);
    },
    step(pc, ctx) {
      const mem = ctx.mem;
      if (pc >= V_PROVIDE) {
        // tx_provide(ch): `active_client = ch - CLIENT_OFFSET`.
        ctx.setLocal(VL_IN_RETURN, 0);
        ctx.setLocal(VL_C, pc - V_PROVIDE);
        return V_CHECK;
      }
      switch (pc) {
        case V_RET_POP: {
          // tx_return: `num_pending_tx = tx_pending_length()` at entry, then pop that many.
          if (ctx.local(VL_IN_RETURN) === 0) {
            ctx.setLocal(VL_IN_RETURN, 1);
            ctx.setLocal(VL_LEFT, pendingLength(ctx));
            ctx.setLocal(VL_NOTIFY, 0);
            ctx.setLocal(VL_XFERRED, 0);
          }
          if (ctx.local(VL_LEFT) === 0) return V_RET_DRV;
          ctx.setLocal(VL_LEFT, ctx.local(VL_LEFT) - 1);
          ctx.setLocal(VL_C, pop(ctx));
          return V_CHECK;
        }
        case V_CHECK: {
          const q = c.clients[ctx.local(VL_C)]!;
          const length = serialLengthConsumer(mem, q, Q24);
          if (length === 0) return V_EMPTY;
          const needed = length + (c.colour ? S24_COLOUR_BYTES : 0);
          return needed > serialFree(mem, drv, Q24) ? V_PEND : V_XFER;
        }
        case V_EMPTY:
          requestProducer(mem, c.clients[ctx.local(VL_C)]!);
          return V_REPROCESS;
        case V_PEND:
          if (c.recheck) {
            requestConsumer(mem, drv); // 334e9be8: request, then re-check, then push
            return V_PEND_RECHECK;
          }
          push(ctx, ctx.local(VL_C));
          requestConsumer(mem, drv); // signal me when the driver has consumed data
          return V_PEND_CANCEL;
        case V_PEND_RECHECK: {
          const q = c.clients[ctx.local(VL_C)]!;
          const needed = serialLengthConsumer(mem, q, Q24) + (c.colour ? S24_COLOUR_BYTES : 0);
          if (needed <= serialFree(mem, drv, Q24)) return V_XFER;
          push(ctx, ctx.local(VL_C));
          return V_PEND_CANCEL;
        }
        case V_PEND_CANCEL:
          cancelProducer(mem, c.clients[ctx.local(VL_C)]!); // no more signals from this client
          return V_REPROCESS;
        case V_XFER: {
          // serial_transfer_all(_with_colour): everything the client queue holds, then publish.
          const k = ctx.local(VL_C);
          const q = c.clients[k]!;
          const put = (ch: number) => {
            const next = serialEnqueueLocal(mem, drv, Q24, mem.load(drv.tail), ch);
            if (next === null) {
              ctx.fail('no-assert-failure', 'serial_transfer_all: driver queue full');
              return;
            }
            const broken = serialUpdateSharedTail(mem, drv, Q24, next);
            if (broken !== null) ctx.fail('no-assert-failure', broken);
          };
          if (c.colour) put((k << 8) | S24_COLOUR_BEGIN);
          for (let guard = 0; guard <= q.capacity; guard++) {
            const ch = serialDequeue(mem, q, Q24);
            if (ch === null) break;
            put(ch);
          }
          if (c.colour) put((k << 8) | S24_COLOUR_END);
          requestProducer(mem, q);
          ctx.setLocal(VL_XFERRED, 1);
          ctx.setLocal(VL_CLIENT_XFERRED, 1);
          return V_REPROCESS;
        }
        case V_REPROCESS: {
          // "If more data is available, re-process unless it has been pushed to pending".
          const k = ctx.local(VL_C);
          const q = c.clients[k]!;
          if (serialLengthConsumer(mem, q, Q24) > 0 && !isPending(ctx, k)) {
            cancelProducer(mem, q);
            return V_CHECK;
          }
          return afterClient(ctx);
        }
        case V_RET_DRV:
          if (ctx.local(VL_XFERRED) === 1 && requireProducer(mem, drv)) {
            cancelProducer(mem, drv);
            notify(ctx, S24_VT_CH_DRIVER, c.deferred); // F12: microkit_deferred_notify
          }
          ctx.setLocal(VL_C, 0);
          return V_RET_CLI;
        case V_RET_CLI: {
          const k = ctx.local(VL_C);
          if (((ctx.local(VL_NOTIFY) >>> k) & 1) === 1 && requireConsumer(mem, c.clients[k]!)) {
            cancelConsumer(mem, c.clients[k]!);
            ctx.notify(1 + k);
          }
          if (k + 1 < n) {
            ctx.setLocal(VL_C, k + 1);
            return V_RET_CLI;
          }
          ctx.setLocal(VL_IN_RETURN, 0);
          ctx.setLocal(VL_C, 0);
          ctx.setLocal(VL_XFERRED, 0);
          return PC_DONE;
        }
        case V_PROV_DRV:
          if (ctx.local(VL_XFERRED) === 1 && requireProducer(mem, drv)) {
            cancelProducer(mem, drv);
            ctx.notify(S24_VT_CH_DRIVER);
          }
          return V_PROV_CLI;
        case V_PROV_CLI: {
          const k = ctx.local(VL_C);
          if (ctx.local(VL_XFERRED) === 1 && requireConsumer(mem, c.clients[k]!)) {
            cancelConsumer(mem, c.clients[k]!);
            notify(ctx, 1 + k, c.deferred); // F12: microkit_deferred_notify(ch)
          }
          ctx.setLocal(VL_XFERRED, 0);
          ctx.setLocal(VL_C, 0);
          return PC_DONE;
        }
        default:
          assert(false, `serial 2024 virt_tx: bad pc ${pc}`);
      }
    },
  };
}

// ---------------------------------------------------------------- driver

const S_P = 1;
const S_A = 2;
const S_R = 3;
const S_N = 4;
const SL_MOVED = 0;

export function serial2024Driver(c: Serial2024Config): ComponentProgram {
  const q = c.driver;
  return {
    name: 'driver',
    steps: [
      '',
      'tx_provide.process',
      'tx_provide.request_producer_signal',
      'tx_provide.recheck',
      'tx_provide.notify_if(virt_tx)',
    ],
    localWords: 1,
    initPc: PC_DONE,
    entry: () => S_P,
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case S_P: {
          const ch = serialDequeue(mem, q, Q24);
          if (ch === null) return S_A;
          const k = ch >>> 8;
          const seq = ch & 0xff;
          if (seq >= S24_CR) return S_P; // '\r' or a colour code
          const last = s24Ghost(k, S24_LAST);
          if (k >= c.clients.length || seq <= ctx.ghost(last))
            ctx.fail('fifo', `UART emitted client ${k}'s char ${seq} after ${ctx.ghost(last)}`);
          ctx.setGhost(last, seq);
          ctx.setGhost(s24Ghost(k, S24_EMITTED), ctx.ghost(s24Ghost(k, S24_EMITTED)) + 1);
          ctx.setLocal(SL_MOVED, 1);
          return S_P;
        }
        case S_A:
          requestProducer(mem, q);
          return S_R;
        case S_R:
          if (serialLengthConsumer(mem, q, Q24) > 0) {
            cancelProducer(mem, q);
            return S_P;
          }
          return S_N;
        case S_N:
          if (ctx.local(SL_MOVED) === 1 && requireConsumer(mem, q)) {
            cancelConsumer(mem, q);
            ctx.notify(0);
          }
          ctx.setLocal(SL_MOVED, 0);
          return PC_DONE;
        default:
          assert(false, `serial 2024 driver: bad pc ${pc}`);
      }
    },
  };
}
