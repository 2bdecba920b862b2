// The explicit-state model-checking engine (issue #3): breadth-first search with shortest
// counterexamples, depth-first search for memory-bounded runs, invariants, the quiescence oracle
// (no lost wakeup), liveness under weak fairness (./liveness.ts), partial-order reduction with the
// cycle proviso and symmetry reduction. Design: docs/adr/007-model-checker.md.
import { assert, unreachable } from '../../spec/common/assert.ts';
import type { State, TransitionSystem } from '../../spec/common/transition.ts';
import { hintProblem, PARTIAL_ORDER_HINT } from './hints.ts';
import { findFairLasso, type EdgeGraph } from './liveness.ts';
import { StateStore, collisionProbability } from './store.ts';
import type { McTrace } from './trace.ts';

export type { McTrace } from './trace.ts';
export { PARTIAL_ORDER_HINT } from './hints.ts';

export type SearchOrder = 'bfs' | 'dfs';
export type Verdict = 'holds' | 'violated' | 'incomplete';

/** Property name the quiescence oracle reports (verification-tools.md §9.4). */
export const NO_LOST_WAKEUP = 'no-lost-wakeup';

export interface Progress {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly statesPerSecond: number;
  readonly memoryBytes: number;
  readonly seconds: number;
}

export interface CheckOptions {
  readonly search: SearchOrder;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly maxDepth?: number;
  /** Partial-order reduction through ts.isSafeLocal (default on when the model offers it). */
  readonly por?: boolean;
  /** Symmetry reduction through ts.canonicalize (default on when the model offers it). */
  readonly symmetry?: boolean;
  /** Check ts.goal under weak fairness after a complete BFS (turns POR and symmetry off). */
  readonly liveness?: boolean;
  /** Compare whole state vectors instead of 64-bit fingerprints (no collisions, more memory). */
  readonly exact?: boolean;
  /**
   * Test the model's partial-order hint (ts.isSafeLocal) in every expanded state instead of
   * trusting it (./hints.ts). Explores the full graph: turns POR and symmetry off.
   */
  readonly checkHints?: boolean;
  readonly onProgress?: (p: Progress) => void;
  /** Milliseconds clock, injectable so tests of the bounds do not depend on the machine. */
  readonly now?: () => number;
}

export interface McResult {
  readonly verdict: Verdict;
  readonly property?: string;
  readonly message?: string;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  /** Chance that fingerprint compaction merged two distinct states (0 in exact mode). */
  readonly collisionProbability: number;
  readonly memoryBytes: number;
  /** Which bound ended an incomplete run. */
  readonly incompleteReason?: 'maxStates' | 'maxSeconds' | 'maxDepth' | 'simulation';
  readonly reductions: { readonly por: boolean; readonly symmetry: boolean };
  /** Successors left out by the model's state constraint (ts.constraint); absent when none. */
  readonly pruned?: number;
  /**
   * Random walks: the seed that replays the walk of the trace alone (`--seed N --runs 1`),
   * EXAMPLES.md §4; without a trace, the seed of the last walk.
   */
  readonly walkSeed?: number;
  readonly trace?: McTrace;
}

/** How often (expanded states) the clock is read for bounds and progress. */
const CLOCK_EVERY_STATES = 1024;
const PROGRESS_EVERY_MS = 250;
/** ...and at least every this many expansions, so a long run reports whatever the machine's speed. */
const PROGRESS_EVERY_STATES = 1 << 17;
/** Bound on one state's successors, against a model that emits forever. */
const MAX_SUCCESSORS = 1 << 16;

interface Found {
  property: string;
  message: string;
}

/** Shared machinery of both searches: successor buffer, reductions, oracles. */
class Search {
  readonly w: number;
  readonly por: boolean;
  readonly symmetry: boolean;
  succ: Uint32Array;
  succAction: Int32Array;
  n = 0;
  /** Selected successors of the last expansion (indices into succ). */
  sel: Int32Array;
  selN = 0;
  readonly actionPd: Int32Array;
  readonly pdCount: number;
  readonly canonIn: Uint32Array;
  readonly canonOut: Uint32Array;
  readonly emit: (action: number, next: State) => void;
  states = 0;
  transitions = 0;
  depth = 0;
  /** Successors the state constraint left out. */
  pruned = 0;
  /** Successors of the last expansion before the state constraint (for the quiescence oracle). */
  rawN = 0;
  readonly checkHints: boolean;
  readonly constraintView: Uint32Array;
  readonly t0: number;
  lastProgress: number;
  lastProgressExpanded = 0;
  incompleteReason: McResult['incompleteReason'];

