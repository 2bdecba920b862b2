// `blk-virt`: a block client, the virt and the driver with a device that completes out of order
// (reference §2.3, §3.9): requests with a BARRIER, partition init before any request, the virt's
// translation and isolation check, the GPT header comparison. Properties: the client's answers
// obey the request semantics (spec/components/blk/requests.ts: each answered once, nothing across
// a barrier), every forwarded request stays in the client's partition and data region
// (`address-domain`), the virt is ready only with consistent GPT headers (`gpt-consistent`), no
// response that does not fit (`no-assert-failure`), and no stall. The programs are
// spec/components/blk/programs.ts; this file only composes them with bounds and monitors.
import type { State } from '../../spec/common/transition.ts';
import { BlkReqCode, blkBoundsProblem, type BlkQueueRef } from '../../spec/queue/blk.ts';
import {
  BG_READY,
  BG_STATE,
  DRIVER_CH_IRQ,
  DRIVER_CH_VIRT,
  VIRT_CH_CLIENT,
  VIRT_CH_DRIVER,
  blkModelClient,
  blkModelDriver,
  blkModelMayComplete,
  blkModelVirt,
  type BlkModelConfig,
  type BlkScriptEntry,
} from '../../spec/components/blk/programs.ts';
import { Layout } from './layout.ts';
import { buildSystem, type BuiltSystem } from './runtime.ts';
import type { BugVariant, ModelEntry, ModelOptions } from './types.ts';
import { boundOf, effectiveBounds, validateBounds } from './common.ts';

export const blkVirtBugs: readonly BugVariant[] = [
  {
    id: 'F16',
    bounds: { spurious: 1 },
    description:
      'blk virt before 04374d58: a notification during partition init runs handle_driver anyway; the MBR answer is taken as a client answer (reqsbk zeros: client 0, id 0)',
    expectedProperty: 'request-semantics',
    upstream: [
      {
        commit: '04374d58',
        file: 'blk/components/virt.c',
        before: '240-254 (notified: handle_driver/handle_clients whether or not initialised)',
        after: '240-257 (`if (initialised)` around them)',
      },
    ],
    modelled:
      'a driver that notifies the virt before the MBR answer is enqueued (a device action), the answer arriving between virt_partition_init and handle_driver',
    notModelled: 'the imx mmc half of F16 (0d992e5e, a virt notification taken for an IRQ)',
  },
  {
    id: 'U6',
    bounds: { hostile: 1 },
    description:
      'blk virt bounds in u64: `cli_offset + 4096*count` wraps for an offset of 2^64 - 4096, and the driver gets an I/O address before the client data region',
    expectedProperty: 'address-domain',
    upstream: [
      {
        commit: '650ace5d',
        file: 'blk/components/virt.c',
        before: '161 (`(cli_offset + BLK_TRANSFER_SIZE * cli_count) > cli_data_region_size`)',
        after: 'unfixed upstream; spec/components/blk/virt.ts checks in exact integers',
      },
    ],
    modelled:
      'a client whose first WRITE has offset 2^64 - 4096; the translation of virt.ts with u64 wrap',
    notModelled:
      'the block_number + count wrap (same function, tested in test/spec/components/blk)',
  },
  {
    id: 'U9',
    bounds: { badMirror: 1 },
    description:
      'blk virt GPT validation compares lba_start, num_entries, entry_size, crc32_entry_array with `assert(a = b)`: a disk whose mirror header disagrees is accepted',
    expectedProperty: 'gpt-consistent',
    upstream: [
      {
        commit: '650ace5d',
        file: 'blk/components/partitioning.c',
        before:
          '231-234 (`assert(gpt_meta.header->lba_start = gpt_meta.mirror_header->lba_start)` …)',
        after: 'unfixed upstream; spec/components/blk/partition.ts gptCompareHeaders compares',
      },
    ],
    modelled:
      'a disk whose mirror header has another num_entries; gptCompareHeaders with and without u9',
    notModelled: 'CRC computation and the overwrite of the primary header fields (no later reader)',
  },
  {
    id: 'blk-barrier',
    description:
      'virtio-blk driver: BARRIER (and FLUSH) answered OK at once, while the device may still complete earlier requests later',
    expectedProperty: 'request-semantics',
    upstream: [
      {
        commit: '650ace5d',
        file: 'drivers/blk/virtio/block.c',
        before: '233-244 (case BLK_REQ_FLUSH / BLK_REQ_BARRIER: blk_enqueue_resp(OK) at once)',
        after: 'unfixed upstream; impl/drivers/blk/virtio.ts waits for every earlier request',
      },
    ],
    modelled: 'the barrier completable whatever the device holds before it',
    notModelled: 'FLUSH (same path upstream)',
  },
];

export const blkVirtEntry: ModelEntry = {
  name: 'blk-virt',
  description:
    'block client → virt → driver: partition init, translation, barriers, out-of-order device',
  defaultBounds: { capacity: 2, spurious: 0, hostile: 0, badMirror: 0 },
  boundRanges: {
    capacity: {
      min: 2,
      max: 4,
      doc: 'capacity of every queue and the driver ids (≥ 2: the MBR read and one request)',
    },
    spurious: {
      min: 0,
      max: 1,
      doc: '1 = the driver notifies the virt once before answering (F16)',
    },
    hostile: { min: 0, max: 1, doc: "1 = the client's first WRITE has offset 2^64 - 4096 (U6)" },
    badMirror: { min: 0, max: 1, doc: '1 = the mirror GPT header disagrees with the primary (U9)' },
  },
  memoryModels: ['sc'],
  bugs: blkVirtBugs,
  build: (opts) => buildBlkVirt(opts).ts,
};

