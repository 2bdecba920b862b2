// Seeded random simulation (verification-tools.md §9.7 "one engine, three modes"): random walks
// over a TransitionSystem checking the same invariants and quiescence oracle as the exhaustive
// search. It can find a violation but never prove one absent, so without a find its verdict is
// `incomplete`. The seed is the whole source of randomness (STYLE.md: same seed, same run), and
// its counterexamples are long, which is what traces/minimise.ts is for. Each walk starts from a
// generator state of its own, reported as `walkSeed`: `--seed <walkSeed> --runs 1` replays that
// walk alone (EXAMPLES.md §4), without re-running the walks before it.
import { assert } from '../../spec/common/assert.ts';
import {
  ModelLimitReached,
  type State,
  type TransitionSystem,
} from '../../spec/common/transition.ts';
import { NO_LOST_WAKEUP, type McResult } from './engine.ts';
import { Mulberry32 } from './random.ts';

export { Mulberry32, mulberry32 } from './random.ts';

export interface SimulateOptions {
  readonly seed: number;
  /** Number of random walks. */
  readonly runs: number;
  /** Steps per walk at most. */
  readonly maxSteps: number;
  readonly now?: () => number;
  /**
   * Called with each walk that found nothing, and its own seed (`sddf mc --write-walks`: traces of
   * the unmodified models for `sddf replay --on impl`).
   */
  readonly onWalk?: (
    walk: { states: State[]; actions: number[] },
    walkSeed: number,
    ts: TransitionSystem,
  ) => void;
}

interface Step {
  readonly action: number;
  readonly state: State;
}

export function simulate(ts: TransitionSystem, opts: SimulateOptions): McResult {
  assert(opts.runs > 0 && opts.maxSteps > 0, 'simulate needs runs > 0 and maxSteps > 0');
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const gen = new Mulberry32(opts.seed);
  const random = (): number => gen.next();
  const inits = ts.initialStates().filter((s) => ts.constraint?.(s) ?? true);
  assert(inits.length > 0, `model ${ts.name} has no initial state inside its constraint`);
  let transitions = 0;
  let depth = 0;
  let pruned = 0;
  let walkSeed = gen.state;
  const base = {
    mode: 'none' as const,
    collisionProbability: 0,
    memoryBytes: 0,
    reductions: { por: false, symmetry: false },
  };
  try {
    for (let run = 0; run < opts.runs; run++) {
      walkSeed = gen.state;
      const states: State[] = [inits[Math.floor(random() * inits.length)]!.slice()];
      const actions: number[] = [];
      for (let step = 0; step <= opts.maxSteps; step++) {
        const s = states[states.length - 1]!;
        const violation = checkState(ts, s);
        const succ: Step[] = [];
        let raw = 0;
        if (violation === null) {
          ts.successors(s, (action, next) => {
            raw++;
            // The state constraint bounds walks as it bounds the search (engine.ts).
            if (ts.constraint === undefined || ts.constraint(next)) {
              succ.push({ action, state: next.slice() });
            } else pruned++;
          });
        }
        const quiet =
          violation ?? (raw === 0 || (ts.isQuiescent?.(s) ?? false) ? quiescence(ts, s) : null);
        if (quiet !== null) {
          return {
            ...base,
            verdict: 'violated',
            property: quiet.property,
            message: quiet.message,
            states: transitions + 1,
            transitions,
            depth: Math.max(depth, actions.length),
            seconds: (now() - t0) / 1000,
            walkSeed,
            ...(pruned > 0 ? { pruned } : {}),
            trace: { states, actions },
          };
        }
        if (succ.length === 0 || step === opts.maxSteps) break;
        const pick = succ[Math.floor(random() * succ.length)]!;
        states.push(pick.state);
        actions.push(pick.action);
        transitions++;
      }
      depth = Math.max(depth, actions.length);
      opts.onWalk?.({ states, actions }, walkSeed, ts);
    }
  } catch (e) {
    // The model cannot represent a successor: the walks end here, and prove nothing (engine.ts).
    if (!(e instanceof ModelLimitReached)) throw e;
    return {
      ...base,
      verdict: 'incomplete',
      incompleteReason: 'modelLimit',
      message: e.message,
      states: transitions + 1,
      transitions,
      depth,
      seconds: (now() - t0) / 1000,
      walkSeed,
      ...(pruned > 0 ? { pruned } : {}),
    };
  }
  return {
    ...base,
    verdict: 'incomplete',
    incompleteReason: 'simulation',
    states: transitions + opts.runs,
    transitions,
    depth,
    seconds: (now() - t0) / 1000,
    walkSeed,
    ...(pruned > 0 ? { pruned } : {}),
  };
}

function checkState(ts: TransitionSystem, s: State): { property: string; message: string } | null {
  for (const inv of ts.invariants) {
    const message = inv.check(s);
    if (message !== null) return { property: inv.name, message };
  }
  return null;
}

function quiescence(ts: TransitionSystem, s: State): { property: string; message: string } | null {
  const message = ts.quiescentViolation?.(s) ?? null;
  return message === null ? null : { property: NO_LOST_WAKEUP, message };
}
