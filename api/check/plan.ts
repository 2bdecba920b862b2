// Stage 2 of `sddf check`: which models to check on the loaded system. Today every system gets
// the echo server's protocols (issue #8 part 3 derives them from the system's roles instead);
// a caller may pass its own list (CheckRequest.modelRuns).
import type { LoadedSystem, ModelRunSpec, PlannedCheck } from './types.ts';

/** The echo server's protocols, cheapest first. Each is named as `sddf mc` would be invoked. */
export const ECHO_SERVER_MODEL_RUNS: readonly ModelRunSpec[] = [
  { label: 'net-handshake (sc)', model: 'net-handshake', memoryModel: 'sc' },
  {
    label: 'net-handshake (tso, seq_cst fences)',
    model: 'net-handshake',
    memoryModel: 'tso',
    bounds: { fences: 1 },
  },
  { label: 'serial-tx (sc)', model: 'serial-tx', memoryModel: 'sc' },
  { label: 'serial-tx (tso)', model: 'serial-tx', memoryModel: 'tso' },
  { label: 'net-pipeline (sc, 2 clients)', model: 'net-pipeline', memoryModel: 'sc' },
  { label: 'echo (sc)', model: 'echo', memoryModel: 'sc' },
  // The store-buffering lost wakeup of the Rx path (O1) is gone with seq_cst fences (ADR 008).
  {
    label: 'net-pipeline (tso, seq_cst fences, 1 client)',
    model: 'net-pipeline',
    memoryModel: 'tso',
    bounds: { clients: 1, hwRing: 2, fences: 1 },
  },
];

export function planModelRuns(_system: LoadedSystem): readonly ModelRunSpec[] {
  return ECHO_SERVER_MODEL_RUNS;
}

export function planCheck(system: LoadedSystem): PlannedCheck {
  return { ...system, modelRuns: system.modelRuns ?? planModelRuns(system) };
}
