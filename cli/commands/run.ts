// `sddf run SYSTEM [--nic virtio|enet] [--packets N] [--seed S] [--workers] [--faults SPEC] [--pcap FILE]
//  [--rate R | --sweep FROM:TO:STEPS] [--check-refinement] [--format json]` (../shared/CLI.md):
// parse, call the library (impl/systems/run.ts, sweep.ts, workers.ts; the online refinement check
// of traces/refinement/net), render. Exit 0 when the run holds (no invariant violation, no
// unexpected fault, every expected answer in a closed-loop run, and with --check-refinement no
// handler that diverged from the spec), 1 when it does not, 2 when it cannot run.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatDiagnostic, type Diagnostic } from '../../spec/common/diagnostic.ts';
import { parseFaultSpec } from '../../impl/runtime/faults.ts';
import {
  resultJson,
  runSystem,
  type RunSystemOptions,
  type RunSystemResult,
} from '../../impl/systems/run.ts';
import { parseSweep, runSweep, type SweepResult } from '../../impl/systems/sweep.ts';
import { runSystemWorkers } from '../../impl/systems/workers.ts';
import { NetRefinement, type NetRefinementReport } from '../../traces/refinement/net/checker.ts';
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
import { isBlkSystem, runBlkCommand } from './run-blk.ts';
import { runClass, runClassOf } from './run-class.ts';

interface RunFlags {
  packets: string;
  seed: string;
  workers?: boolean;
  pcap?: string;
  format: string;
  rate?: string;
  sweep?: string;
  window?: string;
  faults?: string;
  txWait: string;
  watchdogMs?: string;
  checkRefinement?: boolean;
  schedule: string;
  tickPoll?: boolean;
  nic?: string;
  quiet?: boolean;
  image?: string;
  rounds?: string;
  input?: string;
  lines?: string;
}

