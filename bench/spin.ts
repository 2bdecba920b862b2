// SPIN's pan against our engine on the SPSC handshake, search against search (issue #11 part 8;
// STYLE.md: "performance claims are measured, as a ratio against a peer in the same run").
//
//   npm run bench:spin                              # CAP=16 N=250, 3 runs of each
//   npx tsx bench/spin.ts --configs 8:60,16:250 --runs 5
//
// What is compared, and how it is kept fair:
// - SPIN's C compile (`spin -a` + `gcc -O2`) is timed apart from pan's search; our side runs the
//   compiled `sddf` command (node start-up and the cached bundle load are outside `cpuSeconds`,
//   which the engine measures around the search alone).
// - Rates are states stored per second of processor time (user + system) of the search: the
//   machine is shared, and CPU time is the steadier figure. Min and median of `--runs` runs.
// - pan's hash table is sized to the state count (`-w` = ceil(log2 states), from a probe run), its
//   DFS stack to the depth reached (`-m`), so neither is oversized; its memory figure is pan's own
//   "total actual memory usage", ours the engine's typed arrays (`memoryBytes`); both processes'
//   peak RSS is shown too.
// - Same model: ours is `spsc-pml` (proofs/models/spsc-pml.ts), the statement-for-statement port
//   of shared/bench/spsc.pml (the spec-built `spsc` model has a coarser grain).
// - Same grain: pan runs shared/bench/spsc.pml statement by statement, we run `--bound grain=1`
//   (one step per Promela statement on a global). pan with `-DHC4` (hash compaction) sits beside
//   our default hash-compact mode. Where our default grain merges steps, pan runs a generated
//   variant of spsc.pml with the same sequences in `d_step`s (written to a temp dir; the shared file
//   is never edited). pan also stores states after guards on private variables and for its
//   watchdog process, so its state counts stay higher at either grain: rates are per state.
// Only this script installs SPIN (Debian `spin`), never CI.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
// The reference model itself (shared/bench/spsc.pml beside the repository), read, never edited.
const PML = fileURLToPath(new URL('../../shared/bench/spsc.pml', import.meta.url));

interface Timed {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly maxRssBytes: number;
  readonly stdout: string;
  readonly status: number;
}

/** Runs a command under GNU time (wall, user, system, max RSS). */
function timed(command: string, cwd: string): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '@@TIME %e %U %S %M', 'bash', '-c', command], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const m = /@@TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (m === null) throw new Error(`no timing for: ${command}\n${r.stderr}`);
  return {
    wallSeconds: Number(m[1]),
    cpuSeconds: Number(m[2]) + Number(m[3]),
    maxRssBytes: Number(m[4]) * 1024,
    stdout: r.stdout,
    status: r.status ?? -1,
  };
}

function have(tool: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0;
}

function ensureTools(): void {
  if (!have('gcc')) throw new Error('gcc is needed to compile pan.c');
  if (!have('/usr/bin/time')) throw new Error('GNU time (/usr/bin/time) is needed');
  if (have('spin')) return;
  console.log('spin not found: apt-get update && apt-get install -y spin (bench only)');
  spawnSync('bash', ['-c', 'apt-get update -qq && apt-get install -y -qq spin'], {
    stdio: 'inherit',
  });
  if (!have('spin')) throw new Error('SPIN is not available and could not be installed');
}

function num(re: RegExp, text: string): number {
  const m = re.exec(text);
  return m === null ? Number.NaN : Number(m[1]);
}

/**
 * spsc.pml with the sequences our default grain runs as one step wrapped in `d_step` (see
 * proofs/models/spsc.ts "merged"): the enqueue (guard, assert, slot write, local updates), the
 * dequeue (guard, payload assert, counters), the notified entry with `reprocess = true`, the
 * producer's `dirty -> tl = ptl`, the flag check with its local branch, notify with `dirty =
 * false`, the consumer's re-check with `reprocess = false` and its cancel. Only the default
 * variant's text is rewritten (the #ifdef variants are dropped); each block must be found once.
 */
