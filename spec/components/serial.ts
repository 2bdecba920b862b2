// Serial Tx path (reference §2.4, §3.10–3.11): client → serial virt_tx → driver, over serial
// queues (u32 indices, bytes in a separate data region; the operations are spec/queue/serial.ts). Signalling is asymmetric: producers
// always notify the consumer; a producer blocked on a full queue arms `producer_signalled` and
// the consumer notifies it after freeing space. Bug switches: F6, F8, F9 (F12 is in the 2024
// protocol of serial-2024.ts).
import { assert } from '../common/assert.ts';
import type { SharedMem } from '../common/memory.ts';
import {
  serialCancelConsumerSignal,
  serialDequeue,
  serialEnqueue,
  serialEnqueueBatch,
  serialFree,
  serialLengthConsumer,
  serialRequestConsumerSignal,
  serialRequireConsumerSignal,
  type SerialQueueFlavour,
  type SerialQueueRef,
} from '../queue/serial.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from './program.ts';

export type SerialBug = 'F6' | 'F8' | 'F9' | 'F23';
// F6 is kept as a switch but not catalogued: with one flag left at HEAD the swap only renames it.

export interface SerialFlavour {
  readonly bug?: SerialBug;
  /** queue.h's ordering annotations (docs/weak-memory.md); absent = HEAD's. */
  readonly ordering?: Pick<SerialQueueFlavour, 'fences' | 'acquire'>;
}

/**
 * The queue.h a bug needs: F9 is queue.h before 57d50b7c (release fences where HEAD has seq_cst
 * ones), F6 writes the old flag word; otherwise HEAD's, or the ordering asked for.
 */
export function serialQueueFlavour(f: SerialFlavour): SerialQueueFlavour {
  const acquire = f.ordering?.acquire;
  return {
    fences: f.bug === 'F9' ? 'release' : (f.ordering?.fences ?? 'seq_cst'),
    ...(acquire !== undefined ? { acquire } : {}),
    ...(f.bug === 'F6' ? { wrongFlag: true } : {}),
    ...(f.bug === 'F23' ? { batch: 'F23' as const } : {}),
  };
}

export interface SerialConfig {
  readonly client: SerialQueueRef;
  readonly driver: SerialQueueRef;
  readonly chars: number;
  readonly flavour: SerialFlavour;
  /**
   * virt_tx moves the client's bytes into the driver queue with one `serial_enqueue_batch` (as
   * serial_transfer_all does) instead of byte by byte: the batch's wrap is then modelled.
   */
  readonly batch?: boolean;
}

/** Ghost words: characters written by the client, characters the UART emitted. */
export const SG_WRITTEN = 0;
export const SG_EMITTED = 1;
export const SERIAL_GHOSTS = 2;

// client: one channel (0) to virt_tx.
const K_PROCESS = 1;
const K_NOTIFY = 2;
const K_REQUEST = 3;
const K_RECHECK = 4;
const KL_WROTE = 0;

export function serialClient(c: SerialConfig): ComponentProgram {
  const f = serialQueueFlavour(c.flavour);
  const left = (ctx: PdContext) => ctx.ghost(SG_WRITTEN) < c.chars;
  return {
    name: 'client',
    steps: [
      '',
      'putchar.enqueue',
      'putchar.notify',
      'putchar.request_consumer_signal',
      'putchar.recheck',
    ],
    localWords: 1,
    initPc: K_PROCESS,
    entry: () => K_PROCESS,
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case K_PROCESS: {
          if (!left(ctx) || serialFree(mem, c.client, f) === 0) return K_NOTIFY;
          const ch = ctx.ghost(SG_WRITTEN) + 1;
          assert(serialEnqueue(mem, c.client, f, ch), 'client queue had space');
          ctx.setGhost(SG_WRITTEN, ch);
          ctx.setLocal(KL_WROTE, 1);
          return K_PROCESS;
        }
        case K_NOTIFY:
          // §2.4: producers always notify the consumer after making data visible.
          if (ctx.local(KL_WROTE) === 1) ctx.notify(0);
          ctx.setLocal(KL_WROTE, 0);
          return left(ctx) ? K_REQUEST : PC_DONE;
        case K_REQUEST:
          serialRequestConsumerSignal(mem, c.client, f);
          return K_RECHECK;
        case K_RECHECK:
          if (serialFree(mem, c.client, f) > 0) {
            serialCancelConsumerSignal(mem, c.client, f);
            return K_PROCESS;
          }
          return PC_DONE;
        default:
          assert(false, `serial client: bad pc ${pc}`);
      }
    },
  };
}

// virt_tx: channel 0 = driver, 1 = client.
export const SVT_CH_DRIVER = 0;
export const SVT_CH_CLIENT = 1;
const V_LEN = 1;
const V_REQUEST = 2;
const V_RECHECK = 3;
const V_TRANSFER = 4;
const V_NOTIFY_DRIVER = 5;
const V_NOTIFY_CLIENT = 6;
const V_RETURN = 7;
const VL_PENDING = 0;
const VL_LEN = 1;

