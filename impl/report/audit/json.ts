// `sddf audit --format json`, the shape of CLI.md:
// {"file","dialect","errors":[{message,line,column}],"roles":{"pds":{},"mrs":{}},
//  "findings":[{rule,severity,pd?,mr?,message,line?,column?,path?}]}
// plus, additively (issue #10): "microkit" (release and architecture read as, and why),
// "warnings" (the SDF front end's, same shape as errors, with their code) and "inferred" (every
// role and kind with its source and reason). An unclassified PD or MR shows as "unclassified"
// (and has an LP000 note). A diagnostic without a position gets 0:0.
// A corpus (`sddf audit DIR/`) is {"files": [one document per file, or {file, unreadable}],
// "summary": {"files","failing","unreadable","errors","findings":{error,warning,note}}}.

import { assert } from '../../../spec/common/assert.ts';
import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import { countBySeverity } from '../../../spec/system/audit/index.ts';
import type { RuleId, Severity } from '../../../spec/system/audit/rules-meta.ts';
import {
  UNCLASSIFIED,
  type AuditOutcome,
  type FailOn,
} from '../../../spec/system/audit/outcome.ts';
import { corpusExit, entryExit, type CorpusEntry } from '../../audit/corpus.ts';
import { rolesBag } from './sarif.ts';

export interface AuditJsonDiagnostic {
  readonly code?: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export interface AuditJson {
  readonly file: string;
  readonly dialect: '1' | '2';
  readonly errors: readonly AuditJsonDiagnostic[];
  readonly roles: { readonly pds: Record<string, string>; readonly mrs: Record<string, string> };
  readonly findings: readonly AuditJsonFinding[];
  readonly microkit?: { readonly version: string; readonly arch: string; readonly reason: string };
  readonly warnings: readonly AuditJsonDiagnostic[];
  readonly inferred: Record<string, unknown>;
}

function diag(e: Diagnostic, withCode: boolean): AuditJsonDiagnostic {
  return {
    ...(withCode ? { code: e.code } : {}),
    message: e.message,
    line: e.line ?? 0,
    column: e.column ?? 0,
  };
}

export interface AuditJsonFinding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly pd?: string;
  readonly mr?: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: readonly string[];
}

export function auditToJson(o: AuditOutcome): AuditJson {
  const pds: Record<string, string> = {};
  const mrs: Record<string, string> = {};
  for (const [name, info] of o.report?.roles.pds ?? []) pds[name] = info.role ?? UNCLASSIFIED;
  for (const [name, info] of o.report?.roles.mrs ?? []) mrs[name] = info.kind ?? UNCLASSIFIED;
  const findings = (o.report?.findings ?? []).map((f): AuditJsonFinding => ({
    rule: f.rule,
    severity: f.severity,
    ...(f.pd !== undefined ? { pd: f.pd } : {}),
    ...(f.mr !== undefined ? { mr: f.mr } : {}),
    message: f.message,
    ...(f.loc !== undefined ? { line: f.loc.line, column: f.loc.column } : {}),
    ...(f.path !== undefined ? { path: [...f.path] } : {}),
  }));
  const doc: AuditJson = {
    file: o.file,
    // The dialect is known whenever the XML was readable; unreadable input never gets here.
    dialect: o.dialect ?? '2',
    errors: o.errors.map((e) => diag(e, false)),
    roles: { pds, mrs },
    findings,
    ...(o.microkit === undefined
      ? {}
      : {
          microkit: {
            version: o.microkit.version,
            arch: o.microkit.arch,
            reason: o.targetReason ?? '',
          },
        }),
    warnings: (o.warnings ?? []).map((e) => diag(e, true)),
    inferred: rolesBag(o.report?.roles),
  };
  assert(doc.findings.length === (o.report?.findings.length ?? 0), 'every finding is rendered');
  return doc;
}

export interface CorpusJson {
  readonly files: readonly (
    AuditJson | { readonly file: string; readonly unreadable: readonly AuditJsonDiagnostic[] }
  )[];
  readonly summary: {
    readonly files: number;
    readonly failing: number;
    readonly unreadable: number;
    readonly errors: number;
    readonly findings: Record<Severity, number>;
    readonly exit: 0 | 1 | 2;
  };
}

export function corpusToJson(
  entries: readonly CorpusEntry[],
  failOn: FailOn = 'error',
): CorpusJson {
  const findings: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  let errors = 0;
  const files = entries.map((e) => {
    if ('unreadable' in e)
      return { file: e.file, unreadable: e.unreadable.map((d) => diag(d, true)) };
    const c = countBySeverity(e.outcome.report?.findings ?? []);
    findings.error += c.error;
    findings.warning += c.warning;
    findings.note += c.note;
    errors += e.outcome.errors.length;
    return auditToJson(e.outcome);
  });
  return {
    files,
    summary: {
      files: entries.length,
      failing: entries.filter((e) => entryExit(e, failOn) === 1).length,
      unreadable: entries.filter((e) => 'unreadable' in e).length,
      errors,
      findings,
      exit: corpusExit(entries, failOn),
    },
  };
}
