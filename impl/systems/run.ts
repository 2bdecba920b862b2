// `runSystem`: the echo server, instantiated by the runtime from its .system file, driven by a
// traffic peer on the emulated wire, watched by invariant monitors (issue 9 part 5). Everything the
// `sddf run` command does is this function; the CLI only parses and renders.
//
// Deterministic mode runs every PD under the seeded single-core priority scheduler with a virtual
// clock. Time is a model: each wake costs `wakeNs` and each enqueue it makes `opNs`, charged when
// the wake ends; frames and timer interrupts due by then are delivered before the next top-level
// wake. So the same seed gives the same JSON (host times aside), and an offered load can exceed
// what the system serves (the NIC then drops for want of buffers). Worker mode (workers.ts) runs
// every PD in its own thread on host time.

import { assert } from '../../spec/common/assert.ts';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { SystemModel } from '../../spec/system/model.ts';
import type { PdFault } from '../mem/fault.ts';
import type { Component, ComponentFactory } from '../runtime/api.ts';
import { DeterministicRuntime } from '../runtime/deterministic.ts';
import { ScriptedFaults, type FaultScript, type RestartPolicy } from '../runtime/faults.ts';
import { loadSystemModel } from '../runtime/load.ts';
import { ComponentRegistry, type ComponentBinding } from '../runtime/registry.ts';
import { PcapWriter } from '../hw/pcap.ts';
import { Pl011 } from '../hw/pl011.ts';
import { VirtioNet, type NetStats } from '../hw/virtio/net.ts';
import { EnetNicDevice } from '../hw/enet.ts';
import { enetNetStats } from './echo_server/devices.ts';
import type { DeviceAgent } from '../hw/agent.ts';
import type { MmioDevice } from '../mem/types.ts';
import type { DmaPort } from '../mem/types.ts';
import { SystemCounter } from '../components/net/clock.ts';
import { Counters, readCounters } from '../components/net/counters.ts';
import { COPIER_COUNTERS } from '../components/net/copier.ts';
import { ipString, macString } from '../components/net/config.ts';
import { VIRT_RX_COUNTERS, type VirtRxOptions } from '../components/net/virt_rx.ts';
import { VIRT_TX_COUNTERS, type VirtTxOptions } from '../components/net/virt_tx.ts';
import type { CopierOptions } from '../components/net/copier.ts';
import { DRIVER_COUNTERS, type VirtioNetDriverOptions } from '../drivers/net/virtio.ts';
import { ENET_DRIVER_COUNTERS, type EnetDriverOptions } from '../drivers/net/imx.ts';
import { CLIENT_COUNTERS, LWIP_TICK_NS } from '../clients/shell.ts';
import { HOSTILE_COUNTERS, type HostileParams } from '../clients/hostile.ts';
import type { TxWait } from '../clients/net/netif.ts';
import { GenericTimerRegs } from './standins/timer.ts';
import { builtInSystemPath } from './index.ts';
import {
  ECHO_SERVER_NAMES,
  wireEchoServer,
  type EchoNic,
  type EchoWiring,
} from './echo_server/wiring.ts';
import { echoBindings, type ClientApi } from './echo_server/bindings.ts';
import { NetMonitor } from './monitors.ts';
import {
  DEFAULT_MIX,
  REQUEST_KINDS,
  TrafficPeer,
  type PeerStats,
  type RequestKind,
  type TargetStats,
  type TrafficMix,
  type TrafficOptions,
} from './traffic.ts';

export interface TrafficSpec {
  readonly mix?: TrafficMix;
  /** Closed loop: requests in flight (default 32). Ignored when `rate` is set. */
  readonly window?: number;
  /** Open loop: requests per (virtual) second. */
  readonly rate?: number;
  readonly payloadBytes?: { readonly min: number; readonly max: number };
  /** Relative share of requests per client (default equal). */
  readonly targetWeights?: readonly number[];
  readonly replyTimeoutNs?: number;
}

export interface CostModel {
  /** Virtual time one PD wake costs (entry, dispatch, exit). */
  readonly wakeNs: number;
  /** Virtual time per enqueue the wake makes (a buffer moved one hop). */
  readonly opNs: number;
}

export const DEFAULT_COST: CostModel = { wakeNs: 1000, opNs: 250 };

