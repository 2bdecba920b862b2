// The auditor's view of the derived facts (ARCHITECTURE.md "sddf audit": model → derived facts →
// roles → rules): the same facts as spec/system/facts.ts, which derives them (with `partial`, since
// the auditor also audits the `partialModel` of a system that failed validation), regrouped the way
// the rules read them, plus the peer relations role inference needs. Pure.

import { assert } from '../../common/assert.ts';
import { deriveFacts, type Mapper, type SystemFacts } from '../facts.ts';
import type {
  Mapping,
  MemoryRegion,
  ProtectionDomain,
  SourceLocation,
  SystemModel,
} from '../model.ts';

/** One `<map>` of an MR, in a PD or in the virtual machine a PD hosts. */
export interface MapRef {
  /** The PD that holds the map, or the VM's name when `inVm`. */
  readonly holder: string;
  /** The PD the map is written in (the VMM for VM maps). */
  readonly pd: string;
  readonly inVm: boolean;
  readonly map: Mapping;
}

/** A channel with its PPC direction resolved for both dialects (microkit-sdf.md §1.1). */
export interface ChannelFact {
  readonly a: string;
  readonly b: string;
  /** `[caller, callee]` pairs: who may ppcall whom over this channel (empty: notify only). */
  readonly ppcalls: readonly (readonly [string, string])[];
  readonly loc: SourceLocation;
}

export interface AuditFacts {
  readonly model: SystemModel;
  /** The shared derived facts this view is computed from. */
  readonly system: SystemFacts;
  readonly pdByName: ReadonlyMap<string, ProtectionDomain>;
  readonly mrByName: ReadonlyMap<string, MemoryRegion>;
  /** MR name → its maps in document order (PD maps, then VM maps). */
  readonly mapsOf: ReadonlyMap<string, readonly MapRef[]>;
  readonly channels: readonly ChannelFact[];
  /** PD name → PDs it shares a channel with. */
  readonly channelPeers: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * PD name → PDs it shares at least one MR with, device memory (phys_addr and mapped uncached)
   * excluded: sharing registers with a driver does not make a PD that driver's client.
   */
  readonly memoryPeers: ReadonlyMap<string, ReadonlySet<string>>;
}

function addPeer(peers: Map<string, Set<string>>, a: string, b: string): void {
  if (a === b) return;
  const sa = peers.get(a) ?? new Set<string>();
  sa.add(b);
  peers.set(a, sa);
  const sb = peers.get(b) ?? new Set<string>();
  sb.add(a);
  peers.set(b, sb);
}

function mapRef(m: Mapper): MapRef {
  return { holder: m.name, pd: m.pd, inVm: m.kind === 'vm', map: m.map };
}

/** One ChannelFact per channel of the model, from its two directed edges. */
function channelFacts(model: SystemModel, system: SystemFacts): ChannelFact[] {
  return model.channels.map((ch, index) => {
    const edges = system.channelEdges.filter((e) => e.channel === index);
    const first = edges[0];
    assert(edges.length === 2 && first !== undefined, () => `two edges for channel ${index}`);
    const calls = edges.filter((e) => e.pp).map((e) => [e.from, e.to] as const);
    // A channel from a PD to itself (a validation error) would name the same call twice.
    const ppcalls = calls.filter(
      (c, i) => calls.findIndex((d) => d[0] === c[0] && d[1] === c[1]) === i,
    );
    return { a: first.from, b: first.to, ppcalls, loc: ch.loc };
  });
}

export function computeFacts(model: SystemModel): AuditFacts {
  const system = deriveFacts(model, { partial: true });
  // A partial model may repeat a name: the rules look up the last declaration.
  const pdByName = new Map(model.pds.map((p) => [p.name, p] as const));
  const mrByName = new Map(model.memoryRegions.map((m) => [m.name, m] as const));
  const mapsOf = new Map<string, MapRef[]>();
  for (const mr of mrByName.keys()) {
    const mappers = system.mappersOf(mr);
    // Document order as the rules report it: every PD map, then every VM map.
    const ordered = [
      ...mappers.filter((m) => m.kind === 'pd'),
      ...mappers.filter((m) => m.kind === 'vm'),
    ];
    mapsOf.set(mr, ordered.map(mapRef));
  }
  const channels = channelFacts(model, system);
  const channelPeers = new Map<string, Set<string>>();
  for (const c of channels) addPeer(channelPeers, c.a, c.b);
  const memoryPeers = new Map<string, Set<string>>();
  for (const [mr, refs] of mapsOf) {
    const device = mrByName.get(mr)?.physAddr !== undefined && refs.some((r) => !r.map.cached);
    if (device) continue;
    const holders = [...new Set(refs.filter((r) => !r.inVm).map((r) => r.pd))];
    for (let i = 0; i < holders.length; i++) {
      for (let j = i + 1; j < holders.length; j++) {
        addPeer(memoryPeers, holders[i] ?? '', holders[j] ?? '');
      }
    }
  }
  assert(mapsOf.size === mrByName.size, () => {
    return `one map list per MR name: ${mapsOf.size} lists for ${mrByName.size} names`;
  });
  return { model, system, pdByName, mrByName, mapsOf, channels, channelPeers, memoryPeers };
}

/** Distinct holders (PDs and VMs) of an MR, in document order. */
export function holdersOf(facts: AuditFacts, mr: string): readonly string[] {
  return [...new Set((facts.mapsOf.get(mr) ?? []).map((r) => r.holder))];
}
