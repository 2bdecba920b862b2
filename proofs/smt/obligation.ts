// What a Z3 proof obligation is, and the one way most of them are discharged: a claim is
// *proved* when its negation is unsatisfiable, *refuted* when Z3 finds a model of the negation
// (that model is the counterexample), and *unknown* when Z3 gives up or times out.
// Every obligation names the width it works at and the C it models (STYLE.md: exact integers).
import type { Arith, BitVec, Bool, Context, Expr, Model } from 'z3-solver';
import { assert } from '../../spec/common/assert.ts';

/** All obligations build their terms in contexts of this one name. */
export type Z3 = Context<'sddf'>;
export type Z3Bool = Bool<'sddf'>;
export type Z3BitVec = BitVec<number, 'sddf'>;
export type Z3Int = Arith<'sddf'>;
export type Z3Expr = Expr<'sddf'>;

export type Verdict = 'proved' | 'refuted' | 'unknown';

/** A plain JSON object: the counterexample's values as numbers (or decimal strings beyond 2^53). */
export type CounterexampleValue = number | string | readonly string[];
export type Counterexample = Readonly<Record<string, CounterexampleValue>>;

export interface Outcome {
  readonly verdict: Verdict;
  readonly counterexample?: Counterexample;
  /** Why the verdict is unknown (timeout, bound reached), when it is. */
  readonly reason?: string;
}

export interface Limits {
  /** Z3 `timeout` per query; an expired query is `unknown`, never `proved`. */
  readonly timeoutMs: number;
}

export interface ObligationInfo {
  /** Stable dotted name, `topic.class.operation` (used by `sddf prove --only`). */
  readonly name: string;
  /** What is claimed, in one or two sentences. */
  readonly statement: string;
  /** Width of the C integers the claim is about (16, 32 or 64). */
  readonly widthBits: number;
  /** The C it models, with the reference section it is taken from. */
  readonly models: string;
  /** Present when the obligation documents an upstream defect: refuted is the right answer. */
  readonly expected?: 'refuted';
  /** The defect an expected refutation documents (sddf-bug-catalogue.md id, or why it has none). */
  readonly defect?: string;
}

export interface Obligation extends ObligationInfo {
  run(z: Z3, limits: Limits): Promise<Outcome>;
}

/** The claim to prove, and the terms whose values make up a counterexample. */
export interface ValidityQuery {
  readonly claim: Z3Bool;
  /** Name → term; evaluated in Z3's model of `¬claim`. */
  readonly witnesses: Readonly<Record<string, Z3Expr>>;
}

/** Build an obligation that is discharged by one validity query. */
export function validityObligation(
  info: ObligationInfo,
  build: (z: Z3) => ValidityQuery,
): Obligation {
  return {
    ...info,
    run: async (z, limits) => {
      const query = build(z);
      return checkValid(z, query, limits);
    },
  };
}

/** Check `claim` for validity: search for a model of its negation. */
export async function checkValid(z: Z3, query: ValidityQuery, limits: Limits): Promise<Outcome> {
  assert(limits.timeoutMs > 0, `timeout must be positive, got ${limits.timeoutMs}`);
  const solver = new z.Solver();
  solver.set('timeout', limits.timeoutMs);
  solver.add(z.Not(query.claim));
  const result = await solver.check();
  switch (result) {
    case 'unsat':
      return { verdict: 'proved' };
    case 'sat':
      return {
        verdict: 'refuted',
        counterexample: evaluateWitnesses(z, solver.model(), query.witnesses),
      };
    case 'unknown':
      return { verdict: 'unknown', reason: solver.reasonUnknown() };
  }
}

/** Read each witness term's value out of a model as a plain number (or decimal string). */
export function evaluateWitnesses(
  z: Z3,
  model: Model<'sddf'>,
  witnesses: Readonly<Record<string, Z3Expr>>,
): Counterexample {
  const out: Record<string, CounterexampleValue> = {};
  for (const [name, term] of Object.entries(witnesses)) {
    out[name] = plainValue(z, model.eval(term, true));
  }
  return out;
}

function plainValue(z: Z3, value: Z3Expr): number | string {
  if (z.isBitVecVal(value)) return numberOrString(value.value());
  if (z.isIntVal(value)) return numberOrString(value.value());
  if (z.isTrue(value)) return 1;
  if (z.isFalse(value)) return 0;
  // Model completion makes every term a literal; anything else is our bug.
  assert(false, `witness did not evaluate to a literal: ${value.sexpr()}`);
}

function numberOrString(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v.toString();
}

/** A bit-vector literal (z3-solver rejects bare numbers in `eq`; verification-tools.md §4). */
export function bv(z: Z3, value: number | bigint, widthBits: number): Z3BitVec {
  assert(widthBits > 0 && widthBits <= 128, `width out of range: ${widthBits}`);
  return z.BitVec.val(value, widthBits);
}

/**
 * A symbolic power-of-two capacity `1 << k` at `widthBits`, with `k ≤ maxLog2` (sddf-protocols.md
 * §2: "Capacity must be a power of two"). Returns the capacity term and the range constraint on k.
 */
export function pow2Capacity(
  z: Z3,
  opts: { readonly widthBits: number; readonly maxLog2: number; readonly name?: string },
): { readonly capacity: Z3BitVec; readonly log2: Z3BitVec; readonly range: Z3Bool } {
  assert(opts.maxLog2 < opts.widthBits, `1 << ${opts.maxLog2} does not fit in ${opts.widthBits}`);
  const log2 = z.BitVec.const(`${opts.name ?? 'capacity'}_log2`, opts.widthBits);
  const capacity = bv(z, 1, opts.widthBits).shl(log2);
  return { capacity, log2, range: log2.ule(bv(z, opts.maxLog2, opts.widthBits)) };
}

/** `x` is a power of two at its width (x ≠ 0 ∧ x & (x − 1) = 0). */
export function isPow2(z: Z3, x: Z3BitVec): Z3Bool {
  const w = x.size();
  return z.And(x.neq(bv(z, 0, w)), x.and(x.sub(1)).eq(bv(z, 0, w)));
}
