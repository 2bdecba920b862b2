// `sddf prove`: the Z3 proof obligations (contract: ../shared/CLI.md). Thin: parses arguments,
// calls the library (api/prove.ts over proofs/smt; Z3 loads only then), renders. Exit status: 0 every verdict is the expected one, 1 not (a refuted
// or unknown obligation that should be proved, or a documented defect that no longer refutes),
// 2 bad arguments (an unknown --only name lists the valid ones).
import type { Command } from 'commander';
import type { ObligationInfo, ObligationResult, ProveReport } from '../../api/prove.ts';
import type { Counterexample } from '../../proofs/smt/index.ts';
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

interface ProveFlags {
  readonly only?: string[];
  readonly format: string;
  readonly list?: boolean;
  readonly quiet?: boolean;
  readonly timeout?: string;
}

export function registerProve(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('prove')
    .description(
      'run the Z3 proof obligations (queue bounds, slot wrap, full checks, signalling handshake, ' +
        'translation bounds)',
    )
    .option('--only <name...>', 'run only these obligations (see --list)')
    .option('--format <format>', 'text or json', 'text')
    .option('--list', 'list the obligations without running them')
    .option('--quiet', 'no progress lines')
    .option('--timeout <ms>', 'per-query Z3 timeout in ms (expired → unknown)')
    .action(async (flags: ProveFlags) => {
      const format = parseFormat(flags.format, ['text', 'json']);
      const api = await import('../../api/prove.ts');
      if (flags.list === true) {
        renderList(io, format, await api.listProofObligations());
        setStatus(EXIT_OK);
        return;
      }
      const timeoutMs =
        flags.timeout === undefined ? undefined : parseIntOption('--timeout', flags.timeout);
      if (timeoutMs === 0) throw new CliUsageError('--timeout must be positive');
      const progress = io.progressTty && flags.quiet !== true && format === 'text';
      const report = await api.prove({
        only: flags.only ?? [],
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(progress
          ? {
              onProgress: (r: ObligationResult, done: number, total: number) =>
                io.err(
                  `prove: ${done}/${total} ${r.name} ${r.verdict} (${r.seconds.toFixed(2)} s)`,
                ),
            }
          : {}),
      });
      if (format === 'json') printJson(io, toJson(report));
      else renderText(io, report);
      setStatus(report.ok ? EXIT_OK : EXIT_FAILED);
    });
}

/** CLI.md: `{"ok", "obligations": [{"name","verdict","seconds","counterexample"?,"expected"?}]}`. */
export function toJson(report: ProveReport): unknown {
  return {
    ok: report.ok,
    obligations: report.obligations.map((r) => ({
      name: r.name,
      verdict: r.verdict,
      seconds: r.seconds,
      ...(r.expected === undefined ? {} : { expected: r.expected }),
      ...(r.defect === undefined ? {} : { defect: r.defect }),
      ...(r.counterexample === undefined ? {} : { counterexample: r.counterexample }),
      ...(r.reason === undefined ? {} : { reason: r.reason }),
      statement: r.statement,
      widthBits: r.widthBits,
      models: r.models,
    })),
  };
}

function renderList(io: Io, format: string, infos: readonly ObligationInfo[]): void {
  if (format === 'json') {
    printJson(io, { obligations: infos });
    return;
  }
  const width = Math.max(...infos.map((o) => o.name.length));
  for (const o of infos) {
    const mark =
      o.expected === undefined
        ? ''
        : `  [expected ${o.expected}: ${o.defect ?? 'upstream defect'}]`;
    io.out(`${o.name.padEnd(width)}  u${o.widthBits}  ${o.statement}${mark}`);
  }
}

function renderText(io: Io, report: ProveReport): void {
  const width = Math.max(0, ...report.obligations.map((r) => r.name.length));
  let total = 0;
  for (const r of report.obligations) {
    total += r.seconds;
    io.out(
      `${r.name.padEnd(width)}  ${verdictCell(io, r)}  ${r.seconds.toFixed(3).padStart(7)} s${note(r)}`,
    );
    if (r.counterexample !== undefined) {
      for (const line of counterexampleLines(r.counterexample)) io.out(`    ${line}`);
    }
  }
  const mismatched = report.obligations.filter((r) => !r.matches).length;
  const expected = report.obligations.filter((r) => r.expected !== undefined && r.matches).length;
  const summary =
    `${report.obligations.length} obligations, ${mismatched} not as expected, ` +
    `${expected} expected-refuted (documented upstream defects), ${total.toFixed(2)} s in Z3`;
  io.out(report.ok ? paint(io, 'green', `ok: ${summary}`) : paint(io, 'red', `FAILED: ${summary}`));
}

function verdictCell(io: Io, r: ObligationResult): string {
  const text = r.verdict.padEnd(8);
  if (!r.matches) return paint(io, 'red', text);
  return r.expected === undefined ? paint(io, 'green', text) : paint(io, 'yellow', text);
}

function note(r: ObligationResult): string {
  if (r.expected !== undefined && r.matches) {
    return `  (expected refuted: ${r.defect ?? 'documented defect'})`;
  }
  if (r.expected !== undefined) return `  (expected ${r.expected}!)`;
  if (r.verdict === 'unknown') return `  (${r.reason ?? 'unknown'})`;
  return '';
}

function counterexampleLines(cex: Counterexample): string[] {
  const scalars: string[] = [];
  const lines: string[] = [];
  for (const [k, v] of Object.entries(cex)) {
    if (Array.isArray(v)) {
      lines.push(`${k}:`);
      v.forEach((step, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${step}`));
    } else {
      scalars.push(`${k}=${String(v)}`);
    }
  }
  return [`counterexample: ${scalars.join(' ')}`, ...lines];
}
