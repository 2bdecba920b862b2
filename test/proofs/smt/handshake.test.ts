import { describe, expect, it } from 'vitest';
import {
  BMC_CAPACITY,
  handshakeActions,
  handshakeBmcObligation,
  handshakeInitObligation,
  handshakeObligations,
  handshakeSafeObligation,
  handshakeStepObligation,
  type HandshakeProtocol,
  type HandshakeVariant,
} from '../../../proofs/smt/handshake.ts';
import type { ObligationResult } from '../../../proofs/smt/index.ts';
import { Z3_TEST_TIMEOUT_MS, big, num, useProver } from './helpers.ts';

const prover = useProver();

/** The BMC runs are the slowest queries: run each once per file and share the result. */
const bmcResults = new Map<string, Promise<ObligationResult>>();
function bmc(variant: HandshakeVariant): Promise<ObligationResult> {
  const ob = handshakeBmcObligation(variant);
  let result = bmcResults.get(ob.name);
  if (result === undefined) {
    result = prover.current.run(ob);
    bmcResults.set(ob.name, result);
  }
  return result;
}

/**
 * An independent interpreter of the handshake in plain TypeScript with C semantics
 * (sddf-protocols.md §2.1, §2.2, §2.4), to replay counterexamples found by Z3.
 * net: the producer wakes the consumer; serial: the consumer wakes the producer.
 */
interface HsState {
  ppc: string;
  cpc: string;
  tail: number;
  head: number;
  flag: number;
  r: number;
  notified: boolean;
}

interface Replay {
  readonly protocol: HandshakeProtocol;
  readonly recheck: boolean;
  readonly requestStoresFlag: boolean;
  readonly capacity: number;
}

function step(s: HsState, action: string, o: Replay): HsState {
  const mask = o.protocol === 'net' ? 0xffff : 0xffffffff;
  const len = (s.tail - s.head) & mask;
  const net = o.protocol === 'net';
  // Work possible for the waiter: net consumer non-empty; serial producer not full.
  const possible = net ? len !== 0 : len !== o.capacity;
  const [pd, verb] = action.split('.') as [string, string];
  const waker = net ? 'producer' : 'consumer';
  const pcKey = pd === 'producer' ? 'ppc' : 'cpc';
  const pcPrefix = pd === 'producer' ? 'P' : 'C';
  const pc = Number(s[pcKey].slice(1));
  const n = { ...s };
  const go = (i: number): void => {
    n[pcKey] = `${pcPrefix}${i}`;
  };
  const need = (cond: boolean): void => {
    if (!cond) throw new Error(`action ${action} not enabled in ${JSON.stringify(s)}`);
  };
  if (pd === waker) {
    switch (verb) {
      case 'write_slot':
        need(net && pc === 0 && len !== o.capacity);
        go(1);
        break;
      case 'read_slot':
        need(!net && pc === 0 && len !== 0);
        go(1);
        break;
      case 'store_tail':
        need(net && pc === 1);
        n.tail = (s.tail + 1) & mask;
        go(2);
        break;
      case 'store_head':
        need(!net && pc === 1);
        n.head = (s.head + 1) & mask;
        go(2);
        break;
      case 'require_signal':
        need(pc === 2);
        n.r = s.flag;
        go(3);
        break;
      case 'cancel_signal':
        need(pc === 3 && s.r === 0);
        n.flag = 1;
        go(4);
        break;
      case 'skip_notify':
        need(pc === 3 && s.r !== 0);
        go(0);
        break;
      case 'notify':
        need(pc === 4);
        n.notified = true;
        go(0);
        break;
      default:
        throw new Error(`unknown waker action ${action}`);
    }
    return n;
  }
  switch (verb) {
    case 'dequeue':
      need(net && pc === 0 && possible);
      n.head = (s.head + 1) & mask;
      break;
    case 'enqueue':
      need(!net && pc === 0 && possible);
      n.tail = (s.tail + 1) & mask;
      break;
    case 'queue_empty':
    case 'queue_full':
      need(pc === 0 && !possible && verb === (net ? 'queue_empty' : 'queue_full'));
      go(1);
      break;
    case 'request_signal':
      need(pc === 1);
      if (o.requestStoresFlag) n.flag = 0;
      go(o.recheck ? 2 : 4);
      break;
    case 'recheck_nonempty':
    case 'recheck_not_full':
      need(pc === 2 && possible);
      go(3);
      break;
    case 'recheck_empty_block':
    case 'recheck_full_block':
      need(pc === 2 && !possible);
      go(4);
      break;
    case 'cancel_signal':
      need(pc === 3);
      n.flag = 1;
      go(0);
      break;
    case 'notified':
      need(pc === 4 && s.notified);
      n.notified = false;
      go(0);
      break;
    default:
      throw new Error(`unknown waiter action ${action}`);
  }
  return n;
}

