// Swarm search as library calls (issue #11 part 4; proofs/mc/swarm.ts has the shard plans and the
// merge; docs/swarm.md shows how to run shards in CI): one shard as a result document (the JSON
// `sddf mc --shard i/N --format json` prints, its counterexample inline as ITF), a whole swarm on
// this machine, and the merge of shard documents read from files (`sddf mc-merge`), which writes
// the shortest counterexample found as an ITF trace.
import { readFileSync } from 'node:fs';
import {
  mergeShards,
  type ShardOutcome,
  type ShardSpec,
  type SwarmResult,
} from '../proofs/mc/swarm.ts';
import { UserError } from '../spec/common/diagnostic.ts';
import { writeTrace } from '../traces/corpus.ts';
import { parseItf, type ItfTrace } from '../traces/itf.ts';
import { modelCheck, type McRequest, type McRun } from './mc.ts';

/** The shard result document of a run made with `shard` (the input of `mergeShards`). */
export function shardOutcome(run: McRun, module?: string): ShardOutcome {
  if (run.shard === undefined) {
    throw new UserError({ code: 'USAGE', message: 'not a shard run (no --shard i/N)' });
  }
  const r = run.result;
  return {
    shard: run.shard,
    model: run.entry.name,
    options: run.options,
    ...(module !== undefined ? { module } : {}),
    verdict: r.verdict,
    ...(r.property !== undefined ? { property: r.property } : {}),
    ...(r.message !== undefined ? { message: r.message } : {}),
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    seconds: r.seconds,
    mode: r.mode === 'none' ? 'bitstate' : r.mode,
    ...(r.coverage !== undefined ? { coverage: r.coverage } : {}),
    collisionProbability: r.collisionProbability,
    ...(r.incompleteReason !== undefined ? { incompleteReason: r.incompleteReason } : {}),
    ...(run.itf !== undefined ? { itf: run.itf, traceSteps: run.itf.states.length - 1 } : {}),
  };
}

export interface SwarmRun {
  readonly result: SwarmResult;
  readonly outcomes: readonly ShardOutcome[];
  /** Where the shortest counterexample was written, when there is one and an outDir. */
  readonly tracePath?: string;
}

/** Writes the shortest violation's trace (the first: mergeShards sorts them) to `outDir`. */
function writeBest(result: SwarmResult, outDir: string | undefined): string | undefined {
  const best = result.violations.find((v) => v.itf !== undefined);
  if (best === undefined || outDir === undefined) return undefined;
  return writeTrace(outDir, best.itf as ItfTrace);
}

/**
 * Runs the `count` shards of a swarm one after another in this process and merges them (to spread
 * shards over cores or machines, run `--shard i/N` jobs and merge their documents instead).
 */
export function runSwarm(
  req: McRequest,
  count: number,
  onShard?: (o: ShardOutcome) => void,
): SwarmRun {
  const outcomes: ShardOutcome[] = [];
  for (let index = 1; index <= count; index++) {
    const shard: ShardSpec = { index, count };
    // Traces are written once, for the merged result, not per shard.
    const { outDir: _outDir, ...rest } = req;
    const run = modelCheck({ ...rest, shard });
    const o = shardOutcome(run, req.modulePath);
    onShard?.(o);
    outcomes.push(o);
  }
  const result = mergeShards(outcomes);
  const tracePath = writeBest(result, req.outDir);
  return { result, outcomes, ...(tracePath !== undefined ? { tracePath } : {}) };
}

function badFile(file: string, message: string): UserError {
  return new UserError({ code: 'MC_RESULT', file, message });
}

/** Reads a shard result document; anything else is a located UserError MC_RESULT. */
export function readShardOutcome(file: string): ShardOutcome {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw badFile(file, `cannot read the shard result: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw badFile(
      file,
      'not JSON (a shard result is the output of sddf mc --shard i/N --format json)',
    );
  }
  const o = doc as Partial<ShardOutcome> | null;
  const shard = o?.shard as Partial<ShardOutcome['shard']> | undefined;
  const int = (x: unknown): boolean => Number.isSafeInteger(x);
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.model !== 'string' ||
    typeof o.options !== 'object' ||
    !['holds', 'violated', 'incomplete'].includes(String(o.verdict)) ||
    typeof o.states !== 'number' ||
    shard === undefined ||
    !int(shard.index) ||
    !int(shard.count) ||
    !int(shard.seed)
  ) {
    throw badFile(
      file,
      'not a shard result: needs model, options, verdict, states and shard {index, count, seed} ' +
        '(the output of sddf mc --shard i/N --format json)',
    );
  }
  if (o.itf !== undefined) parseItf(JSON.stringify(o.itf), file);
  return o as ShardOutcome;
}

/** Merges shard result files into one verdict; writes the shortest counterexample to `outDir`. */
export function mergeShardFiles(files: readonly string[], outDir?: string): SwarmRun {
  const outcomes = files.map(readShardOutcome);
  const result = mergeShards(outcomes);
  const tracePath = writeBest(result, outDir);
  return { result, outcomes, ...(tracePath !== undefined ? { tracePath } : {}) };
}
