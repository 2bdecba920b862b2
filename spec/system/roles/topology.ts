// The structure role inference reads (issue #10: roles from structure first): who shares a region
// pairwise with whom (a queue or a data region between exactly two parties), who shares a channel,
// who may PP-call whom, which regions are device memory, and which PD hosts which VM. Pure; built
// once per audit from the auditor's facts.

import { assert } from '../../common/assert.ts';
import type { AuditFacts } from '../audit/facts.ts';
import type { MemoryRegion } from '../model.ts';
import { has, nameTokens } from './naming.ts';

/**
 * Words that name DMA memory rather than device registers (sDDF and sdfgen region names,
 * microkit-sdf.md §2.2; NVMe submission/completion queues and PRP lists; virtio metadata).
 */
const DMA_WORDS = [
  'ring',
  'rings',
  'desc',
  'descriptor',
  'descriptors',
  'dma',
  'buffer',
  'buffers',
  'data',
  'queue',
  'sq',
  'cq',
  'prp',
  'identify',
  'pool',
  'metadata',
  'headers',
  'ram',
  'share',
  'shared',
  'free',
  'active',
  'request',
  'response',
  'req',
  'resp',
  'heap',
] as const;

export interface Topology {
  readonly facts: AuditFacts;
  /** Distinct holders (PD names, and VM names for a VM's maps) of an MR, in document order. */
  holders(mr: string): readonly string[];
  /**
   * PD or VM → the parties it shares a *pairwise* region with: an MR mapped into exactly two
   * holders, each able to read it, one at least able to write it (a queue or a data region).
   */
  readonly pairs: ReadonlyMap<string, ReadonlySet<string>>;
  /** PD → PDs it shares a channel with. */
  readonly channels: ReadonlyMap<string, ReadonlySet<string>>;
  /** PD → PDs it may PP-call (2.x `pp` on its end, 1.x `pp` on the callee). */
  readonly calls: ReadonlyMap<string, ReadonlySet<string>>;
  /** VM name → the PD hosting it; PD → the VM it hosts. */
  readonly vmmOf: ReadonlyMap<string, string>;
  readonly vmOf: ReadonlyMap<string, string>;
  /** Regions with a phys_addr (device memory, or DMA memory at a fixed address). */
  isPhys(mr: string): boolean;
  /** phys_addr and not named as DMA memory: device registers. */
  registerLike(mr: string): boolean;
  /** Named as DMA memory (rings, queues, buffers, data; DMA_WORDS). */
  dmaNamed(mr: string): boolean;
  /** Mapped into a device's I/O address space (2.3 `<iomap>`): DMA memory by structure. */
  iomapped(mr: string): boolean;
}

function add(m: Map<string, Set<string>>, a: string, b: string): void {
  if (a === b) return;
  const s = m.get(a) ?? new Set<string>();
  s.add(b);
  m.set(a, s);
}

function pairsOf(f: AuditFacts): Map<string, Set<string>> {
  const pairs = new Map<string, Set<string>>();
  for (const refs of f.mapsOf.values()) {
    const holders = [...new Set(refs.map((r) => r.holder))];
    if (holders.length !== 2) continue;
    const [a, b] = holders as [string, string];
    const reads = (h: string): boolean =>
      refs.some((r) => r.holder === h && (r.map.perms.r || r.map.perms.x));
    if (!reads(a) || !reads(b) || !refs.some((r) => r.map.perms.w)) continue;
    add(pairs, a, b);
    add(pairs, b, a);
  }
  return pairs;
}

export function topologyOf(f: AuditFacts): Topology {
  const channels = new Map<string, Set<string>>();
  const calls = new Map<string, Set<string>>();
  for (const ch of f.channels) {
    add(channels, ch.a, ch.b);
    add(channels, ch.b, ch.a);
    for (const [caller, callee] of ch.ppcalls) add(calls, caller, callee);
  }
  const vmmOf = new Map<string, string>();
  const vmOf = new Map<string, string>();
  for (const pd of f.model.pds) {
    const vm = pd.virtualMachine;
    if (vm === undefined) continue;
    vmmOf.set(vm.name, pd.name);
    vmOf.set(pd.name, vm.name);
  }
  const iomapped = new Set((f.model.ioAddressSpaces ?? []).flatMap((s) => s.maps.map((m) => m.mr)));
  const mr = (name: string): MemoryRegion | undefined => f.mrByName.get(name);
  const dmaNamed = (name: string): boolean => has(nameTokens(name), ...DMA_WORDS);
  const holderCache = new Map<string, readonly string[]>();
  const t: Topology = {
    facts: f,
    holders: (name) => {
      const hit = holderCache.get(name);
      if (hit !== undefined) return hit;
      const out = [...new Set((f.mapsOf.get(name) ?? []).map((r) => r.holder))];
      holderCache.set(name, out);
      return out;
    },
    pairs: pairsOf(f),
    channels,
    calls,
    vmmOf,
    vmOf,
    isPhys: (name) => mr(name)?.physAddr !== undefined,
    registerLike: (name) =>
      mr(name)?.physAddr !== undefined && !dmaNamed(name) && !iomapped.has(name),
    dmaNamed,
    iomapped: (name) => iomapped.has(name),
  };
  assert(t.pairs.size <= f.pdByName.size + vmmOf.size, 'pairs are between PDs and VMs');
  return t;
}

/** Parties a PD or VM is connected to at all: pairwise regions and channels. */
export function neighbours(t: Topology, name: string): Set<string> {
  return new Set([...(t.pairs.get(name) ?? []), ...(t.channels.get(name) ?? [])]);
}
