import { describe, expect, it } from 'vitest';
import { RingFrontier } from '../../../proofs/mc/frontier.ts';

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
