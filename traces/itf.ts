// ITF, the Informal Trace Format (Apalache ADR-015; verification-tools.md §2): write model-checker
// counterexamples as `.itf.json`, read them back with located errors, validate them against the
// JSON Schema of the reference (./itf.schema.json) with ajv.
// Trace `#meta` carries the model, its options (bug, memory model, bounds), the verdict and the
// property, the module of a user's model (`sddf mc --model FILE`) and the seed of a random walk;
// each state's `#meta` carries its index, the action that led to it, the PD, the memory
// event and the queue touched (issue #3 part 5).
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { assert } from '../spec/common/assert.ts';
import { UserError } from '../spec/common/diagnostic.ts';
import type { ActionInfo, ItfValue, State, TransitionSystem } from '../spec/common/transition.ts';

/** A counterexample as the engine returns it (structurally proofs/mc McTrace). */
export interface TraceData {
  readonly states: readonly State[];
  /** actions[i] leads from states[i] to states[i+1]. */
  readonly actions: readonly number[];
  readonly loop?: number;
  readonly loopAction?: number;
}

export interface TraceOptions {
  readonly bug?: string;
  readonly memoryModel: string;
  readonly bounds: Readonly<Record<string, number>>;
}

export interface TraceMeta {
  readonly format: 'ITF';
  readonly 'format-description': string;
  readonly source: 'sddf-model';
  readonly model: string;
  /**
   * The module a user's model came from (`sddf mc --model FILE`): a path relative to the trace
   * file's own folder (`/`-separated), or absolute. Absent for the built-in models.
   */
  readonly module?: string;
  readonly options: TraceOptions;
  readonly verdict: string;
  readonly property?: string;
  readonly message?: string;
  readonly search?: string;
  readonly minimised?: boolean;
  /** Random walks: the seed that replays this walk alone (`--search random --seed N --runs 1`). */
  readonly seed?: number;
  /** Name of the closing action of a lasso (last state → states[loop]). */
  readonly loopAction?: string;
}

export interface StateMeta {
  readonly index: number;
  readonly action?: string;
  readonly pd?: string;
  readonly memory?: string;
  readonly touches?: string;
  readonly peer?: string;
}

export interface ItfState {
  readonly '#meta'?: StateMeta;
  readonly [variable: string]: ItfValue | StateMeta | undefined;
}

export interface ItfTrace {
  readonly '#meta'?: TraceMeta;
  readonly params?: readonly string[];
  readonly vars: readonly string[];
  readonly states: readonly ItfState[];
  readonly loop?: number;
}

const FORMAT_DESCRIPTION = 'https://apalache-mc.org/docs/adr/015adr-trace.html';

/** Integers beyond ±(2^53 - 1) must use the `{"#bigint"}` form (ADR-015). */
export function encodeValue(v: ItfValue): ItfValue {
  if (typeof v === 'number') {
    assert(Number.isInteger(v), `ITF has integers only (got ${v})`);
    return Number.isSafeInteger(v) ? v : { '#bigint': BigInt(v).toString() };
  }
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return (v as readonly ItfValue[]).map(encodeValue);
  const out: Record<string, ItfValue> = {};
  for (const [k, x] of Object.entries(v as Record<string, ItfValue>)) {
    if (k === '#bigint' || k === '#unserializable') out[k] = x;
    else if (k === '#map') {
      out[k] = (x as readonly (readonly [ItfValue, ItfValue])[]).map(
        ([a, b]) => [encodeValue(a), encodeValue(b)] as const,
      );
    } else out[k] = encodeValue(x);
  }
  return out;
}

function stepMeta(index: number, info: ActionInfo | undefined): StateMeta {
  if (info === undefined) return { index };
  return {
    index,
    action: info.name,
    pd: info.pd,
    ...(info.memory !== undefined ? { memory: info.memory } : {}),
    ...(info.touches !== undefined ? { touches: info.touches } : {}),
    ...(info.peer !== undefined ? { peer: info.peer } : {}),
  };
}

export interface ToItfOptions {
  readonly options: TraceOptions;
  readonly verdict: string;
  readonly property?: string;
  readonly message?: string;
  readonly search?: string;
  readonly minimised?: boolean;
  readonly module?: string;
  readonly seed?: number;
}

