// `sddf replay` as a library call: read an ITF trace, rebuild the system it names (a built-in
// model, or the user's model module named in `#meta.module`, relative to the trace's folder),
// re-execute it step by step on that spec model, and say whether it still shows the violation its
// `#meta` names. `--on impl`: replay a net model's trace on the implemented components instead. Unreadable, binary, non-JSON or non-ITF files and traces naming an unknown model
// are UserErrors (exit 2 in the CLI).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '../spec/common/diagnostic.ts';
import { resolveModel } from '../proofs/mc/run.ts';
import type { MemoryModel, ModelEntry } from '../proofs/models/types.ts';
import { parseItf, type ItfTrace } from '../traces/itf.ts';
import { replayItf, showsViolation, type ReplayResult } from '../traces/replay.ts';
import { loadModelModule } from './model-module.ts';
import { itfStateVectors } from './itf-states.ts';
import { buildNetPipeline, echoEntry, netPipelineEntry } from '../proofs/models/net-pipeline.ts';
import { pipelinePds } from '../proofs/models/net-pipeline/pds.ts';
import { replayOnImpl, type ImplReplayResult } from '../traces/refinement/net/replay-impl.ts';
import { BLK_NO_IMPL, replayBlkTraceOnImpl } from './replay-blk.ts';
import {
  i2cImplReplayer,
  modelWalk,
  serialRxImplReplayer,
  serialTxImplReplayer,
  timerImplReplayer,
} from './replay-classes.ts';

export interface ReplayRun {
  readonly file: string;
  readonly itf: ItfTrace;
  readonly model: string;
  /** The model module the trace named, resolved (user models only). */
  readonly module?: string;
  readonly replay: ReplayResult;
  /** null: shows its violation (or claims none); else why it does not. */
  readonly violationCheck: string | null;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const why = (e as { code?: string }).code === 'ENOENT' ? 'no such file' : String(e);
    throw new UserError({ code: 'ITF', file, message: `cannot read the trace: ${why}` });
  }
}

/** Reads and validates an sddf-model trace (ITF with `#meta.model` and `#meta.options`). */
export function readSddfTrace(file: string): ItfTrace {
  const itf = parseItf(readText(file), file);
  const meta = itf['#meta'];
  if (meta === undefined || typeof meta.model !== 'string' || typeof meta.options !== 'object') {
    throw new UserError({
      code: 'ITF_META',
      file,
      message: 'at JSON path /#meta: needs model and options (not an sddf-model trace)',
    });
  }
  return itf;
}

/** Replays `file` on the spec model it names. */
export async function replayFile(file: string): Promise<ReplayRun> {
  const itf = readSddfTrace(file);
  const meta = itf['#meta']!;
  let model: string | ModelEntry = meta.model;
  let module: string | undefined;
  if (typeof meta.module === 'string') {
    module = isAbsolute(meta.module) ? meta.module : resolve(dirname(file), meta.module);
    model = await loadModelModule(module);
  }
  const { entry, options } = resolveModel({
    model,
    bounds: meta.options.bounds ?? {},
    memoryModel: (meta.options.memoryModel ?? 'sc') as MemoryModel,
    ...(meta.options.bug !== undefined ? { bug: meta.options.bug } : {}),
  });
  const ts = entry.build(options);
  const replay = replayItf(ts, itf);
  const violationCheck =
    replay.ok && meta.verdict === 'violated' && meta.property !== undefined
      ? showsViolation(ts, replay.trace, meta.property)
      : null;
  return {
    file,
    itf,
    model: entry.name,
    ...(module !== undefined ? { module } : {}),
    replay,
    violationCheck,
  };
}

/** `sddf replay --on impl`: the trace and what the implemented components made of it. */
export interface ImplReplayRun {
  readonly file: string;
  readonly itf: ItfTrace;
  readonly model: string;
  readonly result: ImplReplayResult;
}

/** The net models whose components have implementations to replay on. */
const IMPL_MODELS: Readonly<Record<string, ModelEntry>> = {
  'net-pipeline': netPipelineEntry,
  echo: echoEntry,
};

/**
 * Replays `file` (a trace of a net model) on the implemented virt_tx, virt_rx and copiers
 * (traces/refinement/net/replay-impl.ts). The trace's own states are used as written (a
 * hand-edited state is what the implementation is compared with), read by the model's layout.
 */
export function replayFileOnImpl(file: string): ImplReplayRun {
  return replayTraceOnImpl(readSddfTrace(file), file);
}

