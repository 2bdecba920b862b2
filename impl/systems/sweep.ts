// A load sweep (issue 9 part 5; the sDDF benchmark's "requested vs achieved throughput" figure):
// the same system at a series of offered rates, each an open-loop deterministic run. Offered and
// achieved rates are in virtual time (the cost model of run.ts); CPU per packet is reported both
// as the model's virtual busy time and as host CPU time.

import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import { runSystem, type RunSystemOptions, type RunSystemResult } from './run.ts';

export interface SweepSpec {
  /** Offered rates in requests per virtual second, lowest first. */
  readonly rates: readonly number[];
}

export interface SweepPoint {
  readonly offeredPps: number;
  readonly achievedPps: number;
  readonly answered: number;
  readonly lost: number;
  readonly nicDropped: number;
  /** Virtual CPU busy time per answered request (the cost model). */
  readonly virtualNsPerPacket: number;
  readonly utilisation: number;
  /** Host CPU per answered request. */
  readonly hostNsPerPacket: number;
  readonly invariantViolations: number;
}

export interface SweepResult {
  readonly ok: boolean;
  readonly system: string;
  readonly seed: number;
  readonly packets: number;
  readonly points: readonly SweepPoint[];
}

/** `FROM:TO:STEPS` → STEPS rates spaced evenly from FROM to TO. */
export function parseSweep(text: string): { spec?: SweepSpec; error?: string } {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?):(\d+(?:\.\d+)?(?:e\d+)?):(\d+)$/.exec(text.trim());
  if (m === null)
    return { error: `--sweep wants FROM:TO:STEPS (requests per second), got '${text}'` };
  const from = Number(m[1]);
  const to = Number(m[2]);
  const steps = Number(m[3]);
  if (!(from > 0) || !(to >= from) || steps < 1 || steps > 200) {
    return { error: `--sweep needs 0 < FROM ≤ TO and 1 ≤ STEPS ≤ 200, got '${text}'` };
  }
  const rates =
    steps === 1
      ? [from]
      : Array.from({ length: steps }, (_, i) => Math.round(from + ((to - from) * i) / (steps - 1)));
  return { spec: { rates } };
}

export function pointOf(offered: number, r: RunSystemResult): SweepPoint {
  const answered = r.generator.answered;
  return {
    offeredPps: offered,
    achievedPps: r.virtual.answeredPerSec,
    answered,
    lost: r.generator.lost,
    nicDropped: r.device.rxDroppedNoBuffer,
    virtualNsPerPacket: answered > 0 ? Math.round(r.virtual.busyNs / answered) : 0,
    utilisation: Math.round(r.virtual.utilisation * 1000) / 1000,
    hostNsPerPacket: r.times.cpuNsPerPacket,
    invariantViolations: r.invariantViolations,
  };
}

export function runSweep(
  options: RunSystemOptions,
  spec: SweepSpec,
  onPoint?: (p: SweepPoint, index: number) => void,
): { result?: SweepResult; errors: readonly Diagnostic[] } {
  const points: SweepPoint[] = [];
  let system = '';
  for (const [i, rate] of spec.rates.entries()) {
    const { result, errors } = runSystem({ ...options, traffic: { ...options.traffic, rate } });
    if (result === undefined) return { errors };
    system = result.system;
    const p = pointOf(rate, result);
    points.push(p);
    onPoint?.(p, i);
  }
  return {
    result: {
      ok: points.every((p) => p.invariantViolations === 0),
      system,
      seed: options.seed,
      packets: options.packets,
      points,
    },
    errors: [],
  };
}
