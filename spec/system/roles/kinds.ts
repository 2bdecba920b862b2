// Kinds of memory regions (least-privilege-policy.md "Roles"; issue #10): from structure first —
// a region's physical address, who maps it and how many parties share it — and from its name only
// to tell apart what structure cannot (a queue from a data region between the same two PDs;
// registers from DMA memory at a fixed address; Rx from Tx). Pure.

import { assert } from '../../common/assert.ts';
import { has, classFromTokens, nameTokens } from './naming.ts';
import type { Topology } from './topology.ts';
import {
  DATA_KINDS,
  roleClass,
  roleTier,
  type DeviceClass,
  type MrKind,
  type MrKindInfo,
  type PdRole,
  type PdRoleInfo,
  type RoleTier,
  type RolesFile,
} from './vocabulary.ts';

type Pds = ReadonlyMap<string, PdRoleInfo>;

const RING_WORDS = ['ring', 'rings', 'metadata', 'headers', 'descriptors', 'desc', 'descriptor'];
const QUEUE_WORDS = [
  'queue',
  'free',
  'active',
  'request',
  'response',
  'req',
  'resp',
  'events',
  'command',
  'completion',
];
const DATA_WORDS = ['data', 'buffer', 'buffers', 'dma', 'share', 'shared'];
/** Preference of classes when a data region is shared with several servers. */
const CLASS_ORDER: readonly DeviceClass[] = [
  'net',
  'blk',
  'gpu',
  'i2c',
  'serial',
  'timer',
  'device',
];

/**
 * Where a PD or VM sits for the purpose of region kinds: its role's tier, with a driver VM (and
 * its VMM) as a driver, a VMM that is an sDDF client for its guest as a client, and the benchmark
 * harness (a serial client of the echo server's console) as a client.
 */
export function effectiveTier(pds: Pds, name: string): RoleTier | undefined {
  const info = pds.get(name);
  if (info?.role === undefined) return undefined;
  if (info.acts !== undefined) return info.acts;
  const tier = roleTier(info.role);
  return tier === 'bench' ? 'client' : tier;
}

const ADJACENT: readonly (readonly [RoleTier, RoleTier])[] = [
  ['driver', 'virt'],
  ['virt', 'copier'],
  ['copier', 'client'],
  ['virt', 'client'],
  ['server', 'client'],
];

function adjacent(a: RoleTier | undefined, b: RoleTier | undefined): boolean {
  return ADJACENT.some(([x, y]) => (a === x && b === y) || (a === y && b === x));
}

export function inferMrKinds(
  t: Topology,
  pds: Pds,
  file: RolesFile | undefined,
): Map<string, MrKindInfo> {
  const out = new Map<string, MrKindInfo>();
  for (const name of t.facts.mrByName.keys()) {
    const given = file?.mrs.get(name);
    if (given !== undefined) {
      const base = { kind: given.value, source: 'roles file' as const, reason: 'roles file' };
      out.set(name, given.owner !== undefined ? { ...base, owner: given.owner } : base);
      continue;
    }
    const info = classify(t, pds, name);
    assert(info.reason.length > 0, () => `MR '${name}' has a reason`);
    const owner =
      info.kind !== undefined && ownedKind(info.kind) ? ownerOf(t, pds, name) : undefined;
    out.set(name, owner !== undefined ? { ...info, owner } : info);
  }
  return out;
}

const s = (kind: MrKind, reason: string): MrKindInfo => ({ kind, source: 'structure', reason });
const n = (kind: MrKind, reason: string): MrKindInfo => ({ kind, source: 'naming', reason });

