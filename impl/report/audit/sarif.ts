// `sddf audit --format sarif`: SARIF 2.1.0 as GitHub code scanning reads it
// (docs/adr/006-auditor.md; issue #10 part 5). One run for one file or a whole corpus; tool.driver
// carries a rule per least-privilege rule (LP000–LP012) and per Microkit check (each SDF_* code,
// with help text), so code scanning can tell them apart and a user can dismiss one kind. Each
// file is an artifact whose URI is relative to a base directory (`--sarif-base`, default the
// working directory) named in `originalUriBaseIds` as SRCROOT — with `..` segments for a file
// outside it (code scanning wants the base to be the repository root, so files are under it); only
// a file on another root (a Windows drive) keeps an absolute `file://` URI. Every inferred role and kind, with its reason, is in the artifact's
// property bag; each finding carries its PD's role and MR's kind with their reasons. Typed with
// @types/sarif; validated against the 2.1.0 schema in the tests.

import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import { assert } from '../../../spec/common/assert.ts';
import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import {
  RULES,
  RULE_IDS,
  type Finding,
  type Severity,
} from '../../../spec/system/audit/rules-meta.ts';
import type { AuditOutcome } from '../../../spec/system/audit/outcome.ts';
import type { Roles } from '../../../spec/system/roles/vocabulary.ts';
import { SDF_HELP } from '../../sdf/diagnostics-help.ts';
import { SDF_CODES } from '../../sdf/diagnostics.ts';
import type { CorpusEntry } from '../../audit/corpus.ts';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const TOOL_NAME = 'sddf-audit';
export const SRCROOT = 'SRCROOT';
/** A roles-file error (exit 2 on a single file): its own rule so it is never mistaken for the SDF. */
const ROLES_RULE = 'ROLES';

export interface SarifOptions {
  /** Directory the artifact URIs are relative to (absolute or relative to `cwd`). */
  readonly base: string;
  readonly toolVersion: string;
  /** Defaults to process.cwd(). */
  readonly cwd?: string;
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
      defaultConfiguration: { level: r.severity },
      properties: {
        tags: ['least-privilege', 'sddf', ...(r.principle === '—' ? [] : [r.principle])],
      },
    };
  });
  const warnings = new Set<string>([
    SDF_CODES.unusedMr,
    SDF_CODES.nameTruncated,
    SDF_CODES.legacyPpcPriority,
    SDF_CODES.mixedDialect,
    SDF_CODES.olderRelease,
  ]);
  const sdf = Object.entries(SDF_HELP).map(([code, h]): Sarif.ReportingDescriptor => ({
    id: code,
    name: h.name,
    shortDescription: { text: h.short },
    fullDescription: { text: `Microkit system description check: ${h.short}` },
    help: { text: h.help },
    defaultConfiguration: { level: warnings.has(code) ? 'warning' : 'error' },
    properties: { tags: ['microkit', 'validation'] },
  }));
  const roles: Sarif.ReportingDescriptor = {
    id: ROLES_RULE,
    name: 'rolesFile',
    shortDescription: { text: 'the roles file could not be used' },
    fullDescription: {
      text: 'A roles file (--roles) that is not valid or names what the system lacks.',
    },
    help: { text: 'Fix the roles file at the given location (least-privilege-policy.md "Roles").' },
    defaultConfiguration: { level: 'error' },
    properties: { tags: ['least-privilege', 'configuration'] },
  };
  return [...lp, ...sdf, roles];
}

/** The artifact location of `file`: relative to the base (SRCROOT), or absolute on another root. */
export function artifactLocation(
  file: string,
  opts: Pick<SarifOptions, 'base' | 'cwd'>,
): Sarif.ArtifactLocation {
  const cwd = opts.cwd ?? process.cwd();
  const abs = resolve(cwd, file);
  const base = resolve(cwd, opts.base);
  const rel = relative(base, abs);
  if (rel !== '' && !isAbsolute(rel)) {
    return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
  }
  return { uri: pathToFileURL(abs).href };
}

function location(
  artifact: Sarif.ArtifactLocation,
  index: number,
  at: { line?: number | undefined; column?: number | undefined },
): Sarif.Location {
  // SARIF regions are 1-based; a diagnostic without a position points at the file's first line.
  return {
    physicalLocation: {
      artifactLocation: { ...artifact, index },
      region: { startLine: Math.max(1, at.line ?? 1), startColumn: Math.max(1, at.column ?? 1) },
    },
  };
}

