// `sddf replay` as a library call: read an ITF trace, rebuild the system it names (a built-in
// model, or the user's model module named in `#meta.module`, relative to the trace's folder),
// re-execute it step by step on that spec model, and say whether it still shows the violation its
// `#meta` names. Unreadable, binary, non-JSON or non-ITF files and traces naming an unknown model
// are UserErrors (exit 2 in the CLI).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '../spec/common/diagnostic.ts';
import { resolveModel } from '../proofs/mc/run.ts';
import type { MemoryModel, ModelEntry } from '../proofs/models/types.ts';
import { parseItf, type ItfTrace } from '../traces/itf.ts';
import { replayItf, showsViolation, type ReplayResult } from '../traces/replay.ts';
import { loadModelModule } from './model-module.ts';

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
