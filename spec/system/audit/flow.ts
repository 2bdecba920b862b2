// The information-flow graph for LP011 (least-privilege-policy.md: "information can flow between
// two clients through a chain of shared writable regions and PDs that contains no virtualiser or
// copier"), and the plain graph search that decides it. proofs/smt/isolation.ts decides the same
// question in Z3 from the same graph; a test checks that the two agree.
//
// Edges (docs/adr/006-auditor.md, docs/adr/021-isolation-without-blind-spots.md): every way
// information moves between PDs in Microkit (microkit-sdf.md), for every region but device
// registers (mmio):
//   PD → MR   when the PD maps the MR writable (`w`);
//   MR → PD   when the PD maps the MR readable (`r` or `x`);
//   PD ↔ PD   over a channel that allows a ppcall (message registers carry data both ways);
//   parent ↔ child: the parent receives its child's faults (child → parent) and controls its
//             registers and TCB (parent → child);
//   VM monitoring: a VM's maps are its VMM's (the VMM reads and writes the guest's memory and
//             registers and takes its faults), so the VM is folded into its VMM's node.
// Notify-only channels carry an event, not data: no edge (a timing channel of one bit per
// notification at most; the benchmark harness notifies every client by design).
// A PD and its ancestors are one trusted base (the parent holds the child's TCB): such pairs are
// not checked, and a common ancestor of a pair does not forward between them (`forwards`).
// IRQs: an IRQ is delivered from a device to the one PD that holds it; no PD writes it except
// through the device's registers, which are the mmio exception above (LP003's finding).
// Mediators (virtualisers, copiers, drivers and file-system servers: the trusted I/O path; D1/D7
// keep data out of drivers or make them the mediator; a driver VM's VMM counts as its driver) end a
// path: they may receive but do not forward. A role makes a PD a mediator only when the structure
// confirms it (`anchoredMediators`): a driver holds an IRQ, I/O ports or device memory; a
// virtualiser shares a region or a channel with such a driver; a copier or a file-system server
// with such a virtualiser. A PD named like a mediator without that structure forwards.
// Endpoints (the pairs the policy separates): clients, the VMMs that are sDDF clients for their
// guests (libvmm virtio devices: lionsos.md §3), and every other PD outside the I/O path
// (unclassified, `other`, a VMM): only mediators, the benchmark harness (it shares
// counters with clients by design: least-privilege-policy.md reference results) and VMs (folded
// into their VMM) are not endpoints.
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
  /**
   * Node indices of the endpoints, in document order: every PD the policy keeps apart (clients
   * and every other PD outside the I/O path; see the header).
   */
  readonly clients: readonly number[];
  /** PD node → the nodes of its ancestors (parent, grandparent, …): in its trusted base. */
  readonly ancestors: ReadonlyMap<number, ReadonlySet<number>>;
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
  for (const pd of facts.model.pds) {
    if (pd.parent === undefined || !facts.pdByName.has(pd.parent)) continue;
    edge(node(pdNode(pd.name)), node(pdNode(pd.parent))); // fault delivery
    edge(node(pdNode(pd.parent)), node(pdNode(pd.name))); // registers, TCB control
  }
  const mediators = new Set<number>();
  const clients: number[] = [];
  const anchored = anchoredMediators(facts, roles);
  for (const pd of facts.model.pds) {
    const info = roles.pds.get(pd.name);
    const role = info?.role;
    if (anchored.has(pd.name)) {
      mediators.add(node(pdNode(pd.name)));
      continue;
    }
    const tier = role === undefined ? undefined : roleTier(role);
    if (tier === 'bench' || tier === 'vm') continue;
    // A mediator's role without its structure: it forwards, but it is no endpoint of its own.
    if (info?.acts === 'driver' || MEDIATOR_TIERS.includes(tier ?? 'other')) continue;
    clients.push(node(pdNode(pd.name)));
  }
  const ancestors = new Map<number, Set<number>>();
  for (const pd of facts.model.pds) {
    const up = new Set<number>();
    for (let p = pd.parent; p !== undefined && facts.pdByName.has(p);) {
      const n = node(pdNode(p));
      if (up.has(n)) break; // a parent cycle (a validation error in a partial model)
      up.add(n);
      p = facts.pdByName.get(p)?.parent;
    }
    if (up.size > 0) ancestors.set(node(pdNode(pd.name)), up);
  }
  // Partial models may repeat a name (a validation error): one node per distinct name.
  assert(nodes.length === facts.pdByName.size + facts.mrByName.size, 'one node per PD and MR name');
  return { nodes, edges, mediators, clients, ancestors };
}