function mergedVariant(pml: string): string {
  const lines = pml.split('\n');
  const find = (prefix: string, from = 0): number => {
    const hits = lines.flatMap((l, i) => (i >= from && l.trim().startsWith(prefix) ? [i] : []));
    if (hits.length === 0) throw new Error(`spsc.pml changed: no line starts with '${prefix}'`);
    return hits[0]!;
  };
  const replace = (start: number, end: number, text: string[]): void => {
    lines.splice(start, end - start + 1, ...text);
  };
  // Consumer first (later lines), so earlier indices stay valid.
  const recheckFrom = find('#ifdef BUG_NO_RECHECK');
  replace(recheckFrom, find('#endif', find('fi', find(':: !isempty ->', recheckFrom))), [
    '\t\t\tconsumer_signalled = false;',
    '\t\t\td_step { isempty = (tl == hd); reprocess = false };',
    '\t\t\tif',
    '\t\t\t:: !isempty -> d_step { consumer_signalled = true; reprocess = true }',
    '\t\t\t:: else -> skip',
    '\t\t\tfi',
  ]);
  const deq = find(':: tl != hd ->');
  replace(deq, find('hd = (hd + 1) % MOD', deq), [
    '\t\t\t:: d_step { tl != hd ->',
    '\t\t\t\tassert(ring[hd % CAP] == expect);',
    '\t\t\t\texpect++;',
    '\t\t\t\tconsumed++ };',
    '\t\t\t\thd = (hd + 1) % MOD',
  ]);
  const wait = find(':: atomic { notif -> notif = false };');
  replace(wait, wait + 1, ['\t:: d_step { notif -> notif = false; reprocess = true };']);
  const check = find(':: dirty ->');
  replace(check, find('dirty = false;', check), [
    '\t:: d_step { dirty -> tl = ptl };',
    '\t\td_step { req = !consumer_signalled; if :: req -> skip :: else -> dirty = false fi };',
    '\t\tif',
    '\t\t:: req -> consumer_signalled = true; d_step { notif = true; dirty = false }',
    '\t\t:: else -> skip',
    '\t\tfi;',
  ]);
  const enq = find(':: v <= N && LEN(ptl, hd) < CAP ->');
  replace(enq, find('#endif', find('#ifndef BUG_FLAG_FIRST', enq) + 3), [
    '\t:: d_step { v <= N && LEN(ptl, hd) < CAP ->',
    '\t\tassert(LEN(ptl, hd) < CAP);',
    '\t\tring[ptl % CAP] = v;',
    '\t\tptl = (ptl + 1) % MOD;',
    '\t\tv++;',
    '\t\tdirty = true };',
    '\t\ttl = ptl',
  ]);
  return lines.join('\n');
}

interface Sample {
  readonly states: number;
  readonly transitions: number;
  readonly verdict: string;
  readonly searchCpuSeconds: number;
  readonly wallSeconds: number;
  readonly memoryBytes: number;
  readonly maxRssBytes: number;
}

interface Row {
  readonly tool: string;
  readonly samples: Sample[];
}

interface Pan {
  readonly dir: string;
  readonly compile: Timed;
  /** -w and -m sized by a probe run. */
  w: number;
  m: number;
}

function buildPan(dir: string, source: string, cap: number, items: number, hc4: boolean): Pan {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'spsc.pml'), source);
  const a = timed(`spin -a -DCAP=${cap} -DN=${items} spsc.pml`, dir);
  const flags = `-O2 -DSAFETY -DNOCLAIM -DMEMLIM=8192${hc4 ? ' -DHC4' : ''}`;
  const c = timed(`gcc ${flags} -o pan pan.c`, dir);
  if (a.status !== 0 || c.status !== 0) throw new Error(`spin -a or gcc failed in ${dir}`);
  const compile: Timed = {
    wallSeconds: a.wallSeconds + c.wallSeconds,
    cpuSeconds: a.cpuSeconds + c.cpuSeconds,
    maxRssBytes: Math.max(a.maxRssBytes, c.maxRssBytes),
    stdout: '',
    status: 0,
  };
  // Probe: learn the state count and depth, then size the table and stack to them.
  const probe = timed('./pan -m5000000 -w24', dir).stdout;
  const states = num(/(\d+) states, stored/, probe);
  const depth = num(/depth reached (\d+)/, probe);
  if (!Number.isFinite(states) || !Number.isFinite(depth)) throw new Error(`pan probe: ${probe}`);
  return { dir, compile, w: Math.max(10, Math.ceil(Math.log2(states))), m: depth + 1000 };
}

function runPan(pan: Pan): Sample {
  const t = timed(`./pan -m${pan.m} -w${pan.w}`, pan.dir);
  const out = t.stdout;
  if (/max search depth too small/.test(out)) throw new Error('pan: depth limit too small');
  const errors = num(/errors: (\d+)/, out);
  return {
    states: num(/(\d+) states, stored/, out),
    transitions: num(/(\d+) transitions/, out),
    verdict: errors === 0 ? 'holds' : `errors: ${errors}`,
    searchCpuSeconds: t.cpuSeconds,
    wallSeconds: num(/elapsed time ([\d.e+-]+) seconds/, out),
    memoryBytes: num(/([\d.]+)\s+total actual memory usage/, out) * 2 ** 20,
    maxRssBytes: t.maxRssBytes,
  };
}

