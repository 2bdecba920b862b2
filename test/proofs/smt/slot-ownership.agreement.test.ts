// The slot-ownership obligations (proofs/smt/slot-ownership.ts) against the spec's operations
// (issue 15 part 4): on many concrete states, including both index wraps, the encoding's full
// check must say exactly when netEnqueue / blkEnqueue refuse, its slot(tail) must be the slot the
// enqueue writes, and its slot(head + 0) the slot the dequeue reads. The encoding is also
// evaluated by Z3 on the same states and must agree with its number evaluation.
// test/acceptance/one-truth.test.ts changes netEnqueue on a copy and sees this test fail.
import { describe, expect, it } from 'vitest';
import { fullOf, ownershipOf, type OwnershipClass } from '../../../proofs/smt/slot-ownership.ts';
import { bvArith, intArith } from '../../../proofs/smt/arith.ts';
import type { SharedMem } from '../../../spec/common/memory.ts';
import { numberArithOf } from '../../../spec/queue/arith.ts';
import { BLK_FLAVOUR_HEAD, blkDequeue, blkEnqueue } from '../../../spec/queue/blk.ts';
import { NET_FLAVOUR_HEAD, netDequeue, netEnqueue } from '../../../spec/queue/net.ts';
import { evaluate, useZ3 } from './helpers.ts';

const z3 = useZ3();

/** A sequential memory that records which slot was written or read. */
function memory(init: Record<number, number>): SharedMem & { stores: number[]; loads: number[] } {
  const words = new Map<number, number>(Object.entries(init).map(([k, v]) => [Number(k), v]));
  const stores: number[] = [];
  const loads: number[] = [];
  return {
    stores,
    loads,
    load: (addr) => {
      loads.push(addr);
      return words.get(addr) ?? 0;
    },
    store: (addr, value) => {
      stores.push(addr);
      words.set(addr, value);
    },
    fence: () => undefined,
  };
}

const TAIL = 0;
const HEAD = 1;
const SLOTS = 16;

/** What the spec's operations do on (tail, head): refused?, the slot written, the slot read. */
function operate(
  cls: 'net' | 'blk',
  s: { tail: number; head: number; capacity: number },
): { refused: boolean; written: number | null; read: number | null } {
  const init = { [TAIL]: s.tail, [HEAD]: s.head };
  const slotOfAddr = (addrs: number[]): number | null => {
    const a = addrs.find((x) => x >= SLOTS);
    return a === undefined ? null : a - SLOTS;
  };
  const enq = memory(init);
  const deq = memory(init);
  let refused: boolean;
  if (cls === 'net') {
    const q = {
      name: 'q',
      tail: TAIL,
      head: HEAD,
      consumerSignalled: 2,
      slots: SLOTS,
      capacity: s.capacity,
    };
    refused = !netEnqueue(enq, q, NET_FLAVOUR_HEAD, 7);
    netDequeue(deq, q, NET_FLAVOUR_HEAD);
  } else {
    const q = { name: 'q', tail: TAIL, head: HEAD, slots: SLOTS, capacity: s.capacity };
    refused = !blkEnqueue(enq, q, 7, BLK_FLAVOUR_HEAD);
    blkDequeue(deq, q, BLK_FLAVOUR_HEAD);
  }
  return { refused, written: slotOfAddr(enq.stores), read: slotOfAddr(deq.loads) };
}

/** Reachable states near both wraps and at random, for capacity `cap` at width w. */
function states(
  w: 16 | 32,
  cap: number,
  usable: number,
  seed: number,
): { tail: number; head: number }[] {
  const mod = 2 ** w;
  const out: { tail: number; head: number }[] = [];
  let x = seed;
  const rand = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  const heads = [0, 1, cap - 1, cap, mod - 1, mod - 2, mod - cap, mod - (mod % cap || cap)];
  for (let i = 0; i < 24; i++) heads.push(rand() % mod);
  for (const head of heads) {
    for (const len of [0, 1, usable - 1, usable, (rand() % (usable + 1)) | 0]) {
      if (len < 0 || len > usable) continue;
      out.push({ head: head % mod, tail: (head + len) % mod });
    }
  }
  return out;
}

describe('slot ownership: the encoding agrees with the spec operations', () => {
  const cases: [OwnershipClass & ('net' | 'blk'), 16 | 32, number][] = [
    ['net', 16, 1],
    ['net', 16, 4],
    ['net', 16, 512],
    ['blk', 32, 2],
    ['blk', 32, 128],
    ['blk', 32, 384], // U8: not a power of two
  ];
  for (const [cls, w, cap] of cases) {
    it(`${cls} capacity ${cap} at u${w}, including the wrap`, () => {
      const a = numberArithOf(w);
      let checked = 0;
      for (const s of states(w, cap, cap, cap * 7 + w)) {
        const op = operate(cls, { ...s, capacity: cap });
        const o = ownershipOf(cls, a, { ...s, j: 0, capacity: cap });
        // Refused exactly when the encoding's full check holds, and that is length == capacity.
        expect(op.refused, JSON.stringify(s)).toBe(fullOf(cls, a, { ...s, capacity: cap }));
        expect(op.refused).toBe(a.sub(s.tail, s.head) === cap);
        if (!op.refused) expect(op.written, JSON.stringify(s)).toBe(o.slotTail);
        if (s.tail !== s.head) expect(op.read, JSON.stringify(s)).toBe(o.slotLive);
        checked++;
      }
      expect(checked).toBeGreaterThan(100);
    });
  }

  it('Z3 evaluates the encoding as the numbers do (bit-vectors and integers, at the wrap)', async () => {
    const z = z3.current;
    for (const [cls, w, cap] of [
      ['net', 16, 4],
      ['blk', 32, 384],
      ['i2c', 32, 254],
    ] as const) {
      const n = numberArithOf(w);
      for (const s of states(w, cap, cls === 'i2c' ? cap - 1 : cap, 99).slice(0, 40)) {
        for (const j of [0, 1, 15]) {
          const num = ownershipOf(cls, n, { ...s, j, capacity: cap });
          const arith = cap % 2 === 0 && (cap & (cap - 1)) === 0 ? bvArith(z, w) : intArith(z, w);
          const lit = (v: number) => arith.lit(v);
          const sym = ownershipOf(cls, arith, {
            tail: lit(s.tail),
            head: lit(s.head),
            j: lit(j),
            capacity: lit(cap),
          });
          expect(await evaluate(z, sym.premise), `${cls} ${JSON.stringify(s)} j=${j}`).toBe(
            num.premise,
          );
          expect(await evaluate(z, sym.owned)).toBe(num.owned);
          expect(await evaluate(z, sym.slotTail)).toBe(num.slotTail);
          expect(await evaluate(z, sym.slotLive)).toBe(num.slotLive);
        }
      }
    }
  });
});
