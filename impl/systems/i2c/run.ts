// `runI2cSystem`: the I²C system, instantiated by the runtime from its .system file (built-in:
// i2c.system), with the emulated I²C controller (a DS3231 at 0x68 and an EEPROM at 0x50 on its
// bus) behind the driver's register region and the goldfish RTC behind the timer's (issue #13
// part 4). Everything `sddf run i2c` does is this function.
//
// Monitors: every transaction the virt commits to the driver queue is whole and its buffers lie
// inside a client's data region as the driver maps it (spec/components/i2c/invariants.ts, checked
// on each slice the virt appends); the ownership list names only clients; clients report what they
// saw (the RTC reads back what was set plus the time elapsed, never going back; the EEPROM returns
// what was written; refused claims are refused); the devices saw no driver error; no PD faulted.

import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import { transactionsProblem } from '../../../spec/components/i2c/invariants.ts';
import { I2C_CAPACITY } from '../../../spec/queue/i2c.ts';
import { U32 } from '../../../spec/queue/arith.ts';
import { Counters, readCounters } from '../../components/net/counters.ts';
import { wireI2cSystem, type I2cWiring } from '../../components/i2c/config.ts';
import { reqCommands } from '../../components/i2c/state.ts';
import { I2C_VIRT_COUNTERS, i2cVirtComponent } from '../../components/i2c/virt.ts';
import { I2C_DRIVER_COUNTERS, i2cDriver } from '../../drivers/i2c/driver.ts';
import { goldfishTimerDriver, TIMER_DRIVER_COUNTERS } from '../../drivers/timer/goldfish.ts';
import { I2C_CLIENT_COUNTERS, eepromClient, rtcClient } from '../../clients/i2c.ts';
import { VirtualClock } from '../../hw/clock.ts';
import { Ds3231 } from '../../hw/ds3231.ts';
import { GoldfishTimer } from '../../hw/goldfish_timer.ts';
import { I2cController, I2cRegisterFile } from '../../hw/i2c.ts';
import type { PdFault } from '../../mem/fault.ts';
import type { MmioDevice } from '../../mem/types.ts';
import type { Component, ComponentFactory } from '../../runtime/api.ts';
import { DeterministicRuntime } from '../../runtime/deterministic.ts';
import { ScriptedFaults, type FaultScript } from '../../runtime/faults.ts';
import { loadSystemModel } from '../../runtime/load.ts';
import { ComponentRegistry, type ComponentBinding } from '../../runtime/registry.ts';
import { builtInSystemPath } from '../index.ts';

export const I2C_SYSTEM = 'i2c';
export const DEFAULT_I2C_ROUNDS = 6;

export interface RunI2cOptions {
  readonly system?: string;
  readonly seed: number;
  /** Reads per client (default 6). */
  readonly rounds?: number;
  readonly schedule?: 'priority' | 'random';
  readonly faults?: FaultScript;
  readonly wakeNs?: number;
  /** Tests: replace a PD's binding (a hostile client, a seeded virt). */
  readonly rebind?: (pd: string, binding: ComponentBinding) => ComponentBinding;
  /** An observer wraps a PD's component (traces/refinement/i2c). */
  readonly wrapComponent?: (pd: string, binding: ComponentBinding) => ComponentFactory;
  readonly maxSteps?: number;
}

export interface I2cClientReport {
  readonly name: string;
  readonly device: string;
  readonly counters: Record<string, number>;
}

export interface RunI2cResult {
  readonly ok: boolean;
  readonly system: string;
  readonly mode: 'deterministic';
  readonly seed: number;
  readonly status: 'complete' | 'incomplete';
  readonly clients: readonly I2cClientReport[];
  readonly virt: Record<string, number>;
  readonly driver: Record<string, number>;
  readonly timer?: Record<string, number>;
  readonly bus: {
    readonly lists: number;
    readonly bytesWritten: number;
    readonly bytesRead: number;
    readonly nacks: number;
    readonly errors: number;
  };
  readonly invariantViolations: number;
  readonly violations: readonly string[];
  readonly monitorChecks: number;
  readonly faults: { readonly injected: number; readonly unexpected: readonly PdFault[] };
  readonly virtual: { readonly elapsedNs: number };
  readonly times: { readonly wallMs: number };
}

export function resolveI2cSystem(system: string | undefined): string {
  const s = system ?? I2C_SYSTEM;
  return builtInSystemPath(s) ?? s;
}

const isRtc = (pd: string, image: string) => pd.includes('ds3231') || image.includes('ds3231');

