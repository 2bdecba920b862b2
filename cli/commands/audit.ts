// `sddf audit FILE.system [--dialect auto|1|2] [--roles FILE.json]
//   [--format text|json|sarif|dot|svg] [--svg FILE] [--first-error] [--fail-on SEVERITY] [--prove]`
// (CLI.md; issue #4).
// Exit: 0 no error finding and a valid system; 1 an error finding or a Microkit validation error;
// 2 unreadable or malformed input (missing file, XML not well-formed, bad roles file), located on
// stderr.
import { writeFileSync } from 'node:fs';
import { relative, sep, isAbsolute } from 'node:path';
import type { Command } from 'commander';
import { formatDiagnostic } from '../../spec/common/diagnostic.ts';
import { auditToDot } from '../../impl/report/audit/dot.ts';
import { auditToJson } from '../../impl/report/audit/json.ts';
import { outcomeFails, type AuditOutcome, type FailOn } from '../../spec/system/audit/outcome.ts';
import { auditToSarif } from '../../impl/report/audit/sarif.ts';
import { auditToText } from '../../impl/report/audit/text.ts';
import { assert } from '../../spec/common/assert.ts';
import { isolationByGraphSearch, type FlowGraph } from '../../spec/system/audit/flow.ts';
import { proveIsolation, releaseZ3 } from '../../proofs/smt/isolation.ts';
import { runAudit } from '../../impl/report/audit.ts';
import { renderSvg } from '../../impl/report/svg.ts';
import type { DialectChoice } from '../../impl/sdf/index.ts';
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

interface AuditCliOptions {
  dialect: string;
  roles?: string;
  format: string;
  svg?: string;
  firstError?: boolean;
  failOn: string;
  prove?: boolean;
}

export function registerAudit(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('audit')
    .description('audit a Microkit .system file for least privilege (rules LP000–LP012)')
    .argument('<file>', '.system file (or a built-in system name, e.g. echo_server)')
    .option('--dialect <d>', 'SDF dialect: auto, 1 (pp on the PD) or 2 (pp on <end>)', 'auto')
    .option('--roles <file>', 'roles file (JSON) overriding role inference')
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('--svg <file>', 'also write the DOT graph rendered as SVG to this file')
    .option('--first-error', "report only Microkit's first validation error")
    .option('--prove', 'also prove LP011 isolation in Z3 and check it agrees with the graph search')
    .option(
      '--fail-on <severity>',
      'lowest finding severity that exits 1: error, warning, note, none',
      'error',
    )
    .action(async (file: string, o: AuditCliOptions) => {
      const format = parseFormat(o.format, FORMATS) as AuditFormat;
      const dialect = parseDialect(o.dialect);
      const failOn = parseFailOn(o.failOn);
      const result = runAudit({
        system: file,
        dialect,
        ...(o.roles !== undefined ? { rolesPath: o.roles } : {}),
        ...(o.firstError === true ? { firstError: true } : {}),
      });
      if (!result.ok) {
        for (const d of result.unreadable) io.err(`sddf audit: ${formatDiagnostic(d)}`);
        setStatus(EXIT_CANNOT_RUN);
        return;
      }
      await render(io, result.outcome, format);
      if (o.prove === true && result.outcome.report !== undefined) {
        const line = await proveAndCompare(result.outcome.report.flow);
        // Text output only: json/sarif/dot/svg print exactly one document on stdout (CLI.md).
        if (format === 'text') io.out(line);
        else io.err(line);
      }
      if (o.svg !== undefined) await writeSvg(result.outcome, o.svg);
      setStatus(outcomeFails(result.outcome, failOn) ? EXIT_FAILED : EXIT_OK);
    });
}

/** LP011 by Z3, checked against the graph search the findings came from (a mismatch is our bug). */
async function proveAndCompare(flow: FlowGraph): Promise<string> {
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
    `isolation (Z3, ${proof.seconds.toFixed(2)} s): ${count('isolated')} ordered client pair(s) proved isolated, ` +
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

async function render(io: Io, outcome: AuditOutcome, format: AuditFormat): Promise<void> {
  switch (format) {
    case 'text':
      io.out(auditToText(outcome, { paint: (c, t) => paint(io, c, t) }));
      return;
    case 'json':
      printJson(io, auditToJson(outcome));
      return;
    case 'sarif':
      printJson(
        io,
        auditToSarif(outcome, { uri: artifactUri(outcome.file), toolVersion: '0.1.0' }),
      );
      return;
    case 'dot':
      io.out(dotOf(outcome));
      return;
    case 'svg':
      io.out(await renderSvg(dotOf(outcome)));
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
  writeFileSync(path, await renderSvg(dotOf(outcome)));
}

/** SARIF artifact URI: relative to the working directory (the repository root in CI), `/`-separated. */
function artifactUri(file: string): string {
  const rel = isAbsolute(file) ? relative(process.cwd(), file) : file;
  const chosen = rel.startsWith('..') || rel === '' ? file : rel;
  return chosen.split(sep).join('/');
}
