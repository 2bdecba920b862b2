// `sddf replay --on impl` for blk-virt traces (issue 13 part 7; traces/refinement/blk/replay-impl.ts,
// ADR 022): seeded random walks of the unmodified model replay on the implemented virt without
// divergence, with most wakes compared; a hand-edited state diverges at its step; the corpus traces
// and walks of the seeded variants show what the implementation does where the bug acts.
import { describe, expect, it } from 'vitest';
import { readSddfTrace, replayItfOnImpl } from '../../../../api/replay.ts';
import { blkVirtWalk } from '../../../../api/replay-blk.ts';
import type { ItfTrace } from '../../../../traces/itf.ts';

type Bounds = Readonly<Record<string, number>>;

function walks(o: { bounds?: Bounds; bug?: string; runToCompletion?: number; seeds: number }) {
  return Array.from({ length: o.seeds }, (_, k) =>
    blkVirtWalk({
      seed: k + 1,
      maxSteps: 200,
      ...(o.bounds !== undefined ? { bounds: o.bounds } : {}),
      ...(o.bug !== undefined ? { bug: o.bug } : {}),
      ...(o.runToCompletion !== undefined ? { runToCompletion: o.runToCompletion } : {}),
    }),
  );
}

describe('random walks of the unmodified blk-virt model replay on the implemented virt', () => {
  it.each([
    { bounds: {}, runToCompletion: 0, minCompared: 90 },
    { bounds: { capacity: 4 }, runToCompletion: 0, minCompared: 60 },
    { bounds: {}, runToCompletion: 0.8, minCompared: 110 },
  ])(
    'bounds $bounds, run-to-completion $runToCompletion: 20 walks, no divergence, most wakes compared',
    ({ bounds, runToCompletion, minCompared }) => {
      let wakes = 0;
      let compared = 0;
      let boots = 0;
      for (const itf of walks({ bounds, runToCompletion, seeds: 20 })) {
        const r = replayItfOnImpl(itf).result;
        expect(r.divergence, `seed ${String(itf['#meta']?.seed)}`).toBeUndefined();
        wakes += r.wakes;
        compared += r.compared;
        boots += r.wakeList.filter((w) => w.compared && w.from === 1).length;
      }
      // A replay that compares nothing proves nothing: most wakes ran on the implementation.
      expect(compared).toBeGreaterThanOrEqual(minCompared);
      expect(compared).toBeGreaterThan(wakes / 2);
      expect(boots).toBe(20); // each walk's boot (the MBR request) ran on the implementation
    },
  );

  it('a disk whose mirror GPT header differs: the boot is compared, the partition init is not', () => {
    // The fixed model refuses the table (the client never gets a device, so never submits): each
    // walk is the boot and the init wake.
    for (const itf of walks({ bounds: { badMirror: 1 }, runToCompletion: 0.8, seeds: 10 })) {
      const r = replayItfOnImpl(itf).result;
      expect(r.divergence).toBeUndefined();
      expect(r.wakeList.map((w) => w.compared)).toEqual([true, false]);
      expect(r.wakeList[1]!.why).toMatch(/^partition init on a GPT disk whose mirror header/);
    }
  });
});

/** A walk and a compared wake of it that answered the client (`client.resp` moved). */
function walkWithAnswer(): { itf: ItfTrace; from: number; to: number; slot: number } {
  for (let seed = 1; seed < 100; seed++) {
    const itf = blkVirtWalk({ seed, maxSteps: 200, runToCompletion: 0.8 });
    const r = replayItfOnImpl(itf).result;
    expect(r.divergence).toBeUndefined();
    const w = r.wakeList.find(
      (x) =>
        x.compared &&
        x.why === undefined &&
        itf.states[x.to]!['client.resp.tail'] !== itf.states[x.from - 1]!['client.resp.tail'],
    );
    if (w !== undefined) {
      const slot = (itf.states[w.from - 1]!['client.resp.tail'] as number) % 2;
      return { itf, from: w.from, to: w.to, slot };
    }
  }
  throw new Error('no walk answered the client');
}

const edited = (itf: ItfTrace, step: number, edit: (s: Record<string, unknown>) => void) => {
  const doc = JSON.parse(JSON.stringify(itf)) as ItfTrace;
  edit(doc.states[step] as Record<string, unknown>);
  return doc;
};

describe('a hand-edited trace diverges at the edited step', () => {
  it("a response's status: the trace's and the implementation's word", () => {
    const { itf, from, to, slot } = walkWithAnswer();
    const was = (itf.states[to]!['client.resp.buffers'] as number[])[slot]!;
    const bad = edited(itf, to, (s) => {
      (s['client.resp.buffers'] as number[])[slot] = (was & 0xff) | (4 << 8); // ERR_NO_DEVICE
    });
    expect(replayItfOnImpl(bad).result.divergence).toEqual({
      step: to,
      pd: 'virt',
      wakeStep: from,
      where: `client.resp.buffers[${slot}]`,
      trace: (was & 0xff) | (4 << 8),
      impl: was,
    });
  });

  it('a queue index: driver.req.tail one further than the virt went', () => {
    const { itf, from, to } = walkWithAnswer();
    const was = itf.states[to]!['driver.req.tail'] as number;
    const bad = edited(itf, to, (s) => {
      s['driver.req.tail'] = was + 1;
    });
    expect(replayItfOnImpl(bad).result.divergence).toMatchObject({
      step: to,
      wakeStep: from,
      where: 'driver.req.tail',
      trace: was + 1,
      impl: was,
    });
  });
});

