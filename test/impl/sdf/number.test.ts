import { describe, expect, it } from 'vitest';
import {
  parseDecimalI64,
  parseDecimalU64,
  parseSdfBool,
  parseSdfNumber,
} from '../../../impl/sdf/number.ts';

describe('sdf_parse_number', () => {
  it.each([
    ['0x200_000', 0x200000n],
    ['0x1_000', 0x1000n],
    ['4096', 4096n],
    ['1_000', 1000n],
    ['0xFF63C000', 0xff63c000n],
    ['+7', 7n],
    ['0xffffffffffffffff', (1n << 64n) - 1n],
    ['0x0', 0n],
    ['0x000', 0n],
    ['0', 0n],
    [`${'0'.repeat(70)}1`, 1n],
  ])('%s → %s', (text, value) => {
    expect(parseSdfNumber(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['', 'cannot parse integer from empty string'],
    ['0X10', 'invalid digit found in string'],
    ['0x', 'cannot parse integer from empty string'],
    ['-1', 'invalid digit found in string'],
    ['1.5', 'invalid digit found in string'],
    ['0x1_0000_0000_0000_0000', 'number too large to fit in target type'],
    ['18446744073709551616', 'number too large to fit in target type'],
    ['9'.repeat(200), 'number too large to fit in target type'],
  ])('%j is rejected: %s', (text, reason) => {
    expect(parseSdfNumber(text)).toEqual({ ok: false, reason });
  });
});

describe('decimal-only ids (Rust str::parse)', () => {
  it('rejects hex and underscores where Microkit would panic', () => {
    expect(parseDecimalU64('0x4f').ok).toBe(false);
    expect(parseDecimalU64('1_0').ok).toBe(false);
    expect(parseDecimalU64('79')).toEqual({ ok: true, value: 79n });
    expect(parseDecimalU64('1f')).toEqual({ ok: false, reason: 'invalid digit found in string' });
  });
  it('i64 accepts a sign and bounds both ends', () => {
    expect(parseDecimalI64('-1')).toEqual({ ok: true, value: -1n });
    expect(parseDecimalI64('-')).toEqual({ ok: false, reason: 'invalid digit found in string' });
    expect(parseDecimalI64('9223372036854775808').ok).toBe(false);
    expect(parseDecimalI64('9223372036854775807')).toEqual({ ok: true, value: (1n << 63n) - 1n });
    expect(parseDecimalI64(`-${'9'.repeat(70)}`)).toEqual({
      ok: false,
      reason: 'number too small to fit in target type',
    });
    expect(parseDecimalI64('-9223372036854775808')).toEqual({ ok: true, value: -(1n << 63n) });
    expect(parseDecimalI64('-9223372036854775809')).toEqual({
      ok: false,
      reason: 'number too small to fit in target type',
    });
  });
});

describe('str_to_bool', () => {
  it('is exactly true/false', () => {
    expect(parseSdfBool('true')).toBe(true);
    expect(parseSdfBool('false')).toBe(false);
    expect(parseSdfBool('True')).toBeUndefined();
    expect(parseSdfBool('1')).toBeUndefined();
  });
});
