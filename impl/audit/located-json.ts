// A small JSON reader that keeps the line and column of every value and object key, so that a
// roles file (least-privilege-policy.md "Roles") gets located errors (STYLE.md: user errors are
// located values). JSON.parse gives no positions for valid-but-wrong content; this does.
// Pure: text in, tree or one located error out. Bounded: depth and size limits below.

import { assert } from '../../spec/common/assert.ts';

/** Nesting limit: a roles file is two levels deep; anything far deeper is not a roles file. */
export const JSON_MAX_DEPTH = 32;
/** Size limit (characters): roles files are a few KiB. */
export const JSON_MAX_CHARS = 4 * 1024 * 1024;

export interface Pos {
  readonly line: number;
  readonly column: number;
}

export type LJson =
  | { readonly type: 'object'; readonly pos: Pos; readonly entries: readonly LEntry[] }
  | { readonly type: 'array'; readonly pos: Pos; readonly items: readonly LJson[] }
  | { readonly type: 'string'; readonly pos: Pos; readonly value: string }
  | { readonly type: 'number'; readonly pos: Pos; readonly value: number }
  | { readonly type: 'boolean'; readonly pos: Pos; readonly value: boolean }
  | { readonly type: 'null'; readonly pos: Pos };

export interface LEntry {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: LJson;
}

export type LJsonResult =
  | { readonly ok: true; readonly value: LJson }
  | { readonly ok: false; readonly message: string; readonly pos: Pos };

class JsonSyntax {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

function posAt(text: string, offset: number): Pos {
  let line = 1;
  let column = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return { line, column };
}

/** Parse JSON text keeping positions; never throws on bad input. */
export function parseLocatedJson(text: string): LJsonResult {
  if (text.length > JSON_MAX_CHARS) {
    return {
      ok: false,
      message: `file larger than ${JSON_MAX_CHARS} characters`,
      pos: posAt(text, 0),
    };
  }
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i] ?? '')) i++;
  };
  const fail = (message: string): never => {
    throw new JsonSyntax(message, i);
  };
  const str = (): string => {
    assert(text[i] === '"', 'str() starts at a quote');
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      if ((text[i] ?? '') < ' ') fail('control character in string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('invalid escape in string');
    }
  };
  const value = (depth: number): LJson => {
    if (depth > JSON_MAX_DEPTH) fail(`nesting deeper than ${JSON_MAX_DEPTH}`);
    ws();
    const pos = posAt(text, i);
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: LEntry[] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { type: 'object', pos, entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const keyPos = posAt(text, i);
        const key = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        entries.push({ key, keyPos, value: value(depth + 1) });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { type: 'object', pos, entries };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const items: LJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { type: 'array', pos, items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { type: 'array', pos, items };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { type: 'string', pos, value: str() };
    for (const [word, v] of [
      ['true', true],
      ['false', false],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { type: 'boolean', pos, value: v };
      }
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return { type: 'null', pos };
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (m === null)
      return fail(i >= text.length ? 'unexpected end of input' : 'unexpected character');
    i += m[0].length;
    return { type: 'number', pos, value: Number(m[0]) };
  };
  try {
    const v = value(0);
    ws();
    if (i < text.length) fail('unexpected text after the JSON value');
    return { ok: true, value: v };
  } catch (e) {
    if (e instanceof JsonSyntax)
      return { ok: false, message: e.message, pos: posAt(text, e.offset) };
    throw e;
  }
}
