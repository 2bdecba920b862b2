// Which protocols a system description contains, and which model-checking runs check them
// (issue 8 part 3: `sddf check --system FILE` checks FILE). Input: the typed system model and the
// roles the auditor inferred (spec/system/roles/). Output: one instance per device class in
// use (its driver, virtualisers and clients, and the queue capacities the regions allow) and the
// model runs that check it, scaled down to what exhaustive search can do by the rules below,
// each saying what it scaled and why; classes with no model are listed as not model-checked.
//
// Scaling rules (docs/adr/012-check-from-system.md):
// - Clients: a model checks min(clients, the model's maximum). Beyond that the verdict is bounded:
//   virt_rx and virt_tx serve clients in index order (so clients are not symmetric, and no
//   symmetry argument extends the result), and the report says `bounded`.
// - Queue capacity: a region gives an upper bound (the largest power of two whose queue fits the
//   region; the exact value is in the sdfgen config data, not the .system file). The models use
//   a small capacity with the indices started just below the u16 wrap; the index arithmetic at
//   every capacity and width is the Z3 obligations' job (`sddf prove`), so only interleavings are
//   bounded by the smaller capacity.
// - Every run is bounded by a state count (never by time); a run that reaches it is incomplete.
import type { Roles, DeviceClass } from '../../spec/system/roles/vocabulary.ts';
import { roleClass, roleTier } from '../../spec/system/roles/vocabulary.ts';
import type { SystemModel } from '../../spec/system/model.ts';
import { netQueueSizeBytes } from '../../spec/queue/net.ts';
import type { MemoryModel } from './types.ts';

/** One device class as the system uses it. */
export interface ProtocolInstance {
  readonly deviceClass: DeviceClass;
  readonly drivers: readonly string[];
  /**
   * The NIC the net driver drives, told by the regions it maps: a region named `…virtio…` (as
   * sdfgen names virtio-net's registers and ring buffer), or one in QEMU virt's virtio-mmio window
   * (0x0a000000–0x0a003fff, where upstream's hand-written QEMU systems map `eth_regs`); or by its
   * program image. net-virtio checks a virtio-net system, net-pipeline (ENET-like) every other.
   */
  readonly nic?: 'virtio' | 'enet';
  readonly virtualisers: readonly string[];
  readonly copiers: readonly string[];
  readonly clients: readonly string[];
  /** Largest queue capacity the smallest queue region of this class allows (net and blk). */
  readonly maxQueueCapacity?: number;
  /** Serial: a virt_rx is present (the Rx path and the console). */
  readonly hasRx?: boolean;
}

/** One model-checking run, as `sddf mc` would be invoked. */
export interface PlannedRun {
  readonly label: string;
  readonly model: string;
  readonly memoryModel: MemoryModel;
  readonly bounds: Readonly<Record<string, number>>;
  readonly maxStates: number;
  /** What was scaled down from the file's instance, and why the smaller run still says something. */
  readonly scaled: readonly string[];
}

export interface NotChecked {
  readonly deviceClass: DeviceClass;
  readonly reason: string;
}

export interface CheckPlan {
  readonly instances: readonly ProtocolInstance[];
  readonly runs: readonly PlannedRun[];
  readonly notChecked: readonly NotChecked[];
}

/** Per-run state bound: enough for every default-bound run of the catalogue models (< 10^5). */
export const PLAN_MAX_STATES = 2_000_000;

/** QEMU `virt` (arm): 32 virtio-mmio transports of 0x200 bytes from 0x0a000000 (hw/arm/virt.c). */
const VIRTIO_MMIO_QEMU_VIRT = { start: 0x0a00_0000n, end: 0x0a00_4000n } as const;

/** Largest client count the network models take (proofs/models/net-pipeline.ts bound range). */
const NET_MODEL_MAX_CLIENTS = 2;

/** The largest power of two `c` whose net queue (`8 + 16c` bytes) fits `sizeBytes`. */
export function netCapacityFitting(sizeBytes: bigint): number {
  let c = 1;
  while (c < 0x8000 && BigInt(netQueueSizeBytes(c * 2)) <= sizeBytes) c *= 2;
  return BigInt(netQueueSizeBytes(c)) <= sizeBytes ? c : 0;
}

