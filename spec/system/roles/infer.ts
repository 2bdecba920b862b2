// Role inference (least-privilege-policy.md "Roles"; issue #10 "roles from structure first"):
//   1. the roles file (`--roles roles.json`) overrides everything;
//   2. structure: a PD hosting a VM is a `vmm`; a driver holds a device's IRQ and maps its
//      registers (or, for a device without an IRQ, is the only PD that maps them); a virtualiser
//      shares a queue-shaped region with a driver and serves someone else; a copier sits between a
//      virtualiser and one client; a client is what talks to a virtualiser, copier or server, or
//      PP-calls a driver (the timer pattern);
//   3. names of program images and memory regions as a second signal: a device class, rx/tx,
//      copier vs client where the topology is symmetric, LionsOS file-system servers and the
//      benchmark harness (known roles). A PD's own name is never read, so renaming PDs cannot
//      change a role (a property test checks this).
// Every role carries its reason. Whatever stays unclassified is reported (LP000). Pure.

import { assert } from '../../common/assert.ts';
import type { SystemModel } from '../model.ts';
import { computeFacts, type AuditFacts } from '../audit/facts.ts';
import { inferMrKinds } from './kinds.ts';
import { classFromTokens, has, nameTokens } from './naming.ts';
import { neighbours, topologyOf, type Topology } from './topology.ts';
import {
  roleClass,
  roleTier,
  type DeviceClass,
  type PdRole,
  type PdRoleInfo,
  type RoleTier,
  type Roles,
  type RolesFile,
} from './vocabulary.ts';

/** Preference when a client talks to several subsystems: the data-carrying one names it. */
export const CLIENT_CLASS_ORDER: readonly DeviceClass[] = [
  'net',
  'blk',
  'gpu',
  'i2c',
  'serial',
  'timer',
  'device',
];

export function inferRoles(model: SystemModel, file?: RolesFile, facts?: AuditFacts): Roles {
  const f = facts ?? computeFacts(model);
  const t = topologyOf(f);
  const pds = inferPdRoles(t, file);
  const mrs = inferMrKinds(t, pds, file);
  // Names are unique in a valid model; a partial model may repeat one (one entry per name then).
  assert(pds.size <= model.pds.length + t.vmmOf.size, 'at most one role per PD and VM');
  assert(mrs.size === f.mrByName.size, 'one kind per MR name');
  return { pds, mrs };
}

type Out = Map<string, PdRoleInfo>;

