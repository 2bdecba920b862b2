// One minimal invalid fixture per Microkit rule (test/fixtures/sdf-invalid/, written by its
// generate.py). Line 2 of each fixture states the expected diagnostic:
// `<!-- expect error|warning CODE LINE:COLUMN [options] | message -->`; we assert code, message and
// location. Options (space-separated `key=value`) are the release, architecture or kernel
// configuration the case needs; `auto` keeps release detection. Without options a 2.x fixture is
// read as Microkit 2.3 (the fixtures are written for it; a marker-less file that only an older 2.x
// release accepts would otherwise be read as that release, see older_release.system).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSystem, SDF_CODES, type ParseSystemOptions } from '../../../impl/sdf/index.ts';
import type { Arch, MicrokitVersion } from '../../../spec/system/model.ts';

const DIR = join(import.meta.dirname, '../../fixtures/sdf-invalid');
const files = readdirSync(DIR).filter((f) => f.endsWith('.system'));

interface Expectation {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly options?: string;
}

function expectationOf(text: string): Expectation {
  const m = /<!-- expect (error|warning) (\S+) (\d+):(\d+)(?: \[([^\]]*)\])? \| (.*) -->/u.exec(
    text,
  );
  if (m === null) throw new Error('fixture has no expectation comment');
  const [, severity, code, line, column, options, message] = m;
  return {
    severity: severity as 'error' | 'warning',
    code: code ?? '',
    line: Number(line),
    column: Number(column),
    message: (message ?? '').replaceAll('\\n', '\n'),
    ...(options === undefined ? {} : { options }),
  };
}

function parseOptions(file: string, text: string, options: string | undefined): ParseSystemOptions {
  if (options === undefined) {
    const auto = parseSystem(text, { file });
    return auto.dialect === '2' ? { file, microkit: '2.3' } : { file };
  }
  const o: Record<string, string> = {};
  for (const kv of options.split(' ')) {
    const [k, v] = kv.split('=');
    if (k !== undefined && v !== undefined) o[k] = v;
  }
  return {
    file,
    ...(o['microkit'] === undefined ? {} : { microkit: o['microkit'] as MicrokitVersion }),
    ...(o['arch'] === undefined ? {} : { arch: o['arch'] as Arch }),
    ...(o['hypervisor'] === undefined
      ? {}
      : { kernel: { hypervisor: o['hypervisor'] === 'true' } }),
  };
}

describe('sdf-invalid fixtures', () => {
  it('has a fixture for most error codes', () => {
    const codes = new Set(files.map((f) => expectationOf(readFileSync(join(DIR, f), 'utf8')).code));
    // Codes without a file fixture are tested in parse.test.ts (root, io, cpu, legacy pp, bad
    // end bool, dialect-specific attributes).
    const elsewhere = new Set<string>([
      SDF_CODES.io,
      SDF_CODES.root,
      SDF_CODES.cpu,
      SDF_CODES.legacyPpcPriority,
    ]);
    const missing = Object.values(SDF_CODES).filter((c) => !codes.has(c) && !elsewhere.has(c));
    expect(missing).toEqual([]);
  });

  for (const f of files) {
    it(f, () => {
      const text = readFileSync(join(DIR, f), 'utf8');
      const want = expectationOf(text);
      const r = parseSystem(text, parseOptions(f, text, want.options));
      const got = want.severity === 'error' ? r.errors : r.warnings;
      expect(got[0]).toEqual({
        code: want.code,
        message: want.message,
        file: f,
        line: want.line,
        column: want.column,
        severity: want.severity,
      });
      // Minimal fixtures: exactly the one diagnostic (no cascades), and no model on errors.
      expect(got).toHaveLength(1);
      if (want.severity === 'error') {
        expect(r.model).toBeUndefined();
        expect(r.warnings.length + r.errors.length).toBe(1);
      } else {
        expect(r.errors).toEqual([]);
        expect(r.model).toBeDefined();
      }
    });
  }
});
