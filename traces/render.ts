// Renderers of an ITF trace (issue #3 part 5, issue #8 part 8), from the trace alone:
//  - text: one line per step, `#i PD action touches`, so an sDDF engineer reads it without a
//    glossary (ARCHITECTURE.md "The one vocabulary"), and under it the values the step changed
//    (`active.tail 1→2`), so the reader sees why the step matters, not only its name;
//  - Mermaid sequenceDiagram: PDs as participants; a step that sends something to another PD
//    (see `messageTarget`) as a message arrow, the others as notes over their PD. GitHub renders
//    it.
import { canonicalJson, type ItfState, type ItfTrace, type StateMeta } from './itf.ts';

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

/** Longest rendering of one value in a change line; longer ones are cut with `…`. */
const MAX_VALUE_CHARS = 40;

function show(v: unknown): string {
  if (v === undefined) return '-';
  const o = v as Record<string, unknown> | null;
  if (typeof o === 'object' && o !== null && Object.keys(o).length === 1 && '#bigint' in o) {
    return String(o['#bigint']);
  }
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** A plain ITF record (not `#bigint`, `#set`, `#tup`, `#map`): compared field by field. */
function isRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !Object.keys(v).some((k) => k.startsWith('#'))
  );
}

function diffValue(name: string, a: unknown, b: unknown, out: string[]): void {
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    b.forEach((x: unknown, k: number) => diffValue(`${name}[${k}]`, a[k], x, out));
  } else if (isRecord(a) && isRecord(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      diffValue(`${name}.${k}`, a[k], b[k], out);
    }
  } else {
    out.push(`${name} ${show(a)}→${show(b)}`);
  }
}

/**
 * The variables that differ between two states, as `name old→new`; lists of the same length and
 * records show only their changed elements (`buffers[1] 0→2048`, `producer.pc loop→publish`).
 */
export function changedValues(before: ItfState, after: ItfState): string[] {
  const out: string[] = [];
  for (const name of Object.keys(after)) {
    if (name !== '#meta') diffValue(name, before[name], after[name], out);
  }
  return out;
}

export interface TextOptions {
  /** Show the changed values under each step (default true). */
  readonly changes?: boolean;
}

export function renderText(trace: ItfTrace, opts: TextOptions = {}): string {
  const lines = header(trace);
  const n = trace.states.length;
  const width = String(n).length;
  const pad = ' '.repeat(width + 2);
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
    if (opts.changes !== false) {
      const changes = changedValues(trace.states[i - 1]!, trace.states[i]!);
      lines.push(`${pad}${changes.length > 0 ? changes.join(', ') : '(no value changed)'}`);
    }
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

/** Suffix of a PD's Microkit notification word in the runtime models' ITF variables. */
const NOTIFICATION = '.notification';

/** Bits set in `after` that were clear in `before`, when both are u32 words. */
function raisesBits(before: unknown, after: unknown): boolean {
  return typeof before === 'number' && typeof after === 'number' && ((after >>> 0) & ~before) !== 0;
}

/**
 * The PD a step sends something to, or undefined. A model may name it (`#meta.peer`, e.g. spsc:
 * a publish to the queue's consumer); else a step of PD `p` that raises a bit in another PD's
 * Microkit notification word (`<q>.notification`, the variable proofs/models/runtime.ts gives
 * every PD) is a notify, deferred notify or IRQ from `p` to `q`.
 */
export function messageTarget(
  trace: ItfTrace,
  i: number,
  pds: ReadonlySet<string>,
): string | undefined {
  const m = metaOf(trace, i);
  if (m.peer !== undefined && m.peer !== m.pd) return m.peer;
  const before = trace.states[i - 1];
  const after = trace.states[i];
  if (before === undefined || after === undefined) return undefined;
  for (const q of pds) {
    if (q === m.pd) continue;
    const v = `${q}${NOTIFICATION}`;
    if (raisesBits(before[v], after[v])) return q;
  }
  return undefined;
}

export function renderMermaid(trace: ItfTrace): string {
  const pds: string[] = [];
  const addPd = (pd: string | undefined): void => {
    if (pd !== undefined && !pds.includes(pd)) pds.push(pd);
  };
  for (let i = 1; i < trace.states.length; i++) addPd(metaOf(trace, i).pd);
  // A PD that only receives (never steps in this trace) is still a participant.
  const notified = trace.vars
    .filter((v) => v.endsWith(NOTIFICATION))
    .map((v) => v.slice(0, -NOTIFICATION.length));
  const known = new Set([...pds, ...notified]);
  const targets = trace.states.map((_, i) =>
    i === 0 ? undefined : messageTarget(trace, i, known),
  );
  for (const t of targets) addPd(t);
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
    const to = targets[i];
    if (to !== undefined) out.push(`  ${alias(m.pd)}->>${alias(to)}: ${label}`);
    else out.push(`  Note over ${alias(m.pd)}: ${label}`);
  }
  if (trace.loop !== undefined && pds.length > 0) {
    const closing = trace['#meta']?.loopAction ?? 'stutter';
    out.push(`  Note over ${all}: ${mermaidText(`${closing} back to state ${trace.loop}`)}`);
  }
  return `${out.join('\n')}\n`;
}
