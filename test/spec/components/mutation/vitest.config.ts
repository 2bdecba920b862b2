// Vitest config used only by the spec/components mutation run (stryker.json beside it; issue 12
// part 7): the component specs' own tests and the model-checking tests that explore them and take
// seconds, not minutes. Left out for their cost per mutant: test/proofs/models/runtime.test.ts
// (~30 s), the online refinement of test/traces/refinement/net (~60 s: it runs the implemented
// components against these specs) and the ENET driver's tests (impl code, measured by mutate:net).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../../', import.meta.url).pathname,
    include: [
      'test/spec/components/**/*.test.ts',
      'test/proofs/models/net-pipeline.test.ts',
      'test/proofs/models/net-handshake.test.ts',
      'test/proofs/models/serial-tx.test.ts',
      'test/proofs/models/from-system.test.ts',
      'test/proofs/models/memory.test.ts',
      'test/proofs/models/catalogue.test.ts',
      // The block, serial, timer and I²C specs (issue 13): their models, the implemented systems
      // built on them and their refinement checks, all under a second each.
      'test/proofs/models/blk-handshake.test.ts',
      'test/proofs/models/blk-virt.test.ts',
      'test/proofs/models/i2c.test.ts',
      'test/proofs/models/serial-rx.test.ts',
      'test/proofs/models/timer.test.ts',
      'test/impl/systems/blk/run.test.ts',
      'test/impl/systems/i2c/run.test.ts',
      'test/impl/systems/serial/run.test.ts',
      'test/impl/systems/timer/run.test.ts',
      'test/traces/refinement/blk/*.test.ts',
      'test/traces/refinement/serial/*.test.ts',
      'test/traces/refinement/timer-i2c.test.ts',
    ],
    testTimeout: 60_000,
  },
});
