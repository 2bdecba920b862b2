import { describe, expect, it } from 'vitest';
import {
  blkBoundsObligation,
  translationObligations,
  virtTxTranslationObligation,
} from '../../../proofs/smt/translation.ts';
import { Z3_TEST_TIMEOUT_MS, big, useProver } from './helpers.ts';

const prover = useProver();
const U64 = (1n << 64n) - 1n;

describe('translation obligations', () => {
  it(
    'virt_tx translation proved; blk virt check refuted as written (U6), proved corrected',
    async () => {
      const verdicts: Record<string, string> = {};
      for (const ob of translationObligations()) {
        const r = await prover.current.run(ob);
        verdicts[r.name] = r.verdict;
        expect(r.matches, r.name).toBe(true);
      }
      expect(verdicts).toEqual({
        'translation.virt_tx.io-in-region': 'proved',
        'translation.blk-virt.bounds.as-written': 'refuted',
        'translation.blk-virt.bounds.corrected': 'proved',
      });
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'U6 counterexample: the u64 sum wraps, the check passes, the range leaves the region',
    async () => {
      const r = await prover.current.run(blkBoundsObligation('as-written'));
      expect(r.expected).toBe('refuted');
      const offset = big(r.counterexample, 'cli_offset');
      const count = big(r.counterexample, 'count');
      const size = big(r.counterexample, 'size');
      // C semantics at u64: `cli_offset + 4096 * count > size` is false, so the request passes.
      const end = (offset + 4096n * count) & U64;
      expect(offset % 4096n).toBe(0n);
      expect(end > size).toBe(false);
      // But the true (unbounded) end is beyond the region.
      expect(offset + 4096n * count > size).toBe(true);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'seeded break: virt_tx without the range check lets an offset past the region through',
    async () => {
      const r = await prover.current.run(virtTxTranslationObligation({ dropRangeCheck: true }));
      expect(r.verdict).toBe('refuted');
      const offset = big(r.counterexample, 'io_or_offset');
      const numBuffers = big(r.counterexample, 'num_buffers');
      const len = big(r.counterexample, 'len');
      const ioAddr = big(r.counterexample, 'io_addr');
      expect(offset % 2048n).toBe(0n);
      const outside = offset + len > 2048n * numBuffers || ioAddr + offset > U64;
      expect(outside).toBe(true);
    },
    Z3_TEST_TIMEOUT_MS,
  );
});
