// The serial queue on immutable values: a thin adapter that runs the operations of serial.ts (the
// one definition, docs/adr/013-one-queue-truth.md) on a plain in-object memory holding the queue
// MR and its data region. Used by the refinement tests and the abstraction function.
import { assert } from '../common/assert.ts';
import type { AbstractQueue } from './abstract.ts';
import {
  SERIAL_FLAVOUR_HEAD,
  serialCancelConsumerSignal,
  serialDequeue,
  serialDequeueLocal,
  serialEnqueue,
  serialEnqueueBatch,
  serialEnqueueLocal,
  serialFree,
  serialFullAt,
  serialLengthConsumer,
  serialRequestConsumerSignal,
  serialRequireConsumerSignal,
  serialTransferAll,
  serialUpdateSharedHead,
  serialUpdateSharedTail,
  type SerialCopy,
  type SerialQueueRef,
} from './serial.ts';
import {
  ringAbstraction,
  ringInitial,
  ringInvariant,
  type RingShape,
  type RingState,
} from './ring.ts';
import { StateMemory } from './state-memory.ts';

/** `slots` are the data region bytes (u8). */
export interface SerialQueueState extends RingState<number> {
  /** u32; 0 = the producer wants a signal (it is blocked on a full queue, §2.4). */
  readonly producerSignalled: number;
}

export function serialShape(capacity: number): RingShape {
  return { width: 32, capacity, reservedSlots: 0 };
}

export function serialStateInitial(capacity: number, start = 0): SerialQueueState {
  // The data region is zero-filled at boot (§1.7), so every byte reads as 0 before any write.
  const s = ringInitial<number>(capacity, start >>> 0);
  return { ...s, slots: s.slots.map(() => 0), producerSignalled: 0 };
}

const FIELDS = 3; // tail, head, producer_signalled

/**
 * Queues as one memory: per queue k, tail @3k, head @3k+1, producer_signalled @3k+2; their data
 * regions follow in the same order.
 */
function open(queues: readonly { readonly capacity: number; readonly s: SerialQueueState }[]) {
  const fields: number[] = [];
  const data: (number | undefined)[] = [];
  for (const { capacity, s } of queues) {
    assert(s.slots.length === capacity, () => `data ${s.slots.length} != capacity ${capacity}`);
    fields.push(s.tail, s.head, s.producerSignalled);
    data.push(...s.slots);
  }
  const mem = new StateMemory<number>(fields, data);
  let at = mem.slotBase;
  const refs: SerialQueueRef[] = queues.map(({ capacity }, k) => {
    const q = {
      name: `serial queue ${k}`,
      tail: FIELDS * k,
      head: FIELDS * k + 1,
      producerSignalled: FIELDS * k + 2,
      data: at,
      capacity,
    };
    at += capacity;
    return q;
  });
  const close = (k: number): SerialQueueState => {
    const before = queues.slice(0, k).reduce((n, x) => n + x.capacity, 0);
    const slots = mem.slots().slice(before, before + queues[k]!.capacity);
    return {
      tail: mem.field(FIELDS * k),
      head: mem.field(FIELDS * k + 1),
      producerSignalled: mem.field(FIELDS * k + 2),
      slots,
    };
  };
  return { mem, refs, close };
}

function one(capacity: number, s: SerialQueueState) {
  const { mem, refs, close } = open([{ capacity, s }]);
  return { mem, q: refs[0]!, close: () => close(0) };
}

function assertByte(c: number): void {
  assert(Number.isInteger(c) && c >= 0 && c <= 0xff, () => `character ${c} is not a u8`);
}

/** `serial_queue_length_consumer`. */
export function serialStateLength(s: SerialQueueState): number {
  const { mem, q } = one(s.slots.length, s);
  return serialLengthConsumer(mem, q, SERIAL_FLAVOUR_HEAD);
}

/** `serial_queue_free`: bytes the producer may still write. */
export function serialStateFree(capacity: number, s: SerialQueueState): number {
  const { mem, q } = one(capacity, s);
  return serialFree(mem, q, SERIAL_FLAVOUR_HEAD);
}

/** `serial_queue_full(h, tail)`. */
export function serialStateFull(capacity: number, s: SerialQueueState): boolean {
  const { mem, q } = one(capacity, s);
  return serialFullAt(mem, q, SERIAL_FLAVOUR_HEAD, s.tail);
}

export function serialStateEnqueue(
  capacity: number,
  s: SerialQueueState,
  c: number,
): { readonly state: SerialQueueState; readonly ok: boolean } {
  assertByte(c);
  const { mem, q, close } = one(capacity, s);
  const ok = serialEnqueue(mem, q, SERIAL_FLAVOUR_HEAD, mem.handle(c));
  return { state: ok ? close() : s, ok };
}

