// The sDDF signalling handshake (sddf-protocols.md §2.2) as interleaved producer and consumer
// steps under sequential consistency, with program counters as bit-vectors.
//
//   producer (per item):  P0 write slot (if not full) → P1 store tail → P2 r := consumer_signalled
//                         (require_signal) → P3 if r == 0: cancel_signal (flag := 1) → P4 notify
//                         → P0;                        if r != 0: → P0
//   consumer:             C0 drain: dequeue while non-empty; when empty → C1 request_signal
//                         (flag := 0) → C2 re-check: load tail; non-empty → C3 cancel_signal
//                         (flag := 1) → C0; empty → C4 blocked until notified → C0
//
// Flag polarity as in C: consumer_signalled == 0 means "the consumer wants a signal" (§2.2).
// A notification is a pending bit (coalescing, §1 item 2). The bad state ("lost wakeup") is:
// consumer blocked, queue non-empty, no notification pending, producer done (idle at P0).
//
// Proved by induction: (a) Init ⇒ Inv, (b) Inv ∧ Step ⇒ Inv', (c) Inv ⇒ ¬Bad. Without the
// consumer's re-check (C1 → C4 directly) a bounded unrolling from Init reaches Bad, and the
// counterexample is the step sequence (bug catalogue F2/F8: the missing double-check).
import { assert } from '../../spec/common/assert.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../../spec/signal/handshake.ts';
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

/** Width of net queue indices (sddf-protocols.md §2.1: tail/head are uint16_t). */
const INDEX_BITS = 16;
const PC_BITS = 3;
const ACTION_BITS = 4;

export const PRODUCER_PCS = ['P0', 'P1', 'P2', 'P3', 'P4'] as const;
export const CONSUMER_PCS = ['C0', 'C1', 'C2', 'C3', 'C4'] as const;
type Ppc = (typeof PRODUCER_PCS)[number];
type Cpc = (typeof CONSUMER_PCS)[number];

/** Variables of one state; `notified` is a 1-bit pending notification. */
const VARS = ['ppc', 'cpc', 'tail', 'head', 'consumer_signalled', 'r', 'notified'] as const;
type Var = (typeof VARS)[number];
type State = Readonly<Record<Var, Z3BitVec>>;

const WIDTH: Readonly<Record<Var, number>> = {
  ppc: PC_BITS,
  cpc: PC_BITS,
  tail: INDEX_BITS,
  head: INDEX_BITS,
  consumer_signalled: 32,
  r: 32,
  notified: 1,
};

export interface HandshakeVariant {
  /** The consumer's double-check after request_signal (§2.2 phase 2). Default true. */
  readonly recheck?: boolean;
  /** Seeded break of (a): overrides of the initial state. */
  readonly initOverride?: Partial<Readonly<Record<Var, number>>>;
  /** Seeded break of (c): drop the clause about the blocked consumer from the invariant. */
  readonly weakInvariant?: boolean;
}

/** One guarded atomic step of one PD. Ids are `producer.x` / `consumer.x` (replayable). */
interface Action {
  readonly id: string;
  readonly guard: (z: Z3, s: State, cap: Z3BitVec) => Z3Bool;
  readonly update: (z: Z3, s: State) => Partial<Record<Var, Z3BitVec>>;
}

const pcVal = (z: Z3, pc: Ppc | Cpc): Z3BitVec =>
  bv(
    z,
    pc.startsWith('P') ? PRODUCER_PCS.indexOf(pc as Ppc) : CONSUMER_PCS.indexOf(pc as Cpc),
    PC_BITS,
  );
const atP = (z: Z3, s: State, pc: Ppc): Z3Bool => s.ppc.eq(pcVal(z, pc));
const atC = (z: Z3, s: State, pc: Cpc): Z3Bool => s.cpc.eq(pcVal(z, pc));
const word = (z: Z3, v: number): Z3BitVec => bv(z, v, 32);
const one = (z: Z3): Z3BitVec => bv(z, 1, 1);
const zero = (z: Z3): Z3BitVec => bv(z, 0, 1);

