// Liveness under weak fairness over the explored graph (issue #3; docs/adr/007-model-checker.md
// "Liveness"): `<> goal` fails iff some fair infinite path avoids every goal state. We restrict the
// graph to states reachable from an initial state through non-goal states, split it into strongly
// connected components (Tarjan, iterative), and look for a component that is
//   - a terminal state (nothing enabled: the run stutters there forever, as SPIN's -a treats it), or
//   - a cycle that is weakly fair: every PD enabled in all of the component's states takes a step
//     inside it (a PD disabled somewhere in the component is not continuously enabled on a cycle
//     through all of its states).
// Weak fairness needs no recursive decomposition (unlike strong fairness): the whole component is
// fair or none of its cycles is.
import { assert } from '../../spec/common/assert.ts';
import type { State, TransitionSystem } from '../../spec/common/transition.ts';
import type { McTrace } from './trace.ts';

export interface EdgeGraph {
  /** Number of states; ids 0..count-1, the first `initialCount` are the initial states. */
  readonly count: number;
  readonly initialCount: number;
  /** CSR: edges of state u are edgeStart[u] .. edgeStart[u+1]. */
  readonly edgeStart: Int32Array;
  readonly edgeTarget: Int32Array;
  readonly edgeAction: Int32Array;
}

export interface Lasso {
  readonly trace: McTrace;
  readonly message: string;
}

type ReadState = (id: number, out: State) => void;

export function findFairLasso(
  ts: TransitionSystem,
  g: EdgeGraph,
  read: ReadState,
  actionPd: Int32Array,
): Lasso | null {
  assert(ts.goal !== undefined, 'liveness needs a goal');
  assert(g.initialCount > 0, 'graph without initial states');
  const goal = markGoal(ts, g, read);
  const stem = stemSearch(g, goal);
  const pdCount = actionPd.reduce((m, p) => Math.max(m, p + 1), 0);
  let result: Lasso | null = null;
  tarjan(g, stem.reached, (members) => {
    result = judgeComponent({
      g,
      members,
      actionPd,
      pdCount,
      stem,
      read,
      goalName: ts.goalName,
      stateWords: ts.stateWords,
    });
    return result !== null;
  });
  return result;
}

function markGoal(ts: TransitionSystem, g: EdgeGraph, read: ReadState): Uint8Array {
  const goal = new Uint8Array(g.count);
  const s = new Uint32Array(ts.stateWords);
  for (let id = 0; id < g.count; id++) {
    read(id, s);
    goal[id] = ts.goal!(s) ? 1 : 0;
  }
  return goal;
}

interface Stem {
  /** 1 for states reachable from an initial state through non-goal states only. */
  readonly reached: Uint8Array;
  readonly parent: Int32Array;
  readonly parentAction: Int32Array;
  readonly distance: Int32Array;
}

/** BFS through non-goal states: shortest stems to every candidate state. */
function stemSearch(g: EdgeGraph, goal: Uint8Array): Stem {
  const reached = new Uint8Array(g.count);
  const parent = new Int32Array(g.count).fill(-1);
  const parentAction = new Int32Array(g.count).fill(-1);
  const distance = new Int32Array(g.count).fill(-1);
  const queue = new Int32Array(g.count);
  let qt = 0;
  for (let i = 0; i < g.initialCount; i++) {
    if (goal[i] === 1) continue;
    reached[i] = 1;
    distance[i] = 0;
    queue[qt++] = i;
  }
  for (let qh = 0; qh < qt; qh++) {
    const u = queue[qh]!;
    for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
      const v = g.edgeTarget[e]!;
      if (goal[v] === 1 || reached[v] === 1) continue;
      reached[v] = 1;
      parent[v] = u;
      parentAction[v] = g.edgeAction[e]!;
      distance[v] = distance[u]! + 1;
      queue[qt++] = v;
    }
  }
  return { reached, parent, parentAction, distance };
}

