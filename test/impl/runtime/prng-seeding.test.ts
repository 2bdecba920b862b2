// Prng.fromSeed against an independent BigInt transcription of splitmix32 (state += 0x9e3779b9;
// z = (z ^ z >> 16) * 0x85ebca6b; z = (z ^ z >> 13) * 0xc2b2ae35; z ^ z >> 16, all mod 2^32) over
// the folded seed (low word XOR high word), and below()'s rejection of the biased top draws
// (issue 12 part 7 survivors).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../impl/runtime/prng.ts';

const M = 0xffff_ffffn;

function splitmixWords(seed: number): [number, number, number, number] {
  const s = BigInt(seed);
  let x = (s & M) ^ ((s >> 32n) & M);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9n) & M;
    let z = x;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M;
    out.push(Number(z ^ (z >> 16n)));
  }
  return out as [number, number, number, number];
}

/** Modular inverse of an odd a mod 2^32 (Newton). */
function inv32(a: bigint): bigint {
  let x = a;
  for (let i = 0; i < 5; i++) x = (x * (2n - a * x)) & M;
  return x;
}
const rotr = (x: bigint, k: bigint): bigint => ((x >> k) | (x << (32n - k))) & M;

/** s1 whose xoshiro128** output rotl(s1 * 5, 7) * 9 is `want`. */
function s1For(want: number): number {
  const r = (BigInt(want) * inv32(9n)) & M;
  return Number((rotr(r, 7n) * inv32(5n)) & M);
}

describe('Prng seeding (splitmix32)', () => {
  it('seed 0 and seed 1 start from the splitmix32 words of the reference transcription', () => {
    expect(Prng.fromSeed(0).saveState()).toEqual(splitmixWords(0));
    expect(Prng.fromSeed(1).saveState()).toEqual(splitmixWords(1));
  });

  it('any safe-integer seed, including negative and above 2^32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (seed) => {
        expect(Prng.fromSeed(seed).saveState()).toEqual(splitmixWords(seed));
      }),
      { numRuns: 200 },
    );
  });
});

describe('Prng.below rejects the biased top draws', () => {
  it('a draw of 2^32 − 1 is rejected for n = 3 (limit 2^32 − 1) and the next draw is used', () => {
    const state = [7, s1For(0xffff_ffff), 1000, 4] as const;
    const ref = Prng.fromState(state);
    expect(ref.nextU32()).toBe(0xffff_ffff); // pre: the first draw is the top value
    const second = ref.nextU32();
    // pre: accepting the top draw would give a different answer (0xffff_ffff % 3 is 0).
    expect(second % 3).not.toBe(0xffff_ffff % 3);
    expect(Prng.fromState(state).below(3)).toBe(second % 3);
    // n = 2^31: 2^32 is a multiple, nothing is rejected; the top draw maps to 2^31 − 1.
    expect(Prng.fromState(state).below(0x8000_0000)).toBe(0x7fff_ffff);
    // The largest accepted draw for n = 3 is 2^32 − 2.
    const s2 = [1, s1For(0xffff_fffe), 3, 4] as const;
    expect(Prng.fromState(s2).below(3)).toBe(0xffff_fffe % 3);
  });
});
