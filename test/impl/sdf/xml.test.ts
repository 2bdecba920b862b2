import { describe, expect, it } from 'vitest';
import { parseXml, XML_MAX_DEPTH, type XmlElement } from '../../../impl/sdf/xml.ts';

function ok(text: string): XmlElement {
  const r = parseXml(text, 'x.xml');
  if (!r.ok) throw new Error(r.error.message);
  return r.root;
}

describe('parseXml', () => {
  it('locates elements and attributes, including multi-line start tags and single quotes', () => {
    const root = ok('<system>\n  <a  b="1"\n     c=\'2\'   d = "x y" />\n</system>');
    const a = root.children[0];
    expect(a?.loc).toEqual({ file: 'x.xml', line: 2, column: 3 });
    expect(a?.attrs.map((x) => [x.name, x.value, x.loc.line, x.loc.column])).toEqual([
      ['b', '1', 2, 7],
      ['c', '2', 3, 6],
      ['d', 'x y', 3, 14],
    ]);
  });

  it('does not take an attribute value that looks like an attribute for the attribute', () => {
    const a = ok('<s><a x="y=&quot;1&quot;" y="2" /></s>').children[0];
    expect(a?.attrs.map((x) => [x.name, x.value, x.loc.column])).toEqual([
      ['x', 'y="1"', 7],
      ['y', '2', 27],
    ]);
  });

  it('accepts the `<!--> … -->` comment of the real files', () => {
    const root = ok('<system>\n<irq id="0" /> <!--> ethernet interrupt -->\n<b />\n</system>');
    expect(root.children.map((c) => [c.tag, c.loc.line])).toEqual([
      ['irq', 2],
      ['b', 3],
    ]);
    expect(root.texts).toEqual([]);
  });

  it('counts lines the XML way: CRLF, lone CR and LF', () => {
    const root = ok('<s>\r\n<a />\r<b />\n<c /></s>');
    expect(root.children.map((c) => c.loc.line)).toEqual([2, 3, 4]);
  });

  it('keeps non-whitespace text with its element', () => {
    const root = ok('<s>\n  <a />\n  hello\n</s>');
    expect(root.texts.map((t) => t.text.trim())).toEqual(['hello']);
  });

  it('reports malformed XML as a located value', () => {
    const r = parseXml('<s>\n  <a b="1" b="2" />\n</s>', 'bad.xml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ code: 'SDF_XML', file: 'bad.xml', line: 2 });
    expect(r.error.message).toContain('duplicate attribute');
    const empty = parseXml('', 'e.xml');
    expect(empty.ok).toBe(false);
  });

  it('bounds the nesting depth', () => {
    const deep = `${'<a>'.repeat(XML_MAX_DEPTH + 1)}${'</a>'.repeat(XML_MAX_DEPTH + 1)}`;
    const r = parseXml(deep, 'd.xml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(`deeper than ${XML_MAX_DEPTH}`);
    expect(parseXml(`${'<a>'.repeat(XML_MAX_DEPTH)}${'</a>'.repeat(XML_MAX_DEPTH)}`, 'd').ok).toBe(
      true,
    );
  });
});
