// `sddf run blk [--image disk.img]` (issue #13 part 1): the block system on the emulated
// virtio-blk device under the deterministic runtime. The disk is a generated image (an MBR with
// two partitions) in memory, or a real image file. Monitors: every queue's bounds, and each
// client↔virt connection against the request semantics (spec/components/blk/requests.ts: each
// request answered once, buffers owned until answered, nothing across a barrier). At the end,
// durability: every write a client saw acknowledged (and did not overwrite later) is on the disk.
// Runtime fault injection (crash:virt@N, crash:client0@N, …) restarts the PD; the virt and the
// clients carry on from shared memory.

import { basename } from 'node:path';
import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import { BLK_TRANSFER_SIZE_BYTES, BlkReqCode, BlkRespStatus } from '../../../spec/queue/blk.ts';
import { U32 } from '../../../spec/queue/arith.ts';
import { SECTORS_PER_BLOCK, type Partition } from '../../../spec/components/blk/partition.ts';
import { blkForwardProblem } from '../../../spec/components/blk/virt.ts';
import {
  blkComplete,
  blkConnectionInitial,
  blkSubmit,
  type BlkConnectionState,
} from '../../../spec/components/blk/requests.ts';
import { FileBlockBackend, MemoryBlockBackend, type BlockBackend } from '../../hw/block_backend.ts';
import { VirtioBlk } from '../../hw/virtio/blk.ts';
import type { DmaPort, MmioDevice } from '../../mem/types.ts';
import { ComponentRegistry, type ComponentBinding } from '../../runtime/registry.ts';
import { DeterministicRuntime, type SchedulingMode } from '../../runtime/deterministic.ts';
import { ScriptedFaults, type FaultScript } from '../../runtime/faults.ts';
import { loadSystemModel } from '../../runtime/load.ts';
import {
  virtioBlkDriver,
  type VirtioBlkDriver,
  type VirtioBlkDriverOptions,
} from '../../drivers/blk/virtio.ts';
import {
  blkVirtComponent,
  type BlkVirt,
  type BlkVirtEvent,
  type BlkVirtOptions,
} from '../../components/blk/virt.ts';
import { blkClient, type BlkClient, type BlkJournalEntry } from '../../clients/blk/client.ts';
import { buildMbrImage, defaultPartitions } from './disk.ts';
import { wireBlk, type BlkWiring } from './wiring.ts';

export const BLK_SYSTEM_PATH = new URL('./blk.system', import.meta.url).pathname;
/** The generated disk when no image is given: 16 MiB, two partitions. */
export const DEFAULT_IMAGE_BYTES = 16 * 1024 * 1024;
export const BLK_DEVICE_NAME = 'virtio_blk';

export interface RunBlkOptions {
  /** A .system file (default: the built-in blk system). */
  readonly system?: string;
  /** A disk image file; absent: a generated image with an MBR and two partitions. */
  readonly image?: string;
  /** The disk's bytes (tests: a malformed table); used when `image` is absent. */
  readonly imageBytes?: Uint8Array;
  /** The disk itself (tests: one that loses writes); takes precedence over both. */
  readonly backend?: BlockBackend;
  readonly seed: number;
  readonly rounds?: number;
  readonly window?: number;
  readonly faults?: FaultScript;
  readonly schedule?: SchedulingMode;
  readonly virt?: BlkVirtOptions;
  readonly driver?: VirtioBlkDriverOptions;
  /** Observe every virt decision (the refinement check). */
  readonly onVirtEvent?: (e: BlkVirtEvent, virt: BlkVirt) => void;
  /** Replace a PD's binding (tests: a hostile client). */
  readonly rebind?: (pd: string, b: ComponentBinding) => ComponentBinding;
  readonly maxSteps?: number;
  /** The isolation monitor on every virt decision (default true; the bench turns it off). */
  readonly monitorVirt?: boolean;
}

export interface BlkClientReport {
  readonly name: string;
  readonly partition: { readonly startSector: string; readonly sectors: string };
  readonly capacityBlocks: string;
  readonly done: boolean;
  readonly rounds: number;
  readonly writes: number;
  readonly reads: number;
  readonly barriers: number;
  readonly flushes: number;
  readonly verifiedBlocks: number;
  readonly mismatches: number;
  readonly errors: number;
  readonly staleDiscarded: number;
  readonly restarts: number;
}

