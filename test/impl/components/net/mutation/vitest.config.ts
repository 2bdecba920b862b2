// Vitest config used only by the net components + net driver mutation run (stryker.json beside
// it; issue 9 acceptance, issue 12 part 7): the handler tests of test/impl/components/net and
// test/impl/drivers/net, nothing else. The whole-system runs (test/impl/systems, and the ENET echo
// server of test/impl/drivers/net/imx-system.test.ts) exercise the same code through the runtime
// but cost seconds per mutant; the worker-thread tests cannot run under Stryker's instrumentation
// at all.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../../../', import.meta.url).pathname,
    include: ['test/impl/components/net/**/*.test.ts', 'test/impl/drivers/net/**/*.test.ts'],
    exclude: ['test/impl/drivers/net/imx-system.test.ts'],
    testTimeout: 60_000,
  },
});
