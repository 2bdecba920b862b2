// Slot continuity across the index wrap (sddf-protocols.md §2: "Capacity must be a power of two
// so `% capacity` stays consistent across the integer wrap").
//
// With free-running indices of width w, slot(i) = i % capacity. The ring is only a ring if the
// slot after slot(i) is slot(i + 1) for every i, including i = 2^w − 1 where i + 1 wraps to 0:
//     slot((i + 1) mod 2^w) == (slot(i) + 1) % capacity.
// This holds iff capacity divides 2^w. Proved for every power of two; refuted for the two
// upstream capacities that are not (bug catalogue U5: i2c CAP = 254; U8: blk driver queue 3×128).
// slot(·) is the spec's own (netSlotOf at u16, ringSlotOf at u32; docs/adr/012-z3-tied-to-spec.md).

import { assert } from '../../spec/common/assert.ts';
import type { IndexArith } from '../../spec/queue/arith.ts';
import { I2C_CAPACITY } from '../../spec/queue/i2c.ts';
import { netSlotOf } from '../../spec/queue/net.ts';
import { ringSlotOf } from '../../spec/queue/ring.ts';
import { bvArith, intArith } from './arith.ts';
import {
  bv,
  isPow2,
  pow2Capacity,
  validityObligation,
  type Obligation,
  type Z3,
  type Z3Bool,
  type Z3Expr,
} from './obligation.ts';

/** The spec's slot function at the width, and the successor statement about it. */
export function slotContinuity<V, B>(
  a: IndexArith<V, B>,
  i: V,
  capacity: V,
): { slot: V; slotNext: V; expected: V; holds: B } {
  const slotOf = (x: V): V =>
    a.widthBits === 16 ? netSlotOf(a, x, capacity) : ringSlotOf(a, x, capacity);
  const slot = slotOf(i);
  const slotNext = slotOf(a.add(i, a.lit(1)));
  // slot(i) + 1 ≤ capacity < 2^w: the successor does not wrap the index type.
  const expected = a.rem(a.add(slot, a.lit(1)), capacity);
  return { slot, slotNext, expected, holds: a.eq(slotNext, expected) };
}

export interface SlotWrapSpec {
  readonly name: string;
  readonly widthBits: 16 | 32;
  /** 'pow2': symbolic 1 << k; a number: that fixed capacity. */
  readonly capacity: 'pow2' | number;
  readonly models: string;
  readonly expected?: 'refuted';
  readonly defect?: string;
}

/** The continuity claim for a symbolic (power-of-two) or fixed capacity. */
export function slotWrapObligation(spec: SlotWrapSpec): Obligation {
  const w = spec.widthBits;
  const capText =
    spec.capacity === 'pow2'
      ? `every capacity 1 << k, k = 0..${w - 1} (one query)`
      : `capacity ${spec.capacity}`;
  return validityObligation(
    {
      name: spec.name,
      statement:
        `for all u${w} indices i, (i + 1) mod 2^${w} % cap == (i % cap + 1) % cap, ` +
        `for ${capText}`,
      widthBits: w,
      models: spec.models,
      ...(spec.expected === undefined ? {} : { expected: spec.expected }),
      ...(spec.defect === undefined ? {} : { defect: spec.defect }),
    },
    (z) =>
      spec.capacity === 'pow2'
        ? pow2Query(z, w)
        : fixedQuery(z, { widthBits: w, capacity: spec.capacity }),
  );
}

function pow2Query(z: Z3, w: number): { claim: Z3Bool; witnesses: Record<string, Z3Expr> } {
  // Bit-vectors at the index width: `%` is bvurem, `i + 1` wraps exactly as the C index does.
  // k ranges over 0..w−1 and the claim is the conjunction over k of the case cap = 1 << k, in
  // one query: with a symbolic shift amount Z3 bit-blasts a 32-bit divider (1.6–7 s, measured);
  // case by case each `% (1 << k)` simplifies and the whole query takes ~0.1 s (ADR 004).
  const a = bvArith(z, w as 16 | 32);
  const { capacity, log2, range } = pow2Capacity(z, { widthBits: w, maxLog2: w - 1 });
  const i = z.BitVec.const('index', w);
  const cases: Z3Bool[] = [];
  for (let k = 0; k < w; k++) {
    const kTerm = bv(z, k, w);
    cases.push(z.Implies(log2.eq(kTerm), slotContinuity(a, i, bv(z, 1, w).shl(kTerm)).holds));
  }
  const c = slotContinuity(a, i, capacity);
  return {
    claim: z.Implies(range, z.And(...cases)),
    witnesses: {
      capacity,
      index: i,
      slot: c.slot,
      slot_next: c.slotNext,
      expected: c.expected,
    },
  };
}

