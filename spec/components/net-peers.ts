// Two abstract network peers over one queue pair (reference §2.1–2.2): a producer that takes
// buffers from `free`, fills them and publishes them on `active` (like a client's Tx path), and a
// consumer that drains `active` and returns the buffers on `free` (like virt_tx). Each runs the
// three-phase loop of §2.2: process, request_signal + re-check, require + cancel + notify.
import { assert } from '../common/assert.ts';
import { u16 } from '../common/int.ts';
import type { SharedMem } from '../common/memory.ts';
import {
  NET_BUFFER_SIZE_BYTES,
  netCancelSignal,
  netDequeue,
  netEmpty,
  netEnqueue,
  netFull,
  netLength,
  netRequestSignal,
  netRequireSignal,
  type NetQueueFlavour,
  type NetQueueRef,
} from '../queue/net.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from './program.ts';

export interface NetPeerConfig {
  readonly free: NetQueueRef;
  readonly active: NetQueueRef;
  readonly flavour: NetQueueFlavour;
  /** Data region: one payload word per buffer; descriptors carry offsets (multiples of 2048). */
  readonly data: number;
  readonly buffers: number;
  readonly items: number;
  /** Local channel id of the peer at each end. */
  readonly peerCh: number;
  /** The producer is untrusted and publishes one duplicate descriptor (O2), for bug U1. */
  readonly untrusted: boolean;
  /** Bug F2: the consumer omits the re-check after request_signal (pre-2023 protocol). */
  readonly noRecheck: boolean;
  /**
   * Bug F17: `net_buffers_init` before au-ts/sddf 8a15a202 enqueued `capacity − 1` buffers (with
   * the full test `tail + 1 − head == capacity` of the queue flavour `wasted-slot`).
   */
  readonly oldBuffersInit?: boolean;
}

/** The buffer size descriptors are offsets of (spec/queue/net.ts). */
export const NET_BUFFER_SIZE = NET_BUFFER_SIZE_BYTES;

/** Ghost words shared by the two peers (monitors). */
export const G_SENT = 0;
export const G_RECEIVED = 1;
export const G_DROPPED = 2;
/** Send requests made by the application so far (the producer's input, like lwIP output calls). */
export const G_REQUESTED = 3;
export const PEER_GHOSTS = 4;

/**
 * Enqueue with the single-writer overwrite monitor: a store into a slot that still holds a live
 * descriptor is the buffer-overwrite of U1 (the queue's true length, mod 2^16, equals capacity).
 */
export function enqueueMonitored(
  ctx: PdContext,
  q: NetQueueRef,
  f: NetQueueFlavour,
  desc: number,
): boolean {
  const liveBefore = netLength(ctx.mem, q);
  const ok = netEnqueue(ctx.mem, q, f, desc);
  if (ok && liveBefore >= q.capacity) {
    ctx.fail(
      'no-overwrite',
      `${q.name}: enqueue overwrote a live slot (length ${liveBefore}, capacity ${q.capacity})`,
    );
  }
  return ok;
}

/** `net_buffers_init`: one descriptor per step. */
function buffersInitStep(ctx: PdContext, c: NetPeerConfig, i: number): void {
  const ok = netEnqueue(ctx.mem, c.free, c.flavour, NET_BUFFER_SIZE * i);
  if (!ok)
    ctx.fail(
      'no-assert-failure',
      `net_buffers_init: enqueue of buffer ${i} into ${c.free.name} failed`,
    );
}

// Producer pcs and locals.
const P_INIT = 1;
const P_PROCESS = 2;
const P_REQUEST = 3;
const P_RECHECK = 4;
const P_NOTIFY = 5;
const PL_INIT_I = 0;
const PL_TRANSFERRED = 1;
const PL_DUP_DONE = 2;

