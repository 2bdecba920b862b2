// Every model `sddf mc` knows, with its seeded-bug variants (reference sddf-bug-catalogue.md).
import type { TransitionSystem } from '../../spec/common/transition.ts';
import { spscEntry } from './spsc.ts';
import { netHandshakeEntry } from './net-handshake.ts';
import { echoEntry, netPipelineEntry } from './net-pipeline.ts';
import { serialTxEntry } from './serial-tx.ts';
import { blkHandshakeEntry } from './blk-handshake.ts';

export type MemoryModel = 'sc' | 'tso' | 'arm';

export interface ModelOptions {
  /** Seeded-bug variant id from the catalogue (e.g. `F8`, `U1`, `O1`); undefined = the model as upstream has it fixed. */
  readonly bug?: string;
  readonly memoryModel: MemoryModel;
  /** Model-specific size parameters, e.g. `{clients: 2, capacity: 2, packets: 4}`. */
  readonly bounds: Readonly<Record<string, number>>;
  /**
   * Runtime models: one transition per handler step even when a step touches nothing shared
   * (default false: such steps run with the step before them, ADR 008 "Granularity"). For tests
   * that show the merge changes no verdict.
   */
  readonly splitLocalSteps?: boolean;
}

export interface BugVariant {
  readonly id: string;
  readonly description: string;
  /** Which property is expected to catch it. */
  readonly expectedProperty: string;
  /** Memory model the bug needs to show (default sc). */
  readonly memoryModel?: MemoryModel;
  /** Bounds the variant is checked at (small, so the catalogue runs fast). */
  readonly bounds?: Readonly<Record<string, number>>;
  /** Bounds of the matching unmodified run when they differ (e.g. O1: `fences: 1`). */
  readonly fixedBounds?: Readonly<Record<string, number>>;
}

/** Allowed values of one bound (inclusive), shown by `sddf mc --list`. */
export interface BoundRange {
  readonly min: number;
  readonly max: number;
  /** What the bound means, with any constraint on other bounds. */
  readonly doc: string;
}

export interface ModelEntry {
  readonly name: string;
  readonly description: string;
  readonly defaultBounds: Readonly<Record<string, number>>;
  /**
   * One range per key of `defaultBounds`; `build` rejects values outside it (UserError). Optional
   * in the type only so that spsc.ts keeps compiling: every entry of `listModels()` has it.
   */
  readonly boundRanges?: Readonly<Record<string, BoundRange>>;
  /** Constraints between bounds (e.g. `slowClient <= clients`): a message, or null when fine. */
  readonly crossCheck?: (bounds: Readonly<Record<string, number>>) => string | null;
  readonly bugs: readonly BugVariant[];
  build(opts: ModelOptions): TransitionSystem;
}

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
