// `net-pipeline` and `echo`: NIC + driver + virt_tx + virt_rx + one copier and one client per
// client index (reference §3.1–3.6), checked against §3.15: SPSC discipline and capacity, buffer
// conservation, refcounts, address domains, FIFO per flow, no lost wakeup, eventual delivery.
import { assert } from '../../spec/common/assert.ts';
import { u32 } from '../../spec/common/int.ts';
import type { Invariant, State } from '../../spec/common/transition.ts';
import { PdMemory } from './memory.ts';
import {
  CL_ECHO_COUNT,
  CLIENT_CH_APP,
  DEST_BROADCAST,
  DEST_NONE,
  DL_RX_HEAD,
  DL_RX_TAIL,
  DL_TX_HEAD,
  DL_TX_TAIL,
  DRIVER_CH_IRQ,
  DRIVER_CH_VIRT_RX,
  DRIVER_CH_VIRT_TX,
  EIR_RXF,
  EIR_TXF,
  KIND_ECHO,
  KIND_OWN,
  KIND_RX,
  NET_BUFFER_SIZE,
  NGC_DELIVERED,
  NGC_DROPPED,
  NGC_REQUESTED,
  NGC_SENT,
  NG_RX_INJECTED,
  RXD_EMPTY,
  TXD_READY,
  VR_REFS,
  cg,
  netClient,
  netCopier,
  netDriver,
  netGhostWords,
  netVirtRx,
  netVirtTx,
  payload,
  payloadKind,
  payloadSeq,
  payloadWho,
  type DataRegion,
  type HwRing,
  type NetBug,
  type NetConfig,
  type NetQueuePair,
} from '../../spec/components/net.ts';
import { netEnqueue, type NetQueueFlavour, type NetQueueRef } from '../../spec/queue/net.ts';
import { Layout } from './layout.ts';
import { buildSystem, type BuiltSystem, type PdSpec } from './runtime.ts';
import type { BoundRange, BugVariant, ModelEntry, ModelOptions } from './types.ts';
import {
  allocNetQueue,
  boundOf,
  effectiveBounds,
  liveDescriptors,
  queueInvariants,
  validateBounds,
  writerLength,
} from './common.ts';

const RX_IO_BASE = 0x1000_0000;
const TX_IO_BASE = 0x2000_0000;
const TX_IO_STRIDE = 0x0100_0000;

/** Per-bug bounds: the smallest configuration in which each seeded bug can show. */
export const PIPELINE_BUG_BOUNDS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // Store buffering between copier0 (producer of virt.RxF) and virt_rx, second frame.
  O1: { clients: 1, frames: 2, rxBuffers: 2, clientRxBuffers: 1, hwRing: 2, fences: 0 },
  F3: { clients: 1, frames: 3, rxBuffers: 2, clientRxBuffers: 1 },
  F4: { clients: 1, frames: 0, sends: 2, txBuffers: 2, hwRing: 1 },
  // client1 is slow: frame 1 fills its only buffer, frame 2 must be dropped, frame 3 is client0's.
  F15: { clients: 2, frames: 3, rxBuffers: 1, clientRxBuffers: 1, slowClient: 2, pattern: 0x011 },
  F33: { clients: 1, frames: 2, rxBuffers: 2, clientRxBuffers: 1 },
  U15: { clients: 1, frames: 1, rxBuffers: 2, doubleReturn: 1 },
};

