// The types every model entry shares: the registry lists entries, each model file defines one.
// Kept apart from registry.ts so that model files need not import the registry that imports them.
import type { TransitionSystem } from '../../spec/common/transition.ts';

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

/**
 * The upstream code a catalogue variant re-creates (sddf-bug-catalogue.md): the fixing commit,
 * and where the code is before and after it. For an open (O) or unconfirmed (U) bug there is no
 * fix: `commit` is the revision the code was read at (HEAD 650ace5d) and `after` says what our
 * spec does instead.
 */
export interface UpstreamSource {
  /** `owner/name`; au-ts/sddf when absent. */
  readonly repo?: string;
  readonly commit: string;
  readonly file: string;
  /** Lines of `file` at `commit^` (the code before the fix), e.g. `'204-215'`. */
  readonly before: string;
  /** Lines of `file` at `commit` (the fixed code), or what replaces it. */
  readonly after: string;
}

export interface BugVariant {
  readonly id: string;
  readonly description: string;
  /**
   * The upstream code this variant is (absent: a seeded variant with no upstream bug, e.g. the
   * removed re-checks, whose `description` says so).
   */
  readonly upstream?: readonly UpstreamSource[];
  /** What of the upstream code is modelled at the model's grain. */
  readonly modelled?: string;
  /** What is not modelled, and any difference from the upstream code. */
  readonly notModelled?: string;
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
   * One range per key of `defaultBounds`; `build` rejects values outside it (UserError). Every
   * entry of `listModels()` has it (optional in the type for models written outside the registry).
   */
  readonly boundRanges?: Readonly<Record<string, BoundRange>>;
  /** Constraints between bounds (e.g. `slowClient <= clients`): a message, or null when fine. */
  readonly crossCheck?: (bounds: Readonly<Record<string, number>>) => string | null;
  readonly bugs: readonly BugVariant[];
  build(opts: ModelOptions): TransitionSystem;
}
