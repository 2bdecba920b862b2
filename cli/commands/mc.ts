// `sddf mc`: model checking (contract: ../shared/CLI.md). Thin: parses arguments, builds the model
// from the registry, runs proofs/mc, minimises and writes the counterexample as ITF, renders.
// Exit status: 0 holds, 1 violated or incomplete (a bound was hit: not a pass), 2 could not run.
import type { Command } from 'commander';
import { checkModel, type McResult, type SearchOrder } from '../../proofs/mc/engine.ts';
import { simulate } from '../../proofs/mc/simulate.ts';
import {
  findModel,
  listModels,
  type MemoryModel,
  type ModelEntry,
  type ModelOptions,
} from '../../proofs/models/registry.ts';
import { boundsProblem } from '../../proofs/models/common.ts';
import { MEMORY_MODELS, memoryModelProblem } from '../../proofs/models/types.ts';
import { writeTrace } from '../../traces/corpus.ts';
import { toItfTrace, type ItfTrace } from '../../traces/itf.ts';
import { minimise } from '../../traces/minimise.ts';
import { renderText } from '../../traces/render.ts';
import {
  CliUsageError,
  EXIT_FAILED,
  EXIT_OK,
  paint,
  parseFormat,
  parseIntOption,
  printJson,
  type Io,
} from '../output.ts';
import type { SetStatus } from './index.ts';

/** Random simulation defaults: walks, and steps per walk (override with --runs, --max-depth). */
const DEFAULT_RUNS = 1000;
const DEFAULT_RANDOM_STEPS = 1000;

export interface McRunOptions {
  readonly model: string;
  readonly bounds?: Readonly<Record<string, number>>;
  readonly memoryModel?: MemoryModel;
  readonly bug?: string;
  /** bfs | dfs (exhaustive) or random (seeded simulation: finds, never proves). */
  readonly search?: SearchOrder | 'random';
  readonly seed?: number;
  readonly runs?: number;
  readonly por?: boolean;
  readonly symmetry?: boolean;
  readonly liveness?: boolean;
  readonly exact?: boolean;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly maxDepth?: number;
  readonly minimise?: boolean;
  /** Where a counterexample is written; undefined = not written. */
  readonly outDir?: string;
  readonly onProgress?: Parameters<typeof checkModel>[1]['onProgress'];
}

export interface McRun {
  readonly entry: ModelEntry;
  readonly options: ModelOptions;
  readonly search: SearchOrder | 'random';
  readonly result: McResult;
  readonly itf?: ItfTrace;
  readonly tracePath?: string;
  readonly minimised: boolean;
  /** Every property the run checked (invariants, the quiescence oracle, the liveness goal). */
  readonly properties: readonly string[];
}

/** Unknown model, bug or bound: a usage error (exit 2). */
export function resolveModel(o: Pick<McRunOptions, 'model' | 'bounds' | 'memoryModel' | 'bug'>): {
  entry: ModelEntry;
  options: ModelOptions;
} {
  const entry = findModel(o.model);
  if (entry === undefined) {
    const names = listModels().map((m) => m.name);
    throw new CliUsageError(`unknown model '${o.model}' (models: ${names.join(', ')})`);
  }
  // A trace's `#meta.options` reaches here unchecked too (sddf replay).
  const mmProblem = o.memoryModel === undefined ? null : memoryModelProblem(String(o.memoryModel));
  if (mmProblem !== null) throw new CliUsageError(mmProblem);
  // Every bound is checked up front (name, range, constraints between bounds): bad input is exit 2
  // with a message, never an assert deep inside a build.
  const problem = boundsProblem(entry, { ...entry.defaultBounds, ...(o.bounds ?? {}) });
  if (problem !== null) throw new CliUsageError(problem);
  const bug = o.bug === undefined ? undefined : entry.bugs.find((b) => b.id === o.bug);
  if (o.bug !== undefined && bug === undefined) {
    const ids = entry.bugs.map((b) => b.id).join(', ') || 'none';
    throw new CliUsageError(`model ${entry.name} has no bug variant '${o.bug}' (variants: ${ids})`);
  }
  // The variant's own small bounds are part of the options, so what is printed and written to
  // `#meta.options` is what was checked (the model applies the same bounds again: no change).
  const options: ModelOptions = {
    memoryModel: o.memoryModel ?? bug?.memoryModel ?? 'sc',
    bounds: { ...entry.defaultBounds, ...(bug?.bounds ?? {}), ...(o.bounds ?? {}) },
    ...(o.bug !== undefined ? { bug: o.bug } : {}),
  };
  return { entry, options };
}

