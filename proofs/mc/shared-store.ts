// The visited set shared by the workers of the parallel search (./parallel.ts): hash-compact
// fingerprints in an open-addressing table on a SharedArrayBuffer, inserted concurrently with
// atomic operations. The protocol is the one specified and model-checked in
// ./specs/parallel-store.ts (EXAMPLES.md §10): a slot is [h1, h2], h2 = 0 marks it empty, h1 = 0
// marks it claimed but not yet published (both hashes are never 0, ./hash.ts);
//
//   claim with CAS(h2: 0 → h2); then store h1; then take an id with add(count, 1)
//   a reader that finds its own h2 in a slot waits until h1 is published, then compares it.
//
// JavaScript's Atomics are sequentially consistent, so the order above is the order every worker
// sees. The table never grows while a worker runs: workers stop taking states once `count`
// reaches `pauseAt`, and the coordinator grows the table when all of them are idle (the new buffer
// reaches the workers by postMessage, which orders the copy before their next access).
import { assert } from '../../spec/common/assert.ts';
import { collisionProbability } from './hash.ts';
import type { FingerprintSet } from './store.ts';

/** Control words shared by the coordinator and the workers. */
export const CTL_COUNT = 0;
/** Workers stop taking states once count reaches this (the coordinator then grows the table). */
export const CTL_PAUSE_AT = 1;
/** Non-zero: stop now (a bound was reached). */
export const CTL_STOP = 2;
/** Replies waiting for the coordinator (workers add 1 and notify after posting one). */
export const CTL_MAILBOX = 3;
export const CTL_WORDS = 4;

/** Share of slots filled before a pause (same as the sequential table's MAX_LOAD). */
export const PARALLEL_MAX_LOAD = 0.7;

export class SharedTable implements FingerprintSet {
  readonly mode = 'hash-compact';
  readonly ctl: Int32Array;
  private slots: Int32Array = new Int32Array(0);
  private mask = 0;

  constructor(ctl: SharedArrayBuffer) {
    this.ctl = new Int32Array(ctl);
  }

  /** A fresh table of `slotCount` slots (a power of two). */
  static allocate(slotCount: number): SharedArrayBuffer {
    assert(slotCount > 0 && (slotCount & (slotCount - 1)) === 0, 'table size: a power of two');
    return new SharedArrayBuffer(slotCount * 8);
  }

  attach(table: SharedArrayBuffer): void {
    this.slots = new Int32Array(table);
    this.mask = this.slots.length / 2 - 1;
  }

  get slotCount(): number {
    return this.mask + 1;
  }

  get count(): number {
    return Atomics.load(this.ctl, CTL_COUNT);
  }

  put(h1: number, h2: number): number {
    const t = this.slots;
    const mask = this.mask;
    let i = h1 & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const j = i << 1;
      let s2 = Atomics.load(t, j + 1);
      if (s2 === 0) {
        const was = Atomics.compareExchange(t, j + 1, 0, h2);
        if (was === 0) {
          Atomics.store(t, j, h1);
          return Atomics.add(this.ctl, CTL_COUNT, 1);
        }
        s2 = was; // another worker claimed the slot first: look at what it wrote
      }
      if (s2 === h2 && this.published(j) === h1) return -1;
      i = (i + 1) & mask;
    }
    assert(false, 'shared table has no empty slot (the pause before growth was skipped)');
  }

  has(h1: number, h2: number): boolean {
    const t = this.slots;
    const mask = this.mask;
    let i = h1 & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const j = i << 1;
      const s2 = Atomics.load(t, j + 1);
      if (s2 === 0) return false;
      if (s2 === h2 && this.published(j) === h1) return true;
      i = (i + 1) & mask;
    }
    return false;
  }

  /** h1 of slot j once its claimer has published it (it does right after its CAS). */
  private published(j: number): number {
    let h1 = Atomics.load(this.slots, j);
    for (let spins = 0; h1 === 0; spins++) {
      // The claimer is between two instructions; if its thread was descheduled, yield the core.
      if (spins > 1000) Atomics.wait(this.ctl, CTL_STOP, 0, 0.05);
      h1 = Atomics.load(this.slots, j);
    }
    return h1;
  }

  touch(h1s: Int32Array, n: number): number {
    // Plain (racy) reads are enough to bring the slots into cache; the values are not used.
    const t = this.slots;
    const mask = this.mask;
    let x = 0;
    for (let k = 0; k < n; k++) x ^= t[((h1s[k]! & mask) << 1) + 1]!;
    return x;
  }

  needsGrow(): boolean {
    return false;
  }

  growBytes(): number {
    return 0;
  }

  grow(): void {
    assert(false, 'the shared table grows in the coordinator (rehashInto)');
  }

  memoryBytes(): number {
    return this.slots.byteLength;
  }

  collisionProbability(): number {
    return collisionProbability(this.count);
  }

  /** Copies every entry into a table of twice the size (coordinator only, workers idle). */
  rehashInto(next: SharedArrayBuffer): void {
    const old = this.slots;
    const t = new Int32Array(next);
    const mask = t.length / 2 - 1;
    assert(mask + 1 >= (old.length / 2) * 2, 'a grown table is at least twice as large');
    for (let j = 0; j < old.length; j += 2) {
      const h2 = old[j + 1]!;
      if (h2 === 0) continue;
      let i = old[j]! & mask;
      while (t[(i << 1) + 1] !== 0) i = (i + 1) & mask;
      t[i << 1] = old[j]!;
      t[(i << 1) + 1] = h2;
    }
    this.attach(next);
  }
}
