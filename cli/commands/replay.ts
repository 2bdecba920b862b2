// `sddf replay`: re-executes an ITF trace on the spec model named in its `#meta` (a built-in
// model, or the user's model module it names) and renders it (contract: ../shared/CLI.md).
// `--on impl`: a trace of a model whose components are implemented, replayed on them (the net
// models on virt_tx, virt_rx and the copiers: traces/refinement/net/replay-impl.ts, ADR 020;
// blk-virt on the blk virt: traces/refinement/blk/replay-impl.ts, ADR 022; the registry is
// api/replay.ts IMPL_REPLAYERS); the first divergence says what the trace has and what the
// implementation made.
// Exit status: 0 replayed (and, when the trace names a violated property, it still shows it);
// 1 diverged or no longer shows its violation; 2 unreadable, binary, not JSON, not ITF (schema),
// or naming an unknown model or a module that does not load.
import type { Command } from 'commander';
import type { ReplayRun } from '../../api/replay.ts';
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

const show = (x: unknown): string => (typeof x === 'string' ? x : JSON.stringify(x));

/** The divergence in the words of the two sides: what the trace has, what the spec offers. */
function divergenceLines(io: Io, run: ReplayRun): string[] {
  if (run.replay.ok) return [];
  const d = run.replay.divergence;
  return [
    paint(io, 'red', `${run.file}: diverges at step ${d.step}: ${d.reason}`),
    ...(d.differs !== undefined ? [`  differs in: ${d.differs.join(', ')}`] : []),
    `  trace: ${show(d.trace)}`,
    ...d.spec.map((f) => `  spec:  ${show(f)}`),
  ];
}

/** The implemented PDs whose wakes the replay found, in order of first wake ("virt_tx and virt_rx"). */
function wokenPds(wakes: readonly { readonly pd: string }[]): string {
  const pds = [...new Set(wakes.map((w) => w.pd))];
  if (pds.length === 0) return 'the implemented components';
  return pds.length === 1 ? pds[0]! : `${pds.slice(0, -1).join(', ')} and ${pds[pds.length - 1]!}`;
}

export function registerReplay(program: Command, io: Io, setStatus: SetStatus): void {
  program
    .command('replay')
    .argument('<trace>', 'an .itf.json trace written by sddf mc')
    .description(
      'replay an ITF trace step by step on the spec model and render it\n' +
        'Exit status: 0 replayed; 1 diverged (or no longer shows its violation); 2 bad trace.',
    )
    .option(
      '--on <target>',
      'spec, or impl (replay on the implemented components: net-pipeline/echo on virt_tx, virt_rx and the copiers, blk-virt on the blk virt; see docs/cli.md)',
      'spec',
    )
    .option('--format <format>', 'text | mermaid | json', 'text')
    .action(async (file: string, opts: Record<string, unknown>) => {
      const format = parseFormat(String(opts['format']), ['text', 'mermaid', 'json']);
      const on = String(opts['on']);
      if (on === 'impl') {
        if (format === 'mermaid') throw new CliUsageError('--on impl renders text or json');
        const { replayFileOnImpl } = await import('../../api/replay.ts');
        const run = replayFileOnImpl(file);
        const r = run.result;
        const d = r.divergence;
        const partly: Record<string, number> = {};
        for (const w of r.wakeList)
          if (w.compared && w.why !== undefined) partly[w.why] = (partly[w.why] ?? 0) + 1;
        if (format === 'json') {
          printJson(io, {
            file,
            model: run.model,
            on,
            replayed: d === undefined,
            steps: r.steps,
            wakes: r.wakes,
            compared: r.compared,
            notCompared: r.notCompared,
            // Which wakes, and the step that wrote into the component's view (the first 20).
            notComparedWakes: r.wakeList
              .filter((w) => !w.compared)
              .slice(0, 20)
              .map((w) => ({ pd: w.pd, from: w.from, to: w.to, why: w.why })),
            // Compared wakes with a note (blk: the trace ends inside the wake, compared as a prefix).
            ...(Object.keys(partly).length > 0 ? { comparedWithNote: partly } : {}),
            ...(d !== undefined ? { divergence: d } : {}),
          });
        } else {
          const skipped = Object.entries(r.notCompared)
            .map(([why, n]) => `${n} not compared (${why})`)
            .join('; ');
          const noted = Object.entries(partly)
            .map(([why, n]) => ` (${n} of them: ${why})`)
            .join('');
          io.out(
            `${file}: ${r.steps} steps, ${r.wakes} ${r.wakes === 1 ? 'wake' : 'wakes'} of ${wokenPds(r.wakeList)}, ${r.compared} compared on the implementation${noted}${skipped === '' ? '' : `; ${skipped}`}`,
          );
          io.out(
            d === undefined
              ? paint(io, 'green', 'no divergence')
              : [
                  paint(
                    io,
                    'red',
                    `diverges at step ${d.step} (the end of ${d.pd}'s wake from step ${d.wakeStep}): ${d.where}`,
                  ),
                  `  trace: ${show(d.trace)}`,
                  `  impl:  ${show(d.impl)}`,
                ].join('\n'),
          );
        }
        setStatus(d === undefined ? EXIT_OK : EXIT_FAILED);
        return;
      }
      if (on !== 'spec') throw new CliUsageError(`--on must be spec or impl (got '${on}')`);
      const { replayFile } = await import('../../api/replay.ts');
      const run = await replayFile(file);
      const ok = run.replay.ok && run.violationCheck === null;
      if (format === 'json') {
        printJson(io, {
          file,
          model: run.model,
          ...(run.module !== undefined ? { module: run.module } : {}),
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
        io.out(divergenceLines(io, run).join('\n'));
      } else {
        const { renderMermaid, renderText } = await import('../../traces/render.ts');
        io.out((format === 'mermaid' ? renderMermaid(run.itf) : renderText(run.itf)).trimEnd());
        if (run.violationCheck !== null) {
          io.err(`sddf: ${file}: replays, but ${run.violationCheck}`);
        }
      }
      setStatus(ok ? EXIT_OK : EXIT_FAILED);
    });
}