const INITIAL: HsState = {
  ppc: 'P0',
  cpc: 'C0',
  tail: 0,
  head: 0,
  flag: 0,
  r: 0,
  notified: false,
};

function lostWakeup(s: HsState, o: Replay): boolean {
  const len = (s.tail - s.head) & (o.protocol === 'net' ? 0xffff : 0xffffffff);
  return o.protocol === 'net'
    ? s.cpc === 'C4' && len !== 0 && !s.notified && s.ppc === 'P0'
    : s.ppc === 'P4' && len !== o.capacity && !s.notified && s.cpc === 'C0';
}

describe('handshake obligations', () => {
  it(
    'init, step (inductiveness) and safe are proved for net and serial; seeded bugs refuted',
    async () => {
      const verdicts: Record<string, string> = {};
      for (const ob of handshakeObligations()) {
        const r =
          ob.expected === 'refuted'
            ? await prover.current.run(ob).then((x) => {
                bmcResults.set(ob.name, Promise.resolve(x));
                return x;
              })
            : await prover.current.run(ob);
        verdicts[r.name] = r.verdict;
        expect(r.matches, r.name).toBe(true);
      }
      expect(verdicts).toEqual({
        'handshake.net.init': 'proved',
        'handshake.net.step': 'proved',
        'handshake.net.safe': 'proved',
        'handshake.net.no-recheck': 'refuted',
        'handshake.net.head-step': 'refuted',
        'handshake.serial.init': 'proved',
        'handshake.serial.step': 'proved',
        'handshake.serial.safe': 'proved',
        'handshake.serial.no-recheck': 'refuted',
        'handshake.serial.require-not-request': 'refuted',
      });
    },
    Z3_TEST_TIMEOUT_MS,
  );

  for (const variant of [
    { protocol: 'net', recheck: false },
    { protocol: 'serial', recheck: false },
    { protocol: 'serial', requestStoresFlag: false },
  ] as const) {
    const name = handshakeBmcObligation(variant).name;
    it(
      `${name}: the counterexample is a real step sequence ending in a lost wakeup`,
      async () => {
        const r = await bmc(variant);
        expect(r.verdict).toBe('refuted');
        const steps = r.counterexample?.['steps'];
        expect(Array.isArray(steps)).toBe(true);
        const ids = steps as readonly string[];
        expect(ids.length).toBe(num(r.counterexample, 'depth'));
        const replay: Replay = {
          protocol: variant.protocol,
          recheck: !('recheck' in variant) || variant.recheck,
          requestStoresFlag: !('requestStoresFlag' in variant) || variant.requestStoresFlag,
          capacity: BMC_CAPACITY,
        };
        let s = INITIAL;
        for (const id of ids) s = step(s, id, replay);
        expect(lostWakeup(s, replay)).toBe(true);
        // The final state Z3 reports is the one the replay reaches.
        expect(s.tail).toBe(num(r.counterexample, 'tail'));
        expect(s.head).toBe(num(r.counterexample, 'head'));
        const flagName = variant.protocol === 'net' ? 'consumer_signalled' : 'producer_signalled';
        expect(s.flag).toBe(num(r.counterexample, flagName));
        const known = new Set(handshakeActions(variant).map((a) => a.id));
        for (const id of ids) expect(known.has(id)).toBe(true);
      },
      Z3_TEST_TIMEOUT_MS,
    );
  }

  it('the replay interpreter refuses steps the protocol does not allow', () => {
    const o: Replay = { protocol: 'net', recheck: true, requestStoresFlag: true, capacity: 2 };
    let s = INITIAL;
    s = step(s, 'producer.write_slot', o);
    s = step(s, 'producer.store_tail', o);
    s = { ...s, cpc: 'C1' };
    s = step(s, 'consumer.request_signal', o);
    // With the re-check the consumer cannot block on a non-empty queue.
    expect(() => step(s, 'consumer.recheck_empty_block', o)).toThrow(/not enabled/);
  });
});

