// What every renderer gets: the audit report (when there is a model to audit) plus the Microkit
// validation errors of the SDF front end (CLI.md `errors`), independent of how they were read.

import type { Diagnostic } from '../../../common/diagnostic.ts';
import type { Dialect } from '../../model.ts';
import type { AuditReport } from '../index.ts';

export interface AuditOutcome {
  /** The .system file as the user named it. */
  readonly file: string;
  readonly dialect?: Dialect;
  readonly dialectReason?: string;
  /** Microkit-level validation errors (the file is not a valid system description). */
  readonly errors: readonly Diagnostic[];
  /** Absent when not even a partial model could be built. */
  readonly report?: AuditReport;
}

/** Exit status of `sddf audit` for a readable file: 1 on a validation error or an error finding. */
export function outcomeFails(o: AuditOutcome): boolean {
  return o.errors.length > 0 || (o.report?.findings.some((f) => f.severity === 'error') ?? false);
}

export const UNCLASSIFIED = 'unclassified';
