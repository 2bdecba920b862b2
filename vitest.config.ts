import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // forks: z3-solver (WASM + pthreads) and worker_threads tests behave best in child processes.
    pool: 'forks',
    // One fork per core. Vitest's default leaves a core to its main process, which only collects
    // results: on the 2-core CI machine that ran the suite on one core (246 s against 173 s).
    maxWorkers: availableParallelism(),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
