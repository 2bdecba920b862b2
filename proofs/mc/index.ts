// Public entry `sddf-model/mc`: model checking. Write a model (a ModelEntry whose `build` returns
// a TransitionSystem, most easily with `guardedSystem`), check it with `runModelCheck` (or the
// `sddf mc --model FILE` command), look up the built-in models. Guide: docs/writing-a-model.md.
// Traces of a run (ITF, replay, rendering) are in `sddf-model/traces`; a run with its trace
// minimised and written is `modelCheck` of `sddf-model`.
export type {
  ActionInfo,
  Invariant,
  ItfValue,
  State,
  TransitionSystem,
} from '../../spec/common/transition.ts';
export type {
  BoundRange,
  BugVariant,
  MemoryModel,
  ModelEntry,
  ModelOptions,
} from '../models/types.ts';
export {
  checkModel,
  NO_LOST_WAKEUP,
  PARTIAL_ORDER_HINT,
  type CheckOptions,
  type McResult,
  type McTrace,
  type Progress,
  type SearchOrder,
  type Verdict,
} from './engine.ts';
export { guardedSystem, type GuardedAction, type GuardedModel, type Vars } from './guarded.ts';
export { hintProblem } from './hints.ts';
export {
  DEFAULT_RANDOM_STEPS,
  DEFAULT_RUNS,
  propertiesOf,
  resolveModel,
  runModelCheck,
  type ModelChoice,
  type ModelRun,
  type ModelRunOptions,
  type RunSearch,
} from './run.ts';
export { Mulberry32, simulate, type SimulateOptions } from './simulate.ts';
export { findModel, listModels } from '../models/registry.ts';
export { MEMORY_MODELS, memoryModelProblem } from '../models/types.ts';
