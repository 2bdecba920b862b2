// `sddf replay --on impl` for `i2c` traces (issue 13 part 7, ADR 024 §9): random walks of the
// unmodified model replay on the implemented virt, wakes with a deferred queue included; a
// hand-edited queue entry or deferred entry is reported at its step; the corpus traces: U4 replays
// on the virt with its U4 pointer check and diverges on the fixed one, U2, U3 and U5 (the virt has
// no switch for them) diverge at the wake where the seeded bug acts; bad input is a located exit-2
// error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../../cli/main.ts';
import { readSddfTrace, replayItfOnImpl } from '../../../../api/replay.ts';
import { modelWalk } from '../../../../api/replay-classes.ts';
import { itfToJson, type ItfTrace } from '../../../../traces/itf.ts';
import { captureIo } from '../../../helpers/io.ts';

const dir = mkdtempSync(join(tmpdir(), 'sddf-replay-i2c-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(['replay', '--on', 'impl', ...args], io);
  return { status, stdout: io.stdout.join('\n'), stderr: io.stderr.join('') };
}

const deferredAt = (itf: ItfTrace, k: number): boolean =>
  (itf.states[k]!['virt.deferred'] as number[])[0] !== 0;

describe('random walks of the unmodified i2c model replay on the implemented virt', () => {
  it.each([
    { bounds: {}, min: 100 },
    { bounds: { batch: 1 }, min: 100 },
    { bounds: { capacity: 8, transactions: 3 }, min: 100 },
    { bounds: { indexBase: 0xffff_fffe }, min: 100 },
    { bounds: { hostile: 1 }, min: 100 },
  ])('$bounds: 20 walks, no divergence, at least $min wakes compared', ({ bounds, min }) => {
    let wakes = 0;
    let compared = 0;
    let fromDeferred = 0;
    let intoDeferred = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const itf = modelWalk({ model: 'i2c', bounds, seed, maxSteps: 300 });
      const r = replayItfOnImpl(itf).result;
      expect(r.divergence, `seed ${seed}`).toBeUndefined();
      wakes += r.wakes;
      compared += r.compared;
      for (const w of r.wakeList) {
        if (!w.compared) continue;
        if (deferredAt(itf, w.from - 1)) fromDeferred++;
        if (deferredAt(itf, w.to)) intoDeferred++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(min);
    expect(wakes - compared).toBeLessThanOrEqual(2);
    // The private deferred queue was installed and read back, not only the empty one.
    if (bounds.capacity === undefined) {
      expect(fromDeferred).toBeGreaterThanOrEqual(5);
      expect(intoDeferred).toBeGreaterThanOrEqual(5);
    }
  });
});

/** A walk with a compared virt wake whose end holds a deferred entry and a driver queue entry. */
function walkWith(pred: (itf: ItfTrace, k: number) => boolean): { itf: ItfTrace; step: number } {
  for (let seed = 1; seed < 200; seed++) {
    const itf = modelWalk({ model: 'i2c', seed, maxSteps: 300 });
    const run = replayItfOnImpl(itf).result;
    expect(run.divergence).toBeUndefined();
    const w = run.wakeList.find((x) => x.compared && pred(itf, x.to));
    if (w !== undefined) return { itf, step: w.to };
  }
  throw new Error('no such walk in 200 seeds');
}

function edited(itf: ItfTrace, step: number, edit: (s: Record<string, unknown>) => void): string {
  const doc = JSON.parse(itfToJson(itf)) as { states: Record<string, unknown>[] };
  edit(doc.states[step]!);
  const file = join(dir, `edited-${step}-${Math.random().toString(36).slice(2)}.itf.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe('divergences', () => {
  it('a hand-edited driver queue entry: reported at its step, the trace’s and the virt’s', async () => {
    const { itf, step } = walkWith(
      (t, k) => (t.states[k]!['driver.req.tail'] as number) !== t.states[k]!['driver.req.head'],
    );
    const s = itf.states[step]!;
    const head = s['driver.req.head'] as number;
    const slot = head % 4;
    const cmds = s['driver.req.cmds'] as number[];
    const was = cmds[3 * slot]!;
    const file = edited(itf, step, (x) => {
      (x['driver.req.cmds'] as number[])[3 * slot] = was + 1;
    });
    const json = await cli([file, '--format', 'json']);
    expect(json.status).toBe(1);
    const doc = JSON.parse(json.stdout) as { model: string; divergence: Record<string, string> };
    expect(doc.model).toBe('i2c');
    expect(doc.divergence).toMatchObject({ step, pd: 'virt', where: 'driver.req.entries[0]' });
    expect(doc.divergence['trace']).toContain(`"payload":"0x${(was + 1).toString(16)}"`);
    expect(doc.divergence['impl']).toContain(`"payload":"0x${was.toString(16)}"`);
  });

  it('a hand-edited deferred entry: the virt’s private queue, read back, differs at its step', () => {
    const { itf, step } = walkWith(deferredAt);
    const doc = JSON.parse(itfToJson(itf)) as ItfTrace & { states: Record<string, number[]>[] };
    const d = doc.states[step]!['virt.deferred']!;
    const was = d[0]! - 1;
    d[0] = d[0] === 1 ? 2 : 1; // the other client
    const r = replayItfOnImpl(doc).result;
    expect(r.divergence).toMatchObject({ step, where: 'virt.deferred' });
    expect(String(r.divergence?.impl)).toMatch(new RegExp(`^client${was} `));
  });

  it('i2c-U4 (corpus) replays on the virt with upstream’s pointer check, not on the fixed one', () => {
    const itf = readSddfTrace('traces/corpus/i2c-U4.itf.json');
    const r = replayItfOnImpl(itf).result;
    expect(r.divergence).toBeUndefined();
    expect(r.compared).toBe(1);
    // The fixed virt refuses the body that runs past the region: nothing reaches the driver.
    expect(replayItfOnImpl(itf, 'U4', { implBug: null }).result.divergence).toMatchObject({
      step: 2,
      where: 'driver.req.tail',
      trace: 3,
      impl: 0,
    });
  });

  it('walks of the fixed model with a hostile client diverge on the U4 virt', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const itf = modelWalk({ model: 'i2c', bounds: { hostile: 1 }, seed, maxSteps: 300 });
      // The fixed model refuses the body past the region; the U4 virt commits it.
      expect(replayItfOnImpl(itf, 'walk', { implBug: 'U4' }).result.divergence).toMatchObject({
        where: 'driver.req.tail',
      });
    }
  });

  it('U2, U3, U5 (corpus): the virt has no switch for them; each diverges where its bug acts', () => {
    const run = (b: string) => replayItfOnImpl(readSddfTrace(`traces/corpus/i2c-${b}.itf.json`));
    // U2: the force-deferred client's header is taken from its queue; the virt leaves it there.
    expect(run('U2').result.divergence).toMatchObject({
      step: 5,
      where: 'client1.req.head',
      trace: 3,
      impl: 2,
    });
    // U3: transmit_intermediary's `<=` enqueues one stale command more than the transaction.
    expect(run('U3').result.divergence).toMatchObject({
      step: 2,
      where: 'driver.req.tail',
      trace: 3,
      impl: 2,
    });
    // U5: at capacity 3 across the u32 wrap the model's body overwrote its header's slot; the
    // virt (its queue does not wrap here) keeps the header first.
    const u5 = run('U5').result.divergence;
    expect(u5).toMatchObject({ step: 4, where: 'driver.req.entries[0]' });
    expect(u5?.trace).toContain('"flagMask":8');
    expect(u5?.impl).toContain('"flagMask":1');
  });
});

describe('bad input is a located exit-2 error', () => {
  it('a trace that is not sc, a malformed queue field', async () => {
    const itf = modelWalk({ model: 'i2c', seed: 1, maxSteps: 10 });
    const doc = JSON.parse(itfToJson(itf)) as { '#meta': { options: Record<string, unknown> } };
    doc['#meta'].options['memoryModel'] = 'pso';
    const tso = join(dir, 'pso.itf.json');
    writeFileSync(tso, JSON.stringify(doc));
    const r = await cli([tso]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${tso}`);
    expect(r.stderr).toContain(
      "--on impl needs an sc trace (the implementation runs one handler at a time), not 'pso'",
    );

    const file = edited(itf, 3, (s) => {
      s['driver.req.cmds'] = 'x';
    });
    const bad = await cli([file, '--format', 'json']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(file);
    expect(bad.stderr).toContain('at JSON path /states/3/driver.req.cmds: 12 u32 words expected');
  });
});
