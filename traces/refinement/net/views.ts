// Abstraction functions of the implemented network components (impl/components/net) onto the
// spec's components (spec/components/net), one view per PD: which of its queues and data regions
// are spec state (read through its own mappings at the C offsets, memory.ts), which private state
// the spec's locals stand for, how the spec's channel numbers map to its channel ids, and which
// sequences of spec steps may explain each of its handlers (docs/adr/020-net-refinement.md).
//
// Where the implementation differs from the spec on purpose, the view says so here:
//  - `init`: upstream's init as the spec (or, before the spec models boot, the spec's own queue
//    operations: net_buffers_init) followed by what the implementation adds on purpose
//    (ADR 016 §6): the copier catches up (rx_return) in init; a restarted PD re-attaches instead of
//    initialising (virt_tx: tx_provide; copier: rx_return; virt_rx: rx_return, rx_provide and the
//    driver notification re-raised, which the F3 monitor's ghost records as deliberate).
//  - virt_tx's transmit policy: the spec's tx_provide is upstream's priority order; round-robin and
//    bandwidth have no spec here, so their handlers are reported as not checked, with the reason.
//  - The hardening of ADR 016 §4 (len, oid, duplicate and budget checks, refusals notified,
//    refcount rejections, bounded passes): the spec does not model descriptor `len`/`oid` or a
//    lying peer. A handler in which the implementation took such a decision (one of its refusal
//    counters moved) and which no spec run explains is a `deviation`, counted apart from
//    violations; honest runs have none.
import { InvariantError } from '../../../spec/common/assert.ts';
import type { DeviceMem } from '../../../spec/common/memory.ts';
import { netCopier } from '../../../spec/components/net/copier.ts';
import {
  NG_DRV_RXF_NEW,
  netGhostWords,
  type DataRegion,
  type NetBug,
  type NetConfig,
  type NetQueuePair,
} from '../../../spec/components/net/config.ts';
import { VR_NOTIFY_DRV, VR_REFS, netVirtRx } from '../../../spec/components/net/virt-rx.ts';
import { netVirtTx } from '../../../spec/components/net/virt-tx.ts';
import {
  PC_DONE,
  type ComponentProgram,
  type PdContext,
} from '../../../spec/components/program.ts';
import type { EnetNic } from '../../../spec/devices/enet.ts';
import {
  NET_BUFFER_SIZE_BYTES,
  NET_FLAVOUR_HEAD,
  netBuffersInit,
  netQueueSizeBytes,
  type NetQueueRef,
} from '../../../spec/queue/net.ts';
import type {
  NetConnection,
  NetCopyConfig,
  NetVirtRxConfig,
  NetVirtTxConfig,
} from '../../../impl/components/net/config.ts';
import { COPIER_COUNTERS, type CopierOptions } from '../../../impl/components/net/copier.ts';
import { Counters } from '../../../impl/components/net/counters.ts';
import {
  VIRT_RX_COUNTERS,
  type VirtRxOptions,
  type VirtRxState,
} from '../../../impl/components/net/virt_rx.ts';
import { VIRT_TX_COUNTERS, type VirtTxOptions } from '../../../impl/components/net/virt_tx.ts';
import type { MicrokitApi } from '../../../impl/runtime/api.ts';
import { framePayload, type ClientMacs } from './frames.ts';
import {
  DATA_SPACE,
  DataWords,
  QueueWords,
  SPACE_WORDS,
  UNMAPPED_SPACE,
  ViewMemory,
  type LengthSource,
} from './memory.ts';

/** What ran: `init` (at boot or after the n-th restart) or `notified(ch)` (the impl channel id). */
export type Handler =
  | { readonly kind: 'init'; readonly restarts: number }
  | { readonly kind: 'notified'; readonly ch: number };

/** The spec's context for one candidate run (the harness's PdContext). */
export interface SpecContext extends PdContext {
  readonly locals: number[];
  readonly ghosts: number[];
}

/** A piece of a candidate: the spec program from `pc` to PC_DONE, or a stated harness step. */
export type Segment =
  { readonly pc: number } | { readonly name: string; readonly run: (ctx: SpecContext) => void };

export interface Candidate {
  /** Which documented sequence this is (shown in a violation). */
  readonly name: string;
  readonly segments: readonly Segment[];
}