  constructor(
    readonly ts: TransitionSystem,
    readonly opts: CheckOptions,
    readonly now: () => number,
  ) {
    this.w = ts.stateWords;
    const liveness = opts.liveness === true;
    this.checkHints = opts.checkHints === true && ts.isSafeLocal !== undefined;
    // Liveness needs the full graph: ample sets and quotients do not preserve fair cycles here.
    // Checking the hints needs it too: every reachable state's claims are tested.
    const full = liveness || opts.checkHints === true;
    this.por = !full && opts.por !== false && ts.isSafeLocal !== undefined;
    this.symmetry = !full && opts.symmetry !== false && ts.canonicalize !== undefined;
    this.constraintView = new Uint32Array(ts.stateWords);
    this.succ = new Uint32Array(64 * this.w);
    this.succAction = new Int32Array(64);
    this.sel = new Int32Array(64);
    const pds = new Map<string, number>();
    this.actionPd = new Int32Array(ts.actions.length);
    ts.actions.forEach((a, i) => {
      if (!pds.has(a.pd)) pds.set(a.pd, pds.size);
      this.actionPd[i] = pds.get(a.pd)!;
    });
    this.pdCount = pds.size;
    this.canonIn = new Uint32Array(this.w);
    this.canonOut = new Uint32Array(this.w);
    // Hot path: plain checks (no closures) so an emit allocates nothing.
    const words = this.w;
    const actionCount = ts.actions.length;
    this.emit = (action, next) => {
      if (
        next.length !== words ||
        action < 0 ||
        action >= actionCount ||
        this.n >= MAX_SUCCESSORS
      ) {
        badSuccessor({ action, words: next.length, expectedWords: words, count: this.n });
      }
      const i = this.n;
      if (i === this.succAction.length) this.growSucc();
      const base = i * words;
      const succ = this.succ;
      for (let k = 0; k < words; k++) succ[base + k] = next[k]!;
      this.succAction[i] = action;
      this.n = i + 1;
    };
    this.t0 = now();
    this.lastProgress = this.t0;
  }

  private growSucc(): void {
    const cap = this.succAction.length * 2;
    const succ = new Uint32Array(cap * this.w);
    succ.set(this.succ);
    this.succ = succ;
    const act = new Int32Array(cap);
    act.set(this.succAction);
    this.succAction = act;
    this.sel = new Int32Array(cap);
  }

  /**
   * Generates the successors of `s` into the buffer: those inside the state constraint, canonical
   * if symmetry is on. `rawN` keeps the count before the constraint.
   */
  expand(s: State): number {
    this.n = 0;
    this.ts.successors(s, this.emit);
    this.rawN = this.n;
    if (this.ts.constraint !== undefined) this.applyConstraint();
    if (this.symmetry) {
      const w = this.w;
      for (let i = 0; i < this.n; i++) {
        const base = i * w;
        for (let k = 0; k < w; k++) this.canonIn[k] = this.succ[base + k]!;
        this.ts.canonicalize!(this.canonIn, this.canonOut);
        for (let k = 0; k < w; k++) this.succ[base + k] = this.canonOut[k]!;
      }
    }
    return this.n;
  }

  /** Drops the successors outside the model's state constraint, keeping the order of the rest. */
  private applyConstraint(): void {
    const { w, ts } = this;
    const view = this.constraintView;
    let kept = 0;
    for (let i = 0; i < this.n; i++) {
      const base = i * w;
      for (let k = 0; k < w; k++) view[k] = this.succ[base + k]!;
      if (!ts.constraint!(view)) {
        this.pruned++;
        continue;
      }
      if (kept !== i) {
        this.succ.copyWithin(kept * w, base, base + w);
        this.succAction[kept] = this.succAction[i]!;
      }
      kept++;
    }
    this.n = kept;
  }

  /** A broken partial-order claim in `s` (checking mode only), as a violation. */
  checkHint(s: State): Found | null {
    if (!this.checkHints) return null;
    const message = hintProblem(this.ts, s, this.actionPd);
    return message === null ? null : { property: PARTIAL_ORDER_HINT, message };
  }

