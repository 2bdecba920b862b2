// Stage of `sddf check`: the model checks of the default system's protocols (the echo server:
// network queues, the network pipeline and the echo round trip, the serial console's Tx path),
// each a `model-check` result. A violation writes its ITF trace under opts.outDir. Bounds are
// small so the stage stays well under 30 s; a run that hits a bound is `incomplete`, which
// fails (never a silent pass).
import { runModelCheck, type McRunOptions } from '../../commands/mc.ts';
import type { CheckResult, CheckVerdict, Stage } from '../check.ts';

/** The checks, cheapest first. Each is named as `sddf mc` would be invoked. */
export const ECHO_SERVER_MODEL_CHECKS: readonly (McRunOptions & { readonly label: string })[] = [
  { label: 'net-handshake (sc)', model: 'net-handshake', memoryModel: 'sc' },
  {
    label: 'net-handshake (tso, seq_cst fences)',
    model: 'net-handshake',
    memoryModel: 'tso',
    bounds: { fences: 1 },
  },
  { label: 'serial-tx (sc)', model: 'serial-tx', memoryModel: 'sc' },
  { label: 'serial-tx (tso)', model: 'serial-tx', memoryModel: 'tso' },
  { label: 'net-pipeline (sc, 2 clients)', model: 'net-pipeline', memoryModel: 'sc' },
  { label: 'echo (sc)', model: 'echo', memoryModel: 'sc' },
  // The store-buffering lost wakeup of the Rx path (O1) is gone with seq_cst fences (ADR 008).
  {
    label: 'net-pipeline (tso, seq_cst fences, 1 client)',
    model: 'net-pipeline',
    memoryModel: 'tso',
    bounds: { clients: 1, hwRing: 2, fences: 1 },
  },
];

const STAGE_MAX_STATES = 1_000_000;
const STAGE_MAX_SECONDS = 10;

export const modelCheckStage: Stage = async (opts) => {
  const results: CheckResult[] = [];
  for (const c of ECHO_SERVER_MODEL_CHECKS) {
    opts.progress(`model-check: ${c.label}`);
    const run = runModelCheck({
      ...c,
      maxStates: STAGE_MAX_STATES,
      maxSeconds: STAGE_MAX_SECONDS,
      outDir: opts.outDir,
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
      name: `mc ${c.label}`,
      kind: 'model-check',
      verdict,
      seconds: r.seconds,
      detail,
      ...(run.tracePath !== undefined ? { trace: run.tracePath } : {}),
    });
  }
  return results;
};
