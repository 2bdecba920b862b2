// SARIF 2.1.0 output validated against the SARIF 2.1.0 JSON schema (sarif-2.1.0-rtm.5.json, as
// shipped by the @microsoft/jest-sarif package; draft-04, hence ajv-draft-04), plus what GitHub
// code scanning needs: rule metadata, ruleId, level, and physical locations into the .system file.
import type * as Sarif from 'sarif';
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../../../spec/system/audit/rules-meta.ts';
import { auditToSarif } from '../../../../impl/report/audit/sarif.ts';
import type { AuditOutcome } from '../../../../spec/system/audit/outcome.ts';
import { basename, relative } from 'node:path';
import { SDF_CODES } from '../../../../impl/sdf/index.ts';
import { auditCorpus } from '../../../../impl/audit/corpus.ts';
import { REPO_ROOT, itShared } from '../../../helpers/shared.ts';
import { validateSarif } from '../../../helpers/sarif-schema.ts';
import {
  AUDIT_FIXTURES,
  SHARED_FIXTURES,
  auditFile,
  systemFiles,
} from '../../../spec/system/audit/fixtures.ts';

const validate = validateSarif;

function outcomeOf(file: string): AuditOutcome {
  const report = auditFile(file);
  // Named as if the repository were /repo, so the artifact URI is `fixtures/<name>`.
  return { file: `/repo/fixtures/${basename(file)}`, dialect: report.dialect, errors: [], report };
}

function sarifOf(file: string): Sarif.Log {
  // Round trip through JSON: what the CLI prints is what is validated.
  return JSON.parse(
    JSON.stringify(
      auditToSarif(outcomeOf(file), {
        base: '/repo',
        cwd: '/repo',
        toolVersion: '0.1.0',
      }),
    ),
  );
}

describe('SARIF 2.1.0', () => {
  const files = [...systemFiles(SHARED_FIXTURES), ...systemFiles(AUDIT_FIXTURES)];
  it('validates against the 2.1.0 schema for every fixture', () => {
    for (const f of files) {
      const ok = validate(sarifOf(f));
      expect(ok ? [] : validate.errors).toEqual([]);
    }
  });

  it('the validator catches a broken log (the check can fail)', () => {
    const log = sarifOf(`${AUDIT_FIXTURES}/lp001-bad.system`) as unknown as Record<string, unknown>;
    expect(validate({ ...log, version: '2.0.0' })).toBe(false);
    const runs = log['runs'] as Record<string, unknown>[];
    const results = runs[0]?.['results'] as Record<string, unknown>[];
    const broken = { ...log, runs: [{ ...runs[0], results: [{ ...results[0], level: 'fatal' }] }] };
    expect(validate(broken)).toBe(false);
  });

  it('carries a rule per LP rule and per Microkit check, and located results, as GitHub code scanning expects', () => {
    const log = sarifOf(`${AUDIT_FIXTURES}/lp001-bad.system`);
    const run = log.runs[0];
    const rules = run?.tool.driver.rules ?? [];
    expect(rules.map((r) => r.id).slice(0, RULE_IDS.length)).toEqual([...RULE_IDS]);
    const ids = new Set(rules.map((r) => r.id));
    for (const code of Object.values(SDF_CODES) as string[]) expect(ids.has(code), code).toBe(true);
    expect(ids.size).toBe(rules.length);
    for (const r of rules) {
      expect(r.shortDescription?.text.length).toBeGreaterThan(0);
      expect(r.help?.text.length).toBeGreaterThan(0);
    }
    // Relative to the base, which originalUriBaseIds names.
    expect(run?.originalUriBaseIds?.['SRCROOT']?.uri).toBe('file:///repo/');
    const [res] = run?.results ?? [];
    expect(res?.ruleId).toBe('LP001');
    expect(res?.level).toBe('error');
    expect(rules[res?.ruleIndex ?? -1]?.id).toBe('LP001');
    const loc = res?.locations?.[0]?.physicalLocation;
    expect(loc?.artifactLocation?.uri).toBe('fixtures/lp001-bad.system');
    expect(loc?.artifactLocation?.uriBaseId).toBe('SRCROOT');
    // The inferred role of the PD and kind of the MR travel with the finding, with their reasons.
    expect(res?.properties).toMatchObject({
      pd: 'eth',
      pdRole: 'net.driver',
      mrKind: 'net.rx_dma_data',
    });
    expect(String(res?.properties?.['pdRoleReason'])).toMatch(/holds IRQ/);
    const bag = run?.artifacts?.[0]?.properties?.['roles'] as { pds: Record<string, unknown> };
    expect(bag.pds['eth']).toMatchObject({ role: 'net.driver', source: 'structure' });
    expect(loc?.region?.startLine).toBeGreaterThan(1);
    expect(loc?.region?.startColumn).toBeGreaterThan(0);
  });

  // Changed on purpose (issue #10): each Microkit check is its own rule (was one SDF000 rule).
  it('reports Microkit validation errors as results of their own check', () => {
    const o: AuditOutcome = {
      file: 'x.system',
      dialect: '2',
      errors: [
        { code: 'SDF_PRIORITY', message: 'priority must be between 0 and 254', line: 3, column: 5 },
      ],
    };
    const log = JSON.parse(JSON.stringify(auditToSarif(o, { base: '.', toolVersion: '0.1.0' })));
    expect(validate(log)).toBe(true);
    const res = log.runs[0].results[0];
    expect(res).toMatchObject({ ruleId: 'SDF_PRIORITY', level: 'error' });
    expect(log.runs[0].tool.driver.rules[res.ruleIndex].id).toBe('SDF_PRIORITY');
  });

  itShared(
    'a whole corpus is one valid log with a relative URI per file (sddf audit DIR --format sarif)',
    () => {
      const dirs = [SHARED_FIXTURES, AUDIT_FIXTURES];
      const entries = auditCorpus(dirs);
      expect(entries.length).toBeGreaterThan(30);
      const log = JSON.parse(
        JSON.stringify(auditToSarif(entries, { base: REPO_ROOT, toolVersion: '0.1.0' })),
      ) as Sarif.Log;
      expect(validate(log) ? [] : validate.errors).toEqual([]);
      const artifacts = log.runs[0]?.artifacts ?? [];
      expect(artifacts).toHaveLength(entries.length);
      for (const [i, a] of artifacts.entries()) {
        expect(a.location?.uriBaseId).toBe('SRCROOT');
        expect(a.location?.uri).toBe(
          relative(REPO_ROOT, entries[i]?.file ?? '')
            .split('\\')
            .join('/'),
        );
        expect(a.location?.uri).not.toMatch(/^(\/|file:)/);
      }
      // Every result points into one of the artifacts.
      for (const r of log.runs[0]?.results ?? []) {
        const idx = r.locations?.[0]?.physicalLocation?.artifactLocation?.index ?? -1;
        expect(idx).toBeGreaterThanOrEqual(0);
        expect(idx).toBeLessThan(artifacts.length);
      }
    },
  );
});
