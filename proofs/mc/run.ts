// One model-checking run as a library call (`sddf mc`, the `sddf check` stage, a user's script):
// resolve a model (a built-in name or a user's ModelEntry), validate its options, build it, search
// (BFS, DFS or seeded random walks) and return the result with every property it checked.
// Bad input (unknown model, bug, bound, memory model) is a UserError with a stable code
// (spec/common/diagnostic.ts ERROR_CODES); the CLI renders it and exits 2. Counterexample
// minimisation and ITF traces are the traces layer's (api/mc.ts composes them).
import { UserError, type ErrorCode } from '../../spec/common/diagnostic.ts';
import type { TransitionSystem } from '../../spec/common/transition.ts';
import { boundsProblem, effectiveBounds } from '../models/common.ts';
import { findModel, listModels } from '../models/registry.ts';
import type { MemoryModel, ModelEntry, ModelOptions } from '../models/types.ts';
import { memoryModelProblem } from '../models/types.ts';
import { resolve } from 'node:path';
import {
  checkModel,
  NO_LOST_WAKEUP,
  type CheckOptions,
  type McResult,
  type Progress,
  type SearchOrder,
  type StoreMode,
} from './engine.ts';
import { guidedSystem, type GuideStats } from './guide.ts';
import { promiseFreeSystem } from './promise-free.ts';
import { checkModelParallel, MAX_WORKERS, parallelProblem, type ModelSource } from './parallel.ts';
import { simulate, type SimulateOptions } from './simulate.ts';
import { MAX_SHARDS, shardPlan, type ShardPlan, type ShardSpec } from './swarm.ts';
import { BITSTATE_MAX_BITS, BITSTATE_MIN_BITS, STORE_MODES } from './store.ts';

/** Random simulation defaults: walks, and steps per walk. */
export const DEFAULT_RUNS = 1000;
export const DEFAULT_RANDOM_STEPS = 1000;

export type RunSearch = SearchOrder | 'random';

/** Which model, at which options. */
export interface ModelChoice {
  /** A built-in model name (`sddf mc --list`) or a model entry of the user's own. */
  readonly model: string | ModelEntry;
  readonly bounds?: Readonly<Record<string, number>>;
  readonly memoryModel?: MemoryModel;
  readonly bug?: string;
}

export interface ModelRunOptions extends ModelChoice {
  /** bfs | dfs (exhaustive) or random (seeded walks: finds, never proves). Default bfs. */
  readonly search?: RunSearch;
  /** Seed of the first random walk (each walk's own seed is in the result). */
  readonly seed?: number;
  /** Random walks. */
  readonly runs?: number;
  readonly por?: boolean;
  readonly symmetry?: boolean;
  readonly liveness?: boolean;
  readonly exact?: boolean;
  /** How states are stored: exact | hash-compact (default) | bitstate (engine.ts, store.ts). */
  readonly mode?: StoreMode;
  /** Bitstate mode: log2 of the bit array's size in bits, and bits set per state. */
  readonly bitstateBits?: number;
  readonly bitstateHashes?: number;
  /** Seed of the fingerprint hashes, and of a random successor order (swarm shards). */
  readonly hashSeed?: number;
  readonly orderSeed?: number;
  /** Memory bound in bytes (default: half the machine's or container's memory, budget.ts). */
  readonly maxMemoryBytes?: number;
  /**
   * Worker threads of a parallel BFS (./parallel.ts); 1 (default) = the sequential search. The
   * workers build their own copies of the model: a built-in name, or a user's entry together
   * with the `modulePath` it was loaded from.
   */
  readonly workers?: number;
  /** The module file a user's model entry was loaded from (parallel workers load it too). */
  readonly modulePath?: string;
  /**
   * Run shard `index` of `count` of a swarm (./swarm.ts) seeded with `seed`: DFS with the shard's
   * own hash functions and successor order, bitstate storage unless `mode` says otherwise.
   */
  readonly shard?: ShardSpec;
  /**
   * Schedule-guided search (./guide.ts): only runs in which each PD takes these steps in this
   * order (action names; memory-system steps left out), then any. A violation is a run of the
   * model; otherwise the verdict is `incomplete` (reason `guided`), never `holds`.
   */
  readonly guide?: readonly string[];
  /**
   * false: search without Promising's `promise` steps (./promise-free.ts; ARMv8/RVWMO only). A
   * violation is a run of the model; otherwise the verdict is `incomplete` (reason
   * `promiseFree`), never `holds`.
   */
  readonly promises?: boolean;
  /** Check every partial-order hint of the model instead of trusting it (engine.ts). */
  readonly checkHints?: boolean;
  readonly maxStates?: number;
  /** Wall-clock bound: for interactive use only; `sddf check` never sets it (same input, same verdict). */
  readonly maxSeconds?: number;
  readonly maxDepth?: number;
  readonly onProgress?: (p: Progress) => void;
  /** Random search: each walk that found nothing, with its own seed (simulate.ts). */
  readonly onWalk?: SimulateOptions['onWalk'];
}

