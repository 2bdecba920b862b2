// `sddf audit --format sarif`: SARIF 2.1.0 as GitHub code scanning reads it
// (docs/adr/006-auditor.md): one run; tool.driver carries the rule metadata LP000–LP012 (name,
// shortDescription, fullDescription, help, defaultConfiguration.level, the principle as a tag);
// each finding is a result with ruleId/ruleIndex, level, message, and a physicalLocation into the
// .system file (artifactLocation.uri relative to the repository root, region startLine/startColumn).
// Microkit validation errors are results of rule SDF000 (level error), so an invalid system also
// shows up in code scanning. Typed with @types/sarif; validated against the 2.1.0 schema in tests.

import type * as Sarif from 'sarif';
import { assert } from '../../../spec/common/assert.ts';
import {
  RULES,
  RULE_IDS,
  type Finding,
  type Severity,
} from '../../../spec/system/audit/rules-meta.ts';
import type { AuditOutcome } from '../../../spec/system/audit/outcome.ts';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const TOOL_NAME = 'sddf-audit';
export const INVALID_SYSTEM_RULE = 'SDF000';

export interface SarifOptions {
  /** The artifact URI of the .system file: repository-relative with `/` separators where possible. */
  readonly uri: string;
  readonly toolVersion: string;
}

function level(s: Severity): Sarif.ReportingConfiguration.level {
  return s;
}

function ruleDescriptors(): Sarif.ReportingDescriptor[] {
  const lp = RULE_IDS.map((id): Sarif.ReportingDescriptor => {
    const r = RULES[id];
    return {
      id,
      name: r.name,
      shortDescription: { text: r.short },
      fullDescription: { text: `${r.short} (principle: ${r.principle})` },
      help: { text: r.help },
      defaultConfiguration: { level: level(r.severity) },
      properties: {
        tags: ['least-privilege', 'sddf', ...(r.principle === '—' ? [] : [r.principle])],
      },
    };
  });
  const invalid: Sarif.ReportingDescriptor = {
    id: INVALID_SYSTEM_RULE,
    name: 'invalidSystemDescription',
    shortDescription: { text: 'the file is not a valid Microkit system description' },
    fullDescription: {
      text: 'Microkit would reject this system description (microkit tool validation).',
    },
    help: { text: 'Fix the Microkit validation error at the given location.' },
    defaultConfiguration: { level: 'error' },
    properties: { tags: ['microkit', 'validation'] },
  };
  return [...lp, invalid];
}

function location(
  uri: string,
  line: number | undefined,
  column: number | undefined,
): Sarif.Location {
  // SARIF regions are 1-based; a diagnostic without a position points at the file's first line.
  return {
    physicalLocation: {
      artifactLocation: { uri, index: 0 },
      region: { startLine: Math.max(1, line ?? 1), startColumn: Math.max(1, column ?? 1) },
    },
  };
}

function findingResult(f: Finding, uri: string): Sarif.Result {
  const properties: Record<string, unknown> = {};
  if (f.pd !== undefined) properties['pd'] = f.pd;
  if (f.mr !== undefined) properties['mr'] = f.mr;
  if (f.path !== undefined) properties['path'] = [...f.path];
  return {
    ruleId: f.rule,
    ruleIndex: RULE_IDS.indexOf(f.rule),
    level: level(f.severity),
    message: { text: f.message },
    locations: [location(uri, f.loc?.line, f.loc?.column)],
    // Stable across unrelated edits: rule + PD + MR (GitHub also computes its own).
    partialFingerprints: {
      'sddfAuditFinding/v1': [f.rule, f.pd ?? '', f.mr ?? '', (f.path ?? []).join('>')].join('|'),
    },
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
  };
}

export function auditToSarif(o: AuditOutcome, opts: SarifOptions): Sarif.Log {
  assert(
    opts.uri.length > 0 && !opts.uri.includes('\\'),
    () => `artifact uri uses '/' separators: ${opts.uri}`,
  );
  const rules = ruleDescriptors();
  const invalidIndex = rules.findIndex((r) => r.id === INVALID_SYSTEM_RULE);
  const results: Sarif.Result[] = [
    ...o.errors.map((e): Sarif.Result => ({
      ruleId: INVALID_SYSTEM_RULE,
      ruleIndex: invalidIndex,
      level: 'error',
      message: { text: e.message },
      locations: [location(opts.uri, e.line, e.column)],
    })),
    ...(o.report?.findings ?? []).map((f) => findingResult(f, opts.uri)),
  ];
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: opts.toolVersion,
            informationUri: 'https://github.com/au-ts/sddf',
            rules,
          },
        },
        artifacts: [{ location: { uri: opts.uri }, sourceLanguage: 'xml' }],
        results,
        columnKind: 'unicodeCodePoints',
      },
    ],
  };
}
