// Round robin within a priority (sddf-protocols.md §1.6) must survive higher-priority wakes in
// between: found by the echo server's hostile-client run, where a client at the same priority as
// the busy honest one never ran while the virtualisers above them were busy.
import { describe, expect, it } from 'vitest';
import { DeterministicRuntime } from '../../../impl/runtime/deterministic.ts';
import { registryOf, system } from './build.ts';

describe('deterministic scheduler: round robin per priority', () => {
  it('two busy PDs of one priority take turns although a higher one runs between every turn', () => {
    // `high` is notified by a and b on each of their wakes, and wakes both in return.
    const model = system({
      pds: [
        { name: 'high', priority: 10 },
        { name: 'a', priority: 1 },
        { name: 'b', priority: 1 },
      ],
      channels: [
        [
          { pd: 'high', id: 0 },
          { pd: 'a', id: 0 },
        ],
        [
          { pd: 'high', id: 1 },
          { pd: 'b', id: 0 },
        ],
      ],
    });
    const { runtime, errors } = DeterministicRuntime.create(model, {
      registry: registryOf({
        high: ({ api }) => ({
          notified: () => {
            api.notify(0);
            api.notify(1);
          },
        }),
        a: ({ api }) => ({ init: () => api.notify(0), notified: () => api.notify(0) }),
        b: ({ api }) => ({ init: () => api.notify(0), notified: () => api.notify(0) }),
      }),
    });
    expect(errors).toEqual([]);
    expect(runtime!.run({ maxSteps: 3000 }).status).toBe('incomplete');
    const a = runtime!.status('a').wakes;
    const b = runtime!.status('b').wakes;
    expect(a).toBeGreaterThan(500);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
  });
});
