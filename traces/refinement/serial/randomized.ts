// Randomized refinement of the serial virtualisers under faults (issue 13 part 4): seeded runs of
// the serial system with random typing (printable characters, Ctrl-\ switches to valid and
// invalid clients, literal switch characters, over-long numbers), random output load, the random
// scheduler, and injected faults (a crash and restart of virt_tx or virt_rx, dropped and
// duplicated notifications); every handler of virt_tx and virt_rx checked against the spec
// (checker.ts). The same seed gives the same runs.
import { Prng } from '../../../impl/runtime/prng.ts';
import type { FaultScript } from '../../../impl/runtime/faults.ts';
import { runSerial, type SerialRunOptions } from '../../../impl/systems/serial/run.ts';
import { SerialRefinement, type SerialRefinementReport } from './checker.ts';

export interface SerialRandomizedOptions {
  readonly seed: number;
  readonly runs: number;
  /** Characters typed per run (upper bound). */
  readonly maxTyped?: number;
  readonly system?: string;
  /** Tests: a change to each run's options (a seeded bug). */
  readonly tweak?: (o: SerialRunOptions) => SerialRunOptions;
}

export interface SerialRandomizedResult {
  readonly runs: number;
  readonly checked: number;
  readonly violations: number;
  readonly runsNotOk: number;
  readonly faultsInjected: number;
  /** The first failing run's seed and its report, to replay. */
  readonly firstFailure: { readonly seed: number; readonly report: SerialRefinementReport } | null;
}

function randomInput(rng: Prng, maxTyped: number): Uint8Array {
  const out: number[] = [];
  const n = rng.below(maxTyped + 1);
  while (out.length < n) {
    const r = rng.below(16);
    if (r === 0)
      out.push(28, 0x30 + rng.below(4), 0x0d); // switch to 0..3 (3 is invalid)
    else if (r === 1)
      out.push(28, 28); // a literal switch character
    else if (r === 2)
      out.push(28, 0x31, 0x32, 0x33, 0x34, 0x35, 0x0d); // too many digits
    else if (r === 3)
      out.push(28, 0x78); // not a digit
    else if (r === 4) out.push(0x0d);
    else out.push(0x20 + rng.below(95));
  }
  return Uint8Array.from(out);
}

function randomFaults(rng: Prng, virtTx: string, virtRx: string): FaultScript {
  const crash =
    rng.below(3) === 0
      ? [{ pd: rng.below(2) === 0 ? virtTx : virtRx, atWake: 2 + rng.below(6) }]
      : [];
  const pick = (): string => [virtTx, virtRx, 'uart', 'client0', 'client1'][rng.below(5)]!;
  const dropNotify = Array.from({ length: rng.below(3) }, () => ({
    to: pick(),
    nth: 1 + rng.below(30),
  }));
  const duplicateNotify = Array.from({ length: rng.below(3) }, () => ({
    to: pick(),
    nth: 1 + rng.below(30),
  }));
  return { crash, dropNotify, duplicateNotify };
}

export function serialRandomizedRefinement(o: SerialRandomizedOptions): SerialRandomizedResult {
  const rng = Prng.fromSeed(o.seed);
  let checked = 0;
  let violations = 0;
  let runsNotOk = 0;
  let faultsInjected = 0;
  let firstFailure: SerialRandomizedResult['firstFailure'] = null;
  for (let i = 0; i < o.runs; i++) {
    const seed = rng.below(0x7fff_ffff);
    const faults = randomFaults(rng, 'serial_virt_tx', 'serial_virt_rx');
    const check = new SerialRefinement({ virtTx: 'serial_virt_tx', virtRx: 'serial_virt_rx' });
    const base: SerialRunOptions = {
      ...(o.system === undefined ? {} : { system: o.system }),
      seed,
      schedule: 'random',
      faults,
      lines: rng.below(30),
      lineBytes: 8 + rng.below(120),
      wrapComponent: (pd, b) => check.wrap(pd, b),
    };
    const options = o.tweak?.(base) ?? base;
    const { result } = runSerial({ ...options, input: randomInput(rng, o.maxTyped ?? 200) });
    const report = check.report();
    checked += report.checked;
    violations += report.violations;
    faultsInjected += result?.faults.injected ?? 0;
    // A dropped notification may leave output unshown (the system has no timer to retry); the
    // runs must still keep every queue within its capacity and never fault unexpectedly.
    const bad =
      result === undefined ||
      result.faults.unexpected.length > 0 ||
      result.violations.some((v) => v.includes('capacity'));
    if (bad) runsNotOk++;
    if ((report.violations > 0 || bad) && firstFailure === null) firstFailure = { seed, report };
  }
  return { runs: o.runs, checked, violations, runsNotOk, faultsInjected, firstFailure };
}
