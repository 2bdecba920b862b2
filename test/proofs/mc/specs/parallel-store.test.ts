// The parallel store's specification (EXAMPLES.md §10) holds, each seeded bug in it is caught by
// the property it names, and the run really exercises the pause-and-grow path.
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../../proofs/mc/engine.ts';
import entry from '../../../../proofs/mc/specs/parallel-store.ts';

describe('spec of the parallel store and frontier hand-off', () => {
  it('holds, exhaustively (exact storage, no reduction)', () => {
    const r = checkModel(entry.build({ memoryModel: 'sc', bounds: {} }), {
      search: 'bfs',
      mode: 'exact',
    });
    expect(r.verdict).toBe('holds');
    expect(r.states).toBeGreaterThan(1000);
  });

  for (const bug of entry.bugs) {
    it(`catches ${bug.id} by ${bug.expectedProperty}`, () => {
      const r = checkModel(entry.build({ memoryModel: 'sc', bounds: {}, bug: bug.id }), {
        search: 'bfs',
        mode: 'exact',
      });
      expect(r.verdict).toBe('violated');
      expect(r.property).toBe(bug.expectedProperty);
      expect(r.trace!.actions.length).toBeGreaterThan(0);
    });
  }

  it('reaches a state where the table grew after a pause, and one with a chunk re-queued', () => {
    const ts = entry.build({ memoryModel: 'sc', bounds: {} });
    const names = Object.keys(ts.toItf(ts.initialStates()[0]!));
    const at = (v: string): number => names.indexOf(v);
    const probe = (name: string, bad: (s: Uint32Array) => boolean): string | undefined =>
      checkModel(
        { ...ts, invariants: [{ name, check: (s) => (bad(s) ? name : null) }] },
        { search: 'bfs' },
      ).property;
    expect(probe('grew', (s) => s[at('grows')]! > 0)).toBe('grew');
    expect(probe('paused', (s) => s[at('pausedChunks')]! > 0)).toBe('paused');
  });
});