function instancesOf(model: SystemModel, roles: Roles): ProtocolInstance[] {
  const byClass = new Map<DeviceClass, { d: string[]; v: string[]; c: string[]; k: string[] }>();
  for (const pd of model.pds) {
    const role = roles.pds.get(pd.name)?.role;
    if (role === undefined) continue;
    const cls = roleClass(role);
    if (cls === undefined) continue;
    const e = byClass.get(cls) ?? { d: [], v: [], c: [], k: [] };
    byClass.set(cls, e);
    const tier = roleTier(role);
    if (tier === 'driver') e.d.push(pd.name);
    else if (tier === 'virt') e.v.push(pd.name);
    else if (tier === 'copier') e.k.push(pd.name);
    else if (tier === 'client') e.c.push(pd.name);
  }
  const out: ProtocolInstance[] = [];
  for (const [cls, e] of byClass) {
    const capacity =
      cls === 'net'
        ? netQueueCapacity(model, roles, [...e.d, ...e.v])
        : cls === 'blk'
          ? blkQueueCapacity(model, roles, [...e.d, ...e.v])
          : undefined;
    const virtioMmio = (mr: string) => {
      const at = model.memoryRegions.find((r) => r.name === mr)?.physAddr;
      return (
        at !== undefined && at >= VIRTIO_MMIO_QEMU_VIRT.start && at < VIRTIO_MMIO_QEMU_VIRT.end
      );
    };
    const virtio = model.pds
      .filter((p) => e.d.includes(p.name))
      .some(
        (p) =>
          /virtio/i.test(p.programImage) ||
          p.maps.some((m) => /virtio/i.test(m.mr) || virtioMmio(m.mr)),
      );
    out.push({
      deviceClass: cls,
      drivers: e.d,
      ...(cls === 'net' ? { nic: virtio ? ('virtio' as const) : ('enet' as const) } : {}),
      virtualisers: e.v,
      copiers: e.k,
      clients: e.c,
      ...(capacity === undefined ? {} : { maxQueueCapacity: capacity }),
      ...(cls === 'serial'
        ? { hasRx: e.v.some((v) => roles.pds.get(v)?.role === 'serial.virt_rx') }
        : {}),
    });
  }
  return out.sort((a, b) => a.deviceClass.localeCompare(b.deviceClass));
}

/** Smallest net queue region that the class's driver or virtualisers map. */
function netQueueCapacity(
  model: SystemModel,
  roles: Roles,
  pds: readonly string[],
): number | undefined {
  const names = new Set(
    model.pds.filter((p) => pds.includes(p.name)).flatMap((p) => p.maps.map((m) => m.mr)),
  );
  let smallest: bigint | undefined;
  for (const mr of model.memoryRegions) {
    if (!names.has(mr.name) || roles.mrs.get(mr.name)?.kind !== 'queue') continue;
    if (smallest === undefined || mr.sizeBytes < smallest) smallest = mr.sizeBytes;
  }
  return smallest === undefined ? undefined : netCapacityFitting(smallest);
}

function netRuns(inst: ProtocolInstance): PlannedRun[] {
  const pipeline = inst.nic === 'virtio' ? 'net-virtio' : 'net-pipeline';
  const clients = Math.max(1, inst.clients.length);
  const modelClients = Math.min(clients, NET_MODEL_MAX_CLIENTS);
  const scaledClients =
    clients > modelClients
      ? [
          `clients ${clients} → ${modelClients}: bounded (clients are served in index order, so no symmetry extends the result)`,
        ]
      : [];
  const cap = inst.maxQueueCapacity;
  const scaledCap =
    cap !== undefined && cap > 2
      ? [
          `queue capacity ≤ ${cap} → 2 with indices at the u16 wrap: interleavings bounded; index arithmetic at capacity ${cap} is proved by \`sddf prove\``,
        ]
      : [];
  const run = (
    label: string,
    model: string,
    memoryModel: MemoryModel,
    bounds: Record<string, number>,
    scaled: readonly string[],
  ): PlannedRun => ({ label, model, memoryModel, bounds, maxStates: PLAN_MAX_STATES, scaled });
  return [
    run('net-handshake (sc)', 'net-handshake', 'sc', {}, scaledCap),
    run('net-handshake (tso, seq_cst fences)', 'net-handshake', 'tso', { fences: 1 }, scaledCap),
    run(
      `${pipeline} (sc, ${modelClients} client${modelClients === 1 ? '' : 's'})`,
      pipeline,
      'sc',
      { clients: modelClients },
      [...scaledClients, ...scaledCap],
    ),
    run(
      'echo (sc)',
      'echo',
      'sc',
      { clients: 1, ...(inst.nic === 'virtio' ? { driver: 1, coalesce: 0 } : {}) },
      [...(clients > 1 ? [`clients ${clients} → 1: the echo round trip of one client`] : [])],
    ),
    run(
      `${pipeline} (tso, seq_cst fences, 1 client)`,
      pipeline,
      'tso',
      { clients: 1, fences: 1, ...(inst.nic === 'virtio' ? {} : { hwRing: 2 }) },
      clients > 1 ? [`clients ${clients} → 1 under TSO: bounded`] : [],
    ),
  ];
}

