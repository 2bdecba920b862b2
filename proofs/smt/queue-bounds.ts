// Queue bounds: every sDDF queue operation preserves `0 ≤ tail − head ≤ capacity`, where
// `tail − head` is the unsigned subtraction of the C index type (mod 2^16 for net, mod 2^32 for
// blk, serial and i2c), for a symbolic power-of-two capacity `1 << k` (sddf-protocols.md §2).
//
// Each obligation is one induction step: J(s) ∧ guard(s) ∧ s' = op(s) ⇒ J(s') ∧ bounds(s'),
// where J is the class's invariant (the bounds themselves, or a stronger one when the class
// keeps a private index: serial's local_tail/local_head, i2c's staged_active_tail). Guards and
// bounds are the spec's own predicates (spec/queue: netFullOf, ringFullOf, i2cFullOf, the empty
// checks, ringBoundsOf) on bit-vectors (proofs/smt/arith.ts); each update is the index store of
// the spec operation, held to it on concrete states by test/proofs/smt/spec-agreement.test.ts.
import { assert } from '../../spec/common/assert.ts';
import type { IndexArith } from '../../spec/queue/arith.ts';
import { I2C_CAPACITY, i2cFullOf, i2cStagedAssertOf } from '../../spec/queue/i2c.ts';
import { netEmptyOf, netFullOf } from '../../spec/queue/net.ts';
import { ringBoundsOf, ringEmptyOf, ringFullOf } from '../../spec/queue/ring.ts';
import { bvArith } from './arith.ts';
import {
  bv,
  pow2Capacity,
  validityObligation,
  type Obligation,
  type Z3,
  type Z3BitVec,
  type Z3Bool,
  type Z3Expr,
} from './obligation.ts';

type State = Readonly<Record<string, Z3BitVec>>;

type A = IndexArith<Z3BitVec, Z3Bool>;

export interface QueueOp {
  readonly op: string;
  /** The C it models, with its reference section. */
  readonly models: string;
  /** When the operation proceeds (the C's not-full / not-empty check); absent: always (publishes). */
  readonly guard?: (a: A, s: State, capacity: Z3BitVec) => Z3Bool;
  /** Only the variables the operation writes; the rest keep their value. */
  readonly update: (a: A, s: State) => Readonly<Record<string, Z3BitVec>>;
}

export interface QueueSystem {
  /** Obligation name segment: net, blk, serial, i2c, i2c-254. */
  readonly cls: string;
  readonly widthBits: 16 | 32;
  /** Largest log2 of the symbolic capacity; undefined when the capacity is fixed. */
  readonly maxLog2?: number;
  /** A fixed (upstream) capacity instead of a symbolic power of two. */
  readonly fixedCapacity?: number;
  readonly vars: readonly string[];
  readonly invariantText: string;
  readonly invariant: (a: A, s: State, capacity: Z3BitVec) => Z3Bool;
  readonly ops: readonly QueueOp[];
}

/** How a seeded break changes an operation (test/proofs/smt: every check can fail). */
export interface QueueBoundsVariant {
  /** Drop the operation's guard (the not-full / not-empty check). */
  readonly dropGuard?: boolean;
  /** net enqueue only: the full check as written in C, `tail - head == capacity` in `int` (U1). */
  readonly intPromotedFullCheck?: boolean;
  /** i2c only: a full check without the reserved slot, `tail - head == CAP`. */
  readonly noReservedSlot?: boolean;
  /** Every index the operation writes is stored one too far (an off-by-one in the publish). */
  readonly offByOne?: boolean;
}

/** Bounds of the shared indices: `(tail - head) <=u capacity` at the index width (ringBoundsOf). */
function bounds(a: A, s: State, capacity: Z3BitVec): Z3Bool {
  return ringBoundsOf(a, req(s, 'tail'), req(s, 'head'), capacity);
}

/** `(uintW_t)(x - head) <= (uintW_t)(y - head)`: x is no further ahead of head than y. */
const within = (a: A, x: Z3BitVec, y: Z3BitVec, head: Z3BitVec): Z3Bool =>
  a.ule(a.sub(x, head), a.sub(y, head));

