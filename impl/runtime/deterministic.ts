// The deterministic scheduler (issue #5 part 3a): one thread, seeded, reproducible bit for bit.
//  - 'priority': seL4 on one core — fixed-priority preemptive, round robin within a priority
//    (sddf-protocols.md §1.6). A notify to a higher-priority PD preempts at once: the runtime runs
//    every higher-priority runnable PD inside the notify call, then returns to the notifier, which is
//    exactly where seL4 would resume it.
//  - 'random': a seeded random choice among runnable PDs at handler granularity (multicore-like
//    interleavings; components must not assume relative order, §1.6).
// A PD wake is one Microkit loop iteration: init, one badge (all its notified() calls), or one
// protected(). Faults stop only the faulting PD and go to the monitor (this class), which applies
// the PD's restart policy.

import { assert } from '../../spec/common/assert.ts';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { SystemModel } from '../../spec/system/model.ts';
import type { DeviceAgent } from '../hw/agent.ts';
import { AdversarialTiming } from '../hw/timing.ts';
import { AddressSpace } from '../mem/address-space.ts';
import { PdFaultTrap, type PdFault } from '../mem/fault.ts';
import type { Iommu } from '../mem/iommu.ts';
import type { RegionInstance } from '../mem/region.ts';
import type { PpcMessage } from './api.ts';
import type { ChannelConfig, IrqConfig } from './config.ts';
import { yieldingMmio } from './devices.ts';
import { eventsToItf, Recorder } from './events.ts';
import type { FaultInjector, RestartPolicy } from './faults.ts';
import { IrqController, type IrqLineInfo } from './irq.ts';
import { PdCore, type PdKernel } from './microkit.ts';
import { planSystem, type PdPlan, type PlanOptions, type SystemPlan } from './plan.ts';
import { Prng } from './prng.ts';

export type SchedulingMode = 'priority' | 'random';

export interface DeterministicOptions {
  readonly mode?: SchedulingMode;
  readonly seed?: number;
  /** Record events (off: nothing is recorded, no event object is built). */
  readonly record?: boolean;
  readonly faults?: FaultInjector;
  readonly restart?: Readonly<Record<string, RestartPolicy>>;
  /** Called when no PD is runnable: devices act; true when something may have become runnable. */
  readonly onIdle?: () => boolean;
  /**
   * A PD that has used up its scheduling budget for the current period is not eligible to run
   * (seL4 MCS: a thread whose scheduling context is depleted waits for its replenishment). The
   * runtime keeps no time; whoever models time answers, and onIdle moves time to a replenishment.
   */
  readonly eligible?: (pd: string) => boolean;
  /**
   * Devices in agent timing (impl/hw/agent.ts) that this scheduler drives (issue #14 part 3):
   * before every wake and every MMIO access a seeded choice lets them act, and when no PD is
   * runnable they finish what they owe one action at a time. Same seed, same run.
   */
  readonly deviceAgents?: DeviceTimingOptions;
}

export interface DeviceTimingOptions {
  readonly agents: readonly DeviceAgent[];
  /** Seed of the device choices (default: the scheduler's seed). */
  readonly seed?: number;
  /** Chance in 256ths that a yield point lets devices act (default 96). */
  readonly actPer256?: number;
  /** Most device actions at one yield point (default 3). */
  readonly maxBurst?: number;
  /** Spurious interrupts and notification suppression too (default true). */
  readonly hostile?: boolean;
}

export interface RunResult {
  /** `incomplete` when the step bound was hit with work left (never reported as finished). */
  readonly status: 'quiescent' | 'incomplete';
  readonly steps: number;
  readonly faults: readonly PdFault[];
}

type PdStatus = 'boot' | 'ready' | 'stopped';

/** Faults kept; later ones are counted only (a crash loop must not eat memory). */
export const MAX_RECORDED_FAULTS = 10_000;
/** Consecutive onIdle() calls that report device activity but make no PD runnable: a bound. */
export const MAX_IDLE_ROUNDS = 1000;

class Pd {
  /** Notification word, bits 0..31 and 32..61 (ids share 0..=61, microkit-sdf.md §1.3). */
  lo = 0;
  hi = 0;
  status: PdStatus = 'boot';
  wakes = 0;
  restarts = 0;
  /** Instances whose `init()` returned (what a restarted program is told: ComponentContext). */
  initsCompleted = 0;
  /** Injected duplicates: bits set again right after the PD's next wake. */
  duplicates: number[] = [];
  constructor(
    readonly plan: PdPlan,
    readonly core: PdCore,
  ) {}
  get name(): string {
    return this.plan.config.pd;
  }
  get priority(): number {
    return this.plan.config.priority;
  }
  runnable(): boolean {
    return this.status === 'boot' || (this.status === 'ready' && (this.lo | this.hi) !== 0);
  }
  /** Runnable and, unless booting, within its budget (DeterministicOptions.eligible). */
  schedulable(eligible: ((pd: string) => boolean) | undefined): boolean {
    if (!this.runnable()) return false;
    return this.status === 'boot' || eligible === undefined || eligible(this.plan.config.pd);
  }
}

