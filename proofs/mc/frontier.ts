// The BFS frontier as its own interface (EXAMPLES.md §8; TLC's IStateQueue): the states found but
// not yet expanded, each as its vector plus the two raw hash sums it was found with (so that its
// successors' fingerprints are updated from them, ./hash.ts). A state leaves the frontier when it
// is expanded, so BFS keeps only the states of (about) one level whole; the visited set keeps
// fingerprints (./store.ts). The parallel search (./parallel.ts) hands frontier chunks to workers.
import { assert } from '../../spec/common/assert.ts';

export interface Frontier {
  readonly size: number;
  /** Appends `src[off .. off+words)` with its hash sums. Call `needsGrow`/`grow` first. */
  push(src: Uint32Array, off: number, sum1: number, sum2: number): void;
  /** Removes the oldest state into `out` (words) and returns its sums via `sum1`/`sum2`. */
  shift(out: Uint32Array): void;
  readonly sum1: number;
  readonly sum2: number;
  needsGrow(): boolean;
  growBytes(): number;
  grow(): void;
  memoryBytes(): number;
}

/** A FIFO ring of fixed-size records (vector, sum1, sum2) in one Uint32Array, doubling when full. */
export class RingFrontier implements Frontier {
  readonly words: number;
  private readonly record: number;
  private buf: Uint32Array;
  /** Capacity in records. */
  private capacity: number;
  private head = 0;
  size = 0;
  sum1 = 0;
  sum2 = 0;

  constructor(words: number, initialRecords = 1024) {
    assert(words > 0, `frontier records need words (got ${words})`);
    assert(initialRecords > 0, 'frontier capacity must be positive');
    this.words = words;
    this.record = words + 2;
    this.capacity = initialRecords;
    this.buf = new Uint32Array(initialRecords * this.record);
  }

  push(src: Uint32Array, off: number, sum1: number, sum2: number): void {
    if (this.size === this.capacity) assert(false, 'frontier full (grow was skipped)');
    let at = this.head + this.size;
    if (at >= this.capacity) at -= this.capacity;
    const base = at * this.record;
    const w = this.words;
    const buf = this.buf;
    for (let k = 0; k < w; k++) buf[base + k] = src[off + k]!;
    buf[base + w] = sum1;
    buf[base + w + 1] = sum2;
    this.size++;
  }

  shift(out: Uint32Array): void {
    if (this.size === 0) assert(false, 'shift from an empty frontier');
    const base = this.head * this.record;
    const w = this.words;
    const buf = this.buf;
    for (let k = 0; k < w; k++) out[k] = buf[base + k]!;
    // Sums are int32 (./hash.ts): read back signed, so they stay unboxed.
    this.sum1 = buf[base + w]! | 0;
    this.sum2 = buf[base + w + 1]! | 0;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.size--;
  }

  needsGrow(): boolean {
    return this.size === this.capacity;
  }

  growBytes(): number {
    return this.buf.byteLength * 2;
  }

  grow(): void {
    const r = this.record;
    const next = new Uint32Array(this.buf.length * 2);
    // Unroll the ring: oldest record first.
    const firstPart = (this.capacity - this.head) * r;
    next.set(this.buf.subarray(this.head * r, this.head * r + Math.min(firstPart, this.size * r)));
    if (this.head + this.size > this.capacity) {
      next.set(this.buf.subarray(0, (this.head + this.size - this.capacity) * r), firstPart);
    }
    this.buf = next;
    this.capacity *= 2;
    this.head = 0;
  }

  memoryBytes(): number {
    return this.buf.byteLength;
  }
}
