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

export const STAGES: readonly Stage[] = [
  auditStage,
  proofStage,
  modelCheckStage,
  refinementStage,
  netRefinementStage,
  blkRefinementStage,
];

/** The kind of result each stage gives (the `--only` filter of `sddf check` selects by it). */
const STAGE_KIND: ReadonlyMap<Stage, CheckKind> = new Map<Stage, CheckKind>([
  [auditStage, 'audit'],
  [proofStage, 'proof'],
  [modelCheckStage, 'model-check'],
  [refinementStage, 'refinement'],
  [netRefinementStage, 'refinement'],
  [blkRefinementStage, 'refinement'],
]);

/** The stages that give results of the chosen kinds (all of them when `only` is undefined). */
export function stagesFor(only: readonly CheckKind[] | undefined): readonly Stage[] {
  if (only === undefined) return STAGES;
  return STAGES.filter((s) => {
    const kind = STAGE_KIND.get(s);
    return kind !== undefined && only.includes(kind);
  });
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
