// `sddf prove` (cli/commands/prove.ts) through cli/main.ts, with a capturing Io.
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { captureIo } from '../../helpers/io.ts';
import { proofVerdict } from '../../../api/check/stages/proofs.ts';
import type { ObligationResult } from '../../../proofs/smt/index.ts';
import { Z3_TEST_TIMEOUT_MS } from '../../proofs/smt/helpers.ts';

describe('sddf prove', () => {
  it(
    '--format json prints one document of the CLI.md shape and exits 0 when all verdicts match',
    async () => {
      const io = captureIo();
      const status = await main(
        [
          'prove',
          '--format',
          'json',
          '--only',
          'full-check.net.as-written',
          'full-check.net.corrected',
        ],
        io,
      );
      expect(status).toBe(0);
      expect(io.stdout).toHaveLength(1);
      const doc = JSON.parse(io.stdout[0] as string) as {
        ok: boolean;
        obligations: Record<string, unknown>[];
      };
      expect(doc.ok).toBe(true);
      expect(doc.obligations.map((o) => o['name'])).toEqual([
        'full-check.net.as-written',
        'full-check.net.corrected',
      ]);
      const [asWritten, corrected] = doc.obligations as [
        Record<string, unknown>,
        Record<string, unknown>,
      ];
      expect(asWritten).toMatchObject({ verdict: 'refuted', expected: 'refuted' });
      expect(typeof asWritten['seconds']).toBe('number');
      expect(typeof asWritten['counterexample']).toBe('object');
      expect(corrected).toMatchObject({ verdict: 'proved' });
      expect(corrected).not.toHaveProperty('counterexample');
      expect(corrected).not.toHaveProperty('expected');
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'text output: one aligned line per obligation, expected-refuted marked, counterexample shown',
    async () => {
      const io = captureIo();
      const status = await main(
        ['prove', '--only', 'slot-wrap.blk-384.u32', 'handshake.net.safe'],
        io,
      );
      expect(status).toBe(0);
      const text = io.stdout.join('\n');
      expect(text).toMatch(
        /slot-wrap\.blk-384\.u32\s+refuted\s+\d+\.\d+ s\s+\(expected refuted: U8\)/,
      );
      expect(text).toMatch(/counterexample: capacity=384 index=4294967295/);
      expect(text).toMatch(/handshake\.net\.safe\s+proved/);
      expect(text).toMatch(/^ok: 2 obligations/m);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it('exits 2 on an unknown --only name, listing the valid names', async () => {
    const io = captureIo();
    expect(await main(['prove', '--only', 'no.such.obligation'], io)).toBe(2);
    expect(io.stdout).toEqual([]);
    const err = io.stderr.join('');
    expect(err).toMatch(/unknown obligation: no\.such\.obligation/);
    expect(err).toMatch(/handshake\.net\.step/);
  });

  it(
    'exits 1 when a verdict is not the expected one (a timed-out query is unknown, never a pass)',
    async () => {
      const io = captureIo();
      const status = await main(
        ['prove', '--only', 'handshake.net.no-recheck', '--timeout', '1', '--format', 'json'],
        io,
      );
      expect(status).toBe(1);
      const doc = JSON.parse(io.stdout[0] as string) as {
        ok: boolean;
        obligations: Record<string, unknown>[];
      };
      expect(doc.ok).toBe(false);
      expect(doc.obligations[0]).toMatchObject({
        name: 'handshake.net.no-recheck',
        verdict: 'unknown',
      });
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it('exits 2 on a zero or malformed --timeout', async () => {
    for (const bad of ['0', 'soon']) {
      const io = captureIo();
      expect(await main(['prove', '--timeout', bad], io)).toBe(2);
      expect(io.stdout).toEqual([]);
    }
  });

  it('exits 2 on a bad --format', async () => {
    const io = captureIo();
    expect(await main(['prove', '--format', 'yaml'], io)).toBe(2);
  });

  it('--list --format json lists every obligation without running Z3', async () => {
    const io = captureIo();
    expect(await main(['prove', '--list', '--format', 'json'], io)).toBe(0);
    const doc = JSON.parse(io.stdout[0] as string) as { obligations: { name: string }[] };
    expect(doc.obligations.length).toBeGreaterThan(30);
    expect(doc.obligations.map((o) => o.name)).toContain('handshake.net.no-recheck');
  });
});

describe('sddf check proof stage verdicts', () => {
  const base: ObligationResult = {
    name: 't',
    statement: 's',
    widthBits: 16,
    models: 'm',
    verdict: 'proved',
    seconds: 0,
    matches: true,
  };
  it('pass when as expected, fail when not, error when unknown', () => {
    expect(proofVerdict(base)).toBe('pass');
    expect(proofVerdict({ ...base, verdict: 'refuted', matches: false })).toBe('fail');
    expect(proofVerdict({ ...base, verdict: 'refuted', expected: 'refuted', matches: true })).toBe(
      'pass',
    );
    expect(proofVerdict({ ...base, verdict: 'unknown', matches: false })).toBe('error');
  });
});
