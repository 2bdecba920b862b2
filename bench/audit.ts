// Speed of `sddf audit` (issue #4 acceptance): the audit of the largest shared fixture, parse
// included (goal < 200 ms), and every shared fixture in one process (goal < 1 s); and (issue #10)
// the whole corpus, `sddf audit ../shared/fixtures/sdf/` in one process with its SARIF. Cold = first
// call in the process (module JIT warm-up included), warm = median (and minimum: the figure that
// scheduling noise on a shared machine spares) of repeated runs. The peer
// measured in the same run is the SDF parse alone: the ratio says what the auditor adds on top.
// The Z3 isolation proof (not on the audit path; `sddf check`/tests) is timed separately.
// Run: npx tsx bench/audit.ts
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseSystemFile } from '../impl/sdf/index.ts';
import { runAudit } from '../impl/report/audit.ts';
import { auditToJson } from '../impl/report/audit/json.ts';
import { auditToSarif } from '../impl/report/audit/sarif.ts';
import { auditCorpus } from '../impl/audit/corpus.ts';

const FIXTURES = join(import.meta.dirname, '../../shared/fixtures/sdf');
const WARM_RUNS = 100;

function auditOnce(file: string): void {
  const r = runAudit({ system: file });
  if (!r.ok) throw new Error(`${file} unreadable`);
  auditToJson(r.outcome);
  auditToSarif(r.outcome, { base: '.', toolVersion: 'bench' });
}

function ms(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Median and minimum: on a shared, loaded machine the minimum is the figure scheduling noise spares. */
function stats(f: () => void): { median: number; min: number } {
  const xs = Array.from({ length: WARM_RUNS }, () => ms(f));
  return { median: median(xs), min: Math.min(...xs) };
}

const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.system'))
  .map((f) => join(FIXTURES, f));
const largest = [...files].sort((a, b) => statSync(b).size - statSync(a).size)[0] ?? '';

const coldAll = ms(() => files.forEach(auditOnce));
const coldLargest = ms(() => auditOnce(largest));
const warmLargest = stats(() => auditOnce(largest));
const warmParse = stats(() => parseSystemFile(largest));
const warmAll = stats(() => files.forEach(auditOnce));

const fmt = (x: number): string => `${x.toFixed(1).padStart(7)} ms`;
console.log(`largest fixture: ${largest.split('/').pop()} (${statSync(largest).size} bytes)`);
console.log(
  `  all ${files.length} fixtures, cold (first in process): ${fmt(coldAll)}   goal < 1000 ms`,
);
console.log(`  largest, audit incl. parse, after cold pass:  ${fmt(coldLargest)}   goal <  200 ms`);
const both = (x: { median: number; min: number }): string => `${fmt(x.median)} (min ${fmt(x.min)})`;
console.log(`  largest, audit incl. parse, warm median:      ${both(warmLargest)}`);
console.log(`  largest, parse only (peer), warm median:      ${both(warmParse)}`);
console.log(
  `  audit incl. parse / parse alone (minima):     ${(warmLargest.min / warmParse.min).toFixed(2)}x`,
);
console.log(`  all fixtures, warm median:                    ${both(warmAll)}`);
const corpusOnce = (): void => {
  const entries = auditCorpus([FIXTURES]);
  auditToSarif(entries, { base: '.', toolVersion: 'bench' });
};
const corpusFiles = auditCorpus([FIXTURES]).length;
const warmCorpus = stats(corpusOnce);
console.log(`  whole corpus (${corpusFiles} files) + SARIF, warm:     ${both(warmCorpus)}`);

const report = runAudit({ system: largest });
if (report.ok && report.outcome.report !== undefined) {
  // Imported only now: loading z3's WASM module starts worker threads that would skew the timings above.
  const { proveIsolation, releaseZ3 } = await import('../proofs/smt/isolation.ts');
  const t = performance.now();
  const proof = await proveIsolation(report.outcome.report.flow);
  const total = performance.now() - t;
  console.log(
    `  Z3 isolation proof of the largest (${proof.pairs.length} client pairs, z3 init included): ${fmt(total)}`,
  );
  await releaseZ3();
}
