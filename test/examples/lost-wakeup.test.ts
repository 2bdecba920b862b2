// The user-model example (examples/lost-wakeup.ts, docs/writing-a-model.md) through the command,
// as a user runs it: `sddf mc --model FILE` finds the seeded bug and writes a trace naming the
// module, `sddf replay` reloads the module and accepts the trace, the unmodified model holds.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { REPO_ROOT } from '../helpers/shared.ts';
import { captureIo } from '../helpers/io.ts';

const EXAMPLE = join(REPO_ROOT, 'examples/lost-wakeup.ts');
const tmp = mkdtempSync(join(tmpdir(), 'sddf-example-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function sddf(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(args, io);
  return { status, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

describe('examples/lost-wakeup.ts', () => {
  it('the unmodified model holds (exit 0), with its partial-order hint checked', async () => {
    const r = await sddf(['mc', '--model', EXAMPLE, '--check-hints', '--format', 'json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      model: 'lost-wakeup',
      verdict: 'holds',
      properties: ['queue-bounds', 'requests-conserved', 'no-lost-wakeup'],
    });
  });

  it('--bug no-recheck: the lost wakeup, a trace naming the module, and replay accepts it', async () => {
    const out = join(tmp, 'traces');
    const r = await sddf(['mc', '--model', EXAMPLE, '--bug', 'no-recheck', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/violated: no-lost-wakeup/);
    // The text trace shows what each step changed.
    expect(r.stdout).toMatch(
      /server request_signal queue\.consumer_signalled\n\s+queue\.consumer_signalled 1→0/,
    );
    const file = join(out, 'lost-wakeup-no-recheck.itf.json');
    const itf = JSON.parse(readFileSync(file, 'utf8')) as { '#meta': { module: string } };
    expect(itf['#meta'].module).toBe(EXAMPLE);
    const replay = await sddf(['replay', file, '--format', 'json']);
    expect(replay.status).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({
      model: 'lost-wakeup',
      module: EXAMPLE,
      replayed: true,
      property: 'no-lost-wakeup',
    });
    const mermaid = await sddf(['replay', file, '--format', 'mermaid']);
    expect(mermaid.stdout).toMatch(/participant P\d as server/);
  });

  it('--list shows the module’s model, its bounds and its bug', async () => {
    const r = await sddf(['mc', '--model', EXAMPLE, '--list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/lost-wakeup {2}example/);
    expect(r.stdout).toMatch(/--bug no-recheck/);
  });

  it('a module that is missing, does not load, or exports no model: exit 2, MC_MODULE', async () => {
    const none = join(tmp, 'none.ts');
    writeFileSync(none, 'export const x = 1;\n');
    const broken = join(tmp, 'broken.ts');
    writeFileSync(broken, 'export default { name: "bad name!" };\n');
    const unranged = join(tmp, 'unranged.ts');
    writeFileSync(
      unranged,
      "export default { name: 'u', description: 'd', defaultBounds: { n: 1 }, bugs: [], build: () => { throw new Error('not built'); } };\n",
    );
    const syntax = join(tmp, 'syntax.ts');
    writeFileSync(syntax, 'export default {;\n');
    for (const file of [join(tmp, 'missing.ts'), none, broken, unranged, syntax]) {
      const r = await sddf(['mc', '--model', file, '--format', 'json']);
      expect(r.status, file).toBe(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'MC_MODULE', file } });
    }
  });
});
