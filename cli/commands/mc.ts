// `sddf mc`: model checking (contract: ../shared/CLI.md). Thin: parses arguments, loads a user's
// model module when `--model FILE` is given, calls the library (api/mc.ts: check, minimise,
// write ITF), renders. Exit status: 0 holds, 1 violated or incomplete (a bound was hit: not a
// pass), 2 could not run (unknown model, bug or bound; a model module that does not load).
import type { Command } from 'commander';
import type { McRequest, McRun } from '../../api/mc.ts';
import type { SwarmRun } from '../../api/swarm.ts';
import type { Progress, StoreMode } from '../../proofs/mc/engine.ts';
import type { MemoryModel, ModelEntry, ModelOptions } from '../../proofs/models/types.ts';
import { MEMORY_MODELS, memoryModelProblem } from '../../proofs/models/types.ts';
import {
  CliUsageError,
  EXIT_FAILED,
  EXIT_OK,
  paint,
  parseFormat,
  parseIntOption,
  printJson,
  progressLine,
  type Io,
} from '../output.ts';
import type { SetStatus } from './index.ts';

/** Random simulation defaults (proofs/mc/run.ts DEFAULT_RUNS), repeated for the help text. */
const DEFAULT_RUNS = 1000;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseBounds(pairs: readonly string[]): Record<string, number> {
  const bounds: Record<string, number> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/.exec(pair);
    if (m === null) throw new CliUsageError(`--bound must be KEY=VALUE (got '${pair}')`);
    bounds[m[1]!] = parseIntOption(`--bound ${m[1]}`, m[2]!);
  }
  return bounds;
}

/** Seconds between progress lines when stderr is not a terminal (CI logs), like TLC's. */
const PROGRESS_LOG_SECONDS = 5;

const STORE_MODES: readonly string[] = ['exact', 'hash-compact', 'bitstate'];

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CliUsageError(`--max-seconds must be a positive number (got '${value}')`);
  }
  return n;
}

function describeOptions(o: ModelOptions): string {
  const parts = Object.entries(o.bounds).map(([k, v]) => `${k}=${v}`);
  parts.push(`memory model ${o.memoryModel}`);
  if (o.bug !== undefined) parts.push(`bug ${o.bug}`);
  return parts.join(', ');
}

function renderList(io: Io, format: string, entries: readonly ModelEntry[]): void {
  const models = entries.map((m) => ({
    name: m.name,
    description: m.description,
    bounds: m.defaultBounds,
    boundRanges: m.boundRanges ?? {},
    bugs: m.bugs.map((b) => ({
      id: b.id,
      description: b.description,
      expectedProperty: b.expectedProperty,
      memoryModel: b.memoryModel ?? 'sc',
      bounds: b.bounds ?? {},
    })),
  }));
  if (format === 'json') {
    printJson(io, { models });
    return;
  }
  const lines: string[] = [];
  for (const m of models) {
    lines.push(`${m.name}  ${m.description}`, '  bounds (default, range):');
    for (const [k, v] of Object.entries(m.bounds)) {
      const r = m.boundRanges[k];
      const range = r === undefined ? '' : `${r.min}..${r.max}`;
      lines.push(`    ${`${k}=${v}`.padEnd(20)} ${range.padEnd(14)} ${r?.doc ?? ''}`.trimEnd());
    }
    for (const b of m.bugs) {
      // The variant's own bounds, which a run takes unless --bound sets them (proofs/models/common.ts).
      const own = Object.entries(b.bounds).map(([k, v]) => `${k}=${v}`);
      const at = own.length > 0 ? `; runs at ${own.join(' ')} unless --bound says otherwise` : '';
      lines.push(`  --bug ${b.id}: ${b.description} (caught by ${b.expectedProperty}${at})`);
    }
  }
  io.out(lines.join('\n'));
}

function verdictText(io: Io, run: McRun): string {
  const r = run.result;
  if (r.verdict === 'holds') return paint(io, 'green', 'holds');
  if (r.verdict === 'violated') return paint(io, 'red', `violated: ${r.property ?? '?'}`);
  const why =
    r.incompleteReason === 'simulation'
      ? 'random simulation found nothing; that proves nothing'
      : r.incompleteReason === 'bitstate'
        ? 'bitstate search found nothing, but may have skipped states; that proves nothing'
        : r.incompleteReason === 'modelLimit'
          ? 'a state the model cannot represent was reached (below); that proves nothing'
          : r.incompleteReason === 'guided'
            ? 'no violation on the runs that follow the guide; that proves nothing'
            : r.incompleteReason === 'promiseFree'
              ? 'no violation on the runs without promises (no load buffering); that proves nothing'
              : `${r.incompleteReason ?? 'bound'} reached`;
  return paint(io, 'yellow', `incomplete (${why})`);
}

