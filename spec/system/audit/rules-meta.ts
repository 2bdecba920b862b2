// Rule metadata LP000–LP012 (least-privilege-policy.md "Rules"). Ids are stable: tests, JSON and
// SARIF use them. Severity here is the default; LP007 escalates to error with two or more clients.

import type { SourceLocation } from '../model.ts';

export const RULE_IDS = [
  'LP000',
  'LP001',
  'LP002',
  'LP003',
  'LP004',
  'LP005',
  'LP006',
  'LP007',
  'LP008',
  'LP009',
  'LP010',
  'LP011',
  'LP012',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export type Severity = 'error' | 'warning' | 'note';

export interface RuleMeta {
  readonly id: RuleId;
  /** SARIF `name`: a short camelCase identifier. */
  readonly name: string;
  readonly severity: Severity;
  readonly principle: string;
  readonly short: string;
  readonly help: string;
}

export const RULES: Readonly<Record<RuleId, RuleMeta>> = {
  LP000: {
    id: 'LP000',
    name: 'unclassified',
    severity: 'note',
    principle: '—',
    short: 'PD or MR could not be classified; rules skipped for it',
    help: 'Give the PD a role or the MR a kind in a roles file (--roles FILE.json) so the least-privilege rules can check it.',
  },
  LP001: {
    id: 'LP001',
    name: 'driverMapsData',
    severity: 'error',
    principle: 'D1',
    short: 'a driver maps a data region',
    help: 'D1: the driver never accesses packet or block data; it works with I/O addresses only. Remove the data region from the driver (I2C drivers are exempt, D7).',
  },
  LP002: {
    id: 'LP002',
    name: 'mmioCached',
    severity: 'error',
    principle: 'D2',
    short: 'an mmio region is mapped cached',
    help: 'D2: device registers are mapped uncached. Set cached="false" on the map.',
  },
  LP003: {
    id: 'LP003',
    name: 'deviceMemoryOutsideDriver',
    severity: 'error',
    principle: 'D2',
    short: 'an mmio or hw_ring region is mapped into a PD other than its driver',
    help: 'D2: device registers and hardware descriptor rings are mapped only into the driver (a VM with pass-through is allowed).',
  },
  LP004: {
    id: 'LP004',
    name: 'writableWhereReadOnly',
    severity: 'warning',
    principle: 'D5, D8',
    short: 'a PD maps rw a region its role only reads',
    help: 'D5: virtualisers and copiers map data read-only when they only read it (virt_rx, copier: Rx DMA data; virt_tx: client Tx data; serial virt_rx: driver Rx data; blk client: its storage_info). D8: a writable cached mapping of the Rx DMA region can write stale lines over fresh DMA data. Use perms="r".',
  },
  LP005: {
    id: 'LP005',
    name: 'executableShared',
    severity: 'error',
    principle: 'least privilege',
    short: 'x permission on a shared, queue, data, mmio or hw_ring region',
    help: 'Least privilege: no shared, queue, data or device region is executable. Remove x from perms.',
  },
  LP006: {
    id: 'LP006',
    name: 'clientMapsOtherClient',
    severity: 'error',
    principle: 'separation of clients',
    short: 'a client maps a region that belongs to another client',
    help: "Separation of clients: a client maps only its own data and queues; another client's regions go through the virtualiser or copier.",
  },
  LP007: {
    id: 'LP007',
    name: 'rxDmaInClient',
    severity: 'warning',
    principle: 'D8, separation',
    short: 'the Rx DMA region is mapped into a client',
    help: "D8 and separation: with the device's Rx DMA region mapped into a client, that client sees (and may corrupt) every client's packets. Add a copier per client. One trusted client: warning; two or more: error.",
  },
  LP008: {
    id: 'LP008',
    name: 'queueNotTwoEnds',
    severity: 'error',
    principle: 'D3',
    short: 'a queue region is not shared by exactly its two ends',
    help: 'D3: a queue is shared by exactly two PDs, one producer and one consumer. Map it into exactly two PDs.',
  },
  LP009: {
    id: 'LP009',
    name: 'priorityOrder',
    severity: 'warning',
    principle: 'D6',
    short: 'priority order violated along a connected chain',
    help: 'D6: priorities rise towards the device: client < copier < virtualiser < driver, and a client is below the passive server it calls.',
  },
  LP010: {
    id: 'LP010',
    name: 'hwRingCached',
    severity: 'warning',
    principle: 'D2',
    short: 'a hw_ring region is mapped cached',
    help: 'D2: hardware descriptor rings are mapped uncached. Virtio rings are legitimately cached on cache-coherent targets (e.g. QEMU virt); otherwise set cached="false".',
  },
  LP011: {
    id: 'LP011',
    name: 'clientToClientFlow',
    severity: 'error',
    principle: 'isolation',
    short: 'information can flow between two clients bypassing every virtualiser and copier',
    help: 'Isolation: every path of shared writable memory or ppcall between two clients must pass through a virtualiser, copier or driver. The finding prints the witness path; break it.',
  },
  LP012: {
    id: 'LP012',
    name: 'unusedRegion',
    severity: 'warning',
    principle: 'hygiene',
    short: 'a memory region is declared but never mapped',
    help: 'Hygiene: remove the unused memory region (Microkit prints the same warning).',
  },
};

export interface Finding {
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly pd?: string;
  readonly mr?: string;
  readonly message: string;
  readonly loc?: SourceLocation;
  /** LP011: the witness path, PDs and MRs alternating (a ppcall is a direct PD→PD step). */
  readonly path?: readonly string[];
}
