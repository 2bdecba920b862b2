import { describe, expect, it } from 'vitest';
import { checkModel } from '../../proofs/mc/engine.ts';
import { buildSpsc } from '../../proofs/models/spsc.ts';
import type { TransitionSystem } from '../../spec/common/transition.ts';
import { toItfTrace, type ItfTrace } from '../../traces/itf.ts';
import { replayItf, showsViolation } from '../../traces/replay.ts';
import { stopsShort, toggler } from '../proofs/mc/toy-models.ts';

const OPTIONS = { memoryModel: 'sc', bounds: {} };

function traceOf(ts: TransitionSystem, liveness = false): ItfTrace {
  const r = checkModel(ts, { search: 'bfs', liveness });
  expect(r.verdict).toBe('violated');
  return toItfTrace(ts, r.trace!, { options: OPTIONS, verdict: r.verdict, property: r.property! });
}

/** A deep copy with one change, as a hand-edited or stale trace would have. */
function tamper(t: ItfTrace, edit: (doc: { states: Record<string, unknown>[] }) => void): ItfTrace {
  const doc = JSON.parse(JSON.stringify(t)) as { states: Record<string, unknown>[] };
  edit(doc);
  return doc as unknown as ItfTrace;
}

describe('replay', () => {
  const ts = buildSpsc({ ...OPTIONS, memoryModel: 'sc', bug: 'no-recheck' });
  const itf = traceOf(ts);

  it('re-executes a counterexample step by step, and it still shows its violation', () => {
    const r = replayItf(ts, itf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.trace.states).toHaveLength(itf.states.length);
    expect(showsViolation(ts, r.trace, 'no-lost-wakeup')).toBeNull();
  });

  it('reports the first divergence: a changed variable', () => {
    const bad = tamper(itf, (d) => {
      d.states[5]!['consumed'] = 3;
    });
    const r = replayItf(ts, bad);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.divergence.step).toBe(5);
    expect(r.divergence.differs).toEqual(['consumed']);
    // Issue #8: the report says which side is the trace and which the spec.
    expect(r.divergence.trace).toMatchObject({ consumed: 3 });
    expect(r.divergence.spec).toHaveLength(1);
    expect(r.prefix.states).toHaveLength(5);
  });

  it('reports an action that is not enabled', () => {
    const bad = tamper(itf, (d) => {
      (d.states[1]!['#meta'] as { action: string }).action = 'consumer.dequeue';
    });
    const r = replayItf(ts, bad);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.divergence).toMatchObject({
      step: 1,
      reason: "the trace's action consumer.dequeue is not enabled in the spec",
      trace: 'consumer.dequeue',
    });
    expect(r.divergence.spec).toContain('producer.enqueue');
  });

  it('a wrong initial state diverges at step 0', () => {
    const bad = tamper(itf, (d) => {
      d.states[0]!['tl'] = 1;
    });
    const r = replayItf(ts, bad);
    expect(!r.ok && r.divergence.step).toBe(0);
  });

  it('a trace on the fixed model diverges or no longer shows the bug', () => {
    const fixed = buildSpsc({ ...OPTIONS, memoryModel: 'sc' });
    const r = replayItf(fixed, itf);
    const stillBad = r.ok && showsViolation(fixed, r.trace, 'no-lost-wakeup') === null;
    expect(stillBad).toBe(false);
  });

  it('showsViolation rejects a prefix that stops before the lost wakeup', () => {
    const r = replayItf(ts, { ...itf, states: itf.states.slice(0, 4) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(showsViolation(ts, r.trace, 'no-lost-wakeup')).toMatch(/not quiescent/);
    expect(showsViolation(ts, r.trace, 'fifo')).toMatch(/no state/);
    expect(showsViolation(ts, r.trace, 'nonsense')).toMatch(/no property/);
  });

  it('lassos: the loop must close, with its action or as a stutter', () => {
    const live = toggler(true);
    const lasso = traceOf(live, true);
    expect(lasso.loop).toBeDefined();
    const ok = replayItf(live, lasso);
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(showsViolation(live, ok.trace, 'done')).toBeNull();
    const open = replayItf(live, { ...lasso, loop: lasso.states.length - 1 });
    const closes = open.ok;
    // Looping on the last state needs a self-step, which the toggler does not have.
    expect(closes).toBe(false);

    const stutter = traceOf(stopsShort(), true);
    expect(replayItf(stopsShort(), stutter).ok).toBe(true);
    const notStuck = { ...stutter, states: stutter.states.slice(0, 2), loop: 1 };
    expect(replayItf(stopsShort(), notStuck).ok).toBe(false);
  });
});
