import { describe, expect, it } from 'vitest';
import {
  BMC_CAPACITY,
  handshakeActions,
  handshakeBmcObligation,
  handshakeInitObligation,
  handshakeObligations,
  handshakeSafeObligation,
  handshakeStepObligation,
} from '../../../proofs/smt/handshake.ts';
import type { ObligationResult } from '../../../proofs/smt/index.ts';
import { Z3_TEST_TIMEOUT_MS, num, useProver } from './helpers.ts';

const prover = useProver();

/** The BMC run is the slowest query: run it once per file and share its result. */
let bmcResult: Promise<ObligationResult> | undefined;
const noRecheck = (): Promise<ObligationResult> =>
  (bmcResult ??= prover.current.run(handshakeBmcObligation({ recheck: false })));

/**
 * An independent interpreter of the handshake in plain TypeScript with C semantics
 * (sddf-protocols.md §2.1–2.2), to replay counterexamples found by Z3.
 */
interface HsState {
  ppc: string;
  cpc: string;
  tail: number;
  head: number;
  consumer_signalled: number;
  r: number;
  notified: boolean;
}

function step(s: HsState, action: string, opts: { recheck: boolean; capacity: number }): HsState {
  const n = { ...s };
  const need = (cond: boolean): void => {
    if (!cond) throw new Error(`action ${action} not enabled in ${JSON.stringify(s)}`);
  };
  switch (action) {
    case 'producer.write_slot':
      need(s.ppc === 'P0' && ((s.tail - s.head) & 0xffff) !== opts.capacity);
      n.ppc = 'P1';
      break;
    case 'producer.store_tail':
      need(s.ppc === 'P1');
      n.tail = (s.tail + 1) & 0xffff;
      n.ppc = 'P2';
      break;
    case 'producer.require_signal':
      need(s.ppc === 'P2');
      n.r = s.consumer_signalled;
      n.ppc = 'P3';
      break;
    case 'producer.cancel_signal':
      need(s.ppc === 'P3' && s.r === 0);
      n.consumer_signalled = 1;
      n.ppc = 'P4';
      break;
    case 'producer.skip_notify':
      need(s.ppc === 'P3' && s.r !== 0);
      n.ppc = 'P0';
      break;
    case 'producer.notify':
      need(s.ppc === 'P4');
      n.notified = true;
      n.ppc = 'P0';
      break;
    case 'consumer.dequeue':
      need(s.cpc === 'C0' && s.tail !== s.head);
      n.head = (s.head + 1) & 0xffff;
      break;
    case 'consumer.queue_empty':
      need(s.cpc === 'C0' && s.tail === s.head);
      n.cpc = 'C1';
      break;
    case 'consumer.request_signal':
      need(s.cpc === 'C1');
      n.consumer_signalled = 0;
      n.cpc = opts.recheck ? 'C2' : 'C4';
      break;
    case 'consumer.recheck_nonempty':
      need(s.cpc === 'C2' && s.tail !== s.head);
      n.cpc = 'C3';
      break;
    case 'consumer.recheck_empty_block':
      need(s.cpc === 'C2' && s.tail === s.head);
      n.cpc = 'C4';
      break;
    case 'consumer.cancel_signal':
      need(s.cpc === 'C3');
      n.consumer_signalled = 1;
      n.cpc = 'C0';
      break;
    case 'consumer.notified':
      need(s.cpc === 'C4' && s.notified);
      n.notified = false;
      n.cpc = 'C0';
      break;
    default:
      throw new Error(`unknown action ${action}`);
  }
  return n;
}

const INITIAL: HsState = {
  ppc: 'P0',
  cpc: 'C0',
  tail: 0,
  head: 0,
  consumer_signalled: 0,
  r: 0,
  notified: false,
};

const lostWakeup = (s: HsState): boolean =>
  s.cpc === 'C4' && s.tail !== s.head && !s.notified && s.ppc === 'P0';

describe('handshake obligations', () => {
  it(
    'init, step (inductiveness) and safe are proved; no-recheck is refuted as expected',
    async () => {
      const verdicts: Record<string, string> = {};
      for (const ob of handshakeObligations()) {
        const r =
          ob.name === 'handshake.no-recheck' ? await noRecheck() : await prover.current.run(ob);
        verdicts[r.name] = r.verdict;
        expect(r.matches, r.name).toBe(true);
      }
      expect(verdicts).toEqual({
        'handshake.init': 'proved',
        'handshake.step': 'proved',
        'handshake.safe': 'proved',
        'handshake.no-recheck': 'refuted',
      });
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'the no-recheck counterexample is a real step sequence ending in a lost wakeup',
    async () => {
      const r = await noRecheck();
      expect(r.verdict).toBe('refuted');
      const steps = r.counterexample?.['steps'];
      expect(Array.isArray(steps)).toBe(true);
      const ids = steps as readonly string[];
      expect(ids.length).toBe(num(r.counterexample, 'depth'));
      let s = INITIAL;
      for (const id of ids) s = step(s, id, { recheck: false, capacity: BMC_CAPACITY });
      expect(lostWakeup(s)).toBe(true);
      // The final state Z3 reports is the one the replay reaches.
      expect(s.tail).toBe(num(r.counterexample, 'tail'));
      expect(s.head).toBe(num(r.counterexample, 'head'));
      expect(r.counterexample?.['cpc']).toBe('C4');
      // Every action id it uses is one of the model's.
      const known = new Set(handshakeActions({ recheck: false }).map((a) => a.id));
      for (const id of ids) expect(known.has(id)).toBe(true);
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it('the replay interpreter agrees that the same steps are not enabled with the re-check', () => {
    // With the re-check, request_signal leads to C2, so the consumer cannot block on a
    // non-empty queue by that path: replaying the shape of the lost wakeup fails.
    let s = INITIAL;
    s = step(s, 'producer.write_slot', { recheck: true, capacity: 2 });
    s = step(s, 'producer.store_tail', { recheck: true, capacity: 2 });
    s = { ...s, cpc: 'C1' };
    s = step(s, 'consumer.request_signal', { recheck: true, capacity: 2 });
    expect(() => step(s, 'consumer.recheck_empty_block', { recheck: true, capacity: 2 })).toThrow(
      /not enabled/,
    );
  });
});

describe('seeded breaks', () => {
  it(
    'removing the re-check breaks inductiveness, with a concrete pre/post state',
    async () => {
      const r = await prover.current.run(handshakeStepObligation({ recheck: false }));
      expect(r.verdict).toBe('refuted');
      const cex = r.counterexample;
      expect(cex?.['action']).toBe('consumer.request_signal');
      expect(cex?.["cpc'"]).toBe('C4');
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

  it(
    'a weakened invariant no longer implies safety',
    async () => {
      const r = await prover.current.run(handshakeSafeObligation({ weakInvariant: true }));
      expect(r.verdict).toBe('refuted');
      const cex = r.counterexample;
      expect(cex?.['cpc']).toBe('C4');
      expect(cex?.['ppc']).toBe('P0');
      expect(num(cex, 'notified')).toBe(0);
      expect(num(cex, 'tail')).not.toBe(num(cex, 'head'));
    },
    Z3_TEST_TIMEOUT_MS,
  );

  it(
    'BMC of the correct protocol reaches its bound: unknown (incomplete), never proved',
    async () => {
      const r = await prover.current.run(handshakeBmcObligation({ recheck: true }, 8));
      expect(r.verdict).toBe('unknown');
      expect(r.reason).toMatch(/bound of 8 steps/);
      expect(r.matches).toBe(false);
    },
    Z3_TEST_TIMEOUT_MS,
  );
});