function fixedQuery(
  z: Z3,
  opts: { readonly widthBits: number; readonly capacity: number },
): { claim: Z3Bool; witnesses: Record<string, Z3Expr> } {
  const { widthBits: w, capacity } = opts;
  assert(capacity > 0 && capacity < 2 ** w, `capacity ${capacity} out of range for u${w}`);
  // Exact u<w> semantics in linear integer arithmetic: an index is an integer in [0, 2^w) and
  // `i + 1` is taken mod 2^w. Bit-blasting a 32-bit divider by 254 needs > 5 s in Z3; `mod` by a
  // constant is linear and answers in ~0.1 s (measured; docs/adr/004-proofs.md).
  const modulus = 1n << BigInt(w);
  const a = intArith(z, w as 16 | 32);
  const i = z.Int.const('index');
  const c = slotContinuity(a, i, a.lit(capacity));
  return {
    claim: z.Implies(z.And(i.ge(0), i.lt(modulus)), c.holds),
    witnesses: {
      capacity: z.Int.val(capacity),
      index: i,
      slot: c.slot,
      slot_next: c.slotNext,
      expected: c.expected,
    },
  };
}

/**
 * The "only if" half at u16: for every capacity that is not a power of two, continuity breaks
 * at i = 2^16 − 1. (At u32 the same query with a symbolic divisor times out; measured.)
 * `includePow2` is the seeded break: it lets powers of two in, which must refute the claim.
 */
export function nonPow2BreaksObligation(variant: { includePow2?: boolean } = {}): Obligation {
  const w = 16;
  return validityObligation(
    {
      name: 'slot-wrap.non-pow2.u16',
      statement:
        'for every capacity 0 < cap < 2^16 that is not a power of two, continuity fails at ' +
        'i = 2^16 − 1: slot(0) != (slot(2^16 − 1) + 1) % cap (the "only if" direction)',
      widthBits: w,
      models:
        'net_enqueue/dequeue slot `tail % capacity` on uint16_t indices (sddf-protocols.md §2.1)',
    },
    (z) => {
      const capacity = z.BitVec.const('capacity', w);
      const last = bv(z, (1 << w) - 1, w);
      const premise =
        variant.includePow2 === true
          ? capacity.neq(bv(z, 0, w))
          : z.And(capacity.neq(bv(z, 0, w)), z.Not(isPow2(z, capacity)));
      // slot(last) + 1 ≤ cap ≤ 2^16 − 1, so it does not overflow u16.
      const c = slotContinuity(bvArith(z, w), last, capacity);
      return {
        claim: z.Implies(premise, z.Not(c.holds)),
        witnesses: { capacity, slot_next: c.slotNext, expected: c.expected },
      };
    },
  );
}

/** sddf-bug-catalogue.md U8: sdfgen sizes the blk driver queue as Σ client capacities (3 × 128). */
export const BLK_DRIVER_CAPACITY_U8 = 384;
/** sddf-protocols.md §2.5 / U5: CAP = (4096 − 32) / 16, as spec/queue/i2c.ts has it. */
export const I2C_CAPACITY_U5 = I2C_CAPACITY;

export function slotWrapObligations(): readonly Obligation[] {
  return [
    slotWrapObligation({
      name: 'slot-wrap.pow2.u16',
      widthBits: 16,
      capacity: 'pow2',
      models: 'net queue slot `tail % capacity` with uint16_t tail/head (sddf-protocols.md §2.1)',
    }),
    slotWrapObligation({
      name: 'slot-wrap.pow2.u32',
      widthBits: 32,
      capacity: 'pow2',
      models:
        'blk/serial slot `index % capacity` with uint32_t indices (sddf-protocols.md §2.3, §2.4)',
    }),
    nonPow2BreaksObligation(),
    slotWrapObligation({
      name: 'slot-wrap.i2c-254.u32',
      widthBits: 32,
      capacity: I2C_CAPACITY_U5,
      models:
        'i2c `staged_active_tail % I2C_QUEUE_CAPACITY` with CAP = 254 and uint32_t indices ' +
        '(sddf-protocols.md §2.5; upstream defect U5, sddf-bug-catalogue.md §3)',
      expected: 'refuted',
      defect: 'U5',
    }),
    slotWrapObligation({
      name: 'slot-wrap.blk-384.u32',
      widthBits: 32,
      capacity: BLK_DRIVER_CAPACITY_U8,
      models:
        'blk driver queue `tail % capacity` with capacity = Σ client capacities = 3 × 128 ' +
        '(sddf-protocols.md §2.3; upstream defect U8, sddf-bug-catalogue.md §3)',
      expected: 'refuted',
      defect: 'U8',
    }),
  ];
}
