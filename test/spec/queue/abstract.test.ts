import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abstractDequeue,
  abstractEmpty,
  abstractEnqueue,
  abstractIsEmpty,
  abstractIsFull,
  abstractLength,
} from '../../../spec/queue/abstract.ts';
import { InvariantError } from '../../../spec/common/assert.ts';

describe('abstract bounded FIFO', () => {
  it('is FIFO and bounded by its capacity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(fc.integer()), (cap, xs) => {
        let q = abstractEmpty<number>(cap);
        const accepted: number[] = [];
        for (const x of xs) {
          const next = abstractEnqueue(q, x);
          expect(next === null).toBe(abstractIsFull(q));
          if (next) {
            q = next;
            accepted.push(x);
          }
        }
        expect(abstractLength(q)).toBe(Math.min(cap, xs.length));
        const out: number[] = [];
        for (let r = abstractDequeue(q); r !== null; r = abstractDequeue(q)) {
          out.push(r.item);
          q = r.queue;
        }
        expect(out).toEqual(accepted);
        expect(abstractIsEmpty(q)).toBe(true);
      }),
    );
  });

  it('never mutates a state', () => {
    const q0 = abstractEmpty<number>(2);
    const q1 = abstractEnqueue(q0, 7);
    expect(q0.items).toEqual([]);
    expect(q1?.items).toEqual([7]);
    const d = abstractDequeue(q1!);
    expect(q1?.items).toEqual([7]);
    expect(d?.queue.items).toEqual([]);
  });

  it('full and empty are exact at the bounds', () => {
    const q = abstractEnqueue(abstractEmpty<number>(1), 1)!;
    expect(abstractIsFull(q)).toBe(true);
    expect(abstractEnqueue(q, 2)).toBeNull();
    expect(abstractDequeue(abstractEmpty<number>(1))).toBeNull();
    expect(abstractIsFull(abstractEmpty<number>(1))).toBe(false);
  });

  it('rejects a non-positive capacity as our bug', () => {
    expect(() => abstractEmpty(0)).toThrow(InvariantError);
    expect(() => abstractEmpty(1.5)).toThrow(InvariantError);
  });

  it('rejects a state longer than its capacity', () => {
    expect(() => abstractEnqueue({ capacity: 1, items: [1, 2] }, 3)).toThrow(InvariantError);
    expect(() => abstractDequeue({ capacity: 1, items: [1, 2] })).toThrow(InvariantError);
  });
});
