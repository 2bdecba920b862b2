// The parallel scheduler (issue #5 part 3b): each PD in its own worker_thread, each region a
// SharedArrayBuffer handed only to the workers of PDs that map it, notifications as bits in a
// per-PD word with Atomics.wait/notify. Components are the same modules the deterministic scheduler
// runs (the worker imports them by URL). Scheduling is the host's: no priorities, real parallelism
// — the multicore "components must not assume relative order" case of sddf-protocols.md §1.6.
// Not here (deterministic scheduler only): MMIO devices (they live in the main thread) and
// notify/IRQ fault injection (crash injection is supported).

import type { Worker } from 'node:worker_threads';
import { assert } from '../../spec/common/assert.ts';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { SystemModel } from '../../spec/system/model.ts';
import type { PdFault } from '../mem/fault.ts';
import type { RegionInstance } from '../mem/region.ts';
import type { RuntimeEvent } from './events.ts';
import type { FaultScript, RestartPolicy } from './faults.ts';
import type { HostedDeviceData, HostedDeviceSpec } from './hosted.ts';
import { IrqController, type IrqLineInfo } from './irq.ts';
import { planSystem, type PdPlan, type PlanOptions, type SystemPlan } from './plan.ts';
import { startTsWorker } from './ts-worker.ts';
import * as P from './worker-protocol.ts';

export interface ParallelOptions {
  readonly record?: boolean;
  readonly restart?: Readonly<Record<string, RestartPolicy>>;
  /** Only `crash` is honoured in worker mode. */
  readonly faults?: FaultScript;
  /** Devices hosted in the worker of the PD that maps their registers, by PD name (hosted.ts). */
  readonly hosted?: Readonly<Record<string, readonly HostedDeviceSpec[]>>;
  /** Called on every poll of the main thread (e.g. to raise a timer IRQ from host time). */
  readonly onPoll?: () => void;
}

export interface ParallelResult {
  readonly status: 'quiescent' | 'incomplete';
  readonly faults: readonly PdFault[];
  /** Per PD, in its own order (there is no global order across threads). */
  readonly events: ReadonlyMap<string, readonly RuntimeEvent[]>;
  readonly wakes: ReadonlyMap<string, number>;
  readonly restarts: ReadonlyMap<string, number>;
  /** Results of hosted devices, by PD name. */
  readonly devices: ReadonlyMap<string, readonly unknown[]>;
}

/** Poll period of the quiescence check (the main thread must not spin a core away). */
const POLL_MS = 2;

interface PdWorker {
  readonly name: string;
  readonly ctrl: Int32Array;
  readonly worker: Worker;
  irqAcksSeen: number;
  events: readonly RuntimeEvent[];
  wakes: number;
  restarts: number;
  devices: readonly unknown[];
  done: Promise<void>;
}

/**
 * What one PD's worker receives. Least privilege across threads: only the buffers of regions this
 * PD maps, its own control block, and the control blocks of the peers it has a channel to.
 */
export function workerDataFor(a: {
  plan: PdPlan;
  ctrlByPd: ReadonlyMap<string, SharedArrayBuffer>;
  global: SharedArrayBuffer;
  options: ParallelOptions;
  regions?: SystemPlan['regions'];
}): P.WorkerData {
  const p = a.plan;
  const name = p.config.pd;
  const hosted = hostedFor(p, a.options, a.regions);
  const hostedMrs = new Set(hosted.map((d) => d.mr));
  const peers = [...new Set(p.config.channels.map((c) => c.peer))].map((pd) => ({
    pd,
    ctrl: a.ctrlByPd.get(pd)!,
  }));
  assert(
    p.binding.moduleUrl !== undefined && p.binding.exportName !== undefined,
    `PD '${name}' has a worker binding`,
  );
  return {
    config: p.config,
    // A hosted device's register MR reaches the worker as the device, never as a buffer.
    mappings: p.mappings.map(({ mr, vaddr, sizeBytes, perms, cached, buffer }) => ({
      mr,
      vaddr,
      sizeBytes,
      perms,
      cached,
      buffer: hostedMrs.has(mr) ? null : buffer,
    })),
    ctrl: a.ctrlByPd.get(name)!,
    global: a.global,
    peers,
    moduleUrl: p.binding.moduleUrl,
    exportName: p.binding.exportName,
    params: p.binding.params ?? {},
    record: a.options.record === true,
    maxRestarts: a.options.restart?.[name]?.maxRestarts ?? 0,
    crashAtWakes: (a.options.faults?.crash ?? []).filter((c) => c.pd === name).map((c) => c.atWake),
    ...(hosted.length === 0 ? {} : { devices: hosted }),
  };
}