function req(s: State, name: string): Z3BitVec {
  const v = s[name];
  assert(v !== undefined, `queue state has no variable ${name}`);
  return v;
}

const plainInvariant = (a: A, s: State, capacity: Z3BitVec): Z3Bool => bounds(a, s, capacity);

/** The not-full check of a class at its shared (or private) tail. */
type FullCheck = (a: A, tail: Z3BitVec, head: Z3BitVec, capacity: Z3BitVec) => Z3Bool;

/** `net_queue_full_X` with the corrected cast (the as-written form is variant U1). */
const netFull: FullCheck = (a, tail, head, capacity) =>
  netFullOf(a, 'corrected', { tail, head, capacity });
/** blk and serial: `tail - head == capacity` on `uint32_t`. */
const u32Full: FullCheck = (a, tail, head, capacity) =>
  ringFullOf(a, { tail, head, capacity, reservedSlots: 0 });

/** Plain enqueue at the shared tail: `if (full) return -1; ...; tail++`. */
function enqueueOp(op: string, models: string, full: FullCheck): QueueOp {
  return {
    op,
    models,
    guard: (a, s, cap) => a.not(full(a, req(s, 'tail'), req(s, 'head'), cap)),
    update: (a, s) => ({ tail: a.add(req(s, 'tail'), a.lit(1)) }),
  };
}

/** Plain dequeue at the shared head: `if (empty) return -1; ...; head++`. */
function dequeueOp(op: string, models: string, widthBits: 16 | 32): QueueOp {
  const empty = widthBits === 16 ? netEmptyOf : ringEmptyOf;
  return {
    op,
    models,
    guard: (a, s) => a.not(empty(a, req(s, 'tail'), req(s, 'head'))),
    update: (a, s) => ({ head: a.add(req(s, 'head'), a.lit(1)) }),
  };
}

const NET: QueueSystem = {
  cls: 'net',
  widthBits: 16,
  // net capacity is a u32 in the handle, but the u16 indices only tell lengths up to 2^16 - 1.
  maxLog2: 15,
  vars: ['tail', 'head'],
  invariantText: '(uint16_t)(tail - head) <= capacity',
  invariant: plainInvariant,
  ops: [
    enqueueOp(
      'enqueue',
      'net_enqueue_free/active with the corrected full check `(uint16_t)(tail - head) == capacity` ' +
        '(sddf-protocols.md §2.1; the as-written int check is bug U1, see full-check.net.as-written)',
      netFull,
    ),
    dequeueOp(
      'dequeue',
      'net_dequeue_free/active: empty ⇔ tail == head (sddf-protocols.md §2.1)',
      16,
    ),
  ],
};

const BLK: QueueSystem = {
  cls: 'blk',
  widthBits: 32,
  maxLog2: 31,
  vars: ['tail', 'head'],
  invariantText: '(uint32_t)(tail - head) <= capacity',
  invariant: plainInvariant,
  ops: [
    enqueueOp(
      'enqueue',
      'blk_enqueue_req/resp: full ⇔ tail - head == capacity in uint32_t (sddf-protocols.md §2.3)',
      u32Full,
    ),
    dequeueOp('dequeue', 'blk_dequeue_req/resp: empty ⇔ tail == head (sddf-protocols.md §2.3)', 32),
  ],
};

const SERIAL: QueueSystem = {
  cls: 'serial',
  widthBits: 32,
  maxLog2: 31,
  vars: ['tail', 'head'],
  invariantText: '(uint32_t)(tail - head) <= capacity',
  invariant: plainInvariant,
  ops: [
    enqueueOp(
      'enqueue',
      'serial_enqueue: full ⇔ tail - head == capacity; store_release(tail + 1) (sddf-protocols.md §2.4)',
      u32Full,
    ),
    dequeueOp(
      'dequeue',
      'serial_dequeue: empty ⇔ tail == head; store_release(head + 1) (sddf-protocols.md §2.4)',
      32,
    ),
  ],
};

