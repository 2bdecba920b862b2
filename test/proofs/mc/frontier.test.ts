import { describe, expect, it } from 'vitest';
import { DeltaFrontier, RingFrontier } from '../../../proofs/mc/frontier.ts';

describe('RingFrontier', () => {
  it('is FIFO across wrap-around and growth, and keeps each record whole', () => {
    const f = new RingFrontier(2, 4);
    const out = new Uint32Array(2);
    const seen: number[][] = [];
    let next = 0;
    // Interleave pushes and shifts so the ring wraps, then grows while wrapped.
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 3; k++) {
        if (f.needsGrow()) f.grow();
        f.push(Uint32Array.of(next, next * 2 + 0x80000000), 0, -next, next);
        next++;
      }
      for (let k = 0; k < 2; k++) {
        f.shift(out);
        seen.push([out[0]!, out[1]!, f.sum1, f.sum2]);
      }
    }
    while (f.size > 0) {
      f.shift(out);
      seen.push([out[0]!, out[1]!, f.sum1, f.sum2]);
    }
    expect(seen).toHaveLength(150);
    seen.forEach(([a, b, s1, s2], i) => {
      expect([a, b, s1, s2]).toEqual([i, (i * 2 + 0x80000000) >>> 0, -i | 0, i]);
    });
    expect(f.memoryBytes()).toBeGreaterThan(4 * 4 * 4);
  });

  it('refuses a push into a full ring and a shift from an empty one', () => {
    const f = new RingFrontier(1, 1);
    f.push(Uint32Array.of(1), 0, 0, 0);
    expect(() => f.push(Uint32Array.of(2), 0, 0, 0)).toThrow(/grow was skipped/);
    f.shift(new Uint32Array(1));
    expect(() => f.shift(new Uint32Array(1))).toThrow(/empty/);
  });
});

describe('DeltaFrontier', () => {
  it('gives back exactly what was pushed, in order, across many chunks, and frees read chunks', () => {
    const w = 40;
    const f = new DeltaFrontier(w);
    let x = 12345;
    const rnd = (): number => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x;
    };
    const state = new Uint32Array(w);
    const pushed: number[][] = [];
    const out = new Uint32Array(w);
    let shifted = 0;
    let peak = 0;
    for (let round = 0; round < 200; round++) {
      // Siblings: a few words change between consecutive states, sometimes all of them.
      for (let k = 0; k < 400; k++) {
        const changes = round % 17 === 0 && k === 0 ? w : 1 + (rnd() % 4);
        for (let c = 0; c < changes; c++) state[changes === w ? c : rnd() % w] = rnd();
        if (f.needsGrow()) f.grow();
        f.push(state, 0, rnd() | 0, -k - 1);
        pushed.push([...state, 0, -k - 1]);
      }
      for (let k = 0; k < 300; k++) {
        f.shift(out);
        const want = pushed[shifted++]!;
        expect([...out, 0, f.sum2]).toEqual(want);
      }
      peak = Math.max(peak, f.memoryBytes());
    }
    while (f.size > 0) {
      f.shift(out);
      expect(Array.from(out)).toEqual(pushed[shifted++]!.slice(0, w));
    }
    expect(shifted).toBe(80_000);
    // 80 000 states of 160 bytes whole would be 12.8 MB; as differences they need a few MiB.
    expect(peak).toBeLessThan(8 * 2 ** 20);
    expect(f.memoryBytes()).toBeLessThanOrEqual(2 * 2 ** 20);
  });
});
