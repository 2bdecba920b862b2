import { describe, expect, it } from 'vitest';
import { runQueueRefinement } from '../../../traces/refinement/queues.ts';
import type { QueueUnderTest } from '../../../traces/refinement/queue-commands.ts';
import { refinementStage } from '../../../cli/pipeline/stages/refinement.ts';

/** A broken queue: every enqueue after the first reports success but is lost. */
function losesItems<T>(q: QueueUnderTest<T>): QueueUnderTest<T> {
  let enqueues = 0;
  return {
    enqueue: (x) => (++enqueues > 1 ? true : q.enqueue(x)),
    dequeue: () => q.dequeue(),
    empty: () => q.empty(),
    full: () => q.full(),
    length: () => q.length(),
  };
}

/**
 * A correct FIFO that is not queue.h: whenever a dequeue empties the queue it resets both shared
 * indices to 0. The abstract FIFO cannot tell; the lockstep spec twin must.
 */
function resetsWhenEmpty<T>(q: QueueUnderTest<T>): QueueUnderTest<T> {
  const indices = (q as unknown as { indices: Uint16Array }).indices;
  return {
    enqueue: (x) => q.enqueue(x),
    dequeue: () => {
      const got = q.dequeue();
      if (q.empty()) indices.fill(0);
      return got;
    },
    empty: () => q.empty(),
    full: () => q.full(),
    length: () => q.length(),
  };
}

describe('runQueueRefinement', () => {
  it('passes every queue class with the correct implementations, seeded', () => {
    const results = runQueueRefinement({ seed: 5, runs: 60 });
    expect(results.map((r) => r.name)).toEqual([
      'queue.net',
      'queue.blk.req',
      'queue.blk.resp',
      'queue.serial',
      'queue.i2c.req',
    ]);
    for (const r of results) {
      expect(r.ok, `${r.name}: ${r.counterexample}`).toBe(true);
      expect(r.runs).toBe(60);
      expect(r.seconds).toBeGreaterThan(0);
    }
  });

  it('fails the net queue with the C-as-written full check (U1) and says what replays it', () => {
    const [net] = runQueueRefinement({
      seed: 5,
      runs: 500,
      only: ['queue.net'],
      netFullCheck: 'int-promoted',
    });
    expect(net?.ok).toBe(false);
    expect(net?.counterexample).toMatch(/65533|6553\d/);
    expect(net?.seed).toBe(5);
    expect(net?.path).toMatch(/^\d+(:\d+)*$/);
  });

  it('fails every wrapped class when the implementation loses items', () => {
    const results = runQueueRefinement({
      seed: 9,
      runs: 200,
      only: ['queue.net', 'queue.blk.req', 'queue.blk.resp', 'queue.serial'],
      wrap: losesItems,
    });
    expect(results).toHaveLength(4);
    for (const r of results) expect(r.ok, r.name).toBe(false);
  });

  it('holds the implementation to the spec operations, not only to a FIFO', () => {
    const [net] = runQueueRefinement({
      seed: 3,
      runs: 200,
      only: ['queue.net'],
      wrap: resetsWhenEmpty,
    });
    expect(net?.ok).toBe(false);
    expect(net?.counterexample).toMatch(/shared words \(impl vs spec\)/);
  });

  it('the same seed gives the same verdicts and counterexamples', () => {
    const a = runQueueRefinement({
      seed: 77,
      runs: 300,
      only: ['queue.net'],
      netFullCheck: 'int-promoted',
    });
    const b = runQueueRefinement({
      seed: 77,
      runs: 300,
      only: ['queue.net'],
      netFullCheck: 'int-promoted',
    });
    expect(a[0]?.counterexample).toBe(b[0]?.counterexample);
  });
});

describe('sddf check refinement stage', () => {
  it('reports one refinement result per queue class', async () => {
    const lines: string[] = [];
    const results = await refinementStage({
      system: 'echo_server',
      seed: 1,
      outDir: 'out',
      progress: (l) => lines.push(l),
    });
    expect(results).toHaveLength(5);
    for (const r of results) {
      expect(r.kind).toBe('refinement');
      expect(r.verdict).toBe('pass');
      expect(r.detail).toMatch(/200 runs/);
    }
    expect(lines).toEqual(['refinement: queues']);
  });
});
