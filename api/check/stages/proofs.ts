// Stage of `sddf check`: every Z3 proof obligation (proofs/smt) as one `proof` result.
// pass: the verdict is the expected one (proved, or refuted for a documented upstream defect);
// fail: it is not; error: Z3 could not decide (unknown), which is never a pass.
// Z3 loads only when this stage runs (docs/adr/001: load per command only what it needs).
import type { ObligationResult } from '../../../proofs/smt/index.ts';
import type { CheckResult, CheckVerdict, Stage } from '../types.ts';

export function proofVerdict(r: ObligationResult): CheckVerdict {
  if (r.verdict === 'unknown') return 'error';
  return r.matches ? 'pass' : 'fail';
}

function detail(r: ObligationResult): string {
  if (r.verdict === 'unknown') return `unknown: ${r.reason ?? 'Z3 gave up'}`;
  if (r.expected !== undefined) {
    return r.matches
      ? `${r.verdict} as expected (documents an upstream defect)`
      : `expected ${r.expected}, got ${r.verdict}`;
  }
  return r.verdict;
}

export const proofStage: Stage = async (check) => {
  const { runObligations } = await import('../../../proofs/smt/index.ts');
  const report = await runObligations({
    onProgress: (r, done, total) =>
      check.progress(`proofs: ${done}/${total} ${r.name} ${r.verdict}`),
  });
  return report.obligations.map((r): CheckResult => ({
    name: r.name,
    kind: 'proof',
    verdict: proofVerdict(r),
    seconds: r.seconds,
    detail: detail(r),
  }));
};
