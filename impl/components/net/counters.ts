// Instrumentation counters of the network components: what a run reports (rejected buffers,
// copier drops, refcount errors, ...). They are the PMU-like probes of the emulator, not component
// state: a component only increments them and never reads them back to decide anything. Backed by
// a SharedArrayBuffer when the harness passes one (so worker threads report through it), else by
// a private array.

import { assert } from '../../../spec/common/assert.ts';

export class Counters<const K extends string> {
  readonly names: readonly K[];
  /** Index of each name: components increment `c.v[c.i.name]` on hot paths. */
  readonly i: Readonly<Record<K, number>>;
  readonly v: Float64Array;

  constructor(names: readonly K[], buffer?: unknown) {
    const index = {} as Record<K, number>;
    names.forEach((n, k) => (index[n] = k));
    this.names = names;
    this.i = index;
    if (buffer instanceof SharedArrayBuffer) {
      assert(
        buffer.byteLength >= names.length * 8,
        () => `counter buffer of ${buffer.byteLength} bytes holds ${names.length} counters`,
      );
      this.v = new Float64Array(buffer, 0, names.length);
    } else {
      this.v = new Float64Array(names.length);
    }
  }

  /** A buffer for `count` counters that the harness hands to a component through params. */
  static buffer(count: number): SharedArrayBuffer {
    return new SharedArrayBuffer(Math.max(8, count * 8));
  }

  inc(name: K, by = 1): void {
    this.v[this.i[name]]! += by;
  }

  get(name: K): number {
    return this.v[this.i[name]]!;
  }

  snapshot(): Record<K, number> {
    const out = {} as Record<K, number>;
    this.names.forEach((n, k) => (out[n] = this.v[k]!));
    return out;
  }
}

/** Read a counter buffer written by a component (possibly in another thread) by name. */
export function readCounters<K extends string>(
  names: readonly K[],
  buffer: SharedArrayBuffer,
): Record<K, number> {
  return new Counters(names, buffer).snapshot();
}
