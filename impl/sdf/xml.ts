// A located XML element tree on top of saxes (docs/adr/005-sdf-parser.md: why saxes).
// saxes reports positions at events only; we record the offset of every `<tag` and recover each
// attribute's offset by scanning the start-tag text, so every element AND every attribute carries
// a 1-based line:column (microkit-sdf.md §1.4: errors are located at `file:line:column`).
// Malformed XML is a located value, never an exception.

import { SaxesParser } from 'saxes';
import type { SourceLocation } from '../../spec/system/model.ts';
import { assert } from '../../spec/common/assert.ts';
import { SDF_CODES, sdfError, type SdfDiagnostic } from './diagnostics.ts';

export interface XmlAttr {
  readonly name: string;
  readonly value: string;
  readonly loc: SourceLocation;
}

export interface XmlText {
  readonly text: string;
  readonly loc: SourceLocation;
}

export interface XmlElement {
  readonly tag: string;
  readonly loc: SourceLocation;
  /** In source order; names are unique (saxes rejects duplicate attributes). */
  readonly attrs: readonly XmlAttr[];
  readonly children: readonly XmlElement[];
  /** Non-whitespace character data directly inside this element (comments excluded). */
  readonly texts: readonly XmlText[];
}

export type XmlParseOutcome =
  | { readonly ok: true; readonly root: XmlElement }
  | { readonly ok: false; readonly error: SdfDiagnostic };

/**
 * Our limits (TIGER_STYLE: a limit on everything); see docs/adr/005-sdf-parser.md. Microkit has no
 * depth limit, but no valid description is deeper than <system> + 63 nested PDs (MAX_PDS) + a
 * `<virtual_machine>` + its `<map>` = 66 levels; at 1024 a deeper file gets Microkit's own error
 * (too many PDs, invalid element) long before ours, and the recursion of the parser stays far
 * from the stack limit.
 */
export const XML_MAX_DEPTH = 1024;
export const XML_MAX_ELEMENTS = 100_000;

/**
 * Microkit reads XML with roxmltree 0.19 and its default options (`allow_dtd: false`), so any
 * `<!DOCTYPE` is refused ("XML with DTD detected", roxmltree tokenizer.rs at v0.19.0) — and with
 * it every declared entity, internal or external, and every expansion bomb. The predefined
 * entities (`&lt;` …) and character references are XML itself and accepted.
 */
function dtdMessage(doctype: string): string {
  const ext = /<!ENTITY\s+%?\s*([^\s]+)\s+(?:SYSTEM|PUBLIC)\b/u.exec(doctype);
  const internal = /<!ENTITY\s+%?\s*([^\s]+)\s/u.exec(doctype);
  const what =
    ext !== null
      ? `; it declares the external entity '${ext[1]}'`
      : internal !== null
        ? `; it declares the entity '${internal[1]}'`
        : '';
  return `could not parse XML: XML with DTD detected (Microkit's XML reader refuses any <!DOCTYPE>${what})`;
}

interface Building {
  tag: string;
  loc: SourceLocation;
  attrs: XmlAttr[];
  children: XmlElement[];
  texts: XmlText[];
}

/**
 * Maps string offsets to 1-based line:column (columns count UTF-16 code units). Line breaks are
 * XML's (XML 1.0 §2.11): `\r\n`, lone `\r` and `\n` each end a line, as saxes counts them.
 */
class LineTable {
  private readonly starts: number[] = [0];
  constructor(
    private readonly file: string,
    text: string,
  ) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }
  /** Lookups come in document order, so we walk from the previous line instead of searching. */
  private hint = 0;

  at(offset: number): SourceLocation {
    let i = this.hint;
    const last = this.starts.length - 1;
    while (i < last && (this.starts[i + 1] ?? Infinity) <= offset) i++;
    while (i > 0 && (this.starts[i] ?? 0) > offset) i--;
    this.hint = i;
    const column = offset - (this.starts[i] ?? 0) + 1;
    assert(column >= 1, () => `column ${column} < 1 at offset ${offset}`);
    return { file: this.file, line: i + 1, column };
  }
}

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Offsets of each attribute name inside a start tag `<tag a="1" b='2'>` (first occurrence wins).
 * saxes has already checked the syntax, so a plain scan suffices; it stops at anything odd.
 */
