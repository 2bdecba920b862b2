// `net-pipeline`, `net-virtio` and `echo`: NIC + driver + virt_tx + virt_rx + one copier and one
// client per client index (reference §3.1–3.6), checked against §3.15: SPSC discipline and
// capacity, buffer conservation, refcounts, address domains, FIFO per flow, no lost wakeup,
// eventual delivery. Composed from spec parts: the components (spec/components/net), the NIC
// (spec/devices/enet.ts, spec/devices/virtio-net.ts), the invariants
// (spec/components/net/invariants.ts); the parts in net-pipeline/ add the bounds (bounds.ts), the
// variants (variants.ts), the layout (config.ts), the PDs (pds.ts), the devices (devices.ts) and
// the monitors (monitors.ts).
import { assert } from '../../spec/common/assert.ts';
import type { State } from '../../spec/common/transition.ts';
import type { DeviceMem } from '../../spec/common/memory.ts';
import { NGC_TIMER_ARMED, cg } from '../../spec/components/net/config.ts';
import { virtioInitialLocals } from '../../spec/components/net/virtio-driver.ts';
import { enetSetup } from '../../spec/devices/enet.ts';
import {
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_MAC,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FEATURES_OK,
  virtioNetWriteDriverFeatures,
  virtioNetWriteStatus,
} from '../../spec/devices/virtio-net.ts';
import { NET_BUFFER_SIZE_BYTES, netEnqueue, type NetQueueRef } from '../../spec/queue/net.ts';
import { PdMemory } from './memory.ts';
import { buildSystem, type BuiltSystem } from './runtime.ts';
import type { ModelEntry, ModelOptions } from './types.ts';
import { boundOf, effectiveBounds, validateBounds } from './common.ts';
import { PIPELINE_DEFAULTS, PIPELINE_RANGES, pipelineCrossCheck } from './net-pipeline/bounds.ts';
import { allocatePipeline, type PipelineInstance } from './net-pipeline/config.ts';
import { pipelineDevices } from './net-pipeline/devices.ts';
import { pipelineMonitors } from './net-pipeline/monitors.ts';
import { pipelinePds } from './net-pipeline/pds.ts';
import { bugBounds, netPipelineBugs, netVirtioBugs } from './net-pipeline/variants.ts';

export { netPipelineBugs, netVirtioBugs } from './net-pipeline/variants.ts';
export { pipelineCrossCheck } from './net-pipeline/bounds.ts';

export const netPipelineEntry: ModelEntry = {
  name: 'net-pipeline',
  description:
    'ENET-like NIC + driver + virt_tx + virt_rx + copiers + clients (§3.1–3.6), invariants of §3.15',
  defaultBounds: PIPELINE_DEFAULTS,
  boundRanges: PIPELINE_RANGES,
  crossCheck: pipelineCrossCheck,
  bugs: netPipelineBugs,
  build: (opts) => buildNetPipeline(opts).ts,
};

export const netVirtioEntry: ModelEntry = {
  name: 'net-virtio',
  description:
    'net-pipeline with the virtio-net driver and device (split virtqueues, feature negotiation)',
  defaultBounds: { ...PIPELINE_DEFAULTS, driver: 1, coalesce: 0 },
  boundRanges: PIPELINE_RANGES,
  crossCheck: pipelineCrossCheck,
  bugs: netVirtioBugs,
  build: (opts) => buildNetPipeline(opts, 'net-virtio').ts,
};

export const echoEntry: ModelEntry = {
  name: 'echo',
  description:
    'echo round trip: frames from the NIC reach the client, which sends each back out of the NIC',
  defaultBounds: {
    ...PIPELINE_DEFAULTS,
    clients: 1,
    frames: 2,
    echo: 1,
    rxBuffers: 2,
    clientRxBuffers: 1,
    txBuffers: 1,
  },
  boundRanges: PIPELINE_RANGES,
  crossCheck: pipelineCrossCheck,
  bugs: [],
  build: (opts) =>
    buildNetPipeline({ ...opts, bounds: { ...echoEntry.defaultBounds, ...opts.bounds } }).ts,
};

/** Plain device memory over a state vector, for setting up the state `init` leaves. */
function stateDevice(s: State): DeviceMem {
  return { read: (a) => s[a] ?? 0, write: (a, v) => void (s[a] = v >>> 0) };
}

/**
 * The state after every `init()`: `net_buffers_init` by virt_rx (drv.RxF, IO addresses), each
 * copier (its client's RxF) and each client (its TxF), for the buffers of each data region (the
 * queue itself is rounded up to a power of two, so it may have room for more); the NIC set up as
 * the driver's `eth_setup` leaves it, with no buffer posted yet.
 */