function classify(t: Topology, pds: Pds, name: string): MrKindInfo {
  const refs = t.facts.mapsOf.get(name) ?? [];
  const holders = t.holders(name);
  if (holders.length === 0) return { reason: 'mapped by no PD or VM (LP012 reports it)' };
  const guest = refs.find((r) => r.inVm && r.map.perms.x);
  if (guest !== undefined && refs.some((r) => !r.inVm && r.holder === guest.pd)) {
    return s('guest_ram', `executable in VM '${guest.holder}' and mapped by its VMM '${guest.pd}'`);
  }
  const device = deviceKind(t, pds, name);
  if (device !== undefined) return device;
  if (holders.length === 1) return s('private', `mapped into '${holders[0]}' only: not shared`);
  const tiers = holders.map((h) => effectiveTier(pds, h));
  const server = (x: RoleTier | undefined): boolean =>
    x === 'virt' || x === 'copier' || x === 'driver' || x === 'server';
  if (holders.some((h) => pds.get(h)?.role === 'bench') && !tiers.some(server)) {
    return s('bench.counters', 'shared with the benchmark harness and no I/O server');
  }
  return sharedKind(t, pds, name, tiers);
}

/**
 * Device memory: a region at a physical address (or mapped into an IOMMU address space) that only
 * its drivers, VMs and the VMMs passing it through map; or a region only drivers map, uncached or
 * named a ring (device metadata, D2). Registers unless named DMA memory or IOMMU-mapped.
 */
function deviceKind(t: Topology, pds: Pds, name: string): MrKindInfo | undefined {
  const refs = t.facts.mapsOf.get(name) ?? [];
  const holders = t.holders(name);
  const isDriver = (h: string): boolean => pds.get(h)?.role?.endsWith('.driver') === true;
  const vmHolders = new Set(refs.filter((r) => r.inVm).map((r) => r.holder));
  const passThrough = (h: string): boolean =>
    vmHolders.has(h) || [...vmHolders].some((vm) => t.vmmOf.get(vm) === h);
  const devicePath = holders.every((h) => isDriver(h) || passThrough(h));
  const words = nameTokens(name);
  if (t.isPhys(name) || t.iomapped(name)) {
    if (devicePath) {
      if (t.dmaNamed(name) || t.iomapped(name)) {
        return n(
          'hw_ring',
          'device DMA memory: fixed address, mapped by its driver, named as DMA memory',
        );
      }
      const who = holders.some(isDriver) ? 'its driver' : 'a VM (pass-through)';
      return s('mmio', `device registers: phys_addr, mapped by ${who}`);
    }
    // Registers mapped beyond their driver (LP003's case): still registers.
    if (t.registerLike(name) && holders.some(isDriver)) {
      return s('mmio', 'device registers: phys_addr, mapped by a driver (and others)');
    }
    return undefined;
  }
  if (!holders.every(isDriver)) return undefined;
  if (has(words, ...RING_WORDS)) return n('hw_ring', 'mapped by drivers only, named a ring');
  if (refs.every((r) => !r.map.cached) && !has(words, ...QUEUE_WORDS, 'heap', 'stack')) {
    return s('hw_ring', 'mapped uncached by drivers only: device metadata (D2)');
  }
  return undefined;
}

/** A region two or more parties share: a queue, a data region, or named metadata. */
function sharedKind(
  t: Topology,
  pds: Pds,
  name: string,
  tiers: readonly (RoleTier | undefined)[],
): MrKindInfo {
  const words = nameTokens(name);
  const holders = t.holders(name);
  const io = (x: RoleTier | undefined): boolean =>
    x === 'virt' || x === 'copier' || x === 'driver' || x === 'server' || x === 'client';
  const onIoPath = tiers.some(io);
  if (onIoPath && has(words, 'storage') && has(words, 'info')) {
    return n('blk.storage_info', 'named storage_info');
  }
  if (onIoPath && has(words, 'config')) return n('config', 'named config');
  const dataNamed = has(words, ...DATA_WORDS);
  const pairwise = t.pairs.get(holders[0] ?? '')?.has(holders[1] ?? '') === true;
  if (holders.length === 2 && pairwise && adjacent(tiers[0], tiers[1]) && !dataNamed) {
    return s('queue', 'shared by exactly two PDs of adjacent roles, both read and write');
  }
  if (onIoPath && dataNamed) {
    const data = dataKind(t, pds, name, words);
    if (data !== undefined) return data;
  }
  if (onIoPath && has(words, ...QUEUE_WORDS)) return n('queue', 'named a queue, shared by I/O PDs');
  if (!onIoPath) return { reason: 'shared by PDs outside any I/O subsystem' };
  return { reason: 'no structural or naming rule applies' };
}