export type ComponentKind = 'virt_tx' | 'virt_rx' | 'copier';

export interface ComponentView {
  readonly pd: string;
  readonly kind: ComponentKind;
  readonly program: ComponentProgram;
  readonly mem: ViewMemory;
  readonly queues: readonly QueueWords[];
  readonly data: readonly DataWords[];
  readonly ghostWords: number;
  /** The spec locals that stand for the private state now (between handlers). */
  locals(): number[];
  localName(i: number): string;
  /** The impl channel id of the spec's channel `ch`. */
  implChannel(ch: number): number;
  /** The candidates that may explain handler `h`, or why `h` is not checked. */
  candidates(h: Handler): readonly Candidate[] | string;
  /** Sum of the refusal counters: a change marks a hardening decision the spec does not make. */
  hardening(): number;
}

export interface ViewInput {
  readonly pd: string;
  readonly api: MicrokitApi;
  readonly params: Readonly<Record<string, unknown>>;
  /** The component's private state object (its probe), when it exposes one. */
  readonly state: () => unknown;
}

// ------------------------------------------------------------------ spec configuration

const unusedAddr = UNMAPPED_SPACE * SPACE_WORDS;
const UNUSED_QUEUE: NetQueueRef = {
  name: '(not in this view)',
  tail: unusedAddr,
  head: unusedAddr,
  consumerSignalled: unusedAddr,
  slots: unusedAddr,
  capacity: 1,
};
const UNUSED_PAIR: NetQueuePair = { free: UNUSED_QUEUE, active: UNUSED_QUEUE };
const UNUSED_REGION: DataRegion = { data: unusedAddr, count: 0, ioBase: 0 };
const UNUSED_NIC: EnetNic = {
  rx: { addr: unusedAddr, stat: unusedAddr, capacity: 1 },
  tx: { addr: unusedAddr, stat: unusedAddr, capacity: 1 },
  eir: unusedAddr,
  eimr: unusedAddr,
  ecr: unusedAddr,
  rdar: unusedAddr,
  tdar: unusedAddr,
  rxNext: unusedAddr,
  txNext: unusedAddr,
  txCoalesced: unusedAddr,
  txCoalesceFrames: 0,
};

/** The spec NetConfig of a view: its own queues and regions, every other part unmapped. */
function specConfig(parts: Partial<NetConfig> & { clients: number; bug?: NetBug }): NetConfig {
  const none = Array.from({ length: parts.clients }, () => UNUSED_PAIR);
  const noRegions = Array.from({ length: parts.clients }, () => UNUSED_REGION);
  return {
    flavour: NET_FLAVOUR_HEAD,
    drvRx: UNUSED_PAIR,
    drvTx: UNUSED_PAIR,
    virtRx: none,
    cliRx: none,
    cliTx: none,
    rxDma: UNUSED_REGION,
    cliRxData: noRegions,
    cliTxData: noRegions,
    hw: { kind: 'enet', nic: UNUSED_NIC },
    // The models' boot option changes where a model starts, not the components' step rules.
    boot: false,
    lwip: false,
    echo: false,
    sends: 0,
    slowClient: -1,
    doubleReturn: false,
    ...parts,
  };
}

/** Builds the QueueWords of a view, one address space each. */
class ViewBuilder {
  readonly queues: QueueWords[] = [];
  readonly data: DataWords[] = [];
  constructor(private readonly input: ViewInput) {}

  queue(name: string, region: { vaddr: number }, capacity: number): QueueWords {
    const size = netQueueSizeBytes(capacity);
    const w = this.input.api.mem.sharedWindow(region.vaddr, size, 8);
    const q = new QueueWords(
      name,
      this.queues.length,
      new Uint8Array(w.buffer, w.byteOffset, size),
      capacity,
    );
    this.queues.push(q);
    return q;
  }

  pair(name: string, conn: NetConnection): { free: QueueWords; active: QueueWords } {
    return {
      free: this.queue(`${name}.free`, conn.free, conn.numBuffers),
      active: this.queue(`${name}.active`, conn.active, conn.numBuffers),
    };
  }