export interface RunBlkResult {
  readonly ok: boolean;
  readonly system: string;
  readonly image: string;
  readonly seed: number;
  readonly status: 'quiescent' | 'incomplete';
  readonly steps: number;
  readonly clients: readonly BlkClientReport[];
  readonly virt: BlkVirt['stats'] & { readonly failure: string | null; readonly restarts: number };
  readonly driver: VirtioBlkDriver['stats'];
  readonly device: VirtioBlk['stats'];
  readonly durability: { readonly checkedBlocks: number; readonly lost: number };
  readonly faults: { readonly injected: number; readonly unexpected: readonly string[] };
  readonly monitorChecks: number;
  readonly invariantViolations: number;
  readonly violations: readonly string[];
}

interface ClientTrack {
  spec: BlkConnectionState;
  /** Absolute disk block → the data of the last acknowledged write, and whether a later write is pending. */
  readonly acked: Map<bigint, { data: Uint8Array; overwritten: boolean }>;
}

const MAX_VIOLATIONS = 100;

export function runBlk(options: RunBlkOptions): {
  result?: RunBlkResult;
  errors: readonly Diagnostic[];
} {
  const system = options.system ?? BLK_SYSTEM_PATH;
  const { model, errors } = loadSystemModel(system);
  if (model === undefined) return { errors };
  const wired = wireBlk(model);
  if (wired.wiring === undefined) return { errors: wired.errors };
  const wiring = wired.wiring;
  let backend: BlockBackend;
  let file: FileBlockBackend | null = null;
  if (options.backend !== undefined) backend = options.backend;
  else if (options.image !== undefined) {
    try {
      file = new FileBlockBackend({ path: options.image });
    } catch (e) {
      return {
        errors: [
          {
            code: 'RUN_IMAGE',
            message: `cannot open the disk image: ${e instanceof Error ? e.message : String(e)}`,
            file: options.image,
          },
        ],
      };
    }
    if (
      file.sizeBytes < 2 * BLK_TRANSFER_SIZE_BYTES ||
      file.sizeBytes % BLK_TRANSFER_SIZE_BYTES !== 0
    ) {
      file.close();
      return {
        errors: [
          {
            code: 'RUN_IMAGE',
            message: `a disk image is a whole number of 4 KiB blocks, at least two (this one is ${file.sizeBytes} bytes)`,
            file: options.image,
          },
        ],
      };
    }
    backend = file;
  } else {
    const bytes =
      options.imageBytes ??
      buildMbrImage(DEFAULT_IMAGE_BYTES, defaultPartitions(DEFAULT_IMAGE_BYTES));
    backend = new MemoryBlockBackend({ bytes });
  }
  try {
    const r = runWired(options, wiring, backend, system);
    return 'ok' in r ? { result: r, errors: [] } : { errors: r };
  } finally {
    file?.close();
  }
}

