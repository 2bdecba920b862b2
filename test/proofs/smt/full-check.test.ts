import { describe, expect, it } from 'vitest';
import { fullCheckObligation, fullCheckObligations } from '../../../proofs/smt/full-check.ts';
import { Z3_TEST_TIMEOUT_MS, big, num, useProver } from './helpers.ts';

const prover = useProver();

describe('full-check obligations', () => {
  it(
    'as-written net check refuted (expected, U1); corrected, empty, u32 and i2c checks proved',
    async () => {
      const verdicts: Record<string, string> = {};
      for (const ob of fullCheckObligations()) {
        const r = await prover.current.run(ob);
        verdicts[r.name] = r.verdict;
        expect(r.matches, r.name).toBe(true);
      }
      expect(verdicts).toEqual({
        'full-check.net.as-written': 'refuted',
        'full-check.net.corrected': 'proved',
        'full-check.net.empty': 'proved',
        'full-check.u32': 'proved',
        'full-check.i2c-254': 'proved',
      });
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'U1 counterexample: a full queue across the u16 wrap that C calls "not full"',
    async () => {
      const ob = fullCheckObligations().find((o) => o.name === 'full-check.net.as-written');
      expect(ob?.expected).toBe('refuted');
      const r = await prover.current.run(ob as NonNullable<typeof ob>);
      const cex = r.counterexample;
      const tail = num(cex, 'tail');
      const head = num(cex, 'head');
      const capacity = num(cex, 'capacity');
      // The abstract queue the indices come from is full ...
      expect(big(cex, 'enqueued') - big(cex, 'dequeued')).toBe(BigInt(capacity));
      expect(big(cex, 'enqueued') % 65536n).toBe(BigInt(tail));
      expect(big(cex, 'dequeued') % 65536n).toBe(BigInt(head));
      // ... the tail has wrapped and the head has not ...
      expect(tail).toBeLessThan(head);
      // ... and C's int arithmetic says "not full", while the uint16_t cast says "full".
      expect(tail - head === capacity).toBe(false);
      expect(((tail - head) & 0xffff) === capacity).toBe(true);
    },
    Z3_TEST_TIMEOUT_MS,
  );
});

describe('seeded breaks', () => {
  it(
    'the corrected check fails once the capacity can be 2^16 (u16 cannot say "full")',
    async () => {
      const r = await prover.current.run(
        fullCheckObligation({
          name: 't.net-cap-65536',
          widthBits: 16,
          form: 'unsigned',
          capacity: { maxLog2: 16 },
          models: 'test',
        }),
      );
      expect(r.verdict).toBe('refuted');
      expect(num(r.counterexample, 'capacity')).toBe(65536);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'the u32 full check fails once the capacity can be 2^32',
    async () => {
      const r = await prover.current.run(
        fullCheckObligation({
          name: 't.u32-cap-2^32',
          widthBits: 32,
          form: 'unsigned',
          capacity: { maxLog2: 32 },
          models: 'test',
        }),
      );
      expect(r.verdict).toBe('refuted');
      expect(big(r.counterexample, 'capacity')).toBe(2n ** 32n);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'the empty check held against the wrong condition (a full queue) is refuted',
    async () => {
      const r = await prover.current.run(
        fullCheckObligation({
          name: 't.empty-vs-full',
          widthBits: 16,
          form: 'empty',
          capacity: { maxLog2: 15 },
          abstractAt: 'capacity',
          models: 'test',
        }),
      );
      expect(r.verdict).toBe('refuted');
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'the i2c queue checked without its reserved slot (`tail - head == CAP`) is refuted',
    async () => {
      const r = await prover.current.run(
        fullCheckObligation({
          name: 't.i2c-no-reserved-slot',
          widthBits: 32,
          form: 'unsigned',
          capacity: { fixed: 254 },
          abstractAt: 'capacity-minus-one',
          models: 'test',
        }),
      );
      expect(r.verdict).toBe('refuted');
      const count = big(r.counterexample, 'enqueued') - big(r.counterexample, 'dequeued');
      // Full at 253 entries, but the check only fires at 254 (never reached): they disagree.
      expect(count).toBe(253n);
      expect(num(r.counterexample, 'c_check')).toBe(0);
    },
    Z3_TEST_TIMEOUT_MS,
  );
});