/** Which storage mode the run used and what it risks (ADR 007 "Storage modes"). */
function storageText(r: McRun['result']): string {
  switch (r.mode) {
    case 'exact':
      return 'storage exact (whole states: no fingerprint collisions)';
    case 'hash-compact':
      return `storage hash-compact (64-bit fingerprints; collision probability ${r.collisionProbability.toExponential(1)})`;
    case 'bitstate':
      return `storage bitstate (estimated coverage ${((r.coverage ?? 0) * 100).toFixed(4)} %)`;
    case 'none':
      return 'no states stored (random walks)';
  }
}

function renderRun(
  io: Io,
  run: McRun,
  renderText: (itf: NonNullable<McRun['itf']>) => string,
): void {
  const r = run.result;
  const rate = r.seconds > 0 ? Math.round(r.states / r.seconds) : r.states;
  const lines = [
    `${run.entry.name} (${describeOptions(run.options)}): ${verdictText(io, run)}`,
    `  states ${r.states}  transitions ${r.transitions}  depth ${r.depth}  ` +
      `${r.seconds.toFixed(2)} s  ${rate} states/s  ${(r.memoryBytes / 2 ** 20).toFixed(1)} MiB  ${run.search}`,
    `  reductions: POR ${r.reductions.por ? 'on' : 'off'}, symmetry ${r.reductions.symmetry ? 'on' : 'off'}; ` +
      storageText(r),
  ];
  if (r.pruned !== undefined) {
    lines.push(`  state constraint: ${r.pruned} successor(s) outside the model were not explored`);
  }
  if (run.guide !== undefined) {
    const cut =
      run.guide.cut > 0
        ? `; ${run.guide.cut} state(s) whose successors the model cannot represent were dropped`
        : '';
    lines.push(`  guided: runs that follow the guide's ${run.guide.steps} PD steps${cut}`);
  }
  lines.push(`  checked: ${run.properties.join(', ')}`);
  if (r.message !== undefined) lines.push(`  ${r.message}`);
  if (run.walkPaths !== undefined) {
    const where = run.walkPaths.length > 0 ? `, e.g. ${run.walkPaths[0]}` : '';
    lines.push(`  walks written: ${run.walkPaths.length}${where}`);
  }
  if (run.itf !== undefined) {
    const how = run.minimised ? 'minimised' : run.search === 'bfs' ? 'shortest' : 'as found';
    const where = run.tracePath !== undefined ? `, written to ${run.tracePath}` : '';
    lines.push(`  trace: ${run.itf.states.length - 1} steps (${how})${where}`);
    if (run.search === 'random' && r.walkSeed !== undefined) {
      lines.push(`  this walk alone: --search random --seed ${r.walkSeed} --runs 1`);
    }
    lines.push('', renderText(run.itf).trimEnd());
  }
  io.out(lines.join('\n'));
}

function toJson(run: McRun): unknown {
  const r = run.result;
  return {
    model: run.entry.name,
    verdict: r.verdict,
    ...(r.property !== undefined ? { property: r.property } : {}),
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    seconds: r.seconds,
    ...(r.cpuSeconds !== undefined ? { cpuSeconds: r.cpuSeconds } : {}),
    ...(run.tracePath !== undefined ? { trace: run.tracePath } : {}),
    ...(r.message !== undefined ? { message: r.message } : {}),
    ...(run.itf !== undefined ? { traceSteps: run.itf.states.length - 1 } : {}),
    ...(r.incompleteReason !== undefined ? { incompleteReason: r.incompleteReason } : {}),
    ...(r.pruned !== undefined ? { pruned: r.pruned } : {}),
    ...(r.walkSeed !== undefined && run.search === 'random' ? { walkSeed: r.walkSeed } : {}),
    ...(run.walkPaths !== undefined ? { walks: run.walkPaths } : {}),
    ...(run.guide !== undefined ? { guide: run.guide } : {}),
    options: run.options,
    properties: run.properties,
    search: run.search,
    reductions: r.reductions,
    mode: r.mode,
    collisionProbability: r.collisionProbability,
    ...(r.coverage !== undefined ? { coverage: r.coverage } : {}),
    memoryBytes: r.memoryBytes,
  };
}

function writeWalks(search: string, text: string): number {
  if (search !== 'random') throw new CliUsageError('--write-walks needs --search random');
  return parseIntOption('--write-walks', text);
}

