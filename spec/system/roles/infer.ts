// Role inference (least-privilege-policy.md "Roles"). Inference order, exactly as the policy says:
//   1. the roles file (`--roles roles.json`) overrides everything;
//   2. structure (a PD with an IRQ that maps an MR with phys_addr uncached is a driver; an MR
//      mapped rw into exactly two PDs of adjacent roles is a queue);
//   3. naming conventions of hand-written sDDF systems and of sdfgen (./naming.ts).
// Where structure says "shared by two adjacent PDs" but the name says "data", the name decides
// between queue and data (structure gives the shape, naming the content; docs/adr/006-auditor.md).
// Whatever stays unclassified is reported (LP000) and no role-dependent rule fires on it.
// Pure: the model (and optionally a parsed roles file) in, roles out.

import { assert } from '../../common/assert.ts';
import type { SystemModel } from '../model.ts';
import { computeFacts, type AuditFacts } from '../audit/facts.ts';
import { classFromTokens, has, nameTokens } from './naming.ts';
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
  type Roles,
  type RolesFile,
} from './vocabulary.ts';

/** Preference when a client talks to several subsystems: the data-carrying one names it. */
const CLIENT_CLASS_ORDER: readonly DeviceClass[] = ['net', 'blk', 'gpu', 'i2c', 'serial', 'timer'];

export function inferRoles(model: SystemModel, file?: RolesFile, facts?: AuditFacts): Roles {
  const f = facts ?? computeFacts(model);
  const pds = inferPdRoles(f, file);
  const mrs = inferMrKinds(f, pds, file);
  // Names are unique in a valid model; a partial model may repeat one (one entry per name then).
  assert(pds.size <= model.pds.length + vmCount(model), 'at most one role per PD and VM');
  assert(mrs.size === f.mrByName.size, 'one kind per MR name');
  return { pds, mrs };
}

function vmCount(model: SystemModel): number {
  return model.pds.filter((p) => p.virtualMachine !== undefined).length;
}

function inferPdRoles(f: AuditFacts, file: RolesFile | undefined): Map<string, PdRoleInfo> {
  const out = new Map<string, PdRoleInfo>();
  const model = f.model;
  // 1. the roles file
  for (const pd of model.pds) {
    const given = file?.pds.get(pd.name);
    if (given !== undefined)
      out.set(pd.name, { role: given.value, source: 'roles file', reason: 'roles file' });
  }
  // 2. structure: drivers, VMMs; 3. naming
  for (const pd of model.pds) {
    if (out.has(pd.name)) continue;
    const tokens = [...nameTokens(pd.name), ...nameTokens(basename(pd.programImage))];
    const deviceMaps = pd.maps.filter((m) => {
      const mr = f.mrByName.get(m.mr);
      return mr?.physAddr !== undefined && !m.cached;
    });
    if (pd.virtualMachine !== undefined) {
      out.set(pd.name, { role: 'vmm', source: 'structure', reason: 'hosts a virtual machine' });
    } else if (pd.irqs.length > 0 && deviceMaps.length > 0) {
      const cls =
        classFromTokens(tokens) ?? classFromTokens(deviceMaps.flatMap((m) => nameTokens(m.mr)));
      if (cls !== undefined) {
        const why = `has an IRQ and maps device MR '${deviceMaps[0]?.mr}' uncached`;
        out.set(pd.name, { role: `${cls}.driver`, source: 'structure', reason: why });
      }
    }
    if (out.has(pd.name)) continue;
    const named = roleFromNaming(tokens, pd.irqs.length > 0);
    if (named !== undefined)
      out.set(pd.name, { role: named.role, source: 'naming', reason: named.reason });
  }
  // Virtualisers named `virt_rx`/`virt_tx` without a class take the class of their driver.
  for (const pd of model.pds) {
    const info = out.get(pd.name);
    if (info?.reason !== 'name says net virt_rx' && info?.reason !== 'name says net virt_tx')
      continue;
    const tokens = [...nameTokens(pd.name), ...nameTokens(basename(pd.programImage))];
    if (
      classFromTokens(tokens) === undefined &&
      peerClass(f, out, pd.name, ['driver']) === 'serial'
    ) {
      const role = info.role === 'net.virt_rx' ? 'serial.virt_rx' : 'serial.virt_tx';
      out.set(pd.name, {
        role,
        source: 'naming',
        reason: `name says ${role}; class from its driver`,
      });
    }
  }
  // Structure: a PD that talks to a virtualiser, copier or driver and is none of those is a client.
  for (const pd of model.pds) {
    const info = out.get(pd.name);
    const clientByName = info?.reason === CLIENT_BY_NAME;
    if (info !== undefined && !clientByName) continue;
    const cls = peerClass(f, out, pd.name, ['virt', 'copier', 'driver']);
    if (cls !== undefined) {
      const why = clientByName
        ? 'client by name; class from the server it talks to'
        : `talks to a ${cls} server`;
      out.set(pd.name, {
        role: `${cls}.client`,
        source: clientByName ? 'naming' : 'structure',
        reason: why,
      });
    } else if (clientByName) {
      out.delete(pd.name);
    }
  }
  for (const pd of model.pds) {
    if (!out.has(pd.name))
      out.set(pd.name, { reason: 'no IRQ, no recognised name, not connected to an I/O server' });
    const vm = pd.virtualMachine;
    if (vm !== undefined) {
      const given = file?.pds.get(vm.name);
      out.set(
        vm.name,
        given !== undefined
          ? { role: given.value, source: 'roles file', reason: 'roles file' }
          : { role: 'vm', source: 'structure', reason: `virtual machine of ${pd.name}` },
      );
    }
  }
  return out;
}

