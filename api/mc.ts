// `sddf mc` as a library call: a model-checking run (proofs/mc/run.ts), its counterexample
// minimised (traces/minimise.ts: BFS traces are already shortest, DFS and random ones shrink by
// ddmin) and written as ITF (traces/itf.ts) naming the model, its options, and the module of a
// user's model, so that `sddf replay` rebuilds the same system.
import { relative, resolve, sep } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  resolveModel,
  runModelCheck,
  type ModelRun,
  type ModelRunOptions,
} from '../proofs/mc/run.ts';
import type { State, TransitionSystem } from '../spec/common/transition.ts';
import { UserError } from '../spec/common/diagnostic.ts';
import { isSafeTraceName, writeTrace } from '../traces/corpus.ts';
import { itfToJson, parseItf, toItfTrace, type ItfTrace } from '../traces/itf.ts';
import { scheduleOf } from '../proofs/mc/guide.ts';
import { minimise } from '../traces/minimise.ts';

export { loadModelModule } from './model-module.ts';

export interface McRequest extends ModelRunOptions {
  /** Shrink the counterexample by ddmin (default: for DFS and random search, not BFS). */
  readonly minimise?: boolean;
  /** Where the counterexample is written (`<model>[-<bug>].itf.json`); undefined: not written. */
  readonly outDir?: string;
  /** The file a user's model entry was loaded from; the trace names it (ITF `#meta.module`). */
  readonly modulePath?: string;
  /**
   * Random search: write the first n walks that found nothing as ITF traces to `outDir`
   * (`<model>-walk-<walkSeed>.itf.json`, verdict `walk`): traces of the unmodified model, for
   * `sddf replay` (`--on impl` for the net models).
   */
  readonly writeWalks?: number;
  /**
   * An ITF trace of the same model (any memory model, e.g. its TSO counterexample) whose
   * schedule guides the search (proofs/mc/guide.ts; `sddf mc --guide FILE`).
   */
  readonly guideFile?: string;
  /**
   * Promise steps added to the guide: `PD@K` makes PD promise right after step K of the guide
   * trace (its `#meta.index`; 0 = before the first step). `sddf mc --guide-promise PD@K`.
   */
  readonly guidePromises?: readonly string[];
}

export interface McRun extends ModelRun {
  /** The walk traces written (`writeWalks`). */
  readonly walkPaths?: readonly string[];
  readonly minimised: boolean;
  readonly itf?: ItfTrace;
  readonly tracePath?: string;
}

/**
 * How a trace names its module: relative to the folder the trace is written to when both are
 * inside the working directory (a project's traces move with the project), else absolute.
 */
function moduleRef(modulePath: string, outDir: string | undefined): string {
  const abs = resolve(modulePath);
  if (outDir === undefined) return abs;
  const out = resolve(outDir);
  const inside = (p: string): boolean => !relative(process.cwd(), p).startsWith('..');
  if (!inside(abs) || !inside(out)) return abs;
  return relative(out, abs).split(sep).join('/');
}

/**
 * The schedule of a guide trace: its steps' action names without the memory-system steps. The
 * trace must come from the model being checked (its `#meta.model`); bad files are UserErrors.
 */
export function loadGuide(file: string, model: string, promises: readonly string[] = []): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError({
      code: 'ITF',
      message: `cannot read the guide trace: ${(e as Error).message}`,
      file,
    });
  }
  const itf = parseItf(text, file);
  const from = itf['#meta']?.model;
  if (from !== model) {
    throw new UserError({
      code: 'MC_GUIDE',
      message: `the guide trace is of model '${from ?? '(none)'}', not '${model}'`,
      file,
    });
  }
  const names = itf.states.slice(1).map((st, k) => {
    const a = st['#meta']?.action;
    if (a === undefined) {
      throw new UserError({
        code: 'MC_GUIDE',
        message: `state ${k + 1} of the guide trace names no action (#meta.action)`,
        file,
      });
    }
    return a;
  });
  // Insert from the last position back, so that each K still counts the trace's own steps.
  const inserts = promises.map((p) => guidePromiseOf(p, names.length, file));
  inserts.sort((x, y) => y.after - x.after);
  for (const { pd, after } of inserts) names.splice(after, 0, `${pd}.promise`);
  return scheduleOf(names);
}

