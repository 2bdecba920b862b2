// The engine against a naive reference checker on random finite graphs (fast-check): the same
// reachable-state count, the same verdict, shortest counterexamples from BFS, valid traces.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkModel, NO_LOST_WAKEUP } from '../../../proofs/mc/engine.ts';
import type { ActionInfo, State, TransitionSystem } from '../../../spec/common/transition.ts';

interface Graph {
  /** edges[u] = list of [target, action]. */
  readonly edges: readonly (readonly (readonly [number, number])[])[];
  readonly bad: readonly boolean[];
  /** Terminal nodes the quiescence oracle rejects. */
  readonly stuckBad: readonly boolean[];
}

const ACTIONS: ActionInfo[] = [
  { name: 'a.step', pd: 'a' },
  { name: 'b.step', pd: 'b' },
  { name: 'c.step', pd: 'c' },
];

const graphArb = fc.integer({ min: 1, max: 25 }).chain((n) =>
  fc.record({
    edges: fc.array(
      fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: 2 })), {
        maxLength: 4,
      }),
      { minLength: n, maxLength: n },
    ),
    // About one node in ten is bad, so most graphs hold and some do not.
    bad: fc.array(
      fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
      { minLength: n, maxLength: n },
    ),
    stuckBad: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  }),
);

function toTs(g: Graph): TransitionSystem {
  return {
    name: 'random-graph',
    stateWords: 1,
    actions: ACTIONS,
    initialStates: () => [Uint32Array.of(0)],
    successors(s: State, emit): void {
      for (const [t, a] of g.edges[s[0]!]!) emit(a, Uint32Array.of(t));
    },
    invariants: [{ name: 'not-bad', check: (s) => (g.bad[s[0]!] ? `bad node ${s[0]}` : null) }],
    quiescentViolation: (s) => (g.stuckBad[s[0]!] ? `stuck at ${s[0]}` : null),
    toItf: (s) => ({ node: s[0]! }),
  };
}

/** Reference: plain BFS with a Set; distance to every reachable node. */
function reference(g: Graph): { reachable: number; dist: Map<number, number>; violated: boolean } {
  const dist = new Map([[0, 0]]);
  const queue = [0];
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!;
    for (const [t] of g.edges[u]!) {
      if (!dist.has(t)) {
        dist.set(t, dist.get(u)! + 1);
        queue.push(t);
      }
    }
  }
  const violated = [...dist.keys()].some(
    (u) => g.bad[u] === true || (g.edges[u]!.length === 0 && g.stuckBad[u] === true),
  );
  return { reachable: dist.size, dist, violated };
}

describe('checkModel agrees with a naive reference on random graphs', () => {
  it('counts, verdicts, shortest BFS traces, DFS agreement', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const ts = toTs(g);
        const ref = reference(g);
        for (const search of ['bfs', 'dfs'] as const) {
          for (const exact of [false, true]) {
            const r = checkModel(ts, { search, exact: exact && search === 'bfs' });
            expect(r.verdict).toBe(ref.violated ? 'violated' : 'holds');
            if (!ref.violated) {
              expect(r.states).toBe(ref.reachable);
              const edges = [...ref.dist.keys()].reduce((k, u) => k + g.edges[u]!.length, 0);
              expect(r.transitions).toBe(edges);
              continue;
            }
            const trace = r.trace!;
            const nodes = trace.states.map((s) => s[0]!);
            expect(nodes[0]).toBe(0);
            for (let i = 0; i + 1 < nodes.length; i++) {
              expect(
                g.edges[nodes[i]!]!.some(([t, a]) => t === nodes[i + 1] && a === trace.actions[i]),
              ).toBe(true);
            }
            const last = nodes[nodes.length - 1]!;
            if (r.property === NO_LOST_WAKEUP) {
              expect(g.edges[last]!.length === 0 && g.stuckBad[last]).toBe(true);
            } else {
              expect(g.bad[last]).toBe(true);
              // BFS: no bad node is closer than the one reported.
              if (search === 'bfs') {
                const nearest = Math.min(
                  ...[...ref.dist].filter(([u]) => g.bad[u]).map(([, d]) => d),
                );
                expect(nodes.length - 1).toBe(nearest);
              }
            }
          }
        }
      }),
      { numRuns: 300, seed: 20261122 },
    );
  });
});
