// Loading a user's model module (`sddf mc --model FILE`, and `sddf replay` of its traces): the
// module's default export (or its export named `model`) is a ModelEntry (docs/writing-a-model.md).
// A module that cannot be found, does not load, or exports no entry is a UserError MC_MODULE
// naming the file; never a stack trace.
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../spec/common/diagnostic.ts';
import type { ModelEntry } from '../proofs/models/types.ts';
import { isSafeTraceName } from '../traces/corpus.ts';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

function moduleError(file: string, message: string): UserError {
  return new UserError({ code: 'MC_MODULE', file, message });
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').find((l) => l.trim() !== '') ?? text;
}

/**
 * Imports `abs`. The compiled `sddf` command runs without a TypeScript loader (docs/adr/001):
 * a `.ts` model is imported through tsx, registered only then. Under tsx or vitest the plain
 * import already works.
 */
async function importModule(abs: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(abs).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !TS_EXTENSIONS.has(extname(abs))) throw e;
  }
  const { register } = await import('tsx/esm/api');
  register();
  // The failed load stays cached under its URL: ask again under a new one.
  return (await import(`${url}?sddf-tsx`)) as Record<string, unknown>;
}

/** Why `x` is not a usable ModelEntry, or null. */
export function entryProblem(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return 'it is not an object';
  const e = x as Partial<Record<keyof ModelEntry, unknown>>;
  if (typeof e.name !== 'string' || !isSafeTraceName(e.name)) {
    return 'its name must be a word of letters, digits, ".", "_" or "-" (it names trace files)';
  }
  if (typeof e.description !== 'string') return 'it has no description (a string)';
  if (typeof e.build !== 'function') return 'it has no build(options) function';
  if (typeof e.defaultBounds !== 'object' || e.defaultBounds === null) {
    return 'it has no defaultBounds (an object of numbers, {} for none)';
  }
  const ranges = (e.boundRanges ?? {}) as Record<string, unknown>;
  const unranged = Object.keys(e.defaultBounds).filter((k) => ranges[k] === undefined);
  if (unranged.length > 0) {
    return `bound ${unranged.join(', ')} has no boundRanges entry ({min, max, doc})`;
  }
  if (!Array.isArray(e.bugs)) return 'it has no bugs list ([] for none)';
  for (const b of e.bugs as unknown[]) {
    const id = (b as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || !isSafeTraceName(id)) {
      return 'every bug variant needs an id made of letters, digits, ".", "_" or "-"';
    }
  }
  return null;
}

/** Loads the ModelEntry a module exports (default export, or `export const model`). */
export async function loadModelModule(file: string): Promise<ModelEntry> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw moduleError(file, 'cannot read the model module: no such file');
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(abs);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw moduleError(file, `the model module does not load: ${firstLine(e)}`);
  }
  const entry = mod['default'] ?? mod['model'];
  if (entry === undefined) {
    throw moduleError(
      file,
      'the module exports no model entry (export default a ModelEntry, see docs/writing-a-model.md)',
    );
  }
  const problem = entryProblem(entry);
  if (problem !== null)
    throw moduleError(file, `the exported model entry is not usable: ${problem}`);
  return entry as ModelEntry;
}
