// The block virt refines its spec (issue #13 part 7): randomized runs — seeds, schedules, crashes
// of the virt and of clients at random wakes, images with MBR or GPT — and every decision of the
// implementation is the spec's, with the abstraction function agreeing after each. Seeded
// implementations (U6, U7) are caught.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlkReqCode, type BlkReq } from '../../../../spec/queue/blk.ts';
import { openBlkConnection, type BlkClientConfig } from '../../../../impl/components/blk/config.ts';
import type { ComponentBinding } from '../../../../impl/runtime/registry.ts';
import { BLK_SYSTEM_PATH, runBlk } from '../../../../impl/systems/blk/run.ts';
import { blkRandomizedRefinement } from '../../../../traces/refinement/blk/randomized.ts';
import { buildGptImage, buildMbrImage } from '../../../../impl/systems/blk/disk.ts';
import { BlkVirtRefinement } from '../../../../traces/refinement/blk/checker.ts';

const SIZE = 4 * 1024 * 1024;
const PARTS = [
  { startSector: 2048, sectors: 2048 },
  { startSector: 4096, sectors: 2048 },
];

describe('blk virt refinement', () => {
  it('randomized: seeds, schedules, virt and client crashes, MBR and GPT — no divergence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.constantFrom('priority' as const, 'random' as const),
        fc.boolean(),
        fc.array(
          fc.record({
            pd: fc.constantFrom('virt', 'client0', 'client1'),
            atWake: fc.integer({ min: 2, max: 30 }),
          }),
          { maxLength: 2 },
        ),
        (seed, schedule, gpt, crash) => {
          const check = new BlkVirtRefinement();
          const { result } = runBlk({
            seed,
            schedule,
            rounds: 2,
            window: 6,
            imageBytes: gpt ? buildGptImage(SIZE, PARTS) : buildMbrImage(SIZE, PARTS),
            faults: { crash },
            onVirtEvent: check.observe,
          });
          const r = check.report();
          expect(r.kept).toEqual([]);
          expect(r.decisions).toBeGreaterThan(0);
          expect(result!.ok, JSON.stringify(result!.violations)).toBe(true);
        },
      ),
      { numRuns: 8, seed: 13 },
    );
  });

  it('blkRandomizedRefinement (what sddf check runs): seeds with crashes, no failure', () => {
    const r = blkRandomizedRefinement({
      system: BLK_SYSTEM_PATH,
      seeds: 3,
      firstSeed: 40,
      varyDisk: true,
    });
    expect(r.failures).toEqual([]);
    expect(r.crashes).toBeGreaterThan(0);
    expect(r.decisions).toBeGreaterThan(0);
  });

  /** A client that sends fixed requests (raw) and never takes answers when `drain` is false. */
  function scripted(reqs: readonly BlkReq[], drain: boolean): Pick<ComponentBinding, 'factory'> {
    return {
      factory: (ctx) => {
        const cfg = ctx.params['config'] as BlkClientConfig;
        const q = openBlkConnection(ctx.api, cfg.conn);
        let sent = 0;
        const step = (): void => {
          if (ctx.api.mem.read8(cfg.conn.storageInfo.vaddr + 65) === 0) return;
          while (drain && q.resp.dequeue() !== null);
          let any = false;
          while (sent < reqs.length && q.req.enqueue(reqs[sent]!)) {
            sent++;
            any = true;
          }
          if (any) ctx.api.notify(cfg.conn.id);
        };
        return { init: step, notified: step };
      },
    };
  }
  const req = (i: number, offset = BigInt((i % 64) * 4096)): BlkReq => ({
    code: BlkReqCode.READ,
    ioOrOffset: offset,
    blockNumber: BigInt(i % 100),
    count: 1,
    id: i,
  });

  it('catches a virt that translates with wrapping arithmetic (U6)', () => {
    const check = new BlkVirtRefinement();
    runBlk({
      seed: 2,
      rounds: 1,
      window: 4,
      virt: { u6: true },
      imageBytes: buildMbrImage(SIZE, PARTS),
      rebind: (pd, b) =>
        pd === 'client0' ? { ...b, ...scripted([req(1, (1n << 64n) - 4096n)], true) } : b,
      onVirtEvent: check.observe,
    });
    expect(check.report().kept.map((k) => k.what)).toContain('client 0: request 1');
  });

  it('catches a virt that takes requests it has no answer slot for (U7)', () => {
    const check = new BlkVirtRefinement();
    const many = Array.from({ length: 200 }, (_, i) => req(i));
    runBlk({
      seed: 2,
      rounds: 1,
      window: 4,
      virt: { u7: true },
      imageBytes: buildMbrImage(SIZE, PARTS),
      rebind: (pd, b) => (pd === 'client0' ? { ...b, ...scripted(many, false) } : b),
      onVirtEvent: check.observe,
    });
    expect(check.report().kept.some((k) => k.spec === '"not admitted"')).toBe(true);
  });
});
