// Stage of `sddf check`: randomized refinement of the queue implementations (impl/queue)
// against the abstract FIFO, one result per queue class (issue #2, traces/refinement/queues.ts).
// Seeded by `--seed`, bounded by REFINEMENT_RUNS; a failure's detail says what replays it.
import { runQueueRefinement } from '../../../traces/refinement/queues.ts';
import type { CheckResult, Stage } from '../types.ts';

/** Runs per queue class: about 0.1 s each on 2 cores, enough to hit the u16/u32 wrap often. */
export const REFINEMENT_RUNS = 200;

export const refinementStage: Stage = async (check) => {
  check.progress('refinement: queues');
  return runQueueRefinement({ seed: check.seed, runs: REFINEMENT_RUNS }).map((r): CheckResult => ({
    name: r.name,
    kind: 'refinement',
    verdict: r.ok ? 'pass' : 'fail',
    seconds: r.seconds,
    detail: r.ok
      ? `${r.runs} runs, no counterexample`
      : `${r.counterexample} (replay: seed ${r.seed}, path ${r.path})`,
  }));
};