function runOurs(cap: number, items: number, grain: 0 | 1, store: string): Sample {
  const args = [
    'bin/sddf.mjs',
    'mc',
    'spsc-pml',
    `--bound capacity=${cap}`,
    `--bound items=${items}`,
    `--bound grain=${grain}`,
    `--store ${store}`,
    '--format json',
    '--quiet',
  ];
  const t = timed(`node ${args.join(' ')}`, REPO);
  const doc = JSON.parse(t.stdout) as {
    verdict: string;
    states: number;
    transitions: number;
    seconds: number;
    cpuSeconds: number;
    memoryBytes: number;
  };
  return {
    states: doc.states,
    transitions: doc.transitions,
    verdict: doc.verdict,
    searchCpuSeconds: doc.cpuSeconds,
    wallSeconds: doc.seconds,
    memoryBytes: doc.memoryBytes,
    maxRssBytes: t.maxRssBytes,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const min = (xs: number[]): number => Math.min(...xs);
const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '?');

interface Summary {
  readonly tool: string;
  readonly states: number;
  readonly verdict: string;
  readonly cpuMin: number;
  readonly cpuMedian: number;
  /** States per CPU second at the fastest run. */
  readonly rate: number;
  readonly bytesPerState: number;
  readonly rssPerState: number;
}

function summarise(row: Row): Summary {
  const s = row.samples;
  const states = s[0]!.states;
  if (s.some((x) => x.states !== states || x.verdict !== s[0]!.verdict)) {
    throw new Error(`${row.tool}: runs disagree (${s.map((x) => x.states).join(', ')})`);
  }
  const cpu = s.map((x) => x.searchCpuSeconds);
  return {
    tool: row.tool,
    states,
    verdict: s[0]!.verdict,
    cpuMin: min(cpu),
    cpuMedian: median(cpu),
    rate: states / min(cpu),
    bytesPerState: min(s.map((x) => x.memoryBytes)) / states,
    rssPerState: min(s.map((x) => x.maxRssBytes)) / states,
  };
}

function printTable(rows: readonly Summary[]): void {
  const head = [
    'tool',
    'verdict',
    'states',
    'search CPU s min/median',
    'states/CPU s',
    'B/state',
    'RSS B/state',
  ];
  const body = rows.map((r) => [
    r.tool,
    r.verdict,
    String(r.states),
    `${fmt(r.cpuMin)} / ${fmt(r.cpuMedian)}`,
    String(Math.round(r.rate)),
    fmt(r.bytesPerState, 1),
    fmt(r.rssPerState, 1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  for (const line of [head, ...body]) {
    console.log(`  ${line.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`);
  }
}

function ratio(label: string, ours: Summary, pan: Summary): void {
  console.log(
    `  ${label}: rate ${fmt(ours.rate / pan.rate)}x pan's (goal >= 1.0), ` +
      `bytes/state ${fmt(ours.bytesPerState / pan.bytesPerState)}x pan's (goal <= 1.0)`,
  );
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

function main(): void {
  const runs = Math.max(3, Number(argValue('--runs', '3')));
  const configs = argValue('--configs', '16:250')
    .split(',')
    .map((c) => c.split(':').map(Number) as [number, number]);
  ensureTools();
  const pml = readFileSync(PML, 'utf8');
  console.log(
    `SPIN pan vs sddf mc, spsc.pml (${new Date().toISOString()}, load ${loadavg()}, ${runs} runs each)`,
  );
  for (const [cap, items] of configs) {
    const dir = mkdtempSync(join(tmpdir(), 'sddf-spin-'));
    try {
      const panPlain = buildPan(join(dir, 'plain'), pml, cap, items, false);
      const panHc4 = buildPan(join(dir, 'hc4'), pml, cap, items, true);
      const panMerged = buildPan(join(dir, 'merged'), mergedVariant(pml), cap, items, false);
      const rows: Row[] = [
        { tool: 'pan (statement grain)', samples: [] },
        { tool: 'pan -DHC4 (statement grain)', samples: [] },
        { tool: 'sddf mc grain=1 hash-compact', samples: [] },
        { tool: 'sddf mc grain=1 exact', samples: [] },
        { tool: 'pan (d_step variant)', samples: [] },
        { tool: 'sddf mc grain=0 hash-compact', samples: [] },
      ];
      // Interleaved, so that a change in the machine's load falls on every tool alike.
      for (let k = 0; k < runs; k++) {
        rows[0]!.samples.push(runPan(panPlain));
        rows[1]!.samples.push(runPan(panHc4));
        rows[2]!.samples.push(runOurs(cap, items, 1, 'hash-compact'));
        rows[3]!.samples.push(runOurs(cap, items, 1, 'exact'));
        rows[4]!.samples.push(runPan(panMerged));
        rows[5]!.samples.push(runOurs(cap, items, 0, 'hash-compact'));
      }
      const s = rows.map(summarise);
      console.log(`\nCAP=${cap} N=${items} (load now ${loadavg()})`);
      console.log(
        `  SPIN compile (spin -a + gcc -O2): ${fmt(panPlain.compile.cpuSeconds)} s CPU, ` +
          `${fmt(panPlain.compile.wallSeconds)} s wall; pan sized -w${panPlain.w} -m${panPlain.m}`,
      );
      printTable(s);
      ratio('grain=1 hash-compact vs pan', s[2]!, s[0]!);
      ratio('grain=1 hash-compact vs pan -DHC4', s[2]!, s[1]!);
      ratio('grain=1 exact vs pan', s[3]!, s[0]!);
      ratio('grain=0 hash-compact vs pan d_step variant', s[5]!, s[4]!);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(
    '\nRates are states stored per second of search CPU time; B/state is pan\'s "total actual\n' +
      'memory usage" and our engine\'s typed arrays, each over its own state count. State counts\n' +
      'differ by grain: pan also stores the state after each guard on a private variable and the\n' +
      "watchdog's; every variant gets the same verdict.",
  );
}

main();