function basename(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Words of a PD's program image (never of its name: see the header). */
function imageWords(t: Topology, pd: string): string[] {
  return nameTokens(basename(t.facts.pdByName.get(pd)?.programImage ?? ''));
}

function tierOf(out: Out, name: string): RoleTier | undefined {
  const role = out.get(name)?.role;
  return role === undefined ? undefined : roleTier(role);
}

function inferPdRoles(t: Topology, file: RolesFile | undefined): Out {
  const out: Out = new Map();
  const pds = [...t.facts.pdByName.keys()];
  for (const name of [...pds, ...t.vmmOf.keys()]) {
    const given = file?.pds.get(name);
    if (given !== undefined) {
      out.set(name, { role: given.value, source: 'roles file', reason: 'roles file' });
    }
  }
  const open = (): string[] => pds.filter((p) => !out.has(p));
  virtualMachines(t, out);
  bench(t, out, open());
  drivers(t, out, open());
  virtualisers(t, out, open());
  copiers(t, out, open());
  fileSystemServers(t, out, open());
  driverVms(t, out);
  clients(t, out, [...open(), ...[...t.vmOf.keys()].filter((p) => out.get(p)?.role === 'vmm')]);
  for (const p of open()) {
    out.set(p, {
      reason: 'holds no IRQ or device registers and talks to no virtualiser, copier or server',
    });
  }
  assert(
    pds.every((p) => out.has(p)) && [...t.vmmOf.keys()].every((vm) => out.has(vm)),
    'every PD and VM has a role or a reason why not',
  );
  return out;
}

/** A PD hosting a `<virtual_machine>` is its VMM; the VM itself is a `vm` (structure). */
function virtualMachines(t: Topology, out: Out): void {
  for (const [pd, vm] of t.vmOf) {
    if (!out.has(pd)) out.set(pd, { role: 'vmm', source: 'structure', reason: `hosts VM '${vm}'` });
    if (!out.has(vm)) {
      out.set(vm, { role: 'vm', source: 'structure', reason: `virtual machine of ${pd}` });
    }
  }
}

/** The benchmark harness of the sDDF examples (benchmark.elf, idle.elf): a known role. */
function bench(t: Topology, out: Out, open: readonly string[]): void {
  for (const p of open) {
    const w = imageWords(t, p);
    if (!has(w, 'bench', 'benchmark', 'idle')) continue;
    out.set(p, {
      role: 'bench',
      source: 'naming',
      reason: `benchmark harness (program image ${basename(t.facts.pdByName.get(p)?.programImage ?? '')})`,
    });
  }
}

/** Device class of a driver: its image's words, else the device regions only it maps, else any. */
function driverClass(t: Topology, pd: string, devices: readonly string[]): DeviceClass {
  const own = devices.filter((mr) => t.holders(mr).length === 1);
  return (
    classFromTokens(imageWords(t, pd)) ??
    classFromTokens(own.flatMap(nameTokens)) ??
    classFromTokens(devices.flatMap(nameTokens)) ??
    'device'
  );
}

function drivers(t: Topology, out: Out, open: readonly string[]): void {
  for (const p of open) {
    const pd = t.facts.pdByName.get(p);
    if (pd === undefined) continue;
    const devices = [...new Set(pd.maps.map((m) => m.mr).filter((mr) => t.isPhys(mr)))];
    const regs = devices.filter((mr) => t.registerLike(mr));
    const sole = regs.find((mr) => t.holders(mr).length === 1);
    const ports = (pd.ioports ?? []).length > 0;
    let reason: string | undefined;
    if (pd.irqs.length > 0 && devices.length > 0) {
      const shown = regs[0] ?? devices[0];
      reason = `holds IRQ ${pd.irqs[0]?.irq} and maps device region '${shown}' (phys_addr)`;
    } else if (pd.irqs.length > 0) {
      // A device without memory-mapped registers (the Arm generic timer: system registers).
      reason = `holds IRQ ${pd.irqs[0]?.irq} (a device without mapped registers)`;
    } else if (sole !== undefined) {
      reason = `the only PD mapping device registers '${sole}' (a device without an IRQ here)`;
    } else if (ports) {
      reason = `holds x86 I/O ports${pd.irqs.length > 0 ? ` and IRQ ${pd.irqs[0]?.irq}` : ''}`;
    }
    if (reason !== undefined) {
      const cls = driverClass(t, p, devices);
      out.set(p, { role: `${cls}.driver`, source: 'structure', reason });
      continue;
    }
    // Second signal: an image named a driver of a class (`i2c_driver.elf`, `reactor_driver.elf`
    // with i2c regions), for drivers of devices the description does not map (non-DMA, sdfgen).
    const w = imageWords(t, p);
    if (!has(w, 'driver', 'drv')) continue;
    const cls =
      classFromTokens(w) ?? classFromTokens(pd.maps.flatMap((m) => nameTokens(m.mr))) ?? 'device';
    out.set(p, {
      role: `${cls}.driver`,
      source: 'naming',
      reason: `program image names a ${cls} driver`,
    });
  }
}

const VIRT_WORDS = ['virt', 'mux', 'vswitch', 'virtualiser', 'virtualizer'];

/** rx/tx of a net or serial virtualiser: its image's words, else those of its driver regions. */
function direction(t: Topology, p: string, driver: string | undefined): 'rx' | 'tx' | undefined {
  const from = (w: readonly string[]): 'rx' | 'tx' | undefined =>
    has(w, 'rx') !== has(w, 'tx') ? (has(w, 'rx') ? 'rx' : 'tx') : undefined;
  const own = from(imageWords(t, p));
  if (own !== undefined || driver === undefined) return own;
  const shared = [...t.facts.mapsOf]
    .filter(([, refs]) => refs.some((r) => r.holder === p) && refs.some((r) => r.holder === driver))
    .flatMap(([mr]) => nameTokens(mr));
  return from(shared);
}

function virtRole(cls: DeviceClass, dir: 'rx' | 'tx' | undefined): PdRole {
  if ((cls === 'net' || cls === 'serial') && dir !== undefined) return `${cls}.virt_${dir}`;
  return `${cls}.virt`;
}

/**
 * Structure: a PD that shares a pairwise region with a driver and is connected to someone who is
 * not a driver serves that someone. An I²C client also shares its data with the driver (D7): of
 * two such PDs, the one that PP-calls the other (or whose image names a client) is the client.
 * Second signal: an image named a virtualiser.
 */
function virtualisers(t: Topology, out: Out, open: readonly string[]): void {
  const candidates = open.filter((p) => {
    if (has(imageWords(t, p), 'copy', 'copier')) return false;
    const driver = [...(t.pairs.get(p) ?? [])].find((q) => tierOf(out, q) === 'driver');
    if (driver === undefined) return has(imageWords(t, p), ...VIRT_WORDS);
    return [...neighbours(t, p)].some((q) => q !== driver && tierOf(out, q) !== 'driver');
  });
  const calls = (p: string, q: string): boolean => t.calls.get(p)?.has(q) === true;
  for (const p of candidates) {
    const w = imageWords(t, p);
    const named = has(w, ...VIRT_WORDS);
    if (!named && (has(w, 'client', 'app') || candidates.some((q) => q !== p && calls(p, q)))) {
      continue;
    }
    const driver = [...(t.pairs.get(p) ?? [])].find((q) => tierOf(out, q) === 'driver');
    const dRole = driver === undefined ? undefined : out.get(driver)?.role;
    const cls =
      (dRole === undefined ? undefined : roleClass(dRole)) ?? classFromTokens(w) ?? 'device';
    out.set(p, {
      role: virtRole(cls, direction(t, p, driver)),
      source: driver !== undefined ? 'structure' : 'naming',
      reason:
        driver !== undefined
          ? `shares a queue region with driver '${driver}' and serves other PDs`
          : 'program image names a virtualiser',
    });
  }
}

/**
 * A VM (and its VMM) that shares queue regions with a virtualiser or a file-system server that has
 * no driver of its own, and has a device — registers passed through to the guest, IRQs its VMM
 * takes, or a VMM image named a driver — sits in the driver's place. The GIC virtual CPU
 * interface every guest maps is not a device (lionsos.md §3).
 */
function driverVms(t: Topology, out: Out): void {
  for (const [vm, vmm] of t.vmmOf) {
    // Only a server with no driver of its own: else the VM is on its client side.
    const virt = [...(t.pairs.get(vm) ?? []), ...(t.pairs.get(vmm) ?? [])].find(
      (q) =>
        (tierOf(out, q) === 'virt' || tierOf(out, q) === 'server') &&
        ![...(t.pairs.get(q) ?? [])].some((d) => tierOf(out, d) === 'driver'),
    );
    if (virt === undefined) continue;
    const vmInfo = out.get(vm);
    const vmmInfo = out.get(vmm);
    if (vmInfo?.role !== 'vm' || vmmInfo?.role !== 'vmm' || vmInfo.source === 'roles file')
      continue;
    // The driver side of the virtualiser: the VM maps device memory or the VMM takes IRQs.
    const vmMaps = t.facts.pdByName.get(vmm)?.virtualMachine?.maps ?? [];
    const passThrough = vmMaps.some(
      (m) => t.registerLike(m.mr) && !has(nameTokens(m.mr), 'gic', 'vcpu', 'vgic'),
    );
    const irqs = (t.facts.pdByName.get(vmm)?.irqs ?? []).length > 0;
    const named = has(imageWords(t, vmm), 'driver', 'drv');
    if (!passThrough && !irqs && !named) continue;
    const how = passThrough
      ? 'has devices passed through'
      : irqs
        ? 'its VMM takes device IRQs'
        : 'its VMM image names a driver';
    const why = `a driver VM: shares queue regions with '${virt}' and ${how}`;
    out.set(vm, { ...vmInfo, acts: 'driver', reason: `${vmInfo.reason}; ${why}` });
    out.set(vmm, { ...vmmInfo, acts: 'driver', reason: `${vmmInfo.reason}; ${why}` });
  }
}

/**
 * A copier sits between a net virtualiser and one client. The topology is symmetric with a
 * client that has its own Tx virtualiser (each has one virt and one other neighbour), so: an image
 * named a copier, or the structural tie-break of hand-written systems — it maps the region it
 * shares with the virtualiser read-only (the Rx DMA data; a client writes its Tx data).
 */
function copiers(t: Topology, out: Out, open: readonly string[]): void {
  for (const p of open) {
    const virts = [...(t.pairs.get(p) ?? [])].filter((q) =>
      out.get(q)?.role?.startsWith('net.virt'),
    );
    const all = [...neighbours(t, p)];
    const others = all.filter((q) => !virts.includes(q));
    const named = has(imageWords(t, p), 'copy', 'copier');
    const shape =
      virts.length === 1 && others.length === 1 && tierOf(out, others[0] ?? '') !== 'driver';
    if (!(named && virts.length > 0) && !(shape && readOnlyTowards(t, p, virts[0] ?? ''))) continue;
    out.set(p, {
      role: 'net.copier',
      source: named ? 'naming' : 'structure',
      reason: named
        ? `program image names a copier; shares queues with '${virts[0]}'`
        : `sits between virtualiser '${virts[0]}' and '${others[0]}', reading the data it shares with the virtualiser`,
    });
  }
}

function readOnlyTowards(t: Topology, p: string, virt: string): boolean {
  const shared = [...t.facts.mapsOf.values()].filter(
    (refs) => refs.some((r) => r.holder === p) && refs.some((r) => r.holder === virt),
  );
  return shared.some((refs) => refs.every((r) => !r.map.perms.w));
}

/** LionsOS file-system servers (FAT, NFS; lionsos.md §2): known by their program images. */
function fileSystemServers(t: Topology, out: Out, open: readonly string[]): void {
  for (const p of open) {
    const w = imageWords(t, p);
    if (!has(w, 'fat', 'fatfs', 'nfs', 'fs', 'vfs', 'vmfs')) continue;
    if (neighbours(t, p).size === 0) continue;
    out.set(p, {
      role: 'fs.server',
      source: 'naming',
      reason: 'LionsOS file-system server (program image); serves command/completion queues',
    });
  }
}

/** Class of the servers a PD talks to, preferring data-carrying classes. */
function serverClass(t: Topology, out: Out, p: string): DeviceClass | 'fs' | undefined {
  const found = new Set<DeviceClass | 'fs'>();
  for (const q of neighbours(t, p)) {
    const role = out.get(q)?.role;
    if (role === undefined) continue;
    const tier = roleTier(role);
    if (tier === 'server') found.add('fs');
    if (tier !== 'virt' && tier !== 'copier') continue;
    const cls = roleClass(role);
    if (cls !== undefined) found.add(cls);
  }
  for (const q of t.calls.get(p) ?? []) {
    const role = out.get(q)?.role;
    if (role !== undefined && roleTier(role) === 'driver') found.add(roleClass(role) ?? 'device');
  }
  const data = CLIENT_CLASS_ORDER.slice(0, 2).find((c) => found.has(c));
  if (data !== undefined) return data;
  if (found.has('fs')) return 'fs';
  return CLIENT_CLASS_ORDER.find((c) => found.has(c));
}

/** What talks to a virtualiser, copier or server, or PP-calls a driver, is its client. */
function clients(t: Topology, out: Out, candidates: readonly string[]): void {
  for (const p of candidates) {
    const cls = serverClass(t, out, p);
    if (cls === undefined) continue;
    const info = out.get(p);
    const why =
      cls === 'fs'
        ? 'talks to a file-system server'
        : `talks to a ${cls} ${[...(t.calls.get(p) ?? [])].some((q) => tierOf(out, q) === 'driver') && ![...neighbours(t, p)].some((q) => tierOf(out, q) === 'virt' || tierOf(out, q) === 'copier') ? 'driver through protected calls' : 'virtualiser or copier'}`;
    if (info?.role === 'vmm') {
      if (info.acts === undefined)
        out.set(p, { ...info, acts: 'client', reason: `${info.reason}; ${why} (for its guest)` });
      continue;
    }
    const role: PdRole = cls === 'fs' ? 'fs.client' : `${cls}.client`;
    out.set(p, { role, source: 'structure', reason: why });
  }
}
