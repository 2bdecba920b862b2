// `sddf mc`: model checking (contract: ../shared/CLI.md). Thin: parses arguments, loads a user's
// model module when `--model FILE` is given, calls the library (api/mc.ts: check, minimise,
// write ITF), renders. Exit status: 0 holds, 1 violated or incomplete (a bound was hit: not a
// pass), 2 could not run (unknown model, bug or bound; a model module that does not load).
import type { Command } from 'commander';
import type { McRun } from '../../api/mc.ts';
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
      lines.push(`  --bug ${b.id}: ${b.description} (caught by ${b.expectedProperty})`);
    }
  }
  io.out(lines.join('\n'));
}

function verdictText(io: Io, run: McRun): string {
  const r = run.result;
  if (r.verdict === 'holds') return paint(io, 'green', 'holds');
  if (r.verdict === 'violated') return paint(io, 'red', `violated: ${r.property ?? '?'}`);
  return paint(
    io,
    'yellow',
    r.incompleteReason === 'simulation'
      ? 'incomplete (random simulation found nothing; that proves nothing)'
      : `incomplete (${r.incompleteReason ?? 'bound'} reached)`,
  );
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
      `${r.seconds.toFixed(2)} s  ${rate} states/s  ${run.search}`,
    `  reductions: POR ${r.reductions.por ? 'on' : 'off'}, symmetry ${r.reductions.symmetry ? 'on' : 'off'}; ` +
      `fingerprint collision probability ${r.collisionProbability.toExponential(1)}`,
  ];
  if (r.pruned !== undefined) {
    lines.push(`  state constraint: ${r.pruned} successor(s) outside the model were not explored`);
  }
  lines.push(`  checked: ${run.properties.join(', ')}`);
  if (r.message !== undefined) lines.push(`  ${r.message}`);
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
    ...(run.tracePath !== undefined ? { trace: run.tracePath } : {}),
    ...(r.message !== undefined ? { message: r.message } : {}),
    ...(run.itf !== undefined ? { traceSteps: run.itf.states.length - 1 } : {}),
    ...(r.incompleteReason !== undefined ? { incompleteReason: r.incompleteReason } : {}),
    ...(r.pruned !== undefined ? { pruned: r.pruned } : {}),
    ...(r.walkSeed !== undefined && run.search === 'random' ? { walkSeed: r.walkSeed } : {}),
    options: run.options,
    properties: run.properties,
    search: run.search,
    reductions: r.reductions,
    collisionProbability: r.collisionProbability,
    memoryBytes: r.memoryBytes,
  };
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
    .option('--seed <n>', 'seed of --search random', '1')
    .option('--runs <n>', 'random walks of --search random', String(DEFAULT_RUNS))
    .option('--no-por', 'turn partial-order reduction off')
    .option('--no-symmetry', 'turn symmetry reduction off')
    .option('--check-hints', "test the model's partial-order hints in every state (full search)")
    .option('--liveness', "also check the model's eventual goal under weak fairness (BFS)")
    .option('--exact', 'store whole states instead of 64-bit fingerprints')
    .option('--no-minimise', 'keep a DFS counterexample as found')
    .option('--max-states <n>', 'stop after n states (verdict incomplete)')
    .option('--max-seconds <s>', 'stop after s seconds (verdict incomplete)')
    .option('--max-depth <n>', 'explore at most n steps deep (verdict incomplete if cut)')
    .option('--format <format>', 'text | json', 'text')
    .option('--out <dir>', 'directory for counterexample traces', 'out/mc')
    .option('--quiet', 'no progress line')
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
      const progress = io.progressTty && opts['quiet'] !== true;
      const run = api.modelCheck({
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
        ...(opts['minimise'] === false ? { minimise: false } : {}),
        outDir: String(opts['out']),
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
        ...(progress ? { onProgress: (p) => io.progress(progressLine(p)) } : {}),
      });
      if (progress) io.endProgress();
      if (format === 'json') printJson(io, toJson(run));
      else renderRun(io, run, (await import('../../traces/render.ts')).renderText);
      setStatus(run.result.verdict === 'holds' ? EXIT_OK : EXIT_FAILED);
    });
}
