// Isolation proof (LP011, least-privilege-policy.md; issue #4 part 4): who can write and read which
// region, and which channels allow a ppcall, encoded in Z3; for each ordered pair of clients we
// ask whether an information path exists that bypasses every virtualiser, copier and driver.
// `unsat` proves isolation for that pair; `sat` yields a witness path read back from the model.
// The flow graph is built by spec/system/audit/flow.ts, which also answers the same question by
// plain graph search; test/proofs/smt/isolation.test.ts checks that the two agree.
//
// Encoding (per source s, per target t), over Bool reach[n] and Int rank[n] for every node n:
//   reach[s] ∧ rank[s] = 0
//   reach[n] ⇒ ⋁_{(p,n) ∈ E, p forwards from s to t} (reach[p] ∧ rank[p] < rank[n])   for n ≠ s
//   query: reach[t]
// The ranks make the support well-founded, so a model's reach set is exactly a set of nodes
// reachable from s along forwarding nodes (a least fixed point would otherwise be needed).

import { init, killThreads } from 'z3-solver';
import type { Bool, Context } from 'z3-solver';
import { assert } from '../../spec/common/assert.ts';
import {
  forwards,
  isValidFlowPath,
  separatedPairs,
  type FlowGraph,
} from '../../spec/system/audit/flow.ts';

export type IsolationVerdict = 'flow' | 'isolated' | 'unknown';

export interface IsolationPair {
  readonly from: number;
  readonly to: number;
  readonly verdict: IsolationVerdict;
  /** The witness (node indices) when `flow`. */
  readonly path: readonly number[] | null;
}

export interface IsolationProof {
  readonly pairs: readonly IsolationPair[];
  readonly seconds: number;
}

export interface IsolationOptions {
  /** Per-query timeout; an expired query is `unknown`, never `isolated`. */
  readonly timeoutMs?: number;
}

type Z3Api = Awaited<ReturnType<typeof init>>;

let apiPromise: Promise<Z3Api> | undefined;

/** One z3 initialisation per process (verification-tools.md §4: init() takes ~200 ms). */
function z3(): Promise<Z3Api> {
  apiPromise ??= init();
  return apiPromise;
}

/** Release z3's worker threads so the process can exit (call once, at the end of a run). */
export async function releaseZ3(): Promise<void> {
  if (apiPromise === undefined) return;
  const api = await apiPromise;
  apiPromise = undefined;
  await killThreads(api.em);
}

export async function proveIsolation(
  g: FlowGraph,
  opts: IsolationOptions = {},
): Promise<IsolationProof> {
  const started = performance.now();
  const api = await z3();
  const ctx = api.Context('isolation');
  const pairs: IsolationPair[] = [];
  const separated = separatedPairs(g);
  for (const [from, to] of separated) {
    pairs.push(await provePair(ctx, g, { from, to, timeoutMs: opts.timeoutMs ?? 10_000 }));
  }
  assert(
    pairs.length === separated.length,
    () => `one verdict per separated pair: ${pairs.length}`,
  );
  return { pairs, seconds: (performance.now() - started) / 1000 };
}

/**
 * One solver per source and target (forwarding depends on both: a common ancestor of the two does
 * not forward, flow.ts `forwards`); the query is `check` under the assumption reach[t].
 */
async function provePair(
  ctx: Context<'isolation'>,
  g: FlowGraph,
  q: { readonly from: number; readonly to: number; readonly timeoutMs: number },
): Promise<IsolationPair> {
  const { Bool, Int, Solver, And, Or, Implies } = ctx;
  const tag = `${q.from}_${q.to}`;
  const reach = g.nodes.map((_, i) => Bool.const(`reach_${tag}_${i}`));
  const rank = g.nodes.map((_, i) => Int.const(`rank_${tag}_${i}`));
  const preds = new Map<number, number[]>();
  for (const [a, b] of g.edges) {
    if (forwards(g, a, q.from, q.to)) preds.set(b, [...(preds.get(b) ?? []), a]);
  }
  const at = <T>(xs: readonly T[], i: number): T => {
    const x = xs[i];
    assert(x !== undefined, () => `node ${i} exists`);
    return x;
  };
  const solver = new Solver();
  solver.set('timeout', q.timeoutMs);
  solver.add(at(reach, q.from), at(rank, q.from).eq(0));
  for (let n = 0; n < g.nodes.length; n++) {
    if (n === q.from) continue;
    const support: Bool<'isolation'>[] = (preds.get(n) ?? []).map((p) =>
      And(at(reach, p), at(rank, p).lt(at(rank, n))),
    );
    solver.add(Implies(at(reach, n), support.length === 0 ? Bool.val(false) : Or(...support)));
  }
  const to = q.to;
  const result = await solver.check(at(reach, to));
  if (result !== 'sat') {
    return { from: q.from, to, verdict: result === 'unsat' ? 'isolated' : 'unknown', path: null };
  }
  const model = solver.model();
  const isTrue = (n: number): boolean => ctx.isTrue(model.eval(at(reach, n), true));
  const rankOf = (n: number): bigint => BigInt(model.eval(at(rank, n), true).toString());
  // Walk the support back from the target: each step goes to a reached predecessor of lower rank.
  const path = [to];
  for (let n = to; n !== q.from;) {
    const p = (preds.get(n) ?? []).find((c) => isTrue(c) && rankOf(c) < rankOf(n));
    assert(p !== undefined, () => `model supports node ${g.nodes[n]} by a reached predecessor`);
    path.unshift(p);
    n = p;
    assert(path.length <= g.nodes.length, 'ranks decrease, so the walk ends');
  }
  assert(isValidFlowPath(g, path), () => `Z3 witness is a flow path: ${path.join(',')}`);
  return { from: q.from, to, verdict: 'flow', path };
}
