// The sDDF signalling handshake (sddf-protocols.md §2.2) as interleaved steps of the two PDs of a
// queue under sequential consistency, with program counters as bit-vectors. One PD waits (asks
// to be woken), the other wakes it:
//
//   net (§2.1, §2.2): the consumer waits for items, the producer wakes it (consumer_signalled).
//   serial (§2.4):    the producer waits for space, the consumer wakes it (producer_signalled).
//
//   waker:  K0 start its transfer (net: write slot if not full; serial: read slot if non-empty)
//           → K1 publish the index (net: store tail; serial: store head) → K2 r := flag
//           (require_signal) → K3 if r == 0: cancel_signal (flag := 1) → K4 notify → K0;
//                                if r != 0: → K0
//   waiter: W0 work while work is possible (net: dequeue while non-empty; serial: enqueue while
//           not full); when not possible → W1 request_signal (flag := 0) → W2 re-check:
//           possible → W3 cancel_signal (flag := 1) → W0; not possible → W4 blocked until
//           notified → W0
//
// Flag polarity as in C: 0 means "the waiter wants a signal" (§2.2, spec/signal/handshake.ts).
// A notification is a pending bit (coalescing, §1 item 2). The bad state ("lost wakeup") is:
// waiter blocked, work possible, no notification pending, waker done (idle at K0).
//
// Proved by induction: (a) Init ⇒ Inv, (b) Inv ∧ Step ⇒ Inv', (c) Inv ⇒ ¬Bad. Seeded upstream
// bugs, found by a bounded unrolling from Init with the step sequence as counterexample: no
// re-check after request_signal (F2 net, F8 serial virt_tx), and a waiter that calls
// require_signal (a query) where it should call request_signal (F7, serial UART drivers).
import { assert } from '../../spec/common/assert.ts';
import { netEmptyOf, netFullOf, type NetFullCheck } from '../../spec/queue/net.ts';
import { ringBoundsOf, ringEmptyOf, ringFullOf } from '../../spec/queue/ring.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../../spec/signal/handshake.ts';
import { bvArith } from './arith.ts';
import {
  bv,
  evaluateWitnesses,
  pow2Capacity,
  validityObligation,
  type Counterexample,
  type Obligation,
  type Outcome,
  type Z3,
  type Z3BitVec,
  type Z3Bool,
  type Z3Expr,
} from './obligation.ts';

export type HandshakeProtocol = 'net' | 'serial';

const PC_BITS = 3;
const ACTION_BITS = 4;

export const PRODUCER_PCS = ['P0', 'P1', 'P2', 'P3', 'P4'] as const;
export const CONSUMER_PCS = ['C0', 'C1', 'C2', 'C3', 'C4'] as const;

/** Variables of one state; `flag` is consumer_signalled (net) or producer_signalled (serial). */
export const HANDSHAKE_VARS = ['ppc', 'cpc', 'tail', 'head', 'flag', 'r', 'notified'] as const;
const VARS = HANDSHAKE_VARS;
export type HandshakeVar = (typeof VARS)[number];
type Var = HandshakeVar;
export type HandshakeState = Readonly<Record<Var, Z3BitVec>>;
type State = HandshakeState;

interface ProtocolShape {
  /** Index width: net tail/head are uint16_t, serial uint32_t. */
  readonly indexBits: 16 | 32;
  readonly waker: 'producer' | 'consumer';
  readonly waiter: 'producer' | 'consumer';
  /** The C name of the flag word. */
  readonly flagName: 'consumer_signalled' | 'producer_signalled';
  readonly models: string;
}

const PROTOCOLS: Readonly<Record<HandshakeProtocol, ProtocolShape>> = {
  net: {
    indexBits: 16,
    waker: 'producer',
    waiter: 'consumer',
    flagName: 'consumer_signalled',
    models:
      'net signalling: net_enqueue + net_require_signal/net_cancel_signal + notify (producer); ' +
      'drain, net_request_signal, double-check, net_cancel_signal (consumer) ' +
      '(sddf-protocols.md §2.1, §2.2)',
  },
  serial: {
    indexBits: 32,
    waker: 'consumer',
    waiter: 'producer',
    flagName: 'producer_signalled',
    models:
      'serial signalling: serial_dequeue + serial_require_consumer_signal/' +
      'serial_cancel_consumer_signal + notify (consumer); enqueue until full, ' +
      'serial_request_consumer_signal, re-check, cancel (producer) (sddf-protocols.md §2.4; ' +
      'the SC fences are no-ops under sequential consistency)',
  },
};