/** The built system with its layout and configuration (`sddf replay --on impl` reads a trace by
 * the layout and concretizes it by the configuration: traces/refinement/blk/replay-impl.ts). */
export interface BlkVirtInstance {
  readonly built: BuiltSystem;
  readonly layout: Layout;
  readonly cfg: BlkModelConfig;
}

export function buildBlkVirt(opts: ModelOptions): BuiltSystem {
  return buildBlkVirtInstance(opts).built;
}

export function buildBlkVirtInstance(opts: ModelOptions): BlkVirtInstance {
  const extra = blkVirtBugs.find((v) => v.id === opts.bug)?.bounds ?? {};
  const bounds = effectiveBounds(opts.bounds, blkVirtEntry.defaultBounds, extra);
  validateBounds(blkVirtEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, blkVirtEntry.defaultBounds, k);
  const capacity = b('capacity');
  const layout = new Layout();
  const queue = (name: string): BlkQueueRef => ({
    name,
    head: layout.alloc(`${name}.head`),
    tail: layout.alloc(`${name}.tail`),
    slots: layout.alloc(`${name}.buffers`, capacity),
    capacity,
  });
  const script: BlkScriptEntry[] = [
    {
      code: BlkReqCode.WRITE,
      block: 0n,
      offset: b('hostile') === 1 ? (1n << 64n) - 4096n : 0n,
      count: 1,
    },
    { code: BlkReqCode.BARRIER, block: 0n, offset: 0n, count: 0 },
    { code: BlkReqCode.READ, block: 0n, offset: 4096n, count: 1 },
  ];
  const cReq = queue('client.req');
  const cResp = queue('client.resp');
  const dReq = queue('driver.req');
  const dResp = queue('driver.resp');
  const held = layout.alloc('device.held', capacity);
  const done = layout.alloc('device.done', capacity);
  const badMirror = layout.alloc('disk.mirror_differs');
  const ghostWords = 2 + script.length;
  const ghost = layout.alloc('ghost', ghostWords);
  const G_SPURIOUS = 1 + script.length;
  const cfg: BlkModelConfig = {
    cReq,
    cResp,
    dReq,
    dResp,
    script,
    client: {
      partition: { startSector: 16n, sectors: 32n },
      dataSizeBytes: 4n * 4096n,
      dataIoAddr: 0x10000n,
      dataVaddr: 0x20000n,
    },
    driverIds: capacity,
    held,
    done,
    badMirror,
    ghost,
    ...(opts.bug === undefined ? {} : { bug: opts.bug }),
  };
  const g = (s: State, i: number) => s[ghost + i] ?? 0;
  const heldOf = (s: State) => Array.from({ length: capacity }, (_, k) => s[held + k] ?? 0);
  const completions = Array.from({ length: capacity }, (_, k) => ({
    name: `complete_${k}`,
    touches: 'driver',
    run: (s: State, io: { signal(pd: string, ch: number): void }) => {
      if ((s[done + k] ?? 0) === 1 || !blkModelMayComplete(heldOf(s), k, opts.bug)) return false;
      s[done + k] = 1;
      io.signal('driver', DRIVER_CH_IRQ);
      return true;
    },
  }));
  const built = buildSystem({
    ...(opts.splitLocalSteps === true ? { splitLocalSteps: true } : {}),
    name: 'blk-virt',
    layout,
    memoryModel: opts.memoryModel,
    scheduling: 'any',
    pds: [
      {
        name: 'client',
        program: blkModelClient(cfg),
        priority: 1,
        channels: { 0: { pd: 'virt', ch: VIRT_CH_CLIENT } },
      },
      {
        name: 'virt',
        program: blkModelVirt(cfg),
        priority: 2,
        channels: {
          [VIRT_CH_CLIENT]: { pd: 'client', ch: 0 },
          [VIRT_CH_DRIVER]: { pd: 'driver', ch: DRIVER_CH_VIRT },
        },
      },
      {
        name: 'driver',
        program: blkModelDriver(cfg),
        priority: 3,
        channels: { [DRIVER_CH_VIRT]: { pd: 'virt', ch: VIRT_CH_DRIVER } },
      },
    ],
    devices: [
      {
        name: 'disk',
        actions: [
          ...completions,
          {
            name: 'spurious_notify',
            touches: 'virt',
            run: (s, io) => {
              if (g(s, G_SPURIOUS) >= b('spurious')) return false;
              s[ghost + G_SPURIOUS] = g(s, G_SPURIOUS) + 1;
              io.signal('virt', VIRT_CH_DRIVER);
              return true;
            },
          },
        ],
      },
    ],
    ghostBase: ghost,
    ghostWords,
    init: (s) => {
      s[badMirror] = b('badMirror');
    },
    invariants: [
      {
        name: 'queue-capacity',
        check: (s) =>
          [cReq, cResp, dReq, dResp]
            .map((q) => blkBoundsProblem((a) => s[a] ?? 0, q))
            .find((p) => p !== null) ?? null,
      },
      {
        name: 'gpt-consistent',
        check: (s) =>
          g(s, BG_READY) === 1 && (s[badMirror] ?? 0) === 1
            ? 'the virt published its partitions from a GPT whose mirror header disagrees with the primary'
            : null,
      },
    ],
    stranded: (s) => {
      if (g(s, BG_READY) === 0) return 'stall: partition init never finished';
      if (g(s, BG_READY) === 2) return null; // refused table: the client has no device
      for (let i = 0; i < script.length; i++) {
        if (g(s, BG_STATE + i) !== 2) return `stall: request ${i + 1} never answered`;
      }
      return null;
    },
    goal: (s) =>
      g(s, BG_READY) === 2 ||
      (g(s, BG_READY) === 1 && script.every((_, i) => g(s, BG_STATE + i) === 2)),
  });
  return { built, layout, cfg };
}