  region(
    name: string,
    o: {
      count: number;
      ioBase: number;
      vaddr: number;
      sources: readonly LengthSource[];
      macs: ClientMacs;
    },
  ): { words: DataWords; spec: DataRegion } {
    const mem = this.input.api.mem;
    const frame = (b: number, len: number): number =>
      framePayload(
        mem.readBytes(o.vaddr + b * NET_BUFFER_SIZE_BYTES, Math.min(len, NET_BUFFER_SIZE_BYTES)),
        len,
        o.macs,
      );
    const words = new DataWords(name, DATA_SPACE + this.data.length, o.count, o.sources, frame);
    this.data.push(words);
    return { words, spec: { data: words.base, count: o.count, ioBase: o.ioBase } };
  }

  memory(): ViewMemory {
    return new ViewMemory(this.queues, this.data, this.input.pd);
  }
}

const pairRef = (p: { free: QueueWords; active: QueueWords }): NetQueuePair => ({
  free: p.free.ref,
  active: p.active.ref,
});

/** The pc of the spec step named `name` (by name, so a renumbered spec still maps). */
export function pcOf(program: ComponentProgram, name: string): number {
  const pc = program.steps.indexOf(name);
  if (pc <= 0) throw new InvariantError(`${program.name}: no step named ${name}`);
  return pc;
}

function counterSum(
  params: Readonly<Record<string, unknown>>,
  names: readonly string[],
  which: readonly string[],
): () => number {
  const buf = params['counters'];
  if (!(buf instanceof SharedArrayBuffer)) return () => 0;
  const c = new Counters(names, buf);
  return () => which.reduce((s, n) => s + c.get(n), 0);
}

function ioNumber(io: bigint, what: string): number {
  if (io >= 1n << 52n)
    throw new InvariantError(`${what}: I/O address 0x${io.toString(16)} beyond 2^52`);
  return Number(io);
}

// ------------------------------------------------------------------ virt_tx

function virtTxView(input: ViewInput): ComponentView {
  const config = input.params['config'] as NetVirtTxConfig;
  const options = (input.params['options'] ?? {}) as VirtTxOptions;
  const b = new ViewBuilder(input);
  const drv = b.pair('drv_tx', config.driver);
  const clients = config.clients.map((cl, k) => b.pair(`client${k}.virt_tx`, cl.conn));
  const cliTxData = config.clients.map((cl, k): DataRegion => {
    if (cl.regions.length !== 1)
      throw new InvariantError(`virt_tx client ${k}: the spec has one Tx region per client`);
    const r = cl.regions[0]!;
    // virt_tx never reads Tx data (the spec has no data load there): the region is unmapped.
    return {
      data: unusedAddr,
      count: r.numBuffers,
      ioBase: ioNumber(r.data.ioAddr, `client${k} Tx`),
    };
  });
  const cfg = specConfig({
    clients: config.clients.length,
    drvTx: pairRef(drv),
    cliTx: clients.map(pairRef),
    cliTxData,
  });
  const program = netVirtTx(cfg);
  const policy = options.policy?.kind ?? 'priority';
  const txProvide = pcOf(program, 'tx_provide.process(client.TxA)');
  return {
    pd: input.pd,
    kind: 'virt_tx',
    program,
    mem: b.memory(),
    queues: b.queues,
    data: b.data,
    ghostWords: netGhostWords(cfg.clients),
    // Between handlers every spec local (client cursor, marks) is 0; the in-flight bitmaps of the
    // hardening have no spec counterpart (they only decide refusals).
    locals: () => new Array<number>(program.localWords).fill(0),
    localName: (i) => ['client cursor', 'clients marked', 'enqueued'][i] ?? `local ${i}`,
    implChannel: (ch) => (ch === 0 ? config.driver.id : (config.clients[ch - 1]?.conn.id ?? -1)),
    candidates: (h) => {
      if (policy !== 'priority')
        return `virt_tx policy ${policy}: the spec's tx_provide is the priority order (T1)`;
      if (h.kind === 'init')
        return [{ name: 'init = tx_provide (T1)', segments: [{ pc: txProvide }] }];
      return [{ name: 'notified = tx_return; tx_provide', segments: [{ pc: program.entry(0) }] }];
    },
    hardening: counterSum(input.params, VIRT_TX_COUNTERS, [
      'rejectedLen',
      'rejectedOid',
      'rejectedOffset',
      'rejectedDuplicate',
      'clientFreeFull',
      'driverActiveFull',
      'unknownReturn',
      'throttled',
      'corruptQueue',
    ]),
  };
}

