// Randomized refinement with faults (issue 9 part 6): ≥ 200 seeds, each a seeded schedule (priority
// or random), window and fault script (crashes and restarts of the driver, virt_rx, virt_tx and the
// copiers; dropped IRQs; dropped and duplicated notifications), with the online refinement check
// on. Zero divergences, zero invariant violations (buffer conservation included: no buffer lost once
// recovered), every run recovered. The longer soak is bench/refinement-soak.ts.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../../../impl/runtime/prng.ts';
import { ECHO_SERVER_NAMES } from '../../../../impl/systems/echo_server/wiring.ts';
import {
  randomizedRefinement,
  refinementSeed,
  seedFaults,
} from '../../../../traces/refinement/net/randomized.ts';
import { main } from '../../../../cli/main.ts';
import { captureIo } from '../../../helpers/io.ts';
import { copierCorruptsCopy, driverRxBufferReadOnly } from './bugs.ts';

const SEEDS = 200;

describe('randomized refinement with faults', () => {
  it(`${SEEDS} seeds × schedules × faults: 0 divergences, 0 invariant violations, all recovered`, () => {
    // Issue 9: "≥ 200 seeds in under 60 s". Measured as this process's CPU time, which a loaded
    // machine does not stretch the way it stretches the wall clock (17 s on a quiet 2-core box;
    // the wall clock went past 80 s with ten other processes running).
    const cpu0 = process.cpuUsage();
    const r = randomizedRefinement({ seeds: SEEDS, firstSeed: 1 });
    const cpu = process.cpuUsage(cpu0);
    expect((cpu.user + cpu.system) / 1e6).toBeLessThan(60);
    const failures = r.failures.map(
      (f) => `seed ${f.seed} [${f.faults}]: ${f.problems.join('; ')}`,
    );
    expect(failures).toEqual([]);
    expect(r.seeds).toBe(SEEDS);
    expect(r.passed).toBe(SEEDS);
    expect(r.violations).toBe(0);
    expect(r.deviations).toBe(0);
    expect(r.invariantViolations).toBe(0);
    expect(r.notRecovered).toBe(0);
    // The faults did happen: crashes (each followed by a restart) in a good share of the seeds.
    expect(r.faultsInjected).toBeGreaterThan(SEEDS / 4);
    expect(r.handlersChecked).toBeGreaterThan(50 * SEEDS);
    // The virtio driver is refined too (its watchdog ticks included; its restarts are not).
    const driver = r.components[ECHO_SERVER_NAMES.driver]!;
    expect(driver.checked).toBeGreaterThan(25 * SEEDS);
    expect(driver.matched).toBe(driver.checked);
  }, 300_000);

  it('each seed draws its own schedule, window and faults, the same every time', () => {
    const a = seedFaults(Prng.fromSeed(7), 3, 10).text;
    expect(seedFaults(Prng.fromSeed(7), 3, 10).text).toBe(a);
    const kinds = new Set<string>();
    for (let s = 0; s < 200; s++)
      for (const f of seedFaults(Prng.fromSeed(s), 3, 10).text.split(','))
        if (f !== '') kinds.add(f.split(':')[0]!);
    expect([...kinds].sort()).toEqual(['crash', 'drop-irq', 'drop-notify', 'dup-notify']);
  });

  it('a seeded bug fails the seeds in which it acts, with its first divergence', () => {
    const pd = ECHO_SERVER_NAMES.clients[0]!.copier;
    let failed = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const bug = copierCorruptsCopy(pd, 2);
      const o = refinementSeed(seed, { rebind: bug.rebind });
      if (bug.firstActed() < 0) continue;
      failed++;
      expect(o.ok).toBe(false);
      expect(o.firstViolation?.pd).toBe(pd);
      expect(o.firstViolation?.execution).toBe(bug.firstActed());
    }
    expect(failed).toBeGreaterThan(3);
  });

  it('a seeded driver bug (Rx descriptors without WRITE) fails its seeds at its first handler', () => {
    const pd = ECHO_SERVER_NAMES.driver;
    let failed = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const bug = driverRxBufferReadOnly(pd, 4);
      const o = refinementSeed(seed, { rebind: bug.rebind });
      if (bug.firstActed() < 0) continue;
      failed++;
      expect(o.ok).toBe(false);
      expect(o.firstViolation?.pd).toBe(pd);
      expect(o.firstViolation?.execution).toBe(bug.firstActed());
    }
    expect(failed).toBeGreaterThan(3);
  });
});

describe('a seed replays from the command line', () => {
  it("sddf run with the seed's window, schedule and faults checks the same handlers", async () => {
    // Seeds with a crash under the random schedule exercise every flag of the replay line.
    let seed = 1;
    let o = refinementSeed(seed);
    while (!(o.schedule === 'random' && o.faults.includes('crash:'))) o = refinementSeed(++seed);
    const io = captureIo();
    const args = [
      'run',
      'echo',
      '--seed',
      String(seed),
      '--packets',
      '48',
      '--window',
      String(o.window),
    ];
    args.push('--schedule', o.schedule, '--faults', o.faults, '--watchdog-ms', '10', '--tick-poll');
    args.push('--check-refinement', '--format', 'json');
    expect(await main(args, io)).toBe(0);
    const doc = JSON.parse(io.stdout[0]!) as {
      refinement: { checked: number; violations: number };
      faults: { injected: number };
    };
    expect(doc.refinement).toMatchObject({ checked: o.checked, violations: 0 });
    expect(doc.faults.injected).toBe(o.injected);
  });
});
