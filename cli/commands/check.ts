// `sddf check [--system NAME|FILE.system] [--format json] [--seed N]`: the main job (CLI.md).
// Thin: parses, calls the library (api/check), renders. Exit 0 every check passes, 1 one does not,
// 2 the system could not be read (an unknown name lists the built-in systems).
import type { Command } from 'commander';
import type { CheckReport } from '../../api/check/index.ts';
import {
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
  }
  const failed = report.results.filter((r) => r.verdict !== 'pass').length;
  io.out(
    report.ok
      ? paint(io, 'green', `ok: ${report.results.length} checks passed`)
      : paint(io, 'red', `FAILED: ${failed} of ${report.results.length} checks did not pass`),
  );
}

export function registerCheck(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('check')
    .description('check everything on a system: audit, proofs, model checking, refinement')
    .option('--system <name|file>', 'built-in system name or a .system file', 'echo_server')
    .option('--format <format>', 'text or json', 'text')
    .option('--seed <n>', 'seed for randomized checks', '1')
    .option('--out <dir>', 'where counterexample traces are written', 'out/check')
    .option('--quiet', 'no progress output')
    .action(
      async (o: { system: string; format: string; seed: string; out: string; quiet?: boolean }) => {
        const format = parseFormat(o.format, ['text', 'json']);
        const seed = parseIntOption('--seed', o.seed);
        const showProgress = io.progressTty && o.quiet !== true;
        const { runCheck } = await import('../../api/check/index.ts');
        const report = await runCheck({
          system: o.system,
          seed,
          outDir: o.out,
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
          printJson(io, { ok: report.ok, system: report.system, results: report.results });
        } else {
          renderText(io, report);
        }
        setStatus(report.ok ? EXIT_OK : EXIT_FAILED);
      },
    );
}
