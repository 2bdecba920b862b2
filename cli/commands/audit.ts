// `sddf audit PATH... [--dialect auto|1|2] [--microkit VERSION] [--arch ARCH] [--roles FILE.json]
//   [--format text|json|sarif|dot|svg] [--svg FILE] [--sarif-base DIR] [--first-error]
//   [--fail-on SEVERITY] [--prove]` (CLI.md; issues #4, #10).
// One .system file (or built-in system name): its full report. A directory, or several paths: every
// .system file under them in one process, one summary table (or one JSON / SARIF document).
// Exit: 0 no error finding and a valid system; 1 an error finding or a Microkit validation error;
// 2 unreadable or malformed input (missing file, XML not well-formed, a template, bad roles file),
// located on stderr. A corpus exits with its worst file's status.
import { statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatDiagnostic, UserError } from '../../spec/common/diagnostic.ts';
import { auditToDot } from '../../impl/report/audit/dot.ts';
import { auditToJson, corpusToJson } from '../../impl/report/audit/json.ts';
import { outcomeFails, type AuditOutcome, type FailOn } from '../../spec/system/audit/outcome.ts';
import { auditToSarif } from '../../impl/report/audit/sarif.ts';
import { auditToText, corpusToText } from '../../impl/report/audit/text.ts';
import { assert } from '../../spec/common/assert.ts';
import { isolationByGraphSearch, type FlowGraph } from '../../spec/system/audit/flow.ts';
import { runAudit, type RunAuditOptions } from '../../impl/report/audit.ts';
import { auditCorpus, corpusExit } from '../../impl/audit/corpus.ts';
import type { DialectChoice } from '../../impl/sdf/index.ts';
import {
  ARCHES,
  MICROKIT_VERSIONS,
  type Arch,
  type MicrokitVersion,
} from '../../spec/system/model.ts';
import {
  CliUsageError,
  EXIT_CANNOT_RUN,
  EXIT_FAILED,
  EXIT_OK,
  paint,
  parseFormat,
  printJson,
  type Io,
} from '../output.ts';
import type { SetStatus } from './index.ts';

const FORMATS = ['text', 'json', 'sarif', 'dot', 'svg'] as const;
type AuditFormat = (typeof FORMATS)[number];
const TOOL_VERSION = '0.1.0';

interface AuditCliOptions {
  dialect: string;
  microkit?: string;
  arch?: string;
  roles?: string;
  format: string;
  svg?: string;
  sarifBase?: string;
  firstError?: boolean;
  failOn: string;
  prove?: boolean;
}

export function registerAudit(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('audit')
    .description(
      'audit Microkit .system files for least privilege (rules LP000–LP012); a directory or several files: every .system file, one summary',
    )
    .argument(
      '<paths...>',
      '.system files or directories (or a built-in system name, e.g. echo_server)',
    )
    .option('--dialect <d>', 'SDF dialect: auto, 1 (pp on the PD) or 2 (pp on <end>)', 'auto')
    .option(
      '--microkit <version>',
      `read as this Microkit release: ${MICROKIT_VERSIONS.join(', ')}`,
    )
    .option('--arch <arch>', `read for this architecture: ${ARCHES.join(', ')}`)
    .option('--roles <file>', 'roles file (JSON) overriding role inference (one system only)')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('--svg <file>', 'also write the DOT graph rendered as SVG to this file')
    .option(
      '--sarif-base <dir>',
      'SARIF artifact URIs are relative to this directory (default: the working directory)',
    )
    .option('--first-error', "report only Microkit's first validation error")
    .option('--prove', 'also prove LP011 isolation in Z3 and check it agrees with the graph search')
    .option(
      '--fail-on <severity>',
      'lowest finding severity that exits 1: error, warning, note, none',
      'error',
    )
    .action(async (paths: string[], o: AuditCliOptions) => {
      const format = parseFormat(o.format, FORMATS) as AuditFormat;
      const failOn = parseFailOn(o.failOn);
      const common = commonOptions(o);
      if (isCorpus(paths)) {
        setStatus(corpus(io, paths, { format, failOn, common, o }));
        return;
      }
      const [file] = paths;
      assert(file !== undefined, 'commander requires one path');
      const result = runAudit({
        ...common,
        system: file,
        ...(o.roles !== undefined ? { rolesPath: o.roles } : {}),
      });
      if (!result.ok) {
        // Exit 2 through cli/main.ts: every diagnostic on stderr, one JSON error under --format json.
        const [first, ...rest] = result.unreadable;
        throw new UserError(first ?? { code: 'SDF_IO', file, message: 'cannot read' }, rest);
      }
      await render(io, result.outcome, format, o.sarifBase ?? '.');
      if (o.prove === true && result.outcome.report !== undefined) {
        // No isolation claim for a system that failed validation: its model is partial (issue 15).
        const errors = result.outcome.errors.length;
        const line =
          errors > 0
            ? `isolation: not proved: the system failed validation (${errors} error${errors === 1 ? '' : 's'})`
            : await proveAndCompare(result.outcome.report.flow);
        // Text output only: json/sarif/dot/svg print exactly one document on stdout (CLI.md).
        if (format === 'text') io.out(line);
        else io.err(line);
      }
      if (o.svg !== undefined) await writeSvg(result.outcome, o.svg);
      setStatus(outcomeFails(result.outcome, failOn) ? EXIT_FAILED : EXIT_OK);
    });
}

/** Several paths, or one directory: corpus mode. */
function isCorpus(paths: readonly string[]): boolean {
  if (paths.length !== 1) return true;
  return statSync(paths[0] ?? '', { throwIfNoEntry: false })?.isDirectory() === true;
}