/** Bit width of each state variable of `protocol` (agreement tests build literal states). */
export function handshakeVarWidth(protocol: HandshakeProtocol, v: HandshakeVar): number {
  return widthOf(PROTOCOLS[protocol], v);
}

const widthOf = (shape: ProtocolShape, v: Var): number => {
  switch (v) {
    case 'ppc':
    case 'cpc':
      return PC_BITS;
    case 'tail':
    case 'head':
      return shape.indexBits;
    case 'flag':
    case 'r':
      return 32;
    case 'notified':
      return 1;
  }
};

export interface HandshakeVariant {
  readonly protocol?: HandshakeProtocol;
  /** The waiter's double-check after request_signal (§2.2 phase 2). Default true. */
  readonly recheck?: boolean;
  /**
   * The waiter's request_signal stores flag := 0. False is bug F7: the driver called
   * serial_require_consumer_signal (a query) instead, so the flag is never armed.
   */
  readonly requestStoresFlag?: boolean;
  /** Seeded break of (a): overrides of the initial state. */
  readonly initOverride?: Partial<Readonly<Record<Var, number>>>;
  /** Seeded break of (c): drop the clause about the blocked waiter from the invariant. */
  readonly weakInvariant?: boolean;
  /**
   * net: the producer's full check (spec/queue/net.ts). Default `corrected`; `int-promoted` is
   * HEAD's `tail - head == capacity` in C int (U1): the handshake at HEAD, expected refuted.
   */
  readonly fullCheck?: NetFullCheck;
}

/** One guarded atomic step of one PD. Ids are `producer.x` / `consumer.x` (replayable). */
export interface Action {
  readonly id: string;
  readonly guard: (z: Z3, s: State, cap: Z3BitVec) => Z3Bool;
  readonly update: (z: Z3, s: State) => Partial<Record<Var, Z3BitVec>>;
}

const word = (z: Z3, v: number): Z3BitVec => bv(z, v, 32);
const one = (z: Z3): Z3BitVec => bv(z, 1, 1);
const zero = (z: Z3): Z3BitVec => bv(z, 0, 1);

/** Accessors that speak in roles (waker K0..K4, waiter W0..W4) rather than producer/consumer. */
function roles(shape: ProtocolShape): {
  wakerPc: (s: State) => Z3BitVec;
  waiterPc: (s: State) => Z3BitVec;
  wakerVar: 'ppc' | 'cpc';
  waiterVar: 'ppc' | 'cpc';
} {
  const wakerVar = shape.waker === 'producer' ? 'ppc' : 'cpc';
  const waiterVar = shape.waiter === 'producer' ? 'ppc' : 'cpc';
  assert(wakerVar !== waiterVar, 'waker and waiter must be different PDs');
  return { wakerPc: (s) => s[wakerVar], waiterPc: (s) => s[waiterVar], wakerVar, waiterVar };
}

const at = (z: Z3, pc: Z3BitVec, index: number): Z3Bool => pc.eq(bv(z, index, PC_BITS));

/**
 * Work is possible for the waiter: net non-empty (`net_queue_empty_X`); serial not full
 * (`serial_queue_full`). The spec's predicates, on bit-vectors (docs/adr/012).
 */
function possible(z: Z3, shape: ProtocolShape, s: State, cap: Z3BitVec): Z3Bool {
  const a = bvArith(z, shape.indexBits);
  return shape.waiter === 'consumer'
    ? a.not(netEmptyOf(a, s.tail, s.head))
    : a.not(ringFullOf(a, { tail: s.tail, head: s.head, capacity: cap, reservedSlots: 0 }));
}

/**
 * The waker may start its transfer: net producer not full (`net_queue_full_X`, corrected);
 * serial consumer not empty (`serial_queue_empty`).
 */
