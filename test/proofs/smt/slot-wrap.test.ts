import { describe, expect, it } from 'vitest';
import {
  BLK_DRIVER_CAPACITY_U8,
  I2C_CAPACITY_U5,
  nonPow2BreaksObligation,
  slotWrapObligation,
  slotWrapObligations,
} from '../../../proofs/smt/slot-wrap.ts';
import { Z3_TEST_TIMEOUT_MS, big, useProver } from './helpers.ts';

const prover = useProver();

/** The C slot function over a free-running index of width w, evaluated independently of Z3. */
function continuityBreaks(index: bigint, capacity: bigint, w: number): boolean {
  const next = (index + 1n) & ((1n << BigInt(w)) - 1n);
  return next % capacity !== ((index % capacity) + 1n) % capacity;
}

describe('slot-wrap obligations', () => {
  it(
    'each has the right verdict: powers of two proved, 254 and 384 expected-refuted',
    async () => {
      const verdicts: Record<string, string> = {};
      for (const ob of slotWrapObligations()) {
        const r = await prover.current.run(ob);
        verdicts[r.name] = r.verdict;
        expect(r.matches, r.name).toBe(true);
      }
      expect(verdicts).toEqual({
        'slot-wrap.pow2.u16': 'proved',
        'slot-wrap.pow2.u32': 'proved',
        'slot-wrap.non-pow2.u16': 'proved',
        'slot-wrap.i2c-254.u32': 'refuted',
        'slot-wrap.blk-384.u32': 'refuted',
      });
    },
    Z3_TEST_TIMEOUT_MS,
  );

  for (const [name, capacity] of [
    ['slot-wrap.i2c-254.u32', I2C_CAPACITY_U5],
    ['slot-wrap.blk-384.u32', BLK_DRIVER_CAPACITY_U8],
  ] as const) {
    it(
      `${name}: the counterexample really breaks continuity in C arithmetic`,
      async () => {
        const ob = slotWrapObligations().find((o) => o.name === name);
        expect(ob?.expected).toBe('refuted');
        const r = await prover.current.run(ob as NonNullable<typeof ob>);
        const cex = r.counterexample;
        expect(big(cex, 'capacity')).toBe(BigInt(capacity));
        const index = big(cex, 'index');
        expect(continuityBreaks(index, BigInt(capacity), 32)).toBe(true);
        // Continuity can only break where the index wraps.
        expect(index).toBe(2n ** 32n - 1n);
        expect(big(cex, 'slot_next')).toBe(0n);
        expect(big(cex, 'expected')).toBe(2n ** 32n % BigInt(capacity));
      },
      Z3_TEST_TIMEOUT_MS,
    );
  }
});

describe('seeded breaks', () => {
  it(
    'a non-power-of-two capacity at u16 is refuted; a fixed power of two is proved',
    async () => {
      const bad = await prover.current.run(
        slotWrapObligation({ name: 't.u16-3', widthBits: 16, capacity: 3, models: 'test' }),
      );
      expect(bad.verdict).toBe('refuted');
      expect(continuityBreaks(big(bad.counterexample, 'index'), 3n, 16)).toBe(true);
      const good = await prover.current.run(
        slotWrapObligation({ name: 't.u32-256', widthBits: 32, capacity: 256, models: 'test' }),
      );
      expect(good.verdict).toBe('proved');
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'the "only if" claim fails once powers of two are let in',
    async () => {
      const r = await prover.current.run(nonPow2BreaksObligation({ includePow2: true }));
      expect(r.verdict).toBe('refuted');
      const cap = big(r.counterexample, 'capacity');
      expect(cap & (cap - 1n)).toBe(0n);
      expect(continuityBreaks(0xffffn, cap, 16)).toBe(false);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it('rejects a capacity that does not fit the width', () => {
    const ob = slotWrapObligation({ name: 't', widthBits: 16, capacity: 70_000, models: 'test' });
    return expect(prover.current.run(ob)).rejects.toThrow(/out of range/);
  });
});
