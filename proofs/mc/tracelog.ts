// Counterexamples without stored states (EXAMPLES.md §7; TLC's TLCTrace): BFS writes, per new
// state, only its predecessor's id and the action that reached it (6 bytes). After a violation the
// trace is rebuilt by re-execution: from the initial states, follow the recorded actions, keeping at
// each step the successors by that action that are in the visited set. The visited set holds no
// ids (hash-compact and bitstate modes), so when one action has several such successors all are
// kept (usually exactly one survives); at the end a candidate that shows the violation is taken.
// Any such run is a genuine run of the model of the same length, so BFS's traces stay shortest.
// Under symmetry the set holds representatives and the recorded actions are steps between
// representatives, so the rebuild follows representatives (`canonical`); the engine then turns
// that path into a concrete run (engine.ts `concretize`).
import { assert } from '../../spec/common/assert.ts';
import type { State, TransitionSystem } from '../../spec/common/transition.ts';
import type { McTrace } from './trace.ts';

/** Marks a root (an initial state) in the action log. */
const ROOT_ACTION = 0xffff;
/** Candidates kept per step while rebuilding; more would mean a model with huge nondeterminism. */
const MAX_CANDIDATES = 1 << 16;

/** Predecessor id and action per state id (ids in insertion order). */
export class TraceLog {
  private parent: Int32Array;
  private action: Uint16Array;
  /** Ids recorded so far. */
  count = 0;

  constructor(initial = 4096) {
    this.parent = new Int32Array(initial);
    this.action = new Uint16Array(initial);
  }

  /** Action indices must fit 16 bits (with one value kept as the root mark). */
  static fits(actionCount: number): boolean {
    return actionCount < ROOT_ACTION;
  }

  needsGrow(): boolean {
    return this.count === this.parent.length;
  }

  growBytes(): number {
    return (this.parent.byteLength + this.action.byteLength) * 2;
  }

  grow(): void {
    const p = new Int32Array(this.parent.length * 2);
    p.set(this.parent);
    this.parent = p;
    const a = new Uint16Array(this.action.length * 2);
    a.set(this.action);
    this.action = a;
  }

  /** Records state `id` (the next id: ids are dense), reached from `parent` by `action` (-1: root). */
  record(id: number, parent: number, action: number): void {
    if (id !== this.count || this.count === this.parent.length) {
      assert(false, `trace log: id ${id} out of order or log full (${this.count})`);
    }
    this.parent[id] = parent;
    this.action[id] = parent < 0 ? ROOT_ACTION : action;
    this.count = id + 1;
  }

  /**
   * Records state `id` in any order (the parallel search's ids come from concurrent workers),
   * growing the arrays as needed. Mixing with `record` is not meant.
   */
  recordAt(id: number, parent: number, action: number): void {
    if (id >= this.parent.length) {
      let length = this.parent.length;
      while (length <= id) length *= 2;
      const p = new Int32Array(length);
      p.set(this.parent);
      this.parent = p;
      const a = new Uint16Array(length);
      a.set(this.action);
      this.action = a;
    }
    this.parent[id] = parent;
    this.action[id] = parent < 0 ? ROOT_ACTION : action;
    if (id >= this.count) this.count = id + 1;
  }

  /** The actions from a root to `id`, in order. */
  actionsTo(id: number): number[] {
    const actions: number[] = [];
    for (let at = id, guard = 0; this.parent[at]! >= 0; at = this.parent[at]!, guard++) {
      assert(guard <= this.count && at < this.count, 'trace log: parent pointers form a cycle');
      actions.push(this.action[at]!);
    }
    return actions.reverse();
  }

  memoryBytes(): number {
    return this.parent.byteLength + this.action.byteLength;
  }
}

export interface RebuildOptions {
  readonly ts: TransitionSystem;
  /** The recorded actions, from an initial state. */
  readonly actions: readonly number[];
  /** True when `s` is in the visited set. */
  readonly visited: (s: State) => boolean;
  /** Under symmetry: the representative of a state (a new vector); the rebuild follows those. */
  readonly canonical?: (s: State) => State;
  /** True when `s` shows the violation being reported. */
  readonly violates: (s: State) => boolean;
}

/** Re-executes the model along `actions` through visited states to a violating state. */
export function rebuildTrace(o: RebuildOptions): McTrace {
  const { ts } = o;
  const w = ts.stateWords;
  interface Cand {
    readonly state: State;
    readonly prev: number;
  }
  const inModel = (s: State): boolean => ts.constraint === undefined || ts.constraint(s);
  const rep = o.canonical ?? ((s: State): State => s.slice(0, w));
  let level: Cand[] = ts
    .initialStates()
    .filter(inModel)
    .map((s) => ({ state: rep(s), prev: -1 }))
    .filter((c) => o.visited(c.state));
  const levels: Cand[][] = [level];
  for (let step = 0; step < o.actions.length; step++) {
    const action = o.actions[step]!;
    const next: Cand[] = [];
    const keys = new Set<string>();
    level.forEach((c, prev) => {
      ts.successors(c.state, (a, s) => {
        if (a !== action || !inModel(s)) return;
        const r = rep(s);
        if (!o.visited(r)) return;
        const key = r.join(',');
        if (keys.has(key)) return;
        keys.add(key);
        next.push({ state: r, prev });
      });
    });
    assert(next.length > 0, () => `trace rebuild: no visited successor at step ${step + 1}`);
    assert(next.length <= MAX_CANDIDATES, 'trace rebuild: too many candidate runs');
    levels.push(next);
    level = next;
  }
  let at = level.findIndex((c) => o.violates(c.state));
  assert(at >= 0, 'trace rebuild: no rebuilt run ends in the violation (fingerprint collision?)');
  const states: State[] = [];
  for (let d = levels.length - 1; d >= 0; d--) {
    const c = levels[d]![at]!;
    states.push(c.state);
    at = c.prev;
  }
  return { states: states.reverse(), actions: [...o.actions] };
}