/**
 * Replays a trace of one model on the implemented components it specifies: `implBug` is the bug
 * switch the implementation runs with (undefined: the trace's own; null: none). A UserError for a
 * trace the replayer cannot take (memory model, bounds, a malformed state).
 */
export type ImplReplayer = (itf: ItfTrace, file: string, implBug?: string | null) => ImplReplayRun;

/**
 * The models whose traces `--on impl` replays, by model name: the net models here; each other
 * device class registers its own (issue 13 part 7).
 */
const IMPL_REPLAYERS: Readonly<Record<string, ImplReplayer>> = {
  'net-pipeline': replayNetTraceOnImpl,
  echo: replayNetTraceOnImpl,
  'blk-virt': replayBlkTraceOnImpl,
  timer: timerImplReplayer,
  i2c: i2cImplReplayer,
  'serial-tx': serialTxImplReplayer,
  'serial-rx': serialRxImplReplayer,
};

/** The model names `sddf replay --on impl` accepts. */
export function implReplayModels(): string[] {
  return Object.keys(IMPL_REPLAYERS);
}

function replayTraceOnImpl(itf: ItfTrace, file: string, implBug?: string | null): ImplReplayRun {
  const meta = itf['#meta']!;
  const replayer = IMPL_REPLAYERS[meta.model];
  if (replayer === undefined || typeof meta.module === 'string') {
    throw new UserError({
      code: 'ITF_META',
      file,
      message: `at JSON path /#meta/model: --on impl replays traces of ${implReplayModels().join(', ')}, not '${meta.model}'${BLK_NO_IMPL[meta.model] ?? ''}`,
    });
  }
  return replayer(itf, file, implBug);
}

function replayNetTraceOnImpl(itf: ItfTrace, file: string, implBug?: string | null): ImplReplayRun {
  const meta = itf['#meta']!;
  const entry = IMPL_MODELS[meta.model]!;
  const memoryModel = (meta.options.memoryModel ?? 'sc') as MemoryModel;
  if (memoryModel !== 'sc') {
    throw new UserError({
      code: 'ITF_META',
      file,
      message: `at JSON path /#meta/options/memoryModel: --on impl needs an sc trace (the implementation runs one handler at a time), not '${memoryModel}'`,
    });
  }
  const { options } = resolveModel({
    model: entry.name,
    bounds: meta.options.bounds ?? {},
    memoryModel,
    ...(meta.options.bug !== undefined ? { bug: meta.options.bug } : {}),
  });
  const built = buildNetPipeline(
    entry === echoEntry
      ? { ...options, bounds: { ...echoEntry.defaultBounds, ...options.bounds } }
      : options,
  );
  const { layout, cfg } = built.instance;
  const states = itfStateVectors(itf, layout, file);
  // Only the channel tables are read here; placement and passivity do not change them.
  const pds = pipelinePds(cfg, () => false, { passiveVirtRx: false, placement: 'one' });
  const channels = new Map(pds.map((p) => [p.name, p.channels]));
  const result = replayOnImpl({
    cfg,
    states,
    actions: itf.states.map((st) => String(st['#meta']?.action ?? '')),
    pdWords: (pd) => built.pdWords(pd),
    channels: (pd) => channels.get(pd) ?? {},
    ...(implBug === undefined
      ? meta.options.bug !== undefined
        ? { bug: meta.options.bug }
        : {}
      : implBug === null
        ? {}
        : { bug: implBug }),
  });
  return { file, itf, model: entry.name, result };
}

/**
 * A seeded random walk of a net model (`net-pipeline` or `echo`, sc), as an ITF trace: `modelWalk`
 * (api/replay-classes.ts) of that model. What `sddf replay --on impl` replays when no corpus trace
 * is at hand (tests, and `sddf replay --on impl --walks`).
 */
export function netModelWalk(o: {
  readonly model: 'net-pipeline' | 'echo';
  readonly bounds?: Readonly<Record<string, number>>;
  readonly seed: number;
  readonly maxSteps: number;
}): ItfTrace {
  return modelWalk(o);
}

/** `replayFileOnImpl` on a trace in memory (written to no file; `file` names it in errors). */
export function replayItfOnImpl(
  itf: ItfTrace,
  file = '(trace)',
  o: { readonly implBug?: string | null } = {},
): ImplReplayRun {
  return replayTraceOnImpl(itf, file, o.implBug);
}
