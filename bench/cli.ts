// Start-up cost of the `sddf` command (issue #8 part 4), as ratios to a bare `node -e 0` measured
// in the same run: `sddf --help` (goal ≤ 3×) and `sddf audit` of the largest shared fixture
// (goal ≤ 4×). Wall time of the whole process, spawned the same way for all three; the rounds
// interleave the three commands so that background load hits them alike. Reported: min and
// median of the rounds (the minimum is the figure a loaded machine's scheduling noise spares).
// The first, untimed round builds the compiled command if its cache is stale (bin/compile.mjs).
// Run: npm run bench:cli [-- --rounds N]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..');
const BIN = join(REPO, 'bin', 'sddf.mjs');
const SHARED_FIXTURES = join(REPO, '../shared/fixtures/sdf');
/** Shipped in the repository: the echo server, used when ../shared is not beside it. */
const SHIPPED = join(REPO, 'impl/systems/echo_server/echo_server.system');
const DEFAULT_ROUNDS = 9;
const MIN_ROUNDS = 5;

function largestFixture(): string {
  if (!existsSync(SHARED_FIXTURES)) return SHIPPED;
  const files = readdirSync(SHARED_FIXTURES)
    .filter((f) => f.endsWith('.system'))
    .map((f) => join(SHARED_FIXTURES, f));
  return [...files].sort((a, b) => statSync(b).size - statSync(a).size)[0] ?? SHIPPED;
}

interface Case {
  readonly label: string;
  readonly args: readonly string[];
  /** Exit statuses that mean it ran as intended. */
  readonly ok: readonly number[];
}

function timeOnce(c: Case): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...c.args], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  if (r.status === null || !c.ok.includes(r.status)) {
    throw new Error(`${c.label}: exit ${r.status ?? r.signal ?? '?'}: ${r.stderr}`);
  }
  // Measuring the slow path by mistake would make the figures meaningless.
  if (r.stderr.includes('running uncompiled')) throw new Error(`${c.label}: ${r.stderr.trim()}`);
  return ms;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function rounds(): number {
  const i = process.argv.indexOf('--rounds');
  const n = i >= 0 ? Number(process.argv[i + 1]) : DEFAULT_ROUNDS;
  if (!Number.isInteger(n) || n < MIN_ROUNDS) throw new Error(`--rounds must be ≥ ${MIN_ROUNDS}`);
  return n;
}

const fixture = largestFixture();
const cases: readonly Case[] = [
  { label: 'node -e 0', args: ['-e', '0'], ok: [0] },
  { label: 'sddf --help', args: [BIN, '--help'], ok: [0] },
  // Exit 1 is a finding (a warning does not fail; an error would): it ran.
  { label: `sddf audit ${fixture.split('/').pop()}`, args: [BIN, 'audit', fixture], ok: [0, 1] },
];

for (const c of cases) timeOnce(c); // warm-up: builds the compiled command if needed
const n = rounds();
const times = cases.map(() => [] as number[]);
for (let r = 0; r < n; r++) cases.forEach((c, i) => times[i]!.push(timeOnce(c)));

const base = { min: Math.min(...times[0]!), median: median(times[0]!) };
const goals = [undefined, 3, 4];
console.log(
  `sddf start-up vs node -e 0, ${n} rounds, Node ${process.versions.node}, ` +
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
);
console.log(`fixture: ${fixture}${fixture === SHIPPED ? ' (../shared absent: shipped copy)' : ''}`);
cases.forEach((c, i) => {
  const xs = times[i]!;
  const min = Math.min(...xs);
  const med = median(xs);
  const goal = goals[i];
  const ratio =
    i === 0
      ? ''
      : `  ratio min ${(min / base.min).toFixed(2)}×, median ${(med / base.median).toFixed(2)}×` +
        (goal !== undefined ? `  (goal ≤ ${goal}×)` : '');
  console.log(
    `  ${c.label.padEnd(52)} min ${min.toFixed(0).padStart(5)} ms  median ${med.toFixed(0).padStart(5)} ms${ratio}`,
  );
});