export interface RunSystemOptions {
  /** A built-in system name (`echo_server`, alias `echo`) or a .system path. */
  readonly system?: string;
  /**
   * The NIC: `virtio` (default) or `enet`. It picks the built-in system's variant (`echo` with
   * `enet` is echo_server_enet); a .system file names its NIC itself, and must agree.
   */
  readonly nic?: EchoNic;
  readonly packets: number;
  readonly seed: number;
  readonly traffic?: TrafficSpec;
  /** Per client: which application (default: client0 native, client1 blocking). */
  readonly clientApi?: readonly ClientApi[];
  readonly txWait?: TxWait;
  readonly tickPoll?: boolean;
  readonly driver?: VirtioNetDriverOptions;
  /** The ENET driver's options (seeded bugs: `rxRecheck: false`, `txRecheck: false`). */
  readonly enetDriver?: EnetDriverOptions;
  /**
   * The NIC in agent timing (impl/hw/agent.ts), driven by the deterministic scheduler's seeded
   * device choices (DeterministicOptions.deviceAgents): it may act before any register access of a
   * handler; frames wait on the wire and Tx BDs are taken and sent when the scheduler says.
   */
  readonly deviceTiming?: {
    readonly seed?: number;
    readonly actPer256?: number;
    readonly maxBurst?: number;
    readonly hostile?: boolean;
  };
  readonly virtRx?: VirtRxOptions;
  readonly virtTx?: VirtTxOptions;
  readonly copier?: CopierOptions;
  /** The NIC's negotiation mode (adr 010): `strict` (default) or `qemu`. */
  readonly negotiation?: 'strict' | 'qemu';
  readonly queueNumMax?: number;
  readonly faults?: FaultScript;
  readonly restart?: Readonly<Record<string, RestartPolicy>>;
  /** Driver watchdog period; 0 (default) = none. */
  readonly watchdogNs?: number;
  readonly cost?: CostModel;
  readonly pcap?: boolean;
  /**
   * Check the invariants every n-th time no PD is inside a handler (between two top-level wakes,
   * or idle); default 64, and always at the end.
   */
  readonly monitorEvery?: number;
  readonly hostile?: HostileParams;
  readonly onProgress?: (p: RunProgress) => void;
  readonly maxSteps?: number;
  /**
   * `priority` (default): seL4 on one core. `random`: a seeded random choice among runnable PDs at
   * each wake, the multicore case where components must not assume relative order (§1.6).
   */
  readonly schedule?: 'priority' | 'random';
  /** Tests only (deterministic mode): replace a PD's binding, e.g. with a misbehaving one. */
  readonly rebind?: (pd: string, binding: ComponentBinding) => ComponentBinding;
  /**
   * Deterministic mode: the factory to run for a PD instead of its binding's (an observer such as
   * the online refinement check of traces/refinement/net wraps the component's entry points).
   */
  readonly wrapComponent?: (pd: string, binding: ComponentBinding) => ComponentFactory;
}

export interface RunProgress {
  readonly sent: number;
  readonly answered: number;
  readonly lost: number;
  readonly packets: number;
}

export interface ClientReport {
  readonly name: string;
  readonly api: ClientApi;
  readonly mac: string;
  readonly ip: string;
  /** Frames the client transmitted. */
  readonly sent: number;
  /** Frames the client received. */
  readonly received: number;
  /** Frames meant for it that were dropped inside the system (copier, client queue). */
  readonly dropped: number;
  readonly requests: Record<RequestKind, number>;
  readonly answered: Record<RequestKind, number>;
  /** Requests to it that got no answer. */
  readonly lost: number;
  readonly throughputPps: number;
  readonly throughputBytesPerSec: number;
  readonly meanLatencyNs: number;
  readonly maxLatencyNs: number;
  readonly counters: Record<string, number>;
}

export interface RunSystemResult {
  readonly ok: boolean;
  readonly system: string;
  readonly mode: 'deterministic' | 'workers';
  readonly seed: number;
  readonly packets: number;
  readonly status: 'complete' | 'incomplete';
  readonly pacing: string;
  readonly clients: readonly ClientReport[];
  readonly generator: PeerStats;
  readonly device: NetStats & { readonly errors: number; readonly negotiatedFeatures: string };
  readonly components: Record<string, Record<string, number>>;
  readonly invariantViolations: number;
  readonly violations: readonly string[];
  readonly monitorChecks: number;
  readonly faults: { readonly injected: number; readonly unexpected: readonly PdFault[] };
  readonly restarts: Record<string, number>;
  readonly wakes: Record<string, number>;
  /**
   * Virtual time (deterministic; host time in worker mode). `activeNs` runs from the first request
   * to the last answer; rates and utilisation are over it (the tail waiting for lost answers is not).
   */
  readonly virtual: {
    readonly elapsedNs: number;
    readonly activeNs: number;
    readonly busyNs: number;
    readonly utilisation: number;
    readonly answeredPerSec: number;
  };
  readonly console: string;
  /** Host measurements: excluded when comparing two runs. */
  readonly times: {
    readonly wallMs: number;
    readonly cpuMs: number;
    readonly cpuNsPerPacket: number;
  };
  /** The wire as a pcap file (with `pcap: true`); not part of the JSON. */
  readonly pcap?: Uint8Array;
}

