// `sddf replay`: re-executes an ITF trace on the spec model named in its `#meta` and renders it
// (contract: ../shared/CLI.md). Exit status: 0 replayed (and, when the trace names a violated
// property, it still shows it); 1 diverged or no longer shows its violation; 2 unreadable,
// not JSON, not ITF (schema), or naming an unknown model.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { MemoryModel } from '../../proofs/models/registry.ts';
import { UserError } from '../../spec/common/diagnostic.ts';
import { parseItf, type ItfTrace } from '../../traces/itf.ts';
import { renderMermaid, renderText } from '../../traces/render.ts';
import { replayItf, showsViolation, type ReplayResult } from '../../traces/replay.ts';
import {
  CliUsageError,
  EXIT_FAILED,
  EXIT_OK,
  paint,
  parseFormat,
  printJson,
  type Io,
} from '../output.ts';
import type { SetStatus } from './index.ts';
import { resolveModel } from './mc.ts';

export interface ReplayRun {
  readonly file: string;
  readonly itf: ItfTrace;
  readonly model: string;
  readonly replay: ReplayResult;
  /** null: shows its violation (or claims none); else why it does not. */
  readonly violationCheck: string | null;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError({
      code: 'ITF',
      file,
      message: `cannot read: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

/** Library entry of `sddf replay --on spec`. */
export function replayFile(file: string): ReplayRun {
  const itf = parseItf(readText(file), file);
  const meta = itf['#meta'];
  if (meta === undefined || typeof meta.model !== 'string' || typeof meta.options !== 'object') {
    throw new UserError({
      code: 'ITF',
      file,
      message: 'at JSON path /#meta: needs model and options (not an sddf-model trace)',
    });
  }
  const { entry, options } = resolveModel({
    model: meta.model,
    bounds: meta.options.bounds ?? {},
    memoryModel: (meta.options.memoryModel ?? 'sc') as MemoryModel,
    ...(meta.options.bug !== undefined ? { bug: meta.options.bug } : {}),
  });
  const ts = entry.build(options);
  const replay = replayItf(ts, itf);
  const violationCheck =
    replay.ok && meta.verdict === 'violated' && meta.property !== undefined
      ? showsViolation(ts, replay.trace, meta.property)
      : null;
  return { file, itf, model: entry.name, replay, violationCheck };
}

export function registerReplay(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('replay')
    .argument('<trace>', 'an .itf.json trace written by sddf mc')
    .description(
      'replay an ITF trace step by step on the spec model and render it\n' +
        'Exit status: 0 replayed; 1 diverged (or no longer shows its violation); 2 bad trace.',
    )
    .option('--on <target>', 'spec (impl: a later issue, not available yet)', 'spec')
    .option('--format <format>', 'text | mermaid | json', 'text')
    .action((file: string, opts: Record<string, unknown>) => {
      const format = parseFormat(String(opts['format']), ['text', 'mermaid', 'json']);
      const on = String(opts['on']);
      if (on === 'impl') {
        throw new CliUsageError(
          '--on impl: replay on the implementation is a later issue and not available yet; use --on spec',
        );
      }
      if (on !== 'spec') throw new CliUsageError(`--on must be spec or impl (got '${on}')`);
      const run = replayFile(file);
      const ok = run.replay.ok && run.violationCheck === null;
      if (format === 'json') {
        printJson(io, {
          file,
          model: run.model,
          on,
          replayed: run.replay.ok,
          steps: run.itf.states.length - 1,
          ...(run.itf['#meta']?.property !== undefined
            ? { property: run.itf['#meta'].property }
            : {}),
          ...(!run.replay.ok ? { divergence: run.replay.divergence } : {}),
          ...(run.violationCheck !== null ? { violationNotShown: run.violationCheck } : {}),
        });
      } else if (!run.replay.ok) {
        const d = run.replay.divergence;
        io.out(
          [
            paint(io, 'red', `${file}: diverges at step ${d.step}: ${d.reason}`),
            ...(d.differs !== undefined ? [`  differs in: ${d.differs.join(', ')}`] : []),
            `  expected: ${typeof d.expected === 'string' ? d.expected : JSON.stringify(d.expected)}`,
            ...d.found.map((f) => `  found:    ${typeof f === 'string' ? f : JSON.stringify(f)}`),
          ].join('\n'),
        );
      } else {
        io.out((format === 'mermaid' ? renderMermaid(run.itf) : renderText(run.itf)).trimEnd());
        if (run.violationCheck !== null) {
          io.err(`sddf: ${file}: replays, but ${run.violationCheck}`);
        }
      }
      setStatus(ok ? EXIT_OK : EXIT_FAILED);
    });
}