function afterInit(p: PipelineInstance, s: State, built: BuiltSystem): void {
  const mem = new PdMemory(s, 'sc', null);
  const { cfg } = p;
  const fill = (q: NetQueueRef, count: number, base: number) => {
    for (let i = 0; i < count; i++) {
      const ok = netEnqueue(mem, q, cfg.flavour, base + NET_BUFFER_SIZE_BYTES * i);
      assert(ok, `init: ${q.name} holds every buffer`);
    }
  };
  fill(cfg.drvRx.free, cfg.rxDma.count, cfg.rxDma.ioBase);
  for (let c = 0; c < cfg.clients; c++) {
    fill(cfg.cliRx[c]!.free, cfg.cliRxData[c]!.count, 0);
    fill(cfg.cliTx[c]!.free, cfg.cliTxData[c]!.count, 0);
  }
  // echo.c init(): set_timeout() arms lwIP's first tick.
  if (cfg.lwip) for (let c = 0; c < cfg.clients; c++) s[p.ghostBase + cg(c, NGC_TIMER_ARMED)] = 1;
  const dev = stateDevice(s);
  if (cfg.hw.kind === 'enet') {
    enetSetup(dev, cfg.hw.nic);
    return;
  }
  const d = cfg.hw.dev;
  virtioNetWriteDriverFeatures(dev, d, 0, 1 << VIRTIO_NET_F_MAC);
  virtioNetWriteDriverFeatures(dev, d, 1, 1 << (VIRTIO_F_VERSION_1 - 32));
  virtioNetWriteStatus(dev, d, VIRTIO_STATUS_FEATURES_OK);
  virtioNetWriteStatus(dev, d, VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
  for (const q of [d.rx, d.tx]) {
    s[q.ready] = 1;
    for (const w of [q.availIdx, q.usedIdx, q.lastAvail]) s[w] = p.virtqBase;
  }
  const locals = built.pdWords('driver').locals;
  virtioInitialLocals(cfg, p.virtqBase).forEach((v, i) => (s[locals + i] = v));
}

/** The built system, and its instance (the layout and addresses; `sddf replay --on impl`). */
export function buildNetPipeline(
  opts: ModelOptions,
  model = 'net-pipeline',
): BuiltSystem & { readonly instance: PipelineInstance } {
  const bug = opts.bug;
  const list = model === 'net-virtio' ? netVirtioBugs : netPipelineBugs;
  const defaults = model === 'net-virtio' ? netVirtioEntry.defaultBounds : PIPELINE_DEFAULTS;
  const bounds = effectiveBounds(opts.bounds, defaults, bugBounds(list, bug));
  validateBounds(model === 'net-virtio' ? netVirtioEntry : netPipelineEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, defaults, k);
  assert(b('clients') >= 1 && b('clients') <= 4, 'net-pipeline: 1 to 4 clients');
  // Variant ids that are a configuration rather than a component switch.
  const release = b('release') === 1 || bug === 'U15-release';
  const passive = b('passive') === 1 || bug === 'passive-init';
  const componentBug = bug === 'U15-release' ? 'U15' : bug;
  const p = allocatePipeline(b, componentBug);
  const devices = pipelineDevices(p, b('sends'), {
    ticks: b('ticks'),
    periodic: b('periodicTimer') === 1,
  });
  let built: BuiltSystem | null = null;
  const monitors = pipelineMonitors(p, { bug: componentBug, built: () => built! });
  built = buildSystem({
    ...(opts.splitLocalSteps === true ? { splitLocalSteps: true } : {}),
    name: model,
    layout: p.layout,
    pds: pipelinePds(p.cfg, devices.irqLine, {
      passiveVirtRx: passive,
      placement: (['one', 'one', 'two', 'four', 'driver-alone'] as const)[b('scheduling')]!,
    }),
    devices: devices.devices,
    memoryModel: opts.memoryModel,
    scheduling: (['priority', 'any', 'cores', 'cores', 'cores'] as const)[b('scheduling')]!,
    build: release ? 'release' : 'debug',
    ghostBase: p.ghostBase,
    ghostWords: p.ghostWords,
    init: (s) => {
      if (!p.cfg.boot) afterInit(p, s, built!); // at boot each PD's init() does it
    },
    invariants: monitors.invariants,
    stranded: monitors.stranded,
    goal: (s) => monitors.goalMissing(s) === null,
  });
  return { ...built, instance: p };
}