export const HOST = {
  mac: [0x52, 0x54, 0x00, 0x12, 0x34, 0x01] as const,
  ip: 0x0a00_0201,
  port: 40000,
} as const;
export const ECHO_PORT = 1235;
export const NIC_NAME = 'virtio_net';
export const ENET_NIC_NAME = 'enet';
export const NIC_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56] as const;
export const MAX_CONSOLE_BYTES = 64 * 1024;

/** The built-in name of a system as given (`echo` is echo_server; with `enet`, its ENET variant). */
function builtInName(system: string | undefined, nic: EchoNic | undefined): string {
  const s = system ?? 'echo_server';
  const name = s === 'echo' ? 'echo_server' : s;
  return name === 'echo_server' && nic === 'enet' ? 'echo_server_enet' : name;
}

export function resolveSystem(system: string | undefined, nic?: EchoNic): string {
  const name = builtInName(system, nic);
  return builtInSystemPath(name) ?? system ?? name;
}

/** How a run names its system: the built-in name, else the path as given. */
export function systemLabel(system: string | undefined, nic?: EchoNic): string {
  const name = builtInName(system, nic);
  return builtInSystemPath(name) === undefined ? (system ?? name) : name;
}

export function defaultClientApi(n: number): ClientApi[] {
  return Array.from({ length: n }, (_, i) => (i === 1 ? 'blocking' : 'native'));
}

