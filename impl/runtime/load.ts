// The .system-file entry point: impl/sdf parses and validates, then the runtime plans. Parse errors
// and runtime planning errors come back as one list of located diagnostics.

import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { SystemModel } from '../../spec/system/model.ts';
import { parseSystemFile } from '../sdf/index.ts';
import { DeterministicRuntime, type DeterministicOptions } from './deterministic.ts';
import type { PlanOptions } from './plan.ts';

export function loadSystemModel(path: string): {
  model?: SystemModel;
  errors: readonly Diagnostic[];
} {
  const parsed = parseSystemFile(path);
  if (parsed.model === undefined) return { errors: parsed.errors };
  return { model: parsed.model, errors: [] };
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
