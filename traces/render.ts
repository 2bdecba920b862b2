// Renderers of an ITF trace (issue #3 part 5), from the trace alone (its `#meta`):
//  - text: one line per step, `#i PD action touches`, so an sDDF engineer reads it without a
//    glossary (ARCHITECTURE.md "The one vocabulary");
//  - Mermaid sequenceDiagram: PDs as participants; steps addressed to another PD (notify, publish
//    tail or head) as messages, the others as notes over their PD. GitHub renders it.
import type { ItfTrace, StateMeta } from './itf.ts';

function metaOf(trace: ItfTrace, i: number): StateMeta {
  return trace.states[i]?.['#meta'] ?? { index: i };
}

function header(trace: ItfTrace): string[] {
  const m = trace['#meta'];
  if (m === undefined) return [];
  const opts = [
    m.options.bug !== undefined ? `bug ${m.options.bug}` : undefined,
    `memory model ${m.options.memoryModel}`,
    ...Object.entries(m.options.bounds).map(([k, v]) => `${k}=${v}`),
  ].filter((x) => x !== undefined);
  const verdict = m.property !== undefined ? `${m.verdict}: ${m.property}` : m.verdict;
  return [`${m.model} (${opts.join(', ')}): ${verdict}`, ...(m.message ? [m.message] : [])];
}

/** `producer.enqueue` by PD `producer` reads `producer enqueue`: the PD is not repeated. */
function shortAction(m: StateMeta): string {
  const a = m.action ?? '?';
  return m.pd !== undefined && a.startsWith(`${m.pd}.`) ? a.slice(m.pd.length + 1) : a;
}

export function renderText(trace: ItfTrace): string {
  const lines = header(trace);
  const n = trace.states.length;
  const width = String(n).length;
  for (let i = 0; i < n; i++) {
    const m = metaOf(trace, i);
    const idx = `#${String(i).padStart(width, ' ')}`;
    if (i === 0) {
      lines.push(`${idx} init`);
      continue;
    }
    const parts = [idx, m.pd ?? '?', shortAction(m)];
    if (m.touches !== undefined) parts.push(m.touches);
    if (m.memory !== undefined) parts.push(`[${m.memory}]`);
    if (trace.loop === i) parts.push('<- loop starts');
    lines.push(parts.join(' '));
  }
  if (trace.loop !== undefined) {
    const closing = trace['#meta']?.loopAction;
    lines.push(
      closing === undefined
        ? `loop: stutters in state #${trace.loop} forever (no step enabled)`
        : `loop: ${closing} returns to state #${trace.loop}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Mermaid text must not contain `;` (statement separator) or `#` (entity codes). */
function mermaidText(s: string): string {
  return s.replace(/[;#]/g, ',').replace(/[\r\n]+/g, ' ');
}

export function renderMermaid(trace: ItfTrace): string {
  const pds: string[] = [];
  const addPd = (pd: string | undefined): void => {
    if (pd !== undefined && !pds.includes(pd)) pds.push(pd);
  };
  for (let i = 1; i < trace.states.length; i++) {
    addPd(metaOf(trace, i).pd);
    addPd(metaOf(trace, i).peer);
  }
  const alias = (pd: string): string => `P${pds.indexOf(pd)}`;
  const out = ['sequenceDiagram'];
  for (const pd of pds) out.push(`  participant ${alias(pd)} as ${mermaidText(pd)}`);
  const all = pds.length > 1 ? `${alias(pds[0]!)},${alias(pds[pds.length - 1]!)}` : 'P0';
  for (const line of header(trace)) {
    if (pds.length > 0) out.push(`  Note over ${all}: ${mermaidText(line)}`);
  }
  for (let i = 1; i < trace.states.length; i++) {
    const m = metaOf(trace, i);
    if (m.pd === undefined) continue;
    if (trace.loop === i) out.push(`  Note over ${all}: loop starts (state ${i})`);
    const label = mermaidText(
      `${i} ${shortAction(m)}${m.touches !== undefined ? ` (${m.touches})` : ''}`,
    );
    if (m.peer !== undefined && m.peer !== m.pd) {
      out.push(`  ${alias(m.pd)}->>${alias(m.peer)}: ${label}`);
    } else {
      out.push(`  Note over ${alias(m.pd)}: ${label}`);
    }
  }
  if (trace.loop !== undefined && pds.length > 0) {
    const closing = trace['#meta']?.loopAction ?? 'stutter';
    out.push(`  Note over ${all}: ${mermaidText(`${closing} back to state ${trace.loop}`)}`);
  }
  return `${out.join('\n')}\n`;
}
