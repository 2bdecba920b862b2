import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { captureIo } from './mc-io.ts';

const out = mkdtempSync(join(tmpdir(), 'sddf-mc-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function mc(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(['mc', ...args], io);
  return { status, stdout: io.stdout.join(''), stderr: io.stderr.join('') };
}

describe('sddf mc', () => {
  it('--list names the models, their bounds and bug variants (exit 0)', async () => {
    const r = await mc(['--list', '--format', 'json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { models: { name: string; bugs: { id: string }[] }[] };
    const spsc = doc.models.find((m) => m.name === 'spsc')!;
    expect(spsc.bugs.map((b) => b.id)).toEqual(
      expect.arrayContaining(['no-recheck', 'flag-first', 'relaxed']),
    );
  });

  it('holds → exit 0, JSON exactly one document with the contract fields', async () => {
    const r = await mc(['spsc', '--format', 'json', '--out', out]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ model: 'spsc', verdict: 'holds' });
    for (const k of ['states', 'transitions', 'depth']) expect(Number.isInteger(doc[k])).toBe(true);
    expect(typeof doc['seconds']).toBe('number');
    expect(doc['trace']).toBeUndefined();
  });

  it('violated → exit 1 and writes <out>/<model>-<bug>.itf.json', async () => {
    const r = await mc(['spsc', '--bug', 'no-recheck', '--format', 'json', '--out', out]);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { trace: string; property: string };
    expect(doc.property).toBe('no-lost-wakeup');
    expect(doc.trace).toBe(join(out, 'spsc-no-recheck.itf.json'));
    const itf = JSON.parse(readFileSync(doc.trace, 'utf8')) as { '#meta': { model: string } };
    expect(itf['#meta'].model).toBe('spsc');
  });

  it('--memory-model tso shows the store-buffering lost wakeup; the text names the steps', async () => {
    const r = await mc(['spsc', '--memory-model', 'tso', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/violated: no-lost-wakeup/);
    expect(r.stdout).toMatch(/consumer recheck active\.tail/);
  });

  it('DFS counterexamples are minimised', async () => {
    const r = await mc(['spsc', '--bug', 'flag-first', '--search', 'dfs', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/steps \(minimised\)/);
  });

  it('--search random finds a violation and minimises it; with no bug it is incomplete', async () => {
    const bad = await mc(['spsc', '--bug', 'relaxed', '--search', 'random', '--out', out]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/steps \(minimised\)/);
    const none = await mc(['spsc', '--search', 'random', '--runs', '20', '--format', 'json']);
    expect(none.status).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({ verdict: 'incomplete' });
  });

  it('a bound that is hit → incomplete, exit 1, never holds', async () => {
    const r = await mc(['spsc', '--max-states', '50', '--format', 'json', '--out', out]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      verdict: 'incomplete',
      incompleteReason: 'maxStates',
    });
  });

  it('--bound changes the model size', async () => {
    const small = JSON.parse((await mc(['spsc', '--format', 'json'])).stdout) as { states: number };
    const big = JSON.parse(
      (await mc(['spsc', '--bound', 'capacity=3', '--bound', 'items=5', '--format', 'json']))
        .stdout,
    ) as { states: number };
    expect(big.states).toBeGreaterThan(small.states);
  });

  it('unknown model, bug, bound or bad values → exit 2 with a message, nothing on stdout', async () => {
    for (const args of [
      ['nope'],
      ['spsc', '--bug', 'nope'],
      ['spsc', '--bound', 'nope=1'],
      ['spsc', '--bound', 'capacity'],
      ['spsc', '--bound', 'capacity=0'],
      ['spsc', '--memory-model', 'pso'],
      ['spsc', '--search', 'sideways'],
      [],
    ]) {
      const r = await mc(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toBe('');
    }
  });
});
