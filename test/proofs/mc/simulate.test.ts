import { describe, expect, it } from 'vitest';
import { NO_LOST_WAKEUP } from '../../../proofs/mc/engine.ts';
import { mulberry32, simulate } from '../../../proofs/mc/simulate.ts';
import { buildSpsc } from '../../../proofs/models/spsc.ts';
import { minimise } from '../../../traces/minimise.ts';
import { countersMod3, mutex } from './toy-models.ts';

describe('simulate (seeded random walks)', () => {
  it('the same seed gives the same run, bit for bit', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const ts = buildSpsc({ memoryModel: 'sc', bounds: {}, bug: 'relaxed' });
    const r1 = simulate(ts, { seed: 7, runs: 200, maxSteps: 200 });
    const r2 = simulate(ts, { seed: 7, runs: 200, maxSteps: 200 });
    expect(r1.trace?.actions).toEqual(r2.trace?.actions);
  });

  it('finds the mutex violation; with no bug the verdict is incomplete, never holds', () => {
    const bad = simulate(mutex(true), { seed: 1, runs: 200, maxSteps: 50 });
    expect(bad).toMatchObject({ verdict: 'violated', property: 'mutual-exclusion' });
    const good = simulate(countersMod3(), { seed: 1, runs: 5, maxSteps: 20 });
    expect(good).toMatchObject({ verdict: 'incomplete', incompleteReason: 'simulation' });
  });

  it('a long random counterexample of the relaxed spsc variant minimises to at most its length', () => {
    const ts = buildSpsc({ memoryModel: 'sc', bounds: {}, bug: 'relaxed' });
    const r = simulate(ts, { seed: 3, runs: 500, maxSteps: 400 });
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe(NO_LOST_WAKEUP);
    const m = minimise(ts, r.trace!, NO_LOST_WAKEUP);
    expect(m.trace.actions.length).toBeLessThanOrEqual(r.trace!.actions.length);
  });

  it('each walk has its own seed: the failing walk replays alone (EXAMPLES.md §4)', () => {
    const ts = buildSpsc({ memoryModel: 'sc', bounds: {}, bug: 'relaxed' });
    const r = simulate(ts, { seed: 3, runs: 500, maxSteps: 400 });
    expect(r.verdict).toBe('violated');
    expect(r.walkSeed).toBeDefined();
    // Not the first walk (else the test would show nothing): earlier walks found no violation.
    expect(r.walkSeed).not.toBe(3);
    const alone = simulate(ts, { seed: r.walkSeed!, runs: 1, maxSteps: 400 });
    expect(alone.verdict).toBe('violated');
    expect(alone.trace?.actions).toEqual(r.trace?.actions);
  });
});
