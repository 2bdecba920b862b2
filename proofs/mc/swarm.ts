// Swarm search (issue #11 part 4; Holzmann, Joshi and Groce, "Swarm Verification Techniques",
// IEEE TSE 2011): many small, diversified searches instead of one big one. Each shard runs a
// depth-first search with its own bitstate hash functions and, but for the first, its own seeded
// successor order, so the shards' omissions differ and each reaches different parts of a large
// space first. A shard is one ordinary run (`sddf mc MODEL --shard i/N`), so any job engine can
// spread shards over machines (docs/swarm.md); `mergeShards` combines their results into one
// verdict: violated if any shard found a violation (every one is listed with its trace), holds
// only if some shard searched exhaustively without bitstate and found nothing, else incomplete with
// the shards' coverage.
import { UserError } from '../../spec/common/diagnostic.ts';
import type { ModelOptions } from '../models/types.ts';
import type { IncompleteReason, SearchOrder, StoreMode, Verdict } from './engine.ts';
import { mixA, mixB } from './hash.ts';

/** Shard `index` (1-based, as CI matrices and GNU parallel's {#} count) of `count`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** Most shards a swarm may have. */
export const MAX_SHARDS = 4096;

/** How one shard searches: derived from its index and the swarm's seed only. */
export interface ShardPlan {
  readonly search: SearchOrder;
  readonly mode: StoreMode;
  readonly hashSeed: number;
  /** Absent for shard 1, which keeps the model's own successor order. */
  readonly orderSeed?: number;
}

/** `i/N` with 1 ≤ i ≤ N ≤ MAX_SHARDS, or null. */
export function parseShard(text: string): ShardSpec | null {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!(index >= 1 && index <= count && count <= MAX_SHARDS)) return null;
  return { index, count };
}

/**
 * The plan of shard `spec` in a swarm seeded with `seed`: DFS (shallow stacks, traces as found,
 * minimised later), bitstate storage unless `mode` says otherwise, hash functions and successor
 * order from the seed and the index, so that `--shard i/N --seed S` is the same search anywhere.
 */
export function shardPlan(spec: ShardSpec, seed: number, mode?: StoreMode): ShardPlan {
  const base = mixB(mixA(seed ^ 0x5a17) + spec.index);
  return {
    search: 'dfs',
    mode: mode ?? 'bitstate',
    hashSeed: mixA(base ^ 0x68bc21eb) >>> 0,
    ...(spec.index === 1 ? {} : { orderSeed: mixB(base ^ 0x2c1b3c6d) >>> 0 }),
  };
}

/** What one shard reports (`sddf mc --shard i/N --format json`), the input of `mergeShards`. */
export interface ShardOutcome {
  readonly shard: ShardSpec & { readonly seed: number } & ShardPlan;
  readonly model: string;
  readonly options: ModelOptions;
  readonly module?: string;
  readonly verdict: Verdict;
  readonly property?: string;
  readonly message?: string;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  readonly mode: StoreMode;
  readonly coverage?: number;
  readonly collisionProbability: number;
  readonly incompleteReason?: IncompleteReason;
  /** The counterexample as an ITF document (traces/itf.ts), when there is one. */
  readonly itf?: unknown;
  readonly traceSteps?: number;
}

export interface SwarmViolation {
  readonly shard: number;
  readonly property: string;
  readonly message: string;
  readonly traceSteps?: number;
  readonly itf?: unknown;
}

