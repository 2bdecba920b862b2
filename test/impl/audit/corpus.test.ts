// The real corpus as a test (issue #10 part 4): every file of ../shared/fixtures/sdf/real/ meets
// the expectation docs/audit-corpus.md writes down for it — exit status, the release and
// architecture it is read as, and every diagnostic (code, severity, PD, MR, line), no more and no
// fewer; the summary table agrees with the sections. Also the corpus runner itself: directories,
// sorting, bounds, exit status.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  auditCorpus,
  corpusExit,
  entryExit,
  systemFilesUnder,
  type CorpusEntry,
} from '../../../impl/audit/corpus.ts';
import { countBySeverity } from '../../../spec/system/audit/index.ts';
import { REPO_ROOT, SHARED_SDF_FIXTURES, describeShared } from '../../helpers/shared.ts';

const REAL = join(SHARED_SDF_FIXTURES, 'real');
const DOC = readFileSync(join(REPO_ROOT, 'docs/audit-corpus.md'), 'utf8');

interface Expected {
  readonly exit: number;
  readonly readAs?: string;
  readonly errors?: number;
  readonly findings?: string;
  readonly rows: string[];
}

/** `| a | b |` → cells, trimmed. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/gu, '')
    .split('|')
    .map((c) => c.trim());
}

function sections(doc: string): Map<string, Expected> {
  const out = new Map<string, Expected>();
  const parts = doc.split(/^### `([^`]+)`$/mu);
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const name = parts[i] ?? '';
    const body = parts[i + 1] ?? '';
    const o =
      /Outcome: \*\*exit (\d)\*\*(?:, read as Microkit (\S+ \S+), (\d+) validation error\(s\), findings (\d+\/\d+\/\d+)|, unreadable)/u.exec(
        body,
      );
    if (o === null) throw new Error(`${name}: no Outcome line`);
    const rows = body
      .split('\n')
      .filter((l) => /^\| (LP|SDF_)/u.test(l))
      .map((l) => {
        const [code, severity, pd, mr, line] = cells(l);
        return [code, severity, pd, mr, line].join(' ');
      });
    out.set(name, {
      exit: Number(o[1]),
      ...(o[2] === undefined ? {} : { readAs: o[2] }),
      ...(o[3] === undefined ? {} : { errors: Number(o[3]) }),
      ...(o[4] === undefined ? {} : { findings: o[4] }),
      rows,
    });
  }
  return out;
}

function actualRows(e: CorpusEntry): string[] {
  if ('unreadable' in e) {
    return e.unreadable.map((d) => [d.code, 'error', '', '', String(d.line ?? 0)].join(' '));
  }
  const o = e.outcome;
  return [
    ...o.errors.map((d) => [d.code, 'error', '', '', String(d.line ?? 0)].join(' ')),
    // Microkit's unused-region warning mirrors LP012 line for line (the page says so).
    ...(o.warnings ?? [])
      .filter((d) => d.code !== 'SDF_UNUSED_MR')
      .map((d) => [d.code, 'warning', '', '', String(d.line ?? 0)].join(' ')),
    ...(o.report?.findings ?? []).map((f) =>
      [f.rule, f.severity, f.pd ?? '', f.mr ?? '', String(f.loc?.line ?? 0)].join(' '),
    ),
  ];
}

describeShared('docs/audit-corpus.md against the real corpus', () => {
  const expected = sections(DOC);
  const entries = auditCorpus([REAL]);

  it('has a section for every file of the corpus, and none for a file that is not there', () => {
    const files = readdirSync(REAL)
      .filter((f) => f.endsWith('.system'))
      .sort();
    expect([...expected.keys()].sort()).toEqual(files);
    expect(entries.map((e) => basename(e.file))).toEqual(files);
  });

  for (const e of entries) {
    const name = basename(e.file);
    it(`${name} meets its written expectation`, () => {
      const want = expected.get(name);
      expect(want, `no section for ${name}`).toBeDefined();
      if (want === undefined) return;
      expect(entryExit(e)).toBe(want.exit);
      expect(actualRows(e).sort()).toEqual([...want.rows].sort());
      if ('unreadable' in e) {
        expect(want.readAs).toBeUndefined();
        return;
      }
      const o = e.outcome;
      expect(`${o.microkit?.version} ${o.microkit?.arch}`).toBe(want.readAs);
      expect(o.errors.length).toBe(want.errors);
      const c = countBySeverity(o.report?.findings ?? []);
      expect(`${c.error}/${c.warning}/${c.note}`).toBe(want.findings);
    });
  }

  it('the summary table agrees with the sections', () => {
    const table = DOC.split('\n').filter((l) => /^\| `[^`]+\.system` \|/u.test(l));
    expect(table).toHaveLength(expected.size);
    for (const line of table) {
      const [file, readAs, exit, errors, findings] = cells(line);
      const want = expected.get((file ?? '').replaceAll('`', ''));
      expect(want, file).toBeDefined();
      expect(Number(exit)).toBe(want?.exit);
      if (want?.readAs === undefined) continue;
      expect(readAs).toBe(want.readAs);
      expect(Number(errors)).toBe(want.errors);
      expect(findings).toBe(want.findings);
    }
  });

  it('zero false errors: every validation error is in a file no release accepts, every error finding is explained', () => {
    // The files with validation errors are exactly the three whose syntax no release has.
    const invalid = entries
      .filter((e) => !('unreadable' in e) && e.outcome.errors.length > 0)
      .map((e) => basename(e.file))
      .sort();
    expect(invalid).toEqual([
      'lionsos_FatFs_Test.system',
      'sddf_blk_nvme_iommu.system',
      'sddf_echo_server_vb_105_smp.system',
    ]);
    expect(corpusExit(entries)).toBe(2); // the template
  });
});

describe('the corpus runner', () => {
  const FIX = join(REPO_ROOT, 'test/fixtures');

  it('walks directories in sorted order, keeps files as given, and a missing path as unreadable', () => {
    const files = systemFilesUnder([join(FIX, 'audit')]);
    expect(files.length).toBeGreaterThan(20);
    expect(files).toEqual([...files].sort());
    expect(files.some((f) => f.includes('/invalid/'))).toBe(true);
    const entries = auditCorpus([join(FIX, 'audit/base.system'), join(FIX, 'nope.system')]);
    expect(entries.map((e) => entryExit(e))).toEqual([0, 2]);
    expect(corpusExit(entries)).toBe(2);
    expect(corpusExit([])).toBe(2);
  });

  it('exit status is the worst file’s, with the --fail-on threshold', () => {
    const entries = auditCorpus([
      join(FIX, 'audit/base.system'),
      join(FIX, 'audit/lp009-bad.system'),
    ]);
    expect(corpusExit(entries)).toBe(0);
    expect(corpusExit(entries, 'warning')).toBe(1);
    const bad = auditCorpus([join(FIX, 'audit/lp001-bad.system'), join(FIX, 'audit/base.system')]);
    expect(corpusExit(bad)).toBe(1);
  });
});
