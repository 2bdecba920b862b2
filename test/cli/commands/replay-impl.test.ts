// `sddf replay --on impl` (issue 9 part 6, ADR 020): traces of the unmodified net models (seeded
// random walks) and of the corpus replay on the implemented virt_tx, virt_rx and copiers without
// divergence; a hand-edited trace is reported at its first divergent step, saying what the trace
// has and what the implementation made; a trace of a seeded bug diverges on the fixed component.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { netModelWalk, readSddfTrace, replayItfOnImpl } from '../../../api/replay.ts';
import { itfToJson, type ItfTrace } from '../../../traces/itf.ts';
import { captureIo } from '../../helpers/io.ts';

const dir = mkdtempSync(join(tmpdir(), 'sddf-replay-impl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function replay(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(['replay', '--on', 'impl', ...args], io);
  return { status, stdout: io.stdout.join('\n'), stderr: io.stderr.join('') };
}

const CONFIGS = [
  { model: 'net-pipeline' as const, bounds: {} },
  { model: 'echo' as const, bounds: {} },
  { model: 'net-pipeline' as const, bounds: { clients: 1, sends: 1, frames: 2, echo: 1 } },
  {
    model: 'net-pipeline' as const,
    bounds: { rxBuffers: 3, clientRxBuffers: 2, frames: 4, hwRing: 2 },
  },
];

describe('random walks of the unmodified net models replay on the implementation', () => {
  const comparedBy = new Map<string, number>();
  it.each(CONFIGS)(
    '$model $bounds: 20 walks, no divergence, most wakes compared',
    ({ model, bounds }) => {
      let wakes = 0;
      let compared = 0;
      for (let seed = 1; seed <= 20; seed++) {
        const r = replayItfOnImpl(netModelWalk({ model, bounds, seed, maxSteps: 300 })).result;
        expect(r.divergence, `seed ${seed}`).toBeUndefined();
        wakes += r.wakes;
        compared += r.compared;
        for (const w of r.wakeList)
          if (w.compared) comparedBy.set(w.pd, (comparedBy.get(w.pd) ?? 0) + 1);
      }
      expect(compared).toBeGreaterThan(wakes / 2);
    },
  );

  it('every refined component was compared in those walks', () => {
    for (const pd of ['virt_tx', 'virt_rx', 'copier0', 'copier1'])
      expect(comparedBy.get(pd) ?? 0, pd).toBeGreaterThan(10);
  });
});

describe('sddf mc --search random --write-walks, then sddf replay --on impl', () => {
  it('walks of the unmodified echo model: written, and each replays on the implementation', async () => {
    const out = join(dir, 'walks');
    const io = captureIo();
    const args = ['mc', 'echo', '--search', 'random', '--runs', '6', '--write-walks', '4'];
    expect(await main([...args, '--out', out, '--format', 'json'], io)).toBe(1); // incomplete
    const doc = JSON.parse(io.stdout[0]!) as { verdict: string; walks: string[] };
    expect(doc.verdict).toBe('incomplete');
    expect(doc.walks).toHaveLength(4);
    let compared = 0;
    for (const f of doc.walks) {
      const r = await replay([f, '--format', 'json']);
      expect(r.status, f).toBe(0);
      compared += (JSON.parse(r.stdout) as { compared: number }).compared;
    }
    expect(compared).toBeGreaterThan(4);
  });

  it('--write-walks without --search random is a usage error (exit 2)', async () => {
    const io = captureIo();
    expect(await main(['mc', 'echo', '--write-walks', '2', '--out', dir], io)).toBe(2);
    expect(io.stderr.join('')).toMatch(/--write-walks needs --search random/);
  });
});

/** A walk and one of its compared wakes (the state at its end, and a queue field it wrote). */
function walkWithWake(): { itf: ItfTrace; end: number; field: string } {
  for (let seed = 1; ; seed++) {
    const itf = netModelWalk({ model: 'net-pipeline', seed, maxSteps: 300 });
    const run = replayItfOnImpl(itf);
    expect(run.result.divergence).toBeUndefined();
    // The first compared virt_rx wake that moved a copier queue's tail: edit its end state.
    const field = 'virt_rx.copier0.active.tail';
    const w = run.result.wakeList.find(
      (x) =>
        x.pd === 'virt_rx' &&
        x.compared &&
        itf.states[x.to]![field] !== itf.states[x.from - 1]![field],
    );
    if (w !== undefined) return { itf, end: w.to, field };
  }
}

describe('divergences', () => {
  it('a hand-edited trace: reported at its first divergent step, trace and impl values', async () => {
    const { itf, end, field } = walkWithWake();
    const good = join(dir, 'walk.itf.json');
    writeFileSync(good, itfToJson(itf));
    const ok = await replay([good, '--format', 'json']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ on: 'impl', replayed: true });

    const doc = JSON.parse(itfToJson(itf)) as { states: Record<string, number>[] };
    const was = doc.states[end]![field]!;
    doc.states[end]![field] = (was + 1) & 0xffff;
    const bad = join(dir, 'edited.itf.json');
    writeFileSync(bad, JSON.stringify(doc));
    const json = await replay([bad, '--format', 'json']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      replayed: false,
      divergence: { step: end, pd: 'virt_rx', where: field, trace: (was + 1) & 0xffff, impl: was },
    });
    const text = await replay([bad]);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain(`diverges at step ${end} (the end of virt_rx's wake from step `);
    expect(text.stdout).toContain(`  trace: ${(was + 1) & 0xffff}\n  impl:  ${was}`);
  });

  it('the F15 corpus trace replays on the F15 copier, and diverges on the fixed one', () => {
    const itf = readSddfTrace('traces/corpus/net-pipeline-F15.itf.json');
    expect(replayItfOnImpl(itf).result.divergence).toBeUndefined();
    const fixed = replayItfOnImpl(itf, 'F15', { implBug: null }).result;
    // The old copier also signals on the client's Rx free queue (it cancels that signal when no
    // frame waits: consumer_signalled = 1); the fixed one never touches it.
    expect(fixed.divergence).toMatchObject({
      pd: 'copier1',
      where: 'copier1.client1.free.consumer_signalled',
      trace: 1,
      impl: 0,
    });
  });

  it('corpus traces of sc net-pipeline bugs in components other than the copier do not diverge', () => {
    // Not U15: its seeded misbehaviour is copier 0 returning a DMA buffer twice (the spec's
    // `doubleReturn`), which the implemented copier has no switch for, so it diverges there.
    for (const bug of ['F3', 'F4', 'F33']) {
      const r = replayItfOnImpl(readSddfTrace(`traces/corpus/net-pipeline-${bug}.itf.json`)).result;
      expect(r.divergence, bug).toBeUndefined();
    }
  });
});