/** The hosted devices of one PD with their DMA windows (the buffers of their DMA regions only). */
function hostedFor(
  p: PdPlan,
  options: ParallelOptions,
  regions: SystemPlan['regions'] | undefined,
): HostedDeviceData[] {
  const specs = options.hosted?.[p.config.pd] ?? [];
  return specs.map((d) => {
    const irq = d.irqId === undefined ? undefined : p.config.irqs.find((i) => i.id === d.irqId);
    return {
      ...d,
      dma: d.dmaMrs.map((mr) => {
        const r = regions?.get(mr);
        assert(
          r !== undefined && r.buffer !== null,
          `DMA region '${mr}' of device '${d.mr}' is memory`,
        );
        return { mr, ioAddr: r.physAddr, buffer: r.buffer };
      }),
      ...(irq === undefined ? {} : { irq: { irq: irq.irq, id: irq.id, trigger: irq.trigger } }),
    };
  });
}

export class ParallelRuntime {
  readonly irqs: IrqController;
  private readonly global = new Int32Array(new SharedArrayBuffer(P.GLOBAL_WORDS * 4));
  private readonly workers: PdWorker[] = [];
  private readonly faults: PdFault[] = [];
  private started = false;

  static create(
    model: SystemModel,
    options: PlanOptions & ParallelOptions,
  ): { runtime?: ParallelRuntime; errors: Diagnostic[] } {
    const f = options.faults;
    const unsupported =
      f === undefined
        ? 0
        : (f.dropNotify?.length ?? 0) +
          (f.duplicateNotify?.length ?? 0) +
          (f.dropIrq?.length ?? 0) +
          (f.stall?.length ?? 0);
    if (unsupported > 0) {
      // Silently ignoring a requested fault would report a run as surviving a fault it never saw.
      return {
        errors: [
          {
            code: 'RUNTIME_WORKER_FAULTS',
            message:
              'worker mode injects crashes only; drop/duplicate notify, drop IRQ and stall need the deterministic scheduler',
          },
        ],
      };
    }
    const { plan, errors } = planSystem(model, options);
    if (plan === undefined) return { errors };
    const hostedMrs = (pd: string): Set<string> =>
      new Set((options.hosted?.[pd] ?? []).map((d) => d.mr));
    const missing = plan.pds.filter(
      (p) =>
        p.binding.moduleUrl === undefined ||
        p.binding.exportName === undefined ||
        p.mappings.some((m) => m.mmio !== null && !hostedMrs(p.config.pd).has(m.mr)),
    );
    if (missing.length > 0) {
      return {
        errors: missing.map((p) => ({
          code: 'RUNTIME_WORKER_BINDING',
          message: `PD '${p.config.pd}' cannot run in a worker: its binding needs moduleUrl and exportName, and every MMIO device it maps must be hosted in its worker`,
          ...p.pd.loc,
        })),
      };
    }
    return { runtime: new ParallelRuntime(plan, options), errors: [] };
  }

