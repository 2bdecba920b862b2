import { describe, expect, it } from 'vitest';
import { checkModel } from '../../proofs/mc/engine.ts';
import { buildSpscPml as buildSpsc } from '../../proofs/models/spsc-pml.ts';
import { toItfTrace } from '../../traces/itf.ts';
import { changedValues, renderMermaid, renderText } from '../../traces/render.ts';
import { readTrace } from '../../traces/corpus.ts';
import { toggler } from '../proofs/mc/toy-models.ts';

const ts = buildSpsc({ memoryModel: 'sc', bounds: {}, bug: 'no-recheck' });
const r = checkModel(ts, { search: 'bfs' });
const itf = toItfTrace(ts, r.trace!, {
  options: { memoryModel: 'sc', bounds: { capacity: 2, items: 4 }, bug: 'no-recheck' },
  verdict: 'violated',
  property: r.property!,
  message: r.message!,
});

describe('renderers', () => {
  it('text: a header, then one line per step "#i PD action touches"', () => {
    const lines = renderText(itf).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^spsc-pml \(bug no-recheck.*violated: no-lost-wakeup$/);
    const steps = lines.filter((l) => l.startsWith('#'));
    expect(steps).toHaveLength(itf.states.length);
    expect(steps[0]).toMatch(/^# ?0 init$/);
    expect(steps[1]).toMatch(/^# ?1 producer enqueue active\.buffers \[/);
  });

  it('text: under each step, the values it changed', () => {
    const lines = renderText(itf).trimEnd().split('\n');
    const first = lines.findIndex((l) => /^# ?1 producer enqueue/.test(l));
    // The enqueue writes the first ring slot (and the producer's own registers).
    expect(lines[first + 1]).toMatch(/^ {4}ring\[0\] 0→1, producer\.pc loop→publish/);
    expect(renderText(itf, { changes: false })).not.toMatch(/→/);
  });

  it('changedValues: scalars, list elements and record fields, nothing unchanged', () => {
    expect(
      changedValues(
        { a: 1, b: [1, 2, 3], c: { x: 'p', y: true }, d: 7 },
        { a: 2, b: [1, 5, 3], c: { x: 'q', y: true }, d: 7 },
      ),
    ).toEqual(['a 1→2', 'b[1] 2→5', 'c.x p→q']);
  });

  it('mermaid: notifies of the runtime models are arrows to the notified PD (issue #8)', () => {
    // net-pipeline and blk-handshake give no #meta.peer: the arrow comes from the rise of the
    // receiving PD's notification word.
    const pipeline = renderMermaid(
      readTrace(new URL('../../traces/corpus/net-pipeline-F3.itf.json', import.meta.url).pathname),
    );
    const aliases = new Map(
      [...pipeline.matchAll(/participant (P\d+) as (\S+)/g)].map((m) => [m[2]!, m[1]!]),
    );
    const arrow = (from: string, to: string, what: string): RegExp =>
      new RegExp(` {2}${aliases.get(from)}->>${aliases.get(to)}: \\d+ ${what}`);
    // Each device is its own participant (changed on purpose: devices are per-device processes
    // for weak fairness, proofs/models/runtime.ts), so the NIC's step is `rx_frame` of `nic`.
    expect(pipeline).toMatch(arrow('nic', 'driver', 'rx_frame'));
    expect(pipeline).toMatch(arrow('driver', 'virt_rx', 'rx_return\\.notify_if\\(RxA\\)'));
    expect(pipeline).toMatch(
      arrow('virt_rx', 'copier0', 'rx_return\\.notify_if\\(copier\\.RxA\\)'),
    );
    // A step that notifies nobody stays a note.
    expect(pipeline).toMatch(/Note over P\d+: \d+ recv/);
    const blk = renderMermaid(
      readTrace(new URL('../../traces/corpus/blk-handshake-U7.itf.json', import.meta.url).pathname),
    );
    expect(blk).toMatch(/P\d+->>P\d+: \d+ submit\.notify/);
  });

  it('mermaid: a sequenceDiagram with PDs as participants and notify as a message', () => {
    const m = renderMermaid(itf);
    const lines = m.trimEnd().split('\n');
    expect(lines[0]).toBe('sequenceDiagram');
    expect(lines).toContain('  participant P0 as producer');
    expect(lines).toContain('  participant P1 as consumer');
    expect(m).toMatch(/ {2}P0->>P1: \d+ notify/);
    expect(m).toMatch(/ {2}P1->>P0: \d+ publish_head \(active\.head\)/);
    // Mermaid breaks on ';' and '#' inside messages.
    for (const l of lines.slice(1)) expect(l).not.toMatch(/[;#]/);
  });

  it('lassos show where the loop starts and how it closes', () => {
    const live = toggler(true);
    const lr = checkModel(live, { search: 'bfs', liveness: true });
    const t = toItfTrace(live, lr.trace!, {
      options: { memoryModel: 'sc', bounds: {} },
      verdict: 'violated',
      property: 'done',
    });
    expect(renderText(t)).toMatch(/loop: spin\.toggle returns to state #\d/);
    expect(renderMermaid(t)).toMatch(/spin\.toggle back to state \d/);
  });
});
