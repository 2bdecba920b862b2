// Every hash value is a signed int32 (`| 0`), never a u32: V8 keeps int32s unboxed, while a u32
// above 2^31 becomes a heap number when passed to a function that is not inlined (measured: 13 %
// of a BFS run in garbage collection before this).
//
// State fingerprints for the model checker: two independent 32-bit hashes of a state vector (a
// 64-bit fingerprint) that can be computed from scratch or updated from a predecessor's by
// looking only at the words that changed (issue #11 part 2, "incremental hashing of changed
// words"). docs/adr/007-model-checker.md "Fingerprints".
//
// Each hash is a sum, modulo 2^32, of one term per word: term(i, x) = mix(x ^ key[i]), with a
// full-avalanche 32-bit mixer and a random key per word index (the word's position matters, so
// swapping two words' values changes the sum). A successor that differs in d words costs 2d
// mixer calls per hash instead of one per word: on a 270-word net-pipeline state a step changes a
// handful. The slot index and the stored fingerprint are the finalised sums (`finish`), so low
// bits are as good as high ones. The keys come from a seed: different seeds give independent
// hash functions (swarm shards diversify their bitstate hashing this way).
import { assert } from '../../spec/common/assert.ts';

/** murmur3's 32-bit finaliser: every input bit flips each output bit with probability ~1/2. */
export function mixA(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** A second finaliser with other constants (Wellons' lowbias32), independent of mixA. */
export function mixB(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return x ^ (x >>> 16);
}

/** splitmix32-style generator for the per-word keys (deterministic in the seed). */
function keyStream(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    return mixB(mixA(s));
  };
}

/** The default seed: a run without `hashSeed` hashes the same way on every machine. */
export const DEFAULT_HASH_SEED = 0x5ddf;

/**
 * Fingerprints of `words`-word states. `sum1`/`sum2` are the raw sums (what a successor's hash is
 * updated from); `finish1`/`finish2` turn sums into the 32-bit hashes the sets store.
 */
export class StateHasher {
  readonly words: number;
  readonly seed: number;
  /** Per-word keys of the first and second hash. */
  readonly key1: Int32Array;
  readonly key2: Int32Array;
  /** Results of the last `full` call. */
  sum1 = 0;
  sum2 = 0;

  constructor(words: number, seed: number = DEFAULT_HASH_SEED) {
    assert(words > 0 && Number.isSafeInteger(words), `state words must be positive (got ${words})`);
    this.words = words;
    this.seed = seed >>> 0;
    const next = keyStream(this.seed);
    this.key1 = new Int32Array(words);
    this.key2 = new Int32Array(words);
    for (let i = 0; i < words; i++) {
      this.key1[i] = next();
      this.key2[i] = next();
    }
  }

  /** Both sums of `src[off .. off+words)`, into `sum1`/`sum2`. */
  full(src: Uint32Array, off: number): void {
    const k1 = this.key1;
    const k2 = this.key2;
    let a = 0;
    let b = 0;
    for (let i = 0; i < this.words; i++) {
      const x = src[off + i]!;
      a = (a + mixA(x ^ k1[i]!)) | 0;
      b = (b + mixB(x ^ k2[i]!)) | 0;
    }
    this.sum1 = a;
    this.sum2 = b;
  }

  /**
   * The 32-bit hash that picks the table slot; never 0, so the parallel table can tell a published
   * slot from one whose claimer has not written h1 yet (./shared-store.ts).
   */
  static finish1(sum: number): number {
    return mixB(sum ^ 0x2545f491) || 1;
  }

  /**
   * The second 32-bit hash; never 0, so a zero word can mark an empty slot (0 and 1 share a value:
   * the fingerprint keeps 2^64 - 2^32 distinct values, which the collision estimate ignores).
   */
  static finish2(sum: number): number {
    return mixA(sum ^ 0x68e31da4) || 1;
  }
}

/**
 * Probability that two distinct states among `count` share a 64-bit fingerprint (birthday bound,
 * count²/2^65, the estimate TLC prints as "optimistic").
 */
export function collisionProbability(count: number): number {
  return Math.min(1, (count * count) / 2 ** 65);
}