function wakerCanTransfer(
  z: Z3,
  shape: ProtocolShape,
  s: State,
  cap: Z3BitVec,
  fullCheck: NetFullCheck = 'corrected',
): Z3Bool {
  const a = bvArith(z, shape.indexBits);
  return shape.waker === 'producer'
    ? a.not(netFullOf(a, fullCheck, { tail: s.tail, head: s.head, capacity: cap }))
    : a.not(ringEmptyOf(a, s.tail, s.head));
}

/** The steps of both PDs for one protocol and variant. */
export function handshakeActions(variant: HandshakeVariant = {}): readonly Action[] {
  const shape = PROTOCOLS[variant.protocol ?? 'net'];
  const recheck = variant.recheck ?? true;
  const storesFlag = variant.requestStoresFlag ?? true;
  const { wakerPc, waiterPc, wakerVar, waiterVar } = roles(shape);
  const K = shape.waker;
  const W = shape.waiter;
  const net = shape.waiter === 'consumer';
  const pc = (z: Z3, i: number): Z3BitVec => bv(z, i, PC_BITS);
  const actions: Action[] = [
    {
      id: `${K}.${net ? 'write_slot' : 'read_slot'}`,
      // net: the (corrected) full check, then the slot write; serial: empty check, slot read.
      guard: (z, s, cap) =>
        z.And(at(z, wakerPc(s), 0), wakerCanTransfer(z, shape, s, cap, variant.fullCheck)),
      update: (z) => ({ [wakerVar]: pc(z, 1) }),
    },
    {
      id: `${K}.${net ? 'store_tail' : 'store_head'}`,
      guard: (z, s) => at(z, wakerPc(s), 1),
      update: (z, s) =>
        net
          ? { [wakerVar]: pc(z, 2), tail: s.tail.add(1) }
          : { [wakerVar]: pc(z, 2), head: s.head.add(1) },
    },
    {
      id: `${K}.require_signal`,
      // require_signal returns !flag; the load is its own step.
      guard: (z, s) => at(z, wakerPc(s), 2),
      update: (z, s) => ({ [wakerVar]: pc(z, 3), r: s.flag }),
    },
    {
      id: `${K}.cancel_signal`,
      guard: (z, s) => z.And(at(z, wakerPc(s), 3), s.r.eq(word(z, FLAG_WANTS_SIGNAL))),
      update: (z) => ({ [wakerVar]: pc(z, 4), flag: word(z, FLAG_SIGNALLED) }),
    },
    {
      id: `${K}.skip_notify`,
      guard: (z, s) => z.And(at(z, wakerPc(s), 3), s.r.neq(word(z, FLAG_WANTS_SIGNAL))),
      update: (z) => ({ [wakerVar]: pc(z, 0) }),
    },
    {
      id: `${K}.notify`,
      guard: (z, s) => at(z, wakerPc(s), 4),
      update: (z) => ({ [wakerVar]: pc(z, 0), notified: one(z) }),
    },
    {
      id: `${W}.${net ? 'dequeue' : 'enqueue'}`,
      guard: (z, s, cap) => z.And(at(z, waiterPc(s), 0), possible(z, shape, s, cap)),
      update: (_z, s) => (net ? { head: s.head.add(1) } : { tail: s.tail.add(1) }),
    },
    {
      id: `${W}.${net ? 'queue_empty' : 'queue_full'}`,
      guard: (z, s, cap) => z.And(at(z, waiterPc(s), 0), z.Not(possible(z, shape, s, cap))),
      update: (z) => ({ [waiterVar]: pc(z, 1) }),
    },
    {
      id: `${W}.request_signal`,
      guard: (z, s) => at(z, waiterPc(s), 1),
      update: (z) => ({
        [waiterVar]: pc(z, recheck ? 2 : 4),
        ...(storesFlag ? { flag: word(z, FLAG_WANTS_SIGNAL) } : {}),
      }),
    },
    {
      id: `${W}.${net ? 'recheck_nonempty' : 'recheck_not_full'}`,
      guard: (z, s, cap) => z.And(at(z, waiterPc(s), 2), possible(z, shape, s, cap)),
      update: (z) => ({ [waiterVar]: pc(z, 3) }),
    },
    {
      id: `${W}.${net ? 'recheck_empty_block' : 'recheck_full_block'}`,
      guard: (z, s, cap) => z.And(at(z, waiterPc(s), 2), z.Not(possible(z, shape, s, cap))),
      update: (z) => ({ [waiterVar]: pc(z, 4) }),
    },
    {
      id: `${W}.cancel_signal`,
      guard: (z, s) => at(z, waiterPc(s), 3),
      update: (z) => ({ [waiterVar]: pc(z, 0), flag: word(z, FLAG_SIGNALLED) }),
    },
    {
      id: `${W}.notified`,
      guard: (z, s) => z.And(at(z, waiterPc(s), 4), s.notified.eq(one(z))),
      update: (z) => ({ [waiterVar]: pc(z, 0), notified: zero(z) }),
    },
  ];
  assert(actions.length < 2 ** ACTION_BITS, 'action selector too narrow');
  return actions;
}

