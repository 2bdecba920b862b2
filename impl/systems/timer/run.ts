// `runTimerSystem`: the timer system, instantiated by the runtime from its .system file (built-in:
// timer.system), with the goldfish RTC on a virtual clock behind the driver's register region and
// periodic clients (issue #13 part 3). Everything `sddf run timer` does is this function.
//
// Time is a model: every wake costs `wakeNs` and every protected call `ppcNs`, charged when it
// returns; when no PD is runnable the clock jumps to the armed alarm. Monitors (spec predicates of
// spec/components/timer.ts): every GET_TIME reply, across all clients, is ≥ the one before; each
// client's timeouts fire, never early, never twice (a notification with nothing pending is
// spurious); no error replies to honest clients; the device saw no driver error.

import { basename, extname } from 'node:path';
import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import {
  SDDF_TIMER_GET_TIME,
  TIMER_REPLY_OK,
  timeMonotonicProblem,
  timeoutEarlyProblem,
} from '../../../spec/components/timer.ts';
import type { ProtectionDomain, SystemModel } from '../../../spec/system/model.ts';
import { Counters, readCounters } from '../../components/net/counters.ts';
import {
  TIMER_DRIVER_COUNTERS,
  goldfishTimerDriver,
  type GoldfishTimerDriverParams,
} from '../../drivers/timer/goldfish.ts';
import {
  TIMER_LOG_HEADER_WORDS,
  periodicTimerClient,
  timerLogBuffer,
} from '../../clients/timer_periodic.ts';
import { VirtualClock } from '../../hw/clock.ts';
import { GoldfishTimer } from '../../hw/goldfish_timer.ts';
import type { PdFault } from '../../mem/fault.ts';
import type { MmioDevice } from '../../mem/types.ts';
import type { Component, ComponentFactory } from '../../runtime/api.ts';
import { DeterministicRuntime } from '../../runtime/deterministic.ts';
import { ScriptedFaults, type FaultScript } from '../../runtime/faults.ts';
import { loadSystemModel } from '../../runtime/load.ts';
import { ComponentRegistry, type ComponentBinding } from '../../runtime/registry.ts';
import { builtInSystemPath } from '../index.ts';

export const TIMER_SYSTEM = 'timer';
/** Periods of the clients, by index (cycled): unequal, so deadlines interleave. */
export const DEFAULT_PERIODS_NS: readonly number[] = [1_000_000, 2_500_000, 700_000];
export const DEFAULT_ROUNDS = 20;

export interface RunTimerOptions {
  /** `timer` (built-in) or a .system path. */
  readonly system?: string;
  readonly seed: number;
  /** Timeouts each client waits for (default 20). */
  readonly rounds?: number;
  readonly periodsNs?: readonly number[];
  readonly wakeNs?: number;
  readonly ppcNs?: number;
  readonly schedule?: 'priority' | 'random';
  readonly faults?: FaultScript;
  readonly driver?: Omit<GoldfishTimerDriverParams, 'counters' | 'regsMr'>;
  /** Tests: replace a PD's binding (e.g. a hostile client). */
  readonly rebind?: (pd: string, binding: ComponentBinding) => ComponentBinding;
  /** An observer wraps a PD's component (the online refinement check of traces/refinement/timer). */
  readonly wrapComponent?: (pd: string, binding: ComponentBinding) => ComponentFactory;
  readonly maxSteps?: number;
}

export interface TimerClientReport {
  readonly name: string;
  readonly periodNs: number;
  readonly rounds: number;
  readonly fired: number;
  readonly spurious: number;
  readonly errorReplies: number;
  /** Smallest (fired − set − period) over the rounds: ≥ 0 unless a timeout was early. */
  readonly minSlackNs: number;
  readonly maxSlackNs: number;
}

export interface RunTimerResult {
  readonly ok: boolean;
  readonly system: string;
  readonly mode: 'deterministic';
  readonly seed: number;
  readonly status: 'complete' | 'incomplete';
  readonly clients: readonly TimerClientReport[];
  readonly driver: Record<string, number>;
  readonly device: { readonly fired: number; readonly errors: number };
  readonly invariantViolations: number;
  readonly violations: readonly string[];
  readonly monitorChecks: number;
  readonly faults: { readonly injected: number; readonly unexpected: readonly PdFault[] };
  readonly virtual: { readonly elapsedNs: number };
  readonly times: { readonly wallMs: number };
}

/** What the run needs from the .system file: the driver PD, its registers, IRQ and clients. */
export interface TimerWiring {
  readonly driver: string;
  readonly regsMr: string;
  readonly irq: number;
  readonly clients: readonly string[];
}

function stem(path: string): string {
  return basename(path, extname(path));
}