/** Largest client count serial-rx takes (proofs/models/serial-rx.ts bound range). */
const SERIAL_RX_MAX_CLIENTS = 2;

function serialRuns(inst: ProtocolInstance): PlannedRun[] {
  const n = inst.clients.length;
  const scaled = n > 1 ? [`clients ${n} → 1: the Tx path of one client (bounded)`] : [];
  const runs: PlannedRun[] = [
    {
      label: 'serial-tx (sc)',
      model: 'serial-tx',
      memoryModel: 'sc',
      bounds: {},
      maxStates: PLAN_MAX_STATES,
      scaled,
    },
    {
      label: 'serial-tx (tso)',
      model: 'serial-tx',
      memoryModel: 'tso',
      bounds: {},
      maxStates: PLAN_MAX_STATES,
      scaled,
    },
  ];
  // The file has a serial virt_rx (issue 13 part 6): the Rx path, with as many of its clients as
  // the model takes (the console switches among them), then the driver/virt_rx signalling under
  // TSO with characters arriving while virt_rx drains (one client: the pair does not involve them).
  if (inst.hasRx === true) {
    const clients = Math.min(n, SERIAL_RX_MAX_CLIENTS);
    runs.push(
      {
        label: `serial-rx (sc, ${clients} client${clients === 1 ? '' : 's'})`,
        model: 'serial-rx',
        memoryModel: 'sc',
        bounds: clients > 1 ? { clients, chars: 1, driverCapacity: 2 } : { chars: 3 },
        maxStates: PLAN_MAX_STATES,
        scaled: [
          ...(n > clients ? [`clients ${n} → ${clients}: bounded`] : []),
          'queue capacities → 1 or 2 and a few typed characters: interleavings bounded',
        ],
      },
      {
        label: 'serial-rx (tso, characters arriving)',
        model: 'serial-rx',
        memoryModel: 'tso',
        bounds: { chars: 3, arrivals: 1 },
        maxStates: PLAN_MAX_STATES,
        scaled: n > 1 ? [`clients ${n} → 1: the driver/virt_rx signalling (bounded)`] : [],
      },
    );
  }
  return runs;
}

/** Largest blk queue capacity the model takes (proofs/models/blk-virt.ts bound range). */
const BLK_MODEL_CAPACITY = 2;

/**
 * The largest power of two `c` whose blk *request* queue (`16 + 32c` bytes, the larger of the two
 * queues of a connection, which share one capacity) fits `sizeBytes`; at most 2^16 (sdfgen keeps
 * a client's capacity in a u16).
 */
export function blkCapacityFitting(sizeBytes: bigint, queue: 'req' | 'resp' = 'req'): number {
  // blk_req_queue_t: 16-byte header, 32-byte entries; blk_resp_queue_t: 8 and 12.
  const fits = (c: number): boolean =>
    BigInt(queue === 'req' ? 16 + 32 * c : 8 + 12 * c) <= sizeBytes;
  let c = 1;
  while (c < 0x1_0000 && fits(c * 2)) c *= 2;
  return fits(c) ? c : 0;
}

/** The smallest capacity a blk queue region that the class's driver or virt maps allows. */
function blkQueueCapacity(
  model: SystemModel,
  roles: Roles,
  pds: readonly string[],
): number | undefined {
  const names = new Set(
    model.pds.filter((p) => pds.includes(p.name)).flatMap((p) => p.maps.map((m) => m.mr)),
  );
  let smallest: number | undefined;
  for (const mr of model.memoryRegions) {
    if (!names.has(mr.name) || roles.mrs.get(mr.name)?.kind !== 'queue') continue;
    // sDDF's and sdfgen's names say which queue a region holds (`…response`, `…/resp…`).
    const c = blkCapacityFitting(mr.sizeBytes, /resp/i.test(mr.name) ? 'resp' : 'req');
    if (smallest === undefined || c < smallest) smallest = c;
  }
  return smallest;
}