function shapeOf(variant: HandshakeVariant): ProtocolShape {
  return PROTOCOLS[variant.protocol ?? 'net'];
}

function freshState(z: Z3, shape: ProtocolShape, suffix: string): State {
  const s = {} as Record<Var, Z3BitVec>;
  for (const v of VARS) s[v] = z.BitVec.const(`${v}${suffix}`, widthOf(shape, v));
  return s;
}

/** s' = action(s): the guard holds, written variables take their new values, the rest stay. */
function actionRelation(
  z: Z3,
  args: { action: Action; pre: State; post: State; capacity: Z3BitVec },
): Z3Bool {
  const written = args.action.update(z, args.pre);
  const frame = VARS.map((v) => args.post[v].eq(written[v] ?? args.pre[v]));
  return z.And(args.action.guard(z, args.pre, args.capacity), ...frame);
}

/** Step with an action selector, so a model names the action taken. */
function stepRelation(
  z: Z3,
  args: {
    actions: readonly Action[];
    pre: State;
    post: State;
    capacity: Z3BitVec;
    selector: Z3BitVec;
  },
): Z3Bool {
  const { actions, selector } = args;
  const choices = actions.map((action, i) =>
    z.And(selector.eq(bv(z, i, ACTION_BITS)), actionRelation(z, { ...args, action })),
  );
  return z.Or(...choices);
}

function initial(
  z: Z3,
  args: { shape: ProtocolShape; s: State; override: HandshakeVariant['initOverride'] },
): Z3Bool {
  // sddf-protocols.md §1 item 7: MRs are zero-filled, so indices and the flag start 0 (the
  // waiter initially wants a signal, §2.2); both PDs start at their first step.
  const values: Record<Var, number> = {
    ppc: 0,
    cpc: 0,
    tail: 0,
    head: 0,
    flag: FLAG_WANTS_SIGNAL,
    r: 0,
    notified: 0,
    ...args.override,
  };
  return z.And(...VARS.map((v) => args.s[v].eq(bv(z, values[v], widthOf(args.shape, v)))));
}

/** Bad: waiter blocked, work possible, no notification pending, waker done. */
function bad(z: Z3, shape: ProtocolShape, s: State, cap: Z3BitVec): Z3Bool {
  const { wakerPc, waiterPc } = roles(shape);
  return z.And(
    at(z, waiterPc(s), 4),
    possible(z, shape, s, cap),
    s.notified.eq(zero(z)),
    at(z, wakerPc(s), 0),
  );
}