export class DeterministicRuntime implements PdKernel {
  readonly mode: SchedulingMode;
  readonly seed: number;
  readonly irqs: IrqController;
  readonly rec: Recorder | null;
  readonly faults: PdFault[] = [];
  /** The device scheduler, when `deviceAgents` was given. */
  readonly deviceTiming: AdversarialTiming | null;
  faultCount = 0;
  steps = 0;
  private readonly pds: Pd[] = [];
  private readonly byName = new Map<string, Pd>();
  private readonly prng: Prng;
  private current: Pd | null = null;
  private limit = 0;
  /**
   * Per priority, the PD picked last at that priority (round robin within a priority, §1.6). One
   * shared cursor would let a higher-priority PD's turn reset it, so under load the first PD of a
   * priority would always win and its peers would starve.
   */
  private readonly lastPicked = new Map<number, number>();
  private readonly scratch: Pd[] = [];

  static create(
    model: SystemModel,
    options: PlanOptions & DeterministicOptions,
  ): { runtime?: DeterministicRuntime; errors: Diagnostic[] } {
    const { plan, errors } = planSystem(model, options);
    if (plan === undefined) return { errors };
    return { runtime: new DeterministicRuntime(plan, options), errors };
  }

  constructor(
    readonly plan: SystemPlan,
    private readonly options: DeterministicOptions = {},
  ) {
    this.mode = options.mode ?? 'priority';
    this.seed = options.seed ?? 0;
    this.prng = Prng.fromSeed(this.seed);
    this.rec = options.record === true ? new Recorder() : null;
    const dt = options.deviceAgents;
    this.deviceTiming =
      dt === undefined
        ? null
        : new AdversarialTiming(dt.agents, {
            seed: dt.seed ?? this.seed,
            ...(dt.actPer256 === undefined ? {} : { actPer256: dt.actPer256 }),
            ...(dt.maxBurst === undefined ? {} : { maxBurst: dt.maxBurst }),
            ...(dt.hostile === undefined ? {} : { hostile: dt.hostile }),
          });
    const timing = this.deviceTiming;
    const irqInfos: IrqLineInfo[] = [];
    for (const p of plan.pds) {
      // Adversarial timing: a device may act before any register access of a handler.
      const mappings =
        timing === null
          ? p.mappings
          : p.mappings.map((m) =>
              m.mmio === null ? m : { ...m, mmio: yieldingMmio(m.mmio, () => timing.yieldPoint()) },
            );
      const mem = new AddressSpace(p.config.pd, mappings);
      const pd = new Pd(p, new PdCore(p.config, mem, p.binding, this, this.rec));
      this.pds.push(pd);
      this.byName.set(pd.name, pd);
      for (const i of p.config.irqs)
        irqInfos.push({ irq: i.irq, pd: pd.name, ch: i.id, trigger: i.trigger });
    }
    this.irqs = new IrqController(
      irqInfos,
      (pd, ch) => this.setBit(this.pd(pd), ch),
      this.rec,
      options.faults ?? null,
    );
    if (this.rec !== null) observeDma(plan.iommu, this.rec);
    for (const pd of this.pds) pd.core.load();
    assert(this.pds.length === plan.pds.length, 'one runtime PD per planned PD');
  }

  get iommu(): Iommu {
    return this.plan.iommu;
  }

  region(name: string): RegionInstance {
    const r = this.plan.regions.get(name);
    assert(r !== undefined, `memory region '${name}' exists`);
    return r;
  }

  status(pd: string): {
    status: PdStatus;
    wakes: number;
    restarts: number;
    pendingLo: number;
    pendingHi: number;
  } {
    const p = this.pd(pd);
    return {
      status: p.status,
      wakes: p.wakes,
      restarts: p.restarts,
      pendingLo: p.lo,
      pendingHi: p.hi,
    };
  }

  /** Hook for emulated devices: stalled at the current step under the fault plan? */
  deviceStalled(device: string): boolean {
    return this.options.faults?.deviceStalled(device, this.steps) ?? false;
  }

