// A temporary folder that is removed when the current test (or, outside a test, the file) ends.
// test/helpers/global-setup.ts fails the run if anything is left in the temp folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    afterAll(remove); // called at file level (not inside a test): remove after the file
  }
  return dir;
}