/** Library entry of `sddf mc` (also for the `sddf check` stage): check, minimise, write ITF. */
export function runModelCheck(o: McRunOptions): McRun {
  const { entry, options } = resolveModel(o);
  const ts = entry.build(options);
  const search = o.search ?? 'bfs';
  const properties = [
    ...ts.invariants.map((i) => i.name),
    ...(ts.quiescentViolation !== undefined ? ['no-lost-wakeup'] : []),
    ...(o.liveness === true && ts.goal !== undefined
      ? [`${ts.goalName ?? 'eventually-goal'} (liveness, weak fairness)`]
      : []),
  ];
  const result =
    search === 'random'
      ? simulate(ts, {
          seed: o.seed ?? 1,
          runs: o.runs ?? DEFAULT_RUNS,
          maxSteps: o.maxDepth ?? DEFAULT_RANDOM_STEPS,
        })
      : checkModel(ts, {
          search,
          ...(o.por !== undefined ? { por: o.por } : {}),
          ...(o.symmetry !== undefined ? { symmetry: o.symmetry } : {}),
          ...(o.liveness !== undefined ? { liveness: o.liveness } : {}),
          ...(o.exact !== undefined ? { exact: o.exact } : {}),
          ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}),
          ...(o.maxSeconds !== undefined ? { maxSeconds: o.maxSeconds } : {}),
          ...(o.maxDepth !== undefined ? { maxDepth: o.maxDepth } : {}),
          ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
        });
  if (result.verdict !== 'violated' || result.trace === undefined) {
    return { entry, options, search, result, minimised: false, properties };
  }
  let trace = result.trace;
  let minimised = false;
  // BFS traces are already shortest; DFS and random ones shrink by ddmin (lassos kept whole).
  if ((o.minimise ?? search !== 'bfs') && trace.loop === undefined && result.property) {
    const shorter = minimise(ts, trace, result.property).trace;
    trace = { states: [...shorter.states], actions: [...shorter.actions] };
    minimised = true;
  }
  const itf = toItfTrace(ts, trace, {
    options,
    verdict: result.verdict,
    search,
    minimised,
    ...(result.property !== undefined ? { property: result.property } : {}),
    ...(result.message !== undefined ? { message: result.message } : {}),
  });
  const tracePath = o.outDir !== undefined ? writeTrace(o.outDir, itf) : undefined;
  return {
    entry,
    options,
    search,
    result: { ...result, trace },
    itf,
    minimised,
    properties,
    ...(tracePath !== undefined ? { tracePath } : {}),
  };
}

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

