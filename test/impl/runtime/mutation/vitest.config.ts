// Vitest config used only by the impl/runtime mutation run (stryker.json beside it; issue 12 part
// 7): the runtime's own tests on the deterministic scheduler. Not mutated, and their tests left
// out: parallel.ts, worker-entry.ts, ts-worker.ts and worker-protocol.ts run in worker threads
// (Stryker's instrumented code and its per-test coverage do not reach a worker), and hosted.ts
// places devices in those workers; api.ts and index.ts hold only types and re-exports.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../../', import.meta.url).pathname,
    include: ['test/impl/runtime/**/*.test.ts'],
    exclude: ['test/impl/runtime/parallel.test.ts', 'test/impl/runtime/worker-protocol.test.ts'],
    testTimeout: 60_000,
  },
});
