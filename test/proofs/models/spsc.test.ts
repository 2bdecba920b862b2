// `spsc`, the handshake of spsc.pml built from the spec's net queue operations: its verdicts, and
// its agreement with the statement-for-statement port `spsc-pml` that SPIN runs (bench/spin.ts).
import { describe, expect, it } from 'vitest';
import { NO_LOST_WAKEUP, checkModel } from '../../../proofs/mc/engine.ts';
import { buildSpsc, spscEntry } from '../../../proofs/models/spsc.ts';
import { buildSpscPml, spscPmlEntry } from '../../../proofs/models/spsc-pml.ts';
import type { MemoryModel } from '../../../proofs/models/types.ts';
import { UserError } from '../../../spec/common/diagnostic.ts';
import type { ItfValue, State, TransitionSystem } from '../../../spec/common/transition.ts';

const build = (
  bug?: string,
  bounds: Record<string, number> = {},
  memoryModel: MemoryModel = 'sc',
) => buildSpsc({ memoryModel, bounds, ...(bug !== undefined ? { bug } : {}) });

describe('spsc (built from spec/queue/net.ts)', () => {
  it('holds under SC (safety and drained); the HEAD queue loses a wakeup under TSO, not with seq_cst fences', () => {
    expect(checkModel(build(), { search: 'bfs' }).verdict).toBe('holds');
    expect(checkModel(build(), { search: 'bfs', liveness: true }).verdict).toBe('holds');
    for (const memoryModel of ['tso', 'pso'] as const) {
      const head = checkModel(buildSpsc({ memoryModel, bounds: {} }), { search: 'bfs' });
      expect(head.property, memoryModel).toBe(NO_LOST_WAKEUP);
      const fenced = buildSpsc({ memoryModel, bounds: { fences: 1 } });
      expect(checkModel(fenced, { search: 'bfs' }).verdict, memoryModel).toBe('holds');
    }
  });

  it('every variant is caught by its expected property', () => {
    for (const bug of spscEntry.bugs) {
      const ts = spscEntry.build({
        memoryModel: bug.memoryModel ?? 'sc',
        bounds: bug.bounds ?? {},
        bug: bug.id,
      });
      expect(checkModel(ts, { search: 'bfs' }).property, bug.id).toBe(bug.expectedProperty);
    }
  });

  it('at the u16 wrap a power-of-two capacity holds and capacity 3 breaks the FIFO (% capacity)', () => {
    expect(checkModel(build(undefined, { indexBase: 65534 }), { search: 'bfs' }).verdict).toBe(
      'holds',
    );
    const r = checkModel(build(undefined, { capacity: 3, items: 6, indexBase: 65534 }), {
      search: 'bfs',
    });
    expect(r.property).toBe('fifo');
  });

  it('bounds and variants are user input', () => {
    expect(() => build(undefined, { capacity: 0 })).toThrow(UserError);
    expect(() => build(undefined, { items: 255 })).toThrow(UserError);
    expect(() => build(undefined, { grain: 1 })).toThrow(UserError);
    expect(() => build('no-such-bug')).toThrow(UserError);
  });
});

/** Every reachable state's projection (null: skip the state). */
function projections(
  ts: TransitionSystem,
  project: (itf: Record<string, ItfValue>) => string | null,
) {
  const seen = new Set<string>();
  const out = new Set<string>();
  const queue: State[] = [...ts.initialStates()];
  for (const s of queue) seen.add(s.join(','));
  for (let i = 0; i < queue.length; i++) {
    const key = project(ts.toItf(queue[i]!));
    if (key !== null) out.add(key);
    ts.successors(queue[i]!, (_a, next) => {
      const k = next.join(',');
      if (!seen.has(k)) {
        seen.add(k);
        queue.push(new Uint32Array(next));
      }
    });
  }
  return out;
}

/**
 * The shared variables both models have, at the .pml's index width (mod 2·CAP): tail, head,
 * consumer_signalled, notif, pdone, consumed, and the two processes' counters v and expect.
 */
function specProjection(capacity: number) {
  return (x: Record<string, ItfValue>) =>
    JSON.stringify([
      (x['active.tail'] as number) % (2 * capacity),
      (x['active.head'] as number) % (2 * capacity),
      x['active.consumer_signalled'] === 1,
      x['notif'] === 1,
      x['pdone'] === 1,
      x['consumed'],
      x['producer.v'],
      x['consumer.expect'],
    ]);
}

/**
 * The port's states where no merged step is half done: spsc publishes an enqueue's tail and a
 * dequeue's head in the same step as the slot access, the port one statement later.
 */
function pmlProjection(x: Record<string, ItfValue>): string | null {
  const p = x['producer'] as Record<string, ItfValue>;
  const c = x['consumer'] as Record<string, ItfValue>;
  if (p['pc'] === 'publish' || c['pc'] === 'publish_head') return null;
  return JSON.stringify([
    x['tl'],
    x['hd'],
    x['consumer_signalled'],
    x['notif'],
    x['pdone'],
    x['consumed'],
    p['v'],
    c['expect'],
  ]);
}

describe('spsc agrees with its statement-for-statement twin spsc-pml', () => {
  it('the same variants, each with the same verdict and property', () => {
    expect(spscEntry.bugs.map((b) => b.id)).toEqual(spscPmlEntry.bugs.map((b) => b.id));
    for (const bug of spscPmlEntry.bugs) {
      const twin = checkModel(
        buildSpscPml({ memoryModel: bug.memoryModel ?? 'sc', bounds: {}, bug: bug.id }),
        { search: 'bfs' },
      );
      const ours = spscEntry.bugs.find((b) => b.id === bug.id)!;
      const spec = checkModel(build(bug.id, { ...(ours.bounds ?? {}) }, ours.memoryModel ?? 'sc'), {
        search: 'bfs',
      });
      expect([spec.verdict, spec.property], bug.id).toEqual([twin.verdict, twin.property]);
    }
    for (const memoryModel of ['sc', 'tso'] as const) {
      const twin = checkModel(buildSpscPml({ memoryModel, bounds: {} }), { search: 'bfs' });
      const spec = checkModel(buildSpsc({ memoryModel, bounds: {} }), { search: 'bfs' });
      expect([spec.verdict, spec.property], memoryModel).toEqual([twin.verdict, twin.property]);
    }
  });

  it('under SC both reach exactly the same shared states (projected as far as they correspond)', () => {
    for (const [capacity, items] of [
      [1, 3],
      [2, 4],
      [3, 5],
    ] as const) {
      const bounds = { capacity, items };
      const spec = projections(buildSpsc({ memoryModel: 'sc', bounds }), specProjection(capacity));
      const twin = projections(buildSpscPml({ memoryModel: 'sc', bounds }), pmlProjection);
      expect(spec.size, `${capacity}/${items}`).toBeGreaterThan(20);
      expect([...spec].sort(), `${capacity}/${items}`).toEqual([...twin].sort());
    }
  });

  it('the projection can tell the models apart: spsc without the re-check is not the port', () => {
    const bounds = { capacity: 2, items: 4 };
    const spec = projections(
      buildSpsc({ memoryModel: 'sc', bounds, bug: 'no-recheck' }),
      specProjection(2),
    );
    const twin = projections(buildSpscPml({ memoryModel: 'sc', bounds }), pmlProjection);
    expect([...spec].sort()).not.toEqual([...twin].sort());
  });
});
