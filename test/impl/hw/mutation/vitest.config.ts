// Vitest config used only by the device mutation run (stryker.json beside it): the device tests,
// without the slow full 2^16 wrap test (the near-wrap tests kill the same mutants).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/impl/hw/**/*.test.ts'],
    testNamePattern: '^(?!.*full 2\\^16).*$',
    testTimeout: 60_000,
  },
});
