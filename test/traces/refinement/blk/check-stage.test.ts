// `sddf check`'s randomized refinement of the blk virt (issue #13 part 7): one result line on a
// block system, every seed passes; a system that is not a block system gets no result from it.
import { describe, expect, it } from 'vitest';
import { blkRefinementStage, loadSystem, planCheck } from '../../../../api/check/index.ts';
import { BLK_REFINEMENT_SEEDS } from '../../../../api/check/stages/blk-refinement.ts';

const planned = (system: string, lines: string[]) =>
  planCheck(loadSystem({ system, seed: 1, outDir: 'out', progress: (l) => lines.push(l) }));

describe('sddf check: blk refinement stage', () => {
  it('blk: one refinement result, every seed passes; echo_server: none', async () => {
    const lines: string[] = [];
    const results = await blkRefinementStage(planned('blk', lines));
    expect(lines).toEqual(['refinement: blk virt']);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ kind: 'refinement', verdict: 'pass' });
    expect(results[0]!.detail).toMatch(
      new RegExp(`^${BLK_REFINEMENT_SEEDS} seeds, \\d+ virt decisions checked, \\d+ crashes`),
    );
    expect(await blkRefinementStage(planned('echo_server', []))).toEqual([]);
  });
});