  /** Run until nothing is runnable (and onIdle adds nothing), or `maxSteps` wakes. */
  run(bound: { maxSteps: number }): RunResult {
    assert(
      Number.isSafeInteger(bound.maxSteps) && bound.maxSteps > 0,
      `maxSteps is a positive integer, saw ${bound.maxSteps}`,
    );
    this.limit = this.steps + bound.maxSteps;
    const timing = this.deviceTiming;
    let idleRounds = 0;
    while (this.steps < this.limit) {
      timing?.yieldPoint();
      const p = this.pick(-1);
      if (p !== null) {
        idleRounds = 0;
        this.wake(p);
        continue;
      }
      // Nothing runnable: the devices finish what they owe, one seeded action at a time.
      const devicesActed = timing !== null && timing.idleStep();
      const onIdle = this.options.onIdle;
      if (!devicesActed && (onIdle === undefined || !onIdle())) {
        return { status: 'quiescent', steps: this.steps, faults: this.faults };
      }
      // Devices say they are busy but wake no PD: a bound like any other, so hitting it is
      // `incomplete`, never `quiescent`.
      if (++idleRounds >= MAX_IDLE_ROUNDS) {
        return { status: 'incomplete', steps: this.steps, faults: this.faults };
      }
    }
    const left = this.pds.some((p) => p.runnable()) || (timing?.busy() ?? false);
    return { status: left ? 'incomplete' : 'quiescent', steps: this.steps, faults: this.faults };
  }

  /** The recorded schedule as ITF (requires `record: true`). */
  traceItf(): Record<string, unknown> {
    assert(this.rec !== null, 'the runtime was created with record: true');
    return eventsToItf(this.rec.events, {
      seed: this.seed,
      mode: this.mode,
      system: this.plan.file,
    });
  }

  // --- PdKernel ------------------------------------------------------------------------------

  signal(from: PdCore, channel: ChannelConfig, deferred: boolean): void {
    const to = this.pd(channel.peer);
    if (this.rec !== null)
      this.rec.push({
        action: 'notify',
        pd: from.name,
        ch: channel.id,
        to: to.name,
        toCh: channel.peerId,
        deferred,
      });
    const fate = this.options.faults?.onNotify(to.name) ?? 'deliver';
    if (fate === 'drop') {
      if (this.rec !== null)
        this.rec.push({ action: 'inject', pd: to.name, what: `drop notify ${channel.peerId}` });
      return;
    }
    if (fate === 'duplicate') {
      if (this.rec !== null)
        this.rec.push({
          action: 'inject',
          pd: to.name,
          what: `duplicate notify ${channel.peerId}`,
        });
      to.duplicates.push(channel.peerId);
    }
    this.setBit(to, channel.peerId);
  }

  irqAck(_from: PdCore, irq: IrqConfig, deferred: boolean): void {
    this.irqs.ack(irq.irq, deferred);
  }

  ppcall(from: PdCore, channel: ChannelConfig, msg: PpcMessage): PpcMessage {
    const caller = this.pd(from.name);
    const callee = this.pd(channel.peer);
    // Checked at load (plan.ts); re-checked here because a wrong PPC would break run-to-completion.
    assert(
      callee.priority > caller.priority,
      `ppcall from '${caller.name}' goes to a strictly higher priority, saw ${caller.priority} -> ${callee.priority}`,
    );
    if (this.rec !== null)
      this.rec.push({ action: 'ppcall', pd: caller.name, ch: channel.id, to: callee.name });
    // The callee waits in Recv once it has run init; a callee not yet booted boots first.
    if (callee.status === 'boot') this.wake(callee);
    if (callee.status !== 'ready') {
      throw new PdFaultTrap({
        kind: 'blocked',
        pd: caller.name,
        vaddr: 0,
        access: 'none',
        lengthBytes: 0,
        message: `${caller.name}: ppcall to '${callee.name}', which is stopped: the caller blocks forever`,
      });
    }
    // Runs to completion on the caller's scheduling context (§1.5), at the callee's priority.
    const prev = this.current;
    this.current = callee;
    try {
      return callee.core.runProtected(channel.peerId, msg);
    } catch (e) {
      this.stop(callee, e);
      throw new PdFaultTrap({
        kind: 'blocked',
        pd: caller.name,
        vaddr: 0,
        access: 'none',
        lengthBytes: 0,
        message: `${caller.name}: callee '${callee.name}' faulted before replying: the caller blocks forever`,
      });
    } finally {
      this.current = prev;
    }
  }

  // --- scheduling ----------------------------------------------------------------------------

  private setBit(to: Pd, id: number): void {
    if (id < 32) to.lo = (to.lo | (1 << id)) >>> 0;
    else to.hi = (to.hi | (1 << (id - 32))) >>> 0;
    const cur = this.current;
    if (
      this.mode === 'priority' &&
      cur !== null &&
      to.priority > cur.priority &&
      to.status !== 'stopped'
    )
      this.runAbove(cur.priority);
  }

  /** Preemption: run every runnable PD of priority above `priority` before returning. */
  private runAbove(priority: number): void {
    // Bounded by the run's step limit; nesting depth by the 255 priority levels.
    while (this.steps < this.limit) {
      const p = this.pick(priority);
      if (p === null) return;
      this.wake(p);
    }
  }