// sddf-protocols.md §2.4: serial_enqueue_local advances a private local_tail; the batch becomes
// visible with serial_update_shared_tail. The consumer keeps dequeuing meanwhile.
const SERIAL_TAIL_BATCH: QueueSystem = {
  cls: 'serial',
  widthBits: 32,
  maxLog2: 31,
  vars: ['tail', 'head', 'local_tail'],
  invariantText:
    '(uint32_t)(tail - head) <= (uint32_t)(local_tail - head) <= capacity ' +
    '(the private local_tail is ahead of the shared tail, within capacity of head)',
  invariant: (a, s, cap) => {
    const h = req(s, 'head');
    return a.and(
      within(a, req(s, 'tail'), req(s, 'local_tail'), h),
      ringBoundsOf(a, req(s, 'local_tail'), h, cap),
    );
  },
  ops: [
    {
      op: 'enqueue_local',
      models:
        'serial_enqueue_local(h, &local_tail, c): full ⇔ local_tail - head == capacity; local_tail++ ' +
        '(sddf-protocols.md §2.4)',
      guard: (a, s, cap) => a.not(u32Full(a, req(s, 'local_tail'), req(s, 'head'), cap)),
      update: (a, s) => ({ local_tail: a.add(req(s, 'local_tail'), a.lit(1)) }),
    },
    {
      op: 'update_shared_tail',
      models:
        'serial_update_shared_tail(h, local_tail): store_release(tail, local_tail) (sddf-protocols.md §2.4)',
      update: (_a, s) => ({ tail: req(s, 'local_tail') }),
    },
    {
      op: 'dequeue_during_local_tail',
      models: 'serial_dequeue by the consumer while the producer holds an unpublished batch (§2.4)',
      guard: (a, s) => a.not(ringEmptyOf(a, req(s, 'tail'), req(s, 'head'))),
      update: (a, s) => ({ head: a.add(req(s, 'head'), a.lit(1)) }),
    },
  ],
};

const SERIAL_HEAD_BATCH: QueueSystem = {
  cls: 'serial',
  widthBits: 32,
  maxLog2: 31,
  vars: ['tail', 'head', 'local_head'],
  invariantText:
    '(uint32_t)(local_head - head) <= (uint32_t)(tail - head) <= capacity ' +
    '(the private local_head is between the shared head and tail)',
  invariant: (a, s, cap) => {
    const h = req(s, 'head');
    return a.and(within(a, req(s, 'local_head'), req(s, 'tail'), h), bounds(a, s, cap));
  },
  ops: [
    {
      op: 'dequeue_local',
      models:
        'serial_dequeue_local(h, &local_head, &c): empty ⇔ local_head == tail; local_head++ (§2.4)',
      guard: (a, s) => a.not(ringEmptyOf(a, req(s, 'tail'), req(s, 'local_head'))),
      update: (a, s) => ({ local_head: a.add(req(s, 'local_head'), a.lit(1)) }),
    },
    {
      op: 'update_shared_head',
      models: 'serial_update_shared_head(h, local_head): store_release(head, local_head) (§2.4)',
      update: (_a, s) => ({ head: req(s, 'local_head') }),
    },
    {
      op: 'enqueue_during_local_head',
      models: 'serial_enqueue by the producer while the consumer holds an unpublished batch (§2.4)',
      guard: (a, s, cap) => a.not(u32Full(a, req(s, 'tail'), req(s, 'head'), cap)),
      update: (a, s) => ({ tail: a.add(req(s, 'tail'), a.lit(1)) }),
    },
  ],
};

/** i2c full check: `tail - head + 1 == CAP`, one slot reserved (sddf-protocols.md §2.5). */
const i2cFull: FullCheck = (a, tail, head, capacity) => i2cFullOf(a, tail, head, capacity);

/** `CAP - 1`, the usable slots. */
const usable = (a: A, cap: Z3BitVec): Z3BitVec => a.sub(cap, a.lit(1));