/** The steps. The consumer's C1 goes to C2 (re-check) or, without it, straight to C4. */
export function handshakeActions(variant: HandshakeVariant = {}): readonly Action[] {
  const recheck = variant.recheck ?? true;
  const actions: Action[] = [
    {
      id: 'producer.write_slot',
      // net_enqueue: full check (corrected, full-check.net.corrected), then the slot write.
      guard: (z, s, cap) => z.And(atP(z, s, 'P0'), s.tail.sub(s.head).neq(cap)),
      update: (z) => ({ ppc: pcVal(z, 'P1') }),
    },
    {
      id: 'producer.store_tail',
      guard: (z, s) => atP(z, s, 'P1'),
      update: (z, s) => ({ ppc: pcVal(z, 'P2'), tail: s.tail.add(1) }),
    },
    {
      id: 'producer.require_signal',
      // net_require_signal: returns !consumer_signalled; the load is its own step.
      guard: (z, s) => atP(z, s, 'P2'),
      update: (z, s) => ({ ppc: pcVal(z, 'P3'), r: s.consumer_signalled }),
    },
    {
      id: 'producer.cancel_signal',
      guard: (z, s) => z.And(atP(z, s, 'P3'), s.r.eq(word(z, FLAG_WANTS_SIGNAL))),
      update: (z) => ({ ppc: pcVal(z, 'P4'), consumer_signalled: word(z, FLAG_SIGNALLED) }),
    },
    {
      id: 'producer.skip_notify',
      guard: (z, s) => z.And(atP(z, s, 'P3'), s.r.neq(word(z, FLAG_WANTS_SIGNAL))),
      update: (z) => ({ ppc: pcVal(z, 'P0') }),
    },
    {
      id: 'producer.notify',
      guard: (z, s) => atP(z, s, 'P4'),
      update: (z) => ({ ppc: pcVal(z, 'P0'), notified: one(z) }),
    },
    {
      id: 'consumer.dequeue',
      guard: (z, s) => z.And(atC(z, s, 'C0'), s.tail.neq(s.head)),
      update: (_z, s) => ({ head: s.head.add(1) }),
    },
    {
      id: 'consumer.queue_empty',
      guard: (z, s) => z.And(atC(z, s, 'C0'), s.tail.eq(s.head)),
      update: (z) => ({ cpc: pcVal(z, 'C1') }),
    },
    {
      id: 'consumer.request_signal',
      guard: (z, s) => atC(z, s, 'C1'),
      update: (z) => ({
        cpc: pcVal(z, recheck ? 'C2' : 'C4'),
        consumer_signalled: word(z, FLAG_WANTS_SIGNAL),
      }),
    },
    {
      id: 'consumer.recheck_nonempty',
      guard: (z, s) => z.And(atC(z, s, 'C2'), s.tail.neq(s.head)),
      update: (z) => ({ cpc: pcVal(z, 'C3') }),
    },
    {
      id: 'consumer.recheck_empty_block',
      guard: (z, s) => z.And(atC(z, s, 'C2'), s.tail.eq(s.head)),
      update: (z) => ({ cpc: pcVal(z, 'C4') }),
    },
    {
      id: 'consumer.cancel_signal',
      guard: (z, s) => atC(z, s, 'C3'),
      update: (z) => ({ cpc: pcVal(z, 'C0'), consumer_signalled: word(z, FLAG_SIGNALLED) }),
    },
    {
      id: 'consumer.notified',
      guard: (z, s) => z.And(atC(z, s, 'C4'), s.notified.eq(one(z))),
      update: (z) => ({ cpc: pcVal(z, 'C0'), notified: zero(z) }),
    },
  ];
  assert(actions.length < 2 ** ACTION_BITS, 'action selector too narrow');
  return actions;
}

