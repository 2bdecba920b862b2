// `sddf replay --on impl` for serial traces (issue 13 part 7, ADR 023 §11): random walks of the
// unmodified serial-tx model (era 0) replay on the implemented virt_tx with a stated share of its
// wakes compared (the others interleaved with the client or the driver); a hand-edited queue word
// or tx_pending is reported at its step; the corpus: era 1 traces are refused with the reason, F9
// is not sc, F8's and F23's virt_tx wakes cannot be compared (said, and asserted); bad input is a
// located exit-2 error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../../cli/main.ts';
import { readSddfTrace, replayItfOnImpl } from '../../../../api/replay.ts';
import { modelWalk } from '../../../../api/replay-classes.ts';
import { itfToJson, type ItfTrace } from '../../../../traces/itf.ts';
import { captureIo } from '../../../helpers/io.ts';

const dir = mkdtempSync(join(tmpdir(), 'sddf-replay-serial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(['replay', '--on', 'impl', ...args], io);
  return { status, stdout: io.stdout.join('\n'), stderr: io.stderr.join('') };
}

function edited(itf: ItfTrace, step: number, edit: (s: Record<string, unknown>) => void): string {
  const doc = JSON.parse(itfToJson(itf)) as { states: Record<string, unknown>[] };
  edit(doc.states[step]!);
  const file = join(dir, `edited-${step}-${Math.random().toString(36).slice(2)}.itf.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe('serial-tx: random walks of the unmodified model replay on the implemented virt_tx', () => {
  it.each([
    { bounds: {}, min: 30 },
    { bounds: { chars: 8 }, min: 45 },
    { bounds: { capacity: 4, chars: 6 }, min: 35 },
    { bounds: { batch: 1 }, min: 30 },
    { bounds: { driverStart: 3, chars: 6 }, min: 40 },
  ])('$bounds: 20 walks, no divergence, at least $min wakes compared', ({ bounds, min }) => {
    let wakes = 0;
    let compared = 0;
    let pendingAtStart = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const itf = modelWalk({ model: 'serial-tx', bounds, seed, maxSteps: 400 });
      const r = replayItfOnImpl(itf).result;
      expect(r.divergence, `seed ${seed}`).toBeUndefined();
      wakes += r.wakes;
      compared += r.compared;
      for (const w of r.wakeList)
        if (w.compared && (itf.states[w.from - 1]!['virt_tx.locals'] as number[])[0] !== 0)
          pendingAtStart++;
      // Every wake not compared says which step of another PD wrote into its view.
      for (const w of r.wakeList.filter((x) => !x.compared))
        expect(w.why).toMatch(/^step \d+ \((client|driver)\.|the trace ends/);
    }
    expect(compared).toBeGreaterThanOrEqual(min);
    expect(compared).toBeGreaterThan(wakes / 2);
    if (Object.keys(bounds).length === 0) expect(pendingAtStart).toBeGreaterThan(0);
  });
});

/** A walk with a compared virt_tx wake that moved bytes into the driver queue. */
function walkWithTransfer(): { itf: ItfTrace; step: number } {
  for (let seed = 1; seed < 100; seed++) {
    const itf = modelWalk({ model: 'serial-tx', seed, maxSteps: 400 });
    const run = replayItfOnImpl(itf).result;
    expect(run.divergence).toBeUndefined();
    const w = run.wakeList.find(
      (x) =>
        x.compared &&
        itf.states[x.to]!['driver_tx.tail'] !== itf.states[x.from - 1]!['driver_tx.tail'],
    );
    if (w !== undefined) return { itf, step: w.to };
  }
  throw new Error('no such walk in 100 seeds');
}

describe('serial-tx divergences', () => {
  it('a hand-edited driver queue tail: reported at the end of the wake that wrote it', async () => {
    const { itf, step } = walkWithTransfer();
    const was = itf.states[step]!['driver_tx.tail'] as number;
    const file = edited(itf, step, (s) => {
      s['driver_tx.tail'] = was + 1;
    });
    const json = await cli([file, '--format', 'json']);
    expect(json.status).toBe(1);
    const doc = JSON.parse(json.stdout) as { model: string; divergence: Record<string, unknown> };
    expect(doc.model).toBe('serial-tx');
    expect(doc.divergence).toMatchObject({
      step,
      pd: 'virt_tx',
      where: 'driver_tx.tail',
      trace: was + 1,
      impl: was,
    });
    const text = await cli([file]);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain(`diverges at step ${step} (the end of virt_tx's wake from step `);
  });

  it('a hand-edited tx_pending: reported at its step', () => {
    const { itf, step } = walkWithTransfer();
    const doc = JSON.parse(itfToJson(itf)) as ItfTrace & { states: Record<string, number[]>[] };
    doc.states[step]!['virt_tx.locals']![0] = 1;
    const r = replayItfOnImpl(doc).result;
    expect(r.divergence).toMatchObject({ step, where: 'tx_pending (clients)', trace: 1, impl: 0 });
  });
});

