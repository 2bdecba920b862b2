// `sddf replay --on impl` for `timer` traces (issue 13 part 7, ADR 024): random walks of the
// unmodified model replay on the goldfish driver with every driver wake compared; a hand-edited
// deadline or alarm is reported at its step; the F37 corpus trace diverges where the wrapped time
// first reaches a word (the goldfish driver converts nothing, so it has no F37 switch); bad input
// is a located exit-2 error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../../cli/main.ts';
import { readSddfTrace, replayItfOnImpl } from '../../../../api/replay.ts';
import { modelWalk } from '../../../../api/replay-classes.ts';
import { itfToJson, type ItfTrace } from '../../../../traces/itf.ts';
import { captureIo } from '../../../helpers/io.ts';

const dir = mkdtempSync(join(tmpdir(), 'sddf-replay-timer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(['replay', '--on', 'impl', ...args], io);
  return { status, stdout: io.stdout.join('\n'), stderr: io.stderr.join('') };
}

const kindOf = (action: string): string =>
  action === 'timer.notified(irq)'
    ? 'irq'
    : action.includes('set_timeout')
      ? 'set_timeout'
      : 'get_time';

describe('random walks of the unmodified timer model replay on the goldfish driver', () => {
  it.each([
    { bounds: {} },
    { bounds: { clients: 3, rounds: 3, ticks: 8, maxRelTicks: 3 } },
    { bounds: { nearWrap: 1 } },
  ])('$bounds: 20 walks, no divergence, every driver wake compared', ({ bounds }) => {
    let wakes = 0;
    let compared = 0;
    const byKind = new Map<string, number>();
    for (let seed = 1; seed <= 20; seed++) {
      const itf = modelWalk({ model: 'timer', bounds, seed, maxSteps: 300 });
      const r = replayItfOnImpl(itf).result;
      expect(r.divergence, `seed ${seed}`).toBeUndefined();
      wakes += r.wakes;
      compared += r.compared;
      for (const w of r.wakeList) {
        const k = kindOf(String(itf.states[w.from]!['#meta']?.action));
        if (w.compared) byKind.set(k, (byKind.get(k) ?? 0) + 1);
      }
    }
    expect(compared).toBe(wakes);
    expect(compared).toBeGreaterThanOrEqual(150);
    // Each kind of driver entry was exercised: the IRQ path, SET_TIMEOUT, a lone GET_TIME.
    for (const k of ['irq', 'set_timeout', 'get_time'])
      expect(byKind.get(k) ?? 0, k).toBeGreaterThanOrEqual(20);
  });
});

/** A walk with a compared SET_TIMEOUT wake that left a deadline pending. */
function walkWithPending(): { itf: ItfTrace; step: number; c: number } {
  for (let seed = 1; ; seed++) {
    const itf = modelWalk({ model: 'timer', seed, maxSteps: 300 });
    const run = replayItfOnImpl(itf).result;
    expect(run.divergence).toBeUndefined();
    for (const w of run.wakeList) {
      const m = /^client(\d)\.set_timeout/.exec(String(itf.states[w.from]!['#meta']?.action));
      const c = Number(m?.[1]);
      if (m !== null && (itf.states[w.to]!['driver.timeouts'] as number[])[c] !== 0xffff_ffff)
        return { itf, step: w.to, c };
    }
  }
}

const edited = (
  itf: ItfTrace,
  step: number,
  edit: (s: Record<string, unknown>) => void,
): string => {
  const doc = JSON.parse(itfToJson(itf)) as { states: Record<string, unknown>[] };
  edit(doc.states[step]!);
  const file = join(dir, `edited-${step}-${Math.random().toString(36).slice(2)}.itf.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
};

describe('divergences', () => {
  it('a hand-edited deadline: reported at its step, with the driver’s deadline read back', async () => {
    const { itf, step, c } = walkWithPending();
    const was = (itf.states[step]!['driver.timeouts'] as number[])[c]!;
    const file = edited(itf, step, (s) => {
      (s['driver.timeouts'] as number[])[c] = was + 7;
    });
    const json = await cli([file, '--format', 'json']);
    expect(json.status).toBe(1);
    const doc = JSON.parse(json.stdout) as { model: string; divergence: Record<string, unknown> };
    expect(doc.model).toBe('timer');
    expect(doc.divergence).toMatchObject({
      step,
      pd: 'timer',
      wakeStep: step,
      where: `driver.timeouts[${c}]`,
      trace: `${was + 7} ns (offset ${was + 7})`,
      impl: `${was} ns (offset ${was})`,
    });
    const text = await cli([file]);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain(
      `diverges at step ${step} (the end of timer's wake from step ${step})`,
    );
  });

  it('a hand-edited alarm: reported at the step that programmed it', () => {
    const { itf, step } = walkWithPending();
    const doc = JSON.parse(itfToJson(itf)) as ItfTrace & { states: Record<string, number>[] };
    const was = doc.states[step]!['compare_ticks']!;
    doc.states[step]!['compare_ticks'] = was + 1;
    const r = replayItfOnImpl(doc).result;
    expect(r.divergence).toMatchObject({ step, where: 'compare_ticks', trace: was + 1 });
  });

  it('timer-F37 (corpus): diverges at step 4, the first GET_TIME after the wrap', () => {
    const itf = readSddfTrace('traces/corpus/timer-F37.itf.json');
    const r = replayItfOnImpl(itf).result;
    // The trace's driver converted 2^64/10^9 − 2 + 3 ticks with the wrapping product: its GET_TIME
    // reply is 1204838292 ns after the model's time base; goldfish reads the true time, 3 ticks
    // (48 ns) after it. The same trace with the unmodified model's time would replay.
    expect(r.compared).toBe(1);
    expect(r.divergence).toEqual({
      step: 4,
      pd: 'timer',
      wakeStep: 4,
      where: 'client0.set_at_ns (GET_TIME reply)',
      trace: 1204838292,
      impl: 48,
    });
  });
});

describe('bad input is a located exit-2 error', () => {
  const walk = (): ItfTrace => modelWalk({ model: 'timer', seed: 3, maxSteps: 20 });

  it('a trace that is not sc', async () => {
    const doc = JSON.parse(itfToJson(walk())) as { '#meta': { options: Record<string, unknown> } };
    doc['#meta'].options['memoryModel'] = 'tso';
    const file = join(dir, 'tso.itf.json');
    writeFileSync(file, JSON.stringify(doc));
    const r = await cli([file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('/#meta/options/memoryModel: --on impl needs an sc trace');
  });

  it('a malformed state field', async () => {
    const file = edited(walk(), 2, (s) => {
      s['driver.timeouts'] = [1];
    });
    const r = await cli([file, '--format', 'json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('at JSON path /states/2/driver.timeouts: 2 u32 words expected');
    const neg = edited(walk(), 1, (s) => {
      s['ticks'] = -1;
    });
    const r2 = await cli([neg]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('at JSON path /states/1/ticks: a u32 expected');
    expect(r2.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
