// One model-checking run as a library call (`sddf mc`, the `sddf check` stage, a user's script):
// resolve a model (a built-in name or a user's ModelEntry), validate its options, build it, search
// (BFS, DFS or seeded random walks) and return the result with every property it checked.
// Bad input (unknown model, bug, bound, memory model) is a UserError with a stable code
// (spec/common/diagnostic.ts ERROR_CODES); the CLI renders it and exits 2. Counterexample
// minimisation and ITF traces are the traces layer's (api/mc.ts composes them).
import { UserError, type ErrorCode } from '../../spec/common/diagnostic.ts';
import type { TransitionSystem } from '../../spec/common/transition.ts';
import { boundsProblem } from '../models/common.ts';
import { findModel, listModels } from '../models/registry.ts';
import type { MemoryModel, ModelEntry, ModelOptions } from '../models/types.ts';
import { memoryModelProblem } from '../models/types.ts';
import {
  checkModel,
  NO_LOST_WAKEUP,
  type McResult,
  type Progress,
  type SearchOrder,
} from './engine.ts';
import { simulate, type SimulateOptions } from './simulate.ts';

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
  readonly entry: ModelEntry;
  readonly options: ModelOptions;
  readonly search: RunSearch;
  readonly ts: TransitionSystem;
  readonly result: McResult;
  /** Every property the run checked (invariants, the quiescence oracle, the liveness goal). */
  readonly properties: readonly string[];
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
    bounds: { ...entry.defaultBounds, ...(bug?.bounds ?? {}), ...(o.bounds ?? {}) },
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

/** Resolves, builds and searches. The trace, when there is one, is as the search found it. */
export function runModelCheck(o: ModelRunOptions): ModelRun {
  const { entry, options } = resolveModel(o);
  const ts = entry.build(options);
  const search = o.search ?? 'bfs';
  const properties = propertiesOf(ts, o.liveness === true);
  const result =
    search === 'random'
      ? simulate(ts, {
          seed: o.seed ?? 1,
          runs: o.runs ?? DEFAULT_RUNS,
          maxSteps: o.maxDepth ?? DEFAULT_RANDOM_STEPS,
          ...(o.onWalk !== undefined ? { onWalk: o.onWalk } : {}),
        })
      : checkModel(ts, {
          search,
          ...(o.por !== undefined ? { por: o.por } : {}),
          ...(o.symmetry !== undefined ? { symmetry: o.symmetry } : {}),
          ...(o.liveness !== undefined ? { liveness: o.liveness } : {}),
          ...(o.exact !== undefined ? { exact: o.exact } : {}),
          ...(o.checkHints !== undefined ? { checkHints: o.checkHints } : {}),
          ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}),
          ...(o.maxSeconds !== undefined ? { maxSeconds: o.maxSeconds } : {}),
          ...(o.maxDepth !== undefined ? { maxDepth: o.maxDepth } : {}),
          ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
        });
  return { entry, options, search, ts, result, properties };
}
