// `sddf prove` as a library call: the Z3 proof obligations (proofs/smt), by name. An unknown name
// is a UserError PROVE_UNKNOWN listing the valid ones. Z3 loads only when this is called.
import { UserError } from '../spec/common/diagnostic.ts';
import type { ObligationInfo, ObligationResult, ProveReport } from '../proofs/smt/index.ts';

export type { ObligationInfo, ObligationResult, ProveReport } from '../proofs/smt/index.ts';

export interface ProveRequest {
  readonly only?: readonly string[];
  /** Per-query Z3 timeout (an expired query is `unknown`, never a pass). */
  readonly timeoutMs?: number;
  readonly onProgress?: (result: ObligationResult, done: number, total: number) => void;
}

export async function listProofObligations(): Promise<readonly ObligationInfo[]> {
  return (await import('../proofs/smt/index.ts')).listObligations();
}

export async function prove(req: ProveRequest = {}): Promise<ProveReport> {
  const smt = await import('../proofs/smt/index.ts');
  const only = req.only ?? [];
  const unknown = smt.unknownObligationNames(only);
  if (unknown.length > 0) {
    const valid = smt.listObligations().map((o) => `  ${o.name}`);
    throw new UserError({
      code: 'PROVE_UNKNOWN',
      message:
        `unknown obligation${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}\n` +
        `valid names:\n${valid.join('\n')}`,
    });
  }
  return smt.runObligations({
    only,
    ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
    ...(req.onProgress !== undefined ? { onProgress: req.onProgress } : {}),
  });
}