// ------------------------------------------------------------------ virt_rx

function virtRxView(input: ViewInput): ComponentView {
  const config = input.params['config'] as NetVirtRxConfig;
  const options = (input.params['options'] ?? {}) as VirtRxOptions;
  const b = new ViewBuilder(input);
  const drv = b.pair('drv_rx', config.driver);
  const copiers = config.clients.map((cl, k) => b.pair(`virt_rx.copier${k}`, cl.conn));
  const ioBase = ioNumber(config.data.ioAddr, 'Rx DMA');
  const count = config.driver.numBuffers;
  const rxDma = b.region('rx_dma.data', {
    count,
    ioBase,
    vaddr: config.data.vaddr,
    macs: config.clients.map((c) => c.macAddrs),
    sources: [
      { queue: drv.active, toOffset: (io) => io - ioBase },
      ...copiers.map((p) => ({ queue: p.active, toOffset: (off: number) => off })),
    ],
  });
  const cfg = specConfig({
    clients: config.clients.length,
    drvRx: pairRef(drv),
    virtRx: copiers.map(pairRef),
    // The spec's F33 variant reads the client queue capacity; with the fix it is not read.
    cliRx: copiers.map(pairRef),
    rxDma: rxDma.spec,
    ...(options.bugs?.includes('U15') ? { bug: 'U15' as const } : {}),
  });
  const program = netVirtRx(cfg);
  const refsWindow = input.api.mem.sharedWindow(config.bufferMetadata.vaddr, count, 1);
  const refs = new Uint8Array(refsWindow.buffer, refsWindow.byteOffset, count);
  const notifyDrv = (): number => ((input.state() as VirtRxState | undefined)?.notify_drv ? 1 : 0);
  const rxReturn = program.entry(0);
  const rxProvideNotify = pcOf(program, 'rx_provide.notify_if(drv.RxF)');
  // ADR 016 §6: a restarted virt_rx re-raises notify_drv after catching up. The spec has no
  // restart; the re-raise is deliberate, so the F3 monitor's ghost records it as new work.
  const reRaise: Segment = {
    name: 'restart: notify_drv = true (ADR 016 §6)',
    run: (ctx) => {
      ctx.setLocal(VR_NOTIFY_DRV, 1);
      ctx.setGhost(NG_DRV_RXF_NEW, 1);
    },
  };
  const buffersInit: Segment = {
    name: 'init: net_buffers_init(drv.RxF), notify_drv = true',
    run: (ctx) => {
      const ok = netBuffersInit(
        ctx.mem,
        cfg.drvRx.free,
        cfg.flavour,
        (i) => ioBase + NET_BUFFER_SIZE_BYTES * i,
      );
      if (!ok) ctx.fail('no-assert-failure', 'net_buffers_init(drv.RxF) failed');
      ctx.setLocal(VR_NOTIFY_DRV, 1);
      ctx.setGhost(NG_DRV_RXF_NEW, 1);
    },
  };
  return {
    pd: input.pd,
    kind: 'virt_rx',
    program,
    mem: b.memory(),
    queues: b.queues,
    data: b.data,
    ghostWords: netGhostWords(cfg.clients),
    locals: () => {
      const l = new Array<number>(program.localWords).fill(0);
      l[VR_NOTIFY_DRV] = notifyDrv();
      for (let i = 0; i < count; i++) l[VR_REFS + i] = refs[i]!;
      return l;
    },
    localName: (i) =>
      i >= VR_REFS
        ? `buffer_refs[${i - VR_REFS}]`
        : i === VR_NOTIFY_DRV
          ? 'notify_drv'
          : `local ${i}`,
    implChannel: (ch) => (ch === 0 ? config.driver.id : (config.clients[ch - 1]?.conn.id ?? -1)),
    candidates: (h) => {
      if (h.kind === 'notified')
        return [{ name: 'notified = rx_return; rx_provide', segments: [{ pc: rxReturn }] }];
      if (h.restarts > 0)
        return [
          {
            name: 'restart init = rx_return; rx_provide; notify_drv re-raised',
            segments: [{ pc: rxReturn }, reRaise, { pc: rxProvideNotify }],
          },
        ];
      const boot: Segment[] =
        program.initPc !== PC_DONE
          ? [{ pc: program.initPc }]
          : [buffersInit, { pc: rxProvideNotify }];
      return [{ name: 'init = net_buffers_init(drv.RxF); notify the driver', segments: boot }];
    },
    hardening: counterSum(input.params, VIRT_RX_COUNTERS, [
      'rejectedOffset',
      'rejectedRefcount',
      'badDriverBuffer',
      'refsNonZero',
      'clientActiveFull',
    ]),
  };
}

