// Slot ownership (issue 15 part 4): the producer never writes a slot that holds a live entry.
// An enqueue that passes the class's full check writes slot(tail); the live entries are the
// indices head + j for 0 ≤ j < (tail − head) at the index width. The claim, for every reachable
// state (0 ≤ tail − head ≤ usable) that the full check lets through:
//     ∀ j < tail − head:  slot(tail) ≠ slot(head + j)
// stated directly, with the spec's own predicates (the full checks of spec/queue, ringSlotOf,
// ringBoundsOf; docs/adr/014-z3-tied-to-spec.md). Proved for every power-of-two capacity of each
// class; refuted for the upstream capacities that are not powers of two (U5: i²c 254, U8: blk
// driver queue 384), where slot(·) = index % capacity jumps at the index wrap and two live
// indices share a slot: the enqueue overwrites a live entry.

import { assert } from '../../spec/common/assert.ts';
import type { IndexArith } from '../../spec/queue/arith.ts';
import { i2cFullOf } from '../../spec/queue/i2c.ts';
import { netFullOf } from '../../spec/queue/net.ts';
import { ringBoundsOf, ringFullOf, ringSlotOf } from '../../spec/queue/ring.ts';
import { bvArith, intArith } from './arith.ts';
import { BLK_DRIVER_CAPACITY_U8, I2C_CAPACITY_U5 } from './slot-wrap.ts';
import {
  bv,
  pow2Capacity,
  validityObligation,
  type Obligation,
  type Z3,
  type Z3Bool,
  type Z3Expr,
} from './obligation.ts';

/** The queue classes: their index width, reserved slot and full check (spec/queue). */
export type OwnershipClass = 'net' | 'blk' | 'serial' | 'i2c';

const WIDTH: Readonly<Record<OwnershipClass, 16 | 32>> = { net: 16, blk: 32, serial: 32, i2c: 32 };

/** The class's full check, as its enqueue evaluates it (the spec's predicate). */
export function fullOf<V, B>(
  cls: OwnershipClass,
  a: IndexArith<V, B>,
  q: { readonly tail: V; readonly head: V; readonly capacity: V },
): B {
  switch (cls) {
    case 'net':
      return netFullOf(a, 'corrected', q);
    case 'i2c':
      return i2cFullOf(a, q.tail, q.head, q.capacity);
    case 'blk':
    case 'serial':
      return ringFullOf(a, { ...q, reservedSlots: 0 });
  }
}

/**
 * The ownership statement for one live offset j, on any arithmetic (Z3 terms or numbers):
 * premise = reachable ∧ not full ∧ j < tail − head; conclusion = slot(tail) ≠ slot(head + j).
 * The agreement test evaluates this same function on numbers and compares it with the slots the
 * spec's number functions give.
 */
export function ownershipOf<V, B>(
  cls: OwnershipClass,
  a: IndexArith<V, B>,
  s: { readonly tail: V; readonly head: V; readonly j: V; readonly capacity: V },
): { premise: B; owned: B; slotTail: V; slotLive: V } {
  const usable = cls === 'i2c' ? a.sub(s.capacity, a.lit(1)) : s.capacity;
  const length = a.sub(s.tail, s.head);
  const live = a.not(a.ule(length, s.j)); // j < length
  const premise = a.and(
    a.and(ringBoundsOf(a, s.tail, s.head, usable), a.not(fullOf(cls, a, s))),
    live,
  );
  const slotTail = ringSlotOf(a, s.tail, s.capacity);
  const slotLive = ringSlotOf(a, a.add(s.head, s.j), s.capacity);
  return { premise, owned: a.not(a.eq(slotTail, slotLive)), slotTail, slotLive };
}

export interface SlotOwnershipSpec {
  readonly name: string;
  readonly cls: OwnershipClass;
  /** 'pow2': every capacity 1 << k (k ≥ 1 for i²c: one slot is reserved); a number: that one. */
  readonly capacity: 'pow2' | number;
  readonly models: string;
  readonly expected?: 'refuted';
  readonly defect?: string;
}

export function slotOwnershipObligation(spec: SlotOwnershipSpec): Obligation {
  const w = WIDTH[spec.cls];
  const capText =
    spec.capacity === 'pow2' ? `every capacity 1 << k, k ≤ ${w - 1}` : `capacity ${spec.capacity}`;
  return validityObligation(
    {
      name: spec.name,
      statement:
        `an enqueue that passes the ${spec.cls} full check writes slot(tail), which is no live ` +
        `entry's slot: ∀ j < (uint${w}_t)(tail − head): tail % cap ≠ (head + j) % cap, ` +
        `for all reachable u${w} tail/head, ${capText}`,
      widthBits: w,
      models: spec.models,
      ...(spec.expected === undefined ? {} : { expected: spec.expected }),
      ...(spec.defect === undefined ? {} : { defect: spec.defect }),
    },
    (z) =>
      spec.capacity === 'pow2'
        ? pow2Query(z, spec.cls, w)
        : fixedQuery(z, spec.cls, w, spec.capacity),
  );
}