function i2cRequestSystem(cls: string, fixedCapacity?: number): QueueSystem {
  return {
    cls,
    widthBits: 32,
    ...(fixedCapacity === undefined ? { maxLog2: 31 } : { fixedCapacity }),
    vars: ['tail', 'head', 'staged_tail'],
    invariantText:
      '(uint32_t)(tail - head) <= (uint32_t)(staged_active_tail - head) <= CAP - 1 ' +
      '(one slot reserved; the staged tail is ahead of the committed ctrl.tail)',
    invariant: (a, s, cap) => {
      const h = req(s, 'head');
      return a.and(
        within(a, req(s, 'tail'), req(s, 'staged_tail'), h),
        ringBoundsOf(a, req(s, 'staged_tail'), h, usable(a, cap)),
      );
    },
    ops: [
      {
        op: 'enqueue_request',
        models:
          'i2c_enqueue_request: full ⇔ staged_active_tail - ctrl.head + 1 == CAP; staged_active_tail++ ' +
          '(sddf-protocols.md §2.5, include/sddf/i2c/queue.h i2c_request_queue_full)',
        guard: (a, s, cap) => a.not(i2cFull(a, req(s, 'staged_tail'), req(s, 'head'), cap)),
        update: (a, s) => ({ staged_tail: a.add(req(s, 'staged_tail'), a.lit(1)) }),
      },
      {
        op: 'commit',
        models:
          'i2c_request_commit: THREAD_MEMORY_RELEASE(); ctrl.tail = staged_active_tail (§2.5)',
        update: (_a, s) => ({ tail: req(s, 'staged_tail') }),
      },
      {
        op: 'abort',
        models: 'i2c_request_abort: staged_active_tail = ctrl.tail (§2.5)',
        update: (_a, s) => ({ staged_tail: req(s, 'tail') }),
      },
      {
        op: 'dequeue_request',
        models: 'i2c_dequeue_request: empty ⇔ ctrl.tail == ctrl.head; ctrl.head++ (§2.5)',
        guard: (a, s) => a.not(ringEmptyOf(a, req(s, 'tail'), req(s, 'head'))),
        update: (a, s) => ({ head: a.add(req(s, 'head'), a.lit(1)) }),
      },
    ],
  };
}

function i2cResponseSystem(cls: string, fixedCapacity?: number): QueueSystem {
  return {
    cls,
    widthBits: 32,
    ...(fixedCapacity === undefined ? { maxLog2: 31 } : { fixedCapacity }),
    vars: ['tail', 'head'],
    invariantText: '(uint32_t)(tail - head) <= CAP - 1 (one slot reserved)',
    invariant: (a, s, cap) => ringBoundsOf(a, req(s, 'tail'), req(s, 'head'), usable(a, cap)),
    ops: [
      {
        op: 'enqueue_response',
        models: 'i2c_enqueue_response: full ⇔ tail - head + 1 == CAP; ctrl.tail++ (§2.5)',
        guard: (a, s, cap) => a.not(i2cFull(a, req(s, 'tail'), req(s, 'head'), cap)),
        update: (a, s) => ({ tail: a.add(req(s, 'tail'), a.lit(1)) }),
      },
      {
        op: 'dequeue_response',
        models: 'i2c_dequeue_response: empty ⇔ tail == head; ctrl.head++ (§2.5)',
        guard: (a, s) => a.not(ringEmptyOf(a, req(s, 'tail'), req(s, 'head'))),
        update: (a, s) => ({ head: a.add(req(s, 'head'), a.lit(1)) }),
      },
    ],
  };
}

/** sddf-protocols.md §2.5: CAP = (4096 - 32) / sizeof(i2c_cmd_t) = 254 at HEAD (the spec's). */
export const I2C_UPSTREAM_CAPACITY = I2C_CAPACITY;

