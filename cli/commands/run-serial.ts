// `sddf run serial [--input FILE|-] [--lines N] [--seed S] [--schedule K] [--faults SPEC]
// [--format json]` (../shared/CLI.md): the serial console (impl/systems/serial/run.ts).
// Interactive when stdin is a terminal and neither --input nor --format json is given: the
// terminal in raw mode, what is typed goes to the current client, Ctrl-\ N Enter switches to
// client N, each client's output in its colour; Ctrl-C or Ctrl-D ends the session. Otherwise the
// input is scripted: the file, or stdin when it is not a terminal. Exit 0 when no invariant was
// violated, 1 when one was, 2 when the system cannot run.
import { readFileSync } from 'node:fs';
import { formatDiagnostic } from '../../spec/common/diagnostic.ts';
import { parseFaultSpec, type FaultScript } from '../../impl/runtime/faults.ts';
import {
  SerialSession,
  runSerial,
  type SerialRunOptions,
  type SerialRunResult,
} from '../../impl/systems/serial/run.ts';
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
import { SerialRefinement } from '../../traces/refinement/serial/checker.ts';
import type { SetStatus } from './index.ts';

export interface SerialRunFlags {
  readonly seed: string;
  readonly format: string;
  readonly schedule: string;
  readonly faults?: string;
  readonly input?: string;
  readonly lines?: string;
  readonly checkRefinement?: boolean;
}

const CTRL_C = 0x03;
const CTRL_D = 0x04;

function options(system: string, o: SerialRunFlags): SerialRunOptions {
  if (o.schedule !== 'priority' && o.schedule !== 'random') {
    throw new CliUsageError(`--schedule must be priority or random (got '${o.schedule}')`);
  }
  let faults: FaultScript | undefined;
  if (o.faults !== undefined) {
    const parsed = parseFaultSpec(o.faults);
    if (parsed.script === undefined) {
      throw new CliUsageError(parsed.errors.map((e) => formatDiagnostic(e)).join('\n'));
    }
    faults = parsed.script;
  }
  return {
    system,
    seed: parseIntOption('--seed', o.seed),
    schedule: o.schedule,
    ...(faults === undefined ? {} : { faults }),
    ...(o.lines === undefined ? {} : { lines: parseIntOption('--lines', o.lines) }),
  };
}

export async function runSerialCommand(
  system: string,
  o: SerialRunFlags,
  io: Io,
  setStatus: SetStatus,
): Promise<void> {
  const format = parseFormat(o.format, ['text', 'json']);
  const opts = options(system, o);
  if (o.input === undefined && format === 'text' && process.stdin.isTTY === true) {
    await interactive(opts, io, setStatus);
    return;
  }
  let input: Uint8Array;
  try {
    input = o.input === undefined || o.input === '-' ? readFileSync(0) : readFileSync(o.input);
  } catch (e) {
    io.err(`sddf: ${o.input ?? 'stdin'}: ${(e as Error).message}`);
    setStatus(EXIT_CANNOT_RUN);
    return;
  }
  const check = o.checkRefinement === true ? new SerialRefinement() : null;
  const { result, errors } = runSerial({
    ...opts,
    input,
    ...(check === null ? {} : { wrapComponent: (pd, b) => check.wrap(pd, b) }),
  });
  if (result === undefined) {
    for (const e of errors) io.err(`sddf: ${formatDiagnostic(e)}`);
    setStatus(EXIT_CANNOT_RUN);
    return;
  }
  const refinement = check?.report();
  const ok = result.ok && (refinement?.violations ?? 0) === 0;
  if (format === 'json')
    printJson(io, refinement === undefined ? result : { ...result, ok, refinement });
  else {
    io.out(result.console);
    for (const line of summary(io, result)) io.out(line);
    if (refinement !== undefined) {
      io.out(
        `  refinement: ${refinement.checked} handlers of virt_tx and virt_rx checked against spec/components/serial-handlers.ts, ${refinement.matched} matched, ${refinement.violations} violations`,
      );
      for (const v of refinement.kept.slice(0, 5))
        io.out(`    ${v.pd} notified(${v.ch}) #${v.execution}: ${v.differences.join('; ')}`);
    }
  }
  setStatus(ok ? EXIT_OK : EXIT_FAILED);
}

function summary(io: Io, r: SerialRunResult): string[] {
  const out = [
    `sddf run: ${r.system} (seed ${r.seed}, ${r.status})`,
    `  ${'client'.padEnd(10)} ${'typed'.padStart(6)} ${'lines'.padStart(6)} ${'written'.padStart(8)} ${'shown'.padStart(8)} ${'dropped'.padStart(8)}`,
  ];
  for (const c of r.clients) {
    out.push(
      `  ${c.name.padEnd(10)} ${String(c.typed).padStart(6)} ${String(c.lines).padStart(6)} ${String(c.written).padStart(8)} ${String(c.shown).padStart(8)} ${String(c.dropped).padStart(8)}`,
    );
  }
  out.push(
    `  uart: ${r.uart.txChars} characters sent, ${r.uart.rxChars} received, ${r.uart.overruns} overruns`,
  );
  for (const v of r.violations.slice(0, 10)) out.push(`  ${paint(io, 'red', 'violation')} ${v}`);
  out.push(
    r.ok
      ? paint(io, 'green', `ok: ${r.monitorChecks} invariant checks, 0 violations`)
      : paint(io, 'red', `FAILED: ${r.invariantViolations} invariant violations, ${r.status}`),
  );
  return out;
}

async function interactive(opts: SerialRunOptions, io: Io, setStatus: SetStatus): Promise<void> {
  const { session, errors } = SerialSession.create(opts);
  if (session === undefined) {
    for (const e of errors) io.err(`sddf: ${formatDiagnostic(e)}`);
    setStatus(EXIT_CANNOT_RUN);
    return;
  }
  io.err('sddf run serial: type to the current client; Ctrl-\\ N Enter switches; Ctrl-C ends');
  const show = (): void => {
    const o = session.output();
    if (o.length > 0) process.stdout.write(o);
  };
  session.pump();
  show();
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  await new Promise<void>((done) => {
    stdin.on('data', (chunk: Buffer) => {
      const end = chunk.findIndex((b) => b === CTRL_C || b === CTRL_D);
      session.type(end < 0 ? chunk : chunk.subarray(0, end));
      session.pump();
      show();
      if (end >= 0) done();
    });
  });
  stdin.setRawMode(false);
  stdin.pause();
  const r = session.report();
  process.stdout.write('\r\n');
  for (const line of summary(io, r)) io.out(line);
  setStatus(r.ok ? EXIT_OK : EXIT_FAILED);
}
