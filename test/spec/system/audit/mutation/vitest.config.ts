// Vitest config used only by the auditor-rules mutation run (stryker.json beside it): the tests
// that assert findings (unit rules, acceptance on the fixtures, facts), without the fuzzer and
// the renderers, which check shape rather than verdicts and would only cost time per mutant.
// Stryker copies the repository into a sandbox: run it with SDDF_SHARED set to the shared
// corpus's absolute path, or the fixture tests are skipped (test/helpers/shared.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../../../', import.meta.url).pathname,
    include: [
      'test/spec/system/audit/rules.test.ts',
      'test/spec/system/audit/rules-edges.test.ts',
      'test/spec/system/audit/acceptance.test.ts',
      'test/spec/system/audit/facts.test.ts',
    ],
    testTimeout: 60_000,
  },
});
