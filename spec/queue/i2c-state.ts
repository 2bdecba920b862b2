// The I²C queues on immutable values: a thin adapter that runs the operations of i2c.ts (the one
// definition, docs/adr/013-one-queue-truth.md) on a plain in-object memory holding one queue
// state. Used by the refinement tests and the abstraction function.
import { assert } from '../common/assert.ts';
import type { AbstractQueue } from './abstract.ts';
import {
  I2C_FLAVOUR_HEAD,
  I2C_CAPACITY,
  i2cDequeueRequest,
  i2cDequeueResponse,
  i2cEnqueueRequest,
  i2cEnqueueResponse,
  i2cRequestAbort,
  i2cRequestCommit,
  type I2cCmd,
  type I2cReqQueueRef,
  type I2cRespQueueRef,
  type I2cResponse,
} from './i2c.ts';
import {
  ringAbstraction,
  ringInitial,
  ringInvariant,
  ringIsEmpty,
  wrapIndex,
  type RingShape,
  type RingState,
} from './ring.ts';
import { StateMemory } from './state-memory.ts';

export interface I2cReqQueueState extends RingState<I2cCmd> {
  /** The producer's staged tail; equals `tail` when nothing is staged. */
  readonly stagedTail: number;
}

export type I2cRespQueueState = RingState<I2cResponse>;

export function i2cShape(capacity: number = I2C_CAPACITY): RingShape {
  return { width: 32, capacity, reservedSlots: 1 };
}

export function i2cStateReqInitial(capacity: number = I2C_CAPACITY, start = 0): I2cReqQueueState {
  const s = ringInitial<I2cCmd>(capacity, start >>> 0);
  return { ...s, stagedTail: s.tail };
}

export function i2cStateRespInitial(capacity: number = I2C_CAPACITY, start = 0): I2cRespQueueState {
  return ringInitial<I2cResponse>(capacity, start >>> 0);
}

/** The request queue as memory: staged_active_tail @0, ctrl.tail @1, ctrl.head @2, cmds from @3. */
function openReq(capacity: number, s: I2cReqQueueState) {
  assert(s.slots.length === capacity, 'slots match capacity');
  const mem = new StateMemory<I2cCmd>([s.stagedTail, s.tail, s.head], s.slots);
  const q: I2cReqQueueRef = {
    name: 'i2c request queue',
    stagedTail: 0,
    tail: 1,
    head: 2,
    slots: mem.slotBase,
    capacity,
  };
  const close = (): I2cReqQueueState => ({
    stagedTail: mem.field(0),
    tail: mem.field(1),
    head: mem.field(2),
    slots: mem.slots(),
  });
  return { mem, q, close };
}

/** The response queue as memory: ctrl.tail @0, ctrl.head @1, responses from @2. */
function openResp(capacity: number, s: I2cRespQueueState) {
  assert(s.slots.length === capacity, 'slots match capacity');
  const mem = new StateMemory<I2cResponse>([s.tail, s.head], s.slots);
  const q: I2cRespQueueRef = {
    name: 'i2c response queue',
    tail: 0,
    head: 1,
    slots: mem.slotBase,
    capacity,
  };
  const close = (): I2cRespQueueState => ({
    tail: mem.field(0),
    head: mem.field(1),
    slots: mem.slots(),
  });
  return { mem, q, close };
}

/** `i2c_enqueue_request`: stages one command at `staged_active_tail`. */
export function i2cStateEnqueueRequest(capacity: number, s: I2cReqQueueState, cmd: I2cCmd) {
  const { mem, q, close } = openReq(capacity, s);
  const ok = i2cEnqueueRequest(mem, q, I2C_FLAVOUR_HEAD, mem.handle(cmd));
  return { state: ok ? close() : s, ok };
}

/** `i2c_request_commit`: release, then `ctrl.tail = staged_active_tail`. */
export function i2cStateRequestCommit(s: I2cReqQueueState): I2cReqQueueState {
  const { mem, q, close } = openReq(s.slots.length, s);
  i2cRequestCommit(mem, q);
  return close();
}

/** `i2c_request_abort`: drop everything staged since the last commit. */
export function i2cStateRequestAbort(s: I2cReqQueueState): I2cReqQueueState {
  const { mem, q, close } = openReq(s.slots.length, s);
  i2cRequestAbort(mem, q);
  return close();
}

export function i2cStateDequeueRequest(
  capacity: number,
  s: I2cReqQueueState,
): { readonly state: I2cReqQueueState; readonly item: I2cCmd | null } {
  const { mem, q, close } = openReq(capacity, s);
  const handle = i2cDequeueRequest(mem, q, I2C_FLAVOUR_HEAD);
  return handle === null ? { state: s, item: null } : { state: close(), item: mem.item(handle) };
}

export function i2cStateEnqueueResponse(capacity: number, s: I2cRespQueueState, r: I2cResponse) {
  const { mem, q, close } = openResp(capacity, s);
  const ok = i2cEnqueueResponse(mem, q, I2C_FLAVOUR_HEAD, mem.handle(r));
  return { state: ok ? close() : s, ok };
}

export function i2cStateDequeueResponse(
  capacity: number,
  s: I2cRespQueueState,
): { readonly state: I2cRespQueueState; readonly item: I2cResponse | null } {
  const { mem, q, close } = openResp(capacity, s);
  const handle = i2cDequeueResponse(mem, q, I2C_FLAVOUR_HEAD);
  return handle === null ? { state: s, item: null } : { state: close(), item: mem.item(handle) };
}

export function i2cStateEmpty(s: RingState<unknown>): boolean {
  return ringIsEmpty(s);
}

/** Both the published and the staged window satisfy `0 ≤ x − head ≤ CAP − 1`. */
export function i2cStateReqInvariant(capacity: number, s: I2cReqQueueState): string | null {
  return (
    ringInvariant(i2cShape(capacity), s) ??
    ringInvariant(i2cShape(capacity), { tail: s.stagedTail, head: s.head }) ??
    (wrapIndex(32, s.stagedTail - s.head) < wrapIndex(32, s.tail - s.head)
      ? `staged tail ${s.stagedTail} behind tail ${s.tail}`
      : null)
  );
}

/** The consumer's view: only committed commands (staged ones are invisible). */
export function i2cStateReqAbstraction(
  capacity: number,
  s: I2cReqQueueState,
): AbstractQueue<I2cCmd> {
  return ringAbstraction(i2cShape(capacity), s);
}

export function i2cStateRespAbstraction(
  capacity: number,
  s: I2cRespQueueState,
): AbstractQueue<I2cResponse> {
  return ringAbstraction(i2cShape(capacity), s);
}