/** The inductive invariant; see docs/adr/004-proofs.md for why each clause is needed. */
function invariant(
  z: Z3,
  args: { shape: ProtocolShape; s: State; capacity: Z3BitVec; variant: HandshakeVariant },
): Z3Bool {
  const { shape, s, capacity } = args;
  const { wakerPc, waiterPc } = roles(shape);
  const K = (i: number): Z3Bool => at(z, wakerPc(s), i);
  const W = (i: number): Z3Bool => at(z, waiterPc(s), i);
  const flagDown = s.flag.eq(word(z, FLAG_WANTS_SIGNAL));
  const impossible = z.Not(possible(z, shape, s, capacity));
  const noPending = s.notified.eq(zero(z));
  const domain = z.And(
    s.ppc.ule(bv(z, 4, PC_BITS)),
    s.cpc.ule(bv(z, 4, PC_BITS)),
    s.flag.ule(word(z, 1)),
    s.r.ule(word(z, 1)),
    // Queue bounds (queue-bounds.*), and the slot the waker holds between its two steps:
    // a written slot (net producer: not full) or a read one (serial consumer: not empty).
    ringBoundsOf(bvArith(z, shape.indexBits), s.tail, s.head, capacity),
    z.Implies(K(1), wakerCanTransfer(z, shape, s, capacity, args.variant.fullCheck)),
  );
  // After request_signal and before the re-check, the flag is down unless the waker has
  // cancelled it and is about to notify.
  const armed = z.Implies(z.And(W(2), noPending), z.Or(flagDown, K(4)));
  // A blocked waiter with nothing pending: the waker has not yet published (and the work is
  // still impossible, the flag down), or has published and will see the flag down, or has
  // already loaded it as down.
  const blocked = z.Implies(
    z.And(W(4), noPending),
    z.And(
      z.Implies(z.Or(K(0), K(1)), z.And(impossible, flagDown)),
      z.Implies(K(2), flagDown),
      z.Implies(K(3), z.Or(s.r.eq(word(z, FLAG_WANTS_SIGNAL)), z.And(impossible, flagDown))),
    ),
  );
  return args.variant.weakInvariant === true ? z.And(domain, armed) : z.And(domain, armed, blocked);
}

function stateWitnesses(s: State, suffix: string): Record<string, Z3Expr> {
  const out: Record<string, Z3Expr> = {};
  for (const v of VARS) out[`${v}${suffix}`] = s[v];
  return out;
}

/** Name pcs, actions and the flag as the protocol does, for a readable counterexample. */
function decode(
  raw: Counterexample,
  args: { actions: readonly Action[]; shape: ProtocolShape },
): Counterexample {
  const out: Record<string, Counterexample[string]> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'number' && k.startsWith('ppc')) out[k] = PRODUCER_PCS[v] ?? v;
    else if (typeof v === 'number' && k.startsWith('cpc')) out[k] = CONSUMER_PCS[v] ?? v;
    else if (typeof v === 'number' && k === 'action') out[k] = args.actions[v]?.id ?? v;
    else if (k.startsWith('flag')) out[`${args.shape.flagName}${k.slice('flag'.length)}`] = v;
    else out[k] = v;
  }
  return out;
}

function withDecode(ob: Obligation, variant: HandshakeVariant): Obligation {
  const args = { actions: handshakeActions(variant), shape: shapeOf(variant) };
  return {
    ...ob,
    run: async (z, limits) => {
      const out = await ob.run(z, limits);
      return out.counterexample === undefined
        ? out
        : { ...out, counterexample: decode(out.counterexample, args) };
    },
  };
}

function symbolicCapacity(z: Z3, shape: ProtocolShape): { capacity: Z3BitVec; range: Z3Bool } {
  return pow2Capacity(z, { widthBits: shape.indexBits, maxLog2: shape.indexBits - 1 });
}

const protocolName = (variant: HandshakeVariant): HandshakeProtocol => variant.protocol ?? 'net';

export function handshakeInitObligation(variant: HandshakeVariant = {}): Obligation {
  const shape = shapeOf(variant);
  const ob = validityObligation(
    {
      name: `handshake.${protocolName(variant)}.init`,
      statement: 'the initial state (zero-filled MRs, both PDs at their first step) satisfies Inv',
      widthBits: shape.indexBits,
      models: shape.models,
    },
    (z) => {
      const { capacity, range } = symbolicCapacity(z, shape);
      const s = freshState(z, shape, '');
      return {
        claim: z.Implies(
          z.And(range, initial(z, { shape, s, override: variant.initOverride })),
          invariant(z, { shape, s, capacity, variant }),
        ),
        witnesses: { capacity, ...stateWitnesses(s, '') },
      };
    },
  );
  return withDecode(ob, variant);
}