const SYSTEMS: readonly QueueSystem[] = [
  NET,
  BLK,
  SERIAL,
  SERIAL_TAIL_BATCH,
  SERIAL_HEAD_BATCH,
  i2cRequestSystem('i2c'),
  i2cResponseSystem('i2c'),
  i2cRequestSystem('i2c-254', I2C_UPSTREAM_CAPACITY),
  i2cResponseSystem('i2c-254', I2C_UPSTREAM_CAPACITY),
];

/** The system and operation `queue-bounds.<cls>.<op>` is about (agreement tests evaluate them). */
export function findOp(cls: string, op: string): { system: QueueSystem; queueOp: QueueOp } {
  for (const system of SYSTEMS) {
    const queueOp = system.ops.find((o) => o.op === op);
    if (system.cls === cls && queueOp !== undefined) return { system, queueOp };
  }
  assert(false, `no queue operation ${cls}.${op}`);
}

/** The obligation `queue-bounds.<cls>.<op>`, optionally with a seeded break. */
export function queueBoundsObligation(
  cls: string,
  op: string,
  variant: QueueBoundsVariant = {},
): Obligation {
  const { system, queueOp } = findOp(cls, op);
  assert(
    variant.intPromotedFullCheck !== true || (cls === 'net' && op === 'enqueue'),
    'the int-promoted full check only exists for net enqueue',
  );
  const w = system.widthBits;
  const capacityText =
    system.fixedCapacity === undefined
      ? `symbolic capacity 1 << k, k ≤ ${system.maxLog2}`
      : `capacity ${system.fixedCapacity} (upstream)`;
  return validityObligation(
    {
      name: `queue-bounds.${cls}.${op}`,
      statement:
        `${op} preserves ${system.invariantText} at u${w}, ${capacityText}; ` +
        `hence 0 ≤ tail − head ≤ capacity after it`,
      widthBits: w,
      models: queueOp.models,
    },
    (z) => {
      const a = bvArith(z, w);
      const { capacity, range } = capacityTerm(z, system);
      const pre = preState(z, system);
      const update = queueOp.update(a, pre);
      const written: Record<string, Z3BitVec> = {};
      for (const [v, term] of Object.entries(update)) {
        written[v] = variant.offByOne === true ? a.add(term, a.lit(1)) : term;
      }
      const post: Record<string, Z3BitVec> = { ...pre, ...written };
      const guard = seededGuard(z, { a, system, queueOp, variant, pre, capacity });
      const claim = z.Implies(
        z.And(range, system.invariant(a, pre, capacity), guard),
        z.And(system.invariant(a, post, capacity), bounds(a, post, capacity)),
      );
      const witnesses: Record<string, Z3Expr> = { capacity };
      for (const v of system.vars) {
        witnesses[v] = req(pre, v);
        witnesses[`${v}'`] = req(post, v);
      }
      return { claim, witnesses };
    },
  );
}

/**
 * The pre-state, every index other than `head` written as `head + delta` with a fresh `delta`.
 * (head, delta) ↦ (head, head + delta) is a bijection on pairs of u<w>, so this quantifies over
 * exactly the same states as independent variables; but Z3 then sees that `tail - head` is
 * `delta` and answers in ~0.1 s instead of timing out on some queries (measured; ADR 004).
 */
function preState(z: Z3, system: QueueSystem): State {
  const w = system.widthBits;
  assert(system.vars.includes('head'), `${system.cls}: queue state without head`);
  const head = z.BitVec.const('head', w);
  const pre: Record<string, Z3BitVec> = { head };
  for (const v of system.vars) {
    if (v !== 'head') pre[v] = head.add(z.BitVec.const(`${v}_minus_head`, w));
  }
  return pre;
}

function capacityTerm(z: Z3, system: QueueSystem): { capacity: Z3BitVec; range: Z3Bool } {
  if (system.fixedCapacity !== undefined) {
    return { capacity: bv(z, system.fixedCapacity, system.widthBits), range: z.Bool.val(true) };
  }
  assert(system.maxLog2 !== undefined, `${system.cls}: neither fixed nor symbolic capacity`);
  return pow2Capacity(z, { widthBits: system.widthBits, maxLog2: system.maxLog2 });
}