/** `PD@K` of `--guide-promise`: PD promises after step K (0..steps) of the guide trace. */
function guidePromiseOf(text: string, steps: number, file: string): { pd: string; after: number } {
  const m = /^([A-Za-z_][\w.-]*)@(\d+)$/.exec(text);
  const after = m === null ? NaN : Number(m[2]);
  if (m === null || !Number.isSafeInteger(after) || after > steps) {
    throw new UserError({
      code: 'USAGE',
      message: `--guide-promise '${text}': expected PD@K with K a step of the guide (0..${steps})`,
      file,
    });
  }
  return { pd: m[1]!, after };
}

/** Checks, minimises and writes the counterexample as ITF when there is one. */
export function modelCheck(req: McRequest): McRun {
  const walks = req.writeWalks ?? 0;
  const walkPaths: string[] = [];
  if (walks > 0 && (req.search !== 'random' || req.outDir === undefined)) {
    throw new UserError({
      code: 'USAGE',
      message: 'writing walks needs --search random and an output directory',
    });
  }
  // The options the run resolves to, as every trace of it records them.
  const traceOptions = walks > 0 ? resolveModel(req).options : { memoryModel: 'sc', bounds: {} };
  const guide =
    req.guideFile === undefined
      ? undefined
      : loadGuide(req.guideFile, resolveModel(req).entry.name, req.guidePromises);
  const run = runModelCheck({
    ...req,
    ...(guide !== undefined ? { guide } : {}),
    ...(walks > 0
      ? {
          onWalk: (
            walk: { states: State[]; actions: number[] },
            walkSeed: number,
            ts: TransitionSystem,
          ) => {
            if (walkPaths.length >= walks) return;
            const itf = toItfTrace(ts, walk, {
              options: traceOptions,
              verdict: 'walk',
              search: 'random',
              seed: walkSeed,
              ...(req.modulePath !== undefined
                ? { module: moduleRef(req.modulePath, req.outDir) }
                : {}),
            });
            mkdirSync(req.outDir!, { recursive: true });
            const path = join(req.outDir!, `${ts.name}-walk-${walkSeed}.itf.json`);
            writeFileSync(path, itfToJson(itf));
            walkPaths.push(path);
          },
        }
      : {}),
  });
  const { ts, result, search } = run;
  if (result.verdict !== 'violated' || result.trace === undefined) {
    return { ...run, minimised: false, ...(walks > 0 ? { walkPaths } : {}) };
  }
  let trace = result.trace;
  let minimised = false;
  if ((req.minimise ?? search !== 'bfs') && trace.loop === undefined && result.property) {
    const shorter = minimise(ts, trace, result.property).trace;
    trace = { states: [...shorter.states], actions: [...shorter.actions] };
    minimised = true;
  }
  const itf = toItfTrace(ts, trace, {
    options: run.options,
    verdict: result.verdict,
    search,
    minimised,
    ...(result.property !== undefined ? { property: result.property } : {}),
    ...(result.message !== undefined ? { message: result.message } : {}),
    ...(req.modulePath !== undefined ? { module: moduleRef(req.modulePath, req.outDir) } : {}),
    ...(search === 'random' && result.walkSeed !== undefined ? { seed: result.walkSeed } : {}),
  });
  if (req.outDir !== undefined && !isSafeTraceName(ts.name)) {
    throw new UserError({
      code: 'MC_MODULE',
      message: `model name '${ts.name}' cannot name a trace file (letters, digits, ".", "_", "-")`,
    });
  }
  const tracePath = req.outDir !== undefined ? writeTrace(req.outDir, itf) : undefined;
  return {
    ...run,
    result: { ...result, trace },
    itf,
    minimised,
    ...(tracePath !== undefined ? { tracePath } : {}),
  };
}
