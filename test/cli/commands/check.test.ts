import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { captureIo } from '../../helpers/io.ts';
import { SHARED_SDF_FIXTURES, itShared } from '../../helpers/shared.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sddf-check-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sddf check', () => {
  it('checks the built-in echo server: one JSON document, every kind of check, all pass', async () => {
    // On a TTY: the stage lines on stderr, stdout still exactly one JSON document.
    const io = captureIo({ tty: true });
    const status = await main(['check', '--format', 'json', '--out', join(tmp, 'out')], io);
    expect(io.stdout).toHaveLength(1);
    const doc = JSON.parse(io.stdout[0] as string) as {
      ok: boolean;
      system: string;
      results: { name: string; kind: string; verdict: string; seconds: number }[];
    };
    expect(doc.system).toBe('echo_server');
    const kinds = new Set(doc.results.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(['audit', 'model-check', 'proof', 'refinement']);
    for (const r of doc.results) {
      expect(typeof r.name).toBe('string');
      expect(['pass', 'fail', 'error']).toContain(r.verdict);
      expect(r.seconds).toBeGreaterThanOrEqual(0);
    }
    expect(doc.ok).toBe(doc.results.every((r) => r.verdict === 'pass'));
    expect(status).toBe(doc.ok ? 0 : 1);
    const progress = io.stderr.join('\n');
    expect(progress).toMatch(/^audit: echo_server$/m);
    expect(progress).toMatch(/^proofs: 1\/\d+ /m);
    expect(progress).toMatch(/^model-check: net-handshake \(sc\)$/m);
    expect(progress).toMatch(/^refinement: queues$/m);
    // No clock in the verdicts: every model run is bounded by states and says what it found.
    for (const r of doc.results.filter((x) => x.kind === 'model-check')) {
      expect((r as { detail?: string }).detail).toMatch(/^holds \(\d+ states, depth \d+\)$/);
    }
    expect(doc.ok).toBe(true);
  }, 120_000);

  it('exits 2 with a located message, before running anything, on a malformed .system file', async () => {
    const dir = mkdtempSync(join(tmp, 'case-'));
    const file = join(dir, 'broken.system');
    writeFileSync(file, '<system>\n  <protection_domain name="a"\n');
    const io = captureIo();
    expect(await main(['check', '--system', file, '--format', 'json'], io)).toBe(2);
    expect(io.stderr.join('')).toMatch(/broken\.system:\d+:\d+: SDF_XML/);
    // Issue #8: --format json still prints one JSON document: the located error.
    expect(io.stdout).toHaveLength(1);
    const doc = JSON.parse(io.stdout[0] as string) as { error: Record<string, unknown> };
    expect(doc.error).toMatchObject({ code: 'SDF_XML', file });
    expect(doc.error['line']).toBeGreaterThan(0);
  });

  it('an unknown system name lists the built-in systems, not a raw ENOENT (exit 2)', async () => {
    const io = captureIo();
    expect(await main(['check', '--system', 'no_such_system'], io)).toBe(2);
    expect(io.stdout).toEqual([]);
    const err = io.stderr.join('');
    expect(err).toMatch(/no \.system file and no built-in system named 'no_such_system'/);
    expect(err).toMatch(/built-in systems: echo_server/);
    expect(err).not.toMatch(/ENOENT/);
  });

  it('exits 1 when the system is readable but invalid (a Microkit validation error)', async () => {
    const dir = mkdtempSync(join(tmp, 'case-'));
    const file = join(dir, 'invalid.system');
    writeFileSync(
      file,
      '<?xml version="1.0"?>\n<system>\n  <protection_domain name="a" priority="300">\n    <program_image path="a.elf" />\n  </protection_domain>\n</system>\n',
    );
    const io = captureIo();
    expect(
      await main(
        [
          'check',
          '--system',
          file,
          '--format',
          'json',
          '--out',
          join(tmp, 'out'),
          '--only',
          'audit',
        ],
        io,
      ),
    ).toBe(1);
    const doc = JSON.parse(io.stdout[0] as string) as {
      ok: boolean;
      results: { kind: string; verdict: string }[];
    };
    expect(doc.ok).toBe(false);
    expect(doc.results.find((r) => r.kind === 'audit')?.verdict).toBe('fail');
  }, 120_000);

  itShared(
    '--system FILE checks that file: a blk system gets the blk model and no net model',
    async () => {
      const io = captureIo();
      const file = join(SHARED_SDF_FIXTURES, 'sddf_blk_qemu_virt_aarch64.system');
      const status = await main(
        // The proofs and refinement do not depend on the file: the full run is the first test's.
        [
          'check',
          '--system',
          file,
          '--format',
          'json',
          '--out',
          join(tmp, 'blk'),
          '--only',
          'model-check',
        ],
        io,
      );
      const doc = JSON.parse(io.stdout[0] as string) as {
        ok: boolean;
        results: { name: string; kind: string }[];
        notModelChecked: { deviceClass: string }[];
      };
      const mc = doc.results.filter((r) => r.kind === 'model-check').map((r) => r.name);
      expect(mc).toEqual(['mc blk-handshake (sc)', 'mc blk-virt (sc)']);
      expect(doc.results.map((r) => r.kind)).toEqual(['model-check', 'model-check']);
      expect(doc.notModelChecked).toEqual([]);
      expect(status).toBe(0);
    },
    120_000,
  );

  // Changed on purpose (issue 13 part 6): the i2c and timer classes are model-checked now.
  itShared(
    '--system FILE model-checks the i2c and timer classes from the file (scaled, saying so)',
    async () => {
      const io = captureIo();
      const file = join(SHARED_SDF_FIXTURES, 'sddf_i2c_odroidc4.system');
      await main(
        [
          'check',
          '--system',
          file,
          '--format',
          'json',
          '--out',
          join(tmp, 'i2c'),
          '--only',
          'model-check',
        ],
        io,
      );
      const doc = JSON.parse(io.stdout[0] as string) as {
        results: { kind: string; name: string; verdict: string; scaled?: string[] }[];
        notModelChecked: { deviceClass: string; reason: string }[];
      };
      const mc = doc.results.filter((r) => r.kind === 'model-check');
      expect(mc.map((r) => r.name)).toEqual(['mc i2c (sc, 2 clients)', 'mc timer (sc, 2 clients)']);
      expect(mc.every((r) => r.verdict === 'pass' && (r.scaled ?? []).length > 0)).toBe(true);
      expect(doc.notModelChecked).toEqual([]);
    },
    120_000,
  );

  it('--only narrows the run to the kinds named; an unknown kind is a usage error (exit 2)', async () => {
    const io = captureIo();
    expect(await main(['check', '--only', 'audit', '--format', 'json'], io)).toBe(0);
    const doc = JSON.parse(io.stdout[0] as string) as {
      only: string[];
      results: { kind: string }[];
    };
    expect(doc.only).toEqual(['audit']);
    expect(doc.results.length).toBeGreaterThan(0);
    expect(new Set(doc.results.map((r) => r.kind))).toEqual(new Set(['audit']));
    const bad = captureIo();
    expect(await main(['check', '--only', 'proofs'], bad)).toBe(2);
    expect(bad.stderr.join('')).toMatch(
      /--only takes audit, proof, model-check, refinement \(got 'proofs'\)/,
    );
  });
});