const MEDIATOR_TIERS: readonly string[] = ['virt', 'copier', 'driver', 'server'];

/**
 * The PDs whose mediator role the structure confirms (see the header): a role from a roles file or
 * from names alone is not enough to end a flow path.
 */
export function anchoredMediators(facts: AuditFacts, roles: Roles): ReadonlySet<string> {
  const tier = (pd: string): string | undefined => {
    const role = roles.pds.get(pd)?.role;
    return role === undefined ? undefined : roleTier(role);
  };
  const phys = (mr: string): boolean => facts.mrByName.get(mr)?.physAddr !== undefined;
  const out = new Set<string>();
  for (const pd of facts.model.pds) {
    const info = roles.pds.get(pd.name);
    const device =
      pd.irqs.length > 0 ||
      (pd.ioports ?? []).length > 0 ||
      pd.maps.some((m) => phys(m.mr)) ||
      (pd.virtualMachine?.maps ?? []).some((m) => phys(m.mr));
    if (device && (tier(pd.name) === 'driver' || info?.acts === 'driver')) out.add(pd.name);
  }
  // Who shares a region (device registers excluded) or a channel with whom.
  const peers = new Map<string, Set<string>>();
  const link = (a: string, b: string): void => {
    if (a === b) return;
    peers.set(a, (peers.get(a) ?? new Set()).add(b));
    peers.set(b, (peers.get(b) ?? new Set()).add(a));
  };
  for (const [mr, refs] of facts.mapsOf) {
    if (roles.mrs.get(mr)?.kind === 'mmio') continue;
    for (const x of refs) for (const y of refs) link(x.pd, y.pd);
  }
  for (const ch of facts.channels) link(ch.a, ch.b);
  const next = (want: string, anchors: (p: string) => boolean): void => {
    for (const pd of facts.model.pds) {
      if (tier(pd.name) !== want || out.has(pd.name)) continue;
      if ([...(peers.get(pd.name) ?? [])].some(anchors)) out.add(pd.name);
    }
  };
  const drivers = new Set(out);
  next('virt', (q) => drivers.has(q));
  const virts = new Set([...out].filter((p) => tier(p) === 'virt'));
  next('copier', (q) => virts.has(q));
  next('server', (q) => virts.has(q) || drivers.has(q));
  return out;
}

/**
 * Whether node n may pass information on from `source` towards `target` (the source always may).
 * A mediator does not; nor does a common ancestor of the two: it already reads and writes both
 * PDs' registers, so it is in both trusted bases and a flow through it is no flow between them
 * that isolation could prevent (the sDDF examples' benchmark PD parents every client).
 */
export function forwards(g: FlowGraph, n: number, source: number, target: number): boolean {
  if (n === source) return true;
  if (g.mediators.has(n)) return false;
  return !(g.ancestors.get(source)?.has(n) === true && g.ancestors.get(target)?.has(n) === true);
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
      if (!forwards(g, u, from, to)) continue;
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
  const to = path.at(-1) ?? -1;
  const edgeSet = new Set(g.edges.map(([a, b]) => `${a}>${b}`));
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i] ?? -1;
    if (!edgeSet.has(`${a}>${path[i + 1]}`)) return false;
    if (!forwards(g, a, from, to)) return false;
  }
  return true;
}

export interface PairVerdict {
  readonly from: number;
  readonly to: number;
  readonly path: readonly number[] | null;
}

/**
 * The ordered pairs of endpoints the policy separates: every two distinct endpoints, except a PD
 * and its ancestor (the parent holds its child's TCB and takes its faults: Microkit makes them
 * one trusted base, so no policy can separate them).
 */
export function separatedPairs(g: FlowGraph): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  for (const a of g.clients) {
    for (const b of g.clients) {
      if (a === b || g.ancestors.get(a)?.has(b) === true || g.ancestors.get(b)?.has(a) === true)
        continue;
      out.push([a, b]);
    }
  }
  return out;
}

/** Every separated pair with its flow path (or null): the graph-search verdicts. */
export function isolationByGraphSearch(g: FlowGraph): PairVerdict[] {
  return separatedPairs(g).map(([from, to]) => ({ from, to, path: findFlowPath(g, from, to) }));
}
