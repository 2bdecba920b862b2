// Index arithmetic shared by every sDDF queue class (reference sddf-protocols.md §2 and §6.2):
// free-running unsigned `tail` (producer) and `head` (consumer) of an exact width; slot =
// `index % capacity`; length = `tail - head` at that width; empty ⇔ length 0; full ⇔ length
// == capacity (i2c: one reserved slot, `tail - head + 1 == CAP`, §2.5). Each predicate is written
// once over `IndexArith` (arith.ts) and evaluated on numbers here and on Z3 terms in proofs/smt.
// The value-level ring state (RingState, its invariant and abstraction function) is what the
// per-class state adapters (*-state.ts) run the memory operations on.
import { assert } from '../common/assert.ts';
import type { Diagnostic } from '../common/diagnostic.ts';
import { isPowerOfTwo, u16, u32 } from '../common/int.ts';
import type { AbstractQueue } from './abstract.ts';
import { numberArithOf, U32, type IndexArith } from './arith.ts';

export type IndexWidth = 16 | 32;

/** Truncate to the index width, as the C `uint16_t` / `uint32_t` store does. */
export function wrapIndex(width: IndexWidth, x: number): number {
  return width === 16 ? u16(x) : u32(x);
}

export interface RingIndices {
  readonly tail: number;
  readonly head: number;
}

export interface RingShape {
  readonly width: IndexWidth;
  readonly capacity: number;
  /** Slots that can never hold data: 0 for net/blk/serial, 1 for i2c (§2.5). */
  readonly reservedSlots: 0 | 1;
}

/**
 * Acquire annotations on the load of the *other side's* index (issue 15 part 3; the table and the
 * runs behind it are in docs/weak-memory.md). Under ARMv8 and RVWMO a plain load of `tail`
 * followed by the slot load may be satisfied out of order (a control dependency does not order
 * load→load), so the consumer can read a slot before the `tail` store that publishes it:
 * message passing needs an acquire on the consumer's `tail` load. The producer's `head` load is
 * followed only by stores (the slot), which its control dependency and the consumer's release
 * already order.
 * - `none`: plain loads (net, blk and i2c queue.h at HEAD);
 * - `consumer`: an acquire fence right after the consumer's load of `tail` (empty check,
 *   dequeue), i.e. `load_acquire(tail)` as ADR 013 models it (load, then THREAD_MEMORY_ACQUIRE);
 * - `both`: also after the producer's load of `head` (full check, enqueue): serial at HEAD.
 * The SC and store-buffer models ignore the difference (they never reorder loads).
 */
export type IndexAcquire = 'none' | 'consumer' | 'both';

/** The index acquires by number, as the models' `acquire` bound gives them (0 = HEAD, `none`). */
export const INDEX_ACQUIRE_BY_BOUND: readonly IndexAcquire[] = ['none', 'consumer', 'both'];

/** Whether `side`'s load of the other index is followed by an acquire under `acquire`. */
export function acquiresIndex(acquire: IndexAcquire, side: 'producer' | 'consumer'): boolean {
  return acquire === 'both' || (acquire === 'consumer' && side === 'consumer');
}

/** `(uintW_t)(tail - head)`: the occupied length at the index width. */
export function ringLengthOf<V, B>(a: IndexArith<V, B>, tail: V, head: V): V {
  return a.sub(tail, head);
}

/**
 * Empty: `tail == head`. The C writes `tail - head == 0`; for unsigned indices and for `uint16_t`
 * promoted to `int` alike that holds exactly when the two indices are equal.
 */
export function ringEmptyOf<V, B>(a: IndexArith<V, B>, tail: V, head: V): B {
  return a.eq(tail, head);
}

/**
 * Full, as blk, serial (`tail - head == capacity` on `uint32_t`) and i2c (`tail - head + 1 ==
 * CAP`, one slot reserved, §2.5) write it. The net check has variants (spec/queue/net.ts).
 */
export function ringFullOf<V, B>(
  a: IndexArith<V, B>,
  r: { readonly tail: V; readonly head: V; readonly capacity: V; readonly reservedSlots: 0 | 1 },
): B {
  const length = a.sub(r.tail, r.head);
  return a.eq(r.reservedSlots === 1 ? a.add(length, a.lit(1)) : length, r.capacity);
}

/** `index % capacity`: the slot an index names. */
export function ringSlotOf<V, B>(a: IndexArith<V, B>, index: V, capacity: V): V {
  return a.rem(index, capacity);
}

/** The bounds every operation keeps: `(uintW_t)(tail - head) <= usable` (§2, §3.15.1). */
export function ringBoundsOf<V, B>(a: IndexArith<V, B>, tail: V, head: V, usable: V): B {
  return a.ule(a.sub(tail, head), usable);
}

/** `ringLengthOf` on numbers. */
export function ringLength(width: IndexWidth, r: RingIndices): number {
  return ringLengthOf(numberArithOf(width), r.tail, r.head);
}

/** `ringEmptyOf` on numbers (the width does not matter for equality). */
export function ringIsEmpty(r: RingIndices): boolean {
  return ringEmptyOf(U32, r.tail, r.head);
}