export function handshakeStepObligation(variant: HandshakeVariant = {}): Obligation {
  const shape = shapeOf(variant);
  const head = variant.fullCheck === 'int-promoted';
  const actions = handshakeActions(variant);
  const ob = validityObligation(
    {
      name: `handshake.${protocolName(variant)}.${head ? 'head-step' : 'step'}`,
      statement:
        `Inv is inductive: Inv(s) ∧ s → s' by any one ${shape.waker} or ${shape.waiter} step ` +
        "⇒ Inv(s'), under sequential consistency" +
        (head
          ? ", with HEAD's full check `tail - head == capacity` in C int (HEAD's release fences " +
            'are no weaker than seq_cst under sequential consistency: their weak-memory verdicts ' +
            'are the model checker’s, docs/weak-memory.md)'
          : ''),
      widthBits: shape.indexBits,
      models: shape.models,
      ...(head ? { expected: 'refuted' as const, defect: 'U1' } : {}),
    },
    (z) => {
      const { capacity, range } = symbolicCapacity(z, shape);
      const pre = freshState(z, shape, '');
      const post = freshState(z, shape, "'");
      const selector = z.BitVec.const('action', ACTION_BITS);
      return {
        claim: z.Implies(
          z.And(
            range,
            invariant(z, { shape, s: pre, capacity, variant }),
            stepRelation(z, { actions, pre, post, capacity, selector }),
          ),
          invariant(z, { shape, s: post, capacity, variant }),
        ),
        witnesses: {
          capacity,
          action: selector,
          ...stateWitnesses(pre, ''),
          ...stateWitnesses(post, "'"),
        },
      };
    },
  );
  return withDecode(ob, variant);
}

export function handshakeSafeObligation(variant: HandshakeVariant = {}): Obligation {
  const shape = shapeOf(variant);
  const work = shape.waiter === 'consumer' ? 'queue non-empty' : 'queue not full';
  const ob = validityObligation(
    {
      name: `handshake.${protocolName(variant)}.safe`,
      statement:
        `Inv ⇒ no lost wakeup: never (${shape.waiter} blocked ∧ ${work} ∧ no notification ` +
        `pending ∧ ${shape.waker} done)`,
      widthBits: shape.indexBits,
      models: shape.models,
    },
    (z) => {
      const { capacity, range } = symbolicCapacity(z, shape);
      const s = freshState(z, shape, '');
      return {
        claim: z.Implies(
          z.And(range, invariant(z, { shape, s, capacity, variant })),
          z.Not(bad(z, shape, s, capacity)),
        ),
        witnesses: { capacity, ...stateWitnesses(s, '') },
      };
    },
  );
  return withDecode(ob, variant);
}

/**
 * Deepest unrolling tried per protocol. Shortest lost wakeups (measured): net without re-check
 * 15 steps; serial ones are longer because the producer must first fill the queue.
 */
export const BMC_MAX_STEPS: Readonly<Record<HandshakeProtocol, number>> = { net: 16, serial: 24 };
/** Queue capacity in the bounded search (sddf-protocols.md §2.2: the Spin models use 2). */
export const BMC_CAPACITY = 2;
const BMC_BUDGET_QUERIES = 3;

/**
 * Bounded model checking from Init: is Bad reachable within `maxSteps` steps? Refuted with the
 * step sequence if so; if the bound is reached without finding Bad the verdict is `unknown`
 * (a bounded search never proves the property).
 */
export function handshakeBmcObligation(
  variant: HandshakeVariant = { recheck: false },
  maxSteps: number = BMC_MAX_STEPS[protocolName(variant)],
): Obligation {
  const shape = shapeOf(variant);
  const actions = handshakeActions(variant);
  const bug = seededBug(variant);
  return {
    name: `handshake.${protocolName(variant)}.${bug?.suffix ?? 'bmc'}`,
    statement:
      `no lost wakeup within ${maxSteps} interleaved steps from Init` +
      (bug === undefined ? '' : `, ${bug.what}`),
    widthBits: shape.indexBits,
    models: shape.models + (bug === undefined ? '' : `; ${bug.models}`),
    ...(bug === undefined ? {} : { expected: 'refuted' as const, defect: bug.defect }),
    run: (z, limits) =>
      runBmc(z, { actions, shape, variant, maxSteps, timeoutMs: limits.timeoutMs }),
  };
}