function commonOptions(o: AuditCliOptions): Omit<RunAuditOptions, 'system'> {
  return {
    dialect: parseDialect(o.dialect),
    ...(o.firstError === true ? { firstError: true } : {}),
    ...(o.microkit !== undefined ? { microkit: parseMicrokit(o.microkit) } : {}),
    ...(o.arch !== undefined ? { arch: parseArch(o.arch) } : {}),
  };
}

function corpus(
  io: Io,
  paths: readonly string[],
  c: {
    format: AuditFormat;
    failOn: FailOn;
    common: Omit<RunAuditOptions, 'system'>;
    o: AuditCliOptions;
  },
): number {
  if (c.o.roles !== undefined) throw new CliUsageError('--roles applies to one system only');
  if (c.o.svg !== undefined || c.o.prove === true || c.format === 'dot' || c.format === 'svg') {
    throw new CliUsageError('--svg, --prove and --format dot|svg apply to one system only');
  }
  const entries = auditCorpus(paths, c.common);
  if (entries.length === 0) {
    io.err(`sddf audit: no .system file under ${paths.join(', ')}`);
    return EXIT_CANNOT_RUN;
  }
  switch (c.format) {
    case 'text':
      io.out(corpusToText(entries, { paint: (col, t) => paint(io, col, t) }, c.failOn));
      break;
    case 'json':
      printJson(io, corpusToJson(entries, c.failOn));
      break;
    case 'sarif':
      printJson(
        io,
        auditToSarif(entries, { base: c.o.sarifBase ?? '.', toolVersion: TOOL_VERSION }),
      );
      break;
    default:
      throw new CliUsageError(`--format ${c.format} applies to one system only`);
  }
  // Unreadable files are named on stderr too, located, as for one file.
  for (const e of entries) {
    if ('unreadable' in e)
      for (const d of e.unreadable) io.err(`sddf audit: ${formatDiagnostic(d)}`);
  }
  return corpusExit(entries, c.failOn);
}

/** LP011 by Z3, checked against the graph search the findings came from (a mismatch is our bug). */
async function proveAndCompare(flow: FlowGraph): Promise<string> {
  // Z3 loads only for --prove (docs/adr/001: a command loads only what it needs).
  const { proveIsolation, releaseZ3 } = await import('../../proofs/smt/isolation.ts');
  const proof = await proveIsolation(flow);
  await releaseZ3();
  const search = isolationByGraphSearch(flow);
  for (const p of proof.pairs) {
    const s = search.find((x) => x.from === p.from && x.to === p.to);
    assert(p.verdict === 'unknown' || (p.verdict === 'flow') === (s?.path !== null), () => {
      return `Z3 and graph search disagree on ${flow.nodes[p.from]} → ${flow.nodes[p.to]}`;
    });
  }
  const count = (v: string): number => proof.pairs.filter((p) => p.verdict === v).length;
  return (
    `isolation (Z3, ${proof.seconds.toFixed(2)} s): ${count('isolated')} ordered pair(s) of PDs the policy separates proved isolated, ` +
    `${count('flow')} with a flow, ${count('unknown')} unknown; agrees with the graph search`
  );
}

function parseFailOn(v: string): FailOn {
  if (v === 'error' || v === 'warning' || v === 'note' || v === 'none') return v;
  throw new CliUsageError(`--fail-on must be error, warning, note or none (got '${v}')`);
}

function parseDialect(d: string): DialectChoice {
  if (d === 'auto' || d === '1' || d === '2') return d;
  throw new CliUsageError(`--dialect must be auto, 1 or 2 (got '${d}')`);
}

function parseMicrokit(v: string): MicrokitVersion {
  const m = MICROKIT_VERSIONS.find(
    (x) => x === v || `${x}.0` === v || (x === '1.4' && v === '1.4.1'),
  );
  if (m === undefined) {
    throw new CliUsageError(
      `--microkit must be one of ${MICROKIT_VERSIONS.join(', ')} (got '${v}')`,
    );
  }
  return m;
}

function parseArch(v: string): Arch {
  const a = ARCHES.find((x) => x === v);
  if (a === undefined)
    throw new CliUsageError(`--arch must be one of ${ARCHES.join(', ')} (got '${v}')`);
  return a;
}

async function render(
  io: Io,
  outcome: AuditOutcome,
  format: AuditFormat,
  base: string,
): Promise<void> {
  switch (format) {
    case 'text':
      io.out(auditToText(outcome, { paint: (c, t) => paint(io, c, t) }));
      return;
    case 'json':
      printJson(io, auditToJson(outcome));
      return;
    case 'sarif':
      printJson(io, auditToSarif(outcome, { base, toolVersion: TOOL_VERSION }));
      return;
    case 'dot':
      io.out(dotOf(outcome));
      return;
    case 'svg':
      io.out(await (await import('../../impl/report/svg.ts')).renderSvg(dotOf(outcome)));
      return;
    default: {
      const never: never = format;
      throw new CliUsageError(`unknown format ${String(never)}`);
    }
  }
}

function dotOf(outcome: AuditOutcome): string {
  if (outcome.report === undefined) throw new CliUsageError('no system model to draw');
  return auditToDot(outcome.report, outcome.file);
}

async function writeSvg(outcome: AuditOutcome, path: string): Promise<void> {
  const { renderSvg } = await import('../../impl/report/svg.ts');
  writeFileSync(path, await renderSvg(dotOf(outcome)));
}