function runWired(
  options: RunBlkOptions,
  wiring: BlkWiring,
  backend: BlockBackend,
  system: string,
): RunBlkResult | readonly Diagnostic[] {
  const violations: string[] = [];
  let violationCount = 0;
  const violate = (v: string): void => {
    violationCount++;
    if (violations.length < MAX_VIOLATIONS) violations.push(v);
  };
  const late: { rt?: DeterministicRuntime; port?: DmaPort } = {};
  const irq = wiring.driverIrq;
  const device = new VirtioBlk({
    name: BLK_DEVICE_NAME,
    dma: { read: (a, l) => late.port!.read(a, l), write: (a, d) => late.port!.write(a, d) },
    backend,
    outOfOrderSeed: options.seed,
    onIrqLevel: (up) => {
      const irqs = late.rt?.irqs;
      if (irqs === undefined) return;
      if (!up) irqs.deassertLine(irq.irq);
      else if (irq.trigger === 'edge') irqs.pulse(irq.irq);
      else irqs.assertLine(irq.irq);
    },
  });
  const live: { virt?: BlkVirt; driver?: VirtioBlkDriver; clients: Map<string, BlkClient> } = {
    clients: new Map(),
  };
  const tracks = wiring.clientPds.map((): ClientTrack => ({
    spec: blkConnectionInitial(),
    acked: new Map(),
  }));
  let monitorChecks = 0;
  const partitionOf = (c: number): Partition | undefined => live.virt?.partitions()[c];
  const journal =
    (c: number) =>
    (e: BlkJournalEntry): void => {
      const t = tracks[c]!;
      monitorChecks++;
      const name = wiring.clientPds[c]!;
      const start = (partitionOf(c)?.startSector ?? 0n) / BigInt(SECTORS_PER_BLOCK);
      if (e.kind === 'submit') {
        const r = blkSubmit(t.spec, e.req);
        if (r.problem !== null) violate(`${name}: ${r.problem}`);
        t.spec = r.state;
        if (e.req.code === BlkReqCode.WRITE) {
          for (let k = 0n; k < BigInt(e.req.count); k++) {
            const a = t.acked.get(start + e.req.blockNumber + k);
            if (a !== undefined) a.overwritten = true;
          }
        }
        return;
      }
      const r = blkComplete(t.spec, e.resp);
      if (r.problem !== null) violate(`${name}: ${r.problem}`);
      t.spec = r.state;
      if (
        e.kind === 'answer' &&
        e.req.code === BlkReqCode.WRITE &&
        e.resp.status === BlkRespStatus.OK &&
        e.data !== undefined
      ) {
        t.acked.set(start + e.req.blockNumber, { data: e.data, overwritten: false });
      }
    };
  const rounds = options.rounds ?? 8;
  const window = options.window ?? 32;
  const bindings = new Map<string, ComponentBinding>();
  bindings.set(wiring.driverPd, {
    factory: virtioBlkDriver,
    params: {
      config: wiring.driver,
      options: options.driver ?? {},
      probe: (d: VirtioBlkDriver) => (live.driver = d),
    },
  });
  bindings.set(wiring.virtPd, {
    factory: blkVirtComponent,
    params: {
      config: wiring.virt,
      options: options.virt ?? {},
      probe: (v: BlkVirt) => {
        live.virt = v;
        const on = options.onVirtEvent;
        if (options.monitorVirt === false && on === undefined) return;
        v.observer = (e) => {
          // Isolation (spec/components/blk/virt.ts): a forwarded request stays in the client's
          // partition and data region.
          if (e.kind === 'client-request' && options.monitorVirt !== false) {
            monitorChecks++;
            const d = wiring.virt.clients[e.client]!.data;
            const problem = blkForwardProblem(e.outcome, {
              partition: v.partitions()[e.client]!,
              dataSizeBytes: BigInt(d.sizeBytes),
              dataIoAddr: d.ioAddr,
              dataVaddr: BigInt(d.vaddr),
            });
            if (problem !== null)
              violate(`virt → driver for ${wiring.clientPds[e.client]}: ${problem}`);
          }
          on?.(e, v);
        };
      },
    },
  });
  wiring.clientPds.forEach((pd, c) => {
    bindings.set(pd, {
      factory: blkClient,
      params: {
        config: wiring.clients[c],
        rounds,
        window,
        seed: (options.seed * 7919 + c) >>> 0,
        journal: journal(c),
        probe: (x: BlkClient) => live.clients.set(pd, x),
      },
    });
  });
  const registry = new ComponentRegistry();
  for (const [pd, b] of bindings) registry.register(pd, options.rebind?.(pd, b) ?? b);
  const faults = options.faults === undefined ? undefined : new ScriptedFaults(options.faults);
  const created = DeterministicRuntime.create(
    // The model is re-read: `wireBlk` took what it needs from the same file.
    loadSystemModel(system).model!,
    {
      registry,
      mmio: new Map<string, MmioDevice>([[wiring.regsMr, device]]),
      devices: [{ device: BLK_DEVICE_NAME, ioMaps: wiring.dmaMrs.map((mr) => ({ mr })) }],
      mode: options.schedule ?? 'priority',
      seed: options.seed,
      restart: Object.fromEntries(
        [wiring.virtPd, ...wiring.clientPds].map((p) => [p, { maxRestarts: 8 }]),
      ),
      ...(faults === undefined ? {} : { faults }),
    },
  );
  // The runtime's planning errors (an MR it cannot back, a map it refuses) are the user's.
  if (created.runtime === undefined) return created.errors;
  const rt = created.runtime;
  late.rt = rt;
  late.port = rt.iommu.portFor(BLK_DEVICE_NAME);
  rt.irqs.attachLevelSource(irq.irq, () => device.irqAsserted());
  const r = rt.run({ maxSteps: options.maxSteps ?? 200_000 + 2_000 * rounds * window });

  // Queue bounds, on the words a third party reads (§3.15.1: 0 ≤ tail − head ≤ capacity).
  for (const q of wiring.queues) {
    const w = new Uint32Array(rt.region(q.mr).buffer!, 0, 2);
    monitorChecks++;
    const len = U32.sub(w[1]!, w[0]!);
    if (len > q.capacity)
      violate(`${q.mr}: tail − head = ${len} exceeds the capacity ${q.capacity}`);
  }
  // Durability: every acknowledged write not overwritten later is on the disk.
  let checkedBlocks = 0;
  let lost = 0;
  tracks.forEach((t, c) => {
    for (const [block, a] of t.acked) {
      if (a.overwritten) continue;
      checkedBlocks++;
      const on = backend.read(Number(block) * BLK_TRANSFER_SIZE_BYTES, BLK_TRANSFER_SIZE_BYTES);
      if (!(on instanceof Uint8Array) || !sameBytes(on, a.data)) {
        lost++;
        violate(
          `${wiring.clientPds[c]}: acknowledged write of disk block ${block} is not on the disk`,
        );
      }
    }
  });
  const virt = live.virt;
  const clients: BlkClientReport[] = wiring.clientPds.map((pd, c) => {
    const x = live.clients.get(pd);
    const p = partitionOf(c) ?? { startSector: 0n, sectors: 0n };
    const s = x?.stats;
    return {
      name: pd,
      partition: { startSector: String(p.startSector), sectors: String(p.sectors) },
      capacityBlocks: String(x?.capacityBlocks ?? 0n),
      done: x?.done ?? false,
      rounds: s?.rounds ?? 0,
      writes: s?.writes ?? 0,
      reads: s?.reads ?? 0,
      barriers: s?.barriers ?? 0,
      flushes: s?.flushes ?? 0,
      verifiedBlocks: s?.verifiedBlocks ?? 0,
      mismatches: s?.mismatches ?? 0,
      errors: s?.errors ?? 0,
      staleDiscarded: s?.staleDiscarded ?? 0,
      restarts: rt.status(pd).restarts,
    };
  });
  for (const c of clients) {
    if (c.mismatches > 0)
      violate(`${c.name}: ${c.mismatches} blocks read back differ from what was written`);
  }
  const injected = rt.faults.filter((f) => f.kind === 'injected').length;
  const unexpected = rt.faults
    .filter((f) => f.kind !== 'injected')
    .map((f) => `${f.pd}: ${f.kind}: ${f.message}`);
  const failure = virt?.failure?.message ?? null;
  const ok =
    violationCount === 0 &&
    unexpected.length === 0 &&
    r.status === 'quiescent' &&
    failure === null &&
    clients.every((c) => c.done && c.errors === 0);
  return {
    ok,
    system: basename(system),
    image: options.image ?? 'generated (MBR, two partitions)',
    seed: options.seed,
    status: r.status,
    steps: r.steps,
    clients,
    virt: {
      ...(virt?.stats ?? {
        forwarded: 0,
        rejected: 0,
        answered: 0,
        orphanResponses: 0,
        waitingMax: 0,
      }),
      failure,
      restarts: rt.status(wiring.virtPd).restarts,
    },
    driver: {
      ...(live.driver?.stats ?? {
        submitted: 0,
        completed: 0,
        barriers: 0,
        flushes: 0,
        deviceErrors: 0,
        irqs: 0,
      }),
    },
    device: { ...device.stats },
    durability: { checkedBlocks, lost },
    faults: { injected, unexpected },
    monitorChecks,
    invariantViolations: violationCount,
    violations,
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