export const netPipelineBugs: readonly BugVariant[] = [
  {
    id: 'O1',
    bounds: PIPELINE_BUG_BOUNDS['O1']!,
    description:
      'net queues at HEAD (release fences only) on the whole Rx path: store-buffering lost wakeup between copier and virt_rx',
    expectedProperty: 'no-lost-wakeup',
    memoryModel: 'tso',
    fixedBounds: { fences: 1 },
  },
  {
    id: 'F3',
    bounds: PIPELINE_BUG_BOUNDS['F3']!,
    description:
      'virt_rx never clears notify_drv after notifying the driver (938d8051): spurious notifications',
    expectedProperty: 'no-spurious-notify',
  },
  {
    id: 'F4',
    bounds: PIPELINE_BUG_BOUNDS['F4']!,
    description:
      'driver IRQ path runs tx_return without tx_provide (PR #253): TxA entries beyond the HW ring stall',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F15',
    bounds: PIPELINE_BUG_BOUNDS['F15']!,
    description:
      'copier stops draining virt.RxA while its client has no free buffer (7d69d7ba): a slow client starves everyone',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F33',
    bounds: PIPELINE_BUG_BOUNDS['F33']!,
    description: "virt_rx sizes the copier queue handle with the client's capacity (97131509)",
    expectedProperty: 'no-assert-failure',
  },
  {
    id: 'U15',
    bounds: PIPELINE_BUG_BOUNDS['U15']!,
    description:
      'virt_rx rx_provide only asserts refcounts: a double return underflows the u8 refcount in release builds',
    expectedProperty: 'refcount',
  },
];

const DEFAULTS = {
  clients: 2,
  rxBuffers: 2,
  clientRxBuffers: 1,
  txBuffers: 1,
  hwRing: 1,
  frames: 2,
  sends: 0,
  echo: 0,
  fences: 0,
  slowClient: 0,
  doubleReturn: 0,
  scheduling: 0,
  pattern: 0,
} as const;

/**
 * Ranges of the bounds. Capacities stay 1..4 (issue #3: "capacities 2–4"; queues are sized to the
 * next power of two), frames/sends ≤ 8 keep one pattern nibble per frame in a u32 and the state
 * space finite in practice.
 */
const RANGES: Readonly<Record<keyof typeof DEFAULTS, BoundRange>> = {
  clients: { min: 1, max: 2, doc: 'clients, each with its own copier' },
  rxBuffers: { min: 1, max: 4, doc: 'Rx DMA buffers' },
  clientRxBuffers: { min: 1, max: 4, doc: "buffers in each client's Rx region" },
  txBuffers: { min: 1, max: 4, doc: "buffers in each client's Tx region" },
  hwRing: { min: 1, max: 4, doc: 'descriptors in each NIC ring' },
  frames: { min: 0, max: 8, doc: 'frames the NIC receives' },
  sends: { min: 0, max: 8, doc: 'packets each client sends' },
  echo: { min: 0, max: 1, doc: '1 = each client echoes what it receives' },
  fences: { min: 0, max: 1, doc: '0 = HEAD (release only), 1 = seq_cst fences' },
  slowClient: { min: 0, max: 2, doc: '0 = none, k = client k-1 stops consuming Rx (≤ clients)' },
  doubleReturn: { min: 0, max: 1, doc: '1 = copier0 returns one buffer twice' },
  scheduling: { min: 0, max: 1, doc: '0 = single-core priority, 1 = any interleaving' },
  pattern: {
    min: 0,
    max: 0xffff_ffff,
    doc: 'destinations, nibble k-1 for frame k: a client index, 0xe broadcast, 0xd no match; 0 = default cycle',
  },
};

/** Constraints between bounds (the ranges alone cannot say them). */
export function pipelineCrossCheck(bounds: Readonly<Record<string, number>>): string | null {
  const clients = bounds['clients'] ?? DEFAULTS.clients;
  const slow = bounds['slowClient'] ?? 0;
  if (slow > clients) return `bound slowClient must be ≤ clients (${clients}); got ${slow}`;
  const pattern = bounds['pattern'] ?? 0;
  if (pattern === 0) return null;
  const frames = bounds['frames'] ?? DEFAULTS.frames;
  for (let k = 1; k <= frames; k++) {
    const nib = Math.floor(pattern / 16 ** (k - 1)) % 16;
    if (nib >= clients && nib !== 0xe && nib !== 0xd)
      return `bound pattern: nibble ${k - 1} (frame ${k}) is ${nib}, not a client index < ${clients}, 0xe or 0xd`;
  }
  return null;
}