export function runI2cSystem(options: RunI2cOptions): {
  result?: RunI2cResult;
  errors: readonly Diagnostic[];
  wiring?: I2cWiring;
} {
  const wall0 = performance.now();
  const rounds = options.rounds ?? DEFAULT_I2C_ROUNDS;
  if (!Number.isSafeInteger(rounds) || rounds < 0 || rounds > 10_000)
    return { errors: [{ code: 'RUN_OPTIONS', message: 'rounds must be an integer in 0..10000' }] };
  const file = resolveI2cSystem(options.system);
  const { model, errors } = loadSystemModel(file);
  if (model === undefined) return { errors };
  const wired = wireI2cSystem(model);
  if (wired.wiring === undefined) return { errors: wired.errors };
  const w = wired.wiring;
  const wakeNs = BigInt(options.wakeNs ?? 2000);

  const clock = new VirtualClock();
  const late: { rt?: DeterministicRuntime } = {};
  const levelTo = (irq: number, trigger: string) => (up: boolean) => {
    const irqs = late.rt?.irqs;
    if (irqs === undefined) return;
    if (!up) irqs.deassertLine(irq);
    else if (trigger === 'edge') irqs.pulse(irq);
    else irqs.assertLine(irq);
  };
  const drvIrq = model.pds.find((p) => p.name === w.driver)!.irqs[0]!;
  const controller = new I2cController({
    name: w.regsMr,
    onIrqLevel: levelTo(drvIrq.irq, drvIrq.trigger),
  });
  const rtc = new Ds3231({ clock });
  const eeprom = new I2cRegisterFile(0x50);
  controller.attach(rtc);
  controller.attach(eeprom);
  const timerIrq =
    w.timer === undefined ? undefined : model.pds.find((p) => p.name === w.timer!.pd)!.irqs[0]!;
  const goldfish =
    w.timer === undefined || timerIrq === undefined
      ? undefined
      : new GoldfishTimer({
          name: w.timer.pd,
          clock,
          onIrqLevel: levelTo(timerIrq.irq, timerIrq.trigger),
        });

  const virtCounters = Counters.buffer(I2C_VIRT_COUNTERS.length);
  const driverCounters = Counters.buffer(I2C_DRIVER_COUNTERS.length);
  const timerCounters = Counters.buffer(TIMER_DRIVER_COUNTERS.length);
  const clientCounters = new Map(
    w.virtConfig.clients.map((c) => [c.pd, Counters.buffer(I2C_CLIENT_COUNTERS.length)]),
  );
  const violations: string[] = [];
  let violationCount = 0;
  let checks = 0;
  const violate = (m: string): void => {
    violationCount++;
    if (violations.length < 64) violations.push(m);
  };

  // The monitor on what the virt appends to the driver queue (between wakes, no PD mid-handler).
  const clientsSpec = w.virtConfig.clients.map((c) => ({
    dataVaddr: c.dataVaddr,
    dataSizeBytes: c.dataSizeBytes,
    driverDataVaddr: c.driverDataVaddr,
  }));
  let lastTail = 0;
  const checkDriverQueue = (): void => {
    const rt = late.rt;
    if (rt === undefined) return;
    const region = rt.region(
      model.pds
        .find((p) => p.name === w.driver)!
        .maps.find((m) => Number(m.vaddr) === w.driverConfig.reqVaddr)!.mr,
    );
    const words = new Uint32Array(region.buffer!, 0, 3);
    const tail = Atomics.load(words, 1);
    if (tail === lastTail) return;
    checks++;
    const added = reqCommands(region.buffer!, 0, I2C_CAPACITY, lastTail, tail);
    if (U32.sub(tail, lastTail) > I2C_CAPACITY)
      violate(`driver queue tail jumped by ${U32.sub(tail, lastTail)}`);
    const bad = transactionsProblem(added, clientsSpec);
    if (bad !== null) violate(`virt → driver: ${bad}`);
    lastTail = tail;
  };

  const charge = (): void => {
    clock.advanceByNs(wakeNs);
    goldfish?.poll();
  };
  // Every wake of the virt is followed by the check of what it appended (no PD is mid-handler
  // then, and the driver cannot have reused those slots yet).
  const timed =
    (pd: string, f: ComponentFactory): ComponentFactory =>
    (ctx) => {
      const c = f(ctx);
      const after = (): void => {
        if (pd === w.virt) checkDriverQueue();
        charge();
      };
      const out: Component = {
        init: () => {
          c.init();
          after();
        },
        notified: (ch) => {
          c.notified(ch);
          after();
        },
      };
      if (c.protected !== undefined) out.protected = c.protected.bind(c);
      return out;
    };

  const url = (rel: string) => new URL(rel, import.meta.url).href;
  const bindings = new Map<string, ComponentBinding>();
  bindings.set(w.virt, {
    factory: i2cVirtComponent,
    moduleUrl: url('../../components/i2c/virt.ts'),
    exportName: 'i2cVirtComponent',
    params: { config: w.virtConfig, counters: virtCounters },
  });
  bindings.set(w.driver, {
    factory: i2cDriver,
    moduleUrl: url('../../drivers/i2c/driver.ts'),
    exportName: 'i2cDriver',
    params: { config: w.driverConfig, counters: driverCounters },
  });
  if (w.timer !== undefined) {
    bindings.set(w.timer.pd, {
      factory: goldfishTimerDriver,
      moduleUrl: url('../../drivers/timer/goldfish.ts'),
      exportName: 'goldfishTimerDriver',
      params: { regsMr: w.timer.regsMr, counters: timerCounters },
    });
  }
  const devices: Record<string, string> = {};
  for (const c of w.virtConfig.clients) {
    const pd = model.pds.find((p) => p.name === c.pd)!;
    const rtcOne = isRtc(pd.name, pd.programImage);
    devices[c.pd] = rtcOne ? 'ds3231@0x68' : 'eeprom@0x50';
    bindings.set(c.pd, {
      factory: rtcOne ? rtcClient : eepromClient,
      moduleUrl: url('../../clients/i2c.ts'),
      exportName: rtcOne ? 'rtcClient' : 'eepromClient',
      params: { config: w.clientConfigs.get(c.pd)!, rounds, counters: clientCounters.get(c.pd)! },
    });
  }
  // Any other PD (none in the built-in system) gets an idle program.
  const registry = new ComponentRegistry();
  registry.fallback({ factory: () => ({ init() {}, notified() {} }) });
  for (const [pd, original] of bindings) {
    const b = options.rebind === undefined ? original : options.rebind(pd, original);
    const f = options.wrapComponent?.(pd, b) ?? b.factory;
    registry.register(pd, { ...b, factory: timed(pd, f) });
  }

  const onIdle = (): boolean => {
    checkDriverQueue();
    const due = goldfish?.nextDeadlineNs() ?? null;
    if (due === null) return false;
    if (due > clock.nowNs()) clock.advanceToNs(due);
    goldfish!.poll();
    return true;
  };
  const mmio = new Map<string, MmioDevice>([[w.regsMr, controller]]);
  if (goldfish !== undefined) mmio.set(w.timer!.regsMr, goldfish);
  const created = DeterministicRuntime.create(model, {
    registry,
    mmio,
    mode: options.schedule ?? 'priority',
    seed: options.seed,
    onIdle,
    ...(options.faults === undefined ? {} : { faults: new ScriptedFaults(options.faults) }),
  });
  if (created.runtime === undefined) return { errors: created.errors };
  const rt = created.runtime;
  late.rt = rt;
  rt.irqs.attachLevelSource(drvIrq.irq, () => controller.irqAsserted());
  if (goldfish !== undefined && timerIrq !== undefined)
    rt.irqs.attachLevelSource(timerIrq.irq, () => goldfish.irqAsserted());
  const r = rt.run({ maxSteps: options.maxSteps ?? 400 * (rounds + 2) + 10_000 });
  checkDriverQueue();

  const clients: I2cClientReport[] = w.virtConfig.clients.map((c) => ({
    name: c.pd,
    device: devices[c.pd]!,
    counters: readCounters(I2C_CLIENT_COUNTERS, clientCounters.get(c.pd)!),
  }));
  for (const c of clients) {
    const k = c.counters;
    checks++;
    if ((k['mismatches'] ?? 0) > 0)
      violate(`${c.name}: ${k['mismatches']} reads did not match (${c.device})`);
    if (options.faults === undefined) {
      if (k['done'] !== 1 || k['claimed'] !== 1 || k['released'] !== 1)
        violate(
          `${c.name}: did not finish (claimed ${k['claimed']}, reads ${k['reads']}/${rounds}, released ${k['released']})`,
        );
      if ((k['errors'] ?? 0) > 0) violate(`${c.name}: ${k['errors']} error responses`);
      if (c.device.startsWith('eeprom') && k['expectedRefusals'] !== 2)
        violate(`${c.name}: a claim that must be refused was granted`);
    }
  }
  const busErrors = controller.errorCount + rtc.errorCount;
  if (busErrors > 0)
    violate(
      `devices recorded ${busErrors} driver errors: ${[...controller.errors, ...rtc.errors].slice(0, 3).join('; ')}`,
    );
  const unexpected = rt.faults.filter((f) => f.kind !== 'injected');
  const complete = r.status === 'quiescent';
  const ok = violationCount === 0 && unexpected.length === 0 && complete;
  return {
    wiring: w,
    result: {
      ok,
      system:
        builtInSystemPath(options.system ?? I2C_SYSTEM) === undefined
          ? file
          : (options.system ?? I2C_SYSTEM),
      mode: 'deterministic',
      seed: options.seed,
      status: complete ? 'complete' : 'incomplete',
      clients,
      virt: readCounters(I2C_VIRT_COUNTERS, virtCounters),
      driver: readCounters(I2C_DRIVER_COUNTERS, driverCounters),
      ...(w.timer === undefined
        ? {}
        : { timer: readCounters(TIMER_DRIVER_COUNTERS, timerCounters) }),
      bus: { ...controller.stats, errors: busErrors },
      invariantViolations: violationCount,
      violations,
      monitorChecks: checks,
      faults: { injected: rt.faults.length - unexpected.length, unexpected },
      virtual: { elapsedNs: Number(clock.nowNs()) },
      times: { wallMs: Math.round(performance.now() - wall0) },
    },
    errors: [],
  };
}
