// sDDF's index allocator (include/sddf/util/ialloc.h at 650ace5d) in a u32 window: against a model
// (a set of allocated indices), every sequence of allocs and frees hands out each index at most
// once, frees only allocated ones, and keeps size/numFree/full/inUse/consistent in step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IALLOC_HEADER_WORDS,
  IALLOC_NONE,
  Ialloc,
  iallocWords,
} from '../../../../impl/drivers/net/ialloc.ts';

function fresh(capacity: number, extra = 0): { ia: Ialloc; w: Uint32Array } {
  const w = new Uint32Array(iallocWords(capacity) + extra);
  const ia = new Ialloc(w);
  ia.init(capacity);
  return { ia, w };
}

describe('ialloc', () => {
  it('init: indices 0..capacity-1 free in order, the header as ialloc_init writes it', () => {
    const { ia, w } = fresh(4);
    expect(iallocWords(4)).toBe(IALLOC_HEADER_WORDS + 4);
    expect([ia.head, ia.tail, ia.size, ia.capacity]).toEqual([0, 3, 0, 4]);
    expect([...w.subarray(IALLOC_HEADER_WORDS)]).toEqual([1, 2, 3, 4]);
    expect(ia.numFree()).toBe(4);
    expect(ia.full()).toBe(false);
    expect(ia.consistent(4)).toBe(true);
    expect([ia.alloc(), ia.alloc(), ia.alloc(), ia.alloc()]).toEqual([0, 1, 2, 3]);
    expect(ia.full()).toBe(true);
    expect(ia.alloc()).toBe(-1);
    expect([ia.head, ia.tail]).toEqual([IALLOC_NONE, IALLOC_NONE]);
  });

  it('a freed index is handed out again after the ones already free (FIFO)', () => {
    const { ia } = fresh(3);
    expect(ia.alloc()).toBe(0);
    expect(ia.free(0)).toBe(0);
    expect([ia.alloc(), ia.alloc(), ia.alloc()]).toEqual([1, 2, 0]);
    // Full, then one freed: it is the only one left.
    expect(ia.free(2)).toBe(0);
    expect([ia.head, ia.tail, ia.size]).toEqual([2, 2, 2]);
    expect(ia.alloc()).toBe(2);
  });

  it('refuses to free what is not allocated, or an index beyond the capacity', () => {
    const { ia } = fresh(2);
    expect(ia.free(0)).toBe(-1);
    expect(ia.free(2)).toBe(-1);
    expect(ia.inUse(2)).toBe(false);
    ia.alloc();
    expect(ia.inUse(0)).toBe(true);
    expect(ia.free(0)).toBe(0);
    expect(ia.free(0)).toBe(-1);
    expect(ia.size).toBe(0);
  });

  it('init refuses a capacity that is 0, IALLOC_NONE or beyond the window', () => {
    const w = new Uint32Array(iallocWords(4));
    const ia = new Ialloc(w);
    expect(() => ia.init(0)).toThrow(/fits its window/);
    expect(() => ia.init(5)).toThrow(/ialloc of 5 fits its window of 8 words/);
    expect(() => ia.init(IALLOC_NONE)).toThrow(/fits its window/);
    ia.init(4);
    expect(() => new Ialloc(new Uint32Array(IALLOC_HEADER_WORDS - 1))).toThrow(/header/);
    expect(() => new Ialloc(new Uint32Array(IALLOC_HEADER_WORDS))).not.toThrow();
  });

  it('consistent: capacity, size and the count of allocated entries must agree', () => {
    const { ia, w } = fresh(4);
    ia.alloc();
    expect(ia.consistent(4)).toBe(true);
    expect(ia.consistent(3)).toBe(false);
    w[2] = 2; // size says 2, one entry is marked allocated
    expect(ia.consistent(4)).toBe(false);
    w[2] = 5; // more than the capacity
    expect(ia.consistent(4)).toBe(false);
    w[2] = 1;
    w[IALLOC_HEADER_WORDS + 3] = IALLOC_NONE; // a second entry marked, size still 1
    expect(ia.consistent(4)).toBe(false);
    w[2] = 2;
    expect(ia.consistent(4)).toBe(true);
    // A window holding a full allocator is consistent too.
    const full = fresh(2);
    full.ia.alloc();
    full.ia.alloc();
    expect(full.ia.consistent(2)).toBe(true);
  });

  it('against a model: every index out at most once, frees only of allocated ones', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 10 })), { maxLength: 60 }),
        (cap, ops) => {
          const { ia } = fresh(cap);
          const held = new Set<number>();
          for (const op of ops) {
            if (op < 0) {
              const id = ia.alloc();
              if (held.size === cap) expect(id).toBe(-1);
              else {
                expect(id).toBeGreaterThanOrEqual(0);
                expect(id).toBeLessThan(cap);
                expect(held.has(id)).toBe(false);
                held.add(id);
              }
            } else {
              expect(ia.free(op)).toBe(held.has(op) ? 0 : -1);
              held.delete(op);
            }
            expect(ia.size).toBe(held.size);
            expect(ia.numFree()).toBe(cap - held.size);
            expect(ia.full()).toBe(held.size === cap);
            expect(ia.consistent(cap)).toBe(true);
            for (let i = 0; i <= cap; i++) expect(ia.inUse(i)).toBe(held.has(i));
          }
        },
      ),
    );
  });
});