const CLIENT_BY_NAME = 'client by name';

function basename(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function roleFromNaming(
  tokens: readonly string[],
  hasIrq: boolean,
): { role: PdRole; reason: string } | undefined {
  const cls = classFromTokens(tokens);
  if (has(tokens, 'copy', 'copier')) return { role: 'net.copier', reason: 'name says copier' };
  if (has(tokens, 'vmm')) return { role: 'vmm', reason: 'name says vmm' };
  if (has(tokens, 'virt', 'mux', 'vswitch', 'virtualiser', 'virtualizer')) {
    const rx = has(tokens, 'rx');
    const tx = has(tokens, 'tx');
    if (rx !== tx && (cls === 'serial' || cls === 'net' || cls === undefined)) {
      const c = cls ?? 'net';
      return {
        role: `${c}.virt_${rx ? 'rx' : 'tx'}` as PdRole,
        reason: `name says ${c} virt_${rx ? 'rx' : 'tx'}`,
      };
    }
    if (cls !== undefined) return { role: `${cls}.virt`, reason: `name says ${cls} virtualiser` };
    return undefined;
  }
  if (cls !== undefined && (has(tokens, 'driver', 'drv') || hasIrq)) {
    // A PD named after a device class that owns an IRQ (`uart`, `timer`, `eth`) is its driver.
    return { role: `${cls}.driver`, reason: `name says ${cls} driver` };
  }
  if (has(tokens, 'client', 'cli', 'app', 'lwip', 'echo')) {
    // Class decided from what it talks to (below); `other` marks "client by name" until then.
    return { role: 'other', reason: CLIENT_BY_NAME };
  }
  return undefined;
}

/** Class of the I/O server a PD talks to (channel or shared MR), preferring data-carrying classes. */
function peerClass(
  f: AuditFacts,
  roles: ReadonlyMap<string, PdRoleInfo>,
  pd: string,
  tiers: readonly RoleTier[],
): DeviceClass | undefined {
  const peers = new Set([...(f.channelPeers.get(pd) ?? []), ...(f.memoryPeers.get(pd) ?? [])]);
  const found = new Set<DeviceClass>();
  for (const p of peers) {
    const role = roles.get(p)?.role;
    if (role === undefined || !tiers.includes(roleTier(role))) continue;
    const cls = roleClass(role);
    if (cls !== undefined) found.add(cls);
  }
  return CLIENT_CLASS_ORDER.find((c) => found.has(c));
}

// --- memory regions --------------------------------------------------------------------------

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
const DATA_WORDS = ['data', 'buffer', 'buffers', 'dma', 'share'];
const MMIO_WORDS = ['regs', 'registers', 'mmio', 'reg'];

function inferMrKinds(
  f: AuditFacts,
  pds: ReadonlyMap<string, PdRoleInfo>,
  file: RolesFile | undefined,
): Map<string, MrKindInfo> {
  const out = new Map<string, MrKindInfo>();
  for (const mr of f.model.memoryRegions) {
    const given = file?.mrs.get(mr.name);
    if (given !== undefined) {
      const base = { kind: given.value, source: 'roles file' as const, reason: 'roles file' };
      out.set(mr.name, given.owner !== undefined ? { ...base, owner: given.owner } : base);
      continue;
    }
    const info = classifyMr(f, pds, mr.name);
    const owner =
      info.kind !== undefined && ownedKind(info.kind) ? ownerOf(f, pds, mr.name) : undefined;
    out.set(mr.name, owner !== undefined ? { ...info, owner } : info);
  }
  return out;
}

/** Kinds a single client can own (LP006): its data, its queues, its config (`other`: gpu data). */
function ownedKind(kind: MrKind): boolean {
  if (kind === 'net.rx_dma_data') return false; // the device's, shared by design (LP007 instead)
  return DATA_KINDS.has(kind) || ['queue', 'blk.storage_info', 'config', 'other'].includes(kind);
}

function classifyMr(f: AuditFacts, pds: ReadonlyMap<string, PdRoleInfo>, name: string): MrKindInfo {
  const mr = f.mrByName.get(name);
  assert(mr !== undefined, () => `MR ${name} is declared`);
  const refs = f.mapsOf.get(name) ?? [];
  const tokens = nameTokens(name);
  const roleOf = (holder: string): PdRole | undefined => pds.get(holder)?.role;
  const tiers = refs.map((r) => {
    const role = roleOf(r.holder);
    return role === undefined ? undefined : roleTier(role);
  });
  const holders = [...new Set(refs.map((r) => r.holder))];
  const onlyDrivers = refs.length > 0 && tiers.every((t) => t === 'driver');
  const s = (kind: MrKind, reason: string): MrKindInfo => ({ kind, source: 'structure', reason });
  const n = (kind: MrKind, reason: string): MrKindInfo => ({ kind, source: 'naming', reason });

  const inGuest = refs.some((r) => r.inVm || roleOf(r.holder) === 'vmm');
  if (inGuest && has(tokens, 'guest') && has(tokens, 'ram')) {
    return s('guest_ram', 'guest RAM mapped into a VM or its VMM');
  }
  const uncachedInDriver = refs.some((r, i) => !r.map.cached && tiers[i] === 'driver');
  if (mr.physAddr !== undefined && (uncachedInDriver || has(tokens, ...MMIO_WORDS))) {
    if (has(tokens, ...RING_WORDS)) return n('hw_ring', 'device DMA memory named as a ring');
    if (!has(tokens, ...DATA_WORDS, ...QUEUE_WORDS)) {
      return s('mmio', 'phys_addr, mapped uncached into a driver (device registers)');
    }
  }
  if (has(tokens, ...RING_WORDS) && (refs.length === 0 || onlyDrivers)) {
    return n('hw_ring', 'name says hardware ring');
  }
  if (onlyDrivers && refs.every((r) => !r.map.cached) && !has(tokens, ...QUEUE_WORDS)) {
    return s('hw_ring', 'mapped uncached into its driver only (device metadata, D2)');
  }
  if (has(tokens, 'storage') && has(tokens, 'info'))
    return n('blk.storage_info', 'name says storage_info');
  if (has(tokens, 'config')) return n('config', 'name says config');
  if (has(tokens, 'guest') && has(tokens, 'ram')) return n('guest_ram', 'name says guest RAM');
  const dataNamed = has(tokens, ...DATA_WORDS);
  if (!dataNamed && has(tokens, ...QUEUE_WORDS)) return n('queue', 'name says queue');
  if (!dataNamed && isStructuralQueue(refs, tiers)) {
    return s('queue', 'mapped rw into exactly two PDs of adjacent roles');
  }
  if (dataNamed) {
    const data = dataKind(
      refs.map((r) => roleOf(r.holder)),
      tokens,
    );
    if (data !== undefined) return data;
  }
  if (holders.length === 1) return s('private', `mapped into ${holders[0]} only`);
  return { reason: 'no structural or naming rule applies' };
}

const ADJACENT: readonly (readonly [RoleTier, RoleTier])[] = [
  ['driver', 'virt'],
  ['virt', 'copier'],
  ['copier', 'client'],
  ['virt', 'client'],
];

function isStructuralQueue(
  refs: readonly {
    readonly holder: string;
    readonly map: { readonly perms: { r: boolean; w: boolean } };
  }[],
  tiers: readonly (RoleTier | undefined)[],
): boolean {
  const holders = [...new Set(refs.map((r) => r.holder))];
  if (holders.length !== 2 || !refs.every((r) => r.map.perms.r && r.map.perms.w)) return false;
  const t0 = tiers[refs.findIndex((r) => r.holder === holders[0])];
  const t1 = tiers[refs.findIndex((r) => r.holder === holders[1])];
  return ADJACENT.some(([a, b]) => (t0 === a && t1 === b) || (t0 === b && t1 === a));
}

function dataKind(
  roles: readonly (PdRole | undefined)[],
  tokens: readonly string[],
): MrKindInfo | undefined {
  const known = roles.filter((r): r is PdRole => r !== undefined);
  const servers = known.filter((r) => roleTier(r) !== 'client');
  const cls =
    CLIENT_CLASS_ORDER.find((c) => servers.some((r) => roleClass(r) === c)) ??
    classFromTokens(tokens) ??
    CLIENT_CLASS_ORDER.find((c) => known.some((r) => roleClass(r) === c));
  const st = (kind: MrKind, reason: string): MrKindInfo => ({ kind, source: 'structure', reason });
  switch (cls) {
    case 'net': {
      if (has(tokens, 'tx') || (known.includes('net.virt_tx') && !has(tokens, 'rx'))) {
        return st('net.tx_data', 'net data region shared with net virt_tx');
      }
      const device = has(tokens, 'device') || known.includes('net.virt_rx');
      const clientSuffix = has(tokens, 'cli', 'client');
      if (device && !(clientSuffix && !known.includes('net.virt_rx'))) {
        return st('net.rx_dma_data', 'net Rx data region of the device (mapped by virt_rx)');
      }
      return st('net.client_rx_data', "a client's Rx data region (filled by its copier)");
    }
    case 'blk':
      return st('blk.data', 'blk data region');
    case 'serial':
      return st('serial.data', 'serial data region');
    case 'i2c':
      return st('i2c.data', 'i2c data region');
    case 'gpu':
    case 'timer':
      return st('other', `${cls} data region (no dedicated kind in the policy)`);
    case undefined:
      return undefined;
    default:
      return undefined;
  }
}

/** The client a region belongs to: its only client mapper, else the client its name mentions. */
function ownerOf(
  f: AuditFacts,
  pds: ReadonlyMap<string, PdRoleInfo>,
  mr: string,
): string | undefined {
  const clients = holdersOfTier(f, pds, mr, 'client');
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

export function holdersOfTier(
  f: AuditFacts,
  pds: ReadonlyMap<string, PdRoleInfo>,
  mr: string,
  tier: RoleTier,
): string[] {
  const refs = f.mapsOf.get(mr) ?? [];
  const holders = [...new Set(refs.map((r) => r.holder))];
  return holders.filter((h) => {
    const role = pds.get(h)?.role;
    return role !== undefined && roleTier(role) === tier;
  });
}
