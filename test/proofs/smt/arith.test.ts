// The Z3 instances of the spec's index arithmetic (proofs/smt/arith.ts) agree with the number
// instance (spec/queue/arith.ts) on concrete values, at both widths and across both wraps: what
// the obligations evaluate symbolically is what the spec computes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bvArith, intArith } from '../../../proofs/smt/arith.ts';
import type { Z3Bool, Z3Expr, Z3Int } from '../../../proofs/smt/obligation.ts';
import { numberArithOf, type IndexArith } from '../../../spec/queue/arith.ts';
import { evaluate, useZ3 } from './helpers.ts';

const z3 = useZ3();

/** Indices near 0, near the wrap, and anywhere. */
function index(widthBits: 16 | 32): fc.Arbitrary<number> {
  const max = widthBits === 16 ? 0xffff : 0xffff_ffff;
  return fc.oneof(
    fc.integer({ min: 0, max: 4 }),
    fc.integer({ min: max - 4, max }),
    fc.integer({ min: 0, max }),
  );
}

async function agree<V extends Z3Expr, B extends Z3Expr>(
  make: (widthBits: 16 | 32) => IndexArith<V, B>,
  widthBits: 16 | 32,
): Promise<void> {
  const num = numberArithOf(widthBits);
  const sym = make(widthBits);
  await fc.assert(
    fc.asyncProperty(
      index(widthBits),
      index(widthBits),
      fc.integer({ min: 1, max: 300 }),
      async (x, y, d) => {
        const [a, b, c] = [sym.lit(x), sym.lit(y), sym.lit(d)];
        expect(await evaluate(z3.current, sym.add(a, b))).toBe(num.add(x, y));
        expect(await evaluate(z3.current, sym.sub(a, b))).toBe(num.sub(x, y));
        expect(await evaluate(z3.current, sym.rem(a, c))).toBe(num.rem(x, d));
        expect(await evaluate(z3.current, sym.eq(sym.sub(a, b), c))).toBe(num.eq(num.sub(x, y), d));
        expect(await evaluate(z3.current, sym.ule(a, b))).toBe(num.ule(x, y));
        if (widthBits === 16) {
          // C's int promotion compared with a uint32_t capacity: equal only when non-negative.
          expect(await evaluate(z3.current, sym.eq(sym.subInt(a, b), c))).toBe(
            num.eq(num.subInt(x, y), d),
          );
        }
      },
    ),
    { numRuns: 60 },
  );
}

describe('Z3 index arithmetic agrees with the number instance', () => {
  for (const widthBits of [16, 32] as const) {
    it(`bit-vectors at u${widthBits}`, async () => {
      await agree((w) => bvArith(z3.current, w), widthBits);
    });
    it(`linear integers at u${widthBits}`, async () => {
      await agree((w) => intArith(z3.current, w), widthBits);
    });
  }

  it('the agreement can fail: a bit-vector instance without the wrap is caught', async () => {
    // Integers whose `+` forgets the `mod 2^w`: 0xffff + 1 is 65536, not 0.
    const broken = (w: 16 | 32): IndexArith<Z3Int, Z3Bool> => ({
      ...intArith(z3.current, w),
      add: (x, y) => x.add(y),
    });
    await expect(agree(broken, 16)).rejects.toThrow();
  });
});
