// What a restarted program is told (ComponentContext.restarts): how many earlier instances of its
// PD completed init(). A PD that faulted before its init() returned set up nothing a successor
// could re-attach to, so the successor must initialise (ADR 020 "Findings": told "restarted", the
// net copier and virt_rx skipped their buffer initialisation and those buffers were lost).
import { describe, expect, it } from 'vitest';
import { DeterministicRuntime } from '../../../impl/runtime/deterministic.ts';
import { ScriptedFaults } from '../../../impl/runtime/faults.ts';
import { registryOf, system } from './build.ts';

/** Runs PD `a` under the crashes given; returns the `restarts` each instance was created with. */
function contexts(crash: readonly { pd: string; atWake: number }[], initThrowsOnce = false) {
  const seen: number[] = [];
  let threw = false;
  const model = system({
    pds: [
      { name: 'a', priority: 2 },
      { name: 'b', priority: 1 },
    ],
    channels: [
      [
        { pd: 'a', id: 0 },
        { pd: 'b', id: 0 },
      ],
    ],
  });
  let pokes = 0;
  const { runtime } = DeterministicRuntime.create(model, {
    registry: registryOf({
      a: (ctx) => {
        seen.push(ctx.restarts ?? 0);
        return {
          init: () => {
            if (initThrowsOnce && !threw) {
              threw = true;
              throw new Error('fault inside init()');
            }
          },
        };
      },
      // b wakes a a few times so that later wakes exist.
      b: (ctx) => ({
        init: () => ctx.api.notify(0),
        notified: () => {
          if (++pokes < 6) ctx.api.notify(0);
        },
      }),
    }),
    faults: new ScriptedFaults({ crash }),
    restart: { a: { maxRestarts: 5 } },
  });
  runtime!.run({ maxSteps: 200 });
  return { seen, restarts: runtime!.status('a').restarts };
}

describe('a restarted program learns how many earlier instances completed init()', () => {
  it('a crash after init: the successor is told 1 (re-attach)', () => {
    const r = contexts([{ pd: 'a', atWake: 2 }]);
    expect(r.restarts).toBe(1);
    expect(r.seen).toEqual([0, 1]);
  });

  it('a crash at the first wake, before init ran: the successor is told 0 (initialise)', () => {
    const r = contexts([{ pd: 'a', atWake: 1 }]);
    expect(r.restarts).toBe(1);
    expect(r.seen).toEqual([0, 0]);
  });

  it('a fault inside init() counts as not completed; a later crash after init counts it', () => {
    const r = contexts([{ pd: 'a', atWake: 3 }], true);
    // Instance 1 faults in init (wake 1); instance 2 completes init (wake 2), crashes at wake 3.
    expect(r.restarts).toBe(2);
    expect(r.seen).toEqual([0, 0, 1]);
  });
});
