// `sddf audit --format dot`: PDs (boxes, by role), memory regions (ellipses, by kind) and
// channels, with findings highlighted: a PD, MR or map named by an error finding is red, by a
// warning orange; LP011 witness paths are drawn red. Edges follow information flow: a writable
// map points PD → MR, a readable map MR → PD (both: two-headed); channels are dashed PD — PD
// lines, a ppcall a solid arrow caller → callee.

import { roleTier, type RoleTier } from '../../../spec/system/roles/vocabulary.ts';
import type { Finding } from '../../../spec/system/audit/rules-meta.ts';
import type { AuditReport } from '../../../spec/system/audit/index.ts';

function esc(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
}

function q(s: string): string {
  return `"${esc(s)}"`;
}

/** A multi-line label: each line escaped, joined by DOT's `\n` (centred line break). */
function lines(...ls: string[]): string {
  return `"${ls.map(esc).join('\\n')}"`;
}

const TIER_FILL: Readonly<Record<RoleTier | 'unclassified', string>> = {
  driver: '#d9e8fb',
  virt: '#e4f5d9',
  copier: '#eaf7e1',
  client: '#fff5d6',
  server: '#e4f5d9',
  bench: '#eeeeee',
  vmm: '#efe3f7',
  vm: '#efe3f7',
  other: '#eeeeee',
  unclassified: '#ffffff',
};

type Mark = 'error' | 'warning';
const MARK_COLOUR: Readonly<Record<Mark, string>> = { error: '#d62728', warning: '#ff7f0e' };

function worse(a: Mark | undefined, b: Mark): Mark {
  return a === 'error' || b === 'error' ? 'error' : 'warning';
}

export function auditToDot(report: AuditReport, title: string): string {
  const pdMark = new Map<string, Mark>();
  const mrMark = new Map<string, Mark>();
  const mapMark = new Map<string, Mark>();
  const pathEdges = new Set<string>();
  for (const f of report.findings) markFinding(f, { pdMark, mrMark, mapMark, pathEdges });
  const out: string[] = [];
  out.push(`digraph ${q(title)} {`);
  out.push(
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=10, labelloc=t, label=' + q(title) + '];',
  );
  out.push('  node [fontname="Helvetica", fontsize=10];');
  out.push('  edge [fontname="Helvetica", fontsize=8];');
  for (const pd of report.facts.model.pds) {
    const role = report.roles.pds.get(pd.name)?.role;
    const fill = TIER_FILL[role === undefined ? 'unclassified' : roleTier(role)];
    const mark = pdMark.get(pd.name);
    const colour = mark === undefined ? 'black' : MARK_COLOUR[mark];
    const label = lines(
      pd.name,
      `${role ?? 'unclassified'} · prio ${pd.priority}${pd.passive ? ' · passive' : ''}`,
    );
    out.push(
      `  ${q(`pd:${pd.name}`)} [shape=box, style="rounded,filled", fillcolor=${q(fill)}, color=${q(colour)}, penwidth=${mark ? 2.5 : 1}, label=${label}];`,
    );
  }
  for (const mr of report.facts.model.memoryRegions) {
    const info = report.roles.mrs.get(mr.name);
    const mark = mrMark.get(mr.name);
    const colour = mark === undefined ? 'gray40' : MARK_COLOUR[mark];
    const label = lines(mr.name, info?.kind ?? 'unclassified');
    out.push(
      `  ${q(`mr:${mr.name}`)} [shape=ellipse, color=${q(colour)}, penwidth=${mark ? 2.5 : 1}, label=${label}];`,
    );
  }
  for (const [mr, refs] of report.facts.mapsOf) {
    for (const ref of refs) {
      const p = ref.map.perms;
      const perms = `${p.r ? 'r' : ''}${p.w ? 'w' : ''}${p.x ? 'x' : ''}` || 'none';
      const dir = p.w && (p.r || p.x) ? 'both' : p.w ? 'forward' : 'back';
      const mark = mapMark.get(`${ref.holder}\u0000${mr}`);
      const onPath = pathEdges.has(`${ref.pd}\u0000${mr}`) || pathEdges.has(`${mr}\u0000${ref.pd}`);
      const colour = mark !== undefined ? MARK_COLOUR[mark] : onPath ? MARK_COLOUR.error : 'gray50';
      const label = `${perms}${ref.map.cached ? '' : ' uncached'}${ref.inVm ? ` (VM ${ref.holder})` : ''}`;
      out.push(
        `  ${q(`pd:${ref.pd}`)} -> ${q(`mr:${mr}`)} [dir=${dir}, color=${q(colour)}, penwidth=${mark || onPath ? 2 : 1}, label=${q(label)}];`,
      );
    }
  }
  for (const ch of report.facts.channels) {
    const onPath = pathEdges.has(`${ch.a}\u0000${ch.b}`) || pathEdges.has(`${ch.b}\u0000${ch.a}`);
    const colour = onPath ? MARK_COLOUR.error : 'steelblue';
    if (ch.ppcalls.length === 0) {
      out.push(
        `  ${q(`pd:${ch.a}`)} -> ${q(`pd:${ch.b}`)} [dir=none, style=dashed, color=${q(colour)}, constraint=false];`,
      );
    }
    for (const [caller, callee] of ch.ppcalls) {
      out.push(
        `  ${q(`pd:${caller}`)} -> ${q(`pd:${callee}`)} [style=solid, color=${q(colour)}, label="ppcall", constraint=false];`,
      );
    }
  }
  out.push('}');
  return out.join('\n');
}

function markFinding(
  f: Finding,
  m: {
    pdMark: Map<string, Mark>;
    mrMark: Map<string, Mark>;
    mapMark: Map<string, Mark>;
    pathEdges: Set<string>;
  },
): void {
  if (f.severity === 'note') return;
  const mark: Mark = f.severity;
  if (f.pd !== undefined) m.pdMark.set(f.pd, worse(m.pdMark.get(f.pd), mark));
  if (f.mr !== undefined) m.mrMark.set(f.mr, worse(m.mrMark.get(f.mr), mark));
  if (f.pd !== undefined && f.mr !== undefined) {
    const key = `${f.pd}\u0000${f.mr}`;
    m.mapMark.set(key, worse(m.mapMark.get(key), mark));
  }
  const path = f.path ?? [];
  for (let i = 0; i + 1 < path.length; i++) m.pathEdges.add(`${path[i]}\u0000${path[i + 1]}`);
}
