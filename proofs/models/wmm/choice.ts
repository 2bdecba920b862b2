// Nondeterminism inside one step. A component step is plain TypeScript that calls `mem.load` and
// uses the value at once, so a memory model with several possible answers (which message a load
// reads, which promise a store fulfils) cannot return "a set". Instead the step is re-run from a
// copy of the state once per combination of answers: the first run takes answer 0 everywhere and
// records how many answers each decision had; the next run repeats the prefix and takes the next
// answer at the deepest decision with one left (an odometer over the decision tree). Steps are
// pure functions of the state and the answers (spec/components: no clock, no randomness), so the
// runs enumerate exactly the step's outcomes.
import { assert } from '../../../spec/common/assert.ts';

/** Bound on decisions in one step (a step makes a few accesses; a runaway loop is a bug). */
const MAX_DECISIONS = 256;
/** Bound on runs of one step (the product of the decisions' answer counts). */
const MAX_RUNS = 1 << 16;

export class Chooser {
  private picks: number[] = [];
  private counts: number[] = [];
  private at = 0;
  private runs = 0;

  /** Starts enumerating a fresh decision tree. */
  reset(): void {
    this.picks.length = 0;
    this.counts.length = 0;
    this.at = 0;
    this.runs = 0;
  }

  /** Starts the next run (call before each run, after `reset` or a true `advance`). */
  begin(): void {
    this.at = 0;
    this.runs++;
    assert(this.runs <= MAX_RUNS, `a step has more than ${MAX_RUNS} memory outcomes`);
  }

  /** The answer (0..n-1) of the next decision, which has `n` possible answers. */
  choose(n: number): number {
    assert(n >= 1 && Number.isInteger(n), `a decision needs at least one answer, got ${n}`);
    const i = this.at++;
    if (i < this.picks.length) {
      // Steps are deterministic given the answers: the same prefix meets the same decision.
      if (this.counts[i] !== n) assert(false, `decision ${i}: ${n} answers, was ${this.counts[i]}`);
      return this.picks[i]!;
    }
    assert(i < MAX_DECISIONS, `a step makes more than ${MAX_DECISIONS} memory decisions`);
    this.picks.push(0);
    this.counts.push(n);
    return 0;
  }

  /** Moves to the next combination; false when every combination has run. */
  advance(): boolean {
    // Decisions past `at` were not reached by this run (an earlier answer changed the path).
    this.picks.length = this.at;
    this.counts.length = this.at;
    for (let i = this.at - 1; i >= 0; i--) {
      if (this.picks[i]! + 1 < this.counts[i]!) {
        this.picks[i]!++;
        this.picks.length = i + 1;
        this.counts.length = i + 1;
        return true;
      }
    }
    return false;
  }
}
