import { describe, expect, it } from 'vitest';
import {
  allObligations,
  listObligations,
  runObligations,
  summarise,
  unknownObligationNames,
  type ObligationResult,
} from '../../../proofs/smt/index.ts';
import { validityObligation } from '../../../proofs/smt/obligation.ts';
import { Z3_TEST_TIMEOUT_MS, useProver } from './helpers.ts';

const prover = useProver();

describe('the obligation list', () => {
  it('has unique names, a statement, a width and a citation for each', () => {
    const infos = listObligations();
    expect(new Set(infos.map((o) => o.name)).size).toBe(infos.length);
    for (const o of infos) {
      expect(o.statement.length).toBeGreaterThan(20);
      expect([16, 32, 64]).toContain(o.widthBits);
      expect(o.models).toMatch(/§|U\d|sddf-/);
    }
    expect(infos.length).toBe(allObligations().length);
  });

  it('marks exactly the documented upstream defects as expected-refuted', () => {
    const expected = listObligations()
      .filter((o) => o.expected === 'refuted')
      .map((o) => o.name)
      .sort();
    expect(expected).toEqual([
      'full-check.net.as-written',
      'handshake.net.head-step',
      'handshake.net.no-recheck',
      'handshake.serial.no-recheck',
      'handshake.serial.require-not-request',
      'queue-bounds.i2c.staged-assert',
      'slot-ownership.blk-384',
      'slot-ownership.i2c-254',
      'slot-wrap.blk-384.u32',
      'slot-wrap.i2c-254.u32',
      'translation.blk-virt.bounds.as-written',
    ]);
  });

  it('names the defect each expected refutation documents', () => {
    for (const o of listObligations()) {
      expect(o.defect !== undefined, o.name).toBe(o.expected !== undefined);
    }
  });

  it('reports unknown names', () => {
    expect(unknownObligationNames(['handshake.net.init', 'nope'])).toEqual(['nope']);
  });
});

describe('runner and ok', () => {
  it(
    'a prover verdict that differs from its expectation makes ok false; unknown never passes',
    async () => {
      // A claim that is valid, wrongly declared as a documented defect.
      const mislabelled = validityObligation(
        {
          name: 't.mislabelled',
          statement: 'x = x',
          widthBits: 16,
          models: 'test',
          expected: 'refuted',
        },
        (z) => {
          const x = z.BitVec.const('x', 16);
          return { claim: x.eq(x), witnesses: { x } };
        },
      );
      const r = await prover.current.run(mislabelled);
      expect(r.verdict).toBe('proved');
      expect(r.matches).toBe(false);
      expect(summarise([r]).ok).toBe(false);
      const unknown: ObligationResult = { ...r, verdict: 'unknown', matches: false };
      expect(summarise([unknown]).ok).toBe(false);
      expect(summarise([]).ok).toBe(false);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'a refuted claim carries a counterexample of plain numbers',
    async () => {
      const wrong = validityObligation(
        { name: 't.wrong', statement: 'x + 1 > x (unsigned)', widthBits: 16, models: 'test' },
        (z) => {
          const x = z.BitVec.const('x', 16);
          return { claim: x.add(1).ugt(x), witnesses: { x, next: x.add(1) } };
        },
      );
      const r = await prover.current.run(wrong);
      expect(r.verdict).toBe('refuted');
      expect(r.counterexample).toEqual({ x: 0xffff, next: 0 });
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'runObligations runs only the named obligations, in order, and reports progress',
    async () => {
      const seen: string[] = [];
      const report = await runObligations({
        only: ['slot-wrap.i2c-254.u32', 'handshake.net.init'],
        onProgress: (r, done, total) => seen.push(`${done}/${total} ${r.name}`),
      });
      expect(report.ok).toBe(true);
      expect(report.obligations.map((o) => [o.name, o.verdict, o.expected])).toEqual([
        ['slot-wrap.i2c-254.u32', 'refuted', 'refuted'],
        ['handshake.net.init', 'proved', undefined],
      ]);
      expect(seen).toEqual(['1/2 slot-wrap.i2c-254.u32', '2/2 handshake.net.init']);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it('refuses unknown names (the CLI checks them first)', async () => {
    await expect(runObligations({ only: ['nope'] })).rejects.toThrow(/unknown obligations: nope/);
  });
});