export function serialVirtTx(c: SerialConfig): ComponentProgram {
  const f = serialQueueFlavour(c.flavour);
  const fits = (mem: SharedMem) =>
    serialLengthConsumer(mem, c.client, f) <= serialFree(mem, c.driver, f);
  return {
    name: 'virt_tx',
    steps: [
      '',
      'process_tx_queue.length',
      'process_tx_queue.request_consumer_signal(driver)',
      'process_tx_queue.recheck(driver)',
      'process_tx_queue.transfer_all',
      'tx_provide.notify(driver)',
      'tx_provide.notify_if(client)',
      'tx_return.pending',
    ],
    localWords: 2,
    initPc: PC_DONE,
    entry: (ch) => (ch === SVT_CH_DRIVER ? V_RETURN : V_LEN),
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case V_RETURN:
          if (ctx.local(VL_PENDING) === 0) return PC_DONE;
          ctx.setLocal(VL_PENDING, 0);
          return V_LEN;
        case V_LEN:
          ctx.setLocal(VL_LEN, serialLengthConsumer(mem, c.client, f));
          if (ctx.local(VL_LEN) === 0) return PC_DONE;
          return fits(mem) ? V_TRANSFER : V_REQUEST;
        case V_REQUEST:
          serialRequestConsumerSignal(mem, c.driver, f);
          if (c.flavour.bug === 'F8') {
            ctx.setLocal(VL_PENDING, 1); // no re-check (before 334e9be8)
            return PC_DONE;
          }
          return V_RECHECK;
        case V_RECHECK:
          if (!fits(mem)) {
            ctx.setLocal(VL_PENDING, 1); // tx_pending: retried on the driver's signal
            return PC_DONE;
          }
          // HEAD (virt_tx.c process_tx_queue): a successful re-check transfers and leaves the
          // driver-queue flag armed (no cancel); the driver's next require will notify anyway.
          return V_TRANSFER;
        case V_TRANSFER: {
          // A client's data is never split (strings not interleaved): transfer all at once. We move
          // the length measured at the check: C's serial_transfer_all re-reads the tail, and on
          // SMP a client enqueueing in between makes its "fits" assert fail (see ADR 008, notes).
          if (c.batch === true) {
            const bytes: number[] = [];
            for (let i = 0; i < ctx.local(VL_LEN); i++) {
              const ch = serialDequeue(mem, c.client, f);
              if (ch === null) break;
              bytes.push(ch);
            }
            const r = serialEnqueueBatch(mem, c.driver, f, bytes);
            if (r.countBytes !== bytes.length)
              ctx.fail('no-assert-failure', 'serial_transfer_all: driver queue full');
            return V_NOTIFY_DRIVER;
          }
          for (let i = 0; i < ctx.local(VL_LEN); i++) {
            const ch = serialDequeue(mem, c.client, f);
            if (ch === null) break;
            if (!serialEnqueue(mem, c.driver, f, ch))
              ctx.fail('no-assert-failure', 'serial_transfer_all: driver queue full');
          }
          return V_NOTIFY_DRIVER;
        }
        case V_NOTIFY_DRIVER:
          ctx.notify(SVT_CH_DRIVER);
          return V_NOTIFY_CLIENT;
        case V_NOTIFY_CLIENT:
          if (serialRequireConsumerSignal(mem, c.client, f)) {
            serialCancelConsumerSignal(mem, c.client, f);
            ctx.notify(SVT_CH_CLIENT);
          }
          return PC_DONE;
        default:
          assert(false, `serial virt_tx: bad pc ${pc}`);
      }
    },
  };
}

// driver: channel 0 = virt_tx. The UART Tx FIFO drains at once (QEMU PL011, §5.3).
const S_PROCESS = 1;
const S_NOTIFY = 2;
const SL_MOVED = 0;

export function serialDriver(c: SerialConfig): ComponentProgram {
  const f = serialQueueFlavour(c.flavour);
  return {
    name: 'driver',
    steps: ['', 'tx_provide.process', 'tx_provide.notify_if(virt_tx)'],
    localWords: 1,
    initPc: PC_DONE,
    entry: () => S_PROCESS,
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case S_PROCESS: {
          const ch = serialDequeue(mem, c.driver, f);
          if (ch === null) return S_NOTIFY;
          const expected = ctx.ghost(SG_EMITTED) + 1;
          if (ch !== expected) ctx.fail('fifo', `UART emitted char ${ch}, expected ${expected}`);
          ctx.setGhost(SG_EMITTED, expected);
          ctx.setLocal(SL_MOVED, 1);
          return S_PROCESS;
        }
        case S_NOTIFY:
          if (ctx.local(SL_MOVED) === 1 && serialRequireConsumerSignal(mem, c.driver, f)) {
            serialCancelConsumerSignal(mem, c.driver, f);
            ctx.notify(0);
          }
          ctx.setLocal(SL_MOVED, 0);
          return PC_DONE;
        default:
          assert(false, `serial driver: bad pc ${pc}`);
      }
    },
  };
}