describe('seeded breaks', () => {
  for (const protocol of ['net', 'serial'] as const) {
    it(
      `${protocol}: removing the re-check breaks inductiveness at request_signal`,
      async () => {
        const r = await prover.current.run(handshakeStepObligation({ protocol, recheck: false }));
        expect(r.verdict).toBe('refuted');
        const waiter = protocol === 'net' ? 'consumer' : 'producer';
        expect(r.counterexample?.['action']).toBe(`${waiter}.request_signal`);
        expect(r.counterexample?.[protocol === 'net' ? "cpc'" : "ppc'"]).toBe(
          protocol === 'net' ? 'C4' : 'P4',
        );
      },
      Z3_TEST_TIMEOUT_MS,
    );
  }

  it(
    'serial: a request_signal that does not arm the flag (F7) breaks inductiveness',
    async () => {
      const r = await prover.current.run(
        handshakeStepObligation({ protocol: 'serial', requestStoresFlag: false }),
      );
      expect(r.verdict).toBe('refuted');
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'a bad initial state (consumer blocked on a non-empty queue) violates the invariant',
    async () => {
      const r = await prover.current.run(
        handshakeInitObligation({ initOverride: { cpc: 4, tail: 1 } }),
      );
      expect(r.verdict).toBe('refuted');
    },
    Z3_TEST_TIMEOUT_MS,
  );

  for (const protocol of ['net', 'serial'] as const) {
    it(
      `${protocol}: a weakened invariant no longer implies safety`,
      async () => {
        const r = await prover.current.run(
          handshakeSafeObligation({ protocol, weakInvariant: true }),
        );
        expect(r.verdict).toBe('refuted');
        const cex = r.counterexample;
        const [waiterPc, wakerPc] = protocol === 'net' ? ['cpc', 'ppc'] : ['ppc', 'cpc'];
        expect(String(cex?.[waiterPc]).endsWith('4')).toBe(true);
        expect(String(cex?.[wakerPc]).endsWith('0')).toBe(true);
        expect(num(cex, 'notified')).toBe(0);
      },
      Z3_TEST_TIMEOUT_MS,
    );
  }

  it(
    'BMC of the correct protocol reaches its bound: unknown (incomplete), never proved',
    async () => {
      const r = await prover.current.run(handshakeBmcObligation({ recheck: true }, 8));
      expect(r.name).toBe('handshake.net.bmc');
      expect(r.verdict).toBe('unknown');
      expect(r.reason).toMatch(/bound of 8 steps/);
      expect(r.matches).toBe(false);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'at HEAD (U1: the full check in C int) the net step is refuted at the u16 wrap, in C arithmetic',
    async () => {
      const ob = handshakeObligations().find((o) => o.name === 'handshake.net.head-step');
      expect(ob?.expected).toBe('refuted');
      const r = await prover.current.run(ob as NonNullable<typeof ob>);
      const cex = r.counterexample;
      const [tail, head, cap] = [big(cex, 'tail'), big(cex, 'head'), big(cex, 'capacity')];
      // HEAD's check `tail - head == capacity` in int says "not full" ...
      expect(tail - head === cap).toBe(false);
      // ... while the u16 queue is full, and the producer's store of tail overflows it.
      expect((tail - head + 65536n) % 65536n).toBe(cap);
      expect((big(cex, "tail'") - head + 65536n) % 65536n).toBe(cap + 1n);
    },
    Z3_TEST_TIMEOUT_MS,
  );
});
