// The block queues on immutable values: a thin adapter that runs the operations of blk.ts (the one
// definition, docs/adr/013-one-queue-truth.md) on a plain in-object memory holding one queue
// state. Used by the refinement tests and the abstraction function.
import { assert } from '../common/assert.ts';
import type { AbstractQueue } from './abstract.ts';
import {
  blkDequeue,
  blkEmpty,
  blkEnqueue,
  blkFull,
  blkLength,
  blkSetPlugged,
  type BlkQueueRef,
  type BlkReq,
  type BlkResp,
} from './blk.ts';
import {
  ringAbstraction,
  ringInitial,
  ringInvariant,
  type RingShape,
  type RingState,
} from './ring.ts';
import { StateMemory } from './state-memory.ts';

export interface BlkReqQueueState extends RingState<BlkReq> {
  /** `bool plugged`: set/cleared by blk_queue_plug_req/unplug_req; no component reads it at HEAD. */
  readonly plugged: boolean;
}

export type BlkRespQueueState = RingState<BlkResp>;

export function blkShape(capacity: number): RingShape {
  return { width: 32, capacity, reservedSlots: 0 };
}

export function blkStateReqInitial(capacity: number, start = 0): BlkReqQueueState {
  return { ...ringInitial<BlkReq>(capacity, start >>> 0), plugged: false };
}

export function blkStateRespInitial(capacity: number, start = 0): BlkRespQueueState {
  return ringInitial<BlkResp>(capacity, start >>> 0);
}

/** Either queue as memory: head @0, tail @1, plugged @2, slots from @3 (plugged unused on resp). */
function open<T>(capacity: number, s: RingState<T> & { readonly plugged?: boolean }) {
  assert(s.slots.length === capacity, () => `slots ${s.slots.length} != capacity ${capacity}`);
  const mem = new StateMemory<T>([s.head, s.tail, s.plugged === true ? 1 : 0], s.slots);
  const q: BlkQueueRef = {
    name: 'blk queue',
    head: 0,
    tail: 1,
    plugged: 2,
    slots: mem.slotBase,
    capacity,
  };
  return { mem, q };
}

function closeReq(mem: StateMemory<BlkReq>): BlkReqQueueState {
  return {
    head: mem.field(0),
    tail: mem.field(1),
    plugged: mem.field(2) !== 0,
    slots: mem.slots(),
  };
}

function closeResp(mem: StateMemory<BlkResp>): BlkRespQueueState {
  return { head: mem.field(0), tail: mem.field(1), slots: mem.slots() };
}

export function blkStateLength(s: BlkReqQueueState | BlkRespQueueState): number {
  const { mem, q } = open<unknown>(s.slots.length, s);
  return blkLength(mem, q);
}

export function blkStateEmpty(s: BlkReqQueueState | BlkRespQueueState): boolean {
  const { mem, q } = open<unknown>(s.slots.length, s);
  return blkEmpty(mem, q);
}

export function blkStateFull(s: BlkReqQueueState | BlkRespQueueState): boolean {
  const { mem, q } = open<unknown>(s.slots.length, s);
  return blkFull(mem, q);
}

/** `blk_enqueue_req`. */
export function blkStateEnqueueReq(capacity: number, s: BlkReqQueueState, r: BlkReq) {
  const { mem, q } = open(capacity, s);
  const ok = blkEnqueue(mem, q, mem.handle(r));
  return { state: ok ? closeReq(mem) : s, ok };
}

/** `blk_dequeue_req`. */
export function blkStateDequeueReq(
  capacity: number,
  s: BlkReqQueueState,
): { readonly state: BlkReqQueueState; readonly item: BlkReq | null } {
  const { mem, q } = open(capacity, s);
  const handle = blkDequeue(mem, q);
  return handle === null
    ? { state: s, item: null }
    : { state: closeReq(mem), item: mem.item(handle) };
}

/** `blk_enqueue_resp`. */
export function blkStateEnqueueResp(capacity: number, s: BlkRespQueueState, r: BlkResp) {
  const { mem, q } = open(capacity, s);
  const ok = blkEnqueue(mem, q, mem.handle(r));
  return { state: ok ? closeResp(mem) : s, ok };
}

/** `blk_dequeue_resp`. */
export function blkStateDequeueResp(
  capacity: number,
  s: BlkRespQueueState,
): { readonly state: BlkRespQueueState; readonly item: BlkResp | null } {
  const { mem, q } = open(capacity, s);
  const handle = blkDequeue(mem, q);
  return handle === null
    ? { state: s, item: null }
    : { state: closeResp(mem), item: mem.item(handle) };
}

/** `blk_queue_plug_req` / `blk_queue_unplug_req`. */
export function blkStateSetPlugged(s: BlkReqQueueState, plugged: boolean): BlkReqQueueState {
  const { mem, q } = open(s.slots.length, s);
  blkSetPlugged(mem, q, plugged);
  return closeReq(mem);
}

/** `0 ≤ tail − head ≤ capacity` at u32, for either block queue. */
export function blkStateInvariant(
  capacity: number,
  s: BlkReqQueueState | BlkRespQueueState,
): string | null {
  return ringInvariant(blkShape(capacity), s);
}

export function blkStateReqAbstraction(
  capacity: number,
  s: BlkReqQueueState,
): AbstractQueue<BlkReq> {
  return ringAbstraction(blkShape(capacity), s);
}

export function blkStateRespAbstraction(
  capacity: number,
  s: BlkRespQueueState,
): AbstractQueue<BlkResp> {
  return ringAbstraction(blkShape(capacity), s);
}
