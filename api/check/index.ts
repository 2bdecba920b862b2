// The library call behind `sddf check` (ARCHITECTURE.md "Main paths"): the system → SDF parse →
// audit → proofs → model checking → randomized refinement → one report. Stages and their types:
// ./types.ts. It is one of the places that may use every layer (api ──► proofs, traces, impl, spec).
import { loadSystem } from './load.ts';
import { planCheck } from './plan.ts';
import { auditStage } from './stages/audit.ts';
import { modelCheckStage } from './stages/mc.ts';
import { proofStage } from './stages/proofs.ts';
import { refinementStage } from './stages/refinement.ts';
import { netRefinementStage } from './stages/net-refinement.ts';
import { blkRefinementStage } from './stages/blk-refinement.ts';
import type {
  CheckKind,
  CheckReport,
  CheckRequest,
  CheckResult,
  PlannedCheck,
  Stage,
} from './types.ts';

export type * from './types.ts';
export { CHECK_KINDS } from './types.ts';
export { loadSystem, resolveSystem } from './load.ts';
export { planCheck, planFor, planModelRuns } from './plan.ts';
export {
  auditStage,
  modelCheckStage,
  proofStage,
  refinementStage,
  netRefinementStage,
  blkRefinementStage,
};

/** Every stage, in order, with the kind of result it gives (`sddf check --only` selects by it). */
const KINDED_STAGES: readonly { readonly kind: CheckKind; readonly stage: Stage }[] = [
  { kind: 'audit', stage: auditStage },
  { kind: 'proof', stage: proofStage },
  { kind: 'model-check', stage: modelCheckStage },
  { kind: 'refinement', stage: refinementStage },
  { kind: 'refinement', stage: netRefinementStage },
  { kind: 'refinement', stage: blkRefinementStage },
];

export const STAGES: readonly Stage[] = KINDED_STAGES.map((s) => s.stage);

/** The stages that give results of the chosen kinds (all of them when `only` is undefined). */
export function stagesFor(only: readonly CheckKind[] | undefined): readonly Stage[] {
  if (only === undefined) return STAGES;
  return KINDED_STAGES.filter((s) => only.includes(s.kind)).map((s) => s.stage);
}

/** Runs the stages on a planned check, in order. */
export async function runStages(
  check: PlannedCheck,
  stages: readonly Stage[] = STAGES,
): Promise<CheckReport> {
  const results: CheckResult[] = [];
  for (const stage of stages) results.push(...(await stage(check)));
  return {
    ok: results.length > 0 && results.every((r) => r.verdict === 'pass'),
    system: check.system,
    file: check.file,
    results,
    notModelChecked: check.notModelChecked,
  };
}

export async function runCheck(req: CheckRequest): Promise<CheckReport> {
  return runStages(planCheck(loadSystem(req)), stagesFor(req.only));
}
