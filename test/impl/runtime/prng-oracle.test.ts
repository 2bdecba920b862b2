// xoshiro128** against an independent BigInt transcription of the published reference code
// (Blackman & Vigna, xoshiro128starstar.c: result = rotl(s[1] * 5, 7) * 9; t = s[1] << 9; s[2] ^=
// s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11)), and the
// arguments Prng refuses.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prng, type PrngState } from '../../../impl/runtime/prng.ts';

const M = 0xffff_ffffn;
const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;

function* reference(state: PrngState): Generator<number> {
  const s = state.map(BigInt);
  for (;;) {
    const result = (rotl((s[1]! * 5n) & M, 7n) * 9n) & M;
    const t = (s[1]! << 9n) & M;
    s[2] = s[2]! ^ s[0]!;
    s[3] = s[3]! ^ s[1]!;
    s[1] = s[1]! ^ s[2]!;
    s[0] = s[0]! ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11n);
    yield Number(result);
  }
}

describe('Prng against the reference xoshiro128**', () => {
  it('state [1, 2, 3, 4]: the first output is rotl(10, 7) * 9 = 11520, and 200 more agree', () => {
    const p = Prng.fromState([1, 2, 3, 4]);
    const ref = reference([1, 2, 3, 4]);
    expect(p.nextU32()).toBe(11520);
    ref.next();
    for (let i = 0; i < 200; i++) expect(p.nextU32()).toBe(ref.next().value);
  });

  it('any non-zero state, and the state saved after n steps is the reference state', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.nat(0xffff_ffff),
          fc.nat(0xffff_ffff),
          fc.nat(0xffff_ffff),
          fc.nat(0xffff_ffff),
        ),
        fc.integer({ min: 1, max: 40 }),
        (st, n) => {
          fc.pre((st[0] | st[1] | st[2] | st[3]) !== 0);
          const p = Prng.fromState(st);
          const ref = reference(st);
          for (let i = 0; i < n; i++) expect(p.nextU32()).toBe(ref.next().value);
          const q = Prng.fromState(p.saveState());
          expect(q.nextU32()).toBe(p.nextU32());
        },
      ),
    );
  });

  it('refuses the all-zero state, a seed that is not a safe integer, and n outside 1..2^32', () => {
    expect(() => Prng.fromState([0, 0, 0, 0])).toThrow(/not all zero/);
    expect(() => Prng.fromState([0, 0, 0, 1])).not.toThrow();
    expect(() => Prng.fromSeed(1.5)).toThrow(/seed is an integer, saw 1.5/);
    expect(() => Prng.fromSeed(2 ** 53)).toThrow(/seed is an integer/);
    const p = Prng.fromSeed(3);
    expect(() => p.below(0)).toThrow(/below\(n\) needs 1 <= n <= 2\^32, saw 0/);
    expect(() => p.below(2.5)).toThrow(/below/);
    expect(() => p.below(2 ** 32 + 1)).toThrow(/below/);
    expect(p.below(1)).toBe(0);
  });

  it('below(2^32) is the raw output; below(n) is the output mod n when it is under the limit', () => {
    const p = Prng.fromState([1, 2, 3, 4]);
    expect(p.below(2 ** 32)).toBe(11520);
    const q = Prng.fromState([1, 2, 3, 4]);
    expect(q.below(1000)).toBe(11520 % 1000);
  });

  it('seeds: the words are never all zero, the high half of a seed counts', () => {
    const first = (seed: number): number => Prng.fromSeed(seed).nextU32();
    // (A 53-bit seed is folded to 32 bits, so some seeds share a stream: -1 and 0 do.)
    const outs = new Set([0, 1, 2, 2 ** 32 + 5, 2 ** 40, -(2 ** 40)].map(first));
    expect(outs.size).toBe(6);
    expect(first(2 ** 40)).not.toBe(first(0));
    for (const seed of [0, 1, -1, 123456789, 2 ** 53 - 1])
      expect(
        Prng.fromSeed(seed)
          .saveState()
          .some((w) => w !== 0),
      ).toBe(true);
  });
});
