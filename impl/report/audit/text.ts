// Human report of `sddf audit`: what the file was read as, roles inferred (PD roles, MR kinds, and
// why) in columns as wide as their longest entry, validation errors and warnings, findings grouped
// by PD (`file:line:column: severity LPnnn message`), shared writable regions outside the I/O
// pattern, and a one-line summary. A corpus gets one table: file, dialect, errors, findings.

import { countBySeverity } from '../../../spec/system/audit/index.ts';
import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import type { Finding, Severity } from '../../../spec/system/audit/rules-meta.ts';
import {
  UNCLASSIFIED,
  outcomeFails,
  type AuditOutcome,
  type FailOn,
} from '../../../spec/system/audit/outcome.ts';
import { corpusExit, entryExit, type CorpusEntry } from '../../audit/corpus.ts';

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

/** Rows of columns padded to each column's widest cell (the last column is not padded). */
export function table(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
  );
}

function diagnosticLine(e: Diagnostic, label: string): string {
  const at = [e.file, e.line, e.column].filter((x) => x !== undefined).join(':');
  return `  ${at === '' ? '' : `${at}: `}${label} ${e.message}`;
}

function rolesSection(o: AuditOutcome, style: TextStyle): string[] {
  const r = o.report;
  if (r === undefined) return [];
  const rows: string[][] = [];
  for (const [name, info] of r.roles.pds) {
    const acts = info.acts === undefined ? '' : ` (acts as ${info.acts})`;
    rows.push([
      `PD ${name}`,
      `${info.role ?? UNCLASSIFIED}${acts}`,
      `${info.source ?? '-'}: ${info.reason}`,
    ]);
  }
  for (const [name, info] of r.roles.mrs) {
    const owner = info.owner !== undefined ? ` (of ${info.owner})` : '';
    rows.push([
      `MR ${name}`,
      `${info.kind ?? UNCLASSIFIED}${owner}`,
      `${info.source ?? '-'}: ${info.reason}`,
    ]);
  }
  const lines = table(rows, '  ');
  // Colour after padding, so escape codes do not upset the columns.
  const painted = lines.map((l, i) => {
    const why = rows[i]?.[2] ?? '';
    return l.endsWith(why) ? l.slice(0, l.length - why.length) + style.paint('dim', why) : l;
  });
  return ['', 'roles (inferred; override with --roles FILE.json):', ...painted];
}

export function auditToText(o: AuditOutcome, style: TextStyle = PLAIN): string {
  const lines: string[] = [];
  const dialect =
    o.dialect === undefined
      ? ''
      : ` (dialect ${o.dialect}.x${o.dialectReason ? `: ${o.dialectReason}` : ''})`;
  lines.push(`audit ${o.file}${dialect}`);
  if (o.targetReason !== undefined) lines.push(`read as ${o.targetReason}`);
  lines.push(...rolesSection(o, style));
  if (o.errors.length > 0) {
    lines.push('', `errors (not a valid Microkit system description): ${o.errors.length}`);
    for (const e of o.errors) lines.push(diagnosticLine(e, style.paint('red', 'error')));
  }
  const warnings = o.warnings ?? [];
  if (warnings.length > 0) {
    lines.push('', `warnings of the system description: ${warnings.length}`);
    for (const w of warnings) lines.push(diagnosticLine(w, style.paint('yellow', 'warning')));
  }
  const r = o.report;
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

const VERDICT: Readonly<Record<0 | 1 | 2, string>> = { 0: 'PASS', 1: 'FAIL', 2: 'UNREADABLE' };

/** One row per file: file, dialect (release, architecture), errors, findings, verdict. */
export function corpusToText(
  entries: readonly CorpusEntry[],
  style: TextStyle = PLAIN,
  failOn: FailOn = 'error',
): string {
  const rows: string[][] = [['file', 'dialect', 'errors', 'error', 'warning', 'note', 'verdict']];
  for (const e of entries) {
    const x = entryExit(e, failOn);
    if ('unreadable' in e) {
      const d = e.unreadable[0];
      const why = d === undefined ? '' : `: ${d.code} ${d.line ?? 0}:${d.column ?? 0}`;
      rows.push([e.file, '-', '-', '-', '-', '-', `${VERDICT[x]}${why}`]);
      continue;
    }
    const o = e.outcome;
    const c = countBySeverity(o.report?.findings ?? []);
    const mk = o.microkit === undefined ? '' : ` (${o.microkit.version} ${o.microkit.arch})`;
    rows.push([
      e.file,
      `${o.dialect ?? '-'}${mk}`,
      String(o.errors.length),
      String(c.error),
      String(c.warning),
      String(c.note),
      VERDICT[x],
    ]);
  }
  const lines = table(rows).map((l, i) => {
    if (i === 0) return l;
    const v = l.match(/(PASS|FAIL|UNREADABLE)(:.*)?$/u);
    if (v === null || v.index === undefined) return l;
    const colour = v[1] === 'PASS' ? 'green' : 'red';
    return l.slice(0, v.index) + style.paint(colour, v[1] ?? '') + (v[2] ?? '');
  });
  const worst = corpusExit(entries, failOn);
  const failing = entries.filter((e) => entryExit(e, failOn) !== 0).length;
  lines.push('', `${entries.length} file(s), ${failing} not passing; exit ${worst}`);
  return lines.join('\n');
}
