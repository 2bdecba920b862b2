import { describe, expect, it } from 'vitest';
import { checkModel } from '../../proofs/mc/engine.ts';
import { buildSpscPml as buildSpsc } from '../../proofs/models/spsc-pml.ts';
import { toItfTrace } from '../../traces/itf.ts';
import { renderMermaid, renderText } from '../../traces/render.ts';
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
