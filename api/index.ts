// Public entry `sddf-model`: what the `sddf` command does, as library calls returning result
// values (bad input is a UserError with a stable code, `ERROR_CODES`). The layers have their own
// entries: `sddf-model/spec`, `sddf-model/mc`, `sddf-model/traces`, `sddf-model/sdf`,
// `sddf-model/runtime` (docs/adr/011-library.md).
export {
  auditStage,
  loadSystem,
  modelCheckStage,
  netRefinementStage,
  planCheck,
  planModelRuns,
  proofStage,
  refinementStage,
  resolveSystem,
  runCheck,
  runStages,
  STAGES,
} from './check/index.ts';
export type * from './check/types.ts';
export { modelCheck, type McRequest, type McRun } from './mc.ts';
export { entryProblem, loadModelModule } from './model-module.ts';
export { mutantIds, runMutants, type MutantsRequest, type MutantsRun } from './mutants.ts';
export { listProofObligations, prove, type ProveRequest } from './prove.ts';
export { readSddfTrace, replayFile, type ReplayRun } from './replay.ts';
export {
  ERROR_CODES,
  formatDiagnostic,
  isErrorCode,
  UserError,
  type Diagnostic,
  type ErrorCode,
} from '../spec/common/diagnostic.ts';