/** Load, wire and check the options; errors are located diagnostics (exit 2 in the CLI). */
export function prepareRun(options: RunSystemOptions): {
  model?: SystemModel;
  wiring?: EchoWiring;
  file: string;
  errors: readonly Diagnostic[];
} {
  const file = resolveSystem(options.system, options.nic);
  const bad = (message: string): { file: string; errors: Diagnostic[] } => ({
    file,
    errors: [{ code: 'RUN_OPTIONS', message }],
  });
  if (!Number.isSafeInteger(options.packets) || options.packets < 0)
    return bad('packets must be a natural number');
  if (options.traffic?.rate !== undefined && !(options.traffic.rate > 0))
    return bad('rate must be positive');
  if (options.traffic?.window !== undefined && !(options.traffic.window >= 1))
    return bad('window must be ≥ 1');
  const { model, errors } = loadSystemModel(file);
  if (model === undefined) return { file, errors };
  const wired = wireEchoServer(model);
  if (wired.wiring === undefined) return { file, errors: wired.errors };
  if (options.nic !== undefined && wired.wiring.nic !== options.nic) {
    return {
      file,
      errors: [
        {
          code: 'RUN_OPTIONS',
          file,
          message: `--nic ${options.nic}: this system's driver drives the ${wired.wiring.nic} NIC (its register region is '${wired.wiring.regsMr}')`,
        },
      ],
    };
  }
  return { model, wiring: wired.wiring, file, errors: [] };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Per-PD counter buffers and names, for the report. */
export function counterPlan(
  nic: EchoNic = 'virtio',
): Map<string, { names: readonly string[]; buffer: SharedArrayBuffer }> {
  const n = ECHO_SERVER_NAMES;
  const m = new Map<string, { names: readonly string[]; buffer: SharedArrayBuffer }>();
  const add = (pd: string, names: readonly string[]): void => {
    m.set(pd, {
      names,
      buffer: Counters.buffer(
        Math.max(names.length, HOSTILE_COUNTERS.length, CLIENT_COUNTERS.length),
      ),
    });
  };
  add(n.driver, nic === 'enet' ? ENET_DRIVER_COUNTERS : DRIVER_COUNTERS);
  add(n.virtRx, VIRT_RX_COUNTERS);
  add(n.virtTx, VIRT_TX_COUNTERS);
  for (const c of n.clients) {
    add(c.copier, COPIER_COUNTERS);
    add(c.client, CLIENT_COUNTERS);
  }
  return m;
}

/** The traffic peer for a run. */
export function makePeer(options: RunSystemOptions, wiring: EchoWiring): TrafficPeer {
  return new TrafficPeer(trafficOptions(options, wiring));
}

/** The traffic peer's options for a run (plain data: a worker builds the peer from it). */
export function trafficOptions(
  options: Pick<RunSystemOptions, 'seed' | 'packets' | 'traffic'>,
  wiring: { readonly clients: readonly { readonly mac: readonly number[]; readonly ip: number }[] },
  defaultTimeoutNs = 300_000_000,
): TrafficOptions {
  const t = options.traffic ?? {};
  const weights = t.targetWeights ?? wiring.clients.map(() => 1);
  return {
    seed: options.seed,
    packets: options.packets,
    mix: t.mix ?? DEFAULT_MIX,
    targets: wiring.clients.map((c, i) => ({
      name: ECHO_SERVER_NAMES.clients[i]!.client,
      mac: c.mac,
      ip: c.ip,
      port: ECHO_PORT,
      weight: weights[i] ?? 0,
    })),
    pacing:
      t.rate !== undefined
        ? { kind: 'rate', framesPerSecond: t.rate }
        : { kind: 'window', window: t.window ?? 32, thinkNs: 1000 },
    payloadBytes: t.payloadBytes ?? { min: 18, max: 1024 },
    replyTimeoutNs: t.replyTimeoutNs ?? defaultTimeoutNs,
    host: { mac: [...HOST.mac], ip: HOST.ip, port: HOST.port },
  };
}

/**
 * Charges virtual time per wake; delivers due frames and timer interrupts between top-level wakes.
 * The enqueues of a wake are the advances of the tails of the queues its PD produces into, each
 * capped at the queue's capacity (more cannot be real work in one wake). A hostile client's tail
 * writes are not enqueues: it is charged per wake only.
 */
class Meter {
  depth = 0;
  busyNs = 0;
  private readonly snap: Int32Array[] = [];
  private readonly nested = new Array<number>(16).fill(0);
  /** Per PD: indices into `tails` of the queues it produces into. */
  private produces = new Map<string, readonly number[]>();
  private tails: readonly Uint16Array[] = [];
  private caps: readonly number[] = [];

  constructor(
    private readonly cost: CostModel,
    private readonly onTop: () => void,
    private readonly charge: (ns: number, pd: string) => void,
  ) {}

  watch(
    queues: readonly { tail: Uint16Array; capacity: number; producer: string }[],
    uncharged: ReadonlySet<string>,
  ): void {
    this.tails = queues.map((q) => q.tail);
    this.caps = queues.map((q) => q.capacity);
    const m = new Map<string, number[]>();
    queues.forEach((q, i) => {
      if (uncharged.has(q.producer)) return;
      const list = m.get(q.producer) ?? [];
      list.push(i);
      m.set(q.producer, list);
    });
    this.produces = m;
    this.snap.length = 0;
    for (let d = 0; d < 16; d++) this.snap.push(new Int32Array(queues.length));
  }

  run<T>(pd: string, work: () => T): T {
    if (this.depth === 0) this.onTop();
    const d = this.depth++;
    assert(d < 16, 'wake nesting is bounded by the priority levels in use');
    const mine = this.produces.get(pd) ?? [];
    const snap = this.snap[d] ?? new Int32Array(0);
    for (const i of mine) snap[i] = this.tails[i]![0]!;
    try {
      return work();
    } finally {
      let ops = 0;
      for (const i of mine)
        ops += Math.min((this.tails[i]![0]! - snap[i]!) & 0xffff, this.caps[i]!);
      this.depth--;
      const ns = this.cost.wakeNs + ops * this.cost.opNs;
      this.busyNs += ns;
      this.charge(ns, pd);
    }
  }

  wrap(pd: string, factory: ComponentFactory): ComponentFactory {
    return (ctx) => {
      const c = factory(ctx);
      const wrapped: Component = {
        init: () => this.run(pd, () => c.init()),
        notified: (ch) => this.run(pd, () => c.notified(ch)),
      };
      if (c.protected !== undefined) {
        const p = c.protected.bind(c);
        wrapped.protected = (ch, msg) => this.run(pd, () => p(ch, msg));
      }
      return wrapped;
    };
  }
}

/** Run the echo server deterministically. Returns diagnostics for bad input. */
export function runSystem(options: RunSystemOptions): {
  result?: RunSystemResult;
  errors: readonly Diagnostic[];
} {
  const prep = prepareRun(options);
  if (prep.model === undefined || prep.wiring === undefined) return { errors: prep.errors };
  const { model, wiring } = prep;
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  const names = ECHO_SERVER_NAMES;
  const cost = options.cost ?? DEFAULT_COST;
  let now = 0;
  const counter = SystemCounter.create();
  const timerRegs = GenericTimerRegs.create();
  const pcap =
    options.pcap === true
      ? new PcapWriter({ clock: { nowNs: () => BigInt(Math.round(now)) } })
      : null;
  const peer = makePeer(options, wiring);
  const late: { rt?: DeterministicRuntime; port?: DmaPort } = {};
  const driverIrq = model.pds.find((p) => p.name === names.driver)!.irqs[0]!;
  const onIrqLevel = (up: boolean): void => {
    const irqs = late.rt?.irqs;
    if (irqs === undefined) return;
    if (!up) irqs.deassertLine(driverIrq.irq);
    else if (driverIrq.trigger === 'edge') irqs.pulse(driverIrq.irq);
    else irqs.assertLine(driverIrq.irq);
  };
  const nic = makeNic(wiring.nic, {
    dma: {
      read: (a, l) => late.port!.read(a, l),
      write: (a, d) => late.port!.write(a, d),
    },
    negotiation: options.negotiation ?? 'strict',
    ...(options.queueNumMax === undefined ? {} : { queueNumMax: options.queueNumMax }),
    agent: options.deviceTiming !== undefined,
    onIrqLevel,
  });
  nic.connect({
    receiveFrame: (f) => {
      pcap?.record(f);
      peer.receiveFrame(f);
    },
  });
  let consoleText = '';
  const uart = new Pl011({
    name: 'uart',
    output: (b) => {
      if (consoleText.length < MAX_CONSOLE_BYTES) consoleText += String.fromCharCode(b);
    },
  });
  const counters = counterPlan(wiring.nic);
  const clientApi = options.clientApi ?? defaultClientApi(wiring.clients.length);
  const hostileSet = new Set(clientApi.flatMap((a, i) => (a === 'hostile' ? [i] : [])));
  const bindings = echoBindings(names, wiring, {
    driver: {
      ...options.driver,
      ...(options.watchdogNs ? { watchdogNs: options.watchdogNs } : {}),
    },
    ...(options.enetDriver === undefined ? {} : { enetDriver: options.enetDriver }),
    virtRx: options.virtRx ?? {},
    virtTx: options.virtTx ?? {},
    copier: options.copier ?? {},
    clientApi,
    txWait: options.txWait ?? 'native',
    tickPoll: options.tickPoll ?? false,
    tickNs: LWIP_TICK_NS,
    udpPort: ECHO_PORT,
    hostile: { seed: options.seed ^ 0x5eed, ...options.hostile },
    counters: new Map([...counters].map(([k, v]) => [k, v.buffer])),
    systemCounter: counter.buffer,
    timerRegs: timerRegs.buffer,
  });

  // Virtual time and deliveries.
  const sendFrame = (f: Uint8Array): void => {
    pcap?.record(f);
    nic.receiveFrame(f);
  };
  // Busy time inside the active window (first request → last answer).
  const active = { busyAtFirst: -1, busyAtLast: 0, answered: 0 };
  // MCS budgets (seL4: budget per period on a PD's scheduling context; meta.py gives the driver
  // 100 µs every 400 µs): a PD that used its budget is not scheduled until its next period.
  const budgets = new Map(
    model.pds
      .filter((p) => p.budgetUs < p.periodUs)
      .map((p) => [
        p.name,
        {
          budgetNs: Number(p.budgetUs) * 1000,
          periodNs: Number(p.periodUs) * 1000,
          start: 0,
          used: 0,
        },
      ]),
  );
  const budgeted = new Set(budgets.keys());
  const eligible = (pd: string): boolean => {
    if (!budgeted.has(pd)) return true;
    const b = budgets.get(pd)!;
    if (now >= b.start + b.periodNs) {
      b.start = now;
      b.used = 0;
    }
    return b.used < b.budgetNs;
  };
  const nextReplenishNs = (): number => {
    let next = Number.POSITIVE_INFINITY;
    for (const b of budgets.values())
      if (b.used >= b.budgetNs) next = Math.min(next, b.start + b.periodNs);
    return next;
  };
  const advance = (ns: number, pd?: string): void => {
    now += ns;
    if (pd !== undefined) {
      const b = budgets.get(pd);
      if (b !== undefined) b.used += ns;
    }
    counter.setVirtualNs(now);
    if (active.busyAtFirst < 0 && peer.stats.sent > 0) active.busyAtFirst = meter.busyNs - ns;
    if (peer.stats.answered !== active.answered) {
      active.answered = peer.stats.answered;
      active.busyAtLast = meter.busyNs;
    }
  };
  const timerLine = (): void => {
    const irqs = late.rt?.irqs;
    if (irqs === undefined) return;
    if (timerRegs.asserted(now)) irqs.assertLine(wiring.timerIrq.irq);
    else irqs.deassertLine(wiring.timerIrq.irq);
  };
  let lastProgress = 0;
  const progressStep = Math.max(1, Math.floor(options.packets / 100));
  // Traffic starts at the first quiescent point: every PD has run init (the device is set up).
  let booted = false;
  const deliverDue = (): void => {
    if (booted) peer.sendDue(now, sendFrame);
    peer.expire(now);
    timerLine();
    if (options.onProgress !== undefined && peer.stats.sent - lastProgress >= progressStep) {
      lastProgress = peer.stats.sent;
      options.onProgress({
        sent: peer.stats.sent,
        answered: peer.stats.answered,
        lost: peer.stats.lost,
        packets: options.packets,
      });
    }
  };

  const registry = new ComponentRegistry();
  let monitor: NetMonitor | null = null;
  let boundaries = 0;
  const monitorEvery = Math.max(1, options.monitorEvery ?? 64);
  // Between two top-level wakes no PD is inside a handler: a point where the invariants hold.
  const betweenWakes = (): void => {
    if (booted && ++boundaries % monitorEvery === 0) monitor?.check();
    deliverDue();
  };
  const meter = new Meter(cost, betweenWakes, advance);
  for (const [pd, original] of bindings) {
    const b = options.rebind === undefined ? original : options.rebind(pd, original);
    const factory = options.wrapComponent?.(pd, b) ?? b.factory;
    registry.register(pd, { ...b, factory: meter.wrap(pd, factory) } satisfies ComponentBinding);
  }
  const faults = options.faults === undefined ? undefined : new ScriptedFaults(options.faults);
  const restart =
    options.restart ??
    Object.fromEntries(model.pds.map((p) => [p.name, { maxRestarts: 8 }] as const));
  let finished = false;
  const onIdle = (): boolean => {
    if (finished) return false;
    booted = true;
    // Nothing is runnable: a quiescent point, where the invariants must hold.
    if (++boundaries % monitorEvery === 0) monitor?.check();
    if (peer.done()) {
      finished = true;
      return false;
    }
    const next = Math.min(
      peer.nextSendAt() ?? Number.POSITIVE_INFINITY,
      peer.nextExpiryAt() ?? Number.POSITIVE_INFINITY,
      timerRegs.enabled ? timerRegs.cvalNs : Number.POSITIVE_INFINITY,
      nextReplenishNs(),
    );
    if (next === Number.POSITIVE_INFINITY) {
      // Nothing will ever happen again: what is still expected is lost.
      if (peer.expireAll() === 0) {
        finished = true;
        return false;
      }
      return true;
    }
    if (next > now) advance(next - now);
    deliverDue();
    return true;
  };
  const created = DeterministicRuntime.create(model, {
    registry,
    mmio: new Map<string, import('../mem/types.ts').MmioDevice>([
      [wiring.regsMr, nic.mmio],
      [wiring.uartMr, uart],
    ]),
    devices: [{ device: nic.name, ioMaps: wiring.nicDmaRegions.map((mr) => ({ mr })) }],
    ...(options.deviceTiming === undefined
      ? {}
      : { deviceAgents: { agents: [nic.agent], ...options.deviceTiming } }),
    mode: options.schedule ?? 'priority',
    seed: options.seed,
    restart,
    onIdle,
    ...(budgets.size === 0 ? {} : { eligible }),
    ...(faults === undefined ? {} : { faults }),
  });
  if (created.runtime === undefined) return { errors: created.errors };
  const rt = created.runtime;
  late.rt = rt;
  late.port = rt.iommu.portFor(nic.name);
  rt.irqs.attachLevelSource(driverIrq.irq, () => nic.irqAsserted());
  rt.irqs.attachLevelSource(wiring.timerIrq.irq, () => timerRegs.asserted(now));
  meter.watch(
    wiring.queues.map((q) => ({ ...q, tail: new Uint16Array(rt.region(q.mr).buffer!, 0, 1) })),
    new Set(names.clients.filter((_, i) => hostileSet.has(i)).map((c) => c.client)),
  );
  monitor = new NetMonitor({
    wiring,
    region: (mr) => rt.region(mr).buffer!,
    names,
    hostile: hostileSet,
    headerSlots: options.driver?.headerSlots ?? 'per-descriptor',
  });

  const maxSteps = options.maxSteps ?? 400 * options.packets + 100_000;
  const r = rt.run({ maxSteps });
  if (!finished && r.status === 'quiescent') peer.expireAll();
  monitor.check();
  const wallMs = performance.now() - wall0;
  const usedCpuMs = cpuMs() - cpu0;
  return {
    result: report({
      options,
      file: prep.file,
      wiring,
      wire: wireReport(peer, nic.report()),
      counters,
      clientApi,
      monitor,
      faults: rt.faults,
      faultCount: rt.faultCount,
      restarts: Object.fromEntries(model.pds.map((p) => [p.name, rt.status(p.name).restarts])),
      wakes: Object.fromEntries(model.pds.map((p) => [p.name, rt.status(p.name).wakes])),
      complete: finished && r.status === 'quiescent',
      elapsedNs: now,
      activeBusyNs: active.busyAtFirst < 0 ? 0 : active.busyAtLast - active.busyAtFirst,
      console: consoleText,
      wallMs,
      cpuMs: usedCpuMs,
      pcap: pcap?.bytes(),
      mode: 'deterministic',
    }),
    errors: [],
  };
}

/** What the traffic peer and the NIC report at the end (plain data: it crosses threads). */
export interface WireReport {
  readonly peer: PeerStats;
  readonly targets: readonly TargetStats[];
  readonly nic: NetStats;
  readonly nicErrors: number;
  readonly negotiatedFeatures: bigint;
}

export function wireReport(
  peer: TrafficPeer,
  nic: VirtioNet | Pick<WireReport, 'nic' | 'nicErrors' | 'negotiatedFeatures'>,
): WireReport {
  const dev =
    nic instanceof VirtioNet
      ? {
          nic: { ...nic.stats },
          nicErrors: nic.errorCount,
          negotiatedFeatures: nic.negotiatedFeatures,
        }
      : nic;
  return {
    peer: { ...peer.stats },
    targets: peer.targets.map((t) => ({ ...t, sent: { ...t.sent }, answered: { ...t.answered } })),
    ...dev,
  };
}

/** The echo server's NIC, whichever it is: what the run needs of it. */
export interface RunNic {
  readonly name: string;
  readonly mmio: MmioDevice;
  readonly agent: DeviceAgent;
  irqAsserted(): boolean;
  receiveFrame(frame: Uint8Array): void;
  connect(link: { receiveFrame(frame: Uint8Array): void }): void;
  report(): Pick<WireReport, 'nic' | 'nicErrors' | 'negotiatedFeatures'>;
}

/** The NIC of a run: the virtio-net device, or the ENET (strict: driver errors are recorded). */
export function makeNic(
  kind: EchoNic,
  o: {
    readonly dma: DmaPort;
    readonly negotiation: 'strict' | 'qemu';
    readonly queueNumMax?: number;
    readonly agent: boolean;
    readonly onIrqLevel: (up: boolean) => void;
  },
): RunNic {
  const timing = o.agent ? ('agent' as const) : ('synchronous' as const);
  if (kind === 'enet') {
    const bytes = { tx: 0, rx: 0 };
    const dev = new EnetNicDevice({
      name: ENET_NIC_NAME,
      mac: new Uint8Array(NIC_MAC),
      dma: o.dma,
      timing,
      strict: true,
      onIrqLevel: o.onIrqLevel,
      observer: (e) => {
        if (e.kind === 'frame-tx') bytes.tx += e.lengthBytes;
        else if (e.kind === 'frame-rx') bytes.rx += e.lengthBytes;
      },
    });
    return {
      name: ENET_NIC_NAME,
      mmio: dev,
      agent: dev,
      irqAsserted: () => dev.irqAsserted(),
      receiveFrame: (f) => dev.receiveFrame(f),
      connect: (link) => dev.connect(link),
      report: () => ({
        nic: enetNetStats(dev.stats, bytes),
        nicErrors: dev.errorCount,
        negotiatedFeatures: 0n,
      }),
    };
  }
  const dev = new VirtioNet({
    name: NIC_NAME,
    mac: new Uint8Array(NIC_MAC),
    dma: o.dma,
    negotiation: o.negotiation,
    timing,
    ...(o.queueNumMax === undefined ? {} : { queueNumMax: o.queueNumMax }),
    onIrqLevel: o.onIrqLevel,
  });
  return {
    name: NIC_NAME,
    mmio: dev,
    agent: dev,
    irqAsserted: () => dev.irqAsserted(),
    receiveFrame: (f) => dev.receiveFrame(f),
    connect: (link) => dev.connect(link),
    report: () => ({
      nic: { ...dev.stats },
      nicErrors: dev.errorCount,
      negotiatedFeatures: dev.negotiatedFeatures,
    }),
  };
}

export interface ReportInput {
  readonly options: RunSystemOptions;
  readonly file: string;
  readonly wiring: EchoWiring;
  readonly wire: WireReport;
  readonly counters: Map<string, { names: readonly string[]; buffer: SharedArrayBuffer }>;
  readonly clientApi: readonly ClientApi[];
  readonly monitor: NetMonitor;
  readonly faults: readonly PdFault[];
  readonly faultCount: number;
  readonly restarts: Record<string, number>;
  readonly wakes: Record<string, number>;
  readonly complete: boolean;
  readonly elapsedNs: number;
  /** Busy time between the first request and the last answer. */
  readonly activeBusyNs: number;
  readonly console: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly pcap: Uint8Array | undefined;
  readonly mode: 'deterministic' | 'workers';
}

export function report(i: ReportInput): RunSystemResult {
  const names = ECHO_SERVER_NAMES;
  const comp = (pd: string): Record<string, number> => {
    const c = i.counters.get(pd)!;
    return readCounters(c.names, c.buffer);
  };
  const p = i.wire.peer;
  const activeNs =
    p.firstSendNs >= 0 && p.lastAnswerNs > p.firstSendNs ? p.lastAnswerNs - p.firstSendNs : 0;
  const seconds = activeNs / 1e9;
  const rate = (x: number): number => (seconds > 0 ? Math.round(x / seconds) : 0);
  const clients: ClientReport[] = names.clients.map(({ client, copier }, idx) => {
    const t = i.wire.targets[idx]!;
    const api = i.clientApi[idx] ?? 'native';
    const cc: Record<string, number> =
      api === 'hostile'
        ? readCounters(HOSTILE_COUNTERS, i.counters.get(client)!.buffer)
        : comp(client);
    const cp = comp(copier);
    const answered = REQUEST_KINDS.reduce((s, k) => s + t.answered[k], 0);
    const cfg = i.wiring.clients[idx]!;
    return {
      name: client,
      api,
      mac: macString(cfg.mac),
      ip: ipString(cfg.ip),
      sent: cc['txFrames'] ?? 0,
      received: cc['rxFrames'] ?? 0,
      dropped: (cp['dropped'] ?? 0) + (cc['pendingDropped'] ?? 0),
      requests: { ...t.sent },
      answered: { ...t.answered },
      lost: t.lost,
      throughputPps: rate(answered),
      throughputBytesPerSec: rate(t.echoBytes),
      meanLatencyNs: answered > 0 ? Math.round(t.latencyNsSum / answered) : 0,
      maxLatencyNs: t.latencyNsMax,
      counters: cc,
    };
  });
  // Injected crashes are expected; anything else a PD did wrong is a finding.
  const unexpected = i.faults.filter((f) => f.kind !== 'injected');
  const injected = i.faults.length - unexpected.length;
  const honestLost = clients.some((c, idx) => i.clientApi[idx] !== 'hostile' && c.lost > 0);
  const closedLoop = i.options.traffic?.rate === undefined;
  const ok =
    i.monitor.violations === 0 &&
    unexpected.length === 0 &&
    i.wire.peer.badReplies === 0 &&
    i.complete &&
    !(closedLoop && honestLost && i.options.faults === undefined);
  const dev = i.wire.nic;
  return {
    ok,
    system: systemLabel(i.options.system, i.options.nic),
    mode: i.mode,
    seed: i.options.seed,
    packets: i.options.packets,
    status: i.complete ? 'complete' : 'incomplete',
    pacing:
      i.options.traffic?.rate !== undefined
        ? `rate ${i.options.traffic.rate}/s`
        : `window ${i.options.traffic?.window ?? 32}`,
    clients,
    generator: { ...i.wire.peer },
    device: {
      ...dev,
      errors: i.wire.nicErrors,
      negotiatedFeatures: `0x${i.wire.negotiatedFeatures.toString(16)}`,
    },
    components: {
      driver: comp(names.driver),
      virtRx: comp(names.virtRx),
      virtTx: comp(names.virtTx),
      ...Object.fromEntries(names.clients.map((c) => [c.copier, comp(c.copier)])),
    },
    invariantViolations: i.monitor.violations,
    violations: i.monitor.kept,
    monitorChecks: i.monitor.checks,
    faults: { injected, unexpected },
    restarts: i.restarts,
    wakes: i.wakes,
    virtual: {
      elapsedNs: Math.round(i.elapsedNs),
      activeNs: Math.round(activeNs),
      busyNs: Math.round(i.activeBusyNs),
      utilisation:
        activeNs > 0 ? Math.min(1, Math.round((1000 * i.activeBusyNs) / activeNs) / 1000) : 0,
      answeredPerSec: rate(i.wire.peer.answered),
    },
    console: i.console,
    times: {
      wallMs: Math.round(i.wallMs),
      cpuMs: Math.round(i.cpuMs),
      cpuNsPerPacket:
        i.wire.peer.answered > 0 ? Math.round((i.cpuMs * 1e6) / i.wire.peer.answered) : 0,
    },
    ...(i.pcap === undefined ? {} : { pcap: i.pcap }),
  };
}

/** The JSON document of a run (without the pcap bytes). */
export function resultJson(r: RunSystemResult): Record<string, unknown> {
  const { pcap: _pcap, ...rest } = r;
  return rest as unknown as Record<string, unknown>;
}
