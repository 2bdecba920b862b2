import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { captureIo } from '../../helpers/io.ts';

const dir = mkdtempSync(join(tmpdir(), 'sddf-replay-test-'));
const trace = join(dir, 'spsc-relaxed.itf.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  expect(await main(['mc', 'spsc', '--bug', 'relaxed', '--out', dir], captureIo())).toBe(1);
});

async function replay(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(['replay', ...args], io);
  return { status, stdout: io.stdout.join(''), stderr: io.stderr.join('') };
}

describe('sddf replay', () => {
  it('replays a counterexample: text, mermaid and json (exit 0)', async () => {
    const text = await replay([trace]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^# ?1 producer /m);
    const mermaid = await replay([trace, '--format', 'mermaid']);
    expect(mermaid.stdout).toMatch(/^sequenceDiagram/);
    const json = JSON.parse((await replay([trace, '--format', 'json'])).stdout) as object;
    expect(json).toMatchObject({ model: 'spsc', replayed: true, property: 'no-lost-wakeup' });
  });

  it('a diverging trace → exit 1 with the step and the differing variable', async () => {
    const doc = JSON.parse(readFileSync(trace, 'utf8')) as { states: Record<string, unknown>[] };
    doc.states[3]!['notif'] = !doc.states[3]!['notif'];
    const bad = join(dir, 'diverged.itf.json');
    writeFileSync(bad, JSON.stringify(doc));
    const r = await replay([bad]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/diverges at step 3/);
    expect(r.stdout).toMatch(/differs in: notif/);
    // Issue #8: the two sides are named for what they are, the trace and the spec.
    expect(r.stdout).toMatch(/^ {2}trace: \{/m);
    expect(r.stdout).toMatch(/^ {2}spec: {2}\{/m);
    expect(r.stdout).not.toMatch(/expected|found/);
  });

  it('a binary file → exit 2, located, without echoing its bytes', async () => {
    const bin = join(dir, 'image.itf.json');
    writeFileSync(
      bin,
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
    );
    const r = await replay([bin, '--format', 'json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/image\.itf\.json:1:1: ITF: not JSON: the file is binary/);
    const printed = r.stderr + r.stdout;
    expect(printed).not.toMatch(/PNG|\ufffd/);
    expect([...printed].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'ITF', line: 1, column: 1 } });
  });

  it('a text file that is not JSON: its content is not echoed either', async () => {
    const bad = join(dir, 'secret.itf.json');
    writeFileSync(bad, 'password=hunter2\n');
    const r = await replay([bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/secret\.itf\.json:1:1: ITF: not JSON/);
    expect(r.stderr).not.toMatch(/hunter2/);
  });

  it('a trace that is not JSON → exit 2 at file:line:column', async () => {
    const bad = join(dir, 'broken.itf.json');
    writeFileSync(bad, '{\n  "vars": [,\n}');
    const r = await replay([bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}:2:12`);
  });

  it('a trace that fails the ITF schema → exit 2 naming the JSON path', async () => {
    const bad = join(dir, 'schema.itf.json');
    writeFileSync(bad, JSON.stringify({ vars: ['x'], states: [{ x: null }] }));
    const r = await replay([bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\/states\/0\/x/);
  });

  it('a trace without sddf #meta, or for an unknown model → exit 2', async () => {
    const plain = join(dir, 'plain.itf.json');
    writeFileSync(plain, JSON.stringify({ vars: ['x'], states: [{ x: 1 }] }));
    expect((await replay([plain])).status).toBe(2);
    const doc = JSON.parse(readFileSync(trace, 'utf8')) as { '#meta': { model: string } };
    doc['#meta'].model = 'nope';
    const unknown = join(dir, 'unknown.itf.json');
    writeFileSync(unknown, JSON.stringify(doc));
    expect((await replay([unknown])).status).toBe(2);
  });

  it('--on impl replays the models it has replayers for: an spsc trace is exit 2 saying so', async () => {
    // (Issue 9 part 6 made --on impl real for the net models, issue 13 part 7 for timer, i2c and
    // serial, blk-virt; their own tests are test/cli/commands/replay-impl.test.ts and
    // test/traces/refinement/*/replay-impl.test.ts.)
    const r = await replay([trace, '--on', 'impl']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--on impl replays traces of net-pipeline, echo, [^']*, not 'spsc'/);
    const list = /replays traces of ([^']*), not 'spsc'/.exec(r.stderr)![1]!.split(', ');
    for (const m of ['blk-virt', 'timer', 'i2c', 'serial-tx', 'serial-rx'])
      expect(list).toContain(m);
  });
});
