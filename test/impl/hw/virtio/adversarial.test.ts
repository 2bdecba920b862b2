// Issue #14 acceptance under adversarial device timing: the seeded scheduler finds the classic
// driver bugs within a bounded number of seeds, and never troubles the correct driver.

import { describe, expect, it } from 'vitest';
import { CORRECT, runBlk, type DriverVariant } from './agent-driver.ts';

const SEEDS = 60;
const seeds = Array.from({ length: SEEDS }, (_, i) => i + 1);

function firstSeed(
  variant: DriverVariant,
  bad: (r: ReturnType<typeof runBlk>) => boolean,
): number | null {
  for (const seed of seeds) if (bad(runBlk({ seed, variant }))) return seed;
  return null;
}

describe('adversarial timing: the correct driver', () => {
  it(`never loses a completion and is never flagged, over ${SEEDS} seeds (flags and EVENT_IDX)`, () => {
    for (const eventIdx of [false, true]) {
      for (const seed of seeds) {
        const r = runBlk({ seed, variant: { ...CORRECT, eventIdx } });
        expect({
          seed,
          eventIdx,
          lost: r.lost,
          errors: r.errors,
          done: r.completed,
          confused: r.confused,
        }).toEqual({ seed, eventIdx, lost: 0, errors: [], done: r.submitted, confused: false });
      }
    }
  });

  it('the same seed replays the same run', () => {
    expect(runBlk({ seed: 7, variant: CORRECT })).toEqual(runBlk({ seed: 7, variant: CORRECT }));
  });
});

describe('adversarial timing: seeded driver bugs are caught', () => {
  it('a driver that publishes avail.idx before the ring entry is flagged by the device', () => {
    const seed = firstSeed({ ...CORRECT, publish: 'idx-first' }, (r) =>
      r.errors.some((e) =>
        ['avail-entry-changed', 'descriptor-in-flight', 'exposed-descriptor-changed'].includes(e),
      ),
    );
    expect(seed).not.toBeNull();
  });

  it('a driver that does not re-check after re-enabling interrupts loses a completion (flags)', () => {
    const seed = firstSeed({ ...CORRECT, recheck: false }, (r) => r.lost > 0);
    expect(seed).not.toBeNull();
  });

  it('the same bug with EVENT_IDX (used_event) loses a completion too', () => {
    const seed = firstSeed({ ...CORRECT, recheck: false, eventIdx: true }, (r) => r.lost > 0);
    expect(seed).not.toBeNull();
  });

  it('a driver that acknowledges after draining loses a completion that lands in between', () => {
    const seed = firstSeed(
      { ...CORRECT, ackFirst: false, suppressWhileDraining: false, recheck: false },
      (r) => r.lost > 0,
    );
    expect(seed).not.toBeNull();
  });
});
