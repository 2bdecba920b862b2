// `sddf run serial` (issue 13 part 2): scripted input from --input, one JSON document with
// --format json, exit 0 with zero violations; 1 when a run breaks an invariant; 2 when the input
// file is missing. The piped-stdin and terminal cases run the real binary (child processes).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { captureIo } from '../../helpers/io.ts';
import { tempDir } from '../../helpers/temp.ts';

async function sddf(args: string[]): Promise<{ status: number; out: string[]; err: string[] }> {
  const io = captureIo();
  const status = await main(args, io);
  return { status, out: io.stdout, err: io.stderr };
}

describe('sddf run serial', () => {
  it('--input FILE --format json: one document, every client shown whole, exit 0', async () => {
    const input = join(tempDir('sddf-serial'), 'typed.txt');
    writeFileSync(input, 'hello\r\x1c1\rworld\r');
    {
      const r = await sddf(['run', 'serial', '--input', input, '--format', 'json']);
      expect(r.status).toBe(0);
      expect(r.out).toHaveLength(1);
      const doc = JSON.parse(r.out[0]!) as {
        ok: boolean;
        system: string;
        invariantViolations: number;
        clients: { name: string; lines: number; written: number; shown: number }[];
      };
      expect(doc).toMatchObject({ ok: true, system: 'serial', invariantViolations: 0 });
      expect(doc.clients.map((c) => c.lines)).toEqual([1, 1, 0]);
      for (const c of doc.clients) expect(c.shown).toBe(c.written);
      const text = await sddf(['run', 'serial', '--input', input]);
      expect(text.status).toBe(0);
      expect(text.out.join('\n')).toMatch(/ok: \d+ invariant checks, 0 violations/);
    }
  });

  it('a missing input file: exit 2 and a message', async () => {
    const r = await sddf(['run', 'serial', '--input', '/nonexistent/typed.txt']);
    expect(r.status).toBe(2);
    expect(r.err.join('\n')).toMatch(/nonexistent/);
  });

  it('piped stdin is the scripted input (the real binary)', () => {
    const r = spawnSync(process.execPath, ['bin/sddf.mjs', 'run', 'serial', '--format', 'json'], {
      input: 'piped\r',
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; console: string };
    expect(doc.ok).toBe(true);
    expect(doc.console).toContain('client0 got: piped');
  });
});
