// `sddf mc --shard i/N`, `--swarm N` and `sddf mc-merge` (issue #11 part 4; docs/swarm.md).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { captureIo } from '../../helpers/io.ts';
import { tempDir } from '../../helpers/temp.ts';

async function sddf(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(args, io);
  return { status, stdout: io.stdout.join(''), stderr: io.stderr.join('') };
}

const SPSC = ['spsc', '--bound', 'capacity=4', '--bound', 'items=10'];

describe('sddf mc swarm', () => {
  it('--shard i/N --format json prints one shard result; mc-merge of the files finds the bug', async () => {
    const dir = tempDir('sddf-swarm');
    const files: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const r = await sddf([
        'mc',
        ...SPSC,
        '--bug',
        'flag-first',
        '--shard',
        `${i}/3`,
        '--format',
        'json',
      ]);
      expect(r.status).toBe(1);
      const doc = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(doc).toMatchObject({
        model: 'spsc',
        verdict: 'violated',
        property: 'no-lost-wakeup',
        mode: 'bitstate',
        shard: { index: i, count: 3, seed: 1, search: 'dfs' },
      });
      expect((doc['itf'] as { states: unknown[] }).states.length).toBe(
        Number(doc['traceSteps']) + 1,
      );
      const file = join(dir, `shard-${i}.json`);
      writeFileSync(file, r.stdout);
      files.push(file);
    }
    const merged = await sddf(['mc-merge', ...files, '--format', 'json', '--out', dir]);
    expect(merged.status).toBe(1);
    const doc = JSON.parse(merged.stdout) as {
      verdict: string;
      violations: { shard: number; traceSteps: number }[];
      trace: string;
    };
    expect(doc.verdict).toBe('violated');
    expect(doc.violations).toHaveLength(3);
    expect(doc.trace).toBe(join(dir, 'spsc-flag-first.itf.json'));
    // The written trace replays.
    const replay = await sddf(['replay', doc.trace, '--format', 'json']);
    expect(replay.status).toBe(0);
  });

  it('--swarm N runs every shard here: bitstate shards alone say incomplete (exit 1)', async () => {
    const r = await sddf(['mc', ...SPSC, '--swarm', '2', '--format', 'json']);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { verdict: string; shards: number[]; bestCoverage: number };
    expect(doc).toMatchObject({ verdict: 'incomplete', shards: [1, 2] });
    expect(doc.bestCoverage).toBeGreaterThan(0.99);
    const exhaustive = await sddf(['mc', ...SPSC, '--swarm', '2', '--store', 'hash-compact']);
    expect(exhaustive.status).toBe(0);
    expect(exhaustive.stdout).toMatch(/holds \(shard \d searched exhaustively\)/);
  });

  it('bad input is exit 2 with MC_RESULT or a usage message', async () => {
    const dir = tempDir('sddf-swarm-bad');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"model": 1}');
    const r = await sddf(['mc-merge', bad, '--format', 'json']);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'MC_RESULT', file: bad } });
    const notJson = join(dir, 'x.json');
    writeFileSync(notJson, 'nope');
    expect((await sddf(['mc-merge', notJson])).status).toBe(2);
    expect((await sddf(['mc', ...SPSC, '--shard', '5/4'])).status).toBe(2);
    expect((await sddf(['mc', ...SPSC, '--shard', '1/2', '--swarm', '2'])).status).toBe(2);
    expect((await sddf(['mc', ...SPSC, '--shard', '1/2', '--liveness'])).status).toBe(2);
  });
});
