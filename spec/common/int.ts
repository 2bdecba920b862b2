// Exact C integer widths (STYLE.md "Integers are exact"; reference sddf-protocols.md §6.2).

export const U16_MOD = 0x1_0000;
export const U32_MOD = 0x1_0000_0000;

/** Truncate to uint16_t. */
export function u16(x: number): number {
  return x & 0xffff;
}

/** Truncate to uint32_t. */
export function u32(x: number): number {
  return x >>> 0;
}

/** Truncate to uint64_t. */
export function u64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0 && n <= 2 ** 31;
}

/** The smallest power of two ≥ n (n ≥ 1): queue capacities sized to what they must hold. */
export function ceilPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
