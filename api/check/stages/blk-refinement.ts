// Stage of `sddf check`: randomized refinement of the block virt under faults (issue #13 part 7,
// traces/refinement/blk/randomized.ts): seeded runs with crashes of the virt and the clients,
// every virt decision checked against spec/components/blk. Only for block systems (the components
// are instantiated from the file); others get no result from this stage.
import {
  blkRandomizedRefinement,
  isBlkSystemFile,
} from '../../../traces/refinement/blk/randomized.ts';
import type { CheckResult, Stage } from '../types.ts';

/** Seeds per check: ~150 ms each (two rounds of 32 per client), under a second in all. */
export const BLK_REFINEMENT_SEEDS = 6;

export const blkRefinementStage: Stage = async (check) => {
  if (!isBlkSystemFile(check.file)) return [];
  check.progress('refinement: blk virt');
  const r = blkRandomizedRefinement({
    system: check.file,
    seeds: BLK_REFINEMENT_SEEDS,
    firstSeed: check.seed * BLK_REFINEMENT_SEEDS,
    stopAtFirstFailure: true,
  });
  const f = r.failures[0];
  const result: CheckResult = {
    name: 'blk virt ⊑ spec/components/blk (randomized, with faults)',
    kind: 'refinement',
    verdict: f === undefined ? 'pass' : 'fail',
    seconds: r.wallMs / 1000,
    detail:
      f === undefined
        ? `${r.seeds} seeds, ${r.decisions} virt decisions checked, ${r.crashes} crashes and restarts, 0 divergences, 0 invariant violations`
        : `seed ${f.seed}: ${f.problems.slice(0, 3).join('; ')} (replay: sddf run ${check.system} --seed ${f.seed} --rounds 2${f.schedule === 'random' ? ' --schedule random' : ''}${f.faults === '' ? '' : ` --faults '${f.faults}'`} --check-refinement)`,
  };
  return [result];
};