export function registerRun(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('run')
    .description('run an emulated system under traffic and check its invariants')
    .argument(
      '[system]',
      'built-in system (echo_server, alias echo; blk; serial; timer; i2c) or a .system file',
      'echo_server',
    )
    .option('--packets <n>', 'requests the traffic generator sends', '10000')
    .option('--seed <n>', 'seed of the traffic and the scheduler', '1')
    .option('--workers', 'every PD in its own worker thread (host time)')
    .option('--pcap <file>', 'write the wire traffic as a pcap file')
    .option('--format <format>', 'text or json', 'text')
    .option('--rate <pps>', 'open loop: requests per second (virtual time)')
    .option('--sweep <from:to:steps>', 'a load sweep over offered rates (deterministic)')
    .option('--window <n>', 'closed loop: requests in flight (default 32)')
    .option('--faults <spec>', 'crash:PD@N, drop-notify:PD@N, dup-notify:PD@N, drop-irq:IRQ@N')
    .option(
      '--tx-wait <mode>',
      'clients wait for Tx buffers: native (signal) or lwip (timer)',
      'native',
    )
    .option('--watchdog-ms <ms>', 'driver watchdog period (virtual ms)')
    .option(
      '--schedule <kind>',
      'deterministic scheduler: priority (seL4 on one core) or random (a seeded choice)',
      'priority',
    )
    .option('--tick-poll', 'clients also poll their queues on the lwIP timer tick')
    .option(
      '--check-refinement',
      'check every handler of the virtio driver, virt_tx, virt_rx and the copiers against the spec (deterministic)',
    )
    .option(
      '--nic <nic>',
      'the NIC and its driver: virtio (default) or enet (echo picks echo_server_enet)',
    )
    .option('--quiet', 'no progress output')
    .option(
      '--image <file>',
      'blk: a disk image file (default: a generated MBR disk, two partitions)',
    )
    .option(
      '--rounds <n>',
      'blk: write/read-back rounds per client (default 8); timer: timeouts per client; i2c: transactions per client',
    )
    .option('--input <file>', 'serial: the characters typed (a file, or - for stdin)')
    .option('--lines <n>', 'serial: lines each client prints after its greeting')
    .action(async (system: string, o: RunFlags) => {
      if (isBlkSystem(system)) return runBlkCommand(io, system, o, setStatus);
      // The timer and I²C systems (run-class.ts).
      const cls = runClassOf(system);
      if (cls !== null) return runClass(cls, system, o, io, setStatus);
      // The serial console (issue 13 part 2) has its own command body: cli/commands/run-serial.ts.
      const serial = await import('../../impl/systems/serial/run.ts');
      if (serial.isSerialSystem(system)) {
        const { runSerialCommand } = await import('./run-serial.ts');
        return runSerialCommand(system, o, io, setStatus);
      }
      // Everything below is the echo server.
      if (o.image !== undefined || o.rounds !== undefined) {
        throw new CliUsageError(
          '--image is for block systems (sddf run blk), --rounds for the blk, timer and i2c systems',
        );
      }
      if (o.input !== undefined || o.lines !== undefined) {
        throw new CliUsageError('--input and --lines are for serial systems (sddf run serial)');
      }
      const format = parseFormat(o.format, ['text', 'json']);
      const options = runOptions(system, o, io);
      if (o.workers === true && o.schedule !== 'priority') {
        throw new CliUsageError('--schedule is for deterministic runs: drop --workers');
      }
      if (o.checkRefinement === true) {
        if (o.workers === true || o.sweep !== undefined) {
          throw new CliUsageError(
            '--check-refinement needs one deterministic run: drop --workers and --sweep',
          );
        }
        const check = new NetRefinement();
        const { result, errors } = runSystem({
          ...options,
          wrapComponent: (pd, b) => check.wrap(pd, b),
        });
        if (result === undefined) return cannotRun(io, errors, setStatus);
        if (o.pcap !== undefined && result.pcap !== undefined) writeFileSync(o.pcap, result.pcap);
        const refinement = check.report();
        const ok = result.ok && refinement.violations === 0;
        if (format === 'json') printJson(io, { ...resultJson(result), ok, refinement });
        else {
          renderRun(io, 'text', result, o.pcap);
          for (const line of refinementLines(refinement)) io.out(colourLine(io, line));
        }
        setStatus(ok ? EXIT_OK : EXIT_FAILED);
        return;
      }
      if (o.sweep !== undefined) {
        if (o.workers === true || o.rate !== undefined) {
          throw new CliUsageError(
            '--sweep runs deterministically at its own rates: drop --workers and --rate',
          );
        }
        const parsed = parseSweep(o.sweep);
        if (parsed.spec === undefined) throw new CliUsageError(parsed.error ?? 'bad --sweep');
        const { result, errors } = runSweep(options, parsed.spec, (p, i) => {
          if (io.progressTty && o.quiet !== true) {
            io.err(
              `sweep ${i + 1}/${parsed.spec!.rates.length}: offered ${p.offeredPps}/s achieved ${p.achievedPps}/s`,
            );
          }
        });
        if (result === undefined) return cannotRun(io, errors, setStatus);
        renderSweep(io, format, result);
        setStatus(result.ok ? EXIT_OK : EXIT_FAILED);
        return;
      }
      const { result, errors } =
        o.workers === true ? await runSystemWorkers(options) : runSystem(options);
      if (result === undefined) return cannotRun(io, errors, setStatus);
      if (o.pcap !== undefined && result.pcap !== undefined) writeFileSync(o.pcap, result.pcap);
      renderRun(io, format, result, o.pcap);
      setStatus(result.ok ? EXIT_OK : EXIT_FAILED);
    });
}

