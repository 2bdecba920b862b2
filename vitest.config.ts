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
    // One module graph per fork, not per file: no test file mocks modules, stubs globals or keeps
    // state in a module that another file reads (checked when this was set), and re-importing
    // the spec, the engine and the runtime for each of ~250 files cost a fifth of the suite's
    // CPU time (user+sys 303 s → 238 s, issue #8: npm test ≤ 2.5 min on 2 cores).
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
