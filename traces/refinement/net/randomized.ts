// Randomized refinement of the network components with faults (issue 9 part 6; docs/adr/
// 020-net-refinement.md): many seeds, each a run of the echo server under a seeded schedule
// (seL4's priority order, or a random choice among runnable PDs) with seeded faults — crashes and
// restarts of the driver, virt_rx, virt_tx and the copiers, dropped interrupts, dropped and
// duplicated notifications — and the online refinement check (checker.ts) on. A seed passes when
// no handler diverged from the spec, the invariant monitors (buffer conservation, address domains,
// queue bounds; impl/systems/monitors.ts) saw nothing wrong, no PD faulted other than by an
// injected crash, and the run recovered: the traffic completed, every request answered but for
// those in flight through a fault (no buffer lost: conservation is checked once more at the end).
//
// The fault choice is the seed's alone (one PRNG stream per seed), so a failing seed replays with
// `sddf run echo --seed S --packets 48 --window W [--schedule random] --faults '<its script>'
// --watchdog-ms 10 --tick-poll --check-refinement`.
import { Prng } from '../../../impl/runtime/prng.ts';
import type { FaultScript } from '../../../impl/runtime/faults.ts';
import type { ComponentBinding } from '../../../impl/runtime/registry.ts';
import { runSystem, type RunSystemOptions } from '../../../impl/systems/run.ts';
import { ECHO_SERVER_NAMES } from '../../../impl/systems/echo_server/wiring.ts';
import { NetRefinement, type RefinementViolation } from './checker.ts';

/** The NIC's interrupt in echo_server.system (the driver's `<irq irq="79">`). */
export const NIC_IRQ = 79;

export interface RandomizedRefinementOptions {
  /** The system (default: the built-in echo server). */
  readonly system?: string;
  /** How many seeds (runs). */
  readonly seeds: number;
  /** The first seed; seeds are firstSeed, firstSeed + 1, ... (default 1). */
  readonly firstSeed?: number;
  /** Echo requests per run (default 48). */
  readonly packets?: number;
  /** Most faults per run (each run draws 0..maxFaults; default 3). */
  readonly maxFaults?: number;
  /** Tests only: replace a PD's binding (a seeded bug the check must catch). */
  readonly rebind?: RunSystemOptions['rebind'];
  /** Called after each seed (progress on a terminal). */
  readonly onSeed?: (outcome: SeedOutcome) => void;
  /** Stop after the first failing seed (default false). */
  readonly stopAtFirstFailure?: boolean;
}

export interface SeedOutcome {
  readonly seed: number;
  readonly schedule: 'priority' | 'random';
  /** The closed-loop window (requests in flight). */
  readonly window: number;
  /** The faults, in `--faults` syntax (empty: none). */
  readonly faults: string;
  readonly checked: number;
  readonly violations: number;
  readonly deviations: number;
  readonly notChecked: number;
  readonly invariantViolations: number;
  readonly unexpectedFaults: number;
  readonly injected: number;
  readonly expected: number;
  readonly answered: number;
  readonly recovered: boolean;
  readonly ok: boolean;
  /** Why the seed failed (empty when ok). */
  readonly problems: readonly string[];
  readonly firstViolation?: RefinementViolation;
}

export interface RandomizedRefinementReport {
  readonly seeds: number;
  readonly firstSeed: number;
  readonly packets: number;
  /** Seeds that passed. */
  readonly passed: number;
  readonly faultsInjected: number;
  readonly handlersChecked: number;
  readonly violations: number;
  readonly deviations: number;
  readonly invariantViolations: number;
  readonly notRecovered: number;
  /** Handlers not checked (policy not in the spec, another PD ran inside, a fault), summed. */
  readonly notChecked: number;
  /** The failing seeds (at most 20 kept). */
  readonly failures: readonly SeedOutcome[];
  readonly wallMs: number;
}

/** The PDs whose crashes the harness injects, and whose notifications it drops. */
const CRASHABLE = [
  ECHO_SERVER_NAMES.driver,
  ECHO_SERVER_NAMES.virtRx,
  ECHO_SERVER_NAMES.virtTx,
  ...ECHO_SERVER_NAMES.clients.map((c) => c.copier),
];
const NOTIFIABLE = [...CRASHABLE, ...ECHO_SERVER_NAMES.clients.map((c) => c.client)];

/**
 * Closed-loop windows a seed draws from (1 makes a wake of each component per request or two, 32
 * batches as upstream's load does), and for each the latest wake (notification, IRQ) at which a
 * fault strikes, so that it falls inside a run of ~48 requests (measured wakes per PD).
 */
const WINDOWS = [
  { window: 1, maxNth: 30 },
  { window: 2, maxNth: 24 },
  { window: 4, maxNth: 14 },
  { window: 8, maxNth: 8 },
  { window: 32, maxNth: 4 },
] as const;

