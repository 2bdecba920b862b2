import { describe, expect, it } from 'vitest';
import { checkModel, NO_LOST_WAKEUP } from '../../../proofs/mc/engine.ts';
import { buildSpscPml, spscPmlEntry } from '../../../proofs/models/spsc-pml.ts';
import type { TransitionSystem } from '../../../spec/common/transition.ts';
import { UserError } from '../../../spec/common/diagnostic.ts';

const build = (bug?: string, bounds: Record<string, number> = {}): TransitionSystem =>
  buildSpscPml({ memoryModel: 'sc', bounds, ...(bug !== undefined ? { bug } : {}) });

describe('spsc-pml model (statement-for-statement port of shared/bench/spsc.pml)', () => {
  it('the sDDF protocol under SC holds: BFS and DFS agree on every count', () => {
    const bfs = checkModel(build(), { search: 'bfs', por: false });
    const dfs = checkModel(build(), { search: 'dfs', por: false });
    const exact = checkModel(build(), { search: 'bfs', por: false, exact: true });
    expect(bfs.verdict).toBe('holds');
    expect(dfs.verdict).toBe('holds');
    expect(dfs.states).toBe(bfs.states);
    expect(dfs.transitions).toBe(bfs.transitions);
    expect(exact.states).toBe(bfs.states);
  });

  it('POR keeps the verdict and explores fewer states', () => {
    const full = checkModel(build(), { search: 'bfs', por: false });
    const reduced = checkModel(build(), { search: 'bfs', por: true });
    expect(reduced.verdict).toBe('holds');
    expect(reduced.reductions.por).toBe(true);
    expect(reduced.states).toBeLessThan(full.states);
  });

  it('drained (liveness under weak fairness) holds for the correct protocol', () => {
    expect(checkModel(build(), { search: 'bfs', liveness: true }).verdict).toBe('holds');
  });

  for (const bug of ['no-recheck', 'flag-first', 'relaxed']) {
    it(`${bug}: the watchdog (no lost wakeup) fires, with and without POR, BFS and DFS`, () => {
      for (const search of ['bfs', 'dfs'] as const) {
        for (const por of [true, false]) {
          const r = checkModel(build(bug), { search, por });
          expect(r.verdict).toBe('violated');
          expect(r.property).toBe(NO_LOST_WAKEUP);
          expect(r.message).toMatch(/lost wakeup/);
        }
      }
    });
  }

  it('no-recheck: drained fails as a lasso when the watchdog is not there to catch it first', () => {
    const ts = build('no-recheck');
    const withoutWatchdog: TransitionSystem = {
      name: ts.name,
      stateWords: ts.stateWords,
      actions: ts.actions,
      invariants: ts.invariants,
      initialStates: () => ts.initialStates(),
      successors: (s, emit) => ts.successors(s, emit),
      goal: (s) => ts.goal!(s),
      goalName: 'drained',
      toItf: (s) => ts.toItf(s),
    };
    const r = checkModel(withoutWatchdog, { search: 'bfs', liveness: true });
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe('drained');
    expect(r.trace!.loop).toBe(r.trace!.states.length - 1);
  });

  it('no-full-check breaks no-overflow; publish-before-write breaks fifo', () => {
    expect(checkModel(build('no-full-check'), { search: 'bfs' }).property).toBe('no-overflow');
    expect(checkModel(build('publish-before-write'), { search: 'bfs' }).property).toBe('fifo');
  });

  it('memory model tso or arm selects the RELAXED store-buffering variant', () => {
    for (const memoryModel of ['tso', 'pso'] as const) {
      const r = checkModel(buildSpscPml({ memoryModel, bounds: {} }), { search: 'bfs' });
      expect(r.property).toBe(NO_LOST_WAKEUP);
    }
  });

  it('the RELAXED trace is short (SPIN -i shortens it to 46 statements; BFS gives ours directly)', () => {
    const r = checkModel(build('relaxed'), { search: 'bfs' });
    expect(r.trace!.states.length).toBeLessThanOrEqual(46);
  });

  it('bounds are validated as user errors', () => {
    expect(() => build(undefined, { capacity: 0 })).toThrow(UserError);
    expect(() => build(undefined, { items: 255 })).toThrow(UserError);
    expect(() => build(undefined, { nope: 1 })).toThrow(UserError);
    expect(() => build(undefined, { grain: 2 })).toThrow(UserError);
    expect(() => build('no-such-bug')).toThrow(UserError);
  });

  it('every catalogue variant is caught by its expected property', () => {
    for (const bug of spscPmlEntry.bugs) {
      const ts = spscPmlEntry.build({
        memoryModel: bug.memoryModel ?? 'sc',
        bounds: {},
        bug: bug.id,
      });
      expect(checkModel(ts, { search: 'bfs' }).property, bug.id).toBe(bug.expectedProperty);
    }
  });

  it('statement grain (one step per Promela statement on a global) agrees on every verdict', () => {
    const merged = checkModel(build(), { search: 'bfs', por: false });
    const fine = checkModel(build(undefined, { grain: 1 }), { search: 'bfs', por: false });
    expect(fine.verdict).toBe('holds');
    expect(fine.states).toBeGreaterThan(merged.states);
    for (const bug of spscPmlEntry.bugs) {
      const ts = spscPmlEntry.build({
        memoryModel: bug.memoryModel ?? 'sc',
        bounds: { grain: 1 },
        bug: bug.id,
      });
      for (const por of [true, false]) {
        expect(checkModel(ts, { search: 'bfs', por }).property, bug.id).toBe(bug.expectedProperty);
      }
    }
    expect(
      checkModel(build(undefined, { grain: 1 }), { search: 'bfs', liveness: true }).verdict,
    ).toBe('holds');
  });

  it('larger bounds (CAP=4, N=8) still hold', () => {
    const r = checkModel(build(undefined, { capacity: 4, items: 8 }), { search: 'bfs' });
    expect(r.verdict).toBe('holds');
  });
});
