// Seeded PRNG for the deterministic scheduler (STYLE.md: seeded RNG whose state can be saved).
// xoshiro128** (Blackman & Vigna) on four u32 words, seeded through splitmix32 so that nearby seeds
// give unrelated streams. Written from the published algorithm description.

import { assert } from '../../spec/common/assert.ts';

export type PrngState = readonly [number, number, number, number];

function splitmix32(x: number): [number, number] {
  const next = (x + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(state: PrngState) {
    [this.s0, this.s1, this.s2, this.s3] = state;
    assert((this.s0 | this.s1 | this.s2 | this.s3) !== 0, 'xoshiro128** state is not all zero');
  }

  static fromSeed(seed: number): Prng {
    assert(Number.isSafeInteger(seed), `seed is an integer, saw ${seed}`);
    let x = (seed >>> 0) ^ Math.floor(seed / 0x1_0000_0000);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(x);
      x = next;
      words.push(out);
    }
    if ((words[0]! | words[1]! | words[2]! | words[3]!) === 0) words[0] = 1;
    return new Prng([words[0]!, words[1]!, words[2]!, words[3]!]);
  }

  static fromState(state: PrngState): Prng {
    return new Prng(state);
  }

  /** The state to save; `fromState(saveState())` continues the same stream. */
  saveState(): PrngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** Next u32. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, n), without modulo bias (rejection sampling, bounded). */
  below(n: number): number {
    assert(
      Number.isInteger(n) && n > 0 && n <= 0x1_0000_0000,
      `below(n) needs 1 <= n <= 2^32, saw ${n}`,
    );
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    // Each try succeeds with probability > 1/2; 64 failures in a row is a broken generator.
    for (let i = 0; i < 64; i++) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
    assert(false, 'xoshiro128** rejected 64 samples in a row');
  }
}