function renderList(io: Io, format: string): void {
  const models = listModels().map((m) => ({
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

function renderRun(io: Io, run: McRun): void {
  const r = run.result;
  const verdict =
    r.verdict === 'holds'
      ? paint(io, 'green', 'holds')
      : r.verdict === 'violated'
        ? paint(io, 'red', `violated: ${r.property ?? '?'}`)
        : paint(
            io,
            'yellow',
            r.incompleteReason === 'simulation'
              ? 'incomplete (random simulation found nothing; that proves nothing)'
              : `incomplete (${r.incompleteReason ?? 'bound'} reached)`,
          );
  const rate = r.seconds > 0 ? Math.round(r.states / r.seconds) : r.states;
  const lines = [
    `${run.entry.name} (${describeOptions(run.options)}): ${verdict}`,
    `  states ${r.states}  transitions ${r.transitions}  depth ${r.depth}  ` +
      `${r.seconds.toFixed(2)} s  ${rate} states/s  ${run.search}`,
    `  reductions: POR ${r.reductions.por ? 'on' : 'off'}, symmetry ${r.reductions.symmetry ? 'on' : 'off'}; ` +
      `fingerprint collision probability ${r.collisionProbability.toExponential(1)}`,
  ];
  lines.push(`  checked: ${run.properties.join(', ')}`);
  if (r.message !== undefined) lines.push(`  ${r.message}`);
  if (run.itf !== undefined) {
    const how = run.minimised ? 'minimised' : run.search === 'bfs' ? 'shortest' : 'as found';
    const where = run.tracePath !== undefined ? `, written to ${run.tracePath}` : '';
    lines.push(`  trace: ${run.itf.states.length - 1} steps (${how})${where}`, '');
    lines.push(renderText(run.itf).trimEnd());
  }
  io.out(lines.join('\n'));
}

export function registerMc(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('mc')
    .argument('[model]', 'model name (see --list)')
    .description(
      'model-check a protocol model: invariants, no lost wakeup (quiescence), liveness\n' +
        'Exit status: 0 holds; 1 violated, or incomplete (a --max-* bound was reached, so\n' +
        'nothing is proved); 2 could not run (unknown model, bug or bound).',
    )
    .option('--list', 'list models, their bounds and bug variants')
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
    .option('--liveness', "also check the model's eventual goal under weak fairness (BFS)")
    .option('--exact', 'store whole states instead of 64-bit fingerprints')
    .option('--no-minimise', 'keep a DFS counterexample as found')
    .option('--max-states <n>', 'stop after n states (verdict incomplete)')
    .option('--max-seconds <s>', 'stop after s seconds (verdict incomplete)')
    .option('--max-depth <n>', 'explore at most n steps deep (verdict incomplete if cut)')
    .option('--format <format>', 'text | json', 'text')
    .option('--out <dir>', 'directory for counterexample traces', 'out/mc')
    .option('--quiet', 'no progress line')
    .action((model: string | undefined, opts: Record<string, unknown>) => {
      const format = parseFormat(String(opts['format']), ['text', 'json']);
      if (opts['list'] === true) {
        renderList(io, format);
        setStatus(EXIT_OK);
        return;
      }
      if (model === undefined) throw new CliUsageError('sddf mc needs a MODEL (or --list)');
      const search = String(opts['search']);
      if (search !== 'bfs' && search !== 'dfs' && search !== 'random') {
        throw new CliUsageError(`--search must be bfs, dfs or random (got '${search}')`);
      }
      const mm = opts['memoryModel'];
      const mmProblem = mm === undefined ? null : memoryModelProblem(String(mm));
      if (mmProblem !== null) throw new CliUsageError(`--${mmProblem}`);
      const progress = io.progressTty && opts['quiet'] !== true;
      const run = runModelCheck({
        model,
        bounds: parseBounds(opts['bound'] as string[]),
        search,
        seed: parseIntOption('--seed', String(opts['seed'])),
        runs: Math.max(1, parseIntOption('--runs', String(opts['runs']))),
        por: opts['por'] !== false,
        symmetry: opts['symmetry'] !== false,
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
        ...(progress
          ? {
              onProgress: (p) =>
                process.stderr.write(
                  `\r${p.states} states  depth ${p.depth}  ${p.statesPerSecond} states/s  ` +
                    `${(p.memoryBytes / 2 ** 20).toFixed(0)} MiB  ${p.seconds.toFixed(1)} s `,
                ),
            }
          : {}),
      });
      if (progress) process.stderr.write('\r\u001b[K');
      const r = run.result;
      if (format === 'json') {
        printJson(io, {
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
          options: run.options,
          properties: run.properties,
          search: run.search,
          reductions: r.reductions,
          collisionProbability: r.collisionProbability,
          memoryBytes: r.memoryBytes,
        });
      } else {
        renderRun(io, run);
      }
      setStatus(r.verdict === 'holds' ? EXIT_OK : EXIT_FAILED);
    });
}
