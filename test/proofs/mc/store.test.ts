import { describe, expect, it } from 'vitest';
import { collisionProbability, mixA, mixB, StateHasher } from '../../../proofs/mc/hash.ts';
import {
  BitstateSet,
  ExactSet,
  HashCompactSet,
  type FingerprintSet,
} from '../../../proofs/mc/store.ts';

/** Inserts `v`, growing first when the set asks for it (as the engine does). */
function put(set: FingerprintSet, hasher: StateHasher, v: Uint32Array): number {
  hasher.full(v, 0);
  if (set.needsGrow()) set.grow();
  return set.put(StateHasher.finish1(hasher.sum1), StateHasher.finish2(hasher.sum2), v, 0);
}

function has(set: FingerprintSet, hasher: StateHasher, v: Uint32Array): boolean {
  hasher.full(v, 0);
  return set.has(StateHasher.finish1(hasher.sum1), StateHasher.finish2(hasher.sum2), v, 0);
}

describe('fingerprint sets', () => {
  it('hash-compact and exact: new states get dense ids, repeats are seen, across growths', () => {
    for (const make of [() => new HashCompactSet(), () => new ExactSet(3)]) {
      const set = make();
      const hasher = new StateHasher(3);
      const buf = new Uint32Array(3);
      const ids: number[] = [];
      // 20 000 distinct vectors force several table (and arena) growths.
      for (let i = 0; i < 20_000; i++) {
        buf[0] = i;
        buf[1] = i * 7;
        buf[2] = 0xffffffff - i;
        ids.push(put(set, hasher, buf));
      }
      expect(ids).toEqual(ids.map((_, i) => i));
      expect(set.count).toBe(20_000);
      buf.set([123, 861, 0xffffffff - 123]);
      expect(has(set, hasher, buf)).toBe(true);
      expect(put(set, hasher, buf)).toBe(set.mode === 'exact' ? ~123 : -1);
      buf[2] = 5;
      expect(has(set, hasher, buf)).toBe(false);
      expect(set.count).toBe(20_000);
    }
  });

  it('exact mode keeps the vectors and tells states apart even when their fingerprints match', () => {
    const set = new ExactSet(2);
    // Same (forced) fingerprint, different vectors: hash-compact would merge them, exact must not.
    expect(set.put(7, 9, Uint32Array.of(1, 2), 0)).toBe(0);
    expect(set.put(7, 9, Uint32Array.of(3, 4), 0)).toBe(1);
    expect(set.put(7, 9, Uint32Array.of(1, 2), 0)).toBe(~0);
    const out = new Uint32Array(2);
    set.read(1, out);
    expect(Array.from(out)).toEqual([3, 4]);
    expect(set.find(7, 9, Uint32Array.of(3, 4), 0)).toBe(1);
    expect(() => set.read(2, out)).toThrow(/not stored/);
    const compact = new HashCompactSet();
    expect(compact.put(7, 9)).toBe(0);
    expect(compact.put(7, 9)).toBe(-1);
    expect(compact.collisionProbability()).toBeGreaterThan(0);
    expect(set.collisionProbability()).toBe(0);
  });

  it('a put that would pass the load limit without grow is an InvariantError, not a silent overfill', () => {
    const set = new HashCompactSet(16);
    for (let i = 0; i < 11; i++) set.put(i * 0x1001 + 1, i + 1);
    expect(set.needsGrow()).toBe(true);
    expect(() => set.put(999, 999)).toThrow(/grow was skipped/);
    set.grow();
    expect(set.put(999, 999)).toBe(11);
  });

  it('bitstate: a fixed bit array, k bits per state; re-insertions are seen', () => {
    const set = new BitstateSet({ bits: 20, hashes: 3 });
    const hasher = new StateHasher(2);
    const v = new Uint32Array(2);
    for (let i = 0; i < 1000; i++) {
      v[0] = i;
      expect(put(set, hasher, v)).toBe(i);
    }
    for (let i = 0; i < 1000; i++) {
      v[0] = i;
      expect(put(set, hasher, v)).toBe(-1);
    }
    expect(set.memoryBytes()).toBe(2 ** 20 / 8);
    expect(set.coverage()).toBeGreaterThan(0.999);
  });

  it('bitstate: an overfull bit array skips new states and its coverage estimate says so', () => {
    const set = new BitstateSet({ bits: 10, hashes: 2 });
    const hasher = new StateHasher(1);
    const v = new Uint32Array(1);
    let stored = 0;
    for (let i = 0; i < 2000; i++) {
      v[0] = i;
      if (put(set, hasher, v) >= 0) stored++;
    }
    // 2000 distinct states into 1024 bits: many are taken for seen ones.
    expect(stored).toBeLessThan(2000);
    expect(set.coverage()).toBeLessThan(0.9);
    expect(set.collisionProbability()).toBeCloseTo(1 - set.coverage(), 10);
  });

  it('bitstate sizes and hash counts are checked', () => {
    expect(() => new BitstateSet({ bits: 5, hashes: 3 })).toThrow(/2\^10/);
    expect(() => new BitstateSet({ bits: 20, hashes: 0 })).toThrow(/hashes/);
  });

  it('fingerprints merge no distinct states on 200 000 near-identical vectors (one bit apart)', () => {
    const set = new HashCompactSet();
    const hasher = new StateHasher(4);
    const buf = new Uint32Array(4);
    // Low-entropy vectors, like packed model states: counters and single flipped bits.
    for (let i = 0; i < 200_000; i++) {
      buf[0] = i & 0xff;
      buf[1] = (i >>> 8) & 0xff;
      buf[2] = 1 << (i % 32);
      buf[3] = i >>> 16;
      put(set, hasher, buf);
    }
    expect(set.count).toBe(200_000);
  });

  it('collision estimate n²/2^65', () => {
    expect(collisionProbability(2 ** 32)).toBe(0.5);
    expect(collisionProbability(1_000_000)).toBeCloseTo(1e12 / 2 ** 65, 20);
    expect(collisionProbability(2 ** 40)).toBe(1);
  });
});

describe('StateHasher', () => {
  it('the incremental update over changed words equals the full hash', () => {
    const h = new StateHasher(8, 42);
    const a = Uint32Array.of(1, 2, 3, 4, 5, 6, 7, 0xffffffff);
    h.full(a, 0);
    let s1 = h.sum1;
    let s2 = h.sum2;
    const b = a.slice();
    b[2] = 99;
    b[7] = 0;
    for (const k of [2, 7]) {
      s1 = (s1 + mixA(b[k]! ^ h.key1[k]!) - mixA(a[k]! ^ h.key1[k]!)) | 0;
      s2 = (s2 + mixB(b[k]! ^ h.key2[k]!) - mixB(a[k]! ^ h.key2[k]!)) | 0;
    }
    h.full(b, 0);
    expect([s1, s2]).toEqual([h.sum1, h.sum2]);
  });

  it('word positions matter, seeds give other hash functions, hashes are int32', () => {
    const h = new StateHasher(2);
    h.full(Uint32Array.of(1, 2), 0);
    const ab = [h.sum1, h.sum2];
    h.full(Uint32Array.of(2, 1), 0);
    expect([h.sum1, h.sum2]).not.toEqual(ab);
    const other = new StateHasher(2, 7);
    other.full(Uint32Array.of(1, 2), 0);
    expect([other.sum1, other.sum2]).not.toEqual(ab);
    expect(ab.every((x) => x === (x | 0))).toBe(true);
    expect(StateHasher.finish2(0x1234)).not.toBe(0);
  });
});
