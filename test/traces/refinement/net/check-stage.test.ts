// `sddf check`'s bounded randomized refinement of the network components (issue 9 part 6): one
// result line, seeded by --seed, a few seconds; a system that is not shaped as the echo server gets
// no result from it.
import { describe, expect, it } from 'vitest';
import { loadSystem, netRefinementStage, planCheck } from '../../../../api/check/index.ts';
import { NET_REFINEMENT_SEEDS } from '../../../../api/check/stages/net-refinement.ts';

describe('sddf check: net refinement stage', () => {
  it('echo server: one refinement result, every seed passes', async () => {
    const lines: string[] = [];
    const results = await netRefinementStage(
      planCheck(
        loadSystem({
          system: 'echo_server',
          seed: 1,
          outDir: 'out',
          progress: (l) => lines.push(l),
        }),
      ),
    );
    expect(lines).toEqual(['refinement: net components']);
    expect(results).toHaveLength(1);
    const r = results[0]!;
    expect(r).toMatchObject({ kind: 'refinement', verdict: 'pass' });
    expect(r.detail).toMatch(
      new RegExp(
        `^${NET_REFINEMENT_SEEDS} seeds, \\d+ handlers checked, \\d+ crashes and restarts, 0 divergences, 0 invariant violations$`,
      ),
    );
    expect(r.seconds).toBeLessThan(20);
  });
});
