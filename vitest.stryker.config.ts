// Vitest config used only by Stryker (stryker.config.json): the queue tests, nothing else, so a
// mutation run stays fast. The two-worker test is left out: its workers load modules from disk
// and never see Stryker's active mutant, so it could only cost time, never kill a mutant.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/spec/queue/**/*.test.ts',
      'test/spec/signal/**/*.test.ts',
      'test/impl/queue/**/*.test.ts',
      'test/traces/refinement/**/*.test.ts',
    ],
    exclude: ['test/impl/queue/two-workers.test.ts'],
    testTimeout: 60_000,
  },
});