  /**
   * Chooses which successors to explore: an ample set (every enabled step of one PD, all
   * safe-local) when POR is on and the cycle proviso allows it, else all of them.
   * Proviso (docs/adr/007): every ample successor must be new; a step back into the visited set
   * forces full expansion, so every cycle of the reduced graph has a fully expanded state.
   */
  select(s: State, store: StateStore): void {
    const n = this.n;
    this.selN = 0;
    if (this.por && n > 1) {
      const pd = this.amplePd(s);
      if (pd >= 0) {
        let allNew = true;
        for (let i = 0; i < n && allNew; i++) {
          if (this.actionPd[this.succAction[i]!] !== pd) continue;
          if (store.lookup(this.succ, i * this.w) >= 0) allNew = false;
        }
        if (allNew) {
          for (let i = 0; i < n; i++) {
            if (this.actionPd[this.succAction[i]!] === pd) this.sel[this.selN++] = i;
          }
          assert(this.selN > 0 && this.selN < n, 'ample set must be a non-empty proper subset');
          return;
        }
      }
    }
    for (let i = 0; i < n; i++) this.sel[i] = i;
    this.selN = n;
  }

  /** True when some successor in the buffer is not in the store yet. */
  anyNew(store: StateStore): boolean {
    for (let i = 0; i < this.n; i++) if (store.lookup(this.succ, i * this.w) < 0) return true;
    return false;
  }

  /** A PD all of whose enabled steps are safe-local and which is not the only one enabled; or -1. */
  private amplePd(s: State): number {
    const n = this.n;
    const ts = this.ts;
    for (let p = 0; p < this.pdCount; p++) {
      let mine = 0;
      let safe = true;
      for (let i = 0; i < n && safe; i++) {
        const a = this.succAction[i]!;
        if (this.actionPd[a] !== p) continue;
        mine++;
        safe = ts.isSafeLocal!(s, a);
      }
      if (safe && mine > 0 && mine < n) return p;
    }
    return -1;
  }

  checkInvariants(s: State): Found | null {
    for (const inv of this.ts.invariants) {
      const msg = inv.check(s);
      if (msg !== null) return { property: inv.name, message: msg };
    }
    return null;
  }

  /**
   * The quiescence oracle on a state with no successors, or one the model calls quiescent. It
   * counts successors before the state constraint: a state whose steps all leave the model is
   * cut by the bound, not stuck.
   */
  checkQuiescent(s: State): Found | null {
    const ts = this.ts;
    if (ts.quiescentViolation === undefined) return null;
    if (this.rawN > 0 && !(ts.isQuiescent?.(s) ?? false)) return null;
    const msg = ts.quiescentViolation(s);
    return msg === null ? null : { property: NO_LOST_WAKEUP, message: msg };
  }

  /** Reads the clock every CLOCK_EVERY_STATES calls; returns false when maxSeconds is spent. */
  tick(expanded: number, store: StateStore): boolean {
    if (expanded % CLOCK_EVERY_STATES !== 0) return true;
    const t = this.now();
    const seconds = (t - this.t0) / 1000;
    const due =
      t - this.lastProgress >= PROGRESS_EVERY_MS ||
      expanded - this.lastProgressExpanded >= PROGRESS_EVERY_STATES;
    if (this.opts.onProgress !== undefined && due) {
      this.lastProgress = t;
      this.lastProgressExpanded = expanded;
      this.opts.onProgress({
        states: this.states,
        transitions: this.transitions,
        depth: this.depth,
        statesPerSecond: seconds > 0 ? Math.round(this.states / seconds) : 0,
        memoryBytes: store.memoryBytes(),
        seconds,
      });
    }
    if (this.opts.maxSeconds !== undefined && seconds >= this.opts.maxSeconds) {
      this.incompleteReason = 'maxSeconds';
      return false;
    }
    return true;
  }