function findingResult(
  f: Finding,
  where: { artifact: Sarif.ArtifactLocation; index: number; roles: Roles | undefined },
  ruleIndex: ReadonlyMap<string, number>,
): Sarif.Result {
  const properties: Record<string, unknown> = {};
  if (f.pd !== undefined) {
    properties['pd'] = f.pd;
    const info = where.roles?.pds.get(f.pd);
    properties['pdRole'] = info?.role ?? 'unclassified';
    properties['pdRoleReason'] = info?.reason ?? '';
  }
  if (f.mr !== undefined) {
    properties['mr'] = f.mr;
    const info = where.roles?.mrs.get(f.mr);
    properties['mrKind'] = info?.kind ?? 'unclassified';
    properties['mrKindReason'] = info?.reason ?? '';
  }
  if (f.path !== undefined) properties['path'] = [...f.path];
  return {
    ruleId: f.rule,
    ruleIndex: ruleIndex.get(f.rule) ?? -1,
    level: f.severity,
    message: { text: f.message },
    locations: [
      location(where.artifact, where.index, { line: f.loc?.line, column: f.loc?.column }),
    ],
    // Stable across unrelated edits: rule + PD + MR (GitHub also computes its own).
    partialFingerprints: {
      'sddfAuditFinding/v1': [f.rule, f.pd ?? '', f.mr ?? '', (f.path ?? []).join('>')].join('|'),
    },
    properties,
  };
}

function diagnosticResult(
  d: Diagnostic,
  level: Severity,
  where: { artifact: Sarif.ArtifactLocation; index: number },
  ruleIndex: ReadonlyMap<string, number>,
): Sarif.Result {
  const rule = ruleIndex.has(d.code) ? d.code : ROLES_RULE;
  return {
    ruleId: rule,
    ruleIndex: ruleIndex.get(rule) ?? -1,
    level,
    message: { text: d.message },
    locations: [location(where.artifact, where.index, d)],
  };
}

/** The inferred roles and kinds with their reasons (issue #10: every role carries its reason). */
export function rolesBag(roles: Roles | undefined): Record<string, unknown> {
  const pds: Record<string, unknown> = {};
  const mrs: Record<string, unknown> = {};
  for (const [name, i] of roles?.pds ?? []) {
    pds[name] = {
      role: i.role ?? 'unclassified',
      ...(i.source === undefined ? {} : { source: i.source }),
      reason: i.reason,
      ...(i.acts === undefined ? {} : { acts: i.acts }),
    };
  }
  for (const [name, i] of roles?.mrs ?? []) {
    mrs[name] = {
      kind: i.kind ?? 'unclassified',
      ...(i.owner === undefined ? {} : { owner: i.owner }),
      ...(i.source === undefined ? {} : { source: i.source }),
      reason: i.reason,
    };
  }
  return { pds, mrs };
}

/** One SARIF log for one outcome or a whole corpus. */
export function auditToSarif(
  input: AuditOutcome | readonly CorpusEntry[],
  opts: SarifOptions,
): Sarif.Log {
  const entries: readonly CorpusEntry[] = Array.isArray(input)
    ? input
    : [{ file: (input as AuditOutcome).file, outcome: input as AuditOutcome }];
  const rules = ruleDescriptors();
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i] as const));
  const artifacts: Sarif.Artifact[] = [];
  const results: Sarif.Result[] = [];
  entries.forEach((e, index) => {
    const artifact = artifactLocation(e.file, opts);
    const where = { artifact, index };
    if ('unreadable' in e) {
      artifacts.push({ location: artifact, sourceLanguage: 'xml' });
      for (const d of e.unreadable) results.push(diagnosticResult(d, 'error', where, ruleIndex));
      return;
    }
    const o = e.outcome;
    artifacts.push({
      location: artifact,
      sourceLanguage: 'xml',
      properties: {
        dialect: o.dialect ?? '2',
        ...(o.microkit === undefined
          ? {}
          : { microkit: o.microkit.version, arch: o.microkit.arch }),
        ...(o.targetReason === undefined ? {} : { readAs: o.targetReason }),
        roles: rolesBag(o.report?.roles),
      },
    });
    for (const d of o.errors) results.push(diagnosticResult(d, 'error', where, ruleIndex));
    for (const d of o.warnings ?? [])
      results.push(diagnosticResult(d, 'warning', where, ruleIndex));
    for (const f of o.report?.findings ?? []) {
      results.push(findingResult(f, { ...where, roles: o.report?.roles }, ruleIndex));
    }
  });
  assert(
    results.every((r) => (r.ruleIndex ?? -1) >= 0),
    'every result names a rule of the driver',
  );
  const cwd = opts.cwd ?? process.cwd();
  const baseUri = pathToFileURL(resolve(cwd, opts.base)).href;
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
        originalUriBaseIds: {
          [SRCROOT]: { uri: baseUri.endsWith('/') ? baseUri : `${baseUri}/` },
        },
        artifacts,
        results,
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}