/** The fault script of one seed, and its `--faults` text. */
export function seedFaults(
  prng: Prng,
  maxFaults: number,
  maxNth: number,
): { script: FaultScript; text: string } {
  const pick = <T>(xs: readonly T[]): T => xs[prng.nextU32() % xs.length]!;
  const between = (lo: number, hi: number): number => lo + (prng.nextU32() % (hi - lo + 1));
  const crash: { pd: string; atWake: number }[] = [];
  const dropNotify: { to: string; nth: number }[] = [];
  const duplicateNotify: { to: string; nth: number }[] = [];
  const dropIrq: { irq: number; nth: number }[] = [];
  const text: string[] = [];
  const n = prng.nextU32() % (maxFaults + 1);
  for (let i = 0; i < n; i++) {
    const kind = prng.nextU32() % 4;
    if (kind === 0) {
      // Not wake 1: a crash before init ever ran makes the restarted PD (told `restarts` 1)
      // re-attach to queues nobody initialised, and the copier's client buffers or virt_rx's DMA
      // buffers are never handed out (found by this harness; ADR 020 §5).
      const f = { pd: pick(CRASHABLE), atWake: between(2, Math.max(2, maxNth)) };
      crash.push(f);
      text.push(`crash:${f.pd}@${f.atWake}`);
    } else if (kind === 1) {
      const f = { to: pick(NOTIFIABLE), nth: between(1, maxNth) };
      dropNotify.push(f);
      text.push(`drop-notify:${f.to}@${f.nth}`);
    } else if (kind === 2) {
      const f = { to: pick(NOTIFIABLE), nth: between(1, maxNth) };
      duplicateNotify.push(f);
      text.push(`dup-notify:${f.to}@${f.nth}`);
    } else {
      const f = { irq: NIC_IRQ, nth: between(1, maxNth) };
      dropIrq.push(f);
      text.push(`drop-irq:${f.irq}@${f.nth}`);
    }
  }
  return { script: { crash, dropNotify, duplicateNotify, dropIrq }, text: text.join(',') };
}

/** One seed: its schedule and faults drawn from the seed, the run, the verdict. */
export function refinementSeed(
  seed: number,
  options: Pick<RandomizedRefinementOptions, 'system' | 'packets' | 'maxFaults' | 'rebind'> = {},
): SeedOutcome {
  const prng = Prng.fromSeed(seed ^ 0x0ef1_7e00);
  const schedule = prng.nextU32() % 2 === 0 ? 'priority' : 'random';
  const { window, maxNth } = WINDOWS[prng.nextU32() % WINDOWS.length]!;
  const { script, text } = seedFaults(prng, options.maxFaults ?? 3, maxNth);
  const check = new NetRefinement({ keep: 1 });
  const { result, errors } = runSystem({
    ...(options.system === undefined ? {} : { system: options.system }),
    packets: options.packets ?? 48,
    seed,
    schedule,
    traffic: { window },
    faults: script,
    // A dropped notification is a lost wakeup the protocol cannot recover from alone: the
    // driver's watchdog and the clients' tick poll are what wakes the path again (ADR 016 §6).
    watchdogNs: 10_000_000,
    tickPoll: true,
    monitorEvery: 4,
    wrapComponent: (pd: string, b: ComponentBinding) => check.wrap(pd, b),
    ...(options.rebind === undefined ? {} : { rebind: options.rebind }),
  });
  const r = check.report();
  const notChecked = Object.values(r.notChecked).reduce((s, x) => s + x, 0);
  const problems: string[] = [];
  if (result === undefined) {
    problems.push(`the run did not start: ${errors.map((e) => e.message).join('; ')}`);
  }
  const g = result?.generator;
  const expected = g?.expected ?? 0;
  const answered = (g?.answered ?? 0) + (g?.late ?? 0);
  // Each fault may cost the requests in flight at the time (a window's worth: frames on the wire
  // while the driver restarts, or on a path stalled until the watchdog or the tick poll wakes it);
  // a run without faults answers everything.
  const faultCount = text === '' ? 0 : text.split(',').length;
  const recovered =
    result !== undefined &&
    result.status === 'complete' &&
    answered >= expected - window * faultCount;
  if (r.violations > 0) problems.push(`${r.violations} refinement violation(s)`);
  if (r.deviations > 0) problems.push(`${r.deviations} deviation(s) (hardening decisions)`);
  if ((result?.invariantViolations ?? 0) > 0)
    problems.push(`invariants: ${result!.violations.slice(0, 3).join('; ')}`);
  if ((result?.faults.unexpected.length ?? 0) > 0)
    problems.push(
      `unexpected faults: ${result!.faults.unexpected.map((f) => f.message).join('; ')}`,
    );
  if (result !== undefined && !recovered)
    problems.push(`not recovered: ${answered} of ${expected} answered, run ${result.status}`);
  return {
    seed,
    schedule,
    window,
    faults: text,
    checked: r.checked,
    violations: r.violations,
    deviations: r.deviations,
    notChecked,
    invariantViolations: result?.invariantViolations ?? 0,
    unexpectedFaults: result?.faults.unexpected.length ?? 0,
    injected: result?.faults.injected ?? 0,
    expected,
    answered,
    recovered,
    ok: problems.length === 0,
    problems,
    ...(r.kept[0] === undefined ? {} : { firstViolation: r.kept[0] }),
  };
}

export function randomizedRefinement(
  options: RandomizedRefinementOptions,
): RandomizedRefinementReport {
  const t0 = performance.now();
  const first = options.firstSeed ?? 1;
  const failures: SeedOutcome[] = [];
  let passed = 0;
  let faultsInjected = 0;
  let handlersChecked = 0;
  let violations = 0;
  let deviations = 0;
  let invariantViolations = 0;
  let notRecovered = 0;
  let notChecked = 0;
  let seeds = 0;
  for (let i = 0; i < options.seeds; i++) {
    const o = refinementSeed(first + i, options);
    seeds++;
    faultsInjected += o.injected;
    handlersChecked += o.checked;
    violations += o.violations;
    deviations += o.deviations;
    invariantViolations += o.invariantViolations;
    notChecked += o.notChecked;
    if (!o.recovered) notRecovered++;
    if (o.ok) passed++;
    else if (failures.length < 20) failures.push(o);
    options.onSeed?.(o);
    if (!o.ok && options.stopAtFirstFailure === true) break;
  }
  return {
    seeds,
    firstSeed: first,
    packets: options.packets ?? 48,
    passed,
    faultsInjected,
    handlersChecked,
    violations,
    deviations,
    invariantViolations,
    notRecovered,
    notChecked,
    failures,
    wallMs: Math.round(performance.now() - t0),
  };
}
