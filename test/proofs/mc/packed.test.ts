import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsFor, packedCodec, packedLayout } from '../../../proofs/mc/packed.ts';

describe('packed state codec', () => {
  it('places fields first-fit, never straddling a word', () => {
    const L = packedLayout([20, 12, 1, 32, 3]);
    expect(Array.from(L.word)).toEqual([0, 0, 1, 2, 3]);
    expect(Array.from(L.shift)).toEqual([0, 20, 0, 0, 0]);
    expect(L.words).toBe(4);
    expect(bitsFor(0)).toBe(1);
    expect(bitsFor(255)).toBe(8);
    expect(bitsFor(256)).toBe(9);
  });

  it('decode(encode(f)) = f, and patch = encode of the changed fields over the old words', () => {
    const widths = [3, 7, 1, 16, 32, 5, 9, 2];
    const codec = packedCodec(widths);
    const field = (bits: number): fc.Arbitrary<number> =>
      bits === 32 ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) : fc.nat(2 ** bits - 1);
    const fields = fc.tuple(...widths.map(field));
    fc.assert(
      fc.property(
        fields,
        fields,
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        (a, b, pick) => {
          const f = Int32Array.from(a);
          const s = new Uint32Array(codec.words);
          expect(codec.encode(f, s)).toBe(0);
          const back = new Int32Array(widths.length);
          codec.decode(s, back);
          expect(Array.from(back)).toEqual(a);
          // g: some fields changed to b's values.
          const g = Int32Array.from(a.map((x, i) => (pick[i] ? b[i]! : x)));
          const patched = new Uint32Array(codec.words);
          expect(codec.patch(s, f, g, patched)).toBe(0);
          const direct = new Uint32Array(codec.words);
          codec.encode(g, direct);
          expect(Array.from(patched)).toEqual(Array.from(direct));
        },
      ),
    );
  });

  it('a value wider than its field is reported, by encode and by patch', () => {
    const codec = packedCodec([3, 4]);
    const s = new Uint32Array(codec.words);
    expect(codec.encode(Int32Array.of(8, 0), s)).not.toBe(0);
    expect(codec.encode(Int32Array.of(-1, 0), s)).not.toBe(0);
    codec.encode(Int32Array.of(1, 2), s);
    const out = new Uint32Array(codec.words);
    expect(codec.patch(s, Int32Array.of(1, 2), Int32Array.of(1, 16), out)).not.toBe(0);
    expect(codec.patch(s, Int32Array.of(1, 2), Int32Array.of(7, 15), out)).toBe(0);
  });
});
