// Scheduling edges of the deterministic runtime (issue 12 part 7 survivors): boot order by
// priority and round robin from the first PD, eligibility (booting ignores it), stopped PDs never
// run, preemption after a PPC returns, the step bound inside preemption, and the idle-round bound.
import { describe, expect, it } from 'vitest';
import { DeterministicRuntime, MAX_IDLE_ROUNDS } from '../../../impl/runtime/deterministic.ts';
import type { SystemModel } from '../../../spec/system/model.ts';
import { registryOf, system, type Script } from './build.ts';

function create(
  model: SystemModel,
  scripts: Record<string, Script>,
  opts: { eligible?: (pd: string) => boolean; onIdle?: () => boolean } = {},
) {
  const all = Object.fromEntries(model.pds.map((p) => [p.name, scripts[p.name] ?? (() => ({}))]));
  const { runtime, errors } = DeterministicRuntime.create(model, {
    registry: registryOf(all),
    ...opts,
  });
  expect(errors).toEqual([]);
  return runtime!;
}

describe('scheduling edges', () => {
  it('boots by priority, highest first, whatever the declaration order; equal priorities in declaration order', () => {
    const order: string[] = [];
    const init =
      (n: string): Script =>
      () => ({ init: () => void order.push(n) });
    const model = system({
      pds: [
        { name: 'p0', priority: 3 },
        { name: 'p1', priority: 3 },
        { name: 'p2', priority: 3 },
        { name: 'lo', priority: 1 },
        { name: 'hi', priority: 9 },
      ],
    });
    create(model, {
      p0: init('p0'),
      p1: init('p1'),
      p2: init('p2'),
      lo: init('lo'),
      hi: init('hi'),
    }).run({
      maxSteps: 20,
    });
    expect(order).toEqual(['hi', 'p0', 'p1', 'p2', 'lo']);
  });

  it('an ineligible PD boots but gets no notification until it is eligible again', () => {
    let allow = false;
    const seen: number[] = [];
    const model = system({
      pds: [
        { name: 'a', priority: 1 },
        { name: 'b', priority: 2 },
      ],
      channels: [
        [
          { pd: 'a', id: 0 },
          { pd: 'b', id: 3 },
        ],
      ],
    });
    const rt = create(
      model,
      {
        a: ({ api }) => ({ init: () => api.notify(0) }),
        b: () => ({ notified: (ch) => void seen.push(ch) }),
      },
      { eligible: (pd) => pd !== 'b' || allow },
    );
    rt.run({ maxSteps: 20 });
    expect(rt.status('b')).toMatchObject({ status: 'ready', wakes: 1, pendingLo: 1 << 3 });
    expect(seen).toEqual([]);
    allow = true;
    rt.run({ maxSteps: 20 });
    expect(seen).toEqual([3]);
  });

  it('a stopped PD never runs again, even with notifications pending', () => {
    const seen: number[] = [];
    const model = system({
      pds: [
        { name: 'a', priority: 1 },
        { name: 'b', priority: 2 },
      ],
      channels: [
        [
          { pd: 'a', id: 0 },
          { pd: 'b', id: 3 },
        ],
      ],
    });
    const rt = create(model, {
      a: ({ api }) => ({ init: () => api.notify(0) }),
      b: () => ({
        init: () => {
          throw new Error('b fails');
        },
        notified: (ch) => void seen.push(ch),
      }),
    });
    expect(rt.run({ maxSteps: 20 })).toMatchObject({ status: 'quiescent', steps: 2 });
    expect(seen).toEqual([]);
    expect(rt.status('b')).toMatchObject({ status: 'stopped', wakes: 1 });
  });

  it('after a PPC returns, a notify to a PD above the caller (but below the callee) still preempts', () => {
    const order: string[] = [];
    const model = system({
      pds: [
        { name: 'client', priority: 1 },
        { name: 'b', priority: 5 },
        { name: 'server', priority: 10, passive: true },
      ],
      channels: [
        [
          { pd: 'client', id: 1, pp: true },
          { pd: 'server', id: 4 },
        ],
        [
          { pd: 'client', id: 0 },
          { pd: 'b', id: 0 },
        ],
      ],
    });
    create(model, {
      client: ({ api }) => ({
        init: () => {
          api.ppcall(1, { label: 0, words: [] });
          api.notify(0);
          order.push('client after notify');
        },
      }),
      b: () => ({ notified: () => void order.push('b notified') }),
      server: () => ({ protected: () => ({ label: 0, words: [] }) }),
    }).run({ maxSteps: 20 });
    expect(order).toEqual(['b notified', 'client after notify']);
  });

  it('preemption stops at the step bound: the woken PD waits for the next run', () => {
    const model = system({
      pds: [
        { name: 'a', priority: 1 },
        { name: 'b', priority: 2 },
      ],
      channels: [
        [
          { pd: 'a', id: 0 },
          { pd: 'b', id: 3 },
        ],
      ],
    });
    const seen: number[] = [];
    const rt = create(model, {
      a: ({ api }) => ({ init: () => api.notify(0) }),
      b: () => ({ notified: (ch) => void seen.push(ch) }),
    });
    // Step 1 boots b, step 2 boots a, whose notify would preempt: the bound is reached.
    expect(rt.run({ maxSteps: 2 })).toMatchObject({ status: 'incomplete', steps: 2 });
    expect(seen).toEqual([]);
    expect(rt.run({ maxSteps: 5 })).toMatchObject({ status: 'quiescent', steps: 3 });
    expect(seen).toEqual([3]);
  });

  it(`devices that report activity but wake no PD end the run as incomplete after ${MAX_IDLE_ROUNDS} rounds`, () => {
    let calls = 0;
    const rt = create(system({ pds: [{ name: 'a' }] }), {}, { onIdle: () => (calls++, true) });
    expect(rt.run({ maxSteps: 10 })).toMatchObject({ status: 'incomplete', steps: 1 });
    expect(calls).toBe(MAX_IDLE_ROUNDS);
  });
});
