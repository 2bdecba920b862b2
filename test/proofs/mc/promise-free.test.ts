// Promise-free search (`sddf mc --no-promises`, proofs/mc/promise-free.ts): under RVWMO it finds
// the O1 lost wakeup on net-pipeline unguided in a few thousand states and its trace replays on
// the full model; with the fix it reports `incomplete`, never `holds`; on the LB litmus test it
// misses the load-buffering outcome the full model has (which is why it proves nothing); and it
// refuses memory models without promises and parallel workers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelCheck } from '../../../api/mc.ts';
import { replayFile } from '../../../api/replay.ts';
import { promiseFreeSystem } from '../../../proofs/mc/promise-free.ts';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { runModelCheck } from '../../../proofs/mc/run.ts';
import { buildLitmus } from '../../../proofs/models/wmm/litmus.ts';
import { UserError } from '../../../spec/common/diagnostic.ts';
import { CATALOGUE } from '../litmus/catalogue.ts';

// The driver alone on a second core: the smallest pipeline with the O1 race (docs/weak-memory.md).
const SMALL = {
  clients: 1,
  frames: 1,
  rxBuffers: 1,
  hwRing: 1,
  scheduling: 4,
  acquire: 1,
};

const dir = mkdtempSync(join(tmpdir(), 'sddf-promise-free-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('promise-free search under the Promising models', () => {
  it('RVWMO at HEAD: the O1 lost wakeup, unguided, and the trace replays on the full model', async () => {
    const run = modelCheck({
      model: 'net-pipeline',
      memoryModel: 'rvwmo',
      bounds: { ...SMALL, fences: 0 },
      promises: false,
      outDir: join(dir, 'head'),
    });
    expect(run.result.verdict).toBe('violated');
    expect(run.result.property).toBe('no-lost-wakeup');
    expect(run.result.states).toBeLessThan(20_000);
    // The trace records no promise option: it is a run of the full model, which replay builds.
    const replay = await replayFile(run.tracePath!);
    expect(replay.replay.ok).toBe(true);
    expect(replay.violationCheck).toBeNull();
  });

  it('RVWMO with the fix: complete promise-free search finds nothing, reported incomplete', () => {
    const run = runModelCheck({
      model: 'net-pipeline',
      memoryModel: 'rvwmo',
      bounds: { ...SMALL, fences: 1 },
      promises: false,
    });
    expect(run.result.verdict).toBe('incomplete');
    expect(run.result.incompleteReason).toBe('promiseFree');
  });

  it('LB: the full model reaches r0 = r1 = 1 under ARMv8 and RVWMO, the promise-free one does not', () => {
    const lb = CATALOGUE.find((c) => c.name === 'LB')!;
    const exists = (finals: ReadonlySet<string>): boolean =>
      [...finals].some((o) => {
        const parts = new Set(o.split('; '));
        return Object.entries(lb.exists).every(([k, v]) => parts.has(`${k}=${v}`));
      });
    for (const mm of ['armv8', 'rvwmo'] as const) {
      const full = buildLitmus(lb, mm);
      expect(checkModel(full.ts, { search: 'bfs' }).verdict).toBe('holds');
      expect(exists(full.finals)).toBe(true);
      const free = buildLitmus(lb, mm);
      expect(checkModel(promiseFreeSystem(free.ts, mm), { search: 'bfs' }).verdict).toBe('holds');
      expect(free.finals.size).toBeGreaterThan(0);
      expect(exists(free.finals)).toBe(false);
    }
  });

  it('refuses a memory model without promises and parallel workers (usage errors)', () => {
    const usage = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        if (e instanceof UserError) return e.diagnostics[0]!.code;
        throw e;
      }
      return 'no error';
    };
    expect(usage(() => runModelCheck({ model: 'spsc', memoryModel: 'tso', promises: false }))).toBe(
      'USAGE',
    );
    expect(
      usage(() =>
        runModelCheck({
          model: 'net-pipeline',
          memoryModel: 'rvwmo',
          bounds: SMALL,
          promises: false,
          workers: 2,
        }),
      ),
    ).toBe('USAGE');
  });
});
