// Vitest config used only by the impl/mem mutation run (test/impl/mem/mutation/stryker.json): the
// memory tests, nothing else, so each mutant costs little (issue 12 part 7).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../../', import.meta.url).pathname,
    include: ['test/impl/mem/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