export function registerMc(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('mc')
    .argument('[model]', 'built-in model name (see --list); not with --model')
    .description(
      'model-check a protocol model: invariants, no lost wakeup (quiescence), liveness\n' +
        'Exit status: 0 holds; 1 violated, or incomplete (a --max-* bound was reached, so\n' +
        'nothing is proved); 2 could not run (unknown model, bug or bound, a bad --model file).',
    )
    .option('--list', 'list models, their bounds and bug variants')
    .option(
      '--model <file>',
      'check your own model: a module exporting a ModelEntry (docs/writing-a-model.md)',
    )
    .option('--bound <key=value>', 'model size parameter (repeatable)', collect, [])
    .option('--memory-model <model>', MEMORY_MODELS.join(' | '))
    .option('--bug <id>', 'seeded-bug variant (see --list)')
    .option(
      '--search <order>',
      'bfs (shortest traces) | dfs (less memory) | random (seeded simulation: finds, never proves)',
      'bfs',
    )
    .option('--seed <n>', 'seed of --search random, and of a swarm (--shard, --swarm)', '1')
    .option('--runs <n>', 'random walks of --search random', String(DEFAULT_RUNS))
    .option(
      '--write-walks <n>',
      'with --search random: write the first n walks that found nothing as traces to --out',
    )
    .option('--no-por', 'turn partial-order reduction off')
    .option('--no-symmetry', 'turn symmetry reduction off')
    .option('--check-hints', "test the model's partial-order hints in every state (full search)")
    .option('--liveness', "also check the model's eventual goal under weak fairness (BFS)")
    .option(
      '--store <mode>',
      'exact (whole states) | hash-compact (64-bit fingerprints, default) | ' +
        'bitstate (supertrace: k bits per state; never "holds")',
    )
    .option('--exact', 'same as --store exact')
    .option('--workers <n>', 'parallel BFS over n worker threads (hash-compact storage; default 1)')
    .option(
      '--shard <i/N>',
      'run shard i of an N-shard swarm (DFS, own hashes and order; merge with sddf mc-merge)',
    )
    .option('--swarm <n>', 'run all n shards of a swarm here, one after another, and merge')
    .option('--bitstate-bits <n>', 'bitstate: bit array of 2^n bits (default 29 = 64 MiB)')
    .option(
      '--max-memory <size>',
      'stop as incomplete rather than use more (e.g. 2G, 512M, 25%; default 50% of memory)',
    )
    .option(
      '--guide <trace>',
      "search only runs that follow this trace's schedule (e.g. its TSO counterexample); finds, never proves",
    )
    .option(
      '--guide-promise <PD@K>',
      'with --guide: PD promises a store right after step K of the guide (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--no-promises',
      'armv8/rvwmo: search without Promising promises (no load buffering): a fast bug hunt that finds, never proves',
    )
    .option('--no-minimise', 'keep a DFS counterexample as found')
    .option('--max-states <n>', 'stop after n states (verdict incomplete)')
    .option('--max-seconds <s>', 'stop after s seconds (verdict incomplete)')
    .option('--max-depth <n>', 'explore at most n steps deep (verdict incomplete if cut)')
    .option('--format <format>', 'text | json', 'text')
    .option('--out <dir>', 'directory for counterexample traces', 'out/mc')
    .option('--quiet', 'no progress (a line on a terminal; every 5 s otherwise)')
    .action(async (model: string | undefined, opts: Record<string, unknown>) => {
      const format = parseFormat(String(opts['format']), ['text', 'json']);
      const file = opts['model'] === undefined ? undefined : String(opts['model']);
      if (file !== undefined && model !== undefined) {
        throw new CliUsageError(
          `give a MODEL name or --model FILE, not both ('${model}', '${file}')`,
        );
      }
      const api = await import('../../api/mc.ts');
      const entry = file !== undefined ? await api.loadModelModule(file) : undefined;
      if (opts['list'] === true) {
        const { listModels } = await import('../../proofs/models/registry.ts');
        renderList(io, format, entry !== undefined ? [entry] : listModels());
        setStatus(EXIT_OK);
        return;
      }
      const chosen = entry ?? model;
      if (chosen === undefined)
        throw new CliUsageError('sddf mc needs a MODEL, --model FILE or --list');
      const search = String(opts['search']);
      if (search !== 'bfs' && search !== 'dfs' && search !== 'random') {
        throw new CliUsageError(`--search must be bfs, dfs or random (got '${search}')`);
      }
      const mm = opts['memoryModel'];
      const mmProblem = mm === undefined ? null : memoryModelProblem(String(mm));
      if (mmProblem !== null) throw new CliUsageError(`--memory-model: ${mmProblem}`);
      const store = opts['store'] === undefined ? undefined : String(opts['store']);
      if (store !== undefined && !STORE_MODES.includes(store)) {
        throw new CliUsageError(
          `--store must be one of ${STORE_MODES.join(', ')} (got '${store}')`,
        );
      }
      if (store !== undefined && store !== 'exact' && opts['exact'] === true) {
        throw new CliUsageError(`--exact contradicts --store ${store}`);
      }
      let maxMemoryBytes: number | undefined;
      if (opts['maxMemory'] !== undefined) {
        const { parseMemorySize } = await import('../../proofs/mc/budget.ts');
        const parsed = parseMemorySize(String(opts['maxMemory']));
        if (parsed === null) {
          throw new CliUsageError(
            `--max-memory must be a size such as 2G, 512M, 1000000 or 25% (got '${String(opts['maxMemory'])}')`,
          );
        }
        maxMemoryBytes = parsed;
      }
      const guidePromises = opts['guidePromise'] as string[];
      if (guidePromises.length > 0 && opts['guide'] === undefined) {
        throw new CliUsageError('--guide-promise adds a step to a guide: it needs --guide');
      }
      const quiet = opts['quiet'] === true;
      const progress = io.progressTty && !quiet;
      let nextLog = PROGRESS_LOG_SECONDS;
      const onProgress = progress
        ? (p: Progress): void => io.progress(progressLine(p))
        : quiet
          ? undefined
          : (p: Progress): void => {
              // Not a terminal (a CI log): a plain line every few seconds, like TLC's.
              if (p.seconds < nextLog) return;
              nextLog = p.seconds + PROGRESS_LOG_SECONDS;
              io.err(`sddf mc: ${progressLine(p)}`);
            };
      const request: McRequest = {
        model: chosen,
        ...(file !== undefined ? { modulePath: file } : {}),
        bounds: parseBounds(opts['bound'] as string[]),
        search,
        seed: parseIntOption('--seed', String(opts['seed'])),
        runs: Math.max(1, parseIntOption('--runs', String(opts['runs']))),
        por: opts['por'] !== false,
        symmetry: opts['symmetry'] !== false,
        checkHints: opts['checkHints'] === true,
        liveness: opts['liveness'] === true,
        exact: opts['exact'] === true,
        ...(store !== undefined ? { mode: store as StoreMode } : {}),
        ...(opts['bitstateBits'] !== undefined
          ? { bitstateBits: parseIntOption('--bitstate-bits', String(opts['bitstateBits'])) }
          : {}),
        ...(maxMemoryBytes !== undefined ? { maxMemoryBytes } : {}),
        ...(opts['workers'] !== undefined
          ? { workers: parseIntOption('--workers', String(opts['workers'])) }
          : {}),
        ...(opts['minimise'] === false ? { minimise: false } : {}),
        ...(opts['promises'] === false ? { promises: false } : {}),
        outDir: String(opts['out']),
        ...(opts['guide'] !== undefined ? { guideFile: String(opts['guide']) } : {}),
        ...(guidePromises.length > 0 ? { guidePromises } : {}),
        ...(opts['writeWalks'] !== undefined
          ? { writeWalks: writeWalks(search, String(opts['writeWalks'])) }
          : {}),
        ...(mm !== undefined ? { memoryModel: mm as MemoryModel } : {}),
        ...(opts['bug'] !== undefined ? { bug: String(opts['bug']) } : {}),
        ...(opts['maxStates'] !== undefined
          ? { maxStates: parseIntOption('--max-states', String(opts['maxStates'])) }
          : {}),
        ...(opts['maxSeconds'] !== undefined
          ? { maxSeconds: parseSeconds(String(opts['maxSeconds'])) }
          : {}),
        ...(opts['maxDepth'] !== undefined
          ? { maxDepth: parseIntOption('--max-depth', String(opts['maxDepth'])) }
          : {}),
        ...(onProgress !== undefined ? { onProgress } : {}),
      };
      const shard = opts['shard'] === undefined ? undefined : String(opts['shard']);
      const swarm = opts['swarm'] === undefined ? undefined : String(opts['swarm']);
      if (shard !== undefined || swarm !== undefined) {
        const { parseShard, MAX_SHARDS } = await import('../../proofs/mc/swarm.ts');
        const swarmApi = await import('../../api/swarm.ts');
        if (shard !== undefined && swarm !== undefined) {
          throw new CliUsageError('give --shard i/N (one shard) or --swarm N (all), not both');
        }
        if (shard !== undefined) {
          const spec = parseShard(shard);
          if (spec === null) {
            throw new CliUsageError(
              `--shard must be i/N with 1 <= i <= N <= ${MAX_SHARDS} (got '${shard}')`,
            );
          }
          const run = api.modelCheck({ ...request, shard: spec });
          if (progress) io.endProgress();
          if (format === 'json') printJson(io, swarmApi.shardOutcome(run, file));
          else renderRun(io, run, (await import('../../traces/render.ts')).renderText);
          setStatus(run.result.verdict === 'holds' ? EXIT_OK : EXIT_FAILED);
          return;
        }
        const count = parseIntOption('--swarm', swarm!);
        if (count < 1 || count > MAX_SHARDS) {
          throw new CliUsageError(`--swarm must be 1..${MAX_SHARDS} (got ${count})`);
        }
        const run = swarmApi.runSwarm(request, count, (o) => {
          if (format === 'text' && !quiet) {
            io.err(
              `sddf mc: shard ${o.shard.index}/${o.shard.count}: ${o.verdict} (${o.states} states)`,
            );
          }
        });
        if (progress) io.endProgress();
        renderSwarm(io, format, run);
        setStatus(run.result.verdict === 'holds' ? EXIT_OK : EXIT_FAILED);
        return;
      }
      const run = api.modelCheck(request);
      if (progress) io.endProgress();
      if (format === 'json') printJson(io, toJson(run));
      else renderRun(io, run, (await import('../../traces/render.ts')).renderText);
      setStatus(run.result.verdict === 'holds' ? EXIT_OK : EXIT_FAILED);
    });
}