function seededBug(
  variant: HandshakeVariant,
): { suffix: string; what: string; models: string; defect: string } | undefined {
  const shape = shapeOf(variant);
  if (variant.recheck === false) {
    return {
      suffix: 'no-recheck',
      what: `when the ${shape.waiter} does not re-check after request_signal`,
      models:
        protocolName(variant) === 'net'
          ? 'without the double-check (bug catalogue F2, fixed upstream)'
          : 'without the double-check (bug catalogue F8, serial virt_tx, fixed upstream)',
      defect: protocolName(variant) === 'net' ? 'F2' : 'F8',
    };
  }
  if (variant.requestStoresFlag === false) {
    return {
      suffix: 'require-not-request',
      what: `when the blocked ${shape.waiter} calls require_signal instead of request_signal`,
      models:
        'the waiter never arms the flag (bug catalogue F7: UART drivers called ' +
        'serial_require_consumer_signal; fixed upstream)',
      defect: 'F7',
    };
  }
  return undefined;
}

async function runBmc(
  z: Z3,
  args: {
    actions: readonly Action[];
    shape: ProtocolShape;
    variant: HandshakeVariant;
    maxSteps: number;
    timeoutMs: number;
  },
): Promise<Outcome> {
  assert(args.maxSteps > 0 && args.maxSteps <= 64, `BMC bound out of range: ${args.maxSteps}`);
  const { shape } = args;
  // A counterexample needs only one capacity: the Spin model's QUEUE_CAPACITY = 2 (§2.2).
  const capacity = bv(z, BMC_CAPACITY, shape.indexBits);
  const states: State[] = [freshState(z, shape, '@0')];
  const selectors: Z3BitVec[] = [];
  const solver = new z.Solver();
  solver.set('timeout', BMC_BUDGET_QUERIES * args.timeoutMs);
  solver.add(initial(z, { shape, s: states[0] as State, override: args.variant.initOverride }));
  for (let depth = 0; depth < args.maxSteps; depth++) {
    const next = freshState(z, shape, `@${depth + 1}`);
    const selector = z.BitVec.const(`action@${depth}`, ACTION_BITS);
    const pre = states[depth] as State;
    solver.add(stepRelation(z, { actions: args.actions, pre, post: next, capacity, selector }));
    states.push(next);
    selectors.push(selector);
  }
  // One non-incremental query "Bad at some depth ≤ maxSteps": Z3 bit-blasts it whole, which is
  // faster than asking depth by depth with assumptions (measured; ADR 004).
  const badAt = states.map((s) => bad(z, shape, s, capacity));
  solver.add(z.Or(...badAt));
  const result = await solver.check();
  if (result === 'unknown') return { verdict: 'unknown', reason: solver.reasonUnknown() };
  if (result === 'unsat') {
    return {
      verdict: 'unknown',
      reason: `bound of ${args.maxSteps} steps reached without a violation`,
    };
  }
  const model = solver.model();
  const depth = badAt.findIndex((b) => z.isTrue(model.eval(b, true)));
  assert(depth >= 0, 'BMC model satisfies no bad-state disjunct');
  const trace = selectors.slice(0, depth).map((sel) => {
    const value = evaluateWitnesses(z, model, { a: sel })['a'];
    return typeof value === 'number'
      ? (args.actions[value]?.id ?? `action#${value}`)
      : String(value);
  });
  const final = decode(evaluateWitnesses(z, model, stateWitnesses(states[depth] as State, '')), {
    actions: args.actions,
    shape,
  });
  return {
    verdict: 'refuted',
    counterexample: { steps: trace, depth, capacity: BMC_CAPACITY, ...final },
  };
}

export function handshakeObligations(): readonly Obligation[] {
  const out: Obligation[] = [];
  for (const protocol of ['net', 'serial'] as const) {
    out.push(
      handshakeInitObligation({ protocol }),
      handshakeStepObligation({ protocol }),
      handshakeSafeObligation({ protocol }),
      handshakeBmcObligation({ protocol, recheck: false }),
    );
  }
  out.push(handshakeBmcObligation({ protocol: 'serial', requestStoresFlag: false }));
  // The net handshake at HEAD beside the fixed one: U1's full check breaks the induction.
  out.push(handshakeStepObligation({ protocol: 'net', fullCheck: 'int-promoted' }));
  return out;
}
