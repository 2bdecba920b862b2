// The Z3 counterexamples, replayed through the executable specification (spec/queue): the proofs
// and the spec must agree on what the C does, or one of them has drifted.
import { describe, expect, it } from 'vitest';
import { fullCheckObligations } from '../../../proofs/smt/full-check.ts';
import { i2cStagedAssertObligation } from '../../../proofs/smt/queue-bounds.ts';
import { slotWrapObligations } from '../../../proofs/smt/slot-wrap.ts';
import { i2cFullAt } from '../../../spec/queue/i2c.ts';
import { netStateFull, netStateInitial } from '../../../spec/queue/net-state.ts';
import { ringInvariant, ringSlot, wrapIndex } from '../../../spec/queue/ring.ts';
import { Z3_TEST_TIMEOUT_MS, num, useProver } from './helpers.ts';

const prover = useProver();

const byName = <T extends { name: string }>(list: readonly T[], name: string): T => {
  const found = list.find((o) => o.name === name);
  expect(found, name).toBeDefined();
  return found as T;
};

describe('counterexamples against spec/queue', () => {
  it(
    'U1: the spec full check as written says not-full where the corrected one says full',
    async () => {
      const r = await prover.current.run(
        byName(fullCheckObligations(), 'full-check.net.as-written'),
      );
      const capacity = num(r.counterexample, 'capacity');
      const state = {
        ...netStateInitial(capacity),
        tail: num(r.counterexample, 'tail'),
        head: num(r.counterexample, 'head'),
      };
      expect(ringInvariant({ width: 16, capacity, reservedSlots: 0 }, state)).toBeNull();
      expect(netStateFull({ capacity, fullCheck: 'int-promoted' }, state)).toBe(false);
      expect(netStateFull({ capacity, fullCheck: 'corrected' }, state)).toBe(true);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'U5/U8: the spec slot function is discontinuous at the counterexample index',
    async () => {
      for (const name of ['slot-wrap.i2c-254.u32', 'slot-wrap.blk-384.u32']) {
        const r = await prover.current.run(byName(slotWrapObligations(), name));
        const capacity = num(r.counterexample, 'capacity');
        const index = num(r.counterexample, 'index');
        const next = wrapIndex(32, index + 1);
        expect(ringSlot(capacity, next)).not.toBe((ringSlot(capacity, index) + 1) % capacity);
      }
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'i2c staged-assert counterexample: the spec agrees the queue is not full and healthy',
    async () => {
      const r = await prover.current.run(i2cStagedAssertObligation());
      const capacity = num(r.counterexample, 'capacity');
      const staged = num(r.counterexample, 'staged_active_tail');
      const head = num(r.counterexample, 'head');
      // The staged window is within CAP - 1 entries: the spec's reserved-slot check agrees.
      expect(wrapIndex(32, staged - head)).toBeLessThanOrEqual(capacity - 1);
      expect(i2cFullAt(capacity, staged, head)).toBe(wrapIndex(32, staged - head) === capacity - 1);
      // And the committed tail is numerically above the staged one: the C assert fires.
      expect(staged >= num(r.counterexample, 'tail')).toBe(false);
      expect(i2cFullAt(capacity, staged, head)).toBe(false);
    },
    Z3_TEST_TIMEOUT_MS,
  );
});
