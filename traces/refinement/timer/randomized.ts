// Randomized refinement under faults (issue #13 part 7) for the timer driver and the I²C virt:
// seeded runs of the built-in systems on the random schedule with injected faults (dropped and
// duplicated notifications, crashed and restarted PDs, a dropped IRQ), each with the online check
// of checker.ts. Faults may stop a client getting its timeout or answer — the run then fails its
// own monitors, which is not this check's concern; what must hold is that every handler the driver
// or virt ran equals the spec's step. Each failure names the seed and the faults that replay it.
import { Prng } from '../../../impl/runtime/prng.ts';
import type { FaultScript } from '../../../impl/runtime/faults.ts';
import { runI2cSystem } from '../../../impl/systems/i2c/run.ts';
import { runTimerSystem } from '../../../impl/systems/timer/run.ts';
import type { ComponentBinding } from '../../../impl/runtime/registry.ts';
import type { ComponentFactory } from '../../../impl/runtime/api.ts';
import { I2cRefinement } from '../i2c/checker.ts';
import { TimerRefinement } from './checker.ts';
import type { HandlerViolation } from './recording.ts';

export interface RandomizedRefinementReport {
  readonly runs: number;
  readonly checked: number;
  readonly violations: number;
  /** PD crashes injected (dropped and duplicated notifications and dropped IRQs are not counted). */
  readonly crashesInjected: number;
  readonly failures: readonly {
    readonly seed: number;
    readonly faults: FaultScript;
    readonly first: HandlerViolation | undefined;
  }[];
}

function faultsFor(rng: Prng, pds: readonly string[], irq: number): FaultScript {
  const pick = () => pds[rng.below(pds.length)]!;
  const n = () => 1 + rng.below(6);
  const script: {
    dropNotify?: { to: string; nth: number }[];
    duplicateNotify?: { to: string; nth: number }[];
    crash?: { pd: string; atWake: number }[];
    dropIrq?: { irq: number; nth: number }[];
  } = {};
  switch (rng.below(4)) {
    case 0:
      script.dropNotify = [{ to: pick(), nth: n() }];
      break;
    case 1:
      script.duplicateNotify = [
        { to: pick(), nth: n() },
        { to: pick(), nth: n() },
      ];
      break;
    case 2:
      script.crash = [{ pd: pick(), atWake: 1 + n() }];
      break;
    default:
      script.dropIrq = [{ irq, nth: n() }];
  }
  return script;
}

type Runner = (o: {
  seed: number;
  faults: FaultScript;
  wrapComponent: (pd: string, b: ComponentBinding) => ComponentFactory;
}) => { injected: number };

function randomized(
  o: { readonly runs: number; readonly seed: number },
  pds: readonly string[],
  irq: number,
  make: () => {
    wrap: (pd: string, b: ComponentBinding) => ComponentFactory;
    report: () => { checked: number; violations: number; kept: readonly HandlerViolation[] };
  },
  run: Runner,
): RandomizedRefinementReport {
  const rng = Prng.fromSeed(o.seed);
  let checked = 0;
  let violations = 0;
  let crashesInjected = 0;
  const failures: RandomizedRefinementReport['failures'][number][] = [];
  for (let i = 0; i < o.runs; i++) {
    const seed = o.seed * 1000 + i;
    const faults = faultsFor(rng, pds, irq);
    const check = make();
    const r = run({ seed, faults, wrapComponent: (pd, b) => check.wrap(pd, b) });
    crashesInjected += r.injected;
    const rep = check.report();
    checked += rep.checked;
    violations += rep.violations;
    if (rep.violations > 0) failures.push({ seed, faults, first: rep.kept[0] });
  }
  return { runs: o.runs, checked, violations, crashesInjected, failures };
}

/** The timer driver under faults; `driverBug` seeds the implementation (tests: it must be caught). */
export function randomizedTimerRefinement(o: {
  readonly runs: number;
  readonly seed: number;
  readonly driverBug?: 'wrap';
}): RandomizedRefinementReport {
  return randomized(
    o,
    ['timer', 'client0', 'client1', 'client2'],
    11,
    () => {
      const c = new TimerRefinement();
      return { wrap: (pd, b) => c.wrap(pd, b, 'timer'), report: () => c.report() };
    },
    ({ seed, faults, wrapComponent }) => {
      const { result } = runTimerSystem({
        seed,
        rounds: 4,
        schedule: 'random',
        faults,
        wrapComponent,
        ...(o.driverBug === undefined
          ? {}
          : {
              driver: { bug: o.driverBug },
              // A client whose timeout runs past u64: the fixed driver refuses it, `wrap` fires it.
              rebind: (pd, b) =>
                pd === 'client0'
                  ? { ...b, params: { ...b.params, periodNs: 2 ** 64 - 2 ** 58 } }
                  : b,
            }),
      });
      return { injected: result?.faults.injected ?? 0 };
    },
  );
}

/** The I²C virt under faults; `virtBug: 'U4'` seeds the implementation with upstream's check. */
export function randomizedI2cRefinement(o: {
  readonly runs: number;
  readonly seed: number;
  readonly virtBug?: 'U4';
  /** Tests: replace a client (e.g. one that sends a buffer past its region). */
  readonly rebind?: (pd: string, b: ComponentBinding) => ComponentBinding;
}): RandomizedRefinementReport {
  return randomized(
    o,
    ['virt', 'driver', 'client_ds3231', 'client_eeprom', 'timer'],
    247,
    () => {
      const c = new I2cRefinement();
      return { wrap: (pd, b) => c.wrap(pd, b, 'virt'), report: () => c.report() };
    },
    ({ seed, faults, wrapComponent }) => {
      const { result } = runI2cSystem({
        seed,
        rounds: 2,
        schedule: 'random',
        faults,
        wrapComponent,
        rebind: (pd, b) => {
          const x = o.rebind?.(pd, b) ?? b;
          return pd === 'virt' && o.virtBug !== undefined
            ? { ...x, params: { ...x.params, flavour: { pointerCheck: o.virtBug } } }
            : x;
        },
      });
      return { injected: result?.faults.injected ?? 0 };
    },
  );
}
