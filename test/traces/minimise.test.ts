import { describe, expect, it } from 'vitest';
import { checkModel } from '../../proofs/mc/engine.ts';
import { buildSpsc } from '../../proofs/models/spsc.ts';
import { minimise, runToViolation } from '../../traces/minimise.ts';
import { mutex } from '../proofs/mc/toy-models.ts';

describe('minimise (ddmin over the action sequence)', () => {
  it('shrinks a padded mutex violation to the 4 essential steps', () => {
    const ts = mutex(true);
    const name = (n: string): number => ts.actions.findIndex((a) => a.name === n);
    // p and q enter and leave twice before the racy interleaving.
    const padded = [
      'p.acquire',
      'p.set',
      'p.release',
      'q.acquire',
      'q.set',
      'q.release',
      'p.acquire',
      'q.acquire',
      'p.set',
      'q.set',
    ];
    const run = runToViolation(ts, padded, 'mutual-exclusion');
    expect(run).not.toBeNull();
    const m = minimise(ts, run!, 'mutual-exclusion');
    expect(m.trace.actions.map((a) => ts.actions[a]!.name)).toHaveLength(4);
    expect(m.trace.actions).toContain(name('p.set'));
    expect(m.complete).toBe(true);
    expect(
      runToViolation(
        ts,
        m.trace.actions.map((a) => ts.actions[a]!.name),
        'mutual-exclusion',
      ),
    ).not.toBeNull();
  });

  it('a DFS counterexample of the spsc relaxed variant gets no longer and still violates', () => {
    const ts = buildSpsc({ memoryModel: 'sc', bounds: {}, bug: 'relaxed' });
    const dfs = checkModel(ts, { search: 'dfs', por: false });
    const m = minimise(ts, dfs.trace!, 'no-lost-wakeup');
    expect(m.trace.actions.length).toBeLessThanOrEqual(dfs.trace!.actions.length);
    const names = m.trace.actions.map((a) => ts.actions[a]!.name);
    expect(runToViolation(ts, names, 'no-lost-wakeup')).not.toBeNull();
  });

  it('refuses a trace that does not violate the property', () => {
    const ts = mutex(true);
    const run = runToViolation(
      ts,
      ['p.acquire', 'p.set', 'q.acquire', 'q.set'],
      'mutual-exclusion',
    );
    expect(run).toBeNull();
    expect(() =>
      minimise(ts, { states: ts.initialStates(), actions: [] }, 'mutual-exclusion'),
    ).toThrow(/does not violate/);
  });

  it('honours the test budget', () => {
    const ts = mutex(true);
    const padded = ['p.acquire', 'p.set', 'p.release', 'p.acquire', 'q.acquire', 'p.set', 'q.set'];
    const m = minimise(ts, runToViolation(ts, padded, 'mutual-exclusion')!, 'mutual-exclusion', {
      maxTests: 1,
    });
    expect(m.tests).toBe(1);
    expect(m.complete).toBe(false);
  });
});