/** Iterative Tarjan over the `inSub` subgraph; `onComponent` returns true to stop early. */
function tarjan(g: EdgeGraph, inSub: Uint8Array, onComponent: (m: number[]) => boolean): void {
  const index = new Int32Array(g.count).fill(-1);
  const low = new Int32Array(g.count);
  const onStack = new Uint8Array(g.count);
  const stack = new Int32Array(g.count);
  let sp = 0;
  const callNode = new Int32Array(g.count);
  const callEdge = new Int32Array(g.count);
  let next = 0;
  for (let root = 0; root < g.count; root++) {
    if (inSub[root] !== 1 || index[root] !== -1) continue;
    let cp = 0;
    callNode[0] = root;
    callEdge[0] = g.edgeStart[root]!;
    index[root] = low[root] = next++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (cp >= 0) {
      const v = callNode[cp]!;
      let descended = false;
      for (let e = callEdge[cp]!; e < g.edgeStart[v + 1]!; e++) {
        const w = g.edgeTarget[e]!;
        if (inSub[w] !== 1) continue;
        if (index[w] === -1) {
          callEdge[cp] = e + 1;
          index[w] = low[w] = next++;
          stack[sp++] = w;
          onStack[w] = 1;
          cp++;
          callNode[cp] = w;
          callEdge[cp] = g.edgeStart[w]!;
          descended = true;
          break;
        }
        if (onStack[w] === 1) low[v] = Math.min(low[v]!, index[w]!);
      }
      if (descended) continue;
      if (low[v] === index[v]) {
        const members: number[] = [];
        for (let guard = 0; guard <= g.count; guard++) {
          const x = stack[--sp]!;
          onStack[x] = 0;
          members.push(x);
          if (x === v) break;
        }
        if (onComponent(members)) return;
      }
      cp--;
      if (cp >= 0) {
        const p = callNode[cp]!;
        low[p] = Math.min(low[p]!, low[v]!);
      }
    }
  }
}

interface Judge {
  readonly g: EdgeGraph;
  readonly members: number[];
  readonly actionPd: Int32Array;
  readonly pdCount: number;
  readonly stem: Stem;
  readonly read: ReadState;
  readonly goalName: string | undefined;
  readonly stateWords: number;
}

function judgeComponent(j: Judge): Lasso | null {
  const { g, members, actionPd, pdCount } = j;
  const inComp = new Set(members);
  const goalName = j.goalName ?? 'goal';
  if (members.length === 1) {
    const u = members[0]!;
    const outDegree = g.edgeStart[u + 1]! - g.edgeStart[u]!;
    if (outDegree === 0) {
      const stem = stemTrace(j, u);
      return {
        trace: { ...stem, loop: stem.states.length - 1 },
        message: `the system stops (no step is enabled) before ${goalName} holds`,
      };
    }
    let selfLoop = false;
    for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
      if (g.edgeTarget[e] === u) selfLoop = true;
    }
    if (!selfLoop) return null;
  }
  // Weak fairness per PD (docs/adr/007): enabled everywhere ⇒ must step inside the component.
  const enabledEverywhere = new Array<boolean>(pdCount).fill(true);
  const takenInside = new Array<boolean>(pdCount).fill(false);
  for (const u of members) {
    const enabledHere = new Array<boolean>(pdCount).fill(false);
    for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
      const p = actionPd[g.edgeAction[e]!]!;
      enabledHere[p] = true;
      if (inComp.has(g.edgeTarget[e]!)) takenInside[p] = true;
    }
    for (let p = 0; p < pdCount; p++) if (!enabledHere[p]) enabledEverywhere[p] = false;
  }
  for (let p = 0; p < pdCount; p++) if (enabledEverywhere[p] && !takenInside[p]) return null;
  return buildLasso(j, inComp, enabledEverywhere, takenInside);
}

function stemTrace(j: Judge, to: number): { states: State[]; actions: number[] } {
  const ids: number[] = [];
  const actions: number[] = [];
  for (let at = to, guard = 0; at >= 0; at = j.stem.parent[at]!, guard++) {
    assert(guard <= j.g.count, 'stem parents form a cycle');
    ids.push(at);
    if (j.stem.parent[at]! >= 0) actions.push(j.stem.parentAction[at]!);
  }
  ids.reverse();
  actions.reverse();
  return { states: ids.map((id) => readCopy(j, id)), actions };
}

function readCopy(j: Judge, id: number): State {
  const out = new Uint32Array(j.stateWords);
  j.read(id, out);
  return out;
}

