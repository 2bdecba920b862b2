// The full and empty checks against the abstract queue.
//
// The abstract queue has counters `enqueued` and `dequeued` (unbounded naturals) with
// 0 ≤ enqueued − dequeued ≤ capacity; the shared C indices are their residues:
// tail = enqueued mod 2^w, head = dequeued mod 2^w. The abstract queue is full iff
// enqueued − dequeued == capacity. Each obligation states that a C check agrees with it.
//
// The C check is the spec's own predicate (spec/queue: netFullOf, ringFullOf, i2cFullOf,
// netEmptyOf) evaluated on Z3 terms (proofs/smt/arith.ts, docs/adr/012-z3-tied-to-spec.md), in
// linear integer arithmetic (exact: C's `uint16_t` promoted to `int` is an integer in [0, 2^16),
// and an unsigned subtraction is the integer difference mod 2^w); a symbolic power of two
// capacity is the disjunction cap ∈ {1, 2, 4, …, 2^maxLog2}, which keeps the query linear.
import { assert } from '../../spec/common/assert.ts';
import { I2C_CAPACITY, i2cFullOf } from '../../spec/queue/i2c.ts';
import { netEmptyOf, netFullOf } from '../../spec/queue/net.ts';
import { ringEmptyOf, ringFullOf } from '../../spec/queue/ring.ts';
import { intArith } from './arith.ts';
import {
  validityObligation,
  type Obligation,
  type Z3,
  type Z3Bool,
  type Z3Int,
} from './obligation.ts';

/** How the C expression computes `tail - head`. */
export type FullCheckForm =
  /** net at HEAD: `tail - head == capacity`, uint16_t operands promoted to int (bug U1). */
  | 'int-promoted'
  /** `(uint{w}_t)(tail - head) == capacity`: the corrected net check; blk and serial as written. */
  | 'unsigned'
  /** i2c: `tail - head + 1 == CAP`, one slot reserved (full at CAP − 1 entries). */
  | 'unsigned-reserved-slot'
  /** empty: `tail == head`. */
  | 'empty';

export interface FullCheckSpec {
  readonly name: string;
  readonly widthBits: 16 | 32;
  readonly form: FullCheckForm;
  /** Symbolic power of two up to 2^maxLog2, or a fixed capacity. */
  readonly capacity: { readonly maxLog2: number } | { readonly fixed: number };
  readonly models: string;
  readonly expected?: 'refuted';
  readonly defect?: string;
  /**
   * The abstract condition the check must agree with; by default empty for the empty form, CAP − 1
   * entries for the reserved-slot form, capacity entries otherwise. (A seeded break pairs a check
   * with the wrong condition.)
   */
  readonly abstractAt?: 'empty' | 'capacity' | 'capacity-minus-one';
}

export function fullCheckObligation(spec: FullCheckSpec): Obligation {
  const w = spec.widthBits;
  const capText =
    'fixed' in spec.capacity
      ? `capacity ${spec.capacity.fixed}`
      : `every capacity 1 << k, k ≤ ${spec.capacity.maxLog2}`;
  return validityObligation(
    {
      name: spec.name,
      statement: `${checkText(spec.form, w)} ⇔ the abstract queue is ${
        spec.form === 'empty' ? 'empty' : 'full'
      }, for all reachable u${w} tail/head (tail − head ≤ capacity, ${capText})`,
      widthBits: w,
      models: spec.models,
      ...(spec.expected === undefined ? {} : { expected: spec.expected }),
      ...(spec.defect === undefined ? {} : { defect: spec.defect }),
    },
    (z) => {
      const modulus = 1n << BigInt(w);
      const enqueued = z.Int.const('enqueued');
      const dequeued = z.Int.const('dequeued');
      const capacity = z.Int.const('capacity');
      const tail = enqueued.mod(modulus);
      const head = dequeued.mod(modulus);
      const reachable = z.And(
        dequeued.ge(0),
        enqueued.ge(dequeued),
        enqueued.sub(dequeued).le(capacity),
        capacityDomain(z, capacity, spec.capacity),
      );
      const count = enqueued.sub(dequeued);
      const abstractAt = spec.abstractAt ?? defaultAbstract(spec.form);
      const abstract =
        abstractAt === 'empty'
          ? count.eq(0)
          : abstractAt === 'capacity-minus-one'
            ? count.eq(capacity.sub(1))
            : count.eq(capacity);
      const concrete = cCheck(z, { form: spec.form, widthBits: w, tail, head, capacity });
      return {
        claim: z.Implies(reachable, concrete.eq(abstract)),
        witnesses: {
          tail,
          head,
          capacity,
          enqueued,
          dequeued,
          // What the C expression `tail - head` evaluates to for that form.
          c_tail_minus_head:
            spec.form === 'int-promoted'
              ? intArith(z, w).subInt(tail, head)
              : intArith(z, w).sub(tail, head),
          c_check: concrete,
          abstract_full_or_empty: abstract,
        },
      };
    },
  );
}