function freshState(z: Z3, suffix: string): State {
  const s = {} as Record<Var, Z3BitVec>;
  for (const v of VARS) s[v] = z.BitVec.const(`${v}${suffix}`, WIDTH[v]);
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

function initial(z: Z3, s: State, override: HandshakeVariant['initOverride'] = {}): Z3Bool {
  // sddf-protocols.md §1 item 7: MRs are zero-filled, so indices and consumer_signalled start 0
  // (every consumer initially wants a signal, §2.2).
  const values: Record<Var, number> = {
    ppc: 0,
    cpc: 0,
    tail: 0,
    head: 0,
    consumer_signalled: 0,
    r: 0,
    notified: 0,
    ...override,
  };
  return z.And(...VARS.map((v) => s[v].eq(bv(z, values[v], WIDTH[v]))));
}

/** Bad: consumer blocked, queue non-empty, no notification pending, producer done. */
function bad(z: Z3, s: State): Z3Bool {
  return z.And(atC(z, s, 'C4'), s.tail.neq(s.head), s.notified.eq(zero(z)), atP(z, s, 'P0'));
}

/** The inductive invariant; see docs/adr/004-proofs.md for why each clause is needed. */
function invariant(z: Z3, s: State, capacity: Z3BitVec, variant: HandshakeVariant): Z3Bool {
  const flagDown = s.consumer_signalled.eq(word(z, FLAG_WANTS_SIGNAL));
  const empty = s.tail.eq(s.head);
  const noPending = s.notified.eq(zero(z));
  const domain = z.And(
    s.ppc.ule(bv(z, 4, PC_BITS)),
    s.cpc.ule(bv(z, 4, PC_BITS)),
    s.consumer_signalled.ule(word(z, 1)),
    s.r.ule(word(z, 1)),
    // Queue bounds (queue-bounds.net.*), strict while the producer holds a written slot.
    s.tail.sub(s.head).ule(capacity),
    z.Implies(atP(z, s, 'P1'), s.tail.sub(s.head).ult(capacity)),
  );
  // After request_signal and before the re-check, the flag is down unless the producer has
  // cancelled it and is about to notify.
  const armed = z.Implies(z.And(atC(z, s, 'C2'), noPending), z.Or(flagDown, atP(z, s, 'P4')));
  // A blocked consumer with nothing pending: the producer has either not yet published an item
  // (and will see the flag down), or has published and will see the flag down, or has seen it.
  const blocked = z.Implies(
    z.And(atC(z, s, 'C4'), noPending),
    z.And(
      z.Implies(z.Or(atP(z, s, 'P0'), atP(z, s, 'P1')), z.And(empty, flagDown)),
      z.Implies(atP(z, s, 'P2'), flagDown),
      z.Implies(atP(z, s, 'P3'), z.Or(s.r.eq(word(z, FLAG_WANTS_SIGNAL)), z.And(empty, flagDown))),
    ),
  );
  return variant.weakInvariant === true ? z.And(domain, armed) : z.And(domain, armed, blocked);
}

function stateWitnesses(s: State, suffix: string): Record<string, Z3Expr> {
  const out: Record<string, Z3Expr> = {};
  for (const v of VARS) out[`${v}${suffix}`] = s[v];
  return out;
}

/** Replace numeric pcs and action selectors by their names, for a readable counterexample. */
function decode(raw: Counterexample, actions: readonly Action[]): Counterexample {
  const out: Record<string, Counterexample[string]> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'number' && k.startsWith('ppc')) out[k] = PRODUCER_PCS[v] ?? v;
    else if (typeof v === 'number' && k.startsWith('cpc')) out[k] = CONSUMER_PCS[v] ?? v;
    else if (typeof v === 'number' && k === 'action') out[k] = actions[v]?.id ?? v;
    else out[k] = v;
  }
  return out;
}

const MODELS =
  'net signalling protocol: net_enqueue + net_require_signal/net_cancel_signal + notify (producer); ' +
  'drain, net_request_signal, double-check, net_cancel_signal (consumer) (sddf-protocols.md §2.1, §2.2)';

function withDecode(ob: Obligation, actions: readonly Action[]): Obligation {
  return {
    ...ob,
    run: async (z, limits) => {
      const out = await ob.run(z, limits);
      return out.counterexample === undefined
        ? out
        : { ...out, counterexample: decode(out.counterexample, actions) };
    },
  };
}

export function handshakeInitObligation(variant: HandshakeVariant = {}): Obligation {
  const actions = handshakeActions(variant);
  const ob = validityObligation(
    {
      name: 'handshake.init',
      statement: 'the initial state (zero-filled MRs, both PDs at their first step) satisfies Inv',
      widthBits: INDEX_BITS,
      models: MODELS,
    },
    (z) => {
      const { capacity, range } = pow2Capacity(z, { widthBits: INDEX_BITS, maxLog2: 15 });
      const s = freshState(z, '');
      return {
        claim: z.Implies(
          z.And(range, initial(z, s, variant.initOverride)),
          invariant(z, s, capacity, variant),
        ),
        witnesses: { capacity, ...stateWitnesses(s, '') },
      };
    },
  );
  return withDecode(ob, actions);
}

