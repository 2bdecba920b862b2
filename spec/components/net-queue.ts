// The sDDF network queue (reference sddf-protocols.md §2.1) as accesses on shared memory: one
// function per library call, in the same order of loads, stores and fences as queue.h at HEAD.
// A descriptor is one word here: `io_or_offset` (u32 is enough for the modelled regions); `len`
// and `oid` are not modelled (offset-domain checks do not need them).
import { assert } from '../common/assert.ts';
import { u16 } from '../common/int.ts';
import type { SharedMem } from './mem.ts';

/** Where a queue lives in shared memory (word addresses) and its private capacity (§2.1). */
export interface NetQueueRef {
  readonly name: string;
  readonly tail: number;
  readonly head: number;
  readonly consumerSignalled: number;
  readonly slots: number;
  /** In the private handle, never in shared memory (CHANGES.md 0.5.0). */
  readonly capacity: number;
}

/**
 * Fence placement. `smp-release`: HEAD with CONFIG_ENABLE_SMP_SUPPORT (release fences only, O1).
 * `seq_cst`: the fix direction: a seq_cst fence after request_signal and before require_signal,
 * as the serial queue has them (F9 fixed).
 */
export type NetFences = 'smp-release' | 'seq_cst';

export interface NetQueueFlavour {
  readonly fences: NetFences;
  /** Bug U1: `tail - head == capacity` evaluated in C `int`, without the u16 truncation. */
  readonly intPromotedFull?: boolean;
  /** Bug F17: old full test `tail + 1 - head == capacity` (one slot wasted). */
  readonly wastedSlotFull?: boolean;
}

export function netEmpty(mem: SharedMem, q: NetQueueRef): boolean {
  // §2.1: plain loads, no acquire at HEAD.
  return u16(mem.load(q.tail) - mem.load(q.head)) === 0;
}

export function netLength(mem: SharedMem, q: NetQueueRef): number {
  return u16(mem.load(q.tail) - mem.load(q.head));
}

export function netFull(mem: SharedMem, q: NetQueueRef, f: NetQueueFlavour): boolean {
  const tail = mem.load(q.tail);
  const head = mem.load(q.head);
  if (tail > 0xffff || head > 0xffff) assert(false, `${q.name}: u16 indices, saw ${tail}/${head}`);
  if (f.wastedSlotFull === true) return u16(tail + 1 - head) === q.capacity;
  // U1: in C both u16 operands promote to int; only `net_queue_length` casts back.
  if (f.intPromotedFull === true) return tail - head === q.capacity;
  return u16(tail - head) === q.capacity;
}

/** `net_enqueue_X`: returns false (C `-1`) when full. */
export function netEnqueue(
  mem: SharedMem,
  q: NetQueueRef,
  f: NetQueueFlavour,
  desc: number,
): boolean {
  if (netFull(mem, q, f)) return false;
  const tail = mem.load(q.tail);
  mem.store(q.slots + (tail % q.capacity), desc);
  mem.fence('release'); // THREAD_MEMORY_RELEASE (SMP only)
  mem.store(q.tail, u16(tail + 1));
  return true;
}

/** `net_dequeue_X`: returns null (C `-1`) when empty. */
export function netDequeue(mem: SharedMem, q: NetQueueRef): number | null {
  if (netEmpty(mem, q)) return null;
  const head = mem.load(q.head);
  const desc = mem.load(q.slots + (head % q.capacity));
  mem.fence('release');
  mem.store(q.head, u16(head + 1));
  return desc;
}

/** Consumer arms: `consumer_signalled = 0` ("wake me"). */
export function netRequestSignal(mem: SharedMem, q: NetQueueRef, f: NetQueueFlavour): void {
  mem.store(q.consumerSignalled, 0);
  mem.fence(f.fences === 'seq_cst' ? 'seq_cst' : 'release');
}

/** `consumer_signalled = 1`. */
export function netCancelSignal(mem: SharedMem, q: NetQueueRef): void {
  mem.store(q.consumerSignalled, 1);
  mem.fence('release');
}

/** Producer's test: true when the consumer asked for a signal (flag polarity §2.2). */
export function netRequireSignal(mem: SharedMem, q: NetQueueRef, f: NetQueueFlavour): boolean {
  if (f.fences === 'seq_cst') mem.fence('seq_cst');
  return mem.load(q.consumerSignalled) === 0;
}