/** Find the timer driver and its clients; a system that cannot run says exactly why. */
export function wireTimerSystem(model: SystemModel): {
  wiring?: TimerWiring;
  errors: Diagnostic[];
} {
  const at = (pd: ProtectionDomain) => ({
    file: pd.loc.file,
    line: pd.loc.line,
    column: pd.loc.column,
  });
  const drivers = model.pds.filter((p) => stem(p.programImage) === 'timer_driver');
  if (drivers.length !== 1) {
    return {
      errors: [
        {
          code: 'RUN_TIMER_WIRING',
          file: model.file,
          message: `a timer system has one PD running timer_driver.elf (found ${drivers.length})`,
        },
      ],
    };
  }
  const d = drivers[0]!;
  const regs = d.maps.filter(
    (m) => model.memoryRegions.find((r) => r.name === m.mr)?.physAddr !== undefined,
  );
  if (regs.length !== 1 || d.irqs.length !== 1) {
    return {
      errors: [
        {
          code: 'RUN_TIMER_DEVICE',
          ...at(d),
          message:
            regs.length === 0
              ? `PD '${d.name}' maps no device registers: its timer is the ARM generic timer (system registers, IRQ ${d.irqs[0]?.irq ?? '?'}), which sddf-model does not emulate; the goldfish RTC stands in only for a memory-mapped timer (use the built-in 'timer' system)`
              : `PD '${d.name}' must map exactly one device register region and have one IRQ (maps ${regs.length}, IRQs ${d.irqs.length})`,
        },
      ],
    };
  }
  const clients: string[] = [];
  for (const c of model.channels) {
    const [a, b] = c.ends;
    const other = a.pd === d.name ? b : b.pd === d.name ? a : null;
    if (other !== null) clients.push(other.pd);
  }
  if (clients.length === 0) {
    return {
      errors: [
        { code: 'RUN_TIMER_WIRING', ...at(d), message: `no client has a channel to '${d.name}'` },
      ],
    };
  }
  return {
    wiring: { driver: d.name, regsMr: regs[0]!.mr, irq: d.irqs[0]!.irq, clients },
    errors: [],
  };
}

export function resolveTimerSystem(system: string | undefined): string {
  const s = system ?? TIMER_SYSTEM;
  return builtInSystemPath(s) ?? s;
}