function runOptions(system: string, o: RunFlags, io: Io): RunSystemOptions {
  const packets = parseIntOption('--packets', o.packets);
  const seed = parseIntOption('--seed', o.seed);
  if (o.txWait !== 'native' && o.txWait !== 'lwip') {
    throw new CliUsageError(`--tx-wait must be native or lwip (got '${o.txWait}')`);
  }
  const rate = o.rate === undefined ? undefined : parseIntOption('--rate', o.rate);
  if (rate === 0) throw new CliUsageError('--rate must be positive');
  const window = o.window === undefined ? undefined : parseIntOption('--window', o.window);
  if (o.schedule !== 'priority' && o.schedule !== 'random') {
    throw new CliUsageError(`--schedule must be priority or random (got '${o.schedule}')`);
  }
  if (window === 0) throw new CliUsageError('--window must be positive');
  if (o.nic !== undefined && o.nic !== 'virtio' && o.nic !== 'enet') {
    throw new CliUsageError(`--nic must be virtio or enet (got '${o.nic}')`);
  }
  let faults: RunSystemOptions['faults'];
  if (o.faults !== undefined) {
    const parsed = parseFaultSpec(o.faults);
    if (parsed.script === undefined) {
      throw new CliUsageError(parsed.errors.map((e) => formatDiagnostic(e)).join('\n'));
    }
    faults = parsed.script;
  }
  const showProgress = io.progressTty && o.quiet !== true;
  let decile = 0;
  return {
    system,
    ...(o.nic === undefined ? {} : { nic: o.nic }),
    packets,
    seed,
    txWait: o.txWait,
    schedule: o.schedule,
    ...(o.tickPoll === true ? { tickPoll: true } : {}),
    traffic: {
      ...(rate === undefined ? {} : { rate }),
      ...(window === undefined ? {} : { window }),
    },
    pcap: o.pcap !== undefined,
    ...(faults === undefined ? {} : { faults }),
    ...(o.watchdogMs === undefined
      ? {}
      : { watchdogNs: parseIntOption('--watchdog-ms', o.watchdogMs) * 1_000_000 }),
    ...(showProgress
      ? {
          // A line per tenth of the run, on a terminal only (CLI.md).
          onProgress: (p) => {
            const d = Math.floor((10 * p.sent) / Math.max(1, p.packets));
            if (d <= decile) return;
            decile = d;
            io.err(`run: sent ${p.sent}/${p.packets}, answered ${p.answered}, lost ${p.lost}`);
          },
        }
      : {}),
  };
}

function cannotRun(io: Io, errors: readonly Diagnostic[], setStatus: SetStatus): void {
  for (const e of errors) io.err(`sddf: ${formatDiagnostic(e)}`);
  setStatus(EXIT_CANNOT_RUN);
}

function renderRun(io: Io, format: string, r: RunSystemResult, pcapFile: string | undefined): void {
  if (format === 'json') {
    printJson(io, resultJson(r));
    return;
  }
  io.out(`sddf run: ${r.system} (${r.mode}, seed ${r.seed}, ${r.packets} requests, ${r.pacing})`);
  io.out(
    `  ${'client'.padEnd(8)} ${'api'.padEnd(8)} ${'sent'.padStart(8)} ${'received'.padStart(9)} ${'dropped'.padStart(8)} ${'lost'.padStart(6)} ${'answered/s'.padStart(11)}`,
  );
  for (const c of r.clients) {
    io.out(
      `  ${c.name.padEnd(8)} ${c.api.padEnd(8)} ${String(c.sent).padStart(8)} ${String(c.received).padStart(9)} ${String(c.dropped).padStart(8)} ${String(c.lost).padStart(6)} ${String(c.throughputPps).padStart(11)}`,
    );
  }
  const g = r.generator;
  io.out(
    `  generator: sent ${g.sent}, answered ${g.answered}/${g.expected}, lost ${g.lost}, bad replies ${g.badReplies}`,
  );
  io.out(
    `  device: rx ${r.device.rxFrames} tx ${r.device.txFrames} frames, dropped (no buffer) ${r.device.rxDroppedNoBuffer}`,
  );
  io.out(
    `  virtual time ${(r.virtual.elapsedNs / 1e6).toFixed(3)} ms, utilisation ${(100 * r.virtual.utilisation).toFixed(1)} %; host CPU ${r.times.cpuMs} ms (${r.times.cpuNsPerPacket} ns/request)`,
  );
  if (r.faults.injected > 0 || r.faults.unexpected.length > 0) {
    io.out(`  faults: ${r.faults.injected} injected, ${r.faults.unexpected.length} unexpected`);
    for (const f of r.faults.unexpected.slice(0, 5)) io.out(`    ${f.pd}: ${f.kind}: ${f.message}`);
  }
  if (pcapFile !== undefined) io.out(`  pcap: ${pcapFile}`);
  for (const v of r.violations.slice(0, 10)) io.out(`  ${paint(io, 'red', 'violation')} ${v}`);
  io.out(
    r.ok
      ? paint(io, 'green', `ok: ${r.monitorChecks} invariant checks, 0 violations`)
      : paint(
          io,
          'red',
          `FAILED: ${r.invariantViolations} invariant violations, status ${r.status}`,
        ),
  );
}

