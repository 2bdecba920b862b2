// Packed state vectors for models (ADR 007 "State encoding"): fields of a few bits each packed
// into u32 words, no field straddling a word. The engine only sees words; a model decodes a state
// into one int per field, computes its successors on those, and encodes each back.
//
// Why generated code: profiling spsc at SPIN's statement grain (issue #11 part 2) showed 70 % of a
// successor's cost in the loop that re-encoded every field through the layout tables (word index,
// shift and mask loaded per field). The codec below is compiled once per layout into straight-line
// code with the constants in it, and `patch` re-encodes only the fields a step changed, starting
// from the predecessor's words: 730 → 210 ns per spsc state (measured with bench/spin.ts's model).
// The layout algorithm is the one spsc.ts had (first fit in order, a field never straddles).
import { assert } from '../../spec/common/assert.ts';

export interface PackedLayout {
  readonly words: number;
  /** Word, bit offset and mask of each field. */
  readonly word: Int32Array;
  readonly shift: Int32Array;
  readonly mask: Uint32Array;
}

export interface PackedCodec extends PackedLayout {
  readonly fields: number;
  /** `f[i]` = field i of `s`. */
  decode(s: Uint32Array, f: Int32Array): void;
  /** `out` = the encoding of `f`; returns non-zero when a value does not fit its field. */
  encode(f: Int32Array, out: Uint32Array): number;
  /**
   * `out` = `s` with the fields where `g` differs from `f` re-encoded from `g` (`f` is `s`
   * decoded); returns non-zero when such a value does not fit its field.
   */
  patch(s: Uint32Array, f: Int32Array, g: Int32Array, out: Uint32Array): number;
}

/** Bits needed to hold 0..max. */
export function bitsFor(max: number): number {
  assert(
    Number.isSafeInteger(max) && max >= 0,
    `bitsFor needs a non-negative integer (got ${max})`,
  );
  let b = 1;
  while (2 ** b <= max) b++;
  return b;
}

/** Places fields of the given widths (1..32 bits) in order, starting a new word when one is full. */
export function packedLayout(widths: readonly number[]): PackedLayout {
  const word = new Int32Array(widths.length);
  const shift = new Int32Array(widths.length);
  const mask = new Uint32Array(widths.length);
  let w = 0;
  let used = 0;
  widths.forEach((bits, i) => {
    assert(Number.isInteger(bits) && bits > 0 && bits <= 32, `field width ${bits} out of range`);
    if (used + bits > 32) {
      w++;
      used = 0;
    }
    word[i] = w;
    shift[i] = used;
    mask[i] = bits === 32 ? 0xffffffff : (1 << bits) - 1;
    used += bits;
  });
  return { words: w + 1, word, shift, mask };
}

type Decode = PackedCodec['decode'];
type Encode = PackedCodec['encode'];
type Patch = PackedCodec['patch'];

/** The codec of a layout, as straight-line functions (see the header for why). */
export function packedCodec(widths: readonly number[]): PackedCodec {
  const L = packedLayout(widths);
  const n = widths.length;
  const decode: string[] = [];
  const encode: string[] = ['let bad = 0;', 'let v = 0;'];
  const patch: string[] = ['let bad = 0;', 'let v = 0;'];
  for (let k = 0; k < L.words; k++) {
    encode.push(`let w${k} = 0;`);
    patch.push(`out[${k}] = s[${k}];`);
  }
  for (let i = 0; i < n; i++) {
    const W = L.word[i]!;
    const S = L.shift[i]!;
    const M = L.mask[i]!;
    const full = M === 0xffffffff;
    // Every value is an int32: a field narrower than 32 bits rejects bits outside its mask
    // (negative values included); a 32-bit field takes any int32 as its u32 bit pattern.
    const fits = full ? '' : `bad |= v & ${~M | 0}; `;
    decode.push(`f[${i}] = ${full ? `s[${W}] | 0` : `(s[${W}] >>> ${S}) & ${M}`};`);
    encode.push(`v = f[${i}]; ${fits}w${W} |= ${full ? 'v' : `(v & ${M}) << ${S}`};`);
    const clear = full ? '0' : `(out[${W}] & ${~(M << S) | 0})`;
    patch.push(
      `v = g[${i}]; if (v !== f[${i}]) { ${fits}out[${W}] = ${clear} | ${full ? 'v' : `((v & ${M}) << ${S})`}; }`,
    );
  }
  for (let k = 0; k < L.words; k++) encode.push(`out[${k}] = w${k};`);
  encode.push('return bad;');
  patch.push('return bad;');
  // Generated from numbers only (no caller text), so nothing untrusted reaches the compiler.
  const codec: PackedCodec = {
    ...L,
    fields: n,
    decode: new Function('s', 'f', decode.join('\n')) as Decode,
    encode: new Function('f', 'out', encode.join('\n')) as Encode,
    patch: new Function('s', 'f', 'g', 'out', patch.join('\n')) as Patch,
  };
  return codec;
}