/** Run the timer system; errors (exit 2) are located diagnostics. */
export function runTimerSystem(options: RunTimerOptions): {
  result?: RunTimerResult;
  errors: readonly Diagnostic[];
} {
  const wall0 = performance.now();
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  if (!Number.isSafeInteger(rounds) || rounds < 0 || rounds > 100_000)
    return { errors: [{ code: 'RUN_OPTIONS', message: 'rounds must be an integer in 0..100000' }] };
  const file = resolveTimerSystem(options.system);
  const { model, errors } = loadSystemModel(file);
  if (model === undefined) return { errors };
  const wired = wireTimerSystem(model);
  if (wired.wiring === undefined) return { errors: wired.errors };
  const w = wired.wiring;
  const periods = options.periodsNs ?? DEFAULT_PERIODS_NS;
  const wakeNs = BigInt(options.wakeNs ?? 1000);
  const ppcNs = BigInt(options.ppcNs ?? 400);

  const clock = new VirtualClock();
  const late: { rt?: DeterministicRuntime } = {};
  const irqInfo = model.pds.find((p) => p.name === w.driver)!.irqs[0]!;
  const device = new GoldfishTimer({
    name: w.driver,
    clock,
    onIrqLevel: (up) => {
      const irqs = late.rt?.irqs;
      if (irqs === undefined) return;
      if (!up) irqs.deassertLine(irqInfo.irq);
      else if (irqInfo.trigger === 'edge') irqs.pulse(irqInfo.irq);
      else irqs.assertLine(irqInfo.irq);
    },
  });
  const driverCounters = Counters.buffer(TIMER_DRIVER_COUNTERS.length);
  const logs = w.clients.map(() => timerLogBuffer(rounds));
  const violations: string[] = [];
  let checks = 0;
  const violate = (m: string): void => {
    if (violations.length < 64) violations.push(m);
  };

  // Time passes as PDs run: charged when a handler returns, then the device's line is re-polled.
  const charge = (ns: bigint): void => {
    clock.advanceByNs(ns);
    device.poll();
  };
  let lastTime = -1n;
  let violationCount = 0;
  const timed =
    (pd: string, f: ComponentFactory): ComponentFactory =>
    (ctx) => {
      const c = f(ctx);
      const out: Component = {
        init: () => {
          c.init();
          charge(wakeNs);
        },
        notified: (ch) => {
          c.notified(ch);
          charge(wakeNs);
        },
      };
      if (c.protected !== undefined) {
        const prot = c.protected.bind(c);
        out.protected = (ch, msg) => {
          const r = prot(ch, msg);
          // The global monitor: every time the driver hands out is ≥ the last one.
          if (pd === w.driver && msg.label === SDDF_TIMER_GET_TIME && r.label === TIMER_REPLY_OK) {
            checks++;
            const now = r.words[0] ?? 0n;
            const bad = lastTime < 0n ? null : timeMonotonicProblem(lastTime, now);
            if (bad !== null) {
              violationCount++;
              violate(`${pd}: ${bad}`);
            }
            lastTime = now;
          }
          charge(ppcNs);
          return r;
        };
      }
      return out;
    };

  const registry = new ComponentRegistry();
  const bindings = new Map<string, ComponentBinding>();
  bindings.set(w.driver, {
    factory: goldfishTimerDriver,
    moduleUrl: new URL('../../drivers/timer/goldfish.ts', import.meta.url).href,
    exportName: 'goldfishTimerDriver',
    params: { regsMr: w.regsMr, counters: driverCounters, ...(options.driver ?? {}) },
  });
  w.clients.forEach((c, i) =>
    bindings.set(c, {
      factory: periodicTimerClient,
      moduleUrl: new URL('../../clients/timer_periodic.ts', import.meta.url).href,
      exportName: 'periodicTimerClient',
      params: {
        periodNs: periods[i % periods.length]!,
        rounds,
        timerPd: w.driver,
        replaceFirst: i % 2 === 1,
        log: logs[i]!,
      },
    }),
  );
  for (const [pd, original] of bindings) {
    const b = options.rebind === undefined ? original : options.rebind(pd, original);
    const f = options.wrapComponent?.(pd, b) ?? b.factory;
    registry.register(pd, { ...b, factory: timed(pd, f) });
  }

  const onIdle = (): boolean => {
    const due = device.nextDeadlineNs();
    if (due === null) return false;
    if (due > clock.nowNs()) clock.advanceToNs(due);
    device.poll();
    return true;
  };
  const created = DeterministicRuntime.create(model, {
    registry,
    mmio: new Map<string, MmioDevice>([[w.regsMr, device]]),
    mode: options.schedule ?? 'priority',
    seed: options.seed,
    onIdle,
    ...(options.faults === undefined ? {} : { faults: new ScriptedFaults(options.faults) }),
  });
  if (created.runtime === undefined) return { errors: created.errors };
  const rt = created.runtime;
  late.rt = rt;
  rt.irqs.attachLevelSource(irqInfo.irq, () => device.irqAsserted());
  const maxSteps = options.maxSteps ?? 50 * rounds * w.clients.length + 10_000;
  const r = rt.run({ maxSteps });

  const clients = w.clients.map((name, i) =>
    clientReport(name, periods[i % periods.length]!, rounds, logs[i]!, (m) => {
      violationCount++;
      violate(m);
    }),
  );
  checks += clients.reduce((s, c) => s + c.fired, 0);
  const unexpected = rt.faults.filter((f) => f.kind !== 'injected');
  const complete = r.status === 'quiescent';
  const ok =
    violationCount === 0 &&
    unexpected.length === 0 &&
    device.errorCount === 0 &&
    complete &&
    (options.faults !== undefined ||
      clients.every((c) => c.fired === rounds && c.spurious === 0 && c.errorReplies === 0));
  return {
    result: {
      ok,
      system:
        builtInSystemPath(options.system ?? TIMER_SYSTEM) === undefined
          ? file
          : (options.system ?? TIMER_SYSTEM),
      mode: 'deterministic',
      seed: options.seed,
      status: complete ? 'complete' : 'incomplete',
      clients,
      driver: readCounters(TIMER_DRIVER_COUNTERS, driverCounters),
      device: { fired: device.firedCount, errors: device.errorCount },
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

/** Check one client's log with the spec's predicates. */
function clientReport(
  name: string,
  periodNs: number,
  rounds: number,
  buffer: SharedArrayBuffer,
  violate: (m: string) => void,
): TimerClientReport {
  const log = new BigUint64Array(buffer);
  const fired = Number(log[0]);
  let minSlack = Number.POSITIVE_INFINITY;
  let maxSlack = 0;
  let prev = 0n;
  for (let r = 0; r < fired; r++) {
    const setAt = log[TIMER_LOG_HEADER_WORDS + 3 * r]!;
    const rel = log[TIMER_LOG_HEADER_WORDS + 3 * r + 1]!;
    const firedAt = log[TIMER_LOG_HEADER_WORDS + 3 * r + 2]!;
    const early = timeoutEarlyProblem({ setAtNs: setAt, relativeNs: rel, firedAtNs: firedAt });
    if (early !== null) violate(`${name} round ${r}: ${early}`);
    for (const t of [setAt, firedAt]) {
      const back = timeMonotonicProblem(prev, t);
      if (back !== null) violate(`${name} round ${r}: ${back}`);
      prev = t;
    }
    const slack = Number(firedAt - setAt - rel);
    minSlack = Math.min(minSlack, slack);
    maxSlack = Math.max(maxSlack, slack);
  }
  const spurious = Number(log[1]);
  if (spurious > 0) violate(`${name}: ${spurious} notification(s) with no timeout pending`);
  return {
    name,
    periodNs,
    rounds,
    fired,
    spurious,
    errorReplies: Number(log[2]),
    minSlackNs: fired === 0 ? 0 : minSlack,
    maxSlackNs: maxSlack,
  };
}
