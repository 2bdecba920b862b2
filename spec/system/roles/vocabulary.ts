// The role vocabulary of the least-privilege policy (least-privilege-policy.md "Roles"): PD roles,
// MR kinds, the I/O tiers they sit in, and the shape of a roles file once read. What the rules
// and the renderers share; inference lives in ./infer.ts, reading a roles file in
// impl/audit/roles-file.ts.

import { assert } from '../../common/assert.ts';
import type { SourceLocation } from '../model.ts';

/**
 * Device classes of the policy, plus `device`: a class it has no rules of its own for (GPIO,
 * clocks, pin control, PWM, USB, PCIe, sound, …), so that their drivers, virtualisers and clients
 * still get a tier (issue #10: PDs that stayed unclassified got no rule at all).
 */
export const DEVICE_CLASSES = ['net', 'blk', 'serial', 'i2c', 'gpu', 'timer', 'device'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

export type PdRole =
  | `${DeviceClass}.driver`
  | `${DeviceClass}.virt`
  | 'net.virt_tx'
  | 'net.virt_rx'
  | 'net.copier'
  | 'serial.virt_tx'
  | 'serial.virt_rx'
  | `${DeviceClass}.client`
  | 'fs.server'
  | 'fs.client'
  | 'bench'
  | 'vmm'
  | 'vm'
  | 'other';

export const PD_ROLES: readonly PdRole[] = [
  ...DEVICE_CLASSES.map((c) => `${c}.driver` as const),
  ...DEVICE_CLASSES.map((c) => `${c}.virt` as const),
  'net.virt_tx',
  'net.virt_rx',
  'net.copier',
  'serial.virt_tx',
  'serial.virt_rx',
  ...DEVICE_CLASSES.map((c) => `${c}.client` as const),
  'fs.server',
  'fs.client',
  'bench',
  'vmm',
  'vm',
  'other',
];

export const MR_KINDS = [
  'mmio',
  'hw_ring',
  'queue',
  'net.rx_dma_data',
  'net.tx_data',
  'net.client_rx_data',
  'blk.data',
  'blk.storage_info',
  'serial.data',
  'i2c.data',
  'fs.share',
  'bench.counters',
  'config',
  'guest_ram',
  'private',
  'other',
] as const;
export type MrKind = (typeof MR_KINDS)[number];

/** Kinds that carry I/O payload (LP001, LP005). */
export const DATA_KINDS: ReadonlySet<MrKind> = new Set<MrKind>([
  'net.rx_dma_data',
  'net.tx_data',
  'net.client_rx_data',
  'blk.data',
  'serial.data',
  'i2c.data',
  'fs.share',
]);

export type RoleSource = 'roles file' | 'structure' | 'naming';

export interface PdRoleInfo {
  /** Undefined: unclassified (LP000). */
  readonly role?: PdRole;
  readonly source?: RoleSource;
  readonly reason: string;
  /**
   * A `vmm` or `vm` that also takes part in an I/O subsystem: `client` (a VMM that is an sDDF
   * client for its guest's virtio devices) or `driver` (a driver VM and its VMM). LP011 treats the
   * first as a client endpoint and the second as a mediator.
   */
  readonly acts?: 'client' | 'driver';
}

export interface MrKindInfo {
  readonly kind?: MrKind;
  /** The client (or driver, for mmio) the region belongs to, when it belongs to one. */
  readonly owner?: string;
  readonly source?: RoleSource;
  readonly reason: string;
}

export interface Roles {
  readonly pds: ReadonlyMap<string, PdRoleInfo>;
  readonly mrs: ReadonlyMap<string, MrKindInfo>;
}

/**
 * What a PD role does in the I/O chain client < copier < virt < driver (D6). `server`: a LionsOS
 * file-system server (it mediates between its clients' queues and a block or network client of its
 * own); `bench`: the benchmark harness (bench, benchIdle), outside the I/O chain by design.
 */
export type RoleTier =
  'client' | 'copier' | 'virt' | 'driver' | 'server' | 'bench' | 'vmm' | 'vm' | 'other';

export function roleTier(role: PdRole): RoleTier {
  if (role === 'vmm' || role === 'vm' || role === 'other' || role === 'bench') return role;
  if (role === 'fs.server') return 'server';
  if (role === 'fs.client') return 'client';
  if (role === 'net.copier') return 'copier';
  if (role.endsWith('.driver')) return 'driver';
  if (role.endsWith('.client')) return 'client';
  assert(role.includes('.virt'), () => `role ${role} is a virtualiser`);
  return 'virt';
}

export function roleClass(role: PdRole): DeviceClass | undefined {
  const c = role.split('.')[0];
  return DEVICE_CLASSES.find((d) => d === c);
}

/** One entry of a roles file, located where it is written. */
export interface RolesFileEntry<T> {
  readonly value: T;
  readonly owner?: string;
  readonly loc: SourceLocation;
}

export interface RolesFile {
  readonly file: string;
  readonly pds: ReadonlyMap<string, RolesFileEntry<PdRole>>;
  readonly mrs: ReadonlyMap<string, RolesFileEntry<MrKind>>;
}