/** Usable slots: `capacity - reservedSlots`. */
export function ringUsable(shape: RingShape): number {
  return shape.capacity - shape.reservedSlots;
}

/** `ringFullOf` on numbers. */
export function ringIsFull(shape: RingShape, r: RingIndices): boolean {
  return ringFullOf(numberArithOf(shape.width), {
    tail: r.tail,
    head: r.head,
    capacity: shape.capacity,
    reservedSlots: shape.reservedSlots,
  });
}

/** `ringSlotOf` on numbers (`%` does not depend on the width). */
export function ringSlot(capacity: number, index: number): number {
  return ringSlotOf(U32, index, capacity);
}

/**
 * The queue invariant `0 ≤ tail − head ≤ usable` at the exact width. Returns null when it
 * holds, else what was expected and what was seen.
 */
export function ringInvariant(shape: RingShape, r: RingIndices): string | null {
  const max = shape.width === 16 ? 0xffff : 0xffff_ffff;
  if (!Number.isInteger(r.tail) || r.tail < 0 || r.tail > max)
    return `tail ${r.tail} not a u${shape.width}`;
  if (!Number.isInteger(r.head) || r.head < 0 || r.head > max)
    return `head ${r.head} not a u${shape.width}`;
  const length = ringLength(shape.width, r);
  if (!ringBoundsOf(numberArithOf(shape.width), r.tail, r.head, ringUsable(shape))) {
    return `0 <= tail - head <= ${ringUsable(shape)} violated: tail ${r.tail}, head ${r.head}, tail - head = ${length} (u${shape.width})`;
  }
  return null;
}

/**
 * `ringBoundsOf` on words a third party reads (a model's state): null when `(uintW_t)(tail −
 * head) ≤ usable`, else what is broken, naming the queue.
 */
export function ringBoundsProblem(q: {
  readonly name: string;
  readonly width: IndexWidth;
  readonly tail: number;
  readonly head: number;
  readonly usable: number;
}): string | null {
  if (ringBoundsOf(numberArithOf(q.width), q.tail, q.head, q.usable)) return null;
  return `${q.name}: length ${ringLength(q.width, q)} exceeds capacity ${q.usable}`;
}

/** Largest power-of-two capacity whose full state is distinguishable from empty at the width. */
export function maxCapacity(width: IndexWidth): number {
  return width === 16 ? 0x8000 : 0x8000_0000;
}

/**
 * Capacity rule of a class (§2 "Capacity must be a power of two so `% capacity` stays
 * consistent across the integer wrap"). Returns a Diagnostic naming the value, or null.
 */
export function checkCapacity(opts: {
  readonly queue: string;
  readonly capacity: number;
  readonly width: IndexWidth;
  readonly powerOfTwo: boolean;
}): Diagnostic | null {
  const { queue, capacity, width } = opts;
  if (!Number.isInteger(capacity) || capacity < 1) {
    return {
      code: 'QUEUE_CAPACITY',
      message: `${queue}: capacity ${capacity} is not a positive integer`,
    };
  }
  if (opts.powerOfTwo && !isPowerOfTwo(capacity)) {
    return {
      code: 'QUEUE_CAPACITY',
      message: `${queue}: capacity ${capacity} is not a power of two (slot = index % capacity must stay continuous across the u${width} wrap)`,
    };
  }
  if (capacity > maxCapacity(width)) {
    return {
      code: 'QUEUE_CAPACITY',
      message: `${queue}: capacity ${capacity} exceeds ${maxCapacity(width)}, the largest a u${width} tail - head can tell from empty`,
    };
  }
  assert(capacity >= 1 && capacity <= maxCapacity(width), 'capacity in range');
  return null;
}

/** A ring with its slot contents: the index words plus `capacity` slots (the shared buffers). */
export interface RingState<T> extends RingIndices {
  /** Exactly `capacity` entries; `undefined` = never written (zero-filled memory, §1.7). */
  readonly slots: readonly (T | undefined)[];
}

export function ringInitial<T>(capacity: number, start = 0): RingState<T> {
  assert(Number.isInteger(capacity) && capacity >= 1, `capacity >= 1, saw ${capacity}`);
  return { tail: start, head: start, slots: new Array<T | undefined>(capacity).fill(undefined) };
}

/**
 * The abstraction function: concrete ring → abstract FIFO. Defined only where the invariant
 * holds (asserted): the items are the slots `head, head+1, …, tail-1` (mod capacity).
 */
export function ringAbstraction<T>(shape: RingShape, s: RingState<T>): AbstractQueue<T> {
  const broken = ringInvariant(shape, s);
  assert(broken === null, () => `abstraction of a state breaking the invariant: ${broken}`);
  const length = ringLength(shape.width, s);
  const items: T[] = [];
  for (let i = 0; i < length; i++) {
    const item = s.slots[ringSlot(shape.capacity, wrapIndex(shape.width, s.head + i))];
    assert(item !== undefined, () => `live slot ${i} of ${length} never written`);
    items.push(item);
  }
  return { capacity: ringUsable(shape), items };
}