/** Converts an engine trace to ITF; every state carries its step's action, PD and memory event. */
export function toItfTrace(ts: TransitionSystem, trace: TraceData, o: ToItfOptions): ItfTrace {
  assert(trace.states.length > 0, 'a trace has at least its initial state');
  assert(trace.actions.length === trace.states.length - 1, 'one action per step of the trace');
  const states: ItfState[] = trace.states.map((s, i) => {
    const action = i === 0 ? undefined : ts.actions[trace.actions[i - 1]!];
    const vars = ts.toItf(s);
    const encoded: Record<string, ItfValue> = {};
    for (const [k, v] of Object.entries(vars)) encoded[k] = encodeValue(v);
    return { '#meta': stepMeta(i, action), ...encoded };
  });
  const loopAction =
    trace.loopAction !== undefined ? ts.actions[trace.loopAction]?.name : undefined;
  const meta: TraceMeta = {
    format: 'ITF',
    'format-description': FORMAT_DESCRIPTION,
    source: 'sddf-model',
    model: ts.name,
    ...(o.module !== undefined ? { module: o.module } : {}),
    options: o.options,
    verdict: o.verdict,
    ...(o.property !== undefined ? { property: o.property } : {}),
    ...(o.message !== undefined ? { message: o.message } : {}),
    ...(o.search !== undefined ? { search: o.search } : {}),
    ...(o.minimised !== undefined ? { minimised: o.minimised } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(loopAction !== undefined ? { loopAction } : {}),
  };
  return {
    '#meta': meta,
    vars: Object.keys(states[0]!).filter((k) => k !== '#meta'),
    states,
    ...(trace.loop !== undefined ? { loop: trace.loop } : {}),
  };
}

export function itfToJson(trace: ItfTrace): string {
  return `${JSON.stringify(trace, null, 2)}\n`;
}

let validator: ReturnType<Ajv2020['compile']> | undefined;

/** The reference JSON Schema (verification-tools.md §2), compiled once. */
export function itfSchema(): object {
  return JSON.parse(readFileSync(new URL('./itf.schema.json', import.meta.url), 'utf8')) as object;
}

function validate(doc: unknown): ErrorObject[] {
  if (validator === undefined) {
    const ajv = new Ajv2020({ allErrors: false, strict: false });
    validator = ajv.compile(itfSchema());
  }
  return validator(doc) ? [] : [...(validator.errors ?? [])];
}

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Offset of the first JSON syntax error in `text` (-1 if none): a small recursive-descent scan,
 * bounded by the text length, used only to locate an error JSON.parse already reported.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const str = (): void => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i]! < ' ') fail();
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) fail();
    i++;
  };
  const num = (): void => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m === null || m[0] === '') fail();
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 10_000) fail();
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') str();
    else if (c === 't') lit('true');
    else if (c === 'f') lit('false');
    else if (c === 'n') lit('null');
    else num();
  };
  try {
    value(0);
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    return typeof at === 'number' ? Math.min(at, text.length) : -1;
  }
}

/**
 * JSON.parse's message without the excerpt of the input it quotes (`, "…" is not valid JSON`) and
 * with control characters escaped: the location says where, the text need not be repeated.
 */
function quietJsonMessage(msg: string): string {
  const withoutExcerpt = msg.replace(/, ".*" is not valid JSON$/s, '');
  const cut = withoutExcerpt.split('\n')[0] ?? withoutExcerpt;
  return cut.replace(
    // eslint-disable-next-line no-control-regex -- escaping control characters is the point
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function bad(file: string, message: string, at?: { line: number; column: number }): UserError {
  return new UserError({ code: 'ITF', message, file, ...(at ?? {}) });
}

/**
 * Parses and validates an ITF document. Bad JSON → a UserError at file:line:column; a schema
 * violation → a UserError naming the JSON path; a well-formed trace whose states miss a declared
 * variable → the same.
 */
export function parseItf(text: string, file: string): ItfTrace {
  // A binary file (an image, a pcap) read as UTF-8 has NULs or replacement characters: say so,
  // and never echo its bytes to the terminal (issue #8).
  // eslint-disable-next-line no-control-regex -- a NUL is what marks a binary file
  const binaryAt = text.search(/[\u0000\ufffd]/);
  if (binaryAt >= 0) {
    throw bad(
      file,
      'not JSON: the file is binary, not text (an ITF trace is a JSON text file)',
      lineColumn(text, binaryAt),
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // Node 20's messages do not always carry a position: find it ourselves.
    const offset = jsonErrorOffset(text);
    const at = offset >= 0 ? lineColumn(text, offset) : undefined;
    throw bad(file, `not JSON: ${quietJsonMessage(msg)}`, at);
  }
  const errors = validate(doc);
  if (errors.length > 0) {
    // An anyOf failure is the readable one: "not an ITF expression", not its first branch's error.
    const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0]!;
    const path = e.instancePath === '' ? '/' : e.instancePath;
    const what =
      e.keyword === 'anyOf'
        ? 'not an ITF expression (boolean, string, integer, list, record, #bigint, #tup, #set, #map)'
        : (e.message ?? 'invalid');
    throw bad(file, `not ITF (schema): at JSON path ${path}: ${what}`);
  }
  const trace = doc as ItfTrace;
  if (trace.states.length === 0) throw bad(file, 'not ITF: at JSON path /states: no states');
  trace.states.forEach((s, i) => {
    for (const v of trace.vars) {
      if (!(v in s)) throw bad(file, `not ITF: at JSON path /states/${i}: variable '${v}' missing`);
    }
  });
  if (trace.loop !== undefined && trace.loop >= trace.states.length) {
    throw bad(file, `not ITF: at JSON path /loop: ${trace.loop} is past the last state`);
  }
  return trace;
}

/** Normalises an ITF value for comparison: safe `#bigint`s become numbers, keys are sorted. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '#bigint') {
      const n = Number(o['#bigint']);
      if (Number.isSafeInteger(n)) return String(n);
    }
    if (keys.length === 1 && keys[0] === '#set') {
      const items = (o['#set'] as unknown[]).map(canonicalJson).sort();
      return `{"#set":[${items.join(',')}]}`;
    }
    return `{${keys
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The variables of an ITF state without its `#meta`, canonical for comparison. */
export function stateKey(s: ItfState | Record<string, ItfValue>): string {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (k !== '#meta') copy[k] = v;
  return canonicalJson(copy);
}
