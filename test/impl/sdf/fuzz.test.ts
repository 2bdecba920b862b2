// Fuzzing the SDF front end with mutations of the shared fixtures and the real corpus (issues #4,
// #10): attributes dropped,
// duplicated or given garbage / huge values, truncated text, random bytes, lines dropped or
// repeated, deep nesting. 10,500 runs in total. The property: parseSystem never throws, every
// diagnostic is located (file, line >= 1, column >= 1, line within the text), and a model is
// returned exactly when there are no errors. A failure prints fast-check's seed and path.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { parseSystem, type ParseResult } from '../../../impl/sdf/index.ts';

import { describeShared, SHARED_AVAILABLE, SHARED_SDF_FIXTURES } from '../../helpers/shared.ts';
const SHARED = SHARED_SDF_FIXTURES;
/** The shared fixtures and the real corpus (x86, Microkit 2.1–2.3 syntax, both dialects). */
const TEXTS = (SHARED_AVAILABLE ? [SHARED, join(SHARED, 'real')] : []).flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.system'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8')),
);

/** Plain checks (vitest's expect per diagnostic would dominate the run time); one assertion. */
function checkResult(text: string, r: ParseResult): void {
  // XML line breaks (XML 1.0 §2.11): \r\n, lone \r, \n.
  const lineCount = text.split(/\r\n|\r|\n/u).length;
  const bad = [...r.errors, ...r.warnings].filter(
    (d) =>
      d.file !== 'fuzz.system' ||
      d.line === undefined ||
      d.line < 1 ||
      d.line > lineCount ||
      d.column === undefined ||
      d.column < 1 ||
      !/^SDF_[A-Z0-9_]+$/u.test(d.code),
  );
  expect(bad).toEqual([]);
  expect(r.model !== undefined).toBe(r.errors.length === 0);
}

function parseAndCheck(text: string, alsoFirstError = true): ParseResult {
  const r = parseSystem(text, { file: 'fuzz.system' });
  checkResult(text, r);
  if (alsoFirstError) {
    const first = parseSystem(text, { file: 'fuzz.system', firstError: true });
    expect(first.errors).toEqual(r.errors.slice(0, 1));
  }
  return r;
}

const ATTR = /([a-z_]+)="([^"]*)"/gu;

const garbage = fc.oneof(
  fc.constantFrom(
    '',
    '-1',
    '0X10',
    '0x',
    '1e3',
    ' 1',
    '0x_',
    '+',
    '62',
    '255',
    '18446744073709551616',
    '0xffffffffffffffff',
    '0x1_0000_0000_0000_0000',
    'true',
    'yes',
    'rwxw',
    'w',
    'monitor',
    '&amp;',
  ),
  fc.bigInt({ min: 0n, max: 1n << 80n }).map((n) => `0x${n.toString(16)}`),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(String),
  fc.string({ maxLength: 12 }),
);

/** Apply one attribute mutation to the k-th attribute occurrence. */
function mutateAttr(text: string, pick: number, op: 'drop' | 'dup' | 'set', value: string): string {
  const hits = [...text.matchAll(ATTR)];
  if (hits.length === 0) return text;
  const hit = hits[pick % hits.length];
  if (hit === undefined || hit.index === undefined) return text;
  const [whole, name] = hit;
  const safe = value.replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  const replacement =
    op === 'drop' ? '' : op === 'dup' ? `${whole} ${whole}` : `${name ?? 'x'}="${safe}"`;
  return text.slice(0, hit.index) + replacement + text.slice(hit.index + whole.length);
}

describeShared('SDF fuzzing (10,500 mutations of the shared fixtures)', () => {
  it('attribute drop / duplicate / garbage value (4,000 runs)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: TEXTS.length - 1 }),
        fc.nat(),
        fc.constantFrom('drop' as const, 'dup' as const, 'set' as const, 'set' as const),
        garbage,
        (t, pick, op, value) => {
          // The first-error cross-check on one run in five keeps the test fast.
          parseAndCheck(mutateAttr(TEXTS[t] ?? '', pick, op, value), pick % 5 === 0);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('truncated text (2,000 runs)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: TEXTS.length - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (t, f) => {
          const text = TEXTS[t] ?? '';
          const r = parseAndCheck(text.slice(0, Math.floor(text.length * f)));
          if (f < 0.5) expect(r.errors.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random bytes inserted or overwritten (2,500 runs)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: TEXTS.length - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
        fc.boolean(),
        (t, f, bytes, overwrite) => {
          const text = TEXTS[t] ?? '';
          const at = Math.floor(text.length * f);
          const end = overwrite ? at + bytes.length : at;
          parseAndCheck(text.slice(0, at) + bytes + text.slice(end));
        },
      ),
      { numRuns: 2500 },
    );
  });

  it('lines dropped or repeated (1,500 runs)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: TEXTS.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { minLength: 1, maxLength: 4 }),
        (t, edits) => {
          const lines = (TEXTS[t] ?? '').split('\n');
          for (const [k, drop] of edits) {
            const i = k % lines.length;
            if (drop) lines.splice(i, 1);
            else lines.splice(i, 0, lines[i] ?? '');
          }
          parseAndCheck(lines.join('\n'));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('deep nesting of child PDs and huge values (500 runs)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 200 }),
        fc.boolean(),
        fc.bigInt({ min: 0n, max: 1n << 128n }),
        (depth, close, huge) => {
          const open = Array.from(
            { length: depth },
            (_, i) =>
              `<protection_domain name="p${i}" id="${i % 70}" priority="${huge}"><program_image path="x" />`,
          ).join('');
          const tail = close ? '</protection_domain>'.repeat(depth) : '';
          const text = `<system><protection_domain name="root"><program_image path="r" />${open}${tail}</protection_domain></system>`;
          const r = parseAndCheck(text);
          if (depth >= 64) expect(r.errors.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