export function serialStateDequeue(
  capacity: number,
  s: SerialQueueState,
): { readonly state: SerialQueueState; readonly item: number | null } {
  const { mem, q, close } = one(capacity, s);
  const handle = serialDequeue(mem, q, SERIAL_FLAVOUR_HEAD);
  return handle === null ? { state: s, item: null } : { state: close(), item: mem.item(handle) };
}

/** `serial_enqueue_local`: writes the byte, advances only the private `localTail`. */
export function serialStateEnqueueLocal(
  capacity: number,
  s: SerialQueueState,
  localTail: number,
  c: number,
): { readonly state: SerialQueueState; readonly localTail: number; readonly ok: boolean } {
  assertByte(c);
  const { mem, q, close } = one(capacity, s);
  const next = serialEnqueueLocal(mem, q, SERIAL_FLAVOUR_HEAD, localTail, mem.handle(c));
  return next === null
    ? { state: s, localTail, ok: false }
    : { state: close(), localTail: next, ok: true };
}

/** `serial_update_shared_tail` (the debug build's asserts are our bug here). */
export function serialStateUpdateSharedTail(
  capacity: number,
  s: SerialQueueState,
  localTail: number,
): SerialQueueState {
  const { mem, q, close } = one(capacity, s);
  const broken = serialUpdateSharedTail(mem, q, SERIAL_FLAVOUR_HEAD, localTail);
  assert(broken === null, () => broken ?? '');
  return close();
}

/** `serial_dequeue_local`: reads the byte at the private `localHead`, advances only it. */
export function serialStateDequeueLocal(
  capacity: number,
  s: SerialQueueState,
  localHead: number,
): { readonly localHead: number; readonly item: number | null } {
  const { mem, q } = one(capacity, s);
  const r = serialDequeueLocal(mem, q, SERIAL_FLAVOUR_HEAD, localHead);
  return r === null ? { localHead, item: null } : { localHead: r.localHead, item: mem.item(r.c) };
}

/** `serial_update_shared_head` (the debug build's assert is our bug here). */
export function serialStateUpdateSharedHead(
  capacity: number,
  s: SerialQueueState,
  localHead: number,
): SerialQueueState {
  const { mem, q, close } = one(capacity, s);
  const broken = serialUpdateSharedHead(mem, q, SERIAL_FLAVOUR_HEAD, localHead);
  assert(broken === null, () => broken ?? '');
  return close();
}

/** `serial_enqueue_batch(h, n, src)`: `min(n, free)` bytes in at most two copies. */
export function serialStateEnqueueBatch(
  capacity: number,
  s: SerialQueueState,
  src: readonly number[],
): {
  readonly state: SerialQueueState;
  readonly countBytes: number;
  readonly copies: readonly SerialCopy[];
} {
  src.forEach(assertByte);
  const { mem, q, close } = one(capacity, s);
  const r = serialEnqueueBatch(
    mem,
    q,
    SERIAL_FLAVOUR_HEAD,
    src.map((c) => mem.handle(c)),
  );
  return { state: close(), countBytes: r.countBytes, copies: r.copies };
}

/** `serial_transfer_all(dst, src)`: everything in `src` appended to `dst` (it must fit). */
export function serialStateTransferAll(opts: {
  readonly dstCapacity: number;
  readonly dst: SerialQueueState;
  readonly srcCapacity: number;
  readonly src: SerialQueueState;
}): { readonly dst: SerialQueueState; readonly src: SerialQueueState } {
  const { mem, refs, close } = open([
    { capacity: opts.dstCapacity, s: opts.dst },
    { capacity: opts.srcCapacity, s: opts.src },
  ]);
  const r = serialTransferAll(mem, { dst: refs[0]!, src: refs[1]! }, SERIAL_FLAVOUR_HEAD);
  assert(!('broken' in r), () => ('broken' in r ? r.broken : ''));
  return { dst: close(0), src: close(1) };
}

export function serialStateRequestConsumerSignal(s: SerialQueueState): SerialQueueState {
  const { mem, q, close } = one(s.slots.length, s);
  serialRequestConsumerSignal(mem, q, SERIAL_FLAVOUR_HEAD);
  return close();
}

export function serialStateCancelConsumerSignal(s: SerialQueueState): SerialQueueState {
  const { mem, q, close } = one(s.slots.length, s);
  serialCancelConsumerSignal(mem, q, SERIAL_FLAVOUR_HEAD);
  return close();
}

export function serialStateRequireConsumerSignal(s: SerialQueueState): boolean {
  const { mem, q } = one(s.slots.length, s);
  return serialRequireConsumerSignal(mem, q, SERIAL_FLAVOUR_HEAD);
}

export function serialStateInvariant(capacity: number, s: SerialQueueState): string | null {
  return ringInvariant(serialShape(capacity), s);
}

export function serialStateAbstraction(
  capacity: number,
  s: SerialQueueState,
): AbstractQueue<number> {
  return ringAbstraction(serialShape(capacity), s);
}
