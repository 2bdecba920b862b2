// `sddf run timer` and `sddf run i2c` (issue #13 parts 3, 4, 6): which device class a system
// belongs to, and the run and rendering of the timer and I²C systems. run.ts dispatches here before
// its echo-server path; the library does the work (impl/systems/timer/run.ts, impl/systems/i2c/run.ts).
import { basename, extname } from 'node:path';
import { formatDiagnostic, type Diagnostic } from '../../spec/common/diagnostic.ts';
import { loadSystemModel } from '../../impl/runtime/load.ts';
import { parseFaultSpec, type FaultScript } from '../../impl/runtime/faults.ts';
import { builtInSystemPath } from '../../impl/systems/index.ts';
import { runTimerSystem, type RunTimerResult } from '../../impl/systems/timer/run.ts';
import { runI2cSystem, type RunI2cResult } from '../../impl/systems/i2c/run.ts';
import { I2cRefinement } from '../../traces/refinement/i2c/checker.ts';
import { TimerRefinement } from '../../traces/refinement/timer/checker.ts';
import type { RefinementReport } from '../../traces/refinement/timer/recording.ts';
import {
  CliUsageError,
  EXIT_CANNOT_RUN,
  EXIT_FAILED,
  EXIT_OK,
  paint,
  parseFormat,
  parseIntOption,
  printJson,
  type Io,
} from '../output.ts';
import type { SetStatus } from './index.ts';

export type RunClass = 'timer' | 'i2c';

/** The class of a built-in name or a .system file this module runs, or null (the echo server). */
export function runClassOf(system: string): RunClass | null {
  if (system === 'timer' || system === 'i2c') return system;
  if (builtInSystemPath(system) !== undefined || !system.endsWith('.system')) return null;
  const { model } = loadSystemModel(system);
  if (model === undefined) return null; // the echo path reports the parse errors
  const stems = model.pds.map((p) => basename(p.programImage, extname(p.programImage)));
  if (stems.some((s) => s.includes('i2c'))) return 'i2c';
  // Only a timer driver has device access: a timer system (the echo server has a NIC driver too).
  const others = model.pds.filter((p, i) => stems[i] !== 'timer_driver');
  if (stems.includes('timer_driver') && others.every((p) => p.irqs.length === 0)) return 'timer';
  return null;
}

export interface ClassRunFlags {
  readonly seed: string;
  readonly format: string;
  readonly schedule: string;
  readonly rounds?: string;
  readonly checkRefinement?: boolean;
  readonly faults?: string;
  // Echo-server options: refused here rather than silently ignored.
  readonly workers?: boolean;
  readonly pcap?: string;
  readonly sweep?: string;
  readonly rate?: string;
  readonly window?: string;
  readonly nic?: string;
  readonly tickPoll?: boolean;
  readonly watchdogMs?: string;
}

function cannotRun(io: Io, errors: readonly Diagnostic[], setStatus: SetStatus): void {
  for (const e of errors) io.err(`sddf: ${formatDiagnostic(e)}`);
  setStatus(EXIT_CANNOT_RUN);
}

