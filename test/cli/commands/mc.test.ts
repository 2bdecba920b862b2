import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { boundsProblem } from '../../../proofs/models/common.ts';
import { listModels } from '../../../proofs/models/registry.ts';
import type { ModelEntry } from '../../../proofs/models/types.ts';
import { captureIo } from '../../helpers/io.ts';

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
    // Each variant's own bounds are listed (a run takes them unless --bound sets a key).
    const timer = doc.models.find((m) => m.name === 'timer') as unknown as {
      bugs: { id: string; bounds: Record<string, number> }[];
    };
    expect(timer.bugs.find((b) => b.id === 'F37')?.bounds).toEqual({ nearWrap: 1 });
    const text = await mc(['--list']);
    expect(text.stdout).toMatch(/--bug F37: .*runs at nearWrap=1 unless --bound says otherwise/);
  });

  it('--no-promises: usage error (exit 2) under a memory model without promises', async () => {
    const r = await mc(['spsc', '--memory-model', 'tso', '--no-promises', '--format', 'json']);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'USAGE' } });
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
      ['spsc', '--memory-model', 'arm'], // renamed pso (issue 15): refused with a pointer
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

// Bad input never crashes `sddf mc`, `sddf mutants` or `sddf replay` (CLI.md: exit 0/1/2 only,
// never an uncaught exception). fast-check throws random values at every bound of every model.
async function sddf(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await main(args, io);
  return { status, stdout: io.stdout.join(''), stderr: io.stderr.join('') };
}

/** A model that declares its memory models refuses the others up front (exit 2). */
const refusesMemoryModel = (entry: ModelEntry, mm: string): boolean =>
  entry.memoryModels !== undefined && !(entry.memoryModels as readonly string[]).includes(mm);

/** A tiny run: the point is that building and starting never throws, not the verdict. */
const TINY = ['--max-states', '200', '--quiet', '--format', 'json', '--out', out];

describe('sddf mc: progress (CLI.md: on a TTY only, on stderr, --quiet silences it)', () => {
  // 154 588 states: over the engine's report cadence of 2^17 expansions, whatever the clock says.
  const LONG = ['spsc-pml', '--bound', 'capacity=6', '--bound', 'items=90', '--format', 'json'];

  it('a long run on a TTY shows states, depth, states/s and elapsed time, off stdout', async () => {
    const io = captureIo({ tty: true });
    expect(await main(['mc', ...LONG], io)).toBe(0);
    expect(io.progressLines.length).toBeGreaterThan(0);
    expect(io.progressLines[0]).toMatch(/^\d+ states {2}depth \d+ {2}\d+ states\/s .* \d+\.\d s$/);
    expect(JSON.parse(io.stdout.join(''))).toMatchObject({ verdict: 'holds' });
  }, 30_000);

  it('--quiet, or stderr not a TTY: no progress', async () => {
    const quiet = captureIo({ tty: true });
    expect(await main(['mc', ...LONG, '--quiet'], quiet)).toBe(0);
    expect(quiet.progressLines).toEqual([]);
    const piped = captureIo();
    expect(await main(['mc', ...LONG], piped)).toBe(0);
    expect(piped.progressLines).toEqual([]);
  }, 30_000);
});

