// The regression corpus (issue #3 part 5): one minimised counterexample per catalogue variant in
// traces/corpus/, named `<model>-<bug>.itf.json`. `sddf mc MODEL --bug ID --out traces/corpus`
// writes one; test/traces/corpus.test.ts replays every file and checks it still shows the
// violation its `#meta.property` names.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert } from '../spec/common/assert.ts';
import { itfToJson, parseItf, type ItfTrace } from './itf.ts';

/** traces/corpus/ of this checkout. */
export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/i;

/** True when `name` can be part of a trace file name (a model name or a bug id). */
export function isSafeTraceName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** `<model>[-<bug>].itf.json`: the file name `sddf mc` writes a counterexample to. */
export function traceFileName(model: string, bug?: string): string {
  assert(NAME_PATTERN.test(model), `model name '${model}' is not a safe file name`);
  assert(bug === undefined || NAME_PATTERN.test(bug), `bug id '${bug}' is not a safe file name`);
  return bug === undefined ? `${model}.itf.json` : `${model}-${bug}.itf.json`;
}

/** Writes `trace` to `dir/<model>[-<bug>].itf.json` and returns the path. */
export function writeTrace(dir: string, trace: ItfTrace): string {
  const meta = trace['#meta'];
  assert(meta !== undefined, 'a trace to store needs #meta (model, options)');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, traceFileName(meta.model, meta.options.bug));
  writeFileSync(path, itfToJson(trace));
  return path;
}

/** Every `.itf.json` file of a corpus directory, sorted. */
export function listTraceFiles(dir: string = CORPUS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.itf.json'))
    .sort()
    .map((f) => join(dir, f));
}

export function readTrace(path: string): ItfTrace {
  return parseItf(readFileSync(path, 'utf8'), path);
}
