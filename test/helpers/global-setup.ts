// Run once around the whole test run (vitest globalSetup).
// 1. Every test's temporary files go below one fresh folder (TMPDIR, inherited by the test
//    workers, so `os.tmpdir()` points into it); after the run the folder must be empty: a test
//    that leaves files behind fails the run, naming them. Then the folder is removed.
// 2. When the shared reference material is absent, say once which tests are skipped and why.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_AVAILABLE, SHARED_MISSING_REASON } from './shared.ts';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'sddf-test-'));
  const before = process.env['TMPDIR'];
  process.env['TMPDIR'] = root;
  if (!SHARED_AVAILABLE) {
    console.warn(`note: tests that use the real-file corpus are skipped: ${SHARED_MISSING_REASON}`);
  }
  return () => {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
    // tsx-<uid>: the compile cache of the TypeScript runner that worker threads boot with.
    const left = readdirSync(root).filter((f) => !/^tsx-\d+$/.test(f));
    rmSync(root, { recursive: true, force: true });
    if (left.length > 0) {
      // vitest reports an error thrown here but keeps its exit status, so set it too.
      process.exitCode = 1;
      throw new Error(`tests left temporary files behind (removed now): ${left.join(', ')}`);
    }
  };
}
