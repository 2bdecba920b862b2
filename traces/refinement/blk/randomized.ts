// Randomized refinement of the block virt under faults (issue #13 part 7): `seeds` runs of a blk
// system, each with a seeded schedule (priority or random), disk (MBR or GPT, generated) and fault
// script (crashes of the virt and of clients at seeded wakes), every virt decision checked against
// spec/components/blk (checker.ts) and every run's own monitors (request semantics, isolation,
// queue bounds, read-back, durability). Used by `sddf check` and by the tests.
import { loadSystemModel } from '../../../impl/runtime/load.ts';
import { Prng } from '../../../impl/runtime/prng.ts';
import { runBlk } from '../../../impl/systems/blk/run.ts';
import { buildGptImage, buildMbrImage } from '../../../impl/systems/blk/disk.ts';
import { wireBlk } from '../../../impl/systems/blk/wiring.ts';
import { BlkVirtRefinement } from './checker.ts';

const DISK_BYTES = 4 * 1024 * 1024;
const PARTITIONS = [
  { startSector: 2048, sectors: 2048 },
  { startSector: 4096, sectors: 2048 },
];

export interface BlkRandomizedFailure {
  readonly seed: number;
  readonly schedule: 'priority' | 'random';
  readonly gpt: boolean;
  /** The `--faults` text of the run. */
  readonly faults: string;
  readonly problems: readonly string[];
}

export interface BlkRandomizedReport {
  readonly seeds: number;
  readonly decisions: number;
  readonly crashes: number;
  readonly failures: readonly BlkRandomizedFailure[];
  readonly wallMs: number;
}

/** Is `file` a block system this check can instantiate? */
export function isBlkSystemFile(file: string): boolean {
  const { model } = loadSystemModel(file);
  return model !== undefined && wireBlk(model).wiring !== undefined;
}

export function blkRandomizedRefinement(o: {
  readonly system: string;
  readonly seeds: number;
  readonly firstSeed: number;
  readonly stopAtFirstFailure?: boolean;
  /**
   * Vary the disk (a 4 MiB MBR or GPT image) and use a window of 6; off, every run is exactly
   * `sddf run SYSTEM --seed S --rounds 2 [--schedule random] [--faults …]` (the replay line).
   */
  readonly varyDisk?: boolean;
}): BlkRandomizedReport {
  const t0 = performance.now();
  const wiring = wireBlk(loadSystemModel(o.system).model!).wiring!;
  const restartable = [wiring.virtPd, ...wiring.clientPds];
  const failures: BlkRandomizedFailure[] = [];
  let decisions = 0;
  let crashes = 0;
  let seeds = 0;
  for (let seed = o.firstSeed; seed < o.firstSeed + o.seeds; seed++) {
    seeds++;
    const rng = Prng.fromSeed(seed);
    const schedule = rng.below(2) === 0 ? ('priority' as const) : ('random' as const);
    const gpt = o.varyDisk === true && rng.below(2) === 1;
    const crash = Array.from({ length: rng.below(3) }, () => ({
      pd: restartable[rng.below(restartable.length)]!,
      atWake: 2 + rng.below(30),
    }));
    crashes += crash.length;
    const check = new BlkVirtRefinement();
    const { result, errors } = runBlk({
      system: o.system,
      seed,
      schedule,
      rounds: 2,
      ...(o.varyDisk === true
        ? { window: 6, imageBytes: (gpt ? buildGptImage : buildMbrImage)(DISK_BYTES, PARTITIONS) }
        : {}),
      faults: { crash },
      onVirtEvent: check.observe,
    });
    const r = check.report();
    decisions += r.decisions;
    const problems = [
      ...errors.map((e) => e.message),
      ...r.kept.map((k) => `${k.what}: impl ${k.impl}, spec ${k.spec}`),
      ...(result === undefined || result.ok
        ? []
        : [...result.violations, ...result.faults.unexpected, `run ${result.status}`]),
    ];
    if (problems.length > 0) {
      failures.push({
        seed,
        schedule,
        gpt,
        faults: crash.map((c) => `crash:${c.pd}@${c.atWake}`).join(','),
        problems,
      });
      if (o.stopAtFirstFailure === true) break;
    }
  }
  return { seeds, decisions, crashes, failures, wallMs: performance.now() - t0 };
}
