// Stage of `sddf check` (issue #4): audit the chosen system (built-in name or .system file) for
// least privilege. One `audit` result: pass when the system is valid and has no error finding;
// the detail line gives the counts. Unreadable input is an `error` verdict, not an exception.
import { formatDiagnostic } from '../../../spec/common/diagnostic.ts';
import { countBySeverity } from '../../../spec/system/audit/index.ts';
import { outcomeFails } from '../../../spec/system/audit/outcome.ts';
import { runAudit } from '../../../impl/report/audit.ts';
import type { CheckResult, Stage } from '../check.ts';

export const auditStage: Stage = async (opts) => {
  const started = performance.now();
  opts.progress(`audit: ${opts.system}`);
  const result = runAudit({ system: opts.system });
  const seconds = (performance.now() - started) / 1000;
  if (!result.ok) {
    const first = result.unreadable[0];
    const detail = first === undefined ? 'could not read the system' : formatDiagnostic(first);
    return [{ name: 'least-privilege', kind: 'audit', verdict: 'error', seconds, detail }];
  }
  const o = result.outcome;
  const c = countBySeverity(o.report?.findings ?? []);
  const detail = `${o.errors.length} validation error(s); ${c.error} error(s), ${c.warning} warning(s), ${c.note} note(s)`;
  const r: CheckResult = {
    name: 'least-privilege',
    kind: 'audit',
    verdict: outcomeFails(o) ? 'fail' : 'pass',
    seconds,
    detail,
  };
  return [r];
};
