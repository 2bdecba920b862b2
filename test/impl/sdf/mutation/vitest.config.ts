// Vitest config used only by the SDF mutation run (test/impl/sdf/mutation/stryker.json): the fast
// SDF tests, without the fuzzers, so that each mutant costs little.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../../', import.meta.url).pathname,
    include: [
      'test/impl/sdf/invalid.test.ts',
      'test/impl/sdf/parse.test.ts',
      'test/impl/sdf/number.test.ts',
      'test/impl/sdf/emit.test.ts',
      'test/impl/sdf/validate.test.ts',
    ],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
