// Every model `sddf mc` knows, with its seeded-bug variants (reference sddf-bug-catalogue.md).
import type { ModelEntry } from './types.ts';
import { spscEntry } from './spsc.ts';
import { spscPmlEntry } from './spsc-pml.ts';
import { netHandshakeEntry } from './net-handshake.ts';
import { echoEntry, netPipelineEntry, netVirtioEntry } from './net-pipeline.ts';
import { serialTxEntry } from './serial-tx.ts';
import { serialRxEntry } from './serial-rx.ts';
import { blkHandshakeEntry } from './blk-handshake.ts';
import { blkVirtEntry } from './blk-virt.ts';
import { timerEntry } from './timer.ts';
import { i2cEntry } from './i2c.ts';

export type { BoundRange, BugVariant, MemoryModel, ModelEntry, ModelOptions } from './types.ts';

const MODELS: readonly ModelEntry[] = [
  spscEntry,
  spscPmlEntry,
  netHandshakeEntry,
  netPipelineEntry,
  netVirtioEntry,
  echoEntry,
  serialTxEntry,
  serialRxEntry,
  blkHandshakeEntry,
  blkVirtEntry,
  timerEntry,
  i2cEntry,
];

export function listModels(): readonly ModelEntry[] {
  return MODELS;
}

export function findModel(name: string): ModelEntry | undefined {
  return MODELS.find((m) => m.name === name);
}
