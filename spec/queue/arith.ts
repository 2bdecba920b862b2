// The arithmetic the queue index predicates are written over (length, empty, full, slot), in the
// terms of the C expression they model. The predicates (spec/queue/ring.ts, net.ts, i2c.ts) are
// written once over this interface; instances evaluate them on numbers (here: the model checker,
// the value-level spec, impl/queue) and on Z3 terms (proofs/smt/arith.ts: bit-vectors and linear
// integers), so a proof obligation states the spec's own predicate, not a re-encoding of it
// (docs/adr/012-z3-tied-to-spec.md).
import { assert } from '../common/assert.ts';
import { u16, u32 } from '../common/int.ts';

/**
 * C arithmetic on free-running queue indices of `widthBits` (u16: net; u32: blk, serial, i2c).
 * `V` is an index value (or a capacity), `B` a truth value.
 */
export interface IndexArith<V, B> {
  readonly widthBits: 16 | 32;
  /** An unsigned literal of the index type (or a capacity, which may be one more than its max). */
  lit(n: number): V;
  /** `(uintW_t)(a + b)`. */
  add(a: V, b: V): V;
  /** `(uintW_t)(a - b)`. */
  sub(a: V, b: V): V;
  /**
   * `a - b` with both `uint16_t` operands promoted to C `int` (C11 6.3.1.1): exact, negative when
   * `b > a`. Compared with a `uint32_t` capacity the result converts to unsigned, so a negative
   * difference never equals a capacity (bug U1). Only defined at width 16.
   */
  subInt(a: V, b: V): V;
  /** `a % b`, unsigned, `b > 0`. */
  rem(a: V, b: V): V;
  eq(a: V, b: V): B;
  /** Unsigned `a <= b`. */
  ule(a: V, b: V): B;
  not(b: B): B;
  and(a: B, b: B): B;
}

function numberArith(widthBits: 16 | 32): IndexArith<number, boolean> {
  const wrap = widthBits === 16 ? u16 : u32;
  return {
    widthBits,
    lit: (n) => n,
    add: (a, b) => wrap(a + b),
    sub: (a, b) => wrap(a - b),
    subInt: (a, b) => {
      if (widthBits !== 16) assert(false, 'C promotes only narrower-than-int operands to int');
      return a - b;
    },
    rem: (a, b) => a % b,
    eq: (a, b) => a === b,
    ule: (a, b) => a <= b,
    not: (b) => !b,
    and: (a, b) => a && b,
  };
}

/** `uint16_t` indices on plain numbers (net). */
export const U16: IndexArith<number, boolean> = numberArith(16);
/** `uint32_t` indices on plain numbers (blk, serial, i2c, the ENET driver's private ring indices). */
export const U32: IndexArith<number, boolean> = numberArith(32);

export function numberArithOf(widthBits: 16 | 32): IndexArith<number, boolean> {
  return widthBits === 16 ? U16 : U32;
}