  /** Next PD to run among those with priority above `minExclusive`. */
  private pick(minExclusive: number): Pd | null {
    const n = this.pds.length;
    if (this.mode === 'random') {
      this.scratch.length = 0;
      for (const p of this.pds)
        if (p.schedulable(this.options.eligible) && p.priority > minExclusive) this.scratch.push(p);
      if (this.scratch.length === 0) return null;
      return this.scratch[this.prng.below(this.scratch.length)]!;
    }
    let best = minExclusive;
    const eligible = this.options.eligible;
    for (const p of this.pds) if (p.priority > best && p.schedulable(eligible)) best = p.priority;
    if (best === minExclusive) return null;
    // Round robin within the priority: the first runnable after the last one picked there.
    const last = this.lastPicked.get(best) ?? -1;
    for (let k = 1; k <= n; k++) {
      const p = this.pds[(last + k + n) % n]!;
      if (p.priority === best && p.schedulable(eligible)) {
        this.lastPicked.set(best, p.plan.index);
        return p;
      }
    }
    return unreachablePick(best);
  }

  private wake(pd: Pd): void {
    assert(pd.runnable(), `PD '${pd.name}' is runnable when woken`);
    this.steps++;
    pd.wakes++;
    const prev = this.current;
    this.current = pd;
    try {
      if (pd.status === 'boot') {
        pd.status = 'ready';
        this.maybeCrash(pd);
        pd.core.runInit();
        pd.initsCompleted++;
      } else {
        const lo = pd.lo;
        const hi = pd.hi;
        pd.lo = 0;
        pd.hi = 0;
        this.maybeCrash(pd);
        pd.core.runNotified(lo, hi);
      }
    } catch (e) {
      this.stop(pd, e);
    } finally {
      this.current = prev;
    }
    if (pd.duplicates.length > 0) {
      const dups = pd.duplicates;
      pd.duplicates = [];
      for (const id of dups) this.setBit(pd, id);
    }
  }

  private maybeCrash(pd: Pd): void {
    if (this.options.faults?.crashAtWake(pd.name, pd.wakes) === true) {
      throw new PdFaultTrap({
        kind: 'injected',
        pd: pd.name,
        vaddr: 0,
        access: 'none',
        lengthBytes: 0,
        message: `${pd.name}: injected crash at wake ${pd.wakes}`,
      });
    }
  }

  /** The monitor: record the fault, stop only this PD, apply its restart policy. */
  private stop(pd: Pd, e: unknown): void {
    const fault: PdFault =
      e instanceof PdFaultTrap
        ? e.fault
        : {
            kind: 'exception',
            pd: pd.name,
            vaddr: 0,
            access: 'none',
            lengthBytes: 0,
            message: `${pd.name}: ${e instanceof Error ? e.message : String(e)}`,
          };
    assert(
      fault.pd === pd.name,
      `a fault of '${fault.pd}' is handled by its own PD, not '${pd.name}'`,
    );
    pd.core.abandon();
    pd.status = 'stopped';
    this.faultCount++;
    if (this.faults.length < MAX_RECORDED_FAULTS) this.faults.push(fault);
    if (this.rec !== null)
      this.rec.push({
        action: 'fault',
        pd: pd.name,
        kind: fault.kind,
        vaddr: fault.vaddr,
        message: fault.message,
      });
    const policy = this.options.restart?.[pd.name];
    if (policy !== undefined && pd.restarts < policy.maxRestarts) {
      // LionsOS §5.2: policy-independent state lives in shared memory, so a fresh program whose
      // init() re-attaches to it continues the service. Pending notification bits are kept too.
      pd.restarts++;
      pd.core.load(pd.initsCompleted);
      pd.status = 'boot';
      if (this.rec !== null)
        this.rec.push({ action: 'restart', pd: pd.name, restarts: pd.restarts });
    }
  }

  private pd(name: string): Pd {
    const p = this.byName.get(name);
    assert(p !== undefined, `PD '${name}' exists`);
    return p;
  }
}

function unreachablePick(priority: number): never {
  assert(false, `a runnable PD of priority ${priority} was found on the first pass`);
}

function observeDma(iommu: Iommu, rec: Recorder): void {
  iommu.observer = {
    dma: (device, ioAddr, lengthBytes, write) =>
      rec.push({
        action: 'dma',
        pd: device,
        ioAddr: `0x${ioAddr.toString(16)}`,
        lengthBytes,
        write,
      }),
    dmaFault: (f) =>
      rec.push({
        action: 'dma_fault',
        pd: f.device,
        ioAddr: `0x${f.ioAddr.toString(16)}`,
        reason: f.reason,
      }),
  };
}
