// `sddf replay --on impl` on blk-virt traces (issue 13 part 7; ADR 022): the CLI's rendering of a
// walk that replays, of a hand-edited one that diverges, and the located exit-2 errors for traces
// it cannot replay (not sc, a malformed state, a capacity the implementation has no queue for, a
// blk-handshake trace, which has no implemented component).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { replayItfOnImpl } from '../../../api/replay.ts';
import { blkVirtWalk } from '../../../api/replay-blk.ts';
import { itfToJson } from '../../../traces/itf.ts';
import { captureIo } from '../../helpers/io.ts';

const dir = mkdtempSync(join(tmpdir(), 'sddf-replay-blk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function replay(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(['replay', '--on', 'impl', ...args], io);
  return { status, stdout: io.stdout.join('\n'), stderr: io.stderr.join('') };
}

const walk = blkVirtWalk({ seed: 3, maxSteps: 200, runToCompletion: 0.8 });
const walkFile = join(dir, 'walk.itf.json');
writeFileSync(walkFile, itfToJson(walk));
const doc = (): unknown => JSON.parse(readFileSync(walkFile, 'utf8'));
const write = (name: string, d: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(d));
  return f;
};

describe('sddf replay --on impl on a blk-virt trace', () => {
  it('a walk of the unmodified model: exit 0, the virt wakes counted and compared', async () => {
    const r = replayItfOnImpl(walk).result;
    expect(r.compared).toBeGreaterThan(2);
    const text = await replay([walkFile]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(
      `${walkFile}: ${r.steps} steps, ${r.wakes} ${r.wakes === 1 ? 'wake' : 'wakes'} of virt, ${r.compared} compared on the implementation`,
    );
    expect(text.stdout).toContain('no divergence');
    const json = await replay([walkFile, '--format', 'json']);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      model: 'blk-virt',
      on: 'impl',
      replayed: true,
      wakes: r.wakes,
      compared: r.compared,
    });
  });

  it('a hand-edited state: exit 1 at the step, with the trace and implementation values', async () => {
    const r = replayItfOnImpl(walk).result;
    const w = r.wakeList.find((x) => x.compared && x.from > 1 && x.why === undefined)!;
    const d = doc() as { states: Record<string, unknown>[] };
    const was = d.states[w.to]!['client.req.head'] as number;
    d.states[w.to]!['client.req.head'] = was + 7;
    const f = write('edited.itf.json', d);
    const text = await replay([f]);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain(
      `diverges at step ${w.to} (the end of virt's wake from step ${w.from}): client.req.head`,
    );
    expect(text.stdout).toContain(`  trace: ${was + 7}\n  impl:  ${was}`);
  });

  it('a U6 walk ends inside the wake that forwards the hostile WRITE: compared as a prefix, on the u6 virt', async () => {
    const f = write(
      'u6.itf.json',
      JSON.parse(
        itfToJson(blkVirtWalk({ seed: 1, maxSteps: 200, bug: 'U6', runToCompletion: 0.8 })),
      ),
    );
    const text = await replay([f]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(
      /compared on the implementation \(1 of them: the trace ends inside the wake: compared up to its last step/,
    );
    const json = await replay([f, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      replayed: true,
      comparedWithNote: {
        'the trace ends inside the wake: compared up to its last step (queue progress, slots)': 1,
      },
    });
  });

  it('bad input is a located exit-2 error', async () => {
    const tso = doc() as { '#meta': { options: { memoryModel: string } } };
    tso['#meta'].options.memoryModel = 'tso';
    let r = await replay([write('tso.itf.json', tso)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /tso\.itf\.json: ITF_META: at JSON path \/#meta\/options\/memoryModel: --on impl needs an sc trace/,
    );

    const malformed = doc() as { states: Record<string, unknown>[] };
    malformed.states[3]!['virt.locals'] = 'ready';
    r = await replay([write('malformed.itf.json', malformed)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /malformed\.itf\.json: ITF: at JSON path \/states\/3\/virt\.locals: 6 u32 words expected/,
    );

    const word = doc() as { states: Record<string, unknown>[] };
    (word.states[0]!['driver.req.buffers'] as number[])[0] = 0x70;
    r = await replay([write('word.itf.json', word)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /at JSON path \/states\/0\/driver\.req\.buffers\/0: a driver request word/,
    );

    // A state the implemented virt cannot be in: more requests in flight than its table holds.
    const w = replayItfOnImpl(walk).result.wakeList.find((x) => x.compared && x.from > 1)!;
    const count = doc() as { states: Record<string, unknown>[] };
    (count.states[w.from - 1]!['virt.locals'] as number[])[3]! += 1;
    r = await replay([write('count.itf.json', count)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `at JSON path /states/${w.from - 1}/virt\\.locals/3: \\d+ \\(the requests in the driver-id table\\) expected`,
      ),
    );

    const three = blkVirtWalk({ seed: 1, maxSteps: 20, bounds: { capacity: 3 } });
    r = await replay([write('three.itf.json', JSON.parse(itfToJson(three)))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\/#meta\/options\/bounds\/capacity: .*power-of-two capacity .*not 3/);

    r = await replay(['traces/corpus/blk-handshake-U7.itf.json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not 'blk-handshake' \(blk-handshake .* no implemented component/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