describe('sddf mc: bounds are validated up front', () => {
  it('every model documents a range for every bound, and its defaults are in range', () => {
    for (const m of listModels()) {
      expect(Object.keys(m.boundRanges ?? {}).sort()).toEqual(Object.keys(m.defaultBounds).sort());
      expect(boundsProblem(m, m.defaultBounds)).toBeNull();
      for (const b of m.bugs) {
        expect(boundsProblem(m, { ...m.defaultBounds, ...(b.bounds ?? {}) })).toBeNull();
      }
    }
  });

  it('the reported crash: net-pipeline --bound txBuffers=0 is exit 2 with a message', async () => {
    const r = await sddf(['mc', 'net-pipeline', '--bound', 'txBuffers=0', ...TINY]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bound txBuffers must be an integer in 1\.\.4/);
    // --format json (in TINY): the one JSON document is the error, with its stable code.
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'MC_BOUND' } });
  });

  it('--list shows each bound with its range', async () => {
    const r = await sddf(['mc', '--list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/txBuffers=1\s+1\.\.4\s+buffers in each client's Tx region/);
  });

  it('unknown model, bound name or bug: exit 2 naming what is known', async () => {
    const model = await sddf(['mc', 'no-such-model', ...TINY]);
    expect(model.status).toBe(2);
    expect(model.stderr).toMatch(/unknown model 'no-such-model' \(models: spsc/);
    const bound = await sddf(['mc', 'net-pipeline', '--bound', 'widgets=1', ...TINY]);
    expect(bound.status).toBe(2);
    expect(bound.stderr).toMatch(/has no bound 'widgets' \(bounds: clients/);
    const bug = await sddf(['mc', 'echo', '--bug', 'F4', ...TINY]);
    expect(bug.status).toBe(2);
    expect(bug.stderr).toMatch(/has no bug variant 'F4' \(variants: none\)/);
    const cross = await sddf([
      'mc',
      'net-pipeline',
      '--bound',
      'clients=1',
      '--bound',
      'slowClient=2',
      ...TINY,
    ]);
    expect(cross.status).toBe(2);
    expect(cross.stderr).toMatch(/slowClient must be ≤ clients/);
  });

  it('random values for every bound of every model (and every bug): exit 0, 1 or 2, never a throw', async () => {
    const models = listModels();
    const arb = fc.record({
      m: fc.nat({ max: models.length - 1 }),
      key: fc.nat({ max: 20 }),
      value: fc.oneof(
        fc.integer({ min: 0, max: 20 }),
        fc.nat(),
        fc.constantFrom(0xffff_ffff, 2 ** 40),
      ),
      bug: fc.nat({ max: 8 }),
      memoryModel: fc.constantFrom('sc', 'tso', 'pso', 'armv8', 'rvwmo'),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ m, key, value, bug, memoryModel }) => {
        const entry = models[m]!;
        const keys = Object.keys(entry.defaultBounds);
        const k = keys[key % keys.length]!;
        const bugArgs = bug < entry.bugs.length ? ['--bug', entry.bugs[bug]!.id] : [];
        const args = ['mc', entry.name, '--bound', `${k}=${value}`, ...bugArgs];
        const r = await sddf([...args, '--memory-model', memoryModel, ...TINY]);
        expect([0, 1, 2]).toContain(r.status);
        if (refusesMemoryModel(entry, memoryModel)) {
          expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'MC_MEMORY_MODEL' } });
          return;
        }
        const problem = boundsProblem(entry, { ...entry.defaultBounds, [k]: value });
        // In range: it ran (one JSON document); out of range: exit 2, the reason on stderr with
        // its code, and the JSON error document on stdout.
        if (problem === null) expect(JSON.parse(r.stdout)).toHaveProperty('verdict');
        else {
          expect({ status: r.status, err: r.stderr }).toEqual({
            status: 2,
            err: `sddf: MC_BOUND: ${problem}`,
          });
          expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'MC_BOUND', message: problem } });
        }
      }),
      { numRuns: 120, seed: 0x5ddf },
    );
  }, 60_000);
  it('random combinations of all bounds around their ranges: in range runs, out of range is exit 2', async () => {
    const models = listModels();
    const arb = fc.record({
      m: fc.nat({ max: models.length - 1 }),
      // One offset per bound: -1 below min … +1 above max, scaled into the range.
      picks: fc.array(fc.double({ min: -0.1, max: 1.1, noNaN: true }), {
        minLength: 16,
        maxLength: 16,
      }),
      memoryModel: fc.constantFrom('sc', 'tso', 'pso', 'armv8', 'rvwmo'),
      // Random walks go deep (300 steps) where the 200-state BFS stays near the initial state.
      deep: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ m, picks, memoryModel, deep }) => {
        const entry = models[m]!;
        const bounds: Record<string, number> = {};
        Object.entries(entry.boundRanges ?? {}).forEach(([k, r], i) => {
          const span = Math.min(r.max - r.min, 64);
          bounds[k] = Math.max(0, r.min + Math.round((picks[i] ?? 0) * span));
        });
        const args = Object.entries(bounds).flatMap(([k, v]) => ['--bound', `${k}=${v}`]);
        const search = deep
          ? ['--search', 'random', '--runs', '3', '--max-depth', '300', '--no-minimise']
          : [];
        const r = await sddf([
          'mc',
          entry.name,
          ...args,
          ...search,
          '--memory-model',
          memoryModel,
          ...TINY,
        ]);
        const problem = refusesMemoryModel(entry, memoryModel)
          ? 'memory model'
          : boundsProblem(entry, bounds);
        expect(r.status).toBe(problem === null ? r.status : 2);
        expect([0, 1, 2]).toContain(r.status);
        if (problem === null) expect(JSON.parse(r.stdout)).toHaveProperty('verdict');
      }),
      { numRuns: 150, seed: 0x5ddf + 1 },
    );
  }, 60_000);
});

