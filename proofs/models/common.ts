// Helpers shared by the models: queue allocation in the state vector and bounds (the invariants
// are the spec's: spec/queue, spec/components/net/invariants.ts).
import { assert } from '../../spec/common/assert.ts';
import { UserError } from '../../spec/common/diagnostic.ts';
import { isPowerOfTwo } from '../../spec/common/int.ts';
import type { NetQueueRef } from '../../spec/queue/net.ts';
import type { Layout } from './layout.ts';
import type { BoundRange, ModelEntry, ModelOptions } from './types.ts';

/**
 * A net queue's words in the state vector. Capacities are powers of two (§2) unless a model says
 * otherwise (`powerOfTwo: false`: spsc takes the .pml's CAP as it is, and shows what `% capacity`
 * does across the wrap when it is not one).
 */
export function allocNetQueue(
  layout: Layout,
  name: string,
  capacity: number,
  opts: { readonly powerOfTwo?: boolean } = {},
): NetQueueRef {
  assert(
    (opts.powerOfTwo === false || isPowerOfTwo(capacity)) && capacity >= 1 && capacity <= 64,
    `${name}: capacity ${opts.powerOfTwo === false ? '' : 'a power of two '}1..64, got ${capacity}`,
  );
  return {
    name,
    tail: layout.alloc(`${name}.tail`),
    head: layout.alloc(`${name}.head`),
    consumerSignalled: layout.alloc(`${name}.consumer_signalled`),
    slots: layout.alloc(`${name}.buffers`, capacity),
    capacity,
  };
}

export function boundOf(
  opts: ModelOptions,
  defaults: Readonly<Record<string, number>>,
  key: string,
): number {
  const v = opts.bounds[key] ?? defaults[key];
  assert(
    v !== undefined && Number.isSafeInteger(v) && v >= 0,
    `bound ${key} must be a non-negative integer`,
  );
  return v;
}

/**
 * Why `bounds` cannot build `entry` (an unknown name, a value outside its range, a broken
 * constraint between bounds), or null. Bad bounds are user input: they must never reach an
 * `assert` deep in a build (`--bound txBuffers=0` used to die as "field ...: 1..4096 words").
 */
export function boundsProblem(
  entry: Pick<ModelEntry, 'name' | 'defaultBounds' | 'boundRanges' | 'crossCheck'>,
  bounds: Readonly<Record<string, number>>,
): string | null {
  const known = Object.keys(entry.defaultBounds);
  for (const [key, v] of Object.entries(bounds)) {
    const range: BoundRange | undefined = entry.boundRanges?.[key];
    if (!known.includes(key) || range === undefined)
      return `model ${entry.name} has no bound '${key}' (bounds: ${known.join(', ')})`;
    if (!Number.isSafeInteger(v) || v < range.min || v > range.max)
      return `${entry.name}: bound ${key} must be an integer in ${range.min}..${range.max} (${range.doc}); got ${v}`;
  }
  const all = { ...entry.defaultBounds, ...bounds };
  const cross = entry.crossCheck?.(all) ?? null;
  return cross === null ? null : `${entry.name}: ${cross}`;
}

/** `boundsProblem` as a located user error (exit 2 in the CLI), for every `build`. */
export function validateBounds(
  entry: Pick<ModelEntry, 'name' | 'defaultBounds' | 'boundRanges' | 'crossCheck'>,
  bounds: Readonly<Record<string, number>>,
): void {
  const problem = boundsProblem(entry, bounds);
  if (problem !== null) throw new UserError({ code: 'MC_BOUND', message: problem });
}

/**
 * Bounds of a run: defaults, then the bug variant's own small configuration for the keys the
 * caller did not set, then what the caller set. `sddf mc` (`resolveModel`) and the catalogue
 * merge the variant's bounds before building, so a bound the user gave always wins, also one
 * equal to its default: `--bug U15 --bound clients=2` checks 2 clients, as it prints. (Until
 * 2026-12-08 a bound equal to its default counted as unset and the variant's value replaced it
 * silently, while the printed options said otherwise.)
 */
export function effectiveBounds(
  given: Readonly<Record<string, number>>,
  defaults: Readonly<Record<string, number>>,
  bugBounds: Readonly<Record<string, number>>,
): Record<string, number> {
  return { ...defaults, ...bugBounds, ...given };
}
