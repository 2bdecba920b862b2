// `sddf run blk [--image disk.img] [--seed N] [--faults SPEC] [--format json]` (issue #13 part 1):
// the block system (impl/systems/blk/run.ts). Exit 0 when the run holds (no invariant violation,
// every client verified what it wrote, every acknowledged write on the disk), 1 when it does not
// (also when the partition table is refused: the clients got ERR_NO_DEVICE), 2 when it cannot run.
import { formatDiagnostic, UserError } from '../../spec/common/diagnostic.ts';
import { parseFaultSpec } from '../../impl/runtime/faults.ts';
import { loadSystemModel } from '../../impl/runtime/load.ts';
import { builtInSystemPath } from '../../impl/systems/index.ts';
import { runBlk, type RunBlkResult } from '../../impl/systems/blk/run.ts';
import {
  BlkVirtRefinement,
  type BlkRefinementReport,
} from '../../traces/refinement/blk/checker.ts';
import {
  CliUsageError,
  EXIT_FAILED,
  EXIT_OK,
  paint,
  parseFormat,
  parseIntOption,
  printJson,
  type Io,
} from '../output.ts';
import type { SetStatus } from './index.ts';

/** `blk`, or a .system file whose driver maps `blk_regs` (sDDF's examples/blk naming). */
export function isBlkSystem(system: string): boolean {
  if (system === 'blk') return true;
  if (!system.endsWith('.system')) return false;
  const { model } = loadSystemModel(system);
  return model?.pds.some((p) => p.maps.some((m) => m.mr === 'blk_regs')) ?? false;
}

export interface RunBlkFlags {
  readonly seed: string;
  readonly format: string;
  readonly image?: string;
  readonly faults?: string;
  readonly rounds?: string;
  readonly schedule: string;
  readonly checkRefinement?: boolean;
}

export function runBlkCommand(io: Io, system: string, o: RunBlkFlags, setStatus: SetStatus): void {
  const format = parseFormat(o.format, ['text', 'json']);
  const seed = parseIntOption('--seed', o.seed);
  const rounds = o.rounds === undefined ? undefined : parseIntOption('--rounds', o.rounds);
  if (o.schedule !== 'priority' && o.schedule !== 'random') {
    throw new CliUsageError(`--schedule must be priority or random (got '${o.schedule}')`);
  }
  let faults;
  if (o.faults !== undefined) {
    const parsed = parseFaultSpec(o.faults);
    if (parsed.script === undefined) {
      throw new CliUsageError(parsed.errors.map((e) => formatDiagnostic(e)).join('\n'));
    }
    faults = parsed.script;
  }
  const check = o.checkRefinement === true ? new BlkVirtRefinement() : null;
  const { result, errors } = runBlk({
    ...(check === null ? {} : { onVirtEvent: check.observe }),
    system: system === 'blk' ? builtInSystemPath('blk')! : system,
    seed,
    schedule: o.schedule,
    ...(o.image === undefined ? {} : { image: o.image }),
    ...(rounds === undefined ? {} : { rounds }),
    ...(faults === undefined ? {} : { faults }),
  });
  if (result === undefined) {
    // main prints each located error, and under --format json the one error document (CLI.md).
    const [first, ...more] = errors;
    throw new UserError(
      first ?? { code: 'RUN_WIRING', message: 'the block system cannot run' },
      more,
    );
  }
  const refinement = check?.report();
  const ok = result.ok && (refinement === undefined || refinement.violations === 0);
  if (format === 'json') {
    printJson(io, { ...result, ok, ...(refinement === undefined ? {} : { refinement }) });
  } else {
    renderBlk(io, result);
    if (refinement !== undefined) for (const line of refinementLines(refinement)) io.out(line);
  }
  setStatus(ok ? EXIT_OK : EXIT_FAILED);
}

function renderBlk(io: Io, r: RunBlkResult): void {
  io.out(`sddf run: ${r.system} (deterministic, seed ${r.seed}, disk: ${r.image})`);
  io.out(
    `  ${'client'.padEnd(8)} ${'partition (sectors)'.padEnd(22)} ${'rounds'.padStart(6)} ${'writes'.padStart(7)} ${'reads'.padStart(6)} ${'verified'.padStart(9)} ${'errors'.padStart(7)} ${'restarts'.padStart(9)}`,
  );
  for (const c of r.clients) {
    const part = `${c.partition.startSector}+${c.partition.sectors}`;
    io.out(
      `  ${c.name.padEnd(8)} ${part.padEnd(22)} ${String(c.rounds).padStart(6)} ${String(c.writes).padStart(7)} ${String(c.reads).padStart(6)} ${String(c.verifiedBlocks).padStart(9)} ${String(c.errors).padStart(7)} ${String(c.restarts).padStart(9)}`,
    );
  }
  io.out(
    `  virt: forwarded ${r.virt.forwarded}, rejected ${r.virt.rejected}, answered ${r.virt.answered}, restarts ${r.virt.restarts}`,
  );
  if (r.virt.failure !== null)
    io.out(`  ${paint(io, 'red', 'partition table refused')}: ${r.virt.failure}`);
  io.out(
    `  driver: submitted ${r.driver.submitted}, barriers ${r.driver.barriers}, flushes ${r.driver.flushes}; device: reads ${r.device.reads}, writes ${r.device.writes}, flushes ${r.device.flushes}, I/O errors ${r.device.ioErrors}`,
  );
  io.out(
    `  durability: ${r.durability.checkedBlocks} acknowledged blocks checked on the disk, ${r.durability.lost} lost`,
  );
  if (r.faults.injected > 0 || r.faults.unexpected.length > 0) {
    io.out(`  faults: ${r.faults.injected} injected, ${r.faults.unexpected.length} unexpected`);
    for (const f of r.faults.unexpected.slice(0, 5)) io.out(`    ${f}`);
  }
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

function refinementLines(r: BlkRefinementReport): string[] {
  const out = [
    `  refinement: ${r.decisions} virt decisions checked against spec/components/blk, ${r.abstractionChecks} abstraction checks, ${r.violations} violations`,
  ];
  for (const k of r.kept.slice(0, 5)) out.push(`    ${k.what}: impl ${k.impl}, spec ${k.spec}`);
  out.push(
    r.violations === 0
      ? "ok: every virt decision is the spec's"
      : `FAILED: ${r.violations} virt decisions diverged from the spec`,
  );
  return out;
}