export interface ModelRun {
  /** A swarm shard: its index, the swarm's seed and how it searched. */
  readonly shard?: ShardSpec & { readonly seed: number } & ShardPlan;
  readonly entry: ModelEntry;
  readonly options: ModelOptions;
  readonly search: RunSearch;
  readonly ts: TransitionSystem;
  readonly result: McResult;
  /** Every property the run checked (invariants, the quiescence oracle, the liveness goal). */
  readonly properties: readonly string[];
  /** A guided run: the schedule's length and the branches the model's encoding could not hold. */
  readonly guide?: { readonly steps: number } & GuideStats;
}

function fail(code: ErrorCode, message: string): never {
  throw new UserError({ code, message });
}

/** The entry a choice names: a user's entry as given, a built-in one by name. */
export function findEntry(model: string | ModelEntry): ModelEntry {
  if (typeof model !== 'string') return model;
  const entry = findModel(model);
  if (entry === undefined) {
    const names = listModels().map((m) => m.name);
    fail('MC_MODEL', `unknown model '${model}' (models: ${names.join(', ')})`);
  }
  return entry;
}

/**
 * Checks a choice up front and returns the entry with the options it will be built with. Every
 * bound is checked (name, range, constraints between bounds), so bad input never reaches an
 * assert deep inside a build. A trace's `#meta.options` reaches here unchecked too (replay).
 */
export function resolveModel(o: ModelChoice): { entry: ModelEntry; options: ModelOptions } {
  const entry = findEntry(o.model);
  const unranged = Object.keys(entry.defaultBounds).filter((k) => !entry.boundRanges?.[k]);
  if (unranged.length > 0) {
    fail(
      'MC_MODULE',
      `model ${entry.name} gives no range for bound ${unranged.join(', ')} ` +
        '(every key of defaultBounds needs a boundRanges entry: {min, max, doc})',
    );
  }
  // A trace's `#meta.options` reaches here unchecked too (sddf replay).
  const mmProblem = o.memoryModel === undefined ? null : memoryModelProblem(String(o.memoryModel));
  if (mmProblem !== null) fail('MC_MEMORY_MODEL', mmProblem);
  const allowed = entry.memoryModels;
  if (o.memoryModel !== undefined && allowed !== undefined && !allowed.includes(o.memoryModel)) {
    fail(
      'MC_MEMORY_MODEL',
      `model ${entry.name} runs under ${allowed.join(', ')} only (got '${o.memoryModel}')`,
    );
  }
  const problem = boundsProblem(entry, { ...entry.defaultBounds, ...(o.bounds ?? {}) });
  if (problem !== null) fail('MC_BOUND', problem);
  const bug = o.bug === undefined ? undefined : entry.bugs.find((b) => b.id === o.bug);
  if (o.bug !== undefined && bug === undefined) {
    const ids = entry.bugs.map((b) => b.id).join(', ') || 'none';
    fail('MC_BUG', `model ${entry.name} has no bug variant '${o.bug}' (variants: ${ids})`);
  }
  // The variant's own small bounds are part of the options, so what is printed and written to
  // `#meta.options` is what was checked (the model applies the same bounds again: no change).
  const options: ModelOptions = {
    memoryModel: o.memoryModel ?? bug?.memoryModel ?? 'sc',
    bounds: effectiveBounds(o.bounds ?? {}, entry.defaultBounds, bug?.bounds ?? {}),
    ...(o.bug !== undefined ? { bug: o.bug } : {}),
  };
  return { entry, options };
}