describe('the blk-virt corpus traces on the implementation', () => {
  const corpus = (bug: string) => readSddfTrace(`traces/corpus/blk-virt-${bug}.itf.json`);

  // In every corpus trace the seeded bug acts in a wake of the virt that the implementation cannot
  // run: its atomic handler cannot see a value another PD writes in the middle of the wake, and
  // the implementation reads a GPT in requests the model does not have. The tests say which, and
  // the walks below show the bugs the implementation has a switch for on wakes it can run.
  it('F16: the MBR answer arrives inside the spurious wake (a race no atomic handler has)', () => {
    const r = replayItfOnImpl(corpus('F16'), 'F16').result;
    expect(r.divergence).toBeUndefined();
    expect(r.wakeList).toEqual([
      { pd: 'virt', from: 1, to: 1, compared: true },
      {
        pd: 'virt',
        from: 9,
        to: 15,
        compared: false,
        why: 'step 11 (driver.handle_irq.answer) wrote driver.resp',
      },
    ]);
  });

  it('U6: the client enqueues the hostile request inside the wake that forwards it', () => {
    for (const implBug of [undefined, null]) {
      const r = replayItfOnImpl(corpus('U6'), 'U6', implBug === null ? { implBug } : {}).result;
      expect(r.divergence).toBeUndefined();
      expect(r.compared).toBe(1);
      expect(r.wakeList[1]).toMatchObject({
        from: 9,
        compared: false,
        why: 'step 13 (client.submit.enqueue) wrote client.req',
      });
    }
  });

  it('U9: the partition init on the bad-mirror GPT is not compared', () => {
    const r = replayItfOnImpl(corpus('U9'), 'U9').result;
    expect(r.divergence).toBeUndefined();
    expect(r.wakeList[1]).toMatchObject({ from: 9, to: 10, compared: false });
    expect(r.wakeList[1]!.why).toMatch(/^partition init on a GPT disk whose mirror header differs/);
  });

  it("blk-barrier: the bug is the driver's; the virt's wakes are interleaved", () => {
    const r = replayItfOnImpl(corpus('blk-barrier'), 'blk-barrier').result;
    expect(r.divergence).toBeUndefined();
    expect(r.wakeList.map((w) => [w.from, w.compared, w.why])).toEqual([
      [1, true, undefined],
      [9, false, 'step 13 (client.submit.enqueue) wrote client.req'],
      [29, false, 'step 35 (client.collect.dequeue) wrote client.resp'],
    ]);
  });
});

describe('walks of the seeded variants', () => {
  it('U6: replays on the u6 virt; the fixed virt rejects the request the buggy one forwarded', () => {
    for (const itf of walks({ bug: 'U6', runToCompletion: 0.8, seeds: 10 })) {
      const seed = String(itf['#meta']?.seed);
      const withBug = replayItfOnImpl(itf, seed).result;
      expect(withBug.divergence, seed).toBeUndefined();
      // The walk ends where the model's u6 virt forwards the hostile WRITE (the address-domain
      // violation): the last wake, compared as a prefix.
      const last = withBug.wakeList[withBug.wakeList.length - 1]!;
      expect(last).toMatchObject({ compared: true, to: withBug.steps });
      const fixed = replayItfOnImpl(itf, seed, { implBug: null }).result;
      const d = fixed.divergence!;
      expect(d, seed).toMatchObject({ step: withBug.steps, wakeStep: last.from });
      expect(d.where).toMatch(/^driver\.req\.buffers\[\d\]$/);
      // The trace forwarded a WRITE (code 1); the fixed virt answered it ERR_INVALID_PARAM and
      // forwarded the BARRIER behind it instead (code 3).
      expect((d.trace as number) >> 4).toBe(1);
      expect((d.impl as number) >> 4).toBe(3);
    }
  });

  it('F16, blk-barrier: walks whose wakes run to completion replay on the fixed virt', () => {
    // F16 needs the MBR answer to arrive inside the virt's wake, and blk-barrier is the driver's:
    // on wakes the implementation can run, the fixed virt does what the model's virt does.
    for (const bug of ['F16', 'blk-barrier']) {
      let compared = 0;
      for (const itf of walks({ bug, runToCompletion: 0.8, seeds: 10 })) {
        const r = replayItfOnImpl(itf, bug).result;
        expect(r.divergence, bug).toBeUndefined();
        compared += r.compared;
      }
      expect(compared, bug).toBeGreaterThan(40);
    }
  });
});
