// `sddf audit DIR/` (or several files): every `.system` file under the given paths, audited in one
// process (issue #10 part 7), so a CI job audits a whole repository in one call. Each file keeps
// its own outcome; one that cannot be read (missing, not XML, a C-preprocessor template) is an
// entry with its located diagnostics instead. The exit status is the worst file's.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import { outcomeFails, type AuditOutcome, type FailOn } from '../../spec/system/audit/outcome.ts';
import { assert } from '../../spec/common/assert.ts';
import { runAudit, type RunAuditOptions } from '../report/audit.ts';

/** One file of a corpus: audited, or unreadable (exit 2 on its own). */
export type CorpusEntry =
  | { readonly file: string; readonly outcome: AuditOutcome }
  | { readonly file: string; readonly unreadable: readonly Diagnostic[] };

/** Bounds on a directory walk (TIGER_STYLE: a limit on everything). */
export const CORPUS_MAX_FILES = 10_000;
export const CORPUS_MAX_DEPTH = 32;

/**
 * The `.system` files a list of paths names: a file as given; a directory walked (sorted, depth
 * and size bounded, dot-directories and node_modules skipped). A path that does not exist is kept,
 * so that it is reported as unreadable rather than dropped.
 */
export function systemFilesUnder(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > CORPUS_MAX_DEPTH || out.length >= CORPUS_MAX_FILES) return;
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const p = join(dir, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory() === true) walk(p, depth + 1);
      else if (st?.isFile() === true && name.endsWith('.system') && out.length < CORPUS_MAX_FILES) {
        out.push(p);
      }
    }
  };
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory() === true) walk(p, 0);
    else out.push(p);
  }
  assert(out.length <= CORPUS_MAX_FILES + paths.length, 'the walk is bounded');
  return out;
}

export function auditCorpus(
  paths: readonly string[],
  opts: Omit<RunAuditOptions, 'system' | 'rolesPath'> = {},
): CorpusEntry[] {
  return systemFilesUnder(paths).map((file): CorpusEntry => {
    const r = runAudit({ ...opts, system: file });
    return r.ok ? { file, outcome: r.outcome } : { file, unreadable: r.unreadable };
  });
}

/** The exit status of one entry: 2 unreadable, 1 failing (validation error or finding), 0 passing. */
export function entryExit(e: CorpusEntry, failOn: FailOn = 'error'): 0 | 1 | 2 {
  if ('unreadable' in e) return 2;
  return outcomeFails(e.outcome, failOn) ? 1 : 0;
}

/** The corpus's exit status: the worst of its files (an empty corpus cannot run: 2). */
export function corpusExit(entries: readonly CorpusEntry[], failOn: FailOn = 'error'): 0 | 1 | 2 {
  if (entries.length === 0) return 2;
  return entries.reduce<0 | 1 | 2>((worst, e) => {
    const x = entryExit(e, failOn);
    return x > worst ? x : worst;
  }, 0);
}