/** The properties a run of `ts` checks, by the names its verdict would report. */
export function propertiesOf(ts: TransitionSystem, liveness: boolean): string[] {
  return [
    ...ts.invariants.map((i) => i.name),
    ...(ts.quiescentViolation !== undefined ? [NO_LOST_WAKEUP] : []),
    ...(liveness && ts.goal !== undefined
      ? [`${ts.goalName ?? 'eventually-goal'} (liveness, weak fairness)`]
      : []),
  ];
}

/** Search options that are not about the model: a usage error, before anything is built. */
function checkSearchOptions(o: ModelRunOptions): void {
  if (o.mode !== undefined && !STORE_MODES.includes(o.mode)) {
    fail(
      'USAGE',
      `storage mode must be one of ${STORE_MODES.join(', ')} (got '${String(o.mode)}')`,
    );
  }
  if (o.liveness === true && (o.mode ?? 'exact') !== 'exact') {
    fail('USAGE', `liveness walks the stored graph, so it needs storage exact (got ${o.mode})`);
  }
  const bits = o.bitstateBits;
  if (
    bits !== undefined &&
    !(Number.isInteger(bits) && bits >= BITSTATE_MIN_BITS && bits <= BITSTATE_MAX_BITS)
  ) {
    fail(
      'USAGE',
      `bitstate bits must be ${BITSTATE_MIN_BITS}..${BITSTATE_MAX_BITS} (2^n bits; got ${bits})`,
    );
  }
  if (o.shard !== undefined) {
    const { index, count } = o.shard;
    if (!(
      Number.isInteger(index) &&
      Number.isInteger(count) &&
      index >= 1 &&
      index <= count &&
      count <= MAX_SHARDS
    )) {
      fail('USAGE', `a shard is i/N with 1 <= i <= N <= ${MAX_SHARDS} (got ${index}/${count})`);
    }
    if (o.search === 'random')
      fail('USAGE', 'a swarm shard is a depth-first search, not random walks');
    if (o.liveness === true) fail('USAGE', 'a swarm shard checks safety only (no liveness)');
    if ((o.workers ?? 1) > 1)
      fail('USAGE', 'a swarm shard runs in one thread (shards are the parallelism)');
  }
  const workers = o.workers ?? 1;
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= MAX_WORKERS)) {
    fail('USAGE', `workers must be 1..${MAX_WORKERS} (got ${workers})`);
  }
  if (workers > 1) {
    if (o.search === 'random') fail('USAGE', 'random walks run in one thread (no --workers)');
    const problem = parallelProblem({
      search: o.search ?? 'bfs',
      ...(o.liveness !== undefined ? { liveness: o.liveness } : {}),
      ...(o.checkHints !== undefined ? { checkHints: o.checkHints } : {}),
      ...(o.exact !== undefined ? { exact: o.exact } : {}),
      ...(o.mode !== undefined ? { mode: o.mode } : {}),
      ...(o.orderSeed !== undefined ? { orderSeed: o.orderSeed } : {}),
    });
    if (problem !== null) fail('USAGE', `--workers ${workers}: ${problem}`);
    if (typeof o.model !== 'string' && o.modulePath === undefined) {
      fail('USAGE', 'a parallel search needs a built-in model name or a model module file');
    }
  }
  if (o.guide !== undefined) {
    if (o.search === 'random') fail('USAGE', 'a guided search is BFS or DFS, not random walks');
    if ((o.workers ?? 1) > 1) fail('USAGE', 'a guided search runs in one thread (no --workers)');
    if (o.shard !== undefined) fail('USAGE', 'a guided search is not a swarm shard');
    if (o.liveness === true) fail('USAGE', 'a guided search checks safety only (no liveness)');
    if (o.guide.length === 0) fail('MC_GUIDE', 'the guide has no steps');
  }
  if (o.promises === false && (o.workers ?? 1) > 1) {
    // The workers build the model from its name and would have the promises back.
    fail('USAGE', 'a promise-free search runs in one thread (no --workers)');
  }
  const mem = o.maxMemoryBytes;
  if (mem !== undefined && !(Number.isSafeInteger(mem) && mem > 0)) {
    fail('USAGE', `the memory bound must be a positive number of bytes (got ${mem})`);
  }
}

