// `sddf mutants` as a library call: the seeded-bug catalogue (proofs/models/catalogue.ts), every
// variant's counterexample written as ITF when a folder is given. An unknown variant id would run
// nothing and "pass": it is a UserError MUTANT_UNKNOWN instead.
import { UserError } from '../spec/common/diagnostic.ts';
import { runCatalogue, type CatalogueReport } from '../proofs/models/catalogue.ts';
import { listModels } from '../proofs/models/registry.ts';
import { writeTrace } from '../traces/corpus.ts';
import { toItfTrace } from '../traces/itf.ts';

export interface MutantsRequest {
  /** Only these variant ids (default: all). */
  readonly only?: readonly string[];
  /** Write each counterexample as ITF into this folder. */
  readonly outDir?: string;
  readonly onResult?: (line: string) => void;
}

export interface MutantsRun {
  readonly report: CatalogueReport;
  /** Trace file per `model:id`, when written. */
  readonly tracePaths: ReadonlyMap<string, string>;
}

export function mutantIds(): readonly string[] {
  return listModels().flatMap((m) => m.bugs.map((b) => b.id));
}

export function runMutants(req: MutantsRequest = {}): MutantsRun {
  const ids = new Set(mutantIds());
  const unknown = (req.only ?? []).filter((id) => !ids.has(id));
  if (unknown.length > 0) {
    throw new UserError({
      code: 'MUTANT_UNKNOWN',
      message: `unknown variant id(s) ${unknown.join(', ')} (variants: ${[...ids].join(', ')})`,
    });
  }
  const report = runCatalogue({
    ...(req.only !== undefined ? { only: req.only } : {}),
    ...(req.onResult !== undefined ? { onResult: req.onResult } : {}),
  });
  const tracePaths = new Map<string, string>();
  if (req.outDir !== undefined) {
    for (const m of report.mutants) {
      if (m.trace === undefined) continue;
      const itf = toItfTrace(m.ts, m.trace, {
        options: m.options,
        verdict: 'violated',
        property: m.by,
        ...(m.message !== undefined ? { message: m.message } : {}),
        search: 'bfs',
        minimised: false,
      });
      tracePaths.set(`${m.model}:${m.id}`, writeTrace(req.outDir, itf));
    }
  }
  return { report, tracePaths };
}
