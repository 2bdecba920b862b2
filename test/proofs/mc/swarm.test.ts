// Swarm search (issue #11 part 4): shard plans, the merge, and a 4-shard swarm that finds a bug
// deep in one branch of a space that a single bounded search misses.
import { describe, expect, it } from 'vitest';
import { runModelCheck } from '../../../proofs/mc/run.ts';
import { mergeShards, parseShard, shardPlan, type ShardOutcome } from '../../../proofs/mc/swarm.ts';
import type { ModelEntry } from '../../../proofs/models/types.ts';
import { deepCorner } from './toy-models.ts';

const SIDE = 30;
const deep: ModelEntry = {
  name: 'deep-corner',
  description: 'a bug at the far corner of the last of three regions',
  defaultBounds: {},
  boundRanges: {},
  bugs: [],
  build: () => deepCorner(SIDE, 3),
};

/** What `sddf mc --shard i/N --format json` prints (api/swarm.ts shardOutcome), minus the ITF. */
function shard(index: number, count: number, seed = 1, maxStates = SIDE * SIDE): ShardOutcome {
  const run = runModelCheck({ model: deep, shard: { index, count }, seed, maxStates });
  const r = run.result;
  return {
    shard: run.shard!,
    model: run.entry.name,
    options: run.options,
    verdict: r.verdict,
    ...(r.property !== undefined ? { property: r.property, message: r.message! } : {}),
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    seconds: r.seconds,
    mode: r.mode === 'none' ? 'bitstate' : r.mode,
    ...(r.coverage !== undefined ? { coverage: r.coverage } : {}),
    collisionProbability: r.collisionProbability,
    ...(r.trace !== undefined ? { traceSteps: r.trace.actions.length, itf: r.trace } : {}),
  };
}

describe('swarm search', () => {
  it('shard i/N is 1-based and bounded', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard(' 4 / 4 ')).toEqual({ index: 4, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1/99999', '1'])
      expect(parseShard(bad)).toBeNull();
  });

  it('plans: DFS, bitstate, a hash seed per shard, a random order but for shard 1; same seed, same plan', () => {
    const plans = [1, 2, 3, 4].map((i) => shardPlan({ index: i, count: 4 }, 7));
    expect(plans.every((p) => p.search === 'dfs' && p.mode === 'bitstate')).toBe(true);
    expect(plans[0]!.orderSeed).toBeUndefined();
    expect(new Set(plans.map((p) => p.hashSeed)).size).toBe(4);
    expect(new Set(plans.slice(1).map((p) => p.orderSeed)).size).toBe(3);
    expect(shardPlan({ index: 3, count: 4 }, 7)).toEqual(plans[2]);
    expect(shardPlan({ index: 3, count: 4 }, 8)).not.toEqual(plans[2]);
    expect(shardPlan({ index: 2, count: 4 }, 7, 'hash-compact').mode).toBe('hash-compact');
  });

  it('a 4-shard swarm finds the deep bug after merging, which the plain bounded search misses', () => {
    const outcomes = [1, 2, 3, 4].map((i) => shard(i, 4));
    // Shard 1 searches in the model's order: it spends its bound on the first region.
    expect(outcomes[0]!.verdict).toBe('incomplete');
    expect(outcomes.some((o) => o.verdict === 'incomplete')).toBe(true);
    const merged = mergeShards(outcomes);
    expect(merged.verdict).toBe('violated');
    expect(merged.violations[0]).toMatchObject({ property: 'far-corner' });
    expect(merged.missing).toEqual([]);
    // The trace is a run of the model to the far corner of region 3: first step chooses it.
    const best = merged.violations[0]!;
    expect(best.traceSteps).toBe(2 * SIDE - 1);
    const trace = best.itf as { states: Uint32Array[] };
    expect(Array.from(trace.states.at(-1)!)).toEqual([3, SIDE - 1, SIDE - 1]);
  });

  it('merge: holds only from an exhaustive non-bitstate shard; bitstate shards alone are incomplete', () => {
    const small: ModelEntry = { ...deep, build: () => deepCorner(4, 2) };
    const out = (index: number, mode?: 'hash-compact'): ShardOutcome => {
      const run = runModelCheck({
        model: small,
        shard: { index, count: 2 },
        ...(mode ? { mode } : {}),
      });
      return {
        shard: run.shard!,
        model: run.entry.name,
        options: run.options,
        verdict: run.result.verdict,
        states: run.result.states,
        transitions: run.result.transitions,
        depth: run.result.depth,
        seconds: run.result.seconds,
        mode: run.result.mode === 'none' ? 'bitstate' : run.result.mode,
        ...(run.result.coverage !== undefined ? { coverage: run.result.coverage } : {}),
        collisionProbability: run.result.collisionProbability,
      };
    };
    // Every shard of this small space reaches the far corner: the merge reports it.
    const bitstate = mergeShards([out(1), out(2)]);
    expect(bitstate.verdict).toBe('violated');
    const clean: ModelEntry = {
      ...deep,
      build: () => ({ ...deepCorner(4, 2), invariants: [] }),
    };
    const cleanOut = (index: number, mode?: 'hash-compact'): ShardOutcome => {
      const run = runModelCheck({
        model: clean,
        shard: { index, count: 2 },
        ...(mode ? { mode } : {}),
      });
      return {
        shard: run.shard!,
        model: run.entry.name,
        options: run.options,
        verdict: run.result.verdict,
        states: run.result.states,
        transitions: run.result.transitions,
        depth: run.result.depth,
        seconds: run.result.seconds,
        mode: run.result.mode === 'none' ? 'bitstate' : run.result.mode,
        ...(run.result.coverage !== undefined ? { coverage: run.result.coverage } : {}),
        collisionProbability: run.result.collisionProbability,
      };
    };
    const onlyBits = mergeShards([cleanOut(1), cleanOut(2)]);
    expect(onlyBits.verdict).toBe('incomplete');
    expect(onlyBits.bestCoverage).toBeGreaterThan(0.99);
    const withCompact = mergeShards([cleanOut(1), cleanOut(2, 'hash-compact')]);
    expect(withCompact).toMatchObject({ verdict: 'holds', exhaustiveShard: 2 });
    const partial = mergeShards([cleanOut(2)]);
    expect(partial.missing).toEqual([1]);
  });

  it('merge refuses results of different swarms and duplicate shards (MC_RESULT)', () => {
    const a = shard(1, 2);
    expect(() => mergeShards([a, a])).toThrow(/appears twice/);
    expect(() => mergeShards([a, { ...shard(2, 2), model: 'other' }])).toThrow(/model/);
    expect(() => mergeShards([a, shard(2, 2, 5)])).toThrow(/seed/);
    expect(() => mergeShards([a, shard(2, 3)])).toThrow(/shard count/);
    expect(() => mergeShards([])).toThrow(/no shard/);
  });
});
