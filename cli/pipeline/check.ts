// The library call behind `sddf check` (ARCHITECTURE.md "Main paths"): the default system →
// SDF parse → audit → proofs → model checking → randomized refinement → one report.
// It is the one place that may use every layer (cli ──► proofs, traces, impl, spec).
import { auditStage } from './stages/audit.ts';
import { proofStage } from './stages/proofs.ts';
import { modelCheckStage } from './stages/mc.ts';
import { refinementStage } from './stages/refinement.ts';
import { UserError } from '../../spec/common/diagnostic.ts';
import { runAudit } from '../../impl/report/audit.ts';

export type CheckKind = 'audit' | 'proof' | 'model-check' | 'refinement';
export type CheckVerdict = 'pass' | 'fail' | 'error';

export interface CheckResult {
  readonly name: string;
  readonly kind: CheckKind;
  readonly verdict: CheckVerdict;
  readonly seconds: number;
  readonly trace?: string;
  /** One line for the human report. */
  readonly detail?: string;
}

export interface CheckOptions {
  /** Built-in system name or a path to a .system file. */
  readonly system: string;
  readonly seed: number;
  /** Where traces of failures are written. */
  readonly outDir: string;
  /** Progress/status lines (stderr, TTY only); never stdout. */
  readonly progress: (line: string) => void;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly system: string;
  readonly results: readonly CheckResult[];
}

export type Stage = (opts: CheckOptions) => Promise<readonly CheckResult[]>;

const STAGES: readonly Stage[] = [auditStage, proofStage, modelCheckStage, refinementStage];

export async function runCheck(opts: CheckOptions): Promise<CheckReport> {
  // CLI.md: unreadable or malformed input means "could not run" (exit 2), decided before any
  // stage runs; an invalid or insecure system is a finding of the audit stage (exit 1).
  const preflight = runAudit({ system: opts.system });
  if (!preflight.ok) {
    const first = preflight.unreadable[0];
    if (first !== undefined) throw new UserError(first);
  }
  const results: CheckResult[] = [];
  for (const stage of STAGES) {
    results.push(...(await stage(opts)));
  }
  return {
    ok: results.length > 0 && results.every((r) => r.verdict === 'pass'),
    system: opts.system,
    results,
  };
}
