// Block request/response handshake (reference §2.3): no signalling flags; both sides always
// notify after enqueuing. The queue operations are spec/queue/blk.ts (u32 indices, an
// unconditional release fence before each index store).
// The requester bounds its requests in flight by the response queue's capacity (what blk virt
// relies on when it asserts that a response always fits; bug U7 breaks that bound).
import { assert } from '../common/assert.ts';
import {
  BLK_FLAVOUR_HEAD,
  blkDequeue,
  blkEnqueue,
  type BlkQueueFlavour,
  type BlkQueueRef,
} from '../queue/blk.ts';
import { PC_DONE, type ComponentProgram } from './program.ts';

export interface BlkPeerConfig {
  readonly req: BlkQueueRef;
  readonly resp: BlkQueueRef;
  readonly requests: number;
  /** U7: in flight bounded by the server's allocator (twice the queue), not the response queue. */
  readonly inFlightLimit: number;
  /**
   * The blk queue.h both sides use (F17: wasted slot; F21: size read from shared memory; the
   * acquire annotations of docs/weak-memory.md); absent = BLK_FLAVOUR_HEAD.
   */
  readonly flavour?: BlkQueueFlavour;
  /**
   * An untrusted client that writes this value into the response queue's shared `size` word
   * before anything else (the threat F21's fix, 193fb6f6, closes).
   */
  readonly hostileSize?: number;
}

export const BG_SUBMITTED = 0;
export const BG_COMPLETED = 1;
/** Bitmask of ids answered so far (each exactly once). */
export const BG_ANSWERED = 2;
/** Requests the application has asked for so far (arrive at any time, bounded). */
export const BG_WANTED = 3;
export const BLK_GHOSTS = 4;

const Q_RESPONSES = 1;
const Q_SUBMIT = 2;
const Q_NOTIFY = 3;
const Q_HOSTILE = 4;
const QL_SUBMITTED_NOW = 0;

export function blkRequester(c: BlkPeerConfig): ComponentProgram {
  const f = c.flavour ?? BLK_FLAVOUR_HEAD;
  return {
    name: 'client',
    steps: ['', 'handle_responses.dequeue', 'submit.enqueue', 'submit.notify', 'init.write_size'],
    localWords: 1,
    initPc: c.hostileSize !== undefined ? Q_HOSTILE : PC_DONE,
    // ch 0: the server answered; ch 1: the application wants requests submitted.
    entry: (ch) => (ch === 0 ? Q_RESPONSES : Q_SUBMIT),
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case Q_HOSTILE:
          assert(c.resp.size !== undefined, 'a hostile client writes the shared size word');
          mem.store(c.resp.size, c.hostileSize!);
          return PC_DONE;
        case Q_RESPONSES: {
          const id = blkDequeue(mem, c.resp, f);
          if (id === null) return Q_SUBMIT;
          const bit = 1 << id;
          if (id >= c.requests || (ctx.ghost(BG_ANSWERED) & bit) !== 0) {
            ctx.fail('fifo', `response for id ${id} unexpected or duplicated`);
          }
          ctx.setGhost(BG_ANSWERED, ctx.ghost(BG_ANSWERED) | bit);
          ctx.setGhost(BG_COMPLETED, ctx.ghost(BG_COMPLETED) + 1);
          return Q_RESPONSES;
        }
        case Q_SUBMIT: {
          const submitted = ctx.ghost(BG_SUBMITTED);
          const inFlight = submitted - ctx.ghost(BG_COMPLETED);
          const wanted = ctx.ghost(BG_WANTED);
          if (submitted >= wanted || inFlight >= c.inFlightLimit) return Q_NOTIFY;
          if (!blkEnqueue(mem, c.req, submitted, f)) return Q_NOTIFY;
          ctx.setGhost(BG_SUBMITTED, submitted + 1);
          ctx.setLocal(QL_SUBMITTED_NOW, 1);
          return Q_SUBMIT;
        }
        case Q_NOTIFY:
          if (ctx.local(QL_SUBMITTED_NOW) === 1) ctx.notify(0); // no flags: always notify
          ctx.setLocal(QL_SUBMITTED_NOW, 0);
          return PC_DONE;
        default:
          assert(false, `blk client: bad pc ${pc}`);
      }
    },
  };
}

const S_SERVE = 1;
const S_NOTIFY = 2;
const SL_ANSWERED_NOW = 0;

export function blkServer(c: BlkPeerConfig): ComponentProgram {
  const f = c.flavour ?? BLK_FLAVOUR_HEAD;
  return {
    name: 'server',
    steps: ['', 'handle_client.serve', 'handle_client.notify'],
    localWords: 1,
    initPc: PC_DONE,
    entry: () => S_SERVE,
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case S_SERVE: {
          const id = blkDequeue(mem, c.req, f);
          if (id === null) return S_NOTIFY;
          // blk virt: `assert(!err)` on the client response enqueue (in flight ≤ capacity).
          if (!blkEnqueue(mem, c.resp, id, f))
            ctx.fail('no-assert-failure', `${c.resp.name}: response for ${id} does not fit`);
          ctx.setLocal(SL_ANSWERED_NOW, 1);
          return S_SERVE;
        }
        case S_NOTIFY:
          if (ctx.local(SL_ANSWERED_NOW) === 1) ctx.notify(0);
          ctx.setLocal(SL_ANSWERED_NOW, 0);
          return PC_DONE;
        default:
          assert(false, `blk server: bad pc ${pc}`);
      }
    },
  };
}
