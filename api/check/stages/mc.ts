// Stage of `sddf check`: the planned model-checking runs, each a `model-check` result. A
// violation writes its ITF trace under the request's outDir. Every run is bounded by a number of
// states (and optionally a depth), never by a clock, so the same system gets the same verdict on
// any machine; a run that hits its bound is `incomplete`, which fails (never a silent pass).
import { modelCheck } from '../../mc.ts';
import type { CheckResult, CheckVerdict, Stage } from '../types.ts';

/** Default bound on distinct states per run; the echo server's runs stay well below it. */
export const STAGE_MAX_STATES = 1_000_000;

export const modelCheckStage: Stage = async (check) => {
  const results: CheckResult[] = [];
  for (const spec of check.modelRuns) {
    check.progress(`model-check: ${spec.label}`);
    const { label, maxStates, maxDepth, ...choice } = spec;
    const onProgress = check.mcProgress;
    const run = modelCheck({
      ...choice,
      maxStates: maxStates ?? STAGE_MAX_STATES,
      ...(maxDepth !== undefined ? { maxDepth } : {}),
      outDir: check.outDir,
      ...(onProgress !== undefined ? { onProgress: (p) => onProgress(label, p) } : {}),
    });
    const r = run.result;
    const verdict: CheckVerdict = r.verdict === 'holds' ? 'pass' : 'fail';
    const detail =
      r.verdict === 'violated'
        ? `violated ${r.property ?? ''}: ${r.message ?? ''}`
        : r.verdict === 'incomplete'
          ? `incomplete (${r.incompleteReason ?? 'bound'} hit after ${r.states} states): not a pass`
          : `holds (${r.states} states, depth ${r.depth})`;
    results.push({
      name: `mc ${label}`,
      kind: 'model-check',
      verdict,
      seconds: r.seconds,
      detail,
      ...(run.tracePath !== undefined ? { trace: run.tracePath } : {}),
    });
  }
  return results;
};