function defaultAbstract(form: FullCheckForm): NonNullable<FullCheckSpec['abstractAt']> {
  switch (form) {
    case 'empty':
      return 'empty';
    case 'unsigned-reserved-slot':
      return 'capacity-minus-one';
    case 'int-promoted':
    case 'unsigned':
      return 'capacity';
  }
}

function checkText(form: FullCheckForm, w: number): string {
  switch (form) {
    case 'int-promoted':
      return '`tail - head == capacity` computed in int';
    case 'unsigned':
      return `\`(uint${w}_t)(tail - head) == capacity\``;
    case 'unsigned-reserved-slot':
      return `\`(uint${w}_t)(tail - head + 1) == CAP\``;
    case 'empty':
      return '`tail == head`';
  }
}

/** The C check of `form`: the spec predicate that the queue class's code evaluates. */
export function cCheck(
  z: Z3,
  args: {
    form: FullCheckForm;
    widthBits: 16 | 32;
    tail: Z3Int;
    head: Z3Int;
    capacity: Z3Int;
  },
): Z3Bool {
  const a = intArith(z, args.widthBits);
  const { tail, head, capacity } = args;
  const net = args.widthBits === 16;
  switch (args.form) {
    case 'int-promoted':
      // C11 6.3.1.1: both uint16_t operands become int; the difference cannot overflow int and
      // is negative when the tail has wrapped and the head has not (net_queue_full_X at HEAD).
      assert(net, 'the int-promoted form only exists for the u16 net indices');
      return netFullOf(a, 'int-promoted', { tail, head, capacity });
    case 'unsigned':
      return net
        ? netFullOf(a, 'corrected', { tail, head, capacity })
        : ringFullOf(a, { tail, head, capacity, reservedSlots: 0 });
    case 'unsigned-reserved-slot':
      return i2cFullOf(a, tail, head, capacity);
    case 'empty':
      return net ? netEmptyOf(a, tail, head) : ringEmptyOf(a, tail, head);
  }
}

function capacityDomain(z: Z3, capacity: Z3Int, domain: FullCheckSpec['capacity']): Z3Bool {
  if ('fixed' in domain) return capacity.eq(domain.fixed);
  assert(domain.maxLog2 >= 0 && domain.maxLog2 <= 32, `maxLog2 out of range: ${domain.maxLog2}`);
  const powers: Z3Bool[] = [];
  for (let k = 0; k <= domain.maxLog2; k++) powers.push(capacity.eq(1n << BigInt(k)));
  return z.Or(...powers);
}

export function fullCheckObligations(): readonly Obligation[] {
  const net =
    '(sddf-protocols.md §2.1: tail/head are uint16_t, capacity is uint32_t in the handle)';
  return [
    fullCheckObligation({
      name: 'full-check.net.as-written',
      widthBits: 16,
      form: 'int-promoted',
      capacity: { maxLog2: 15 },
      models: `net_queue_full_free/active: \`tail - head == capacity\` ${net}; upstream defect U1`,
      expected: 'refuted',
      defect: 'U1',
    }),
    fullCheckObligation({
      name: 'full-check.net.corrected',
      widthBits: 16,
      form: 'unsigned',
      capacity: { maxLog2: 15 },
      models: `net full check with the cast, as net_queue_length already does ${net}`,
    }),
    fullCheckObligation({
      name: 'full-check.net.empty',
      widthBits: 16,
      form: 'empty',
      capacity: { maxLog2: 15 },
      models: `net_queue_empty_free/active: \`tail - head == 0\` ${net}; U1 says it is unaffected`,
    }),
    fullCheckObligation({
      name: 'full-check.u32',
      widthBits: 32,
      form: 'unsigned',
      capacity: { maxLog2: 31 },
      models:
        'blk and serial full checks `tail - head == capacity` on uint32_t: unsigned int, no ' +
        'promotion (sddf-protocols.md §2.3, §2.4)',
    }),
    fullCheckObligation({
      name: 'full-check.i2c-254',
      widthBits: 32,
      form: 'unsigned-reserved-slot',
      capacity: { fixed: I2C_CAPACITY },
      models: 'i2c_queue_full / i2c_request_queue_full: `tail - head + 1 == CAP`, CAP = 254 (§2.5)',
    }),
  ];
}
