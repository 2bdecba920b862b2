// Number syntax of the SDF (microkit-sdf.md §1.3, `sdf_parse_number`, sdf.rs:76): decimal, or hex
// with a lower-case `0x`; `_` stripped anywhere; the value is a u64 (Rust `u64::from_str_radix`,
// which also accepts one leading `+`). Ids and IRQ numbers use Rust `str::parse` instead: decimal
// only, no `_`. Microkit *panics* on garbage there; we return a reason so the caller reports an error.

export type NumberResult =
  { readonly ok: true; readonly value: bigint } | { readonly ok: false; readonly reason: string };

export const U64_MAX = (1n << 64n) - 1n;
export const I64_MAX = (1n << 63n) - 1n;
export const I64_MIN = -(1n << 63n);

/** Longest accepted digit string: a u64 has at most 20 decimal digits; more is always too large. */
const MAX_DIGITS = 64;

const EMPTY = 'cannot parse integer from empty string';
const INVALID = 'invalid digit found in string';
const TOO_LARGE = 'number too large to fit in target type';
const TOO_SMALL = 'number too small to fit in target type';

function digits(s: string, base: 10 | 16): NumberResult {
  const body = s.startsWith('+') ? s.slice(1) : s;
  if (s === '') return { ok: false, reason: EMPTY };
  const re = base === 16 ? /^[0-9a-fA-F]+$/u : /^[0-9]+$/u;
  if (!re.test(body)) return { ok: false, reason: INVALID };
  const trimmed = body.replace(/^0+/u, '');
  if (trimmed.length > MAX_DIGITS) return { ok: false, reason: TOO_LARGE };
  const value = BigInt(base === 16 ? `0x${trimmed === '' ? '0' : trimmed}` : trimmed || '0');
  if (value > U64_MAX) return { ok: false, reason: TOO_LARGE };
  return { ok: true, value };
}

/** `sdf_parse_number`: u64, decimal or `0x` hex, `_` stripped. */
export function parseSdfNumber(text: string): NumberResult {
  const s = text.replaceAll('_', '');
  return s.startsWith('0x') ? digits(s.slice(2), 16) : digits(s, 10);
}

/** Rust `str::parse::<u64>()`: decimal only, optional `+`. */
export function parseDecimalU64(text: string): NumberResult {
  return digits(text, 10);
}

/** Rust `str::parse::<i64>()`: decimal only, optional sign. */
export function parseDecimalI64(text: string): NumberResult {
  if (text.startsWith('-')) {
    const r = digits(text.slice(1), 10);
    if (text.length === 1) return { ok: false, reason: INVALID };
    if (!r.ok) return r.reason === TOO_LARGE ? { ok: false, reason: TOO_SMALL } : r;
    return -r.value < I64_MIN ? { ok: false, reason: TOO_SMALL } : { ok: true, value: -r.value };
  }
  const r = digits(text, 10);
  if (r.ok && r.value > I64_MAX) return { ok: false, reason: TOO_LARGE };
  return r;
}

/** `util.rs:str_to_bool`: exactly `true` or `false`. */
export function parseSdfBool(text: string): boolean | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  return undefined;
}

/** Lower-case hex with `0x`, as Microkit prints addresses (`0x{:x}`). */
export function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}
