// A virtual clock: time only moves when the test or the scheduler advances it (STYLE.md: time is
// injected; the same seed gives the same run).

import { assert } from '../../spec/common/assert.ts';
import type { Clock } from '../mem/types.ts';

const U64_MAX = (1n << 64n) - 1n;

export class VirtualClock implements Clock {
  #nowNs: bigint;

  constructor(startNs: bigint = 0n) {
    assert(startNs >= 0n && startNs <= U64_MAX, `clock start must be a u64, got ${startNs}`);
    this.#nowNs = startNs;
  }

  nowNs(): bigint {
    return this.#nowNs;
  }

  advanceByNs(deltaNs: bigint): void {
    assert(deltaNs >= 0n, `time never runs backwards (delta ${deltaNs} ns)`);
    assert(this.#nowNs + deltaNs <= U64_MAX, 'virtual time overflowed u64 nanoseconds');
    this.#nowNs += deltaNs;
  }

  advanceToNs(targetNs: bigint): void {
    assert(targetNs >= this.#nowNs, `time never runs backwards (${this.#nowNs} → ${targetNs})`);
    this.advanceByNs(targetNs - this.#nowNs);
  }
}