export function runClass(
  cls: RunClass,
  system: string,
  o: ClassRunFlags,
  io: Io,
  setStatus: SetStatus,
): void {
  const format = parseFormat(o.format, ['text', 'json']);
  const seed = parseIntOption('--seed', o.seed);
  if (o.schedule !== 'priority' && o.schedule !== 'random') {
    throw new CliUsageError(`--schedule must be priority or random (got '${o.schedule}')`);
  }
  const rounds = o.rounds === undefined ? undefined : parseIntOption('--rounds', o.rounds);
  const echoOnly = (
    [
      ['--workers', o.workers],
      ['--pcap', o.pcap],
      ['--sweep', o.sweep],
      ['--rate', o.rate],
      ['--window', o.window],
      ['--nic', o.nic],
      ['--tick-poll', o.tickPoll],
      ['--watchdog-ms', o.watchdogMs],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (echoOnly.length > 0) {
    throw new CliUsageError(
      `${echoOnly.map(([f]) => f).join(', ')}: for the echo server only (sddf run ${cls} takes --seed, --rounds, --schedule, --faults, --check-refinement, --format)`,
    );
  }
  let faults: FaultScript | undefined;
  if (o.faults !== undefined) {
    const parsed = parseFaultSpec(o.faults);
    if (parsed.script === undefined)
      throw new CliUsageError(parsed.errors.map((e) => formatDiagnostic(e)).join('\n'));
    faults = parsed.script;
  }
  switch (cls) {
    case 'timer': {
      const check = o.checkRefinement === true ? new TimerRefinement() : undefined;
      const { result, errors } = runTimerSystem({
        system,
        seed,
        schedule: o.schedule,
        ...(rounds === undefined ? {} : { rounds }),
        ...(faults === undefined ? {} : { faults }),
        ...(check === undefined ? {} : { wrapComponent: (pd, b) => check.wrap(pd, b) }),
      });
      if (result === undefined) return cannotRun(io, errors, setStatus);
      finish(io, format, result, check?.report(), renderTimer, setStatus);
      return;
    }
    case 'i2c': {
      const check = o.checkRefinement === true ? new I2cRefinement() : undefined;
      const { result, errors } = runI2cSystem({
        system,
        seed,
        schedule: o.schedule,
        ...(rounds === undefined ? {} : { rounds }),
        ...(faults === undefined ? {} : { faults }),
        ...(check === undefined ? {} : { wrapComponent: (pd, b) => check.wrap(pd, b) }),
      });
      if (result === undefined) return cannotRun(io, errors, setStatus);
      finish(io, format, result, check?.report(), renderI2c, setStatus);
      return;
    }
  }
}

function finish<R extends { readonly ok: boolean }>(
  io: Io,
  format: string,
  result: R,
  refinement: RefinementReport | undefined,
  render: (io: Io, r: R) => void,
  setStatus: SetStatus,
): void {
  const ok = result.ok && (refinement?.violations ?? 0) === 0;
  if (format === 'json')
    printJson(io, refinement === undefined ? result : { ...result, ok, refinement });
  else {
    render(io, result);
    if (refinement !== undefined) {
      io.out(
        `  refinement: ${refinement.checked} handlers checked against the spec, ${refinement.matched} matched, ${refinement.violations} violations`,
      );
      for (const v of refinement.kept.slice(0, 5)) {
        io.out(`  ${paint(io, 'red', 'diverged')} ${v.pd} ${v.handler} (execution ${v.execution})`);
        for (const d of v.differences) io.out(`      ${d.where}: impl ${d.impl}, spec ${d.spec}`);
      }
      io.out(
        refinement.violations === 0
          ? paint(io, 'green', 'ok: every checked handler is the spec step')
          : paint(io, 'red', `FAILED: ${refinement.violations} handlers diverged from the spec`),
      );
    }
  }
  setStatus(ok ? EXIT_OK : EXIT_FAILED);
}

function verdict(io: Io, ok: boolean, checks: number, violations: number, status: string): void {
  io.out(
    ok
      ? paint(io, 'green', `ok: ${checks} invariant checks, 0 violations`)
      : paint(io, 'red', `FAILED: ${violations} invariant violations, status ${status}`),
  );
}

function renderTimer(io: Io, r: RunTimerResult): void {
  io.out(`sddf run: ${r.system} (${r.mode}, seed ${r.seed})`);
  io.out(
    `  ${'client'.padEnd(8)} ${'period ns'.padStart(10)} ${'fired'.padStart(6)} ${'rounds'.padStart(6)} ${'spurious'.padStart(8)} ${'errors'.padStart(6)} ${'slack ns min..max'.padStart(18)}`,
  );
  for (const c of r.clients) {
    io.out(
      `  ${c.name.padEnd(8)} ${String(c.periodNs).padStart(10)} ${String(c.fired).padStart(6)} ${String(c.rounds).padStart(6)} ${String(c.spurious).padStart(8)} ${String(c.errorReplies).padStart(6)} ${`${c.minSlackNs}..${c.maxSlackNs}`.padStart(18)}`,
    );
  }
  const d = r.driver;
  io.out(
    `  driver: ${d['getTime']} GET_TIME, ${d['setTimeout']} SET_TIMEOUT, ${d['irqs']} IRQs, ${d['notified']} notifications, ${d['errors']} error replies; device: ${r.device.fired} alarms, ${r.device.errors} driver errors`,
  );
  io.out(`  virtual time ${(r.virtual.elapsedNs / 1e6).toFixed(3)} ms`);
  for (const f of r.faults.unexpected.slice(0, 5))
    io.out(`  fault ${f.pd}: ${f.kind}: ${f.message}`);
  for (const v of r.violations.slice(0, 10)) io.out(`  ${paint(io, 'red', 'violation')} ${v}`);
  verdict(io, r.ok, r.monitorChecks, r.invariantViolations, r.status);
}

function renderI2c(io: Io, r: RunI2cResult): void {
  io.out(`sddf run: ${r.system} (${r.mode}, seed ${r.seed})`);
  io.out(
    `  ${'client'.padEnd(14)} ${'device'.padEnd(12)} ${'transactions'.padStart(12)} ${'reads'.padStart(6)} ${'errors'.padStart(6)} ${'mismatches'.padStart(10)}`,
  );
  for (const c of r.clients) {
    const k = c.counters;
    io.out(
      `  ${c.name.padEnd(14)} ${c.device.padEnd(12)} ${String(k['transactions']).padStart(12)} ${String(k['reads']).padStart(6)} ${String(k['errors']).padStart(6)} ${String(k['mismatches']).padStart(10)}`,
    );
  }
  const v = r.virt;
  io.out(
    `  virt: ${v['committed']} transactions committed, ${v['deferred']} deferred, ${v['claims']} claims/releases (${v['claimsRefused']} refused), ${(v['refusedHeader'] ?? 0) + (v['refusedAddress'] ?? 0) + (v['refusedTransaction'] ?? 0)} requests refused`,
  );
  io.out(
    `  bus: ${r.bus.lists} token lists, ${r.bus.bytesWritten} bytes written, ${r.bus.bytesRead} read, ${r.bus.nacks} NACKs, ${r.bus.errors} driver errors`,
  );
  io.out(`  virtual time ${(r.virtual.elapsedNs / 1e6).toFixed(3)} ms`);
  for (const f of r.faults.unexpected.slice(0, 5))
    io.out(`  fault ${f.pd}: ${f.kind}: ${f.message}`);
  for (const x of r.violations.slice(0, 10)) io.out(`  ${paint(io, 'red', 'violation')} ${x}`);
  verdict(io, r.ok, r.monitorChecks, r.invariantViolations, r.status);
}