function seededGuard(
  z: Z3,
  args: {
    a: A;
    system: QueueSystem;
    queueOp: QueueOp;
    variant: QueueBoundsVariant;
    pre: State;
    capacity: Z3BitVec;
  },
): Z3Bool {
  const { a, variant, pre, capacity } = args;
  if (variant.dropGuard === true) return z.Bool.val(true);
  if (variant.intPromotedFullCheck === true) {
    // The spec's U1 form: both uint16_t operands promoted to int, compared with the uint32_t
    // capacity (a 32-bit difference, negative once only the tail has wrapped).
    const tail = req(pre, 'tail');
    return a.not(netFullOf(a, 'int-promoted', { tail, head: req(pre, 'head'), capacity }));
  }
  if (variant.noReservedSlot === true) {
    assert(args.system.cls.startsWith('i2c'), 'noReservedSlot is an i2c variant');
    const tailName = args.system.vars.includes('staged_tail') ? 'staged_tail' : 'tail';
    return a.not(u32Full(a, req(pre, tailName), req(pre, 'head'), capacity));
  }
  return args.queueOp.guard?.(a, pre, capacity) ?? z.Bool.val(true);
}

/**
 * include/sddf/i2c/queue.h, i2c_enqueue_request and i2c_request_commit: `assert(staged_active_tail
 * >= ctrl.tail)` compares the free-running u32 indices numerically. Under the request invariant
 * (the staged tail is ahead of the committed one, modulo 2^32) it fails once the staged tail has
 * wrapped and the committed tail has not: a debug build aborts on a healthy queue. [unconfirmed]:
 * read in the upstream header (sddf-protocols.md §2.5 describes the staging but not the assert);
 * not in the bug catalogue. `wrapSafe` is the fix, `(uint32_t)(staged - tail) <= (staged - head)`.
 */
export function i2cStagedAssertObligation(variant: { wrapSafe?: boolean } = {}): Obligation {
  // At the upstream CAP = 254: the assert is about upstream's queue.
  const system = i2cRequestSystem('i2c-254', I2C_UPSTREAM_CAPACITY);
  const wrapSafe = variant.wrapSafe === true;
  return validityObligation(
    {
      name: wrapSafe
        ? 'queue-bounds.i2c.staged-assert-wrap-safe'
        : 'queue-bounds.i2c.staged-assert',
      statement:
        `under ${system.invariantText}, the debug assert ` +
        (wrapSafe
          ? '`(uint32_t)(staged_active_tail - ctrl.tail) <= (uint32_t)(staged_active_tail - ctrl.head)`'
          : '`staged_active_tail >= ctrl.tail` (numeric u32 comparison)') +
        ` holds, for CAP = ${I2C_UPSTREAM_CAPACITY}`,
      widthBits: 32,
      models:
        'i2c_enqueue_request / i2c_request_commit debug assert (include/sddf/i2c/queue.h; ' +
        'sddf-protocols.md §2.5)',
      ...(wrapSafe
        ? {}
        : {
            expected: 'refuted' as const,
            defect: 'unconfirmed finding, not in the catalogue',
          }),
    },
    (z) => {
      const a = bvArith(z, 32);
      const { capacity, range } = capacityTerm(z, system);
      const s = preState(z, system);
      const staged = req(s, 'staged_tail');
      const tail = req(s, 'tail');
      const assertion = i2cStagedAssertOf(a, { staged, tail, head: req(s, 'head'), wrapSafe });
      return {
        claim: z.Implies(z.And(range, system.invariant(a, s, capacity)), assertion),
        witnesses: { capacity, tail, head: req(s, 'head'), staged_active_tail: staged },
      };
    },
  );
}

/** Every `queue-bounds.*` obligation, in a stable order. */
export function queueBoundsObligations(): readonly Obligation[] {
  return [
    ...SYSTEMS.flatMap((system) => system.ops.map((o) => queueBoundsObligation(system.cls, o.op))),
    i2cStagedAssertObligation(),
    i2cStagedAssertObligation({ wrapSafe: true }),
  ];
}