/** The text of a refinement report (`sddf run --check-refinement`). */
export function refinementLines(r: NetRefinementReport): string[] {
  const out = [
    `  refinement: ${r.checked} handlers checked against spec/components/net, ${r.matched} matched, ${r.violations} violations, ${r.deviations} deviations`,
  ];
  for (const [pd, s] of Object.entries(r.components)) {
    const skipped = Object.entries(s.notChecked)
      .map(([why, n]) => `${n} not checked (${why})`)
      .join(', ');
    out.push(
      `    ${pd.padEnd(20)} ${String(s.checked).padStart(6)} checked ${String(s.matched).padStart(6)} matched${s.violations > 0 ? `, ${s.violations} violations` : ''}${s.deviations > 0 ? `, ${s.deviations} deviations` : ''}${skipped === '' ? '' : `, ${skipped}`}`,
    );
  }
  for (const v of r.kept.slice(0, 5)) {
    out.push(
      `  ${v.kind} ${v.pd} ${v.handler} (its handler execution ${v.execution}): no spec run explains it; closest: ${v.candidate}`,
    );
    for (const d of v.differences) out.push(`      ${d.where}: impl ${d.impl}, spec ${d.spec}`);
  }
  out.push(
    r.violations === 0
      ? `ok: every checked handler is a sequence of spec steps`
      : `FAILED: ${r.violations} handlers diverged from the spec`,
  );
  return out;
}

function colourLine(io: Io, line: string): string {
  if (line.startsWith('ok:')) return paint(io, 'green', line);
  if (line.startsWith('FAILED:') || line.startsWith('  violation')) return paint(io, 'red', line);
  return line;
}

function renderSweep(io: Io, format: string, s: SweepResult): void {
  if (format === 'json') {
    printJson(io, s);
    return;
  }
  io.out(`sddf run --sweep: ${s.system} (seed ${s.seed}, ${s.packets} requests per point)`);
  io.out(
    `  ${'offered/s'.padStart(10)} ${'achieved/s'.padStart(11)} ${'lost'.padStart(7)} ${'util'.padStart(6)} ${'virt ns/pkt'.padStart(12)} ${'host ns/pkt'.padStart(12)}`,
  );
  for (const p of s.points) {
    io.out(
      `  ${String(p.offeredPps).padStart(10)} ${String(p.achievedPps).padStart(11)} ${String(p.lost).padStart(7)} ${p.utilisation.toFixed(2).padStart(6)} ${String(p.virtualNsPerPacket).padStart(12)} ${String(p.hostNsPerPacket).padStart(12)}`,
    );
  }
  io.out(
    s.ok
      ? paint(io, 'green', 'ok: 0 violations')
      : paint(io, 'red', 'FAILED: invariant violations'),
  );
}