function dataKind(
  t: Topology,
  pds: Pds,
  name: string,
  tokens: readonly string[],
): MrKindInfo | undefined {
  const roles = t.holders(name).flatMap((h) => {
    const r = pds.get(h)?.role;
    return r === undefined ? [] : [r];
  });
  if (roles.some((r) => roleTier(r) === 'server')) {
    return s('fs.share', 'shared between a file-system server and its client');
  }
  const servers = roles.filter((r) => roleTier(r) !== 'client');
  const cls =
    CLASS_ORDER.find((c) => servers.some((r) => roleClass(r) === c)) ??
    classFromTokens(tokens) ??
    CLASS_ORDER.find((c) => roles.some((r) => roleClass(r) === c));
  const st = (kind: MrKind, reason: string): MrKindInfo => ({ kind, source: 'structure', reason });
  switch (cls) {
    case 'net':
      return netData(roles, tokens);
    case 'blk':
      return st('blk.data', 'blk data region');
    case 'serial':
      return st('serial.data', 'serial data region');
    case 'i2c':
      return st('i2c.data', 'i2c data region');
    case 'gpu':
    case 'timer':
    case 'device':
      return st('other', `${cls} data region (no dedicated kind in the policy)`);
    case undefined:
      return undefined;
    default: {
      const never: never = cls;
      return never;
    }
  }
}

function netData(roles: readonly PdRole[], tokens: readonly string[]): MrKindInfo {
  const st = (kind: MrKind, reason: string): MrKindInfo => ({ kind, source: 'structure', reason });
  if (has(tokens, 'tx') || (roles.includes('net.virt_tx') && !has(tokens, 'rx'))) {
    return st('net.tx_data', 'net data region shared with net virt_tx');
  }
  const device = has(tokens, 'device') || roles.includes('net.virt_rx');
  const clientSuffix = has(tokens, 'cli', 'client');
  if (device && !(clientSuffix && !roles.includes('net.virt_rx'))) {
    return st('net.rx_dma_data', 'net Rx data region of the device (mapped by virt_rx)');
  }
  return st('net.client_rx_data', "a client's Rx data region (filled by its copier)");
}

/** Kinds a single client can own (LP006): its data, its queues, its config (`other`: gpu data). */
function ownedKind(kind: MrKind): boolean {
  if (kind === 'net.rx_dma_data') return false; // the device's, shared by design (LP007 instead)
  return DATA_KINDS.has(kind) || ['queue', 'blk.storage_info', 'config', 'other'].includes(kind);
}

/** The client a region belongs to: its only client mapper, else the client its name mentions. */
function ownerOf(t: Topology, pds: Pds, mr: string): string | undefined {
  const clients = holdersOfTier(t, pds, mr, 'client');
  if (clients.length === 1) return clients[0];
  if (clients.length === 0) return undefined;
  const lower = mr.toLowerCase();
  const byName = clients.find((c) => lower.includes(c.toLowerCase()));
  if (byName !== undefined) return byName;
  const digits = /cli(?:ent)?_?(\d+)$/.exec(lower)?.[1];
  const byDigits = digits === undefined ? undefined : clients.find((c) => c.endsWith(digits));
  // Ambiguous: the first client to map it is taken as its owner (the report says so).
  return byDigits ?? clients[0];
}

export function holdersOfTier(t: Topology, pds: Pds, mr: string, tier: RoleTier): string[] {
  const out = t.holders(mr).filter((h) => {
    const role = pds.get(h)?.role;
    return role !== undefined && roleTier(role) === tier;
  });
  assert(out.length <= t.holders(mr).length, 'a subset of the holders');
  return out;
}
