// The Z3 proof obligations of sDDF (docs/adr/004-proofs.md) and their runner.
// One z3 initialisation per run; a fresh context per obligation (memory retained after a
// timed-out check stays with its context: verification-tools.md §4, Z3Prover/z3#6197);
// threads are killed at the end so the process exits.
import { init, killThreads } from 'z3-solver';
import { assert } from '../../spec/common/assert.ts';
import { fullCheckObligations } from './full-check.ts';
import { handshakeObligations } from './handshake.ts';
import type { Counterexample, Obligation, ObligationInfo, Verdict } from './obligation.ts';
import { queueBoundsObligations } from './queue-bounds.ts';
import { slotOwnershipObligations } from './slot-ownership.ts';
import { slotWrapObligations } from './slot-wrap.ts';
import { translationObligations } from './translation.ts';

export type { Counterexample, Obligation, ObligationInfo, Verdict } from './obligation.ts';

/** Per-query timeout: an expired query is `unknown` (and makes the run not ok). */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ObligationResult extends ObligationInfo {
  readonly verdict: Verdict;
  readonly seconds: number;
  readonly counterexample?: Counterexample;
  /** Why the verdict is unknown, when it is. */
  readonly reason?: string;
  /** The verdict is the expected one (`expected` if set, else `proved`). */
  readonly matches: boolean;
}

export interface ProveReport {
  readonly ok: boolean;
  readonly obligations: readonly ObligationResult[];
}

export interface RunOptions {
  /** Run only these obligations (exact names). Unknown names are the caller's bug. */
  readonly only?: readonly string[];
  readonly timeoutMs?: number;
  /** Called after each obligation, in order (for a progress line). */
  readonly onProgress?: (result: ObligationResult, done: number, total: number) => void;
}

/** Every obligation, in the order they are reported. */
export function allObligations(): readonly Obligation[] {
  const all = [
    ...queueBoundsObligations(),
    ...slotWrapObligations(),
    ...slotOwnershipObligations(),
    ...fullCheckObligations(),
    ...handshakeObligations(),
    ...translationObligations(),
  ];
  const names = new Set(all.map((o) => o.name));
  assert(names.size === all.length, 'obligation names must be unique');
  return all;
}

/** Names and descriptions without running anything (`sddf prove --list`). */
export function listObligations(): readonly ObligationInfo[] {
  return allObligations().map(({ name, statement, widthBits, models, expected, defect }) => ({
    name,
    statement,
    widthBits,
    models,
    ...(expected === undefined ? {} : { expected }),
    ...(defect === undefined ? {} : { defect }),
  }));
}

/** Names in `only` that are not obligations (for the CLI's exit-2 message). */
export function unknownObligationNames(only: readonly string[]): readonly string[] {
  const names = new Set(allObligations().map((o) => o.name));
  return only.filter((n) => !names.has(n));
}

/** A z3 instance that runs obligations one at a time; close it to let the process exit. */
export interface Prover {
  run(obligation: Obligation): Promise<ObligationResult>;
  close(): Promise<void>;
}

export async function openProver(opts: { readonly timeoutMs?: number } = {}): Promise<Prover> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  assert(timeoutMs > 0, `timeout must be positive, got ${timeoutMs}`);
  const api = await init({
    // Z3 prints nothing we need; keep stdout for the one JSON document (CLI.md "Output") and drop
    // emscripten's harmless "command from terminated worker" notice after killThreads.
    print: (line: string) => console.error(line),
    printErr: (line: string) => {
      if (!/terminated worker/.test(line)) console.error(line);
    },
  });
  let closed = false;
  let contexts = 0;
  return {
    async run(obligation) {
      assert(!closed, 'prover used after close()');
      // A fresh context per obligation; names only need to be distinct per run.
      const z = api.Context('sddf');
      contexts++;
      const started = performance.now();
      const outcome = await obligation.run(z, { timeoutMs });
      const seconds = (performance.now() - started) / 1000;
      const expectedVerdict: Verdict = obligation.expected ?? 'proved';
      assert(contexts > 0, 'context count');
      return {
        name: obligation.name,
        statement: obligation.statement,
        widthBits: obligation.widthBits,
        models: obligation.models,
        ...(obligation.expected === undefined ? {} : { expected: obligation.expected }),
        ...(obligation.defect === undefined ? {} : { defect: obligation.defect }),
        verdict: outcome.verdict,
        seconds: Math.round(seconds * 1000) / 1000,
        ...(outcome.counterexample === undefined ? {} : { counterexample: outcome.counterexample }),
        ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
        matches: outcome.verdict === expectedVerdict,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await killThreads(api.em);
    },
  };
}

/** Run the obligations (all, or `only`), and say whether every verdict is the expected one. */
export async function runObligations(opts: RunOptions = {}): Promise<ProveReport> {
  const all = allObligations();
  const selected =
    opts.only === undefined || opts.only.length === 0
      ? all
      : all.filter((o) => (opts.only as readonly string[]).includes(o.name));
  assert(
    opts.only === undefined || unknownObligationNames(opts.only).length === 0,
    () => `unknown obligations: ${unknownObligationNames(opts.only ?? []).join(', ')}`,
  );
  const prover = await openProver(
    opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs },
  );
  const results: ObligationResult[] = [];
  try {
    for (const obligation of selected) {
      const result = await prover.run(obligation);
      results.push(result);
      opts.onProgress?.(result, results.length, selected.length);
    }
  } finally {
    await prover.close();
  }
  return summarise(results);
}

/** ok: at least one obligation ran and every verdict is the expected one (unknown never is). */
export function summarise(results: readonly ObligationResult[]): ProveReport {
  return { ok: results.length > 0 && results.every((r) => r.matches), obligations: results };
}
