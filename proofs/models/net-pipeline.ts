// `net-pipeline` and `echo`: NIC + driver + virt_tx + virt_rx + one copier and one client per
// client index (reference §3.1–3.6), checked against §3.15: SPSC discipline and capacity, buffer
// conservation, refcounts, address domains, FIFO per flow, no lost wakeup, eventual delivery.
// Composed from spec parts: the components (spec/components/net), the NIC (spec/devices/enet.ts),
// the invariants (spec/components/net/invariants.ts); the parts in net-pipeline/ add the bounds
// (bounds.ts), the layout (config.ts), the PDs (pds.ts), the devices (devices.ts) and the monitors
// (monitors.ts).
import { assert } from '../../spec/common/assert.ts';
import type { State } from '../../spec/common/transition.ts';
import { NET_BUFFER_SIZE_BYTES, netEnqueue, type NetQueueRef } from '../../spec/queue/net.ts';
import { PdMemory } from './memory.ts';
import { buildSystem, type BuiltSystem } from './runtime.ts';
import type { ModelEntry, ModelOptions } from './types.ts';
import { boundOf, effectiveBounds, validateBounds } from './common.ts';
import {
  PIPELINE_BUG_BOUNDS,
  PIPELINE_DEFAULTS,
  PIPELINE_RANGES,
  netPipelineBugs,
  pipelineCrossCheck,
} from './net-pipeline/bounds.ts';
import { allocatePipeline, type PipelineInstance } from './net-pipeline/config.ts';
import { pipelineDevices } from './net-pipeline/devices.ts';
import { pipelineMonitors } from './net-pipeline/monitors.ts';
import { pipelinePds } from './net-pipeline/pds.ts';

export { PIPELINE_BUG_BOUNDS, netPipelineBugs, pipelineCrossCheck } from './net-pipeline/bounds.ts';

export const netPipelineEntry: ModelEntry = {
  name: 'net-pipeline',
  description:
    'NIC + driver + virt_tx + virt_rx + copiers + clients (§3.1–3.6), invariants of §3.15',
  defaultBounds: PIPELINE_DEFAULTS,
  boundRanges: PIPELINE_RANGES,
  crossCheck: pipelineCrossCheck,
  bugs: netPipelineBugs,
  build: (opts) => buildNetPipeline(opts).ts,
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

/**
 * The state after every `init()`: `net_buffers_init` by virt_rx (drv.RxF, IO addresses), each
 * copier (its client's RxF) and each client (its TxF), for the buffers of each data region (the
 * queue itself is rounded up to a power of two, so it may have room for more).
 */
function initBuffers(p: PipelineInstance, s: State): void {
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
}

/** The built system, and its instance (the layout and addresses; `sddf replay --on impl`). */
export function buildNetPipeline(
  opts: ModelOptions,
): BuiltSystem & { readonly instance: PipelineInstance } {
  const bug = opts.bug;
  const bugBounds = bug !== undefined ? (PIPELINE_BUG_BOUNDS[bug] ?? {}) : {};
  const bounds = effectiveBounds(opts, PIPELINE_DEFAULTS, bugBounds);
  validateBounds(netPipelineEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, PIPELINE_DEFAULTS, k);
  assert(b('clients') >= 1 && b('clients') <= 2, 'net-pipeline: 1 or 2 clients');
  const p = allocatePipeline(b, bug);
  const devices = pipelineDevices(p, b('sends'));
  let built: BuiltSystem | null = null;
  const monitors = pipelineMonitors(p, { bug, built: () => built! });
  built = buildSystem({
    ...(opts.splitLocalSteps === true ? { splitLocalSteps: true } : {}),
    name: 'net-pipeline',
    layout: p.layout,
    pds: pipelinePds(p.cfg, devices.irqLine),
    devices: devices.devices,
    memoryModel: opts.memoryModel,
    scheduling: b('scheduling') === 1 ? 'any' : 'priority',
    ghostBase: p.ghostBase,
    ghostWords: p.ghostWords,
    init: (s) => initBuffers(p, s),
    invariants: monitors.invariants,
    stranded: monitors.stranded,
    goal: (s) => monitors.goalMissing(s) === null,
  });
  return { ...built, instance: p };
}
