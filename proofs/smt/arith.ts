// The Z3 instances of the spec's index arithmetic (spec/queue/arith.ts): with these the proof
// obligations evaluate the spec's own predicates (netFullOf, ringFullOf, i2cFullOf, slots …) on
// symbolic terms, so a change to a predicate in spec/queue changes what is proved
// (docs/adr/012-z3-tied-to-spec.md). test/proofs/smt/arith.test.ts holds each instance to the
// number instance on concrete values, including both wraps.
import { assert } from '../../spec/common/assert.ts';
import type { IndexArith } from '../../spec/queue/arith.ts';
import { bv, type Z3, type Z3BitVec, type Z3Bool, type Z3Int } from './obligation.ts';

/** The same value at `width` bits: zero-extended when narrower (C's unsigned conversions). */
function widen(x: Z3BitVec, width: number): Z3BitVec {
  const w = x.size();
  assert(w <= width, () => `cannot narrow a ${w}-bit term to ${width} bits`);
  return w === width ? x : x.zeroExt(width - w);
}

function aligned(a: Z3BitVec, b: Z3BitVec): [Z3BitVec, Z3BitVec] {
  const w = Math.max(a.size(), b.size());
  return [widen(a, w), widen(b, w)];
}

/**
 * Bit-vectors at the index width: `+`/`-` wrap exactly as `uintW_t` does, `%` is `bvurem`.
 * `subInt` (C's `int` promotion of two `uint16_t`) is a 32-bit two's-complement difference of the
 * zero-extended operands; compared with a (zero-extended) `uint32_t` capacity it converts to
 * unsigned, exactly as C compares `int` with `unsigned int`.
 */
export function bvArith(z: Z3, widthBits: 16 | 32): IndexArith<Z3BitVec, Z3Bool> {
  return {
    widthBits,
    lit: (n) => bv(z, n, widthBits),
    add: (a, b) => a.add(b),
    sub: (a, b) => a.sub(b),
    subInt: (a, b) => {
      assert(widthBits === 16, 'C promotes only narrower-than-int operands to int');
      return widen(a, 32).sub(widen(b, 32));
    },
    rem: (a, b) => {
      const [x, y] = aligned(a, b);
      return x.urem(y);
    },
    eq: (a, b) => {
      const [x, y] = aligned(a, b);
      return x.eq(y);
    },
    ule: (a, b) => {
      const [x, y] = aligned(a, b);
      return x.ule(y);
    },
    not: (b) => z.Not(b),
    and: (a, b) => z.And(a, b),
  };
}

/**
 * Linear integer arithmetic: an index is an integer in [0, 2^w) and `+`/`-` are taken mod 2^w
 * (C's unsigned arithmetic), `subInt` is the plain difference (C's `int` promotion of two
 * `uint16_t` never overflows). `%` by a literal stays linear; by a symbolic divisor it is not
 * (the obligations only divide by literals in this instance, ADR 004).
 */
export function intArith(z: Z3, widthBits: 16 | 32): IndexArith<Z3Int, Z3Bool> {
  const modulus = 1n << BigInt(widthBits);
  return {
    widthBits,
    lit: (n) => z.Int.val(n),
    add: (a, b) => a.add(b).mod(modulus),
    sub: (a, b) => a.sub(b).mod(modulus),
    subInt: (a, b) => {
      assert(widthBits === 16, 'C promotes only narrower-than-int operands to int');
      return a.sub(b);
    },
    rem: (a, b) => a.mod(b),
    eq: (a, b) => a.eq(b),
    ule: (a, b) => a.le(b),
    not: (b) => z.Not(b),
    and: (a, b) => z.And(a, b),
  };
}