/** Path inside the component from `from` to a node satisfying `isTarget` (BFS over internal edges). */
function pathInside(
  j: Judge,
  inComp: Set<number>,
  from: number,
  isTarget: (u: number) => boolean,
): { nodes: number[]; actions: number[] } {
  const prev = new Map<number, [number, number]>();
  const queue = [from];
  const seen = new Set([from]);
  let hit = isTarget(from) ? from : -1;
  for (let qh = 0; qh < queue.length && hit < 0; qh++) {
    const u = queue[qh]!;
    for (let e = j.g.edgeStart[u]!; e < j.g.edgeStart[u + 1]!; e++) {
      const v = j.g.edgeTarget[e]!;
      if (!inComp.has(v) || seen.has(v)) continue;
      seen.add(v);
      prev.set(v, [u, j.g.edgeAction[e]!]);
      if (isTarget(v)) {
        hit = v;
        break;
      }
      queue.push(v);
    }
  }
  assert(hit >= 0, 'target not reachable inside a strongly connected component');
  const nodes: number[] = [];
  const actions: number[] = [];
  for (let at = hit; at !== from;) {
    const [u, a] = prev.get(at)!;
    nodes.push(at);
    actions.push(a);
    at = u;
  }
  return { nodes: nodes.reverse(), actions: actions.reverse() };
}

function buildLasso(
  j: Judge,
  inComp: Set<number>,
  enabledEverywhere: boolean[],
  takenInside: boolean[],
): Lasso {
  const { g, actionPd } = j;
  let s0 = j.members[0]!;
  for (const u of j.members) if (j.stem.distance[u]! < j.stem.distance[s0]!) s0 = u;
  const cycleNodes: number[] = [s0];
  const cycleActions: number[] = [];
  let cur = s0;
  const walk = (isTarget: (u: number) => boolean): void => {
    const p = pathInside(j, inComp, cur, isTarget);
    cycleNodes.push(...p.nodes);
    cycleActions.push(...p.actions);
    if (p.nodes.length > 0) cur = p.nodes[p.nodes.length - 1]!;
  };
  const takeEdge = (pd: number): void => {
    // Go to a node with an internal edge of `pd`, then take it.
    const hasEdge = (u: number): boolean => internalEdge(g, inComp, actionPd, u, pd) >= 0;
    walk(hasEdge);
    const e = internalEdge(g, inComp, actionPd, cur, pd);
    cur = g.edgeTarget[e]!;
    cycleNodes.push(cur);
    cycleActions.push(g.edgeAction[e]!);
  };
  for (let p = 0; p < enabledEverywhere.length; p++) {
    if (takenInside[p]) takeEdge(p);
    else if (!enabledEverywhere[p]) walk((u) => !pdEnabled(g, actionPd, u, p));
  }
  if (cycleActions.length === 0) {
    // A non-trivial component always has an internal edge out of s0.
    const e = firstInternal(g, inComp, s0);
    cur = g.edgeTarget[e]!;
    cycleNodes.push(cur);
    cycleActions.push(g.edgeAction[e]!);
  }
  // Close the cycle: the last hop back into s0 is the loop action.
  const back = pathInside(j, inComp, cur, (u) => u === s0);
  let loopAction: number;
  if (back.nodes.length === 0) {
    // cur is s0 already: the last step taken closes the loop.
    cycleNodes.pop();
    loopAction = cycleActions.pop()!;
  } else {
    cycleNodes.push(...back.nodes.slice(0, -1));
    cycleActions.push(...back.actions.slice(0, -1));
    loopAction = back.actions[back.actions.length - 1]!;
  }
  const stem = stemTrace(j, s0);
  const loop = stem.states.length - 1;
  const states = [...stem.states, ...cycleNodes.slice(1).map((id) => readCopy(j, id))];
  const actions = [...stem.actions, ...cycleActions];
  assert(actions.length === states.length - 1, 'lasso actions must link its states');
  return {
    trace: { states, actions, loop, loopAction },
    message: `a weakly fair cycle of ${states.length - loop} state(s) never reaches ${j.goalName ?? 'the goal'}`,
  };
}

function pdEnabled(g: EdgeGraph, actionPd: Int32Array, u: number, pd: number): boolean {
  for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
    if (actionPd[g.edgeAction[e]!] === pd) return true;
  }
  return false;
}

function internalEdge(
  g: EdgeGraph,
  inComp: Set<number>,
  actionPd: Int32Array,
  u: number,
  pd: number,
): number {
  for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
    if (actionPd[g.edgeAction[e]!] === pd && inComp.has(g.edgeTarget[e]!)) return e;
  }
  return -1;
}

function firstInternal(g: EdgeGraph, inComp: Set<number>, u: number): number {
  for (let e = g.edgeStart[u]!; e < g.edgeStart[u + 1]!; e++) {
    if (inComp.has(g.edgeTarget[e]!)) return e;
  }
  assert(false, 'non-trivial component without an internal edge');
}
