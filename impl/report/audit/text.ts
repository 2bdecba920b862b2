// Human report of `sddf audit`: roles inferred (PD roles, MR kinds, and why), validation errors,
// findings grouped by PD (`file:line:column: severity LPnnn message`), shared writable regions
// outside the I/O pattern, and a one-line summary.

import { countBySeverity } from '../../../spec/system/audit/index.ts';
import type { Finding, Severity } from '../../../spec/system/audit/rules-meta.ts';
import {
  UNCLASSIFIED,
  outcomeFails,
  type AuditOutcome,
} from '../../../spec/system/audit/outcome.ts';

export interface TextStyle {
  readonly paint: (colour: 'red' | 'green' | 'yellow' | 'dim', text: string) => string;
}

const PLAIN: TextStyle = { paint: (_c, t) => t };

function where(f: { loc?: { file: string; line: number; column: number } }): string {
  return f.loc === undefined ? '' : `${f.loc.file}:${f.loc.line}:${f.loc.column}: `;
}

const SEVERITY_COLOUR: Readonly<Record<Severity, 'red' | 'yellow' | 'dim'>> = {
  error: 'red',
  warning: 'yellow',
  note: 'dim',
};

export function auditToText(o: AuditOutcome, style: TextStyle = PLAIN): string {
  const lines: string[] = [];
  const dialect =
    o.dialect === undefined
      ? ''
      : ` (dialect ${o.dialect}.x${o.dialectReason ? `: ${o.dialectReason}` : ''})`;
  lines.push(`audit ${o.file}${dialect}`);
  const r = o.report;
  if (r !== undefined) {
    lines.push('', 'roles (inferred; override with --roles FILE.json):');
    const pdWidth = Math.max(4, ...[...r.roles.pds.keys()].map((k) => k.length));
    for (const [name, info] of r.roles.pds) {
      const role = (info.role ?? UNCLASSIFIED).padEnd(16);
      lines.push(
        `  PD ${name.padEnd(pdWidth)}  ${role} ${style.paint('dim', `${info.source ?? '-'}: ${info.reason}`)}`,
      );
    }
    const mrWidth = Math.max(4, ...[...r.roles.mrs.keys()].map((k) => k.length));
    for (const [name, info] of r.roles.mrs) {
      const kind =
        `${info.kind ?? UNCLASSIFIED}${info.owner !== undefined ? ` (of ${info.owner})` : ''}`.padEnd(
          16,
        );
      lines.push(
        `  MR ${name.padEnd(mrWidth)}  ${kind} ${style.paint('dim', `${info.source ?? '-'}: ${info.reason}`)}`,
      );
    }
  }
  if (o.errors.length > 0) {
    lines.push('', `errors (not a valid Microkit system description): ${o.errors.length}`);
    for (const e of o.errors) {
      const at = [e.file, e.line, e.column].filter((x) => x !== undefined).join(':');
      lines.push(`  ${at === '' ? '' : `${at}: `}${style.paint('red', 'error')} ${e.message}`);
    }
  }
  const findings = r?.findings ?? [];
  if (findings.length > 0) lines.push('', 'findings by PD:');
  for (const [pd, group] of groupByPd(findings)) {
    lines.push(`  ${pd}`);
    for (const f of group) {
      const sev = style.paint(SEVERITY_COLOUR[f.severity], f.severity);
      lines.push(`    ${where(f)}${sev} ${f.rule} ${f.message}`);
    }
  }
  if (r !== undefined && r.sharedRegions.length > 0) {
    lines.push('', 'shared writable regions outside the I/O pattern (judge these by hand):');
    for (const s of r.sharedRegions) {
      const who = s.mappers
        .map((m) => `${m.pd} ${m.perms.r ? 'r' : ''}${m.perms.w ? 'w' : ''}${m.perms.x ? 'x' : ''}`)
        .join(', ');
      lines.push(`  ${s.mr}: ${who}`);
    }
  }
  const c = countBySeverity(findings);
  const verdict = outcomeFails(o) ? style.paint('red', 'FAIL') : style.paint('green', 'PASS');
  lines.push(
    '',
    `${verdict}: ${o.errors.length} validation error(s); findings: ${c.error} error(s), ${c.warning} warning(s), ${c.note} note(s)`,
  );
  return lines.join('\n');
}

/** Findings grouped by PD in first-appearance order; findings about no PD go under "(no PD)". */
function groupByPd(findings: readonly Finding[]): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = f.pd ?? '(no PD)';
    out.set(key, [...(out.get(key) ?? []), f]);
  }
  return out;
}
