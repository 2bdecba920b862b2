// What every renderer gets: the audit report (when there is a model to audit) plus the Microkit
// validation errors of the SDF front end (CLI.md `errors`), and the exit rule over them. Pure.

import type { Diagnostic } from '../../common/diagnostic.ts';
import type { Dialect, MicrokitTarget } from '../model.ts';
import type { AuditReport } from './index.ts';

export interface AuditOutcome {
  /** The .system file as the user named it. */
  readonly file: string;
  readonly dialect?: Dialect;
  readonly dialectReason?: string;
  /** The Microkit release and architecture the file was read as, and why. */
  readonly microkit?: MicrokitTarget;
  readonly targetReason?: string;
  /** Microkit-level validation errors (the file is not a valid system description). */
  readonly errors: readonly Diagnostic[];
  /** Warnings of the SDF front end (Microkit's unused-region warning, mixed dialects, …). */
  readonly warnings?: readonly Diagnostic[];
  /** Absent when not even a partial model could be built. */
  readonly report?: AuditReport;
}

/** Which finding severity fails the audit (policy: `error`, "unless --fail-on says otherwise"). */
export type FailOn = 'error' | 'warning' | 'note' | 'none';

const FAIL_RANK: Readonly<Record<FailOn, number>> = { error: 3, warning: 2, note: 1, none: 4 };
const SEVERITY_RANK: Readonly<Record<'error' | 'warning' | 'note', number>> = {
  error: 3,
  warning: 2,
  note: 1,
};

/**
 * Exit status of `sddf audit` for a readable file: 1 on a validation error (always) or on a
 * finding at least as severe as `failOn` (default `error`).
 */
export function outcomeFails(o: AuditOutcome, failOn: FailOn = 'error'): boolean {
  const threshold = FAIL_RANK[failOn];
  const findings = o.report?.findings ?? [];
  return o.errors.length > 0 || findings.some((f) => SEVERITY_RANK[f.severity] >= threshold);
}

export const UNCLASSIFIED = 'unclassified';
