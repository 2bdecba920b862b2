import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { buildTimer, timerEntry, type TimerSeeded } from '../../../proofs/models/timer.ts';

const run = (bounds: Record<string, number>, bug?: string, seeded?: TimerSeeded) =>
  checkModel(
    buildTimer(
      {
        memoryModel: 'sc',
        bounds: { ...timerEntry.defaultBounds, ...bounds },
        ...(bug === undefined ? {} : { bug }),
      },
      seeded,
    ),
    { search: 'bfs', maxStates: 200_000 },
  );

describe('timer model', () => {
  it('holds: time monotonic, never early, no spurious notification, nothing due left undelivered', () => {
    const r = run({ clients: 2, rounds: 1, ticks: 4 });
    expect(r.verdict).toBe('holds');
    expect(run({ clients: 1, rounds: 2, ticks: 4, nearWrap: 1 }).verdict).toBe('holds');
  });

  it('F37: the wrapping conversion makes time go back near 2^64 / 10^9 ticks', () => {
    const r = run({}, 'F37');
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe('time-monotonic');
  });

  it.each([
    ['early', 'timeout-not-early'],
    ['spurious', 'no-spurious-notification'],
    ['lost', 'no-lost-wakeup'],
  ] as const)('a driver seeded with %s is caught by %s', (seeded, property) => {
    // Two clients: a deadline left uncleared fires again when the other client sets its own.
    const r = run({ clients: 2, rounds: 1, ticks: 4 }, undefined, seeded);
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe(property);
  });
});