// ------------------------------------------------------------------ copier

function copierView(input: ViewInput): ComponentView {
  const config = input.params['config'] as NetCopyConfig;
  const options = (input.params['options'] ?? {}) as CopierOptions;
  const b = new ViewBuilder(input);
  const virt = b.pair('virt_rx.copier', config.virt);
  const cli = b.pair('copier.client', config.client);
  if (config.rxData.length !== 1)
    throw new InvariantError(`${input.pd}: the spec has one Rx DMA region (no vswitch)`);
  const dma = config.rxData[0]!;
  const macs: ClientMacs = [];
  const rxDma = b.region('rx_dma.data', {
    count: Math.floor(dma.sizeBytes / NET_BUFFER_SIZE_BYTES),
    ioBase: ioNumber(dma.ioAddr, 'Rx DMA'),
    vaddr: dma.vaddr,
    macs,
    sources: [{ queue: virt.active, toOffset: (off) => off }],
  });
  const cliData = b.region('client.rx.data', {
    count: config.client.numBuffers,
    ioBase: 0,
    vaddr: config.clientData.vaddr,
    macs,
    sources: [{ queue: cli.active, toOffset: (off) => off }],
  });
  const cfg = specConfig({
    clients: 1,
    virtRx: [pairRef(virt)],
    cliRx: [pairRef(cli)],
    rxDma: rxDma.spec,
    cliRxData: [cliData.spec],
    ...(options.bugs?.includes('F15') ? { bug: 'F15' as const } : {}),
  });
  const program = netCopier(cfg, 0);
  const rxReturn = program.entry(0);
  const buffersInit: Segment = {
    name: 'init: net_buffers_init(client.RxF)',
    run: (ctx) => {
      const ok = netBuffersInit(
        ctx.mem,
        cfg.cliRx[0]!.free,
        cfg.flavour,
        (i) => NET_BUFFER_SIZE_BYTES * i,
      );
      if (!ok) ctx.fail('no-assert-failure', 'net_buffers_init(client.RxF) failed');
    },
  };
  return {
    pd: input.pd,
    kind: 'copier',
    program,
    mem: b.memory(),
    queues: b.queues,
    data: b.data,
    ghostWords: netGhostWords(cfg.clients),
    // copy.c keeps no state between calls (its flags are per call).
    locals: () => new Array<number>(program.localWords).fill(0),
    localName: (i) => ['client enqueued', 'virt enqueued', 'double return done'][i] ?? `local ${i}`,
    implChannel: (ch) => (ch === 0 ? config.virt.id : ch === 1 ? config.client.id : -1),
    candidates: (h) => {
      if (h.kind === 'notified')
        return [{ name: 'notified = rx_return', segments: [{ pc: rxReturn }] }];
      if (h.restarts > 0)
        return [{ name: 'restart init = rx_return (catch up)', segments: [{ pc: rxReturn }] }];
      const init: Segment[] = program.initPc !== PC_DONE ? [{ pc: program.initPc }] : [buffersInit];
      return [
        {
          name: 'init = net_buffers_init(client.RxF); rx_return (catch up)',
          segments: [...init, { pc: rxReturn }],
        },
      ];
    },
    hardening: counterSum(input.params, COPIER_COUNTERS, [
      'rejectedOffset',
      'badVirtBuffer',
      'clientActiveFull',
    ]),
  };
}

/** The refined components, by the export name of their factory (impl/systems bindings). */
export const VIEW_BUILDERS: Readonly<Record<string, (input: ViewInput) => ComponentView>> = {
  virtTxComponent: virtTxView,
  virtRxComponent: virtRxView,
  copierComponent: copierView,
};

/** Device memory for components that touch none (a spec step that does is a harness error). */
export const NO_DEVICE: DeviceMem = {
  read: () => {
    throw new InvariantError('this component has no device memory in its view');
  },
  write: () => {
    throw new InvariantError('this component has no device memory in its view');
  },
};