function attributeOffsets(tagText: string, nameLength: number): Map<string, number> {
  const out = new Map<string, number>();
  const n = tagText.length;
  let i = Math.min(1 + nameLength, n);
  for (let guard = 0; guard < n && i < n; guard++) {
    while (i < n && isXmlSpace(tagText.charCodeAt(i))) i++;
    const nameStart = i;
    while (i < n && !isXmlSpace(tagText.charCodeAt(i)) && '=/>'.indexOf(tagText.charAt(i)) < 0) i++;
    if (i === nameStart) break;
    const name = tagText.slice(nameStart, i);
    while (i < n && isXmlSpace(tagText.charCodeAt(i))) i++;
    if (tagText.charAt(i) !== '=') break;
    i++;
    while (i < n && isXmlSpace(tagText.charCodeAt(i))) i++;
    const quote = tagText.charAt(i);
    if (quote !== '"' && quote !== "'") break;
    const close = tagText.indexOf(quote, i + 1);
    if (close < 0) break;
    if (!out.has(name)) out.set(name, nameStart);
    i = close + 1;
  }
  return out;
}

/** Parse XML text into a located element tree. Never throws on bad input. */
export function parseXml(text: string, file: string): XmlParseOutcome {
  const lines = new LineTable(file, text);
  const parser = new SaxesParser({ position: true });
  const stack: Building[] = [];
  let root: XmlElement | undefined;
  let error: SdfDiagnostic | undefined;
  let tagStart = 0;
  let elementCount = 0;

  const fail = (message: string, loc: SourceLocation): void => {
    error ??= sdfError(SDF_CODES.xml, message, loc);
  };

  parser.on('doctype', (doctype) => {
    const at = text.lastIndexOf('<!DOCTYPE', parser.position);
    fail(dtdMessage(doctype), lines.at(at >= 0 ? at : 0));
  });
  parser.on('opentagstart', (node) => {
    // position is just past `<name` plus one character (saxes 6); find the `<` before the name.
    const found = text.lastIndexOf(`<${node.name}`, Math.max(0, parser.position - 1));
    tagStart = found >= 0 ? found : Math.max(0, parser.position - 1);
  });
  parser.on('opentag', (node) => {
    if (error !== undefined) return;
    const loc = lines.at(tagStart);
    elementCount++;
    if (stack.length >= XML_MAX_DEPTH) {
      fail(`elements nested deeper than ${XML_MAX_DEPTH} levels are not supported`, loc);
      return;
    }
    if (elementCount > XML_MAX_ELEMENTS) {
      fail(`more than ${XML_MAX_ELEMENTS} elements are not supported`, loc);
      return;
    }
    const offsets = attributeOffsets(text.slice(tagStart, parser.position), node.name.length);
    const attrs: XmlAttr[] = [];
    for (const [name, value] of Object.entries(node.attributes)) {
      const off = offsets.get(name);
      attrs.push({ name, value, loc: off === undefined ? loc : lines.at(tagStart + off) });
    }
    stack.push({ tag: node.name, loc, attrs, children: [], texts: [] });
  });
  parser.on('closetag', () => {
    if (error !== undefined) return;
    const done = stack.pop();
    if (done === undefined) return;
    const element: XmlElement = done;
    const parent = stack[stack.length - 1];
    if (parent === undefined) root = element;
    else parent.children.push(element);
  });
  const onText = (data: string): void => {
    if (error !== undefined || data.trim() === '') return;
    const top = stack[stack.length - 1];
    // The text event fires once the data ended: position is just past it.
    const start = Math.max(0, parser.position - data.length - 1);
    top?.texts.push({ text: data, loc: lines.at(start) });
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('error', (e) => {
    // saxes prefixes messages with "line:column: "; we carry the position separately.
    const message = e.message.replace(/^\d+:\d+: /u, '');
    fail(`could not parse XML: ${message}`, lines.at(Math.min(parser.position, text.length)));
  });

  try {
    parser.write(text).close();
  } catch (e) {
    // saxes reports through the error handler; a throw here would be a saxes bug, kept located.
    const why = e instanceof Error ? e.message : String(e);
    fail(`could not parse XML: ${why}`, lines.at(Math.min(parser.position, text.length)));
  }
  if (error !== undefined) return { ok: false, error };
  if (root === undefined) {
    return {
      ok: false,
      error: sdfError(SDF_CODES.xml, 'could not parse XML: no root element', {
        file,
        line: 1,
        column: 1,
      }),
    };
  }
  return { ok: true, root };
}
