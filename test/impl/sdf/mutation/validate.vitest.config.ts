// Vitest config of the validate.ts mutation run (validate.stryker.json beside it, issue 12 part
// 7): the SDF tests of stryker.json's run plus the whole-system rule properties against the
// brute-force oracle (rules.property.test.ts) and the Microkit conformance and release tests.
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
      'test/impl/sdf/rules.property.test.ts',
      'test/impl/sdf/validate-edges.test.ts',
      'test/impl/sdf/microkit-conformance.test.ts',
      'test/impl/sdf/releases.test.ts',
    ],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
