// The library behind the `refinement` results of `sddf check`: each queue class's model-based
// check (queue-commands.ts) run with fast-check outside vitest, seeded and bounded. A bounded
// random run can only fail or pass its runs; `ok: true` means "no counterexample in `runs`".
import fc from 'fast-check';
import type { NetFullCheck } from '../../spec/queue/net.ts';
import {
  blkReqProperty,
  blkRespProperty,
  i2cProperty,
  netProperty,
  serialProperty,
  type QueuePropertyOptions,
} from './queue-commands.ts';

export interface QueueRefinementResult {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly runs: number;
  /** When failed: the shrunk command sequence, and what replays it. */
  readonly counterexample?: string;
  readonly seed?: number;
  readonly path?: string;
}

export interface QueueRefinementOptions {
  readonly seed: number;
  readonly runs: number;
  /** Restrict to these class names (default: all). */
  readonly only?: readonly string[];
  /** Seeded bug U1: run the net queue with the C-as-written full check. */
  readonly netFullCheck?: NetFullCheck;
  /** Replace the queue under test with a (deliberately broken) wrapper. */
  readonly wrap?: QueuePropertyOptions['wrap'];
}

type AnyProperty = fc.IProperty<unknown[]>;

function classes(opts: QueueRefinementOptions): readonly { name: string; property: AnyProperty }[] {
  const p: QueuePropertyOptions = {
    ...(opts.netFullCheck ? { netFullCheck: opts.netFullCheck } : {}),
    ...(opts.wrap ? { wrap: opts.wrap } : {}),
  };
  return [
    { name: 'queue.net', property: netProperty(p) as unknown as AnyProperty },
    { name: 'queue.blk.req', property: blkReqProperty(p) as unknown as AnyProperty },
    { name: 'queue.blk.resp', property: blkRespProperty(p) as unknown as AnyProperty },
    { name: 'queue.serial', property: serialProperty(p) as unknown as AnyProperty },
    // Below the u32 wrap only: at the wrap capacity 254 is a known upstream defect (U5).
    { name: 'queue.i2c.req', property: i2cProperty(p) as unknown as AnyProperty },
  ];
}

export function runQueueRefinement(opts: QueueRefinementOptions): QueueRefinementResult[] {
  const results: QueueRefinementResult[] = [];
  for (const c of classes(opts)) {
    if (opts.only && !opts.only.includes(c.name)) continue;
    const started = performance.now();
    const details = fc.check(c.property, { seed: opts.seed, numRuns: opts.runs });
    const seconds = (performance.now() - started) / 1000;
    if (!details.failed) {
      results.push({ name: c.name, ok: true, seconds, runs: details.numRuns });
      continue;
    }
    const error =
      details.errorInstance instanceof Error
        ? details.errorInstance.message
        : String(details.errorInstance);
    results.push({
      name: c.name,
      ok: false,
      seconds,
      runs: details.numRuns,
      counterexample: `${fc.stringify(details.counterexample)}: ${error}`,
      seed: details.seed,
      path: details.counterexamplePath ?? '',
    });
  }
  return results;
}
