// `sddf audit --format json`, exactly the shape of CLI.md:
// {"file","dialect","errors":[{message,line,column}],"roles":{"pds":{},"mrs":{}},
//  "findings":[{rule,severity,pd?,mr?,message,line?,column?,path?}]}
// An unclassified PD or MR shows as "unclassified" (and has an LP000 note).
// A validation error without a position (rare: e.g. "at least one protection domain") gets 0:0.

import { assert } from '../../../spec/common/assert.ts';
import type { RuleId, Severity } from '../../../spec/system/audit/rules-meta.ts';
import { UNCLASSIFIED, type AuditOutcome } from '../../../spec/system/audit/outcome.ts';

export interface AuditJson {
  readonly file: string;
  readonly dialect: '1' | '2';
  readonly errors: readonly {
    readonly message: string;
    readonly line: number;
    readonly column: number;
  }[];
  readonly roles: { readonly pds: Record<string, string>; readonly mrs: Record<string, string> };
  readonly findings: readonly AuditJsonFinding[];
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
    errors: o.errors.map((e) => ({ message: e.message, line: e.line ?? 0, column: e.column ?? 0 })),
    roles: { pds, mrs },
    findings,
  };
  assert(doc.findings.length === (o.report?.findings.length ?? 0), 'every finding is rendered');
  return doc;
}
