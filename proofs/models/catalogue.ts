// The seeded-bug catalogue run (sddf-bug-catalogue.md; `sddf mutants`): every variant of every
// model must be detected by the property it names, with a trace, and the same model without the
// bug, at the same bounds and memory model, must hold. A bounded run that hits its bound is
// `incomplete`: it counts as neither detected nor holding.
import { checkModel, type McResult } from '../mc/engine.ts';
import type { TransitionSystem } from '../../spec/common/transition.ts';
import {
  listModels,
  type BugVariant,
  type MemoryModel,
  type ModelEntry,
  type ModelOptions,
} from './registry.ts';

/**
 * Per-run bound, in states only: a verdict must not depend on the speed of the machine (a wall
 * clock made a slow, loaded box report `incomplete` where a fast one reported `detected`). Every
 * variant and baseline of the catalogue needs far fewer states; one that hits the bound is
 * `incomplete`, which counts as neither detected nor holding.
 */
export const CATALOGUE_MAX_STATES = 1_500_000;

export interface MutantOutcome {
  readonly id: string;
  readonly model: string;
  /** The variant as catalogued: description, upstream source, what is modelled. */
  readonly variant: BugVariant;
  readonly expected: string;
  readonly detected: boolean;
  /** The property that reported the violation (or the verdict when none did). */
  readonly by: string;
  readonly message?: string;
  readonly traceLength?: number;
  readonly states: number;
  readonly seconds: number;
  readonly trace?: McResult['trace'];
  readonly ts: TransitionSystem;
  /** What rebuilds the same system (ITF `#meta.options`, replay). */
  readonly options: ModelOptions;
}

export interface BaselineOutcome {
  readonly model: string;
  readonly memoryModel: MemoryModel;
  readonly bounds: Readonly<Record<string, number>>;
  readonly holds: boolean;
  readonly verdict: string;
  readonly message?: string;
  readonly states: number;
  readonly seconds: number;
}

export interface CatalogueReport {
  readonly ok: boolean;
  readonly mutants: readonly MutantOutcome[];
  readonly baselines: readonly BaselineOutcome[];
}

export interface CatalogueOptions {
  /** Only these variant ids (default: all). */
  readonly only?: readonly string[];
  readonly onResult?: (line: string) => void;
}

function run(ts: TransitionSystem): McResult {
  return checkModel(ts, { search: 'bfs', maxStates: CATALOGUE_MAX_STATES });
}

function baseline(
  model: ModelEntry,
  memoryModel: MemoryModel,
  bounds: Readonly<Record<string, number>>,
): BaselineOutcome {
  const r = run(model.build({ memoryModel, bounds: { ...model.defaultBounds, ...bounds } }));
  return {
    model: model.name,
    memoryModel,
    bounds,
    holds: r.verdict === 'holds',
    verdict: r.verdict,
    ...(r.message !== undefined ? { message: `${r.property ?? ''}: ${r.message}` } : {}),
    states: r.states,
    seconds: r.seconds,
  };
}

function mutant(model: ModelEntry, v: BugVariant): MutantOutcome {
  const options: ModelOptions = {
    bug: v.id,
    memoryModel: v.memoryModel ?? 'sc',
    bounds: { ...model.defaultBounds, ...(v.bounds ?? {}) },
  };
  const ts = model.build(options);
  const r = run(ts);
  const detected =
    r.verdict === 'violated' && r.trace !== undefined && r.property === v.expectedProperty;
  return {
    id: v.id,
    model: model.name,
    variant: v,
    expected: v.expectedProperty,
    detected,
    by: r.verdict === 'violated' ? (r.property ?? 'unknown') : r.verdict,
    ...(r.message !== undefined ? { message: r.message } : {}),
    ...(r.trace !== undefined ? { traceLength: r.trace.actions.length, trace: r.trace } : {}),
    states: r.states,
    seconds: r.seconds,
    ts,
    options,
  };
}

export function runCatalogue(opts: CatalogueOptions = {}): CatalogueReport {
  const mutants: MutantOutcome[] = [];
  const baselines: BaselineOutcome[] = [];
  const seen = new Set<string>();
  const addBaseline = (
    m: ModelEntry,
    mm: MemoryModel,
    bounds: Readonly<Record<string, number>>,
  ) => {
    const key = `${m.name} ${mm} ${JSON.stringify(bounds)}`;
    if (seen.has(key)) return;
    seen.add(key);
    const b = baseline(m, mm, bounds);
    opts.onResult?.(
      `baseline ${m.name} ${mm} ${JSON.stringify(bounds)}: ${b.verdict} (${b.states} states)`,
    );
    baselines.push(b);
  };
  for (const m of listModels()) {
    if (m.bugs.length === 0 && opts.only !== undefined) continue;
    if (m.name !== 'spsc' || m.bugs.length > 0) addBaseline(m, 'sc', {});
    for (const v of m.bugs) {
      if (opts.only !== undefined && !opts.only.includes(v.id)) continue;
      const o = mutant(m, v);
      opts.onResult?.(
        `${v.id} (${m.name}): ${o.detected ? 'detected' : 'NOT detected'} by ${o.by}`,
      );
      mutants.push(o);
      // The same configuration without the bug must hold, or detection means nothing. A variant
      // that needs weak memory is compared with its fixed bounds (e.g. fences) under that memory
      // model when it names them; otherwise under SC (a model whose weak mode *is* the bug).
      const mm = v.fixedBounds !== undefined ? (v.memoryModel ?? 'sc') : 'sc';
      addBaseline(m, mm, { ...(v.bounds ?? {}), ...(v.fixedBounds ?? {}) });
    }
  }
  const ok = mutants.every((m) => m.detected) && baselines.every((b) => b.holds);
  return { ok, mutants, baselines };
}