function inRegion(d: number, r: DataRegion): boolean {
  return (
    d >= r.ioBase &&
    (d - r.ioBase) % NET_BUFFER_SIZE === 0 &&
    d - r.ioBase < NET_BUFFER_SIZE * r.count
  );
}

/** Offset domain of a region (client-side queues carry offsets, §2.1). */
function inOffsets(d: number, r: DataRegion): boolean {
  return d % NET_BUFFER_SIZE === 0 && d < NET_BUFFER_SIZE * r.count;
}

function ceilPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export const netPipelineEntry: ModelEntry = {
  name: 'net-pipeline',
  description:
    'NIC + driver + virt_tx + virt_rx + copiers + clients (§3.1–3.6), invariants of §3.15',
  defaultBounds: DEFAULTS,
  boundRanges: RANGES,
  crossCheck: pipelineCrossCheck,
  bugs: netPipelineBugs,
  build: (opts) => buildNetPipeline(opts).ts,
};

export const echoEntry: ModelEntry = {
  name: 'echo',
  description:
    'echo round trip: frames from the NIC reach the client, which sends each back out of the NIC',
  defaultBounds: {
    ...DEFAULTS,
    clients: 1,
    frames: 2,
    echo: 1,
    rxBuffers: 2,
    clientRxBuffers: 1,
    txBuffers: 1,
  },
  boundRanges: RANGES,
  crossCheck: pipelineCrossCheck,
  bugs: [],
  build: (opts) =>
    buildNetPipeline({ ...opts, bounds: { ...echoEntry.defaultBounds, ...opts.bounds } }).ts,
};