function blkRuns(inst: ProtocolInstance): PlannedRun[] {
  const scaled =
    inst.clients.length > 1
      ? [`clients ${inst.clients.length} → 1: one client's request/response pair (bounded)`]
      : [];
  const cap = inst.maxQueueCapacity;
  const capacityNote =
    cap !== undefined && cap > BLK_MODEL_CAPACITY
      ? [
          `queue capacity ≤ ${cap} (what the file's smallest queue region holds) → ${BLK_MODEL_CAPACITY}: interleavings bounded; the index arithmetic at every capacity is \`sddf prove\`'s`,
        ]
      : [];
  return [
    {
      label: 'blk-handshake (sc)',
      model: 'blk-handshake',
      memoryModel: 'sc',
      bounds: {},
      maxStates: PLAN_MAX_STATES,
      scaled,
    },
    {
      // The client → virt → driver chain of this file: partition init (with a driver that
      // notifies early, F16's trigger), translation into the partition, a BARRIER, a device
      // that completes out of order.
      label: 'blk-virt (sc)',
      model: 'blk-virt',
      memoryModel: 'sc',
      bounds: { capacity: Math.min(cap ?? BLK_MODEL_CAPACITY, BLK_MODEL_CAPACITY), spurious: 1 },
      maxStates: PLAN_MAX_STATES,
      scaled: [...scaled, ...capacityNote],
    },
  ];
}

/** Largest client counts of the timer and i2c models (proofs/models/timer.ts, i2c.ts bounds). */
const TIMER_MODEL_MAX_CLIENTS = 3;
const I2C_MODEL_MAX_CLIENTS = 2;

/** PDs with a channel to one of `drivers` (a timer's clients: they ppcall it, whatever their class). */
function channelPeers(model: SystemModel, drivers: readonly string[]): string[] {
  const peers = new Set<string>();
  for (const c of model.channels) {
    const [a, b] = c.ends;
    if (drivers.includes(a.pd) && !drivers.includes(b.pd)) peers.add(b.pd);
    if (drivers.includes(b.pd) && !drivers.includes(a.pd)) peers.add(a.pd);
  }
  return [...peers];
}

function timerRuns(inst: ProtocolInstance, model: SystemModel): PlannedRun[] {
  const clients = Math.max(1, channelPeers(model, inst.drivers).length, inst.clients.length);
  const n = Math.min(clients, TIMER_MODEL_MAX_CLIENTS);
  return [
    {
      label: `timer (sc, ${n} client${n === 1 ? '' : 's'})`,
      model: 'timer',
      memoryModel: 'sc',
      bounds: { clients: n, ...(n === 3 ? { rounds: 1, ticks: 3 } : {}) },
      maxStates: PLAN_MAX_STATES,
      scaled: [
        ...(clients > n
          ? [
              `clients ${clients} → ${n}: bounded (each client has its own deadline; the driver scans them in channel order)`,
            ]
          : []),
        'time: a bounded number of counter ticks, relative timeouts between ticks; the conversions at every u64 value are tested against exact arithmetic',
      ],
    },
  ];
}

function i2cRuns(inst: ProtocolInstance): PlannedRun[] {
  const clients = Math.max(1, inst.clients.length);
  const n = Math.min(clients, I2C_MODEL_MAX_CLIENTS);
  return [
    {
      label: `i2c (sc, ${n} client${n === 1 ? '' : 's'})`,
      model: 'i2c',
      memoryModel: 'sc',
      bounds: { clients: n },
      maxStates: PLAN_MAX_STATES,
      scaled: [
        ...(clients > n
          ? [`clients ${clients} → ${n}: bounded (the virt serves clients by channel)`]
          : []),
        'queue capacity 254 (I2C_QUEUE_CAPACITY) → 4: deferral is reached with two transactions; the index arithmetic at 254 is proved by `sddf prove`',
      ],
    },
  ];
}

/** The protocols of a system and the model runs that check them. */
export function planModelChecks(model: SystemModel, roles: Roles): CheckPlan {
  const instances = instancesOf(model, roles);
  const runs: PlannedRun[] = [];
  const notChecked: NotChecked[] = [];
  for (const inst of instances) {
    switch (inst.deviceClass) {
      case 'net':
        runs.push(...netRuns(inst));
        break;
      case 'serial':
        runs.push(...serialRuns(inst));
        break;
      case 'blk':
        runs.push(...blkRuns(inst));
        break;
      case 'i2c':
        runs.push(...i2cRuns(inst));
        break;
      case 'timer':
        runs.push(...timerRuns(inst, model));
        break;
      case 'gpu':
        notChecked.push({ deviceClass: 'gpu', reason: 'no gpu model' });
        break;
    }
  }
  return { instances, runs, notChecked };
}
