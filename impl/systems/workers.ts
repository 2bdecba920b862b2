// `runSystem` in worker mode (`sddf run --workers`): every PD in its own worker thread with only the
// regions it maps (impl/runtime/parallel.ts), the NIC and its traffic peer hosted in the driver's
// worker and the UART in the serial driver's (impl/runtime/hosted.ts), host time throughout. The
// timer's interrupt is raised by the main thread's poll from the shared generic-timer registers.
// Invariants are checked once the run is quiescent (mid-run snapshots would race the workers).
// Worker mode injects crashes only (the runtime's limit).

import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import { ParallelRuntime } from '../runtime/parallel.ts';
import { ComponentRegistry } from '../runtime/registry.ts';
import { SystemCounter } from '../components/net/clock.ts';
import { LWIP_TICK_NS } from '../clients/shell.ts';
import { GenericTimerRegs } from './standins/timer.ts';
import { ECHO_SERVER_NAMES } from './echo_server/wiring.ts';
import { echoBindings } from './echo_server/bindings.ts';
import { NetMonitor } from './monitors.ts';
import type { NicAgentParams } from './echo_server/devices.ts';
import {
  ECHO_PORT,
  MAX_CONSOLE_BYTES,
  NIC_MAC,
  counterPlan,
  defaultClientApi,
  prepareRun,
  report,
  trafficOptions,
  type RunSystemOptions,
  type RunSystemResult,
  type WireReport,
} from './run.ts';

const devicesUrl = new URL('./echo_server/devices.ts', import.meta.url).href;
/** Bound on a worker run: a run that does not reach quiescence in this time is `incomplete`. */
const DEFAULT_TIMEOUT_MS = 600_000;

export async function runSystemWorkers(
  options: RunSystemOptions & { readonly timeoutMs?: number },
): Promise<{ result?: RunSystemResult; errors: readonly Diagnostic[] }> {
  const prep = prepareRun(options);
  if (prep.model === undefined || prep.wiring === undefined) return { errors: prep.errors };
  if (options.deviceTiming !== undefined) {
    return {
      errors: [
        {
          code: 'RUN_WORKER_TIMING',
          message: 'device agent timing needs the deterministic scheduler: drop --workers',
        },
      ],
    };
  }
  const unsupported =
    options.faults !== undefined
      ? (options.faults.dropNotify?.length ?? 0) +
        (options.faults.duplicateNotify?.length ?? 0) +
        (options.faults.dropIrq?.length ?? 0)
      : 0;
  if (unsupported > 0) {
    return {
      errors: [
        {
          code: 'RUN_WORKER_FAULTS',
          message:
            'worker mode injects crashes only; dropped or duplicated notifications and IRQs need the deterministic mode',
        },
      ],
    };
  }
  const { model, wiring } = prep;
  const wall0 = performance.now();
  const u0 = process.cpuUsage();
  const names = ECHO_SERVER_NAMES;
  const counter = SystemCounter.create();
  counter.useHostClock();
  const timerRegs = GenericTimerRegs.create();
  const counters = counterPlan(wiring.nic);
  const clientApi = options.clientApi ?? defaultClientApi(wiring.clients.length);
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
  const registry = new ComponentRegistry();
  for (const [pd, b] of bindings) registry.register(pd, b);
  const driverPd = model.pds.find((p) => p.name === names.driver)!;
  const serialPd = model.pds.find((p) => p.name === names.serialDriver)!;
  const nicParams: NicAgentParams = {
    // Host time is slower and noisier than the model's: a longer reply timeout.
    traffic: trafficOptions(options, wiring, 5_000_000_000),
    mac: [...NIC_MAC],
    negotiation: options.negotiation ?? 'strict',
    ...(options.queueNumMax === undefined ? {} : { queueNumMax: options.queueNumMax }),
    pcap: options.pcap === true,
    systemCounter: counter.buffer,
  };
  const late: { rt?: ParallelRuntime } = {};
  const created = ParallelRuntime.create(model, {
    registry,
    restart:
      options.restart ??
      Object.fromEntries(model.pds.map((p) => [p.name, { maxRestarts: 8 }] as const)),
    ...(options.faults === undefined ? {} : { faults: options.faults }),
    hosted: {
      [names.driver]: [
        {
          mr: wiring.regsMr,
          moduleUrl: devicesUrl,
          exportName: wiring.nic === 'enet' ? 'enetWithPeer' : 'nicWithPeer',
          params: nicParams as unknown as Record<string, unknown>,
          dmaMrs: wiring.nicDmaRegions,
          ...(driverPd.irqs[0] === undefined ? {} : { irqId: driverPd.irqs[0].id }),
        },
      ],
      [names.serialDriver]: [
        {
          mr: wiring.uartMr,
          moduleUrl: devicesUrl,
          exportName: 'uartWithConsole',
          params: { maxConsoleBytes: MAX_CONSOLE_BYTES },
          dmaMrs: [],
          ...(serialPd.irqs[0] === undefined ? {} : { irqId: serialPd.irqs[0].id }),
        },
      ],
    },
    onPoll: () => {
      const irqs = late.rt?.irqs;
      if (irqs === undefined) return;
      if (timerRegs.asserted(counter.nowNs())) irqs.assertLine(wiring.timerIrq.irq);
      else irqs.deassertLine(wiring.timerIrq.irq);
    },
  });
  if (created.runtime === undefined) return { errors: created.errors };
  const rt = created.runtime;
  late.rt = rt;
  rt.irqs.attachLevelSource(wiring.timerIrq.irq, () => timerRegs.asserted(counter.nowNs()));
  const r = await rt.run({ timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  const elapsedNs = counter.nowNs();
  const monitor = new NetMonitor({
    wiring,
    region: (mr) => rt.region(mr).buffer!,
    names,
    hostile: new Set(clientApi.flatMap((a, i) => (a === 'hostile' ? [i] : []))),
    headerSlots: options.driver?.headerSlots ?? 'per-descriptor',
  });
  monitor.check();
  const nicResult = r.devices.get(names.driver)?.[0] as
    (WireReport & { pcap?: Uint8Array }) | undefined;
  const uartResult = r.devices.get(names.serialDriver)?.[0] as { console: string } | undefined;
  if (nicResult === undefined) {
    return {
      errors: [{ code: 'RUN_WORKERS', message: 'the driver worker did not report its NIC' }],
    };
  }
  const u = process.cpuUsage(u0);
  return {
    result: report({
      options,
      file: prep.file,
      wiring,
      wire: nicResult,
      counters,
      clientApi,
      monitor,
      faults: r.faults,
      faultCount: r.faults.length,
      restarts: Object.fromEntries(r.restarts),
      wakes: Object.fromEntries(r.wakes),
      complete: r.status === 'quiescent',
      elapsedNs,
      // Host time: no model of busy time; the workers' CPU is the process's CPU.
      activeBusyNs: (u.user + u.system) * 1000,
      console: uartResult?.console ?? '',
      wallMs: performance.now() - wall0,
      cpuMs: (u.user + u.system) / 1000,
      pcap: nicResult.pcap,
      mode: 'workers',
    }),
    errors: [],
  };
}
