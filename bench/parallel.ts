// Speed-up of the parallel search (issue #11 part 3: goal ≥ 1.6× on 2 cores on a net-pipeline
// run of ≥ 5 M states), sequential against `--workers N`, in one run.
//
//   npm run bench:parallel                         # net-pipeline clients=2 frames=5, 2 workers
//   npx tsx bench/parallel.ts --workers 2 --runs 3 --bound clients=2 --bound frames=5
//
// The default run is 12 410 005 states (holds; 75 s on one thread at load 2): `frames=3`, the
// default until 2026-12-08, had fallen to 173 676 states after earlier changes to the model
// (the bench was not re-run then), too small to say anything about a parallel search.
//
// Each run is a fresh `sddf mc` process (the compiled command), runs interleaved so a change in
// the machine's load falls on both. Reported: wall time (the speed-up is its ratio), processor
// time of the search (all threads), and the load average before and after each run. On a machine
// shared with other work the wall-clock ratio also measures how the scheduler shares the cores
// (two threads get a larger share than one), so the CPU-time figures are printed beside it: on
// an idle N-core machine the speed-up is at most N × (sequential CPU / parallel CPU).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

interface Sample {
  readonly verdict: string;
  readonly states: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly memoryBytes: number;
  readonly loadBefore: string;
  readonly loadAfter: string;
}

function run(model: string, bounds: string[], workers: number): Sample {
  const loadBefore = loadavg();
  const args = [
    'bin/sddf.mjs',
    'mc',
    model,
    ...bounds.flatMap((b) => ['--bound', b]),
    '--workers',
    String(workers),
    '--format',
    'json',
    '--quiet',
  ];
  const t0 = performance.now();
  const r = spawnSync('node', args, { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`sddf mc failed: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as {
    verdict: string;
    states: number;
    cpuSeconds: number;
    memoryBytes: number;
  };
  return { ...doc, wallSeconds, loadBefore, loadAfter: loadavg() };
}

function main(): void {
  const model = arg('--model', 'net-pipeline');
  const workers = Number(arg('--workers', '2'));
  const runs = Number(arg('--runs', '1'));
  const bounds = process.argv.flatMap((a, i) => (a === '--bound' ? [process.argv[i + 1]!] : []));
  if (bounds.length === 0) bounds.push('clients=2', 'frames=5');
  console.log(
    `sddf mc ${model} ${bounds.map((b) => `--bound ${b}`).join(' ')}: 1 thread vs ${workers} ` +
      `workers (${cpus().length} cores; ${new Date().toISOString()})`,
  );
  const seq: Sample[] = [];
  const par: Sample[] = [];
  for (let k = 0; k < runs; k++) {
    seq.push(run(model, bounds, 1));
    par.push(run(model, bounds, workers));
  }
  const show = (label: string, s: Sample): void =>
    console.log(
      `  ${label.padEnd(10)} ${s.verdict.padEnd(10)} ${String(s.states).padStart(9)} states  ` +
        `wall ${s.wallSeconds.toFixed(1).padStart(6)} s  CPU ${s.cpuSeconds.toFixed(1).padStart(6)} s  ` +
        `${(s.memoryBytes / 2 ** 20).toFixed(0).padStart(5)} MiB  load ${s.loadBefore} → ${s.loadAfter}`,
    );
  for (let k = 0; k < runs; k++) {
    show('1 thread', seq[k]!);
    show(`${workers} workers`, par[k]!);
  }
  const best = (xs: Sample[], f: (s: Sample) => number): number => Math.min(...xs.map(f));
  const wall = best(seq, (s) => s.wallSeconds) / best(par, (s) => s.wallSeconds);
  const cpu = best(seq, (s) => s.cpuSeconds) / best(par, (s) => s.cpuSeconds);
  if (seq.some((s) => s.verdict !== par[0]!.verdict)) throw new Error('verdicts differ');
  console.log(
    `  speed-up (best wall / best wall): ${wall.toFixed(2)}x (goal >= 1.6x on 2 cores)\n` +
      `  CPU efficiency: the parallel search uses ${(1 / cpu).toFixed(2)}x the sequential CPU time, ` +
      `so on ${workers} idle cores it could reach ${(workers * cpu).toFixed(2)}x`,
  );
}

main();
