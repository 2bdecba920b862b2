// The typed stages of `sddf check` (EXAMPLES.md §1): each stage takes the previous stage's value
// and returns the next, each type extending the one before:
//   CheckRequest → LoadedSystem (read, parsed, audited once) → PlannedCheck (the model runs
//   chosen for that system) → CheckReport.
// Unreadable input stops at the first stage as a UserError (exit 2); everything after it is a
// result value. Runs are bounded by states or depth, never by a clock: the same input gives the
// same verdict on any machine.
import type { Progress } from '../../proofs/mc/engine.ts';
import type { ModelChoice } from '../../proofs/mc/run.ts';
import type { RunAuditResult } from '../../impl/report/audit.ts';

export const CHECK_KINDS = ['audit', 'proof', 'model-check', 'refinement'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];
export type CheckVerdict = 'pass' | 'fail' | 'error';

export interface CheckResult {
  readonly name: string;
  readonly kind: CheckKind;
  readonly verdict: CheckVerdict;
  readonly seconds: number;
  readonly trace?: string;
  /** One line for the report (`holds (1234 states, depth 40)`, `incomplete (...)`). */
  readonly detail?: string;
  /** Model checks: what the plan scaled down from the system's instance (ModelRunSpec.scaled). */
  readonly scaled?: readonly string[];
}

/** One model-checking run of the check, named as `sddf mc` would be invoked. */
export interface ModelRunSpec extends ModelChoice {
  readonly label: string;
  /** Bound on distinct states (default: the stage's). Hitting it is `incomplete`: not a pass. */
  readonly maxStates?: number;
  readonly maxDepth?: number;
  /** What the plan scaled down from the system's own instance, and what that means. */
  readonly scaled?: readonly string[];
}

export interface CheckRequest {
  /** Built-in system name or a path to a .system file. */
  readonly system: string;
  readonly seed: number;
  /** Where traces of failures are written. */
  readonly outDir: string;
  /** Status lines (the CLI shows them on stderr, on a TTY only); never stdout. */
  readonly progress: (line: string) => void;
  /** Progress of a long model-checking run (states, depth, states/s, elapsed). */
  readonly mcProgress?: (label: string, p: Progress) => void;
  /**
   * The model runs, when the caller chooses them; default: the runs the system's plan gives
   * (`planModelRuns`).
   */
  readonly modelRuns?: readonly ModelRunSpec[];
  /** Only the checks of these kinds (`sddf check --only`); default: every kind. */
  readonly only?: readonly CheckKind[];
}

export type AuditOutcome = Extract<RunAuditResult, { ok: true }>['outcome'];

/** Stage 1: the system read, parsed and audited (once; the audit stage reports it). */
export interface LoadedSystem extends CheckRequest {
  /** The .system file the name resolved to. */
  readonly file: string;
  readonly audit: AuditOutcome;
  /** How long reading, parsing and auditing took. */
  readonly auditSeconds: number;
}

/** Stage 2: what will be checked on that system. */
export interface PlannedCheck extends LoadedSystem {
  readonly modelRuns: readonly ModelRunSpec[];
  /** Device classes the system uses that no model checks yet, with the reason. */
  readonly notModelChecked: readonly { readonly deviceClass: string; readonly reason: string }[];
}

export interface CheckReport {
  readonly ok: boolean;
  readonly system: string;
  readonly file: string;
  readonly results: readonly CheckResult[];
  /** Device classes of the system that no model checks yet (they are not a pass or a fail). */
  readonly notModelChecked: readonly { readonly deviceClass: string; readonly reason: string }[];
}

/** A stage of the report: results for one kind of check. */
export type Stage = (check: PlannedCheck) => Promise<readonly CheckResult[]>;
