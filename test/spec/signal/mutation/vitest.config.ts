// Vitest config used only by the spec/signal + spec/microkit mutation run (stryker.json beside
// it, issue 12 part 7): the tests that call these functions directly, and the runtime and queue
// tests that use them. The Z3 agreement test (which reads one constant of handshake.ts) and the
// model-checker tests (which use semantics.ts through the whole explorer) are left out so that
// each mutant costs little.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../../', import.meta.url).pathname,
    include: [
      'test/spec/signal/**/*.test.ts',
      'test/spec/microkit/**/*.test.ts',
      'test/impl/runtime/microkit.property.test.ts',
      'test/impl/queue/handshake-scheduler.test.ts',
    ],
    testTimeout: 60_000,
  },
});
