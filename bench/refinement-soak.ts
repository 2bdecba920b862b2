// Refinement soak (issue 9 part 6): `npm run bench:refinement-soak -- [seeds] [firstSeed] [packets]`
// (default 5000 seeds from 1000, 96 requests each). The randomized refinement of `npm test`
// (traces/refinement/net/randomized.ts: seeded schedule, window and faults — crashes and restarts of
// the driver, virt_rx, virt_tx and the copiers, dropped IRQs, dropped and duplicated
// notifications — with every handler of virt_tx, virt_rx and the copiers checked against the spec),
// over many more seeds and longer runs. Prints a progress line every 10 % and a summary (and the
// failing seeds with their replay line); exits 1 if any seed failed.
import { randomizedRefinement } from '../traces/refinement/net/randomized.ts';

const seeds = Number(process.argv[2] ?? 5000);
const firstSeed = Number(process.argv[3] ?? 1000);
const packets = Number(process.argv[4] ?? 96);
for (const [name, v] of [
  ['seeds', seeds],
  ['firstSeed', firstSeed],
  ['packets', packets],
] as const) {
  if (!Number.isSafeInteger(v) || v < 0) {
    process.stderr.write(`refinement-soak: ${name} must be a natural number\n`);
    process.exit(2);
  }
}

let done = 0;
let failed = 0;
const step = Math.max(1, Math.floor(seeds / 10));
const r = randomizedRefinement({
  seeds,
  firstSeed,
  packets,
  onSeed: (o) => {
    done++;
    if (!o.ok) failed++;
    if (done % step === 0)
      process.stderr.write(`refinement-soak: ${done}/${seeds} seeds, ${failed} failed\n`);
  },
});
const perSeedMs = r.seeds > 0 ? r.wallMs / r.seeds : 0;
console.log(
  `refinement soak: ${r.seeds} seeds from ${r.firstSeed}, ${r.packets} requests each, ${(r.wallMs / 1000).toFixed(1)} s (${perSeedMs.toFixed(1)} ms/seed)`,
);
console.log(
  `  ${r.handlersChecked} handlers checked, ${r.notChecked} not checked; ${r.faultsInjected} crashes (each restarted); ${r.violations} divergences, ${r.deviations} deviations, ${r.invariantViolations} invariant violations, ${r.notRecovered} runs not recovered`,
);
for (const f of r.failures) {
  console.log(
    `  FAILED seed ${f.seed}: ${f.problems.join('; ')}\n    replay: sddf run echo --seed ${f.seed} --packets ${r.packets} --window ${f.window} --schedule ${f.schedule}${f.faults === '' ? '' : ` --faults '${f.faults}'`} --watchdog-ms 10 --tick-poll --check-refinement`,
  );
}
console.log(
  r.passed === r.seeds
    ? `ok: ${r.passed}/${r.seeds} seeds passed`
    : `FAILED: ${r.seeds - r.passed} seeds`,
);
process.exit(r.passed === r.seeds ? 0 : 1);
