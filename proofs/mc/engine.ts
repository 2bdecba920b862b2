// The explicit-state model-checking engine (issue #3, issue #11): breadth-first search with
// shortest counterexamples, depth-first search for memory-bounded runs, invariants, the quiescence
// oracle (no lost wakeup), liveness under weak fairness (./liveness.ts), partial-order reduction
// with the cycle proviso and symmetry reduction; three storage modes (./store.ts: exact,
// hash-compact, bitstate), the BFS frontier apart from the visited set (./frontier.ts) and traces
// rebuilt by re-execution (./tracelog.ts). Design: docs/adr/007-model-checker.md.
import { assert, unreachable } from '../../spec/common/assert.ts';
import {
  ModelLimitReached,
  type State,
  type TransitionSystem,
} from '../../spec/common/transition.ts';
import { defaultMaxMemoryBytes } from './budget.ts';
import { DeltaFrontier, RingFrontier } from './frontier.ts';
import { DEFAULT_HASH_SEED, mixA, mixB, StateHasher } from './hash.ts';
import { hintProblem, PARTIAL_ORDER_HINT } from './hints.ts';
import { findFairLasso, type EdgeGraph } from './liveness.ts';
import { Mulberry32 } from './random.ts';
import {
  BitstateSet,
  ExactSet,
  HashCompactSet,
  type FingerprintSet,
  type StoreMode,
} from './store.ts';
import type { McTrace } from './trace.ts';
import { rebuildTrace, TraceLog } from './tracelog.ts';

export type { McTrace } from './trace.ts';
export type { StoreMode } from './store.ts';
export { PARTIAL_ORDER_HINT } from './hints.ts';

export type SearchOrder = 'bfs' | 'dfs';
export type Verdict = 'holds' | 'violated' | 'incomplete';
export type IncompleteReason =
  | 'maxStates'
  | 'maxSeconds'
  | 'maxDepth'
  | 'maxMemory'
  | 'bitstate'
  | 'simulation'
  /** The model could not represent a successor (ModelLimitReached; `message` says which limit). */
  | 'modelLimit'
  /** A schedule-guided search (guide.ts) explored only the runs that follow its schedule. */
  | 'guided'
  /** A promise-free search (promise-free.ts) left out the runs that need a Promising promise. */
  | 'promiseFree';

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
  /**
   * Stop as `incomplete` (reason `maxMemory`) rather than grow the engine's tables past this many
   * bytes. Default: half of the machine's or container's memory (./budget.ts).
   */
  readonly maxMemoryBytes?: number;
  /** Partial-order reduction through ts.isSafeLocal (default on when the model offers it). */
  readonly por?: boolean;
  /** Symmetry reduction through ts.canonicalize (default on when the model offers it). */
  readonly symmetry?: boolean;
  /** Check ts.goal under weak fairness after a complete BFS (exact mode, no POR or symmetry). */
  readonly liveness?: boolean;
  /** How states are stored (./store.ts). Default hash-compact; liveness forces exact. */
  readonly mode?: StoreMode;
  /** Same as `mode: 'exact'` (kept for callers of the first version). */
  readonly exact?: boolean;
  /** Bitstate mode: log2 of the bit array's size in bits (default 29: 64 MiB), hashes per state (3). */
  readonly bitstateBits?: number;
  readonly bitstateHashes?: number;
  /** Seed of the fingerprint hash functions (swarm shards use different ones). */
  readonly hashSeed?: number;
  /**
   * Explore each state's successors in a seeded random order instead of the model's (swarm search:
   * different orders reach different parts of a space first under a bound).
   */
  readonly orderSeed?: number;
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
  /**
   * Processor time of the search (user + system, all threads of the process), when the platform
   * tells: on a shared machine the steadier figure for rates (bench/spin.ts).
   */
  readonly cpuSeconds?: number;
  /** How states were stored (./store.ts); `none` for random walks, which store nothing. */
  readonly mode: StoreMode | 'none';
  /**
   * Chance that fingerprint compaction merged two distinct states (0 in exact mode; in bitstate
   * mode, 1 - coverage).
   */
  readonly collisionProbability: number;
  /** Bitstate mode: estimated share of the reachable states the search stored. */
  readonly coverage?: number;
  /** Largest memory the engine's typed arrays held at once (bytes). */
  readonly memoryBytes: number;
  /** Which bound ended an incomplete run (`bitstate`: the search ended, but may have missed states). */
  readonly incompleteReason?: IncompleteReason;
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
/** From this state length on, emit copies with TypedArray.set (measured on net-pipeline, 178 words). */
const BULK_COPY_WORDS = 32;
/**
 * From this state length on, the BFS frontier stores states as differences (frontier.ts
 * DeltaFrontier); shorter states are copied whole (a record is then at most a few dozen bytes).
 */
