// Every model `sddf mc` knows, with its seeded-bug variants (reference sddf-bug-catalogue.md).
import type { ModelEntry } from './types.ts';
import { spscEntry } from './spsc.ts';
import { netHandshakeEntry } from './net-handshake.ts';
import { echoEntry, netPipelineEntry } from './net-pipeline.ts';
import { serialTxEntry } from './serial-tx.ts';
import { blkHandshakeEntry } from './blk-handshake.ts';

export type { BoundRange, BugVariant, MemoryModel, ModelEntry, ModelOptions } from './types.ts';

/**
 * spsc (proofs/models/spsc.ts) checks its own bounds (UserError MC_BOUND, MAX_CAPACITY 64,
 * MAX_ITEMS 254); its ranges are repeated here for `sddf mc --list` and the up-front check.
 */
const spscChecked: ModelEntry = {
  ...spscEntry,
  boundRanges: {
    capacity: { min: 1, max: 64, doc: 'ring slots (CAP)' },
    items: { min: 1, max: 254, doc: 'items the producer sends (N)' },
    grain: { min: 0, max: 1, doc: '0 = merged steps, 1 = one step per Promela statement' },
  },
};

const MODELS: readonly ModelEntry[] = [
  spscChecked,
  netHandshakeEntry,
  netPipelineEntry,
  echoEntry,
  serialTxEntry,
  blkHandshakeEntry,
];

export function listModels(): readonly ModelEntry[] {
  return MODELS;
}

export function findModel(name: string): ModelEntry | undefined {
  return MODELS.find((m) => m.name === name);
}
