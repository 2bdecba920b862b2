// Re-checks the mutants a Stryker JSON report left alive (Survived, NoCoverage) against tests
// written after the run: each mutant is applied to its file alone, the given vitest files run, and
// the file is restored. Used where the two Stryker runs per target were spent (issue 12 part 7;
// docs/adr/019-store-order-and-edges.md), so that a score after new tests is measured, not assumed.
//   npx tsx test/helpers/recheck-mutants.ts reports/mutation/validate.json test/impl/sdf/x.test.ts …
// Refuses to run if a mutated file changed since the report.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

interface Pos {
  readonly line: number;
  readonly column: number;
}
interface Mutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement: string;
  readonly status: string;
  readonly location: { readonly start: Pos; readonly end: Pos };
}
interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: readonly Mutant[] }>;
}

const [reportPath, ...tests] = process.argv.slice(2);
if (reportPath === undefined || tests.length === 0) {
  console.error('usage: recheck-mutants.ts REPORT.json TEST_FILE...');
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
let alive = 0;
let killed = 0;
for (const [file, entry] of Object.entries(report.files)) {
  const original = readFileSync(file, 'utf8');
  if (original !== entry.source) {
    console.error(`${file} changed since the report: re-run Stryker instead`);
    process.exit(2);
  }
  const lines = original.split('\n');
  // Stryker positions: 1-based lines and columns.
  const offset = (p: Pos): number =>
    lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
  try {
    for (const m of entry.mutants) {
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const a = offset(m.location.start);
      const b = offset(m.location.end);
      writeFileSync(file, original.slice(0, a) + m.replacement + original.slice(b));
      const run = spawnSync('npx', ['vitest', 'run', ...tests, '--reporter=dot'], {
        encoding: 'utf8',
      });
      const dead = run.status !== 0;
      if (dead) killed++;
      else alive++;
      const at = `${file}:${m.location.start.line}:${m.location.start.column}`;
      console.log(
        `${dead ? 'killed' : 'alive '} ${m.status} ${at} ${m.mutatorName} ${m.replacement}`,
      );
    }
  } finally {
    writeFileSync(file, original);
  }
}
console.log(`re-checked: ${killed} killed, ${alive} still alive`);
