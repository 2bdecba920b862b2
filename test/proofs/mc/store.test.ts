import { describe, expect, it } from 'vitest';
import { StateStore, collisionProbability, hash1, hash2 } from '../../../proofs/mc/store.ts';

describe('StateStore', () => {
  it('inserts new states once, finds them again, and keeps insertion ids', () => {
    const store = new StateStore({ stateWords: 3, keepVectors: true, exact: false });
    const buf = new Uint32Array(3);
    const ids: number[] = [];
    // 20 000 distinct vectors force several table and arena growths.
    for (let i = 0; i < 20_000; i++) {
      buf[0] = i;
      buf[1] = i * 7;
      buf[2] = 0xffffffff - i;
      ids.push(store.insert(buf, 0));
    }
    expect(ids).toEqual(ids.map((_, i) => i));
    expect(store.count).toBe(20_000);
    buf[0] = 123;
    buf[1] = 861;
    buf[2] = 0xffffffff - 123;
    expect(store.insert(buf, 0)).toBe(~123);
    expect(store.lookup(buf, 0)).toBe(123);
    const out = new Uint32Array(3);
    store.read(123, out);
    expect(Array.from(out)).toEqual([123, 861, 0xffffffff - 123]);
    buf[2] = 5;
    expect(store.lookup(buf, 0)).toBe(-1);
  });

  it('fingerprint-only mode keeps no vectors (DFS memory) and refuses reads', () => {
    const store = new StateStore({ stateWords: 2, keepVectors: false, exact: false });
    store.insert(Uint32Array.of(1, 2), 0);
    expect(store.insert(Uint32Array.of(1, 2), 0)).toBe(~0);
    expect(() => store.read(0, new Uint32Array(2))).toThrow(/not stored/);
  });

  it('exact mode needs vectors', () => {
    expect(() => new StateStore({ stateWords: 2, keepVectors: false, exact: true })).toThrow();
  });

  it('the two hashes are independent functions of the vector', () => {
    const a = Uint32Array.of(1, 2, 3);
    const b = Uint32Array.of(1, 2, 4);
    expect(hash1(a, 0, 3)).not.toBe(hash2(a, 0, 3));
    expect(hash1(a, 0, 3)).not.toBe(hash1(b, 0, 3));
    expect(hash2(a, 0, 3)).not.toBe(hash2(b, 0, 3));
  });

  it('fingerprints merge no distinct states on 200 000 near-identical vectors (one bit apart)', () => {
    const store = new StateStore({ stateWords: 4, keepVectors: false, exact: false });
    const buf = new Uint32Array(4);
    // Low-entropy vectors, like packed model states: counters and single flipped bits.
    for (let i = 0; i < 200_000; i++) {
      buf[0] = i & 0xff;
      buf[1] = (i >>> 8) & 0xff;
      buf[2] = 1 << (i % 32);
      buf[3] = i >>> 16;
      store.insert(buf, 0);
    }
    expect(store.count).toBe(200_000);
  });

  it('collision estimate n²/2^65', () => {
    expect(collisionProbability(2 ** 32)).toBe(0.5);
    expect(collisionProbability(1_000_000)).toBeCloseTo(1e12 / 2 ** 65, 20);
    expect(collisionProbability(2 ** 40)).toBe(1);
  });
});