export function handshakeStepObligation(variant: HandshakeVariant = {}): Obligation {
  const actions = handshakeActions(variant);
  const ob = validityObligation(
    {
      name: 'handshake.step',
      statement:
        "Inv is inductive: Inv(s) ∧ s → s' by any one producer or consumer step ⇒ Inv(s'), " +
        'under sequential consistency',
      widthBits: INDEX_BITS,
      models: MODELS,
    },
    (z) => {
      const { capacity, range } = pow2Capacity(z, { widthBits: INDEX_BITS, maxLog2: 15 });
      const pre = freshState(z, '');
      const post = freshState(z, "'");
      const selector = z.BitVec.const('action', ACTION_BITS);
      return {
        claim: z.Implies(
          z.And(
            range,
            invariant(z, pre, capacity, variant),
            stepRelation(z, { actions, pre, post, capacity, selector }),
          ),
          invariant(z, post, capacity, variant),
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
  return withDecode(ob, actions);
}

export function handshakeSafeObligation(variant: HandshakeVariant = {}): Obligation {
  const actions = handshakeActions(variant);
  const ob = validityObligation(
    {
      name: 'handshake.safe',
      statement:
        'Inv ⇒ no lost wakeup: never (consumer blocked ∧ queue non-empty ∧ no notification ' +
        'pending ∧ producer done)',
      widthBits: INDEX_BITS,
      models: MODELS,
    },
    (z) => {
      const { capacity, range } = pow2Capacity(z, { widthBits: INDEX_BITS, maxLog2: 15 });
      const s = freshState(z, '');
      return {
        claim: z.Implies(z.And(range, invariant(z, s, capacity, variant)), z.Not(bad(z, s))),
        witnesses: { capacity, ...stateWitnesses(s, '') },
      };
    },
  );
  return withDecode(ob, actions);
}

/** Deepest unrolling tried; the shortest lost wakeup without re-check is 15 steps (measured). */
export const BMC_MAX_STEPS = 16;
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
  maxSteps: number = BMC_MAX_STEPS,
): Obligation {
  const actions = handshakeActions(variant);
  const recheck = variant.recheck ?? true;
  return {
    name: recheck ? 'handshake.bmc' : 'handshake.no-recheck',
    statement:
      `no lost wakeup within ${maxSteps} interleaved steps from Init` +
      (recheck ? '' : ' when the consumer does not re-check after request_signal'),
    widthBits: INDEX_BITS,
    models:
      MODELS +
      (recheck ? '' : '; without the double-check (bug catalogue F2/F8, serial virt_tx 334e9be8)'),
    ...(recheck
      ? {}
      : {
          expected: 'refuted' as const,
          defect: 'F2/F8 (fixed upstream: the protocol without the fix)',
        }),
    run: (z, limits) => runBmc(z, { actions, variant, maxSteps, timeoutMs: limits.timeoutMs }),
  };
}

async function runBmc(
  z: Z3,
  args: {
    actions: readonly Action[];
    variant: HandshakeVariant;
    maxSteps: number;
    timeoutMs: number;
  },
): Promise<Outcome> {
  assert(args.maxSteps > 0 && args.maxSteps <= 64, `BMC bound out of range: ${args.maxSteps}`);
  // A counterexample needs only one capacity: the Spin model's QUEUE_CAPACITY = 2 (§2.2).
  const capacity = bv(z, BMC_CAPACITY, INDEX_BITS);
  const states: State[] = [freshState(z, '@0')];
  const selectors: Z3BitVec[] = [];
  const solver = new z.Solver();
  solver.set('timeout', BMC_BUDGET_QUERIES * args.timeoutMs);
  solver.add(initial(z, states[0] as State, args.variant.initOverride));
  for (let depth = 0; depth < args.maxSteps; depth++) {
    const next = freshState(z, `@${depth + 1}`);
    const selector = z.BitVec.const(`action@${depth}`, ACTION_BITS);
    solver.add(
      stepRelation(z, {
        actions: args.actions,
        pre: states[depth] as State,
        post: next,
        capacity,
        selector,
      }),
    );
    states.push(next);
    selectors.push(selector);
  }
  // One non-incremental query "Bad at some depth ≤ maxSteps": Z3 bit-blasts it whole, which is
  // several times faster than asking depth by depth with assumptions (measured; ADR 004).
  const badAt = states.map((s) => bad(z, s));
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
  const final = decode(
    evaluateWitnesses(z, model, stateWitnesses(states[depth] as State, '')),
    args.actions,
  );
  return {
    verdict: 'refuted',
    counterexample: { steps: trace, depth, capacity: BMC_CAPACITY, ...final },
  };
}

export function handshakeObligations(): readonly Obligation[] {
  return [
    handshakeInitObligation(),
    handshakeStepObligation(),
    handshakeSafeObligation(),
    handshakeBmcObligation({ recheck: false }),
  ];
}