export function buildNetPipeline(opts: ModelOptions): BuiltSystem {
  const bug = opts.bug as NetBug | undefined;
  const bugBounds = bug !== undefined ? (PIPELINE_BUG_BOUNDS[bug] ?? {}) : {};
  const bounds = effectiveBounds(opts, DEFAULTS, bugBounds);
  validateBounds(netPipelineEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, DEFAULTS, k);
  const clients = b('clients');
  assert(clients >= 1 && clients <= 2, 'net-pipeline: 1 or 2 clients');
  const rxBuffers = b('rxBuffers');
  const frames = b('frames');
  const sends = b('sends');
  const slowClient = b('slowClient') - 1; // bound 0 = none, k = client k-1
  const flavour: NetQueueFlavour = {
    fences: b('fences') === 1 ? 'seq_cst' : 'smp-release',
    fullCheck: 'corrected',
  };
  const layout = new Layout();
  const pair = (name: string, cap: number): NetQueuePair => ({
    free: allocNetQueue(layout, `${name}.free`, cap),
    active: allocNetQueue(layout, `${name}.active`, cap),
  });
  const drvRx = pair('drv_rx', ceilPow2(rxBuffers));
  const drvTx = pair('drv_tx', ceilPow2(clients * b('txBuffers')));
  const virtRx: NetQueuePair[] = [];
  const cliRx: NetQueuePair[] = [];
  const cliTx: NetQueuePair[] = [];
  for (let c = 0; c < clients; c++) {
    virtRx.push(pair(`virt_rx.copier${c}`, ceilPow2(rxBuffers)));
    cliRx.push(pair(`copier${c}.client${c}`, ceilPow2(b('clientRxBuffers'))));
    cliTx.push(pair(`client${c}.virt_tx`, ceilPow2(b('txBuffers'))));
  }
  const region = (name: string, count: number, ioBase: number): DataRegion => ({
    data: layout.alloc(name, count),
    count,
    ioBase,
  });
  const rxDma = region('rx_dma.data', rxBuffers, RX_IO_BASE);
  const cliRxData = cliRx.map((_, c) => region(`client${c}.rx.data`, b('clientRxBuffers'), 0));
  const cliTxData = cliTx.map((_, c) =>
    region(`client${c}.tx.data`, b('txBuffers'), TX_IO_BASE + c * TX_IO_STRIDE),
  );
  const ring = (name: string): HwRing => ({
    addr: layout.alloc(`${name}.addr`, b('hwRing')),
    stat: layout.alloc(`${name}.stat`, b('hwRing')),
    capacity: b('hwRing'),
  });
  const hwRx = ring('hw_rx');
  const hwTx = ring('hw_tx');
  const eir = layout.alloc('nic.eir');
  const nicRx = layout.alloc('nic.rx_next');
  const nicTx = layout.alloc('nic.tx_next');
  // NIC-side monitors: per client last own seq transmitted, last echo seq, echo count.
  const txLastOwn = layout.alloc('nic.tx_last_own', clients);
  const txLastEcho = layout.alloc('nic.tx_last_echo', clients);
  const txEchoCount = layout.alloc('nic.tx_echo_count', clients);
  const ghostWords = netGhostWords(clients);
  const ghostBase = layout.alloc('ghost', ghostWords);
  const cfg: NetConfig = {
    clients,
    flavour,
    drvRx,
    drvTx,
    virtRx,
    cliRx,
    cliTx,
    rxDma,
    cliRxData,
    cliTxData,
    hwRx,
    hwTx,
    eir,
    echo: b('echo') === 1,
    sends,
    slowClient,
    doubleReturn: b('doubleReturn') === 1,
    ...(bug !== undefined && (['F3', 'F4', 'F15', 'F33', 'U15'] as const).includes(bug)
      ? { bug }
      : {}),
  };
  // Frame k's destination: nibble k-1 of the `pattern` bound (0..1 client, 0xe broadcast,
  // 0xd no match), or by default clients in order, then broadcast, then no match, cycling.
  const patternBound = b('pattern');
  const destOf = (k: number): number => {
    if (patternBound > 0) {
      const nib = Math.floor(patternBound / 16 ** (k - 1)) % 16;
      return nib === 0xe ? DEST_BROADCAST : nib === 0xd ? DEST_NONE : nib;
    }
    const pattern = [...Array.from({ length: clients }, (_, c) => c), DEST_BROADCAST, DEST_NONE];
    return pattern[(k - 1) % pattern.length]!;
  };
  const expectedRx = Array.from({ length: clients }, (_, c) => {
    let n = 0;
    for (let k = 1; k <= frames; k++) if (destOf(k) === c || destOf(k) === DEST_BROADCAST) n++;
    return n;
  });
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;

  // Priorities increase towards the device (§1.6 design rule).
  const pds: PdSpec[] = [
    {
      name: 'driver',
      program: netDriver(cfg),
      priority: 4,
      channels: {
        [DRIVER_CH_VIRT_RX]: { pd: 'virt_rx', ch: 0 },
        [DRIVER_CH_VIRT_TX]: { pd: 'virt_tx', ch: 0 },
      },
      irqs: { [DRIVER_CH_IRQ]: (s) => ((s[eir] ?? 0) & (EIR_RXF | EIR_TXF)) !== 0 },
      // init(): rx_provide(); tx_provide() — and virt_rx's init deferred-notifies the driver.
      initialNotif: 1 << DRIVER_CH_VIRT_RX,
    },
    {
      name: 'virt_tx',
      program: netVirtTx(cfg),
      priority: 3,
      channels: Object.fromEntries([
        [0, { pd: 'driver', ch: DRIVER_CH_VIRT_TX }],
        ...cliTx.map((_, c) => [1 + c, { pd: `client${c}`, ch: 1 }]),
      ]),
    },
    {
      name: 'virt_rx',
      program: netVirtRx(cfg),
      priority: 2,
      channels: Object.fromEntries([
        [0, { pd: 'driver', ch: DRIVER_CH_VIRT_RX }],
        ...cliRx.map((_, c) => [1 + c, { pd: `copier${c}`, ch: 0 }]),
      ]),
    },
  ];
  for (let c = 0; c < clients; c++) {
    pds.push({
      name: `copier${c}`,
      program: netCopier(cfg, c),
      priority: 2,
      channels: { 0: { pd: 'virt_rx', ch: 1 + c }, 1: { pd: `client${c}`, ch: 0 } },
    });
    pds.push({
      name: `client${c}`,
      program: netClient(cfg, c),
      priority: 1,
      channels: { 0: { pd: `copier${c}`, ch: 1 }, 1: { pd: 'virt_tx', ch: 1 + c } },
    });
  }

  const queues: NetQueueRef[] = [drvRx, drvTx, ...virtRx, ...cliRx, ...cliTx].flatMap((p) => [
    p.free,
    p.active,
  ]);
  let built: BuiltSystem | null = null;
  const driverLocal = (s: State, i: number) => s[built!.pdWords('driver').locals + i] ?? 0;
  const refsOf = (s: State, i: number) => s[built!.pdWords('virt_rx').locals + VR_REFS + i] ?? 0;
  const hwRxCount = (s: State) => u32(driverLocal(s, DL_RX_TAIL) - driverLocal(s, DL_RX_HEAD));
  const hwTxCount = (s: State) => u32(driverLocal(s, DL_TX_TAIL) - driverLocal(s, DL_TX_HEAD));

  const nic = {
    name: 'nic',
    actions: [
      {
        name: 'rx_frame',
        touches: 'hw_rx',
        run: (s: State, io: { raiseIrqs(): void; fail(p: string, m: string): void }) => {
          const k = g(s, NG_RX_INJECTED) + 1;
          if (k > frames) return false;
          const idx = (s[nicRx] ?? 0) % hwRx.capacity;
          if (((s[hwRx.stat + idx] ?? 0) & RXD_EMPTY) === 0) return false; // Rx DMA stalled: frame waits
          const addr = s[hwRx.addr + idx] ?? 0;
          const off = addr - RX_IO_BASE;
          if (
            addr < RX_IO_BASE ||
            off % NET_BUFFER_SIZE !== 0 ||
            off >= NET_BUFFER_SIZE * rxBuffers
          ) {
            io.fail('address-domain', `NIC: Rx descriptor holds ${addr}, not an Rx DMA IO address`);
            return true;
          }
          s[rxDma.data + off / NET_BUFFER_SIZE] = payload(KIND_RX, destOf(k), k);
          s[hwRx.stat + idx] = 0; // E cleared: the driver owns the slot again
          s[nicRx] = u32((s[nicRx] ?? 0) + 1);
          s[ghostBase + NG_RX_INJECTED] = k;
          s[eir] = u32((s[eir] ?? 0) | EIR_RXF);
          io.raiseIrqs();
          return true;
        },
      },
      {
        name: 'tx_frame',
        touches: 'hw_tx',
        run: (s: State, io: { raiseIrqs(): void; fail(p: string, m: string): void }) => {
          const idx = (s[nicTx] ?? 0) % hwTx.capacity;
          if (((s[hwTx.stat + idx] ?? 0) & TXD_READY) === 0) return false;
          const addr = s[hwTx.addr + idx] ?? 0;
          const c = cliTxData.findIndex(
            (r) =>
              addr >= r.ioBase &&
              addr - r.ioBase < NET_BUFFER_SIZE * r.count &&
              (addr - r.ioBase) % NET_BUFFER_SIZE === 0,
          );
          if (c < 0) {
            io.fail(
              'address-domain',
              `NIC: Tx descriptor holds ${addr}, not a client Tx IO address`,
            );
            return true;
          }
          const p = s[cliTxData[c]!.data + (addr - cliTxData[c]!.ioBase) / NET_BUFFER_SIZE] ?? 0;
          const seq = payloadSeq(p);
          if (payloadWho(p) !== c)
            io.fail('fifo', `NIC: client${c}'s buffer carries client ${payloadWho(p)}'s packet`);
          else if (payloadKind(p) === KIND_OWN) {
            if (seq !== (s[txLastOwn + c] ?? 0) + 1)
              io.fail('fifo', `NIC: client${c} packet ${seq} after ${s[txLastOwn + c]}`);
            s[txLastOwn + c] = seq;
          } else if (payloadKind(p) === KIND_ECHO) {
            if (seq <= (s[txLastEcho + c] ?? 0))
              io.fail('fifo', `NIC: client${c} echo of ${seq} after ${s[txLastEcho + c]}`);
            s[txLastEcho + c] = seq;
            s[txEchoCount + c] = (s[txEchoCount + c] ?? 0) + 1;
          } else io.fail('fifo', `NIC: client${c} transmitted payload kind ${payloadKind(p)}`);
          s[hwTx.stat + idx] = 0;
          s[nicTx] = u32((s[nicTx] ?? 0) + 1);
          s[eir] = u32((s[eir] ?? 0) | EIR_TXF);
          io.raiseIrqs();
          return true;
        },
      },
    ],
  };
  const apps = Array.from({ length: clients }, (_, c) => ({
    name: `app${c}`,
    actions: [
      {
        name: 'send_request',
        touches: `client${c}`,
        run: (s: State, io: { signal(pd: string, ch: number): void }) => {
          if (g(s, cg(c, NGC_REQUESTED)) >= sends) return false;
          s[ghostBase + cg(c, NGC_REQUESTED)] = g(s, cg(c, NGC_REQUESTED)) + 1;
          io.signal(`client${c}`, CLIENT_CH_APP);
          return true;
        },
      },
    ],
  }));

  const goalMissing = (s: State): string | null => {
    if (g(s, NG_RX_INJECTED) < frames)
      return `${frames - g(s, NG_RX_INJECTED)} frame(s) never received by the NIC`;
    for (let c = 0; c < clients; c++) {
      if ((s[txLastOwn + c] ?? 0) < sends)
        return `client${c}: ${sends - (s[txLastOwn + c] ?? 0)} packet(s) never transmitted`;
      if (c === slowClient) continue;
      const got = g(s, cg(c, NGC_DELIVERED)) + g(s, cg(c, NGC_DROPPED));
      if (got < expectedRx[c]!)
        return `client${c}: ${expectedRx[c]! - got} frame(s) neither delivered nor dropped`;
      if (cfg.echo && (s[txEchoCount + c] ?? 0) < g(s, cg(c, NGC_DELIVERED))) {
        return `client${c}: ${g(s, cg(c, NGC_DELIVERED)) - (s[txEchoCount + c] ?? 0)} echo(es) never transmitted`;
      }
    }
    return null;
  };

  const stranded = (s: State): string | null => {
    const len = (q: NetQueueRef) => writerLength(s, q);
    const lost = (what: string) => `lost wakeup: ${what}`;
    if (len(drvRx.active) > 0) return lost('drv_rx.active holds frames, virt_rx blocked');
    if (len(drvRx.free) > 0 && hwRxCount(s) < hwRx.capacity)
      return lost('drv_rx.free holds buffers, HW Rx ring not full, driver blocked');
    if (len(drvTx.active) > 0 && hwTxCount(s) < hwTx.capacity)
      return lost('drv_tx.active holds packets, HW Tx ring not full, driver blocked');
    if (len(drvTx.free) > 0) return lost('drv_tx.free holds buffers, virt_tx blocked');
    for (let c = 0; c < clients; c++) {
      const copierCan = bug !== 'F15' || len(cliRx[c]!.free) > 0;
      if (len(virtRx[c]!.active) > 0 && copierCan)
        return lost(`${virtRx[c]!.active.name} holds frames, copier${c} blocked`);
      if (len(virtRx[c]!.free) > 0)
        return lost(`${virtRx[c]!.free.name} holds buffers, virt_rx blocked`);
      if (len(cliTx[c]!.active) > 0)
        return lost(`${cliTx[c]!.active.name} holds packets, virt_tx blocked`);
      const echoPending = s[built!.pdWords(`client${c}`).locals + CL_ECHO_COUNT] ?? 0;
      const txPending = g(s, cg(c, NGC_REQUESTED)) > g(s, cg(c, NGC_SENT)) || echoPending > 0;
      if (txPending && len(cliTx[c]!.free) > 0)
        return lost(
          `${cliTx[c]!.free.name} holds buffers, client${c} blocked with packets to send`,
        );
      if (c !== slowClient && len(cliRx[c]!.active) > 0)
        return lost(`${cliRx[c]!.active.name} holds frames, client${c} blocked`);
    }
    const missing = goalMissing(s);
    if (missing === null) return null;
    return bug === 'F15' || slowClient >= 0 ? `starvation: ${missing}` : `stall: ${missing}`;
  };

  const txIo = (d: number): boolean => {
    for (const r of cliTxData) if (inRegion(d, r)) return true;
    return false;
  };
  const domainInvariant: Invariant = {
    name: 'address-domain',
    check: (s0) => {
      const s = built!.drained(s0);
      const inRegion = (d: number, r: DataRegion) =>
        d >= r.ioBase &&
        (d - r.ioBase) % NET_BUFFER_SIZE === 0 &&
        d - r.ioBase < NET_BUFFER_SIZE * r.count;
      for (const q of [drvRx.free, drvRx.active])
        for (const d of liveDescriptors(s, q))
          if (!inRegion(d, rxDma)) return `${q.name}: ${d} is not an Rx DMA IO address`;
      for (const q of [drvTx.free, drvTx.active])
        for (const d of liveDescriptors(s, q))
          if (!txIo(d)) return `${q.name}: ${d} is not a client Tx IO address`;
      for (let c = 0; c < clients; c++) {
        for (const q of [virtRx[c]!.free, virtRx[c]!.active])
          for (const d of liveDescriptors(s, q))
            if (!inOffsets(d, rxDma)) return `${q.name}: ${d} is not an Rx DMA offset`;
        for (const q of [cliRx[c]!.free, cliRx[c]!.active])
          for (const d of liveDescriptors(s, q))
            if (!inOffsets(d, cliRxData[c]!))
              return `${q.name}: ${d} is not a client${c} Rx offset`;
        for (const q of [cliTx[c]!.free, cliTx[c]!.active])
          for (const d of liveDescriptors(s, q))
            if (!inOffsets(d, cliTxData[c]!))
              return `${q.name}: ${d} is not a client${c} Tx offset`;
      }
      return null;
    },
  };

  /** Rx DMA buffer indices on the driver side: drv.RxF, HW Rx ring (device or completed), drv.RxA. */
  const driverSideRx = (s: State): number[] => {
    const out: number[] = [];
    for (const q of [drvRx.free, drvRx.active])
      for (const d of liveDescriptors(s, q)) out.push((d - RX_IO_BASE) / NET_BUFFER_SIZE);
    const head = driverLocal(s, DL_RX_HEAD);
    for (let i = 0; i < hwRxCount(s) && i < hwRx.capacity; i++) {
      out.push(((s[hwRx.addr + ((head + i) % hwRx.capacity)] ?? 0) - RX_IO_BASE) / NET_BUFFER_SIZE);
    }
    return out;
  };

  const conservation: Invariant = {
    name: 'buffer-conservation',
    check: (s0) => {
      if (cfg.doubleReturn) return null; // the misbehaving peer duplicates on purpose (U15 scenario)
      const s = built!.drained(s0);
      const drv = driverSideRx(s);
      if (new Set(drv).size !== drv.length)
        return `an Rx DMA buffer is twice on the driver side: ${drv.join(',')}`;
      for (let c = 0; c < clients; c++) {
        const side = [
          ...liveDescriptors(s, virtRx[c]!.free),
          ...liveDescriptors(s, virtRx[c]!.active),
        ].map((d) => d / NET_BUFFER_SIZE);
        if (new Set(side).size !== side.length)
          return `copier${c} side holds an Rx DMA buffer twice: ${side.join(',')}`;
        for (const bIdx of side)
          if (drv.includes(bIdx))
            return `Rx DMA buffer ${bIdx} is on the driver side and with copier${c}`;
        const cr = [...liveDescriptors(s, cliRx[c]!.free), ...liveDescriptors(s, cliRx[c]!.active)];
        if (new Set(cr).size !== cr.length)
          return `client${c} Rx buffer twice in its queues: ${cr.join(',')}`;
      }
      const tx: number[] = [];
      for (const q of [drvTx.free, drvTx.active]) tx.push(...liveDescriptors(s, q));
      const head = driverLocal(s, DL_TX_HEAD);
      for (let i = 0; i < hwTxCount(s) && i < hwTx.capacity; i++)
        tx.push(s[hwTx.addr + ((head + i) % hwTx.capacity)] ?? 0);
      for (let c = 0; c < clients; c++) {
        for (const q of [cliTx[c]!.free, cliTx[c]!.active])
          tx.push(...liveDescriptors(s, q).map((o) => o + cliTxData[c]!.ioBase));
      }
      if (new Set(tx).size !== tx.length) return `a Tx buffer is in two places: ${tx.join(',')}`;
      return null;
    },
  };

  const refcount: Invariant = {
    name: 'refcount',
    check: (s0) => {
      const s = built!.drained(s0);
      for (let i = 0; i < rxBuffers; i++) {
        const refs = refsOf(s, i);
        if (refs > clients)
          return `buffer_refs[${i}] = ${refs} exceeds the number of clients (${clients})`;
        if (cfg.doubleReturn) continue;
        let places = 0;
        for (let c = 0; c < clients; c++) {
          for (const q of [virtRx[c]!.free, virtRx[c]!.active])
            places += liveDescriptors(s, q).filter((d) => d / NET_BUFFER_SIZE === i).length;
        }
        if (refs !== places)
          return `buffer_refs[${i}] = ${refs} but ${places} client-side place(s) hold it`;
      }
      return null;
    },
  };

  const init = (s: State): void => {
    const mem = new PdMemory(s, 'sc', null);
    const fill = (q: NetQueueRef, descs: number[]) => {
      for (const d of descs)
        assert(netEnqueue(mem, q, flavour, d), `init: ${q.name} holds every buffer`);
    };
    // net_buffers_init by virt_rx (drv.RxF), each copier (client RxF) and each client (TxF).
    fill(
      drvRx.free,
      Array.from({ length: rxBuffers }, (_, i) => RX_IO_BASE + NET_BUFFER_SIZE * i),
    );
    for (let c = 0; c < clients; c++) {
      fill(
        cliRx[c]!.free,
        Array.from({ length: cliRxData[c]!.count }, (_, i) => NET_BUFFER_SIZE * i),
      );
      fill(
        cliTx[c]!.free,
        Array.from({ length: cliTxData[c]!.count }, (_, i) => NET_BUFFER_SIZE * i),
      );
    }
  };

  built = buildSystem({
    ...(opts.splitLocalSteps === true ? { splitLocalSteps: true } : {}),
    name: 'net-pipeline',
    layout,
    pds,
    devices: [nic, ...apps],
    memoryModel: opts.memoryModel,
    scheduling: b('scheduling') === 1 ? 'any' : 'priority',
    ghostBase,
    ghostWords,
    init,
    invariants: [
      ...queueInvariants(queues, { ghost: false }),
      domainInvariant,
      conservation,
      refcount,
    ],
    stranded,
    goal: (s) => goalMissing(s) === null,
  });
  return built;
}
