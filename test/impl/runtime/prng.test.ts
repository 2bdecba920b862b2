import { describe, expect, it } from 'vitest';
import { Prng } from '../../../impl/runtime/prng.ts';

describe('Prng (xoshiro128**)', () => {
  it('saves and restores the PRNG state mid-stream', () => {
    const a = Prng.fromSeed(42);
    for (let i = 0; i < 10; i++) a.nextU32();
    const b = Prng.fromState(a.saveState());
    expect(Array.from({ length: 20 }, () => a.below(1000))).toEqual(
      Array.from({ length: 20 }, () => b.below(1000)),
    );
    expect(Prng.fromSeed(1).nextU32()).not.toBe(Prng.fromSeed(2).nextU32());
  });

  it('below(n) stays in range and covers it', () => {
    const p = Prng.fromSeed(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const x = p.below(10);
      expect(x >= 0 && x < 10).toBe(true);
      seen.add(x);
    }
    expect(seen.size).toBe(10);
    expect(() => p.below(0)).toThrow();
  });
});
