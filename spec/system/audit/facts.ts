// Derived facts the auditor needs: who maps each MR with which permissions, the channel graph and
// the PPC graph (ARCHITECTURE.md "sddf audit": model → derived facts → roles → rules).
// The SDF engineer's spec/system/facts.ts was not there when this was written, so the auditor
// computes the few facts it needs here, from the SystemModel alone (pure).

import { assert } from '../../common/assert.ts';
import type {
  Channel,
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

function channelFact(model: SystemModel, ch: Channel): ChannelFact {
  const [ea, eb] = ch.ends;
  const calls: (readonly [string, string])[] = [];
  // 2.x: `pp` on an end means that end may ppcall the other (microkit-sdf.md §1.1).
  if (ea.pp) calls.push([ea.pd, eb.pd]);
  if (eb.pp) calls.push([eb.pd, ea.pd]);
  if (model.dialect === '1') {
    // 1.x: `pp` on the PD means the PD may be PP-called over its channels.
    const pdA = model.pds.find((p) => p.name === ea.pd);
    const pdB = model.pds.find((p) => p.name === eb.pd);
    if (pdB?.ppLegacy === true) calls.push([ea.pd, eb.pd]);
    if (pdA?.ppLegacy === true) calls.push([eb.pd, ea.pd]);
  }
  const unique = calls.filter(
    (c, i) => calls.findIndex((d) => d[0] === c[0] && d[1] === c[1]) === i,
  );
  return { a: ea.pd, b: eb.pd, ppcalls: unique, loc: ch.loc };
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

export function computeFacts(model: SystemModel): AuditFacts {
  const pdByName = new Map(model.pds.map((p) => [p.name, p] as const));
  const mrByName = new Map(model.memoryRegions.map((m) => [m.name, m] as const));
  const mapsOf = new Map<string, MapRef[]>();
  for (const mr of model.memoryRegions) mapsOf.set(mr.name, []);
  const record = (ref: MapRef): void => {
    // A map of an undeclared MR is a validation error (the parser reports it); skip it here.
    mapsOf.get(ref.map.mr)?.push(ref);
  };
  for (const pd of model.pds) {
    for (const map of pd.maps) record({ holder: pd.name, pd: pd.name, inVm: false, map });
  }
  for (const pd of model.pds) {
    const vm = pd.virtualMachine;
    if (vm === undefined) continue;
    for (const map of vm.maps) record({ holder: vm.name, pd: pd.name, inVm: true, map });
  }
  const channels = model.channels.map((c) => channelFact(model, c));
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
  return { model, pdByName, mrByName, mapsOf, channels, channelPeers, memoryPeers };
}

/** Distinct holders (PDs and VMs) of an MR, in document order. */
export function holdersOf(facts: AuditFacts, mr: string): readonly string[] {
  return [...new Set((facts.mapsOf.get(mr) ?? []).map((r) => r.holder))];
}