  /**
   * Under symmetry the search stores representatives, so its path is not a run of the model.
   * Rebuild a concrete run: from an initial state, at each step take a successor whose canonical
   * form is the next representative (it exists: canonicalize maps runs to runs of the quotient).
   */
  concretize(trace: McTrace): McTrace {
    const { ts, w } = this;
    const canon = (x: State): string => {
      ts.canonicalize!(x, this.canonOut);
      return this.canonOut.join(',');
    };
    const repKey = (x: State): string => Array.from(x).join(',');
    let cur = ts.initialStates().find((x) => canon(x) === repKey(trace.states[0]!));
    assert(cur !== undefined, 'no initial state maps to the first representative');
    const states: State[] = [cur.slice()];
    const actions: number[] = [];
    for (let i = 1; i < trace.states.length; i++) {
      const want = repKey(trace.states[i]!);
      let next: State | undefined;
      let action = -1;
      ts.successors(cur, (a, x) => {
        if (next === undefined && canon(x) === want) {
          next = x.slice(0, w);
          action = a;
        }
      });
      assert(next !== undefined, `no concrete successor maps to representative ${i}`);
      states.push(next);
      actions.push(action);
      cur = next;
    }
    return { states, actions };
  }

  result(
    store: StateStore,
    verdict: Verdict,
    extra: { found?: Found; trace?: McTrace } = {},
  ): McResult {
    const seconds = (this.now() - this.t0) / 1000;
    if (extra.trace !== undefined && this.symmetry) {
      extra = { ...extra, trace: this.concretize(extra.trace) };
    }
    return {
      verdict,
      ...(extra.found !== undefined
        ? { property: extra.found.property, message: extra.found.message }
        : {}),
      states: store.count,
      transitions: this.transitions,
      depth: this.depth,
      seconds,
      collisionProbability: store.exact ? 0 : collisionProbability(store.count),
      memoryBytes: store.memoryBytes(),
      ...(verdict === 'incomplete' && this.incompleteReason !== undefined
        ? { incompleteReason: this.incompleteReason }
        : {}),
      reductions: { por: this.por, symmetry: this.symmetry },
      ...(this.pruned > 0 ? { pruned: this.pruned } : {}),
      ...(extra.trace !== undefined ? { trace: extra.trace } : {}),
    };
  }
}

function badSuccessor(x: {
  action: number;
  words: number;
  expectedWords: number;
  count: number;
}): never {
  assert(false, `model emitted a bad successor: ${JSON.stringify(x)}`);
}