describe('sddf mc net-pipeline (issue #3 acceptance)', () => {
  it('holds under SC with 2 clients (default bounds)', async () => {
    const r = await sddf(['mc', 'net-pipeline', ...TINY.slice(2)]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      verdict: 'holds',
      options: { bounds: { clients: 2 } },
    });
  }, 30_000);

  it('TSO on two cores: the store-buffering lost wakeup in ≤ 60 steps; fences=1 removes it', async () => {
    // Changed on purpose (issue 12, priorities of upstream meta.py): the shortest store-buffering
    // trace is now between virt_rx (core 0) and the driver (core 1) in upstream's two-core
    // placement (scheduling=2), on drv.RxF.
    const small = [
      '--memory-model',
      'tso',
      ...['clients=1', 'rxBuffers=1', 'frames=1', 'hwRing=1', 'scheduling=2'].flatMap((b) => [
        '--bound',
        b,
      ]),
    ];
    const bad = await sddf(['mc', 'net-pipeline', ...small, ...TINY.slice(2)]);
    expect(bad.status).toBe(1);
    const doc = JSON.parse(bad.stdout) as { property: string; message: string; traceSteps: number };
    expect(doc.property).toBe('no-lost-wakeup');
    expect(doc.message).toMatch(/^lost wakeup: /);
    expect(doc.traceSteps).toBeLessThanOrEqual(60);
    const fenced = await sddf([
      'mc',
      'net-pipeline',
      ...small,
      '--bound',
      'fences=1',
      ...TINY.slice(2),
    ]);
    expect(fenced.status).toBe(0);
    expect(JSON.parse(fenced.stdout)).toMatchObject({ verdict: 'holds' });
  }, 60_000);
});

describe('sddf mutants and sddf replay on bad input', () => {
  it('mutants --only with an unknown id is exit 2, not an empty "pass"', async () => {
    const r = await sddf(['mutants', '--only', 'NO-SUCH-ID']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown variant id\(s\) NO-SUCH-ID/);
  });

  it('replay of a trace whose #meta carries out-of-range bounds is exit 2', async () => {
    const itf = JSON.parse(
      readFileSync(
        new URL('../../../traces/corpus/net-handshake-F17.itf.json', import.meta.url),
        'utf8',
      ),
    ) as { '#meta': { options: { bounds: Record<string, number> } } };
    itf['#meta'].options.bounds['capacity'] = 0;
    const file = join(out, 'bad-bounds.itf.json');
    writeFileSync(file, JSON.stringify(itf));
    const r = await sddf(['replay', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bound capacity must be an integer in 1\.\.16/);
    const mm = itf as unknown as { '#meta': { options: { memoryModel: string } } };
    itf['#meta'].options.bounds['capacity'] = 2;
    // `arm` named the store-buffer model now called `pso`: refused with a pointer (issue 15).
    mm['#meta'].options.memoryModel = 'arm';
    writeFileSync(file, JSON.stringify(itf));
    const r2 = await sddf(['replay', file]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/memory model 'arm' is gone: use 'armv8' .* or 'pso'/);
    mm['#meta'].options.memoryModel = 'x86';
    writeFileSync(file, JSON.stringify(itf));
    const r3 = await sddf(['replay', file]);
    expect(r3.status).toBe(2);
    expect(r3.stderr).toMatch(
      /memory model must be one of sc, tso, pso, armv8, rvwmo \(got 'x86'\)/,
    );
  });
});
