// Public entry `sddf-model/traces`: counterexample traces in ITF (the Informal Trace Format of
// Apalache and Quint): write and read them with located errors, replay them on a model, minimise
// them, render them as text or a Mermaid sequence diagram.
export {
  canonicalJson,
  encodeValue,
  itfSchema,
  itfToJson,
  parseItf,
  stateKey,
  toItfTrace,
  type ItfState,
  type ItfTrace,
  type StateMeta,
  type ToItfOptions,
  type TraceData,
  type TraceMeta,
  type TraceOptions,
} from './itf.ts';
export {
  modelSuccessorsOf,
  NO_LOST_WAKEUP,
  replayItf,
  showsViolation,
  successorsOf,
  type Divergence,
  type ReplayResult,
} from './replay.ts';
export { minimise, runToViolation, type MinimiseOptions, type MinimiseResult } from './minimise.ts';
export {
  changedValues,
  messageTarget,
  renderMermaid,
  renderText,
  type TextOptions,
} from './render.ts';
export { isSafeTraceName, readTrace, traceFileName, writeTrace } from './corpus.ts';
