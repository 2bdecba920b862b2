// The auditor on mutated fixtures (fast-check): whatever the parser can still turn into a
// (partial) model, the audit never throws, every finding is located in the file, LP011 findings
// carry a witness that starts at their client, and the audit is deterministic. Small on purpose (the parser's own fuzzing
// covers the 10,000-mutation budget); `seed` and `path` printed by fast-check replay a failure.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSystem } from '../../../../impl/sdf/index.ts';
import { auditSystem } from '../../../../spec/system/audit/index.ts';
import { AUDIT_FIXTURES, SHARED_FIXTURES, systemFiles } from './fixtures.ts';

const texts = [
  ...systemFiles(SHARED_FIXTURES),
  ...systemFiles(`${SHARED_FIXTURES}/real`),
  ...systemFiles(AUDIT_FIXTURES),
].map((f) => readFileSync(f, 'utf8'));

const PERMS = ['r', 'rw', 'rwx', 'x', 'rx', ''];

/** A mutation that keeps the XML mostly readable: change perms, cached, priorities, map targets. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('perms' as const),
    index: fc.nat(),
    perms: fc.constantFrom(...PERMS),
  }),
  fc.record({ kind: fc.constant('cached' as const), index: fc.nat() }),
  fc.record({
    kind: fc.constant('priority' as const),
    index: fc.nat(),
    priority: fc.integer({ min: 0, max: 300 }),
  }),
  fc.record({ kind: fc.constant('retarget' as const), index: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('ghostEnd' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateMr' as const), index: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function nth(text: string, re: RegExp, index: number, replace: (m: string) => string): string {
  const matches = [...text.matchAll(re)];
  if (matches.length === 0) return text;
  const m = matches[index % matches.length];
  if (m?.index === undefined) return text;
  return text.slice(0, m.index) + replace(m[0]) + text.slice(m.index + m[0].length);
}

function apply(text: string, m: Mutation): string {
  switch (m.kind) {
    case 'perms':
      return nth(text, /perms="[rwx]*"/g, m.index, () => `perms="${m.perms}"`);
    case 'cached':
      return nth(text, /cached="(true|false)"/g, m.index, (s) =>
        s.includes('true') ? 'cached="false"' : 'cached="true"',
      );
    case 'priority':
      return nth(text, /priority="\d+"/g, m.index, () => `priority="${m.priority}"`);
    case 'retarget': {
      const names = [...text.matchAll(/<memory_region name="([^"]+)"/g)].map((x) => x[1] ?? '');
      const target = names[m.other % Math.max(1, names.length)] ?? 'x';
      return nth(text, /<map mr="[^"]+"/g, m.index, () => `<map mr="${target}"`);
    }
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'ghostEnd':
      return nth(text, /<end pd="[^"]+"/g, m.index, () => '<end pd="ghost"');
    case 'duplicateMr':
      return nth(text, /<memory_region [^>]*\/>/g, m.index, (line) => `${line}\n${line}`);
  }
}

describe('audit robustness on mutated fixtures', () => {
  it('never throws; findings are located; witnesses are flow paths; deterministic', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: texts.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (which, ms) => {
          const text = ms.reduce(apply, texts[which] ?? '');
          const parsed = parseSystem(text, { file: 'mutant.system' });
          const model = parsed.model ?? parsed.partialModel;
          if (model === undefined) return;
          const report = auditSystem(model);
          const pds = new Set(model.pds.map((p) => p.name));
          const mrs = new Set(model.memoryRegions.map((m) => m.name));
          for (const f of report.findings) {
            if (f.rule === 'LP011') {
              // A witness: PD to PD, through shared regions or along a direct PD→PD edge (a
              // channel, a ppcall, parent and child: issue 15), so two names at the least.
              const path = f.path ?? [];
              expect(path.length).toBeGreaterThanOrEqual(2);
              expect(pds.has(path[path.length - 1] ?? '')).toBe(true);
              for (const hop of path) expect(pds.has(hop) || mrs.has(hop), hop).toBe(true);
              continue;
            }
            expect(f.loc?.file).toBe('mutant.system');
            expect(f.loc?.line).toBeGreaterThan(0);
          }
          for (const f of report.findings.filter((x) => x.rule === 'LP011')) {
            expect(f.path?.[0]).toBe(f.pd);
          }
          const again = auditSystem(model);
          expect(again.findings).toEqual(report.findings);
        },
      ),
      { numRuns: 300 },
    );
  });
});
