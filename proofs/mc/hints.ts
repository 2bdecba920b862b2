// Checking a model's partial-order hint instead of trusting it (issue #8 part 2). A model that
// offers `isSafeLocal(s, a)` claims that step `a` is invisible and independent of every step of
// the other PDs (docs/adr/007-model-checker.md "Partial-order reduction"). A wrong claim makes POR
// skip interleavings silently, so a verdict of `holds` could be false. In the checking mode
// (`checkModel(ts, {checkHints: true})`, `sddf mc --check-hints`) the engine explores the full
// graph and, in every expanded state, tests each claim one step deep:
//
//  1. invisible: `a` changes no invariant's verdict;
//  2. `a` and every enabled step `b` of another PD do not disable each other;
//  3. they commute: the states after `a; b` are the states after `b; a`;
//  4. the claim persists: after `b`, `a` is still claimed safe-local (so checks 1-5 hold along
//     every path of other PDs' steps, by induction over the explored states);
//  5. `b` enables no step of `a`'s PD that was disabled (the C1 condition of the engine's
//     process-based ample sets: another step of that PD could become dependent).
//
// The first broken claim is reported as a violation of the property `partial-order-hint`, with
// a trace to the state where it breaks.
import type { State, TransitionSystem } from '../../spec/common/transition.ts';

/** Property name a broken hint is reported under. */
export const PARTIAL_ORDER_HINT = 'partial-order-hint';

interface Succ {
  readonly action: number;
  readonly state: State;
}

function successors(ts: TransitionSystem, s: State): Succ[] {
  const out: Succ[] = [];
  ts.successors(s, (action, next) => out.push({ action, state: next.slice(0, ts.stateWords) }));
  return out;
}

const key = (s: State): string => s.join(',');

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/**
 * What is wrong with the partial-order claims of `ts` in `s`, or null. `pdOf[action]` numbers the
 * PD of each action. Costs O(claims × other steps × successors): a testing mode, not a search one.
 */
export function hintProblem(ts: TransitionSystem, s: State, pdOf: Int32Array): string | null {
  if (ts.isSafeLocal === undefined) return null;
  const all = successors(ts, s);
  const enabled = [...new Set(all.map((x) => x.action))];
  const name = (a: number): string => ts.actions[a]?.name ?? `#${a}`;
  for (const a of enabled) {
    if (!ts.isSafeLocal(s, a)) continue;
    const claim = `${name(a)} is claimed safe-local (isSafeLocal) in this state, but`;
    const aSucc = all.filter((x) => x.action === a);
    for (const inv of ts.invariants) {
      const before = inv.check(s) === null;
      if (aSucc.some((x) => (inv.check(x.state) === null) !== before)) {
        return `${claim} it changes the verdict of invariant ${inv.name}`;
      }
    }
    const pd = pdOf[a]!;
    const ownBefore = new Set(enabled.filter((x) => pdOf[x] === pd));
    const afterA = aSucc.map((x) => successors(ts, x.state));
    for (const b of enabled) {
      if (pdOf[b] === pd) continue;
      const viaAB = new Set<string>();
      for (const next of afterA) {
        const ab = next.filter((x) => x.action === b);
        if (ab.length === 0) return `${claim} it disables ${name(b)} of another PD`;
        for (const x of ab) viaAB.add(key(x.state));
      }
      const viaBA = new Set<string>();
      for (const y of all.filter((x) => x.action === b)) {
        const next = successors(ts, y.state);
        const ba = next.filter((x) => x.action === a);
        if (ba.length === 0) return `${claim} ${name(b)} of another PD disables it`;
        if (!ts.isSafeLocal(y.state, a)) {
          return `${claim} after ${name(b)} of another PD it no longer is`;
        }
        const woken = next.find((x) => pdOf[x.action] === pd && !ownBefore.has(x.action));
        if (woken !== undefined) {
          return `${claim} ${name(b)} of another PD enables ${name(woken.action)} of the same PD`;
        }
        for (const x of ba) viaBA.add(key(x.state));
      }
      if (!sameSet(viaAB, viaBA)) {
        return `${claim} it does not commute with ${name(b)} of another PD (the two orders reach different states)`;
      }
    }
  }
  return null;
}
