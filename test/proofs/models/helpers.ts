// Test helpers: run chosen transitions of a model by action name, read fields by layout name.
import type { ItfValue, State, TransitionSystem } from '../../../spec/common/transition.ts';

export function successors(ts: TransitionSystem, s: State): { name: string; next: State }[] {
  const out: { name: string; next: State }[] = [];
  ts.successors(s, (a, next) =>
    out.push({ name: ts.actions[a]!.name, next: new Uint32Array(next) }),
  );
  return out;
}

/** Takes the first enabled transition whose action name starts with one of `prefixes` (in order). */
export function take(ts: TransitionSystem, s: State, ...prefixes: string[]): State {
  const succ = successors(ts, s);
  for (const p of prefixes) {
    const hit = succ.find((x) => x.name.startsWith(p));
    if (hit) return hit.next;
  }
  throw new Error(
    `none of ${prefixes.join(', ')} enabled; enabled: ${succ.map((x) => x.name).join(', ')}`,
  );
}

/** Runs transitions of the given PD/device prefixes (in preference order) until none is enabled. */
export function runWhile(
  ts: TransitionSystem,
  s: State,
  prefixes: string[],
  maxSteps = 500,
): State {
  let cur = s;
  for (let i = 0; i < maxSteps; i++) {
    const succ = successors(ts, cur);
    const hit = prefixes
      .map((p) => succ.find((x) => x.name.startsWith(p)))
      .find((x) => x !== undefined);
    if (!hit) return cur;
    cur = hit.next;
  }
  throw new Error('runWhile: step bound reached');
}

export function field(ts: TransitionSystem, s: State, name: string): ItfValue {
  const v = ts.toItf(s)[name];
  if (v === undefined) throw new Error(`no field ${name}`);
  return v;
}

export function violations(ts: TransitionSystem, s: State): string[] {
  return ts.invariants.flatMap((i) => {
    const m = i.check(s);
    return m === null ? [] : [`${i.name}: ${m}`];
  });
}
