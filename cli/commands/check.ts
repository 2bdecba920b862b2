// `sddf check [--system NAME|FILE.system] [--format json] [--seed N]
// [--only KIND...]`: the main job (CLI.md); `--only` narrows it to some kinds of check (a CI job
// that audits and model-checks a system need not re-run the system-independent proofs).
// Thin: parses, calls the library (api/check), renders. Exit 0 every check passes, 1 one does not,
// 2 the system could not be read (an unknown name lists the built-in systems).
import type { Command } from 'commander';
import type { CheckReport } from '../../api/check/index.ts';
import { CHECK_KINDS, type CheckKind } from '../../api/check/types.ts';
import {
  CliUsageError,
  EXIT_FAILED,
  EXIT_OK,
  paint,
  parseFormat,
  parseIntOption,
  printJson,
  progressLine,
  type Io,
} from '../output.ts';
import type { SetStatus } from './index.ts';

function renderText(io: Io, report: CheckReport): void {
  io.out(`sddf check: ${report.system}`);
  const width = Math.max(10, ...report.results.map((r) => r.name.length));
  for (const r of report.results) {
    const verdict = r.verdict === 'pass' ? paint(io, 'green', 'pass') : paint(io, 'red', r.verdict);
    const extra = [r.detail, r.trace !== undefined ? `trace: ${r.trace}` : undefined]
      .filter(Boolean)
      .join('  ');
    io.out(
      `  ${r.kind.padEnd(11)} ${r.name.padEnd(width)} ${verdict.padEnd(4)} ${r.seconds.toFixed(2).padStart(6)}s  ${extra}`.trimEnd(),
    );
    for (const s of r.scaled ?? []) io.out(`  ${''.padEnd(11)} ${''.padEnd(width)}   scaled: ${s}`);
  }
  for (const n of report.notModelChecked) {
    io.out(
      `  ${'model-check'.padEnd(11)} ${n.deviceClass.padEnd(width)} not model-checked: ${n.reason}`,
    );
  }
  const failed = report.results.filter((r) => r.verdict !== 'pass').length;
  io.out(
    report.ok
      ? paint(io, 'green', `ok: ${report.results.length} checks passed`)
      : paint(io, 'red', `FAILED: ${failed} of ${report.results.length} checks did not pass`),
  );
}

/** `--only audit model-check`: the kinds named, each known (a typo is a usage error, exit 2). */
function parseOnly(values: readonly string[] | undefined): readonly CheckKind[] | undefined {
  if (values === undefined) return undefined;
  const kinds = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
  for (const k of kinds) {
    if (!(CHECK_KINDS as readonly string[]).includes(k)) {
      throw new CliUsageError(`--only takes ${CHECK_KINDS.join(', ')} (got '${k}')`);
    }
  }
  return kinds as CheckKind[];
}

export function registerCheck(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('check')
    .description('check everything on a system: audit, proofs, model checking, refinement')
    .option('--system <name|file>', 'built-in system name or a .system file', 'echo_server')
    .option('--format <format>', 'text or json', 'text')
    .option('--seed <n>', 'seed for randomized checks', '1')
    .option('--out <dir>', 'where counterexample traces are written', 'out/check')
    .option('--only <kinds...>', `only these kinds of check (${CHECK_KINDS.join(', ')})`)
    .option('--quiet', 'no progress output')
    .action(
      async (o: {
        system: string;
        format: string;
        seed: string;
        out: string;
        only?: string[];
        quiet?: boolean;
      }) => {
        const format = parseFormat(o.format, ['text', 'json']);
        const seed = parseIntOption('--seed', o.seed);
        const only = parseOnly(o.only);
        const showProgress = io.progressTty && o.quiet !== true;
        const { runCheck } = await import('../../api/check/index.ts');
        const report = await runCheck({
          system: o.system,
          seed,
          outDir: o.out,
          ...(only !== undefined ? { only } : {}),
          progress: (line) => {
            if (!showProgress) return;
            io.endProgress();
            io.err(line);
          },
          ...(showProgress
            ? { mcProgress: (label, p) => io.progress(`${label}: ${progressLine(p)}`) }
            : {}),
        });
        if (showProgress) io.endProgress();
        if (format === 'json') {
          printJson(io, {
            ok: report.ok,
            system: report.system,
            ...(only !== undefined ? { only } : {}),
            results: report.results,
            notModelChecked: report.notModelChecked,
          });
        } else {
          renderText(io, report);
        }
        setStatus(report.ok ? EXIT_OK : EXIT_FAILED);
      },
    );
}
