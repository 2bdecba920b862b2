// The .system-file entry point: impl/sdf parses and validates, then the runtime plans. Parse errors
// and runtime planning errors come back as one list of located diagnostics.

import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { SystemModel } from '../../spec/system/model.ts';
import { readFileSync } from 'node:fs';
import { parseSystem, parseSystemFile } from '../sdf/index.ts';
import { DeterministicRuntime, type DeterministicOptions } from './deterministic.ts';
import type { PlanOptions } from './plan.ts';

type Loaded = { model?: SystemModel; errors: readonly Diagnostic[] };

/**
 * The last file parsed, by path and text. `sddf run FILE` asks several questions of one file
 * (block? timer or I²C? serial? the echo server?) before it runs it; each used to parse it again.
 * The text is read every time, so an edited file is parsed afresh; the model is read-only.
 */
let last: { path: string; text: string; loaded: Loaded } | undefined;

export function loadSystemModel(path: string): Loaded {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    const parsed = parseSystemFile(path); // says why it cannot be read, located
    return { errors: parsed.errors };
  }
  if (last !== undefined && last.path === path && last.text === text) return last.loaded;
  const parsed = parseSystem(text, { file: path });
  const loaded: Loaded =
    parsed.model === undefined ? { errors: parsed.errors } : { model: parsed.model, errors: [] };
  last = { path, text, loaded };
  return loaded;
}

/** Parse `path` and build a deterministic runtime for it. */
export function deterministicFromFile(
  path: string,
  options: PlanOptions & DeterministicOptions,
): { runtime?: DeterministicRuntime; errors: readonly Diagnostic[] } {
  const { model, errors } = loadSystemModel(path);
  if (model === undefined) return { errors };
  return DeterministicRuntime.create(model, options);
}