function grow(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const next = new Int32Array(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}

/** Checks every invariant, the quiescence oracle and (optionally) liveness of `ts`. */
export function checkModel(ts: TransitionSystem, opts: CheckOptions): McResult {
  assert(ts.stateWords > 0, `model ${ts.name} has no state words`);
  assert(ts.actions.length > 0, `model ${ts.name} has no actions`);
  const now = opts.now ?? (() => performance.now());
  const search = new Search(ts, opts, now);
  switch (opts.search) {
    case 'bfs':
      return bfs(search);
    case 'dfs':
      assert(opts.liveness !== true, 'liveness needs the BFS graph (use search bfs)');
      return dfs(search);
    default:
      return unreachable(opts.search);
  }
}

function bfs(sr: Search): McResult {
  const { ts, opts, w } = sr;
  const liveness = opts.liveness === true && ts.goal !== undefined;
  const store = new StateStore({
    stateWords: w,
    keepVectors: true,
    exact: opts.exact === true,
  });
  let parent = new Int32Array(4096);
  let parentAction = new Int32Array(4096);
  // Edges of the explored graph, only for liveness: CSR by source id (BFS expands ids in order).
  let edgeStart = new Int32Array(liveness ? 4096 : 0);
  let edgeTarget = new Int32Array(liveness ? 4096 : 0);
  let edgeAction = new Int32Array(liveness ? 4096 : 0);
  let edgeCount = 0;
  const cur = new Uint32Array(w);
  const tmp = new Uint32Array(w);
  const maxStates = opts.maxStates ?? Number.POSITIVE_INFINITY;
  const maxDepth = opts.maxDepth ?? Number.POSITIVE_INFINITY;

  const traceTo = (id: number): McTrace => {
    const states: State[] = [];
    const actions: number[] = [];
    for (let at = id, guard = 0; at >= 0; at = parent[at]!, guard++) {
      assert(guard <= store.count, 'parent pointers form a cycle');
      const s = new Uint32Array(w);
      store.read(at, s);
      states.push(s);
      if (parent[at]! >= 0) actions.push(parentAction[at]!);
    }
    return { states: states.reverse(), actions: actions.reverse() };
  };

  for (const init of ts.initialStates()) {
    assert(init.length === w, `initial state has ${init.length} words, expected ${w}`);
    if (ts.constraint !== undefined && !ts.constraint(init)) {
      sr.pruned++;
      continue;
    }
    let s = init;
    if (sr.symmetry) {
      ts.canonicalize!(init, tmp);
      s = tmp;
    }
    const id = store.insert(s, 0);
    if (id < 0) continue;
    parent = grow(parent, id + 1);
    parentAction = grow(parentAction, id + 1);
    parent[id] = -1;
    parentAction[id] = -1;
    sr.states = store.count;
    const found = sr.checkInvariants(s);
    if (found !== null) return sr.result(store, 'violated', { found, trace: traceTo(id) });
  }
  assert(store.count > 0, `model ${ts.name} has no initial state inside its constraint`);

  let levelEnd = store.count;
  let level = 0;
  let truncated = false;
  for (let head = 0; head < store.count; head++) {
    if (head === levelEnd) {
      level++;
      levelEnd = store.count;
    }
    if (!sr.tick(head, store)) return sr.result(store, 'incomplete');
    store.read(head, cur);
    sr.expand(cur);
    const q = sr.checkQuiescent(cur) ?? sr.checkHint(cur);
    if (q !== null) return sr.result(store, 'violated', { found: q, trace: traceTo(head) });
    if (liveness) edgeStart = grow(edgeStart, head + 2);
    if (liveness) edgeStart[head] = edgeCount;
    if (level >= maxDepth) {
      // The bound cut something only if a successor is new (a cycle back is not a cut).
      if (sr.anyNew(store)) truncated = true;
      if (liveness) edgeStart[head + 1] = edgeCount;
      continue;
    }
    sr.select(cur, store);
    for (let k = 0; k < sr.selN; k++) {
      const i = sr.sel[k]!;
      const a = sr.succAction[i]!;
      sr.transitions++;
      const r = store.insert(sr.succ, i * w);
      if (liveness) {
        edgeTarget = grow(edgeTarget, edgeCount + 1);
        edgeAction = grow(edgeAction, edgeCount + 1);
        edgeTarget[edgeCount] = r >= 0 ? r : ~r;
        edgeAction[edgeCount] = a;
        edgeCount++;
      }
      if (r < 0) continue;
      parent = grow(parent, r + 1);
      parentAction = grow(parentAction, r + 1);
      parent[r] = head;
      parentAction[r] = a;
      sr.depth = level + 1;
      store.read(r, tmp);
      const found = sr.checkInvariants(tmp);
      if (found !== null) return sr.result(store, 'violated', { found, trace: traceTo(r) });
    }
    if (liveness) edgeStart[head + 1] = edgeCount;
    sr.states = store.count;
    if (store.count >= maxStates && head + 1 < store.count) {
      sr.incompleteReason = 'maxStates';
      return sr.result(store, 'incomplete');
    }
  }
  if (truncated) {
    sr.incompleteReason = 'maxDepth';
    return sr.result(store, 'incomplete');
  }
  if (!liveness) return sr.result(store, 'holds');
  const graph: EdgeGraph = {
    count: store.count,
    edgeStart,
    edgeTarget,
    edgeAction,
    initialCount: countInitial(parent, store.count),
  };
  const lasso = findFairLasso(ts, graph, (id, out) => store.read(id, out), sr.actionPd);
  if (lasso === null) return sr.result(store, 'holds');
  const property = ts.goalName ?? 'eventually-goal';
  return sr.result(store, 'violated', {
    found: { property, message: lasso.message },
    trace: lasso.trace,
  });
}

function countInitial(parent: Int32Array, count: number): number {
  let k = 0;
  while (k < count && parent[k] === -1) k++;
  return k;
}

function dfs(sr: Search): McResult {
  const { ts, opts, w } = sr;
  const store = new StateStore({
    stateWords: w,
    keepVectors: opts.exact === true,
    exact: opts.exact === true,
  });
  const maxStates = opts.maxStates ?? Number.POSITIVE_INFINITY;
  const maxDepth = opts.maxDepth ?? Number.POSITIVE_INFINITY;
  // The stack: one state vector per frame, and each frame's selected successors in a pool.
  let frameState = new Uint32Array(256 * w);
  let frameAction = new Int32Array(256);
  let frameStart = new Int32Array(256);
  let frameNext = new Int32Array(256);
  let frameEnd = new Int32Array(256);
  let pool = new Uint32Array(1024 * w);
  let poolAction = new Int32Array(1024);
  let poolTop = 0;
  let top = -1;
  let truncated = false;
  let expanded = 0;
  const cur = new Uint32Array(w);

  const traceOfStack = (): McTrace => {
    const states: State[] = [];
    const actions: number[] = [];
    for (let f = 0; f <= top; f++) {
      states.push(frameState.slice(f * w, (f + 1) * w));
      if (f > 0) actions.push(frameAction[f]!);
    }
    return { states, actions };
  };

  /** Pushes `src[off..]` reached by `action`, expands it; returns a violation if it has one. */
  const push = (src: Uint32Array, off: number, action: number): Found | null => {
    top++;
    if ((top + 1) * w > frameState.length) {
      const fs = new Uint32Array(frameState.length * 2);
      fs.set(frameState);
      frameState = fs;
    }
    frameAction = grow(frameAction, top + 1);
    frameStart = grow(frameStart, top + 1);
    frameNext = grow(frameNext, top + 1);
    frameEnd = grow(frameEnd, top + 1);
    const base = top * w;
    for (let k = 0; k < w; k++) {
      frameState[base + k] = src[off + k]!;
      cur[k] = src[off + k]!;
    }
    frameAction[top] = action;
    if (top > sr.depth) sr.depth = top;
    const inv = sr.checkInvariants(cur);
    if (inv !== null) return inv;
    expanded++;
    sr.expand(cur);
    const q = sr.checkQuiescent(cur) ?? sr.checkHint(cur);
    if (q !== null) return q;
    frameStart[top] = poolTop;
    frameNext[top] = poolTop;
    if (top >= maxDepth) {
      if (sr.anyNew(store)) truncated = true;
      frameEnd[top] = poolTop;
      return null;
    }
    sr.select(cur, store);
    const need = poolTop + sr.selN;
    if (need * w > pool.length) {
      const p = new Uint32Array(Math.max(need * w, pool.length * 2));
      p.set(pool);
      pool = p;
    }
    poolAction = grow(poolAction, need);
    for (let k = 0; k < sr.selN; k++) {
      const i = sr.sel[k]!;
      const from = i * w;
      const to = (poolTop + k) * w;
      for (let j = 0; j < w; j++) pool[to + j] = sr.succ[from + j]!;
      poolAction[poolTop + k] = sr.succAction[i]!;
    }
    poolTop = need;
    frameEnd[top] = poolTop;
    return null;
  };

  const tmp = new Uint32Array(w);
  for (const init of ts.initialStates()) {
    assert(init.length === w, `initial state has ${init.length} words, expected ${w}`);
    if (ts.constraint !== undefined && !ts.constraint(init)) {
      sr.pruned++;
      continue;
    }
    let s = init;
    if (sr.symmetry) {
      ts.canonicalize!(init, tmp);
      s = tmp;
    }
    if (store.insert(s, 0) < 0) continue;
    sr.states = store.count;
    const found = push(s, 0, -1);
    if (found !== null) return sr.result(store, 'violated', { found, trace: traceOfStack() });
    // Bounded by the number of distinct states: each push inserts a new one.
    let ticked = -1;
    while (top >= 0) {
      // Read the clock once per new expansion count (tick samples every CLOCK_EVERY_STATES).
      if (expanded !== ticked) {
        ticked = expanded;
        if (!sr.tick(expanded, store)) return sr.result(store, 'incomplete');
      }
      const next = frameNext[top]!;
      if (next >= frameEnd[top]!) {
        poolTop = frameStart[top]!;
        top--;
        continue;
      }
      frameNext[top] = next + 1;
      sr.transitions++;
      if (store.insert(pool, next * w) < 0) continue;
      sr.states = store.count;
      const f = push(pool, next * w, poolAction[next]!);
      if (f !== null) return sr.result(store, 'violated', { found: f, trace: traceOfStack() });
      if (store.count >= maxStates) {
        sr.incompleteReason = 'maxStates';
        return sr.result(store, 'incomplete');
      }
    }
    poolTop = 0;
  }
  if (truncated) {
    sr.incompleteReason = 'maxDepth';
    return sr.result(store, 'incomplete');
  }
  return sr.result(store, 'holds');
}