/** A merged swarm: the verdict, every violation with its shard, coverage (text or one JSON). */
function renderSwarm(io: Io, format: string, run: SwarmRun): void {
  const r = run.result;
  if (format === 'json') {
    printJson(io, {
      ...r,
      violations: r.violations.map(({ itf: _itf, ...v }) => v),
      ...(run.tracePath !== undefined ? { trace: run.tracePath } : {}),
      outcomes: run.outcomes.map(({ itf: _itf, ...o }) => o),
    });
    return;
  }
  const verdict =
    r.verdict === 'holds'
      ? paint(io, 'green', `holds (shard ${r.exhaustiveShard} searched exhaustively)`)
      : r.verdict === 'violated'
        ? paint(io, 'red', `violated: ${r.violations[0]!.property}`)
        : paint(
            io,
            'yellow',
            'incomplete (no shard found a violation; bitstate shards prove nothing)',
          );
  const lines = [
    `${r.model} swarm of ${r.count} (seed ${r.seed}; shards merged: ${r.shards.length}): ${verdict}`,
    `  states stored over all shards ${r.statesSearched}` +
      (r.bestCoverage !== undefined
        ? `; coverage: best shard ${(r.bestCoverage * 100).toFixed(4)} %, ` +
          `combined if independent ${((r.combinedCoverage ?? 0) * 100).toFixed(4)} %`
        : ''),
  ];
  if (r.missing.length > 0) lines.push(`  missing shards: ${r.missing.join(', ')}`);
  for (const v of r.violations) {
    const steps = v.traceSteps !== undefined ? `, ${v.traceSteps} steps` : '';
    lines.push(`  shard ${v.shard}: ${v.property}${steps}: ${v.message}`);
  }
  if (run.tracePath !== undefined) lines.push(`  shortest trace written to ${run.tracePath}`);
  io.out(lines.join('\n'));
}

/** `sddf mc-merge FILE...`: one verdict from a swarm's shard results (docs/swarm.md). */
export function registerMcMerge(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('mc-merge')
    .argument('<results...>', 'shard results: the output of sddf mc --shard i/N --format json')
    .description(
      'merge the results of a swarm (sddf mc MODEL --shard i/N) into one verdict\n' +
        'Exit status: 0 holds (a shard searched exhaustively); 1 violated, or incomplete;\n' +
        '2 could not run (unreadable result, results of different swarms).',
    )
    .option('--format <format>', 'text | json', 'text')
    .option('--out <dir>', 'directory for the shortest counterexample trace', 'out/mc')
    .action(async (files: string[], opts: Record<string, unknown>) => {
      const format = parseFormat(String(opts['format']), ['text', 'json']);
      const { mergeShardFiles } = await import('../../api/swarm.ts');
      const run = mergeShardFiles(files, String(opts['out']));
      renderSwarm(io, format, run);
      setStatus(run.result.verdict === 'holds' ? EXIT_OK : EXIT_FAILED);
    });
}
