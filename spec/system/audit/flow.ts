// The information-flow graph for LP011 (least-privilege-policy.md: "information can flow between
// two clients through a chain of shared writable regions and PDs that contains no virtualiser or
// copier"), and the plain graph search that decides it. proofs/smt/isolation.ts decides the same
// question in Z3 from the same graph; a test checks that the two agree.
//
// Edges (docs/adr/006-auditor.md), for every region but device registers (mmio):
//   PD → MR   when the PD maps the MR writable (`w`);
//   MR → PD   when the PD maps the MR readable (`r` or `x`);
//   PD ↔ PD   over a channel that allows a ppcall (message registers carry data both ways).
// Notify-only channels carry an event, not data: no edge (a one-bit covert channel at most).
// Mediators (virtualisers, copiers, drivers and file-system servers: the trusted I/O path; D1/D7
// keep data out of drivers or make them the mediator; a driver VM's VMM counts as its driver) end a
// path: they may receive but do not forward. The endpoints are the clients, and the VMMs that are
// sDDF clients for their guests (libvmm virtio devices: lionsos.md §3).
// Unclassified PDs forward (conservative: isolation must not depend on an inference gap).

import { assert } from '../../common/assert.ts';
import type { Roles } from '../roles/vocabulary.ts';
import { roleTier } from '../roles/vocabulary.ts';
import type { AuditFacts } from './facts.ts';

export interface FlowGraph {
  /** Node ids: `pd:<name>` or `mr:<name>`. */
  readonly nodes: readonly string[];
  /** Directed edges as indices into `nodes`. */
  readonly edges: readonly (readonly [number, number])[];
  /** Node indices of mediator PDs (no outgoing flow through them). */
  readonly mediators: ReadonlySet<number>;
  /** Node indices of client PDs, in document order. */
  readonly clients: readonly number[];
}

export function pdNode(name: string): string {
  return `pd:${name}`;
}
export function mrNode(name: string): string {
  return `mr:${name}`;
}
/** `pd:x` → `x`, `mr:y` → `y` (what the finding's path shows). */
export function nodeName(id: string): string {
  return id.slice(3);
}

export function buildFlowGraph(facts: AuditFacts, roles: Roles): FlowGraph {
  const nodes: string[] = [];
  const index = new Map<string, number>();
  const node = (id: string): number => {
    const have = index.get(id);
    if (have !== undefined) return have;
    nodes.push(id);
    index.set(id, nodes.length - 1);
    return nodes.length - 1;
  };
  for (const pd of facts.model.pds) node(pdNode(pd.name));
  for (const mr of facts.model.memoryRegions) node(mrNode(mr.name));
  const edgeSet = new Set<string>();
  const edges: [number, number][] = [];
  const edge = (a: number, b: number): void => {
    const key = `${a}>${b}`;
    if (a === b || edgeSet.has(key)) return;
    edgeSet.add(key);
    edges.push([a, b]);
  };
  for (const [mr, refs] of facts.mapsOf) {
    // Device registers are device state, not memory two parties exchange data through: sharing them
    // is LP003's finding, and the GIC virtual CPU interface every guest maps is banked per vCPU.
    if (roles.mrs.get(mr)?.kind === 'mmio') continue;
    for (const ref of refs) {
      // A VM's memory is its VMM's address space for flow purposes: the VMM can read and write it.
      const holder = node(pdNode(ref.pd));
      if (ref.map.perms.w) edge(holder, node(mrNode(mr)));
      if (ref.map.perms.r || ref.map.perms.x) edge(node(mrNode(mr)), holder);
    }
  }
  for (const ch of facts.channels) {
    // A partial model (validation errors) may keep a channel to an undeclared PD: no such node.
    if (!facts.pdByName.has(ch.a) || !facts.pdByName.has(ch.b)) continue;
    for (const [caller, callee] of ch.ppcalls) {
      edge(node(pdNode(caller)), node(pdNode(callee)));
      edge(node(pdNode(callee)), node(pdNode(caller)));
    }
  }
  const mediators = new Set<number>();
  const clients: number[] = [];
  for (const pd of facts.model.pds) {
    const info = roles.pds.get(pd.name);
    const role = info?.role;
    if (role === undefined) continue;
    const tier = roleTier(role);
    const mediates =
      ['virt', 'copier', 'driver', 'server'].includes(tier) || info?.acts === 'driver';
    if (mediates) mediators.add(node(pdNode(pd.name)));
    if (tier === 'client' || info?.acts === 'client') clients.push(node(pdNode(pd.name)));
  }
  // Partial models may repeat a name (a validation error): one node per distinct name.
  assert(nodes.length === facts.pdByName.size + facts.mrByName.size, 'one node per PD and MR name');
  return { nodes, edges, mediators, clients };
}

/** Whether a node may pass information on (the source always may). */
export function forwards(g: FlowGraph, n: number, source: number): boolean {
  return n === source || !g.mediators.has(n);
}

/** Shortest flow path `from` → `to` (node indices), or null. Breadth-first, bounded by |nodes|. */
export function findFlowPath(g: FlowGraph, from: number, to: number): number[] | null {
  assert(from !== to, 'a flow between two different clients');
  const out = new Map<number, number[]>();
  for (const [a, b] of g.edges) out.set(a, [...(out.get(a) ?? []), b]);
  const prev = new Map<number, number>([[from, -1]]);
  let frontier = [from];
  for (let depth = 0; depth < g.nodes.length && frontier.length > 0; depth++) {
    const next: number[] = [];
    for (const u of frontier) {
      if (!forwards(g, u, from)) continue;
      for (const v of out.get(u) ?? []) {
        if (prev.has(v)) continue;
        prev.set(v, u);
        if (v === to) return unwind(prev, to);
        next.push(v);
      }
    }
    frontier = next;
  }
  return null;
}

function unwind(prev: ReadonlyMap<number, number>, to: number): number[] {
  const path = [to];
  for (let n = prev.get(to) ?? -1; n !== -1; n = prev.get(n) ?? -1) {
    path.unshift(n);
    assert(path.length <= prev.size, 'the predecessor chain ends');
  }
  return path;
}

/** Check a claimed witness: consecutive edges exist and no mediator forwards. */
export function isValidFlowPath(g: FlowGraph, path: readonly number[]): boolean {
  if (path.length < 2) return false;
  const from = path[0] ?? -1;
  const edgeSet = new Set(g.edges.map(([a, b]) => `${a}>${b}`));
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i] ?? -1;
    if (!edgeSet.has(`${a}>${path[i + 1]}`)) return false;
    if (!forwards(g, a, from)) return false;
  }
  return true;
}

export interface PairVerdict {
  readonly from: number;
  readonly to: number;
  readonly path: readonly number[] | null;
}

/** Every ordered pair of distinct clients with its flow path (or null): the graph-search verdicts. */
export function isolationByGraphSearch(g: FlowGraph): PairVerdict[] {
  const out: PairVerdict[] = [];
  for (const a of g.clients) {
    for (const b of g.clients) {
      if (a !== b) out.push({ from: a, to: b, path: findFlowPath(g, a, b) });
    }
  }
  return out;
}
