// Shared by the proofs/smt tests: one z3 per test file, and reading counterexample values.
import { afterAll, beforeAll, expect } from 'vitest';
import { init, killThreads } from 'z3-solver';
import { openProver, type Prover } from '../../../proofs/smt/index.ts';
import type { Counterexample, Z3, Z3Expr } from '../../../proofs/smt/obligation.ts';

/** Generous: the machine is shared; a wall-clock timeout under load must not flake a test. */
export const Z3_TEST_TIMEOUT_MS = 60_000;

/** Open one prover for the file (beforeAll) and close it (afterAll); read `.current` in tests. */
export function useProver(): { current: Prover } {
  const holder = {} as { current: Prover };
  beforeAll(async () => {
    holder.current = await openProver({ timeoutMs: 30_000 });
  }, Z3_TEST_TIMEOUT_MS);
  afterAll(async () => {
    await holder.current.close();
  });
  return holder;
}

/** A counterexample value as a bigint (numbers, or decimal strings beyond 2^53). */
export function big(cex: Counterexample | undefined, key: string): bigint {
  expect(cex, 'counterexample present').toBeDefined();
  const v = (cex as Counterexample)[key];
  expect(typeof v === 'number' || typeof v === 'string', `counterexample has scalar ${key}`).toBe(
    true,
  );
  return BigInt(v as number | string);
}

export function num(cex: Counterexample | undefined, key: string): number {
  const v = big(cex, key);
  expect(v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  return Number(v);
}

/** One z3 context for the file, for evaluating terms on concrete values (agreement tests). */
export function useZ3(): { current: Z3 } {
  const holder = {} as { current: Z3 };
  let api: Awaited<ReturnType<typeof init>> | undefined;
  beforeAll(async () => {
    api = await init({
      print: (line: string) => console.error(line),
      printErr: (line: string) => {
        if (!/terminated worker/.test(line)) console.error(line);
      },
    });
    holder.current = api.Context('sddf');
  }, Z3_TEST_TIMEOUT_MS);
  afterAll(async () => {
    if (api !== undefined) await killThreads(api.em);
  });
  return holder;
}

/** A ground term's value: a number (bit-vector or integer literal) or a boolean. */
export async function evaluate(z: Z3, term: Z3Expr): Promise<number | boolean> {
  const v = await z.simplify(term);
  if (z.isTrue(v)) return true;
  if (z.isFalse(v)) return false;
  if (z.isBitVecVal(v) || z.isIntVal(v)) return Number(v.value());
  throw new Error(`not a literal after simplify: ${v.sexpr()}`);
}