export function netProducer(c: NetPeerConfig): ComponentProgram {
  const steps = [
    '',
    'init.net_buffers_init',
    'tx.process',
    'tx.request_signal(free)',
    'tx.recheck(free)',
    'tx.notify_if(active)',
  ];
  const pending = (ctx: PdContext): boolean => ctx.ghost(G_SENT) < ctx.ghost(G_REQUESTED);
  const work = (mem: SharedMem, ctx: PdContext): boolean =>
    pending(ctx) && !netEmpty(mem, c.free, c.flavour);
  return {
    name: 'producer',
    steps,
    localWords: 3,
    initPc: P_INIT,
    entry: () => P_PROCESS,
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case P_INIT: {
          // net_buffers_init: `for (i = 0; i < capacity; i++)` (before 8a15a202: `capacity - 1`).
          const i = ctx.local(PL_INIT_I);
          const count = c.oldBuffersInit === true ? c.free.capacity - 1 : c.free.capacity;
          if (count === 0) return PC_DONE;
          buffersInitStep(ctx, c, i);
          ctx.setLocal(PL_INIT_I, i + 1);
          return i + 1 < count ? P_INIT : PC_DONE;
        }
        case P_PROCESS: {
          if (c.untrusted && ctx.local(PL_DUP_DONE) === 0 && ctx.ghost(G_SENT) > 0) {
            // O2: an untrusted producer republishes the descriptor it sent last.
            ctx.setLocal(PL_DUP_DONE, 1);
            const last = mem.load(
              c.active.slots + (u16(mem.load(c.active.tail) - 1) % c.active.capacity),
            );
            if (enqueueMonitored(ctx, c.active, c.flavour, last)) ctx.setLocal(PL_TRANSFERRED, 1);
            return P_PROCESS;
          }
          if (!work(mem, ctx)) return pending(ctx) ? P_REQUEST : P_NOTIFY;
          const off = netDequeue(mem, c.free, c.flavour);
          assert(off !== null, 'free queue was non-empty');
          const seq = ctx.ghost(G_SENT) + 1;
          mem.store(c.data + (Math.floor(off / NET_BUFFER_SIZE) % c.buffers), seq);
          if (!enqueueMonitored(ctx, c.active, c.flavour, off) && !c.untrusted) {
            ctx.fail(
              'no-assert-failure',
              `${c.active.name}: enqueue failed (queue sized to hold every buffer)`,
            );
          }
          ctx.setGhost(G_SENT, seq);
          ctx.setLocal(PL_TRANSFERRED, 1);
          return P_PROCESS;
        }
        case P_REQUEST:
          netRequestSignal(mem, c.free, c.flavour);
          return P_RECHECK;
        case P_RECHECK:
          if (work(mem, ctx)) {
            netCancelSignal(mem, c.free);
            return P_PROCESS;
          }
          return P_NOTIFY;
        case P_NOTIFY:
          if (ctx.local(PL_TRANSFERRED) === 1 && netRequireSignal(mem, c.active, c.flavour)) {
            netCancelSignal(mem, c.active);
            ctx.notify(c.peerCh);
          }
          ctx.setLocal(PL_TRANSFERRED, 0);
          return PC_DONE;
        default:
          assert(false, `producer: bad pc ${pc}`);
      }
    },
  };
}

const C_PROCESS = 1;
const C_REQUEST = 2;
const C_RECHECK = 3;
const C_NOTIFY = 4;
const CL_RETURNED = 0;

export function netConsumer(c: NetPeerConfig): ComponentProgram {
  const steps = [
    '',
    'rx.process',
    'rx.request_signal(active)',
    'rx.recheck(active)',
    'rx.notify_if(free)',
  ];
  return {
    name: 'consumer',
    steps,
    localWords: 1,
    initPc: PC_DONE,
    entry: () => C_PROCESS,
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case C_PROCESS: {
          const off = netDequeue(mem, c.active, c.flavour);
          if (off === null) return C_REQUEST;
          if (off % NET_BUFFER_SIZE !== 0 || off >= NET_BUFFER_SIZE * c.buffers) {
            ctx.fail(
              'address-domain',
              `${c.active.name}: offset ${off} is not a buffer of the data region`,
            );
            return C_PROCESS;
          }
          const seq = mem.load(c.data + off / NET_BUFFER_SIZE);
          const expected = ctx.ghost(G_RECEIVED) + 1;
          if (!c.untrusted && seq !== expected) {
            ctx.fail('fifo', `${c.active.name}: received item ${seq}, expected ${expected}`);
          }
          ctx.setGhost(G_RECEIVED, ctx.ghost(G_RECEIVED) + 1);
          // A defensive consumer (like the vswitch) tests `full` and drops instead of asserting.
          if (netFull(mem, c.free, c.flavour)) {
            ctx.setGhost(G_DROPPED, ctx.ghost(G_DROPPED) + 1);
          } else {
            enqueueMonitored(ctx, c.free, c.flavour, off);
            ctx.setLocal(CL_RETURNED, 1);
          }
          return C_PROCESS;
        }
        case C_REQUEST:
          netRequestSignal(mem, c.active, c.flavour);
          return c.noRecheck ? C_NOTIFY : C_RECHECK;
        case C_RECHECK:
          if (!netEmpty(mem, c.active, c.flavour)) {
            netCancelSignal(mem, c.active);
            return C_PROCESS;
          }
          return C_NOTIFY;
        case C_NOTIFY:
          if (ctx.local(CL_RETURNED) === 1 && netRequireSignal(mem, c.free, c.flavour)) {
            netCancelSignal(mem, c.free);
            ctx.notify(c.peerCh);
          }
          ctx.setLocal(CL_RETURNED, 0);
          return PC_DONE;
        default:
          assert(false, `consumer: bad pc ${pc}`);
      }
    },
  };
}
