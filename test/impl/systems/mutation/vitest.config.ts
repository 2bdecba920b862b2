// Vitest config used only by the mutation run of the block, serial, timer and I²C components and
// drivers (stryker.json beside it; issue 13's acceptance): the systems' end-to-end tests, the
// handler-level refinement checks of each class and the CLI run of the block system. Each takes
// under a second, so every mutant runs the tests that reach it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../../', import.meta.url).pathname,
    include: [
      'test/impl/systems/{blk,serial,timer,i2c}/**/*.test.ts',
      'test/impl/components/{blk,serial,i2c}/**/*.test.ts',
      'test/impl/drivers/{blk,serial,timer,i2c}/**/*.test.ts',
      'test/traces/refinement/{blk,serial}/**/*.test.ts',
      'test/traces/refinement/timer-i2c.test.ts',
      'test/cli/commands/run-blk.test.ts',
    ],
    testTimeout: 60_000,
  },
});