function pow2Query(
  z: Z3,
  cls: OwnershipClass,
  w: 16 | 32,
): { claim: Z3Bool; witnesses: Record<string, Z3Expr> } {
  // Case split over k as in slot-wrap.ts: `% (1 << k)` per case stays cheap for Z3.
  const a = bvArith(z, w);
  const { capacity, log2, range } = pow2Capacity(z, { widthBits: w, maxLog2: w - 1 });
  const tail = z.BitVec.const('tail', w);
  const head = z.BitVec.const('head', w);
  const j = z.BitVec.const('j', w);
  const cases: Z3Bool[] = [];
  for (let k = 0; k < w; k++) {
    const kTerm = bv(z, k, w);
    const o = ownershipOf(cls, a, { tail, head, j, capacity: bv(z, 1, w).shl(kTerm) });
    cases.push(z.Implies(z.And(log2.eq(kTerm), o.premise), o.owned));
  }
  const o = ownershipOf(cls, a, { tail, head, j, capacity });
  return {
    claim: z.Implies(range, z.And(...cases)),
    witnesses: { capacity, tail, head, j, slot_tail: o.slotTail, slot_live: o.slotLive },
  };
}

function fixedQuery(
  z: Z3,
  cls: OwnershipClass,
  w: 16 | 32,
  capacity: number,
): { claim: Z3Bool; witnesses: Record<string, Z3Expr> } {
  assert(capacity > 1 && capacity < 2 ** w, `capacity ${capacity} out of range for u${w}`);
  // Linear integer arithmetic mod 2^w with `%` by a literal (slot-wrap.ts: bit-blasting a 32-bit
  // divider by a constant that is no power of two is slow).
  const modulus = 1n << BigInt(w);
  const a = intArith(z, w);
  const tail = z.Int.const('tail');
  const head = z.Int.const('head');
  const j = z.Int.const('j');
  const inRange = (x: typeof tail): Z3Bool => z.And(x.ge(0), x.lt(modulus));
  const o = ownershipOf(cls, a, { tail, head, j, capacity: a.lit(capacity) });
  return {
    claim: z.Implies(z.And(inRange(tail), inRange(head), inRange(j), o.premise), o.owned),
    witnesses: {
      capacity: z.Int.val(capacity),
      tail,
      head,
      j,
      slot_tail: o.slotTail,
      slot_live: o.slotLive,
    },
  };
}

export function slotOwnershipObligations(): readonly Obligation[] {
  return [
    slotOwnershipObligation({
      name: 'slot-ownership.net',
      cls: 'net',
      capacity: 'pow2',
      models: 'net_enqueue writes slot tail % capacity, uint16_t indices (sddf-protocols.md §2.1)',
    }),
    slotOwnershipObligation({
      name: 'slot-ownership.blk',
      cls: 'blk',
      capacity: 'pow2',
      models: 'blk request/response enqueue, uint32_t indices (sddf-protocols.md §2.3)',
    }),
    slotOwnershipObligation({
      name: 'slot-ownership.serial',
      cls: 'serial',
      capacity: 'pow2',
      models: 'serial enqueue, uint32_t indices (sddf-protocols.md §2.4)',
    }),
    slotOwnershipObligation({
      name: 'slot-ownership.i2c',
      cls: 'i2c',
      capacity: 'pow2',
      models: 'i2c enqueue with one reserved slot, uint32_t indices (sddf-protocols.md §2.5)',
    }),
    slotOwnershipObligation({
      name: 'slot-ownership.i2c-254',
      cls: 'i2c',
      capacity: I2C_CAPACITY_U5,
      models: 'i2c with CAP = 254 (upstream; U5, sddf-bug-catalogue.md §3)',
      expected: 'refuted',
      defect: 'U5',
    }),
    slotOwnershipObligation({
      name: 'slot-ownership.blk-384',
      cls: 'blk',
      capacity: BLK_DRIVER_CAPACITY_U8,
      models: 'blk driver queue of capacity 3 × 128 (sdfgen; U8, sddf-bug-catalogue.md §3)',
      expected: 'refuted',
      defect: 'U8',
    }),
  ];
}
