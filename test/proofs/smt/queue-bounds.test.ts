import { describe, expect, it } from 'vitest';
import {
  i2cStagedAssertObligation,
  queueBoundsObligation,
  queueBoundsObligations,
} from '../../../proofs/smt/queue-bounds.ts';
import { Z3_TEST_TIMEOUT_MS, big, useProver } from './helpers.ts';

const prover = useProver();

/** C unsigned subtraction at width w. */
const sub = (a: bigint, b: bigint, w: number): bigint => (a - b) & ((1n << BigInt(w)) - 1n);

describe('queue-bounds obligations', () => {
  it(
    'every queue class and operation preserves 0 ≤ tail − head ≤ capacity (proved)',
    async () => {
      const obligations = queueBoundsObligations().filter((o) => !o.name.includes('staged-assert'));
      expect(obligations.length).toBeGreaterThanOrEqual(20);
      for (const ob of obligations) {
        const r = await prover.current.run(ob);
        expect(r.verdict, ob.name).toBe('proved');
        expect(r.matches).toBe(true);
        expect(r.widthBits).toBe(ob.name.startsWith('queue-bounds.net.') ? 16 : 32);
      }
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it('names every class and the staged/batch operations', () => {
    const names = queueBoundsObligations().map((o) => o.name);
    for (const n of [
      'queue-bounds.net.enqueue',
      'queue-bounds.blk.dequeue',
      'queue-bounds.serial.update_shared_tail',
      'queue-bounds.serial.update_shared_head',
      'queue-bounds.i2c.commit',
      'queue-bounds.i2c.abort',
      'queue-bounds.i2c-254.enqueue_request',
    ]) {
      expect(names).toContain(n);
    }
  });
});

describe('the i2c staged-tail debug assert', () => {
  it(
    'as written (numeric >=) is refuted at the u32 wrap on a healthy queue; the wrap-safe form is proved',
    async () => {
      const asWritten = await prover.current.run(i2cStagedAssertObligation());
      expect(asWritten.expected).toBe('refuted');
      expect(asWritten.verdict).toBe('refuted');
      const cex = asWritten.counterexample;
      const tail = big(cex, 'tail');
      const head = big(cex, 'head');
      const staged = big(cex, 'staged_active_tail');
      const cap = big(cex, 'capacity');
      // Replay: the queue satisfies the i2c request invariant ...
      expect(sub(tail, head, 32)).toBeLessThanOrEqual(sub(staged, head, 32));
      expect(sub(staged, head, 32)).toBeLessThanOrEqual(cap - 1n);
      // ... and the C assert `staged_active_tail >= ctrl.tail` fails.
      expect(staged >= tail).toBe(false);
      const fixed = await prover.current.run(i2cStagedAssertObligation({ wrapSafe: true }));
      expect(fixed.verdict).toBe('proved');
    },
    Z3_TEST_TIMEOUT_MS,
  );
});

describe('seeded breaks are caught, with real counterexamples', () => {
  for (const [cls, op, w] of [
    ['net', 'enqueue', 16],
    ['blk', 'enqueue', 32],
    ['serial', 'enqueue', 32],
  ] as const) {
    it(
      `${cls}.${op} without the not-full guard is refuted`,
      async () => {
        const r = await prover.current.run(queueBoundsObligation(cls, op, { dropGuard: true }));
        expect(r.verdict).toBe('refuted');
        const cex = r.counterexample;
        const cap = big(cex, 'capacity');
        // Replay in plain C semantics: the pre-state is in bounds, the post-state is not.
        expect(sub(big(cex, 'tail'), big(cex, 'head'), w)).toBeLessThanOrEqual(cap);
        expect(big(cex, "tail'")).toBe((big(cex, 'tail') + 1n) & ((1n << BigInt(w)) - 1n));
        expect(sub(big(cex, "tail'"), big(cex, 'head'), w)).toBeGreaterThan(cap);
      },
      Z3_TEST_TIMEOUT_MS,
    );
  }

  it(
    'net.dequeue without the not-empty guard is refuted (head passes tail)',
    async () => {
      const r = await prover.current.run(
        queueBoundsObligation('net', 'dequeue', { dropGuard: true }),
      );
      expect(r.verdict).toBe('refuted');
      const cex = r.counterexample;
      expect(big(cex, 'tail')).toBe(big(cex, 'head'));
      expect(sub(big(cex, 'tail'), big(cex, "head'"), 16)).toBe(0xffffn);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'net.enqueue with the full check as written in C (int promotion, U1) is refuted at the wrap',
    async () => {
      const r = await prover.current.run(
        queueBoundsObligation('net', 'enqueue', { intPromotedFullCheck: true }),
      );
      expect(r.verdict).toBe('refuted');
      const cex = r.counterexample;
      const tail = Number(big(cex, 'tail'));
      const head = Number(big(cex, 'head'));
      const cap = Number(big(cex, 'capacity'));
      // C: both uint16_t promoted to int; the check says "not full" ...
      expect(tail - head === cap).toBe(false);
      // ... while the queue is full, so the enqueue overflows it.
      expect((tail - head) & 0xffff).toBe(cap);
      expect(tail).toBeLessThan(head);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'i2c enqueue_request without the reserved slot breaks the CAP − 1 bound',
    async () => {
      const r = await prover.current.run(
        queueBoundsObligation('i2c', 'enqueue_request', { noReservedSlot: true }),
      );
      expect(r.verdict).toBe('refuted');
      const cex = r.counterexample;
      expect(sub(big(cex, "staged_tail'"), big(cex, 'head'), 32)).toBe(big(cex, 'capacity'));
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'serial enqueue_local without its guard is refuted',
    async () => {
      const r = await prover.current.run(
        queueBoundsObligation('serial', 'enqueue_local', { dropGuard: true }),
      );
      expect(r.verdict).toBe('refuted');
      const cex = r.counterexample;
      expect(sub(big(cex, "local_tail'"), big(cex, 'head'), 32)).toBeGreaterThan(
        big(cex, 'capacity'),
      );
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'every operation with an off-by-one index store is refuted, with an out-of-bounds post-state',
    async () => {
      for (const ob of queueBoundsObligations().filter((o) => !o.name.includes('staged-assert'))) {
        const [, cls, op] = ob.name.split('.') as [string, string, string];
        const r = await prover.current.run(queueBoundsObligation(cls, op, { offByOne: true }));
        expect(r.verdict, ob.name).toBe('refuted');
        const w = cls === 'net' ? 16 : 32;
        const cex = r.counterexample;
        const cap = big(cex, 'capacity');
        // Replay: some index the operation wrote left its bound (or passed another index).
        const after = (v: string): bigint => big(cex, `${v}'`);
        const keys = Object.keys(cex ?? {}).filter((k) => k.endsWith("'"));
        const indices = keys.map((k) => k.slice(0, -1));
        const lenAfter = sub(after('tail'), after('head'), w);
        const limit = cls.startsWith('i2c') ? cap - 1n : cap;
        const outOfOrder = indices
          .filter((v) => v !== 'tail' && v !== 'head')
          .some((v) => {
            const ahead = sub(after(v), after('head'), w);
            return v.startsWith('local_head')
              ? ahead > lenAfter
              : ahead < lenAfter || ahead > limit;
          });
        expect(lenAfter > limit || outOfOrder, `${ob.name}: ${JSON.stringify(cex)}`).toBe(true);
      }
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it('rejects a variant that does not exist for the operation', () => {
    expect(() => queueBoundsObligation('blk', 'enqueue', { intPromotedFullCheck: true })).toThrow(
      /only exists for net enqueue/,
    );
    expect(() => queueBoundsObligation('net', 'commit')).toThrow(/no queue operation/);
  });
});