/** How parallel workers find the model of a run. */
function sourceOf(o: ModelRunOptions): ModelSource {
  if (typeof o.model === 'string') return { kind: 'builtin', name: o.model };
  return { kind: 'module', path: resolve(o.modulePath!) };
}

/** Resolves, builds and searches. The trace, when there is one, is as the search found it. */
export function runModelCheck(o: ModelRunOptions): ModelRun {
  checkSearchOptions(o);
  const { entry, options } = resolveModel(o);
  const guideStats: GuideStats = { cut: 0 };
  const full = entry.build(options);
  const built = o.promises === false ? promiseFreeSystem(full, options.memoryModel) : full;
  const ts = o.guide === undefined ? built : guidedSystem(built, o.guide, guideStats);
  const seed = o.seed ?? 1;
  const plan =
    o.shard === undefined
      ? undefined
      : shardPlan(o.shard, seed, o.exact === true ? 'exact' : o.mode);
  const search = plan?.search ?? o.search ?? 'bfs';
  const properties = propertiesOf(ts, o.liveness === true);
  const checkOptions: CheckOptions = {
    search: search === 'random' ? 'bfs' : search,
    ...(o.por !== undefined ? { por: o.por } : {}),
    ...(o.symmetry !== undefined ? { symmetry: o.symmetry } : {}),
    ...(o.liveness !== undefined ? { liveness: o.liveness } : {}),
    ...(o.exact !== undefined ? { exact: o.exact } : {}),
    ...(o.mode !== undefined ? { mode: o.mode } : {}),
    ...(o.bitstateBits !== undefined ? { bitstateBits: o.bitstateBits } : {}),
    ...(o.bitstateHashes !== undefined ? { bitstateHashes: o.bitstateHashes } : {}),
    ...(o.hashSeed !== undefined ? { hashSeed: o.hashSeed } : {}),
    ...(o.orderSeed !== undefined ? { orderSeed: o.orderSeed } : {}),
    ...(o.maxMemoryBytes !== undefined ? { maxMemoryBytes: o.maxMemoryBytes } : {}),
    ...(o.checkHints !== undefined ? { checkHints: o.checkHints } : {}),
    ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}),
    ...(o.maxSeconds !== undefined ? { maxSeconds: o.maxSeconds } : {}),
    ...(o.maxDepth !== undefined ? { maxDepth: o.maxDepth } : {}),
    ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
    // A swarm shard's plan decides storage, hash functions and successor order.
    ...(plan !== undefined
      ? {
          exact: plan.mode === 'exact',
          mode: plan.mode,
          hashSeed: plan.hashSeed,
          ...(plan.orderSeed !== undefined ? { orderSeed: plan.orderSeed } : {}),
        }
      : {}),
  };
  const workers = o.workers ?? 1;
  const searched =
    search === 'random'
      ? simulate(ts, {
          seed: o.seed ?? 1,
          runs: o.runs ?? DEFAULT_RUNS,
          maxSteps: o.maxDepth ?? DEFAULT_RANDOM_STEPS,
          ...(o.onWalk !== undefined ? { onWalk: o.onWalk } : {}),
        })
      : workers > 1
        ? checkModelParallel(ts, sourceOf(o), options, { ...checkOptions, workers })
        : checkModel(ts, checkOptions);
  // A guided or promise-free search saw a subset of the runs: finding nothing there proves nothing.
  const result: McResult =
    searched.verdict !== 'holds'
      ? searched
      : o.guide !== undefined
        ? { ...searched, verdict: 'incomplete', incompleteReason: 'guided' }
        : o.promises === false
          ? { ...searched, verdict: 'incomplete', incompleteReason: 'promiseFree' }
          : searched;
  return {
    ...(plan !== undefined ? { shard: { ...o.shard!, seed, ...plan } } : {}),
    entry,
    options,
    search,
    ts,
    result,
    properties,
    ...(o.guide !== undefined ? { guide: { steps: o.guide.length, ...guideStats } } : {}),
  };
}