const DELTA_FRONTIER_WORDS = 16;
/** States BFS expands before it inserts their successors (see bfs). */
export const BFS_BATCH = 256;
/** Default bitstate array: 2^29 bits = 64 MiB, 3 bits per state (SPIN's -k default). */
export const DEFAULT_BITSTATE_BITS = 29;
export const DEFAULT_BITSTATE_HASHES = 3;

export interface Found {
  property: string;
  message: string;
}

/** A structure that grows by doubling: the engine checks the memory bound before each growth. */
interface Growable {
  needsGrow(): boolean;
  growBytes(): number;
  grow(): void;
  memoryBytes(): number;
}

/** Stops the search: a bound was reached (the result is built where it is caught). */
export class Stop {
  constructor(readonly reason: IncompleteReason) {}
}

/**
 * Shared machinery of the searches (BFS, DFS, the parallel search's workers): successor buffer
 * with incremental fingerprints, reductions, oracles, bounds and the memory budget. Exported for
 * ./parallel-worker.ts only; not part of the public entry (./index.ts).
 */
export class Search {
  readonly w: number;
  readonly por: boolean;
  readonly symmetry: boolean;
  readonly mode: StoreMode;
  readonly hasher: StateHasher;
  /** Successor vectors of the last expansion, `w` words each, and per successor its data. */
  succ: Uint32Array;
  succAction: Int32Array;
  /** Raw hash sums (./hash.ts) and finished hashes of each successor. */
  succSum1: Int32Array;
  succSum2: Int32Array;
  succH1: Int32Array;
  succH2: Int32Array;
  /** `views[i]` is successor i's vector (a subarray, made once per buffer growth). */
  views: Uint32Array[];
  n = 0;
  /** Selected successors of the last expansion (indices into succ). */
  sel: Int32Array;
  selN = 0;
  readonly actionPd: Int32Array;
  readonly pdCount: number;
  /** Scratch of amplePd: successors and unsafe flag per PD. */
  private readonly pdSteps: Int32Array;
  private readonly pdUnsafe: Uint8Array;
  readonly canonIn: Uint32Array;
  readonly canonOut: Uint32Array;
  /** The state being expanded and its hash sums (emit updates the sums from them). */
  cur: State;
  curSum1 = 0;
  curSum2 = 0;
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
  readonly maxMemoryBytes: number;
  peakMemoryBytes = 0;
  readonly parts: Growable[] = [];
  readonly rng: Mulberry32 | undefined;
  /** Expansions at which the clock is read next. */
  nextClock = 0;
  /** Sink of `FingerprintSet.touch` (kept so the loads are not optimised away). */
  touched = 0;

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
    this.mode = liveness || opts.exact === true ? 'exact' : (opts.mode ?? 'hash-compact');
    assert(
      !(liveness && opts.mode !== undefined && opts.mode !== 'exact'),
      `liveness walks the stored graph, so it needs exact mode (got ${opts.mode})`,
    );
    this.hasher = new StateHasher(this.w, opts.hashSeed ?? DEFAULT_HASH_SEED);
    this.maxMemoryBytes = opts.maxMemoryBytes ?? defaultMaxMemoryBytes();
    this.rng = opts.orderSeed === undefined ? undefined : new Mulberry32(opts.orderSeed);
    this.constraintView = new Uint32Array(ts.stateWords);
    const cap = 64;
    this.succ = new Uint32Array(cap * this.w);
    this.succAction = new Int32Array(cap);
    this.succSum1 = new Int32Array(cap);
    this.succSum2 = new Int32Array(cap);
    this.succH1 = new Int32Array(cap);
    this.succH2 = new Int32Array(cap);
    this.sel = new Int32Array(cap);
    this.views = makeViews(this.succ, this.w, cap);
    const pds = new Map<string, number>();
    this.actionPd = new Int32Array(ts.actions.length);
    ts.actions.forEach((a, i) => {
      if (!pds.has(a.pd)) pds.set(a.pd, pds.size);
      this.actionPd[i] = pds.get(a.pd)!;
    });
    this.pdCount = pds.size;
    this.pdSteps = new Int32Array(this.pdCount);
    this.pdUnsafe = new Uint8Array(this.pdCount);
    this.canonIn = new Uint32Array(this.w);
    this.canonOut = new Uint32Array(this.w);
    this.cur = new Uint32Array(this.w);
    // Hot path: plain checks (no closures) so an emit allocates nothing. The copy also updates the
    // successor's hash sums from the current state's, word by changed word (./hash.ts).
    const words = this.w;
    const actionCount = ts.actions.length;
    const k1 = this.hasher.key1;
    const k2 = this.hasher.key2;
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
      const cur = this.cur;
      let a = this.curSum1;
      let b = this.curSum2;
      if (words >= BULK_COPY_WORDS) {
        // Long vectors: a native copy, then a read-only pass for the changed words.
        succ.set(next, base);
        for (let k = 0; k < words; k++) {
          const v = next[k]!;
          const old = cur[k]!;
          if (v !== old) {
            a = (a + mixA(v ^ k1[k]!) - mixA(old ^ k1[k]!)) | 0;
            b = (b + mixB(v ^ k2[k]!) - mixB(old ^ k2[k]!)) | 0;
          }
        }
      } else {
        for (let k = 0; k < words; k++) {
          const v = next[k]!;
          succ[base + k] = v;
          const old = cur[k]!;
          if (v !== old) {
            a = (a + mixA(v ^ k1[k]!) - mixA(old ^ k1[k]!)) | 0;
            b = (b + mixB(v ^ k2[k]!) - mixB(old ^ k2[k]!)) | 0;
          }
        }
      }
      this.succSum1[i] = a;
      this.succSum2[i] = b;
      this.succAction[i] = action;
      this.n = i + 1;
    };
    this.t0 = now();
    this.cpu0 = cpuMicros();
    this.lastProgress = this.t0;
  }

  readonly cpu0: number | undefined;

  private growSucc(): void {
    const cap = this.succAction.length * 2;
    const succ = new Uint32Array(cap * this.w);
    succ.set(this.succ);
    this.succ = succ;
    this.views = makeViews(succ, this.w, cap);
    this.succAction = growInt32(this.succAction, cap);
    this.succSum1 = growInt32(this.succSum1, cap);
    this.succSum2 = growInt32(this.succSum2, cap);
    this.succH1 = growInt32(this.succH1, cap);
    this.succH2 = growInt32(this.succH2, cap);
    this.sel = new Int32Array(cap);
  }

  /** The visited set this run's mode and options call for. */
  makeSet(): FingerprintSet {
    switch (this.mode) {
      case 'hash-compact':
        return new HashCompactSet();
      case 'exact':
        return new ExactSet(this.w);
      case 'bitstate':
        return new BitstateSet({
          bits: this.opts.bitstateBits ?? DEFAULT_BITSTATE_BITS,
          hashes: this.opts.bitstateHashes ?? DEFAULT_BITSTATE_HASHES,
        });
      default:
        return unreachable(this.mode);
    }
  }

  /** Registers a structure whose memory counts against the bound. */
  track<T extends Growable>(part: T): T {
    this.parts.push(part);
    return part;
  }

  memoryBytes(): number {
    let bytes = this.succ.byteLength + this.succAction.byteLength * 6;
    for (const p of this.parts) bytes += p.memoryBytes();
    return bytes;
  }

  /** Grows `part` if it is full, unless that would pass the memory bound (then stops the run). */
  ensure(part: Growable): void {
    if (!part.needsGrow()) return;
    const after = this.memoryBytes() + part.growBytes();
    if (after > this.maxMemoryBytes) throw new Stop('maxMemory');
    part.grow();
    if (after > this.peakMemoryBytes) this.peakMemoryBytes = after;
  }

  /** Hash sums of a whole vector (an initial state, a canonicalised successor). */
  hashFull(src: Uint32Array, off: number): void {
    this.hasher.full(src, off);
  }

  /**
   * Generates the successors of `s` (hash sums `sum1`, `sum2`) into the buffer after those already
   * there (`n`; callers reset it to start a new batch): those inside the state constraint,
   * canonical if symmetry is on, each with its finished hashes. Returns the index of the first;
   * `rawN` is this state's count before the constraint.
   */
  expand(s: State, sum1: number, sum2: number): number {
    const w = this.w;
    // emit compares each successor with `s`, which stays put while the model runs: no copy.
    this.cur = s;
    this.curSum1 = sum1;
    this.curSum2 = sum2;
    const start = this.n;
    this.ts.successors(s, this.emit);
    this.rawN = this.n - start;
    if (this.ts.constraint !== undefined) this.applyConstraint(start);
    if (this.symmetry) {
      for (let i = start; i < this.n; i++) {
        const base = i * w;
        for (let k = 0; k < w; k++) this.canonIn[k] = this.succ[base + k]!;
        this.ts.canonicalize!(this.canonIn, this.canonOut);
        for (let k = 0; k < w; k++) this.succ[base + k] = this.canonOut[k]!;
        this.hasher.full(this.succ, base);
        this.succSum1[i] = this.hasher.sum1;
        this.succSum2[i] = this.hasher.sum2;
      }
    }
    for (let i = start; i < this.n; i++) {
      this.succH1[i] = StateHasher.finish1(this.succSum1[i]!);
      this.succH2[i] = StateHasher.finish2(this.succSum2[i]!);
    }
    return start;
  }

  /** Drops the successors from `start` on outside the state constraint, keeping the order. */
  private applyConstraint(start: number): void {
    const { w, ts } = this;
    const view = this.constraintView;
    let kept = start;
    for (let i = start; i < this.n; i++) {
      const base = i * w;
      for (let k = 0; k < w; k++) view[k] = this.succ[base + k]!;
      if (!ts.constraint!(view)) {
        this.pruned++;
        continue;
      }
      if (kept !== i) {
        this.succ.copyWithin(kept * w, base, base + w);
        this.succAction[kept] = this.succAction[i]!;
        this.succSum1[kept] = this.succSum1[i]!;
        this.succSum2[kept] = this.succSum2[i]!;
      }
      kept++;
    }
    this.n = kept;
  }

  /**
   * Loads the visited-set slots of every successor in the buffer into cache at once: their
   * misses overlap, instead of each `put` waiting for its own (~200 ns each on the benchmark
   * machine, measured; docs/adr/007 "Memory access").
   */
  touchAll(set: FingerprintSet): void {
    this.touched ^= set.touch(this.succH1, this.n);
  }

  /** True when successor i is in `set`. */
  seen(set: FingerprintSet, i: number): boolean {
    return set.has(this.succH1[i]!, this.succH2[i]!, this.succ, i * this.w);
  }

  /** A broken partial-order claim in `s` (checking mode only), as a violation. */
  checkHint(s: State): Found | null {
    if (!this.checkHints) return null;
    const message = hintProblem(this.ts, s, this.actionPd);
    return message === null ? null : { property: PARTIAL_ORDER_HINT, message };
  }

  /**
   * Chooses which of the successors `start .. end` of `s` to explore: an ample set (every enabled
   * step of one PD, all safe-local) when POR is on and the cycle proviso allows it, else all of
   * them; in a seeded random order when the run asks for one. Fills `sel[0 .. selN)`.
   * Proviso (docs/adr/007): every ample successor must be new; a step back into the visited set
   * forces full expansion, so every cycle of the reduced graph has a fully expanded state.
   */
  select(s: State, set: FingerprintSet, start: number, end: number): void {
    this.selectUnordered(s, set, start, end);
    if (this.rng !== undefined) {
      // Fisher-Yates on the selection.
      for (let i = this.selN - 1; i > 0; i--) {
        const j = Math.floor(this.rng.next() * (i + 1));
        const t = this.sel[i]!;
        this.sel[i] = this.sel[j]!;
        this.sel[j] = t;
      }
    }
  }

  private selectUnordered(s: State, set: FingerprintSet, start: number, end: number): void {
    this.selN = 0;
    if (this.por && end - start > 1) {
      const pd = this.amplePd(s, start, end);
      if (pd >= 0) {
        let allNew = true;
        for (let i = start; i < end && allNew; i++) {
          if (this.actionPd[this.succAction[i]!] !== pd) continue;
          if (this.seen(set, i)) allNew = false;
        }
        if (allNew) {
          for (let i = start; i < end; i++) {
            if (this.actionPd[this.succAction[i]!] === pd) this.sel[this.selN++] = i;
          }
          assert(
            this.selN > 0 && this.selN < end - start,
            'ample set must be a non-empty proper subset',
          );
          return;
        }
      }
    }
    for (let i = start; i < end; i++) this.sel[this.selN++] = i;
  }

  /** True when some successor in `start .. end` is not in the set yet. */
  anyNew(set: FingerprintSet, start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (!this.seen(set, i)) return true;
    return false;
  }

  /** A PD all of whose enabled steps are safe-local and which is not the only one enabled; or -1. */
  private amplePd(s: State, start: number, end: number): number {
    // One pass: per PD, how many successors it has and whether all are safe-local.
    const count = this.pdSteps;
    const unsafe = this.pdUnsafe;
    count.fill(0);
    unsafe.fill(0);
    const ts = this.ts;
    for (let i = start; i < end; i++) {
      const a = this.succAction[i]!;
      const p = this.actionPd[a]!;
      count[p] = count[p]! + 1;
      if (unsafe[p] === 0 && !ts.isSafeLocal!(s, a)) unsafe[p] = 1;
    }
    const n = end - start;
    for (let p = 0; p < this.pdCount; p++) {
      if (unsafe[p] === 0 && count[p]! > 0 && count[p]! < n) return p;
    }
    return -1;
  }

  checkInvariants(s: State): Found | null {
    const invs = this.ts.invariants;
    for (let i = 0; i < invs.length; i++) {
      const msg = invs[i]!.check(s);
      if (msg !== null) return { property: invs[i]!.name, message: msg };
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

  /** True when `s` shows the violation `found` (used to pick the run a trace rebuild ends in). */
  violates(s: State, found: Found): boolean {
    if (found.property === NO_LOST_WAKEUP) {
      this.hashFull(s, 0);
      this.n = 0;
      this.expand(s, this.hasher.sum1, this.hasher.sum2);
      return this.checkQuiescent(s) !== null;
    }
    if (found.property === PARTIAL_ORDER_HINT) return this.checkHint(s) !== null;
    const inv = this.ts.invariants.find((i) => i.name === found.property);
    return inv !== undefined && inv.check(s) !== null;
  }

  /**
   * Reads the clock every CLOCK_EVERY_STATES calls: progress, and the time bound (throws Stop).
   */
  tick(expanded: number): void {
    if (expanded < this.nextClock) return;
    this.nextClock = expanded + CLOCK_EVERY_STATES;
    const t = this.now();
    const seconds = (t - this.t0) / 1000;
    const due =
      t - this.lastProgress >= PROGRESS_EVERY_MS ||
      expanded - this.lastProgressExpanded >= PROGRESS_EVERY_STATES;
    const memory = this.memoryBytes();
    if (memory > this.peakMemoryBytes) this.peakMemoryBytes = memory;
    if (this.opts.onProgress !== undefined && due) {
      this.lastProgress = t;
      this.lastProgressExpanded = expanded;
      this.opts.onProgress({
        states: this.states,
        transitions: this.transitions,
        depth: this.depth,
        statesPerSecond: seconds > 0 ? Math.round(this.states / seconds) : 0,
        memoryBytes: memory,
        seconds,
      });
    }
    if (this.opts.maxSeconds !== undefined && seconds >= this.opts.maxSeconds) {
      throw new Stop('maxSeconds');
    }
    // Growth of the tables is checked before it happens (ensure); this catches the rest (the DFS
    // stack, the successor buffer).
    if (memory > this.maxMemoryBytes) throw new Stop('maxMemory');
  }

  /**
   * Under symmetry a DFS stack holds representatives, so its path is not a run of the model.
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
    set: FingerprintSet,
    verdict: Verdict,
    extra: { found?: Found; trace?: McTrace; reason?: IncompleteReason; message?: string } = {},
  ): McResult {
    const seconds = (this.now() - this.t0) / 1000;
    // A bitstate search that ran out of states may have skipped some: it proves nothing.
    let reason = extra.reason;
    if (verdict === 'holds' && set.mode === 'bitstate') {
      verdict = 'incomplete';
      reason = 'bitstate';
    }
    const memory = this.memoryBytes();
    return {
      verdict,
      ...(extra.found !== undefined
        ? { property: extra.found.property, message: extra.found.message }
        : extra.message !== undefined
          ? { message: extra.message }
          : {}),
      states: set.count,
      transitions: this.transitions,
      depth: this.depth,
      seconds,
      ...(this.cpu0 !== undefined ? { cpuSeconds: (cpuMicros()! - this.cpu0) / 1e6 } : {}),
      mode: set.mode,
      collisionProbability: set.collisionProbability(),
      ...(set instanceof BitstateSet ? { coverage: set.coverage() } : {}),
      memoryBytes: Math.max(memory, this.peakMemoryBytes),
      ...(verdict === 'incomplete' && reason !== undefined ? { incompleteReason: reason } : {}),
      reductions: { por: this.por, symmetry: this.symmetry },
      ...(this.pruned > 0 ? { pruned: this.pruned } : {}),
      ...(extra.trace !== undefined ? { trace: extra.trace } : {}),
    };
  }
}

/** Processor time of this process in microseconds, or undefined outside Node. */
function cpuMicros(): number | undefined {
  if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') return undefined;
  const u = process.cpuUsage();
  return u.user + u.system;
}

export function makeViews(buf: Uint32Array, w: number, count: number): Uint32Array[] {
  const views: Uint32Array[] = [];
  for (let i = 0; i < count; i++) views.push(buf.subarray(i * w, (i + 1) * w));
  return views;
}

function growInt32(a: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(length);
  next.set(a);
  return next;
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
  assert(TraceLog.fits(ts.actions.length), `model ${ts.name} has too many actions`);
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

/** The initial states inside the constraint, canonical under symmetry (copies). */
function roots(sr: Search): State[] {
  const { ts, w } = sr;
  const out: State[] = [];
  for (const init of ts.initialStates()) {
    assert(init.length === w, `initial state has ${init.length} words, expected ${w}`);
    if (ts.constraint !== undefined && !ts.constraint(init)) {
      sr.pruned++;
      continue;
    }
    const s = new Uint32Array(w);
    if (sr.symmetry) ts.canonicalize!(init, s);
    else s.set(init);
    out.push(s);
  }
  assert(out.length > 0, `model ${ts.name} has no initial state inside its constraint`);
  return out;
}

function bfs(sr: Search): McResult {
  const { ts, opts, w } = sr;
  const liveness = opts.liveness === true && ts.goal !== undefined;
  const set = sr.track(sr.makeSet());
  const log = sr.track(new TraceLog());
  const frontier = sr.track(w >= DELTA_FRONTIER_WORDS ? new DeltaFrontier(w) : new RingFrontier(w));
  // Edges of the explored graph, only for liveness: CSR by source id (BFS expands ids in order).
  let edgeStart = new Int32Array(liveness ? 4096 : 0);
  let edgeTarget = new Int32Array(liveness ? 4096 : 0);
  let edgeAction = new Int32Array(liveness ? 4096 : 0);
  let edgeCount = 0;
  let initialCount = 0;
  const maxStates = opts.maxStates ?? Number.POSITIVE_INFINITY;
  const maxDepth = opts.maxDepth ?? Number.POSITIVE_INFINITY;

  const violation = (id: number, found: Found): McResult => {
    const trace = rebuildTrace({
      ts,
      actions: log.actionsTo(id),
      visited: (s) => {
        sr.hashFull(s, 0);
        const h = sr.hasher;
        return set.has(StateHasher.finish1(h.sum1), StateHasher.finish2(h.sum2), s, 0);
      },
      ...(sr.symmetry
        ? {
            canonical: (s: State): State => {
              const out = new Uint32Array(w);
              ts.canonicalize!(s, out);
              return out;
            },
          }
        : {}),
      violates: (s) => sr.violates(s, found),
    });
    return sr.result(set, 'violated', {
      found,
      trace: sr.symmetry ? sr.concretize(trace) : trace,
    });
  };

  try {
    for (const s of roots(sr)) {
      sr.hashFull(s, 0);
      const { sum1, sum2 } = sr.hasher;
      sr.ensure(set);
      const id = set.put(StateHasher.finish1(sum1), StateHasher.finish2(sum2), s, 0);
      if (id < 0) continue;
      sr.ensure(log);
      log.record(id, -1, -1);
      sr.ensure(frontier);
      frontier.push(s, 0, sum1, sum2);
      initialCount++;
      sr.states = set.count;
      const found = sr.checkInvariants(s);
      if (found !== null) return violation(id, found);
    }

    // States are expanded in batches of one level's states: all their successors are generated
    // and hashed first, their table slots loaded together (touchAll), then inserted in order. The
    // order of ids, traces and verdicts is that of one-at-a-time BFS; the POR proviso sees the
    // visited set as it was before the batch, which still contains every state expanded before
    // (the cycle argument of docs/adr/007 only needs those).
    const batch = new Uint32Array(BFS_BATCH * w);
    const batchViews = makeViews(batch, w, BFS_BATCH);
    const batchStart = new Int32Array(BFS_BATCH + 1);
    let levelEnd = set.count;
    let level = 0;
    let truncated = false;
    for (let head = 0; frontier.size > 0;) {
      if (head === levelEnd) {
        level++;
        levelEnd = set.count;
      }
      sr.tick(head);
      const size = Math.min(BFS_BATCH, levelEnd - head);
      sr.n = 0;
      for (let b = 0; b < size; b++) {
        const s = batchViews[b]!;
        frontier.shift(s);
        batchStart[b] = sr.expand(s, frontier.sum1, frontier.sum2);
        const q = sr.checkQuiescent(s) ?? sr.checkHint(s);
        if (q !== null) return violation(head + b, q);
      }
      batchStart[size] = sr.n;
      sr.touchAll(set);
      for (let b = 0; b < size; b++, head++) {
        const from = batchStart[b]!;
        const to = batchStart[b + 1]!;
        if (liveness) {
          edgeStart = grow(edgeStart, head + 2);
          edgeStart[head] = edgeCount;
        }
        if (level >= maxDepth) {
          // The bound cut something only if a successor is new (a cycle back is not a cut).
          if (sr.anyNew(set, from, to)) truncated = true;
          if (liveness) edgeStart[head + 1] = edgeCount;
          continue;
        }
        sr.select(batchViews[b]!, set, from, to);
        const { succ, succAction, succH1, succH2, sel, selN } = sr;
        for (let k = 0; k < selN; k++) {
          const i = sel[k]!;
          const a = succAction[i]!;
          sr.transitions++;
          if (set.needsGrow()) sr.ensure(set);
          const r = set.put(succH1[i]!, succH2[i]!, succ, i * w);
          if (liveness) {
            edgeTarget = grow(edgeTarget, edgeCount + 1);
            edgeAction = grow(edgeAction, edgeCount + 1);
            edgeTarget[edgeCount] = r >= 0 ? r : ~r;
            edgeAction[edgeCount] = a;
            edgeCount++;
          }
          if (r < 0) continue;
          if (log.needsGrow()) sr.ensure(log);
          log.record(r, head, a);
          if (frontier.needsGrow()) sr.ensure(frontier);
          frontier.push(succ, i * w, sr.succSum1[i]!, sr.succSum2[i]!);
          sr.depth = level + 1;
          const found = sr.checkInvariants(sr.views[i]!);
          if (found !== null) return violation(r, found);
        }
        if (liveness) edgeStart[head + 1] = edgeCount;
        sr.states = set.count;
        if (set.count >= maxStates && (frontier.size > 0 || b + 1 < size)) {
          throw new Stop('maxStates');
        }
      }
    }
    if (truncated) throw new Stop('maxDepth');
  } catch (e) {
    if (e instanceof Stop) return sr.result(set, 'incomplete', { reason: e.reason });
    if (e instanceof ModelLimitReached) {
      return sr.result(set, 'incomplete', { reason: 'modelLimit', message: e.message });
    }
    throw e;
  }
  if (!liveness) return sr.result(set, 'holds');
  assert(set instanceof ExactSet, 'liveness runs in exact mode');
  const graph: EdgeGraph = { count: set.count, edgeStart, edgeTarget, edgeAction, initialCount };
  const lasso = findFairLasso(ts, graph, (id, out) => set.read(id, out), sr.actionPd);
  if (lasso === null) return sr.result(set, 'holds');
  const property = ts.goalName ?? 'eventually-goal';
  return sr.result(set, 'violated', {
    found: { property, message: lasso.message },
    trace: lasso.trace,
  });
}

/** The DFS stack: one record per frame (vector, hash sums, action), successors in a pool. */
class DfsStack {
  readonly w: number;
  frameState: Uint32Array;
  frameSum1: Int32Array;
  frameSum2: Int32Array;
  frameAction: Int32Array;
  frameStart: Int32Array;
  frameNext: Int32Array;
  frameEnd: Int32Array;
  pool: Uint32Array;
  poolSum1: Int32Array;
  poolSum2: Int32Array;
  poolAction: Int32Array;
  poolTop = 0;
  top = -1;

  constructor(w: number) {
    this.w = w;
    this.frameState = new Uint32Array(256 * w);
    this.frameSum1 = new Int32Array(256);
    this.frameSum2 = new Int32Array(256);
    this.frameAction = new Int32Array(256);
    this.frameStart = new Int32Array(256);
    this.frameNext = new Int32Array(256);
    this.frameEnd = new Int32Array(256);
    this.pool = new Uint32Array(1024 * w);
    this.poolSum1 = new Int32Array(1024);
    this.poolSum2 = new Int32Array(1024);
    this.poolAction = new Int32Array(1024);
  }

  /** Room for one more frame. */
  needFrame(): void {
    if (this.top + 2 <= this.frameAction.length) return;
    const cap = this.frameAction.length * 2;
    const fs = new Uint32Array(cap * this.w);
    fs.set(this.frameState);
    this.frameState = fs;
    this.frameSum1 = growInt32(this.frameSum1, cap);
    this.frameSum2 = growInt32(this.frameSum2, cap);
    this.frameAction = growInt32(this.frameAction, cap);
    this.frameStart = growInt32(this.frameStart, cap);
    this.frameNext = growInt32(this.frameNext, cap);
    this.frameEnd = growInt32(this.frameEnd, cap);
  }

  /** Room for `more` pool entries. */
  needPool(more: number): void {
    const need = this.poolTop + more;
    if (need <= this.poolAction.length) return;
    const cap = Math.max(need, this.poolAction.length * 2);
    const p = new Uint32Array(cap * this.w);
    p.set(this.pool);
    this.pool = p;
    this.poolSum1 = growInt32(this.poolSum1, cap);
    this.poolSum2 = growInt32(this.poolSum2, cap);
    this.poolAction = growInt32(this.poolAction, cap);
  }

  memoryBytes(): number {
    return (
      this.frameState.byteLength +
      this.frameAction.byteLength * 6 +
      this.pool.byteLength +
      this.poolAction.byteLength * 3
    );
  }

  needsGrow(): boolean {
    return false;
  }

  growBytes(): number {
    return 0;
  }

  grow(): void {}
}

function dfs(sr: Search): McResult {
  const { opts, w } = sr;
  const set = sr.track(sr.makeSet());
  const st = sr.track(new DfsStack(w));
  const maxStates = opts.maxStates ?? Number.POSITIVE_INFINITY;
  const maxDepth = opts.maxDepth ?? Number.POSITIVE_INFINITY;
  let truncated = false;
  let expanded = 0;
  const cur = sr.cur;

  const traceOfStack = (): McTrace => {
    const states: State[] = [];
    const actions: number[] = [];
    for (let f = 0; f <= st.top; f++) {
      states.push(st.frameState.slice(f * w, (f + 1) * w));
      if (f > 0) actions.push(st.frameAction[f]!);
    }
    const trace = { states, actions };
    return sr.symmetry ? sr.concretize(trace) : trace;
  };

  /** Pushes `src[off..]` reached by `action`, expands it; returns a violation if it has one. */
  const push = (
    src: Uint32Array,
    off: number,
    sum1: number,
    sum2: number,
    action: number,
  ): Found | null => {
    st.needFrame();
    const top = ++st.top;
    const base = top * w;
    for (let k = 0; k < w; k++) {
      st.frameState[base + k] = src[off + k]!;
      cur[k] = src[off + k]!;
    }
    st.frameSum1[top] = sum1;
    st.frameSum2[top] = sum2;
    st.frameAction[top] = action;
    if (top > sr.depth) sr.depth = top;
    const inv = sr.checkInvariants(cur);
    if (inv !== null) return inv;
    expanded++;
    sr.n = 0;
    sr.expand(cur, sum1, sum2);
    const q = sr.checkQuiescent(cur) ?? sr.checkHint(cur);
    if (q !== null) return q;
    st.frameStart[top] = st.poolTop;
    st.frameNext[top] = st.poolTop;
    if (top >= maxDepth) {
      if (sr.anyNew(set, 0, sr.n)) truncated = true;
      st.frameEnd[top] = st.poolTop;
      return null;
    }
    sr.touchAll(set);
    sr.select(cur, set, 0, sr.n);
    st.needPool(sr.selN);
    for (let k = 0; k < sr.selN; k++) {
      const i = sr.sel[k]!;
      const from = i * w;
      const at = st.poolTop + k;
      const to = at * w;
      for (let j = 0; j < w; j++) st.pool[to + j] = sr.succ[from + j]!;
      st.poolSum1[at] = sr.succSum1[i]!;
      st.poolSum2[at] = sr.succSum2[i]!;
      st.poolAction[at] = sr.succAction[i]!;
    }
    st.poolTop += sr.selN;
    st.frameEnd[top] = st.poolTop;
    return null;
  };

  try {
    for (const s of roots(sr)) {
      sr.hashFull(s, 0);
      const { sum1, sum2 } = sr.hasher;
      sr.ensure(set);
      if (set.put(StateHasher.finish1(sum1), StateHasher.finish2(sum2), s, 0) < 0) continue;
      sr.states = set.count;
      const found = push(s, 0, sum1, sum2, -1);
      if (found !== null) return sr.result(set, 'violated', { found, trace: traceOfStack() });
      // Bounded by the number of distinct states: each push inserts a new one.
      let ticked = -1;
      while (st.top >= 0) {
        // Read the clock once per new expansion count (tick samples every CLOCK_EVERY_STATES).
        if (expanded !== ticked) {
          ticked = expanded;
          sr.tick(expanded);
        }
        const top = st.top;
        const next = st.frameNext[top]!;
        if (next >= st.frameEnd[top]!) {
          st.poolTop = st.frameStart[top]!;
          st.top--;
          continue;
        }
        st.frameNext[top] = next + 1;
        sr.transitions++;
        const s1 = st.poolSum1[next]!;
        const s2 = st.poolSum2[next]!;
        if (set.needsGrow()) sr.ensure(set);
        if (set.put(StateHasher.finish1(s1), StateHasher.finish2(s2), st.pool, next * w) < 0) {
          continue;
        }
        sr.states = set.count;
        const f = push(st.pool, next * w, s1, s2, st.poolAction[next]!);
        if (f !== null) return sr.result(set, 'violated', { found: f, trace: traceOfStack() });
        if (set.count >= maxStates) throw new Stop('maxStates');
      }
      st.poolTop = 0;
    }
    if (truncated) throw new Stop('maxDepth');
  } catch (e) {
    if (e instanceof Stop) return sr.result(set, 'incomplete', { reason: e.reason });
    if (e instanceof ModelLimitReached) {
      return sr.result(set, 'incomplete', { reason: 'modelLimit', message: e.message });
    }
    throw e;
  }
  return sr.result(set, 'holds');
}
