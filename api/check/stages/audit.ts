// Stage of `sddf check`: the least-privilege audit of the loaded system (done once by loadSystem).
// One `audit` result: pass when the system is valid and has no error finding; the detail line
// gives the counts.
import { countBySeverity } from '../../../spec/system/audit/index.ts';
import { outcomeFails } from '../../../spec/system/audit/outcome.ts';
import type { CheckResult, Stage } from '../types.ts';

export const auditStage: Stage = async (check) => {
  check.progress(`audit: ${check.system}`);
  const o = check.audit;
  const c = countBySeverity(o.report?.findings ?? []);
  const detail = `${o.errors.length} validation error(s); ${c.error} error(s), ${c.warning} warning(s), ${c.note} note(s)`;
  const r: CheckResult = {
    name: 'least-privilege',
    kind: 'audit',
    verdict: outcomeFails(o) ? 'fail' : 'pass',
    // The audit ran once, in loadSystem (unreadable input stops there, before any stage).
    seconds: check.auditSeconds,
    detail,
  };
  return [r];
};