describe('serial-tx corpus traces', () => {
  it('F8 (no re-check) and F23 (batch copy): no virt_tx wake of theirs can be compared', () => {
    // F8: in each of its three virt_tx wakes the client enqueues or the driver consumes meanwhile.
    const f8 = replayItfOnImpl(readSddfTrace('traces/corpus/serial-tx-F8.itf.json')).result;
    expect(f8).toMatchObject({ wakes: 3, compared: 0 });
    expect(f8.notCompared).toEqual({ "another PD wrote virt_tx's queues inside the wake": 3 });
    expect(f8.divergence).toBeUndefined();
    // F23: the trace ends in the middle of the wake whose batch copy goes wrong.
    const f23 = replayItfOnImpl(readSddfTrace('traces/corpus/serial-tx-F23.itf.json')).result;
    expect(f23).toMatchObject({ wakes: 1, compared: 0 });
    expect(f23.notCompared).toEqual({ 'the trace ends inside the wake': 1 });
  });

  it('era 1 traces (F10, F11, F12, F22) and the tso F9 are refused, exit 2, with the reason', async () => {
    for (const b of ['F10', 'F11', 'F12', 'F22']) {
      const r = await cli([`traces/corpus/serial-tx-${b}.itf.json`]);
      expect(r.status, b).toBe(2);
      expect(r.stderr).toContain(`serial-tx-${b}.itf.json`);
      expect(r.stderr).toContain('at JSON path /#meta/options/bounds/era: --on impl replays era 0');
    }
    const f9 = await cli(['traces/corpus/serial-tx-F9.itf.json', '--format', 'json']);
    expect(f9.status).toBe(2);
    expect(f9.stderr).toContain(
      "needs an sc trace (the implementation runs one handler at a time), not 'tso'",
    );
  });
});

describe('serial-rx: random walks of the unmodified model replay on the implemented virt_rx', () => {
  it.each([
    { bounds: {}, min: 20 },
    { bounds: { chars: 4 }, min: 45 },
    { bounds: { clients: 2 }, min: 100 },
    { bounds: { clients: 2, capacity: 2, driverCapacity: 2 }, min: 55 },
    { bounds: { arrivals: 1, chars: 3 }, min: 45 },
  ])('$bounds: 20 walks, no divergence, at least $min wakes compared', ({ bounds, min }) => {
    let wakes = 0;
    let compared = 0;
    let switching = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const itf = modelWalk({ model: 'serial-rx', bounds, seed, maxSteps: 400 });
      const r = replayItfOnImpl(itf).result;
      expect(r.divergence, `seed ${seed}`).toBeUndefined();
      wakes += r.wakes;
      compared += r.compared;
      for (const w of r.wakeList)
        if (w.compared && (itf.states[w.from - 1]!['virt_rx.locals'] as number[])[0] !== 0)
          switching++;
    }
    expect(compared).toBeGreaterThanOrEqual(min);
    expect(compared).toBeGreaterThan(wakes / 2);
    // With two clients, wakes that start in the middle of a switch were installed and compared.
    if (bounds.clients === 2) expect(switching).toBeGreaterThanOrEqual(10);
  });
});

/** A serial-rx walk with a compared virt_rx wake that delivered to client `c`. */
function rxWalkWithDelivery(c: number): { itf: ItfTrace; step: number } {
  for (let seed = 1; seed < 100; seed++) {
    const itf = modelWalk({ model: 'serial-rx', bounds: { clients: 2 }, seed, maxSteps: 400 });
    const run = replayItfOnImpl(itf).result;
    expect(run.divergence).toBeUndefined();
    const tail = `client${c}_rx.tail`;
    const w = run.wakeList.find(
      (x) => x.compared && itf.states[x.to]![tail] !== itf.states[x.from - 1]![tail],
    );
    if (w !== undefined) return { itf, step: w.to };
  }
  throw new Error('no such walk in 100 seeds');
}

describe('serial-rx divergences and corpus', () => {
  it('a hand-edited character delivered to client 1: reported at its step', async () => {
    const { itf, step } = rxWalkWithDelivery(1);
    const s = itf.states[step]!;
    const at = ((s['client1_rx.tail'] as number) - 1) % 1;
    const was = s['client1_rx.data'] as number;
    const file = edited(itf, step, (x) => {
      x['client1_rx.data'] = was + 1;
    });
    const json = await cli([file, '--format', 'json']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      model: 'serial-rx',
      divergence: {
        step,
        pd: 'virt_rx',
        where: `client1_rx.data[${at}]`,
        trace: was + 1,
        impl: was,
      },
    });
  });

  it('a hand-edited switch machine: reported at its step', () => {
    const { itf, step } = rxWalkWithDelivery(0);
    const doc = JSON.parse(itfToJson(itf)) as ItfTrace & { states: Record<string, number[]>[] };
    doc.states[step]!['virt_rx.locals']![0] = 1; // 'switched'
    const r = replayItfOnImpl(doc).result;
    expect(r.divergence).toMatchObject({ step, where: 'the switch machine' });
    expect(r.divergence?.trace).toMatch(/^switched, client /);
    expect(r.divergence?.impl).toMatch(/^normal, client /);
  });

  it('F7 (corpus): its bug is the driver’s (not replayed); virt_rx replays, one wake compared', () => {
    const r = replayItfOnImpl(readSddfTrace('traces/corpus/serial-rx-F7.itf.json')).result;
    expect(r).toMatchObject({ wakes: 2, compared: 1 });
    expect(r.divergence).toBeUndefined();
    expect(r.wakeList[0]?.why).toBe('step 11 (driver.rx_return.enqueue) wrote driver_rx.tail');
  });
});

describe('serial bad input is a located exit-2 error', () => {
  it('a malformed state field; a capacity the implementation cannot have', async () => {
    const itf = modelWalk({ model: 'serial-tx', seed: 2, maxSteps: 30 });
    const file = edited(itf, 4, (s) => {
      s['client_tx.data'] = [1, 2, 3];
    });
    const r = await cli([file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('at JSON path /states/4/client_tx.data: 2 u32 words expected');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const three = join(dir, 'capacity3.itf.json');
    writeFileSync(
      three,
      itfToJson(modelWalk({ model: 'serial-tx', bounds: { capacity: 3 }, seed: 1, maxSteps: 30 })),
    );
    const c = await cli([three, '--format', 'json']);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain(
      'at JSON path /#meta/options/bounds/capacity: --on impl needs a power of two',
    );
  });
});
