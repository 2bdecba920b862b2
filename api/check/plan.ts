// Stage 2 of `sddf check`: which models to check on the loaded system. The protocols, their
// instances and the scaled-down runs come from the system's own description and the roles the
// audit inferred (proofs/models/from-system.ts; issue #8 part 3); a caller may pass its own list
// (CheckRequest.modelRuns).
import { planModelChecks, type CheckPlan } from '../../proofs/models/from-system.ts';
import type { LoadedSystem, ModelRunSpec, PlannedCheck } from './types.ts';

/** The plan of a loaded system; an empty plan when the audit built no model (nothing to check). */
export function planFor(system: LoadedSystem): CheckPlan {
  const report = system.audit.report;
  if (report === undefined) return { instances: [], runs: [], notChecked: [] };
  return planModelChecks(report.facts.model, report.roles);
}

export function planModelRuns(system: LoadedSystem): readonly ModelRunSpec[] {
  return planFor(system).runs.map((r) => ({
    label: r.label,
    model: r.model,
    memoryModel: r.memoryModel,
    bounds: r.bounds,
    maxStates: r.maxStates,
    ...(r.scaled.length > 0 ? { scaled: r.scaled } : {}),
  }));
}

export function planCheck(system: LoadedSystem): PlannedCheck {
  const plan = planFor(system);
  return {
    ...system,
    modelRuns: system.modelRuns ?? planModelRuns(system),
    notModelChecked: plan.notChecked,
  };
}