  constructor(
    readonly plan: SystemPlan,
    private readonly options: ParallelOptions = {},
  ) {
    const ctrlByPd = new Map(
      plan.pds.map((p) => [p.config.pd, new SharedArrayBuffer(P.CTRL_WORDS * 4)]),
    );
    const irqInfos: IrqLineInfo[] = [];
    for (const p of plan.pds) {
      const name = p.config.pd;
      const ctrl = ctrlByPd.get(name)!;
      const data = workerDataFor({
        plan: p,
        ctrlByPd,
        global: this.global.buffer as SharedArrayBuffer,
        options,
        regions: plan.regions,
      });
      const worker = startTsWorker(new URL('./worker-entry.ts', import.meta.url), data);
      const w: PdWorker = {
        name,
        ctrl: new Int32Array(ctrl),
        worker,
        irqAcksSeen: 0,
        events: [],
        wakes: 0,
        restarts: 0,
        devices: [],
        done: Promise.resolve(),
      };
      w.done = new Promise<void>((resolve, reject) => {
        worker.on('message', (m: P.WorkerMessage) => this.onMessage(w, m));
        worker.on('error', reject);
        worker.on('exit', () => resolve());
      });
      this.workers.push(w);
      for (const i of p.config.irqs)
        irqInfos.push({ irq: i.irq, pd: name, ch: i.id, trigger: i.trigger });
    }
    this.irqs = new IrqController(irqInfos, (pd, ch) => this.setBit(pd, ch), null, null);
    this.started = true;
    assert(this.workers.length === plan.pds.length, 'one worker per PD');
  }

  region(name: string): RegionInstance {
    const r = this.plan.regions.get(name);
    assert(r !== undefined, `memory region '${name}' exists`);
    return r;
  }

  /** Wait until every PD is blocked with nothing pending (or `timeoutMs`), then stop the workers. */
  async run(bound: { timeoutMs: number }): Promise<ParallelResult> {
    assert(this.started, 'run() is called once, after construction');
    this.started = false;
    const deadline = performance.now() + bound.timeoutMs;
    let status: ParallelResult['status'] = 'incomplete';
    // Bounded by the deadline.
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      this.options.onPoll?.();
      if (this.quiescent()) {
        status = 'quiescent';
        break;
      }
    }
    Atomics.store(this.global, P.GLOBAL_STOP, 1);
    for (const w of this.workers) {
      Atomics.add(w.ctrl, P.CTRL_SEQ, 1);
      Atomics.notify(w.ctrl, P.CTRL_SEQ);
      Atomics.notify(w.ctrl, P.CTRL_PPC);
    }
    await Promise.all(this.workers.map((w) => w.done));
    return {
      status,
      faults: this.faults,
      events: new Map(this.workers.map((w) => [w.name, w.events])),
      wakes: new Map(this.workers.map((w) => [w.name, w.wakes])),
      restarts: new Map(this.workers.map((w) => [w.name, w.restarts])),
      devices: new Map(this.workers.map((w) => [w.name, w.devices])),
    };
  }

  /** See scanQuiescent (worker-protocol.ts) for why this is sound. */
  private quiescent(): boolean {
    return P.scanQuiescent(this.workers, this.global);
  }

  private setBit(pd: string, id: number): void {
    const w = this.workers.find((x) => x.name === pd);
    assert(w !== undefined, `PD '${pd}' has a worker`);
    P.signalBlock(w.ctrl, id);
  }

  private onMessage(w: PdWorker, m: P.WorkerMessage): void {
    switch (m.t) {
      case 'fault':
        this.faults.push(m.fault);
        return;
      case 'irq_ack':
        this.irqs.ack(m.irq, m.deferred);
        w.irqAcksSeen++;
        return;
      case 'done':
        w.events = m.events;
        w.wakes = m.wakes;
        w.restarts = m.restarts;
        w.devices = m.devices ?? [];
        return;
      default:
        assert(false, `unknown worker message ${JSON.stringify(m satisfies never)}`);
    }
  }
}
