// The types every model entry shares: the registry lists entries, each model file defines one.
// Kept apart from registry.ts so that model files need not import the registry that imports them.
import type { TransitionSystem } from '../../spec/common/transition.ts';

/**
 * Memory models of the model checker (proofs/models/memory.ts, docs/adr/015-weak-memory.md):
 * `sc` sequential consistency; `tso` x86-TSO (FIFO store buffer); `pso` a store buffer whose
 * entries to different addresses may overtake each other (TSO + store→store reordering, what
 * was called `arm` before issue 15); `armv8` and `rvwmo` the ARMv8-A and RISC-V weak memory
 * models (Promising-ARM/RISC-V: load→load, load→store, store→store and store→load reordering,
 * other-multi-copy atomic, acquire/release, fences, dependencies, RMWs).
 */
export type MemoryModel = 'sc' | 'tso' | 'pso' | 'armv8' | 'rvwmo';

/** Every memory model, in the order `--memory-model` lists them. */
export const MEMORY_MODELS: readonly MemoryModel[] = ['sc', 'tso', 'pso', 'armv8', 'rvwmo'];

/**
 * Why `name` is not a memory model, or null when it is one. `arm` was the store-buffer model now
 * called `pso`: it is refused with a pointer rather than silently meaning something else.
 */
export function memoryModelProblem(name: string): string | null {
  if ((MEMORY_MODELS as readonly string[]).includes(name)) return null;
  if (name === 'arm') {
    return (
      "memory model 'arm' is gone: use 'armv8' for the ARMv8-A model, or 'pso' for the old " +
      'store-buffer model it named (TSO plus store-store reordering)'
    );
  }
  return `memory model must be one of ${MEMORY_MODELS.join(', ')} (got '${name}')`;
}

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
  /** The memory models the model can run under; absent = every one of MEMORY_MODELS. */
  readonly memoryModels?: readonly MemoryModel[];
  readonly bugs: readonly BugVariant[];
  build(opts: ModelOptions): TransitionSystem;
}
