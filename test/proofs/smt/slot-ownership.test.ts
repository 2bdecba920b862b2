// Slot ownership (issue 15 part 4): proved for every power-of-two capacity of each queue class,
// refuted for i²c 254 (U5) and blk 384 (U8), with counterexamples that really make an enqueue
// overwrite a live entry in C arithmetic.
import { describe, expect, it } from 'vitest';
import { slotOwnershipObligations } from '../../../proofs/smt/slot-ownership.ts';
import { Z3_TEST_TIMEOUT_MS, big, useProver } from './helpers.ts';

const prover = useProver();

describe('slot-ownership obligations', () => {
  it(
    'proved for powers of two, expected-refuted for 254 and 384, every verdict as expected',
    async () => {
      const verdicts: Record<string, string> = {};
      for (const ob of slotOwnershipObligations()) {
        const r = await prover.current.run(ob);
        verdicts[r.name] = r.verdict;
        expect(r.matches, r.name).toBe(true);
        if (r.verdict === 'refuted') {
          // The counterexample, in independent C arithmetic: a reachable, not-full state in
          // which slot(tail) is the slot of the live entry head + j.
          const cex = r.counterexample;
          const cap = big(cex, 'capacity');
          const [tail, head, j] = [big(cex, 'tail'), big(cex, 'head'), big(cex, 'j')];
          const mod = 2n ** 32n;
          const len = (((tail - head) % mod) + mod) % mod;
          const usable = r.name.includes('i2c') ? cap - 1n : cap;
          expect(len <= usable && len !== usable && j < len).toBe(true);
          expect(tail % cap).toBe(((head + j) % mod) % cap);
        }
      }
      expect(verdicts).toEqual({
        'slot-ownership.net': 'proved',
        'slot-ownership.blk': 'proved',
        'slot-ownership.serial': 'proved',
        'slot-ownership.i2c': 'proved',
        'slot-ownership.i2c-254': 'refuted',
        'slot-ownership.blk-384': 'refuted',
      });
    },
    Z3_TEST_TIMEOUT_MS,
  );
});