export interface SwarmResult {
  readonly verdict: Verdict;
  readonly model: string;
  readonly options: ModelOptions;
  readonly module?: string;
  readonly count: number;
  readonly seed: number;
  /** Shard indices merged, and those of the swarm that are missing. */
  readonly shards: readonly number[];
  readonly missing: readonly number[];
  /** Every violation found, the one with the shortest trace first. */
  readonly violations: readonly SwarmViolation[];
  /** Shard whose exhaustive search without bitstate found nothing (then the verdict holds). */
  readonly exhaustiveShard?: number;
  /** States stored, summed over the shards (the same state may be counted by several). */
  readonly statesSearched: number;
  /** The largest shard coverage: a lower bound on the swarm's (bitstate shards). */
  readonly bestCoverage?: number;
  /**
   * 1 - Π(1 - coverage): the swarm's coverage if the shards' omissions were independent, which
   * their different hash functions and orders aim at but do not guarantee: optimistic.
   */
  readonly combinedCoverage?: number;
  readonly collisionProbability: number;
}

function mismatch(what: string, a: unknown, b: unknown): never {
  throw new UserError({
    code: 'MC_RESULT',
    message: `shard results disagree on ${what} (${JSON.stringify(a)} vs ${JSON.stringify(b)}): not one swarm`,
  });
}

/** One verdict from a swarm's shard results (bad or inconsistent input: UserError MC_RESULT). */
export function mergeShards(outcomes: readonly ShardOutcome[]): SwarmResult {
  if (outcomes.length === 0) {
    throw new UserError({ code: 'MC_RESULT', message: 'no shard results to merge' });
  }
  const first = outcomes[0]!;
  const seen = new Set<number>();
  for (const o of outcomes) {
    if (o.model !== first.model) mismatch('the model', first.model, o.model);
    if (JSON.stringify(o.options) !== JSON.stringify(first.options)) {
      mismatch('the model options', first.options, o.options);
    }
    if (o.module !== first.module) mismatch('the model module', first.module, o.module);
    if (o.shard.count !== first.shard.count)
      mismatch('the shard count', first.shard.count, o.shard.count);
    if (o.shard.seed !== first.shard.seed)
      mismatch('the swarm seed', first.shard.seed, o.shard.seed);
    if (seen.has(o.shard.index)) {
      throw new UserError({
        code: 'MC_RESULT',
        message: `shard ${o.shard.index}/${o.shard.count} appears twice`,
      });
    }
    seen.add(o.shard.index);
  }
  const count = first.shard.count;
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  const violations: SwarmViolation[] = outcomes
    .filter((o) => o.verdict === 'violated')
    .map((o) => ({
      shard: o.shard.index,
      property: o.property ?? 'unknown',
      message: o.message ?? '',
      ...(o.traceSteps !== undefined ? { traceSteps: o.traceSteps } : {}),
      ...(o.itf !== undefined ? { itf: o.itf } : {}),
    }))
    .sort(
      (a, b) =>
        (a.traceSteps ?? Number.MAX_SAFE_INTEGER) - (b.traceSteps ?? Number.MAX_SAFE_INTEGER) ||
        a.shard - b.shard,
    );
  const exhaustive = outcomes
    .filter((o) => o.verdict === 'holds' && o.mode !== 'bitstate')
    .sort((a, b) => a.collisionProbability - b.collisionProbability)[0];
  const coverages = outcomes.flatMap((o) => (o.coverage !== undefined ? [o.coverage] : []));
  const verdict: Verdict =
    violations.length > 0 ? 'violated' : exhaustive !== undefined ? 'holds' : 'incomplete';
  return {
    verdict,
    model: first.model,
    options: first.options,
    ...(first.module !== undefined ? { module: first.module } : {}),
    count,
    seed: first.shard.seed,
    shards: [...seen].sort((a, b) => a - b),
    missing,
    violations,
    ...(exhaustive !== undefined ? { exhaustiveShard: exhaustive.shard.index } : {}),
    statesSearched: outcomes.reduce((n, o) => n + o.states, 0),
    ...(coverages.length > 0
      ? {
          bestCoverage: Math.max(...coverages),
          combinedCoverage: 1 - coverages.reduce((p, c) => p * (1 - c), 1),
        }
      : {}),
    collisionProbability: exhaustive?.collisionProbability ?? 0,
  };
}
