// The abstract queue every sDDF queue class refines: a bounded FIFO (reference
// sddf-protocols.md §2, "All sDDF queues are lock-free single-producer single-consumer rings").
// States are immutable values: every operation returns a new state, so a model checker or a
// model-based test can keep old states without copying them.
import { assert } from '../common/assert.ts';

export interface AbstractQueue<T> {
  readonly capacity: number;
  /** Oldest first; `items.length <= capacity`. */
  readonly items: readonly T[];
}

export function abstractEmpty<T>(capacity: number): AbstractQueue<T> {
  assert(Number.isInteger(capacity) && capacity > 0, `capacity > 0, saw ${capacity}`);
  return { capacity, items: [] };
}

export function abstractLength<T>(q: AbstractQueue<T>): number {
  return q.items.length;
}

export function abstractIsEmpty<T>(q: AbstractQueue<T>): boolean {
  return q.items.length === 0;
}

export function abstractIsFull<T>(q: AbstractQueue<T>): boolean {
  return q.items.length === q.capacity;
}

/** `null` when full (the C `-1`); otherwise the queue with `item` appended. */
export function abstractEnqueue<T>(q: AbstractQueue<T>, item: T): AbstractQueue<T> | null {
  assert(q.items.length <= q.capacity, () => `length ${q.items.length} > ${q.capacity}`);
  if (abstractIsFull(q)) return null;
  return { capacity: q.capacity, items: [...q.items, item] };
}

/** `null` when empty (the C `-1`); otherwise the oldest item and the rest. */
export function abstractDequeue<T>(
  q: AbstractQueue<T>,
): { readonly item: T; readonly queue: AbstractQueue<T> } | null {
  if (q.items.length === 0) return null;
  assert(q.items.length <= q.capacity, () => `length ${q.items.length} > ${q.capacity}`);
  return { item: q.items[0] as T, queue: { capacity: q.capacity, items: q.items.slice(1) } };
}
