// Where the shared reference material is: one setting, `SDDF_SHARED` (a path), default `../shared`
// beside the repository root (a fresh clone in CI has shared/ next to it, as the development
// checkout does). A user's machine may have none: tests that need the real-file corpus use
// `describeShared`, which skips them with the reason printed once by test/helpers/global-setup.ts.
// `.ci/run` refuses to run without it, so CI never skips them. Never an absolute path.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';

export const REPO_ROOT = join(import.meta.dirname, '../..');
export const SHARED_DIR = resolve(REPO_ROOT, process.env['SDDF_SHARED'] ?? '../shared');
export const SHARED_SDF_FIXTURES = join(SHARED_DIR, 'fixtures/sdf');
export const SHARED_AVAILABLE = existsSync(SHARED_SDF_FIXTURES);
export const SHARED_MISSING_REASON = `the shared reference material is not at ${SHARED_DIR} (set SDDF_SHARED to its path)`;

/**
 * `describe` for tests that read the shared real-file corpus. When it is absent the body is not
 * run at all (it may read fixtures while collecting) and one skipped test carries the reason.
 */
export function describeShared(name: string, body: () => void): void {
  if (SHARED_AVAILABLE) describe(name, body);
  else describe.skip(name, () => it.skip(`needs the shared corpus: ${SHARED_MISSING_REASON}`));
}

/** `it` for one test that reads the shared real-file corpus: skipped when it is absent. */
export const itShared = it.skipIf(!SHARED_AVAILABLE);
