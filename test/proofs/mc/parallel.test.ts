// The parallel search (issue #11 part 3) against the sequential one on the model catalogue: same
// verdicts, the same state space without POR, traces no longer than BFS's shortest and valid runs
// of the model; each seeded bug is caught with worker threads too.
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { runModelCheck } from '../../../proofs/mc/run.ts';
import { listModels } from '../../../proofs/models/registry.ts';
import type { McTrace } from '../../../proofs/mc/trace.ts';
import type { TransitionSystem } from '../../../spec/common/transition.ts';
import { heavyEntry } from '../../helpers/heavy.ts';

function expectRun(ts: TransitionSystem, trace: McTrace): void {
  const key = (s: ArrayLike<number>): string => Array.from(s).join(',');
  expect(ts.initialStates().map(key)).toContain(key(trace.states[0]!));
  for (let i = 0; i + 1 < trace.states.length; i++) {
    const next: string[] = [];
    ts.successors(trace.states[i]!, (a, s) => {
      if (a === trace.actions[i]) next.push(key(s));
    });
    expect(next).toContain(key(trace.states[i + 1]!));
  }
}

interface Case {
  readonly model: string;
  readonly bug?: string;
}

const cases: Case[] = listModels().flatMap((m) => [
  { model: m.name },
  ...m.bugs.map((b) => ({ model: m.name, bug: b.id })),
]);

describe('parallel BFS (2 workers) agrees with the sequential search on the catalogue', () => {
  for (const c of cases) {
    const label = `${c.model}${c.bug !== undefined ? ` --bug ${c.bug}` : ''}`;
    it.skipIf(heavyEntry(label))(label, () => {
      const common = { model: c.model, ...(c.bug !== undefined ? { bug: c.bug } : {}), por: false };
      const seq = runModelCheck({ ...common, maxStates: 1_500_000 });
      const par = runModelCheck({ ...common, maxStates: 1_500_000, workers: 2 });
      expect(par.result.verdict).toBe(seq.result.verdict);
      expect(par.result.mode).toBe('hash-compact');
      if (seq.result.verdict === 'holds') {
        expect(par.result.states).toBe(seq.result.states);
        expect(par.result.transitions).toBe(seq.result.transitions);
        expect(par.result.depth).toBe(seq.result.depth);
      } else {
        // Both shortest: the parallel search reports the least violation of the first level
        // with one, which is no deeper than the one the sequential search met first.
        expect(par.result.trace!.actions.length).toBeLessThanOrEqual(
          seq.result.trace!.actions.length,
        );
        expect(par.properties).toContain(par.result.property);
        expectRun(par.ts, par.result.trace!);
        // ... and it is the violation the exact sequential search finds at that depth.
        const exact = checkModel(par.ts, { search: 'bfs', por: false, mode: 'exact' });
        expect(exact.trace!.actions.length).toBeGreaterThanOrEqual(
          par.result.trace!.actions.length,
        );
      }
    });
  }
});

describe('parallel BFS: options and bounds', () => {
  it('POR on: the same verdict (the reduced graph may differ between runs)', () => {
    const seq = runModelCheck({ model: 'spsc-pml', bounds: { capacity: 4, items: 20 } });
    const par = runModelCheck({
      model: 'spsc-pml',
      bounds: { capacity: 4, items: 20 },
      workers: 2,
    });
    expect(par.result.verdict).toBe('holds');
    expect(par.result.reductions.por).toBe(true);
    expect(Math.abs(par.result.states - seq.result.states)).toBeLessThan(seq.result.states / 10);
  });

  it('a state bound and a depth bound end it as incomplete', () => {
    const big = { model: 'spsc-pml', bounds: { capacity: 8, items: 60 }, workers: 2, por: false };
    const byStates = runModelCheck({ ...big, maxStates: 20_000 }).result;
    expect(byStates).toMatchObject({ verdict: 'incomplete', incompleteReason: 'maxStates' });
    expect(byStates.states).toBeGreaterThanOrEqual(20_000);
    const byDepth = runModelCheck({ ...big, maxDepth: 30 }).result;
    expect(byDepth).toMatchObject({ verdict: 'incomplete', incompleteReason: 'maxDepth' });
    expect(byDepth.depth).toBe(30);
  });

  it('grows its shared table while running (past 2^16 slots) and keeps every state', () => {
    const o = { model: 'spsc-pml', bounds: { capacity: 8, items: 60 }, por: false } as const;
    const seq = runModelCheck(o).result;
    const par = runModelCheck({ ...o, workers: 2 }).result;
    // The first table has 2^16 slots and pauses at 70 %: this run must grow it at least once.
    expect(seq.states).toBeGreaterThan(1 << 16);
    expect(par.states).toBe(seq.states);
  });

  it('refuses what it cannot do in parallel, as a usage error', () => {
    for (const o of [
      { search: 'dfs' as const },
      { liveness: true },
      { mode: 'exact' as const },
      { mode: 'bitstate' as const },
      { search: 'random' as const },
    ]) {
      expect(() => runModelCheck({ model: 'spsc-pml', workers: 2, ...o })).toThrow(
        /workers|thread/,
      );
    }
  });
});
