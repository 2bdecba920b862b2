// Stage of `sddf check`: randomized refinement of the network components (issue 9 part 6,
// traces/refinement/net/randomized.ts): a bounded number of seeds, each an echo-server run under a
// seeded schedule, window and fault script (crashes and restarts of the driver, virt_rx, virt_tx and
// the copiers; dropped IRQs; dropped and duplicated notifications), every handler of virt_tx,
// virt_rx and the copiers checked against spec/components/net. Seeded by `--seed`, bounded by
// NET_REFINEMENT_SEEDS (a few seconds); the longer soak is `npm run bench:refinement-soak`. Only
// for systems shaped as the echo server (the components are instantiated from the file); others get
// no result from this stage.
import { prepareRun } from '../../../impl/systems/run.ts';
import { randomizedRefinement } from '../../../traces/refinement/net/randomized.ts';
import type { CheckResult, Stage } from '../types.ts';

/** Seeds per check: ~60 ms each (48 requests), about 1.5 s in all. */
export const NET_REFINEMENT_SEEDS = 24;

export const netRefinementStage: Stage = async (check) => {
  if (prepareRun({ system: check.file, packets: 0, seed: check.seed }).wiring === undefined)
    return [];
  check.progress('refinement: net components');
  // Seeds of different `--seed` values do not overlap.
  const firstSeed = check.seed * NET_REFINEMENT_SEEDS;
  const r = randomizedRefinement({
    system: check.file,
    seeds: NET_REFINEMENT_SEEDS,
    firstSeed,
    stopAtFirstFailure: true,
  });
  const f = r.failures[0];
  const result: CheckResult = {
    name: 'net components ⊑ spec/components/net (randomized, with faults)',
    kind: 'refinement',
    verdict: f === undefined ? 'pass' : 'fail',
    seconds: r.wallMs / 1000,
    detail:
      f === undefined
        ? `${r.seeds} seeds, ${r.handlersChecked} handlers checked, ${r.faultsInjected} crashes and restarts, 0 divergences, 0 invariant violations`
        : `seed ${f.seed}: ${f.problems.join('; ')} (replay: sddf run ${check.system} --seed ${f.seed} --packets ${r.packets} --window ${f.window}${f.schedule === 'random' ? ' --schedule random' : ''}${f.faults === '' ? '' : ` --faults '${f.faults}'`} --watchdog-ms 10 --tick-poll --check-refinement)`,
  };
  return [result];
};
