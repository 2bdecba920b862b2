// `sddf mutants [--format json] [--only ID...] [--out DIR]`: runs the seeded-bug catalogue
// (contract: ../shared/CLI.md; library: api/mutants.ts over proofs/models/catalogue.ts). Exit 1 when any variant is
// not detected by its named property, or when any unmodified model fails at the variant's bounds.
import type { Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, paint, parseFormat, printJson, type Io } from '../output.ts';
import type { SetStatus } from './index.ts';

interface MutantsFlags {
  format: string;
  only?: string[];
  out?: string;
  quiet?: boolean;
}

export function registerMutants(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('mutants')
    .description(
      'run the seeded-bug catalogue: every variant detected, every unmodified model holds',
    )
    .option('--format <format>', 'text or json', 'text')
    .option('--only <ids...>', 'only these variant ids (e.g. F4 O1)')
    .option('--out <dir>', 'write each counterexample as ITF into this directory')
    .option('--quiet', 'no progress lines')
    .action(async (flags: MutantsFlags) => {
      const format = parseFormat(flags.format, ['text', 'json']);
      const progress = io.progressTty && flags.quiet !== true;
      const { runMutants } = await import('../../api/mutants.ts');
      const { report, tracePaths: paths } = runMutants({
        ...(flags.only !== undefined ? { only: flags.only } : {}),
        ...(flags.out !== undefined ? { outDir: flags.out } : {}),
        ...(progress ? { onResult: (line: string) => io.err(line) } : {}),
      });
      if (format === 'json') {
        printJson(io, {
          ok: report.ok,
          mutants: report.mutants.map((m) => ({
            id: m.id,
            model: m.model,
            detected: m.detected,
            by: m.by,
            expected: m.expected,
            description: m.variant.description,
            ...(m.variant.upstream !== undefined ? { upstream: m.variant.upstream } : {}),
            ...(m.variant.modelled !== undefined ? { modelled: m.variant.modelled } : {}),
            ...(m.variant.notModelled !== undefined ? { notModelled: m.variant.notModelled } : {}),
            ...(m.traceLength !== undefined ? { traceLength: m.traceLength } : {}),
            ...(paths.has(`${m.model}:${m.id}`) ? { trace: paths.get(`${m.model}:${m.id}`) } : {}),
          })),
          baselines: report.baselines.map((b) => ({
            model: b.model,
            memoryModel: b.memoryModel,
            bounds: b.bounds,
            verdict: b.verdict,
            states: b.states,
          })),
        });
      } else {
        for (const m of report.mutants) {
          const mark = m.detected ? paint(io, 'green', 'detected') : paint(io, 'red', 'MISSED  ');
          const len = m.traceLength !== undefined ? `${m.traceLength} steps` : '';
          io.out(`${m.id.padEnd(22)} ${m.model.padEnd(14)} ${mark} by ${m.by.padEnd(20)} ${len}`);
        }
        for (const b of report.baselines.filter((x) => !x.holds)) {
          io.out(
            paint(
              io,
              'red',
              `unmodified ${b.model} (${b.memoryModel} ${JSON.stringify(b.bounds)}): ${b.verdict} ${b.message ?? ''}`,
            ),
          );
        }
        const detected = report.mutants.filter((m) => m.detected).length;
        const held = report.baselines.filter((b) => b.holds).length;
        io.out(
          `${detected}/${report.mutants.length} variants detected; ${held}/${report.baselines.length} unmodified runs hold`,
        );
      }
      setStatus(report.ok ? EXIT_OK : EXIT_FAILED);
    });
}
