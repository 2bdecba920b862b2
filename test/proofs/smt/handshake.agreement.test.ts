// Every step of the Z3 handshake encoding (proofs/smt/handshake.ts) agrees with the spec's queue
// and signalling operations (spec/queue/net.ts, serial.ts, run on a plain memory) on many concrete
// states, including indices at the u16 and u32 wraps: a step is enabled exactly when the spec's
// check allows it, and it writes the index or flag value the spec operation stores.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HANDSHAKE_VARS,
  handshakeActions,
  handshakeVarWidth,
  type HandshakeProtocol,
  type HandshakeState,
  type HandshakeVar,
} from '../../../proofs/smt/handshake.ts';
import { bv } from '../../../proofs/smt/obligation.ts';
import {
  NET_FLAVOUR_HEAD,
  netCancelSignal,
  netDequeue,
  netEmpty,
  netEnqueue,
  netFull,
  netRequestSignal,
  netRequireSignal,
} from '../../../spec/queue/net.ts';
import {
  SERIAL_FLAVOUR_HEAD,
  serialCancelConsumerSignal,
  serialDequeue,
  serialEnqueue,
  serialFullAt,
  serialRequestConsumerSignal,
  serialRequireConsumerSignal,
} from '../../../spec/queue/serial.ts';
import { FLAG_WANTS_SIGNAL } from '../../../spec/signal/handshake.ts';
import { RecordingMemory } from '../../spec/queue/recording-memory.ts';
import { evaluate, useZ3 } from './helpers.ts';

const z3 = useZ3();

type Values = Record<HandshakeVar, number>;
/** What the spec says about one step in one state: enabled, and the data words it writes. */
interface Expected {
  readonly enabled: boolean;
  readonly writes: Partial<Record<HandshakeVar, number>>;
}

/** One queue (tail, head, flag) on a plain memory; `op` runs spec operations on it. */
function onQueue<R>(
  protocol: HandshakeProtocol,
  v: Values,
  capacity: number,
  op: (mem: RecordingMemory) => R,
): { result: R; tail: number; head: number; flag: number } {
  const mem = new RecordingMemory(['tail', 'head', 'flag'], 'slot', capacity);
  mem.words[0] = v.tail;
  mem.words[1] = v.head;
  mem.words[2] = v.flag;
  void protocol;
  const result = op(mem);
  return { result, tail: mem.words[0]!, head: mem.words[1]!, flag: mem.words[2]! };
}

const netQ = (capacity: number) => ({
  name: 'q',
  tail: 0,
  head: 1,
  consumerSignalled: 2,
  slots: 3,
  capacity,
});
const serialQ = (capacity: number) => ({
  name: 'q',
  tail: 0,
  head: 1,
  producerSignalled: 2,
  data: 3,
  capacity,
});

/** The spec's view of each step, by action id (the step's pc condition plus the spec check). */
function expected(protocol: HandshakeProtocol, id: string, v: Values, cap: number): Expected {
  const net = protocol === 'net';
  const q = <R>(op: (mem: RecordingMemory) => R) => onQueue(protocol, v, cap, op);
  const full = net
    ? (q((m) => netFull(m, netQ(cap), NET_FLAVOUR_HEAD)).result as boolean)
    : (q((m) => serialFullAt(m, serialQ(cap), SERIAL_FLAVOUR_HEAD, v.tail)).result as boolean);
  const empty = net
    ? (q((m) => netEmpty(m, netQ(cap), NET_FLAVOUR_HEAD)).result as boolean)
    : v.tail === v.head;
  const [role, step] = id.split('.') as [string, string];
  const pc = role === 'producer' ? v.ppc : v.cpc;
  const at = (n: number, more = true): boolean => pc === n && more;
  switch (step) {
    case 'write_slot':
      return { enabled: at(0, !full), writes: {} };
    case 'store_tail': {
      const r = q((m) => netEnqueue(m, netQ(cap), NET_FLAVOUR_HEAD, 1));
      return { enabled: at(1), writes: r.result ? { tail: r.tail } : {} };
    }
    case 'read_slot':
      return { enabled: at(0, !empty), writes: {} };
    case 'store_head': {
      const r = q((m) => serialDequeue(m, serialQ(cap), SERIAL_FLAVOUR_HEAD));
      return { enabled: at(1), writes: r.result !== null ? { head: r.head } : {} };
    }
    case 'require_signal': {
      // The step loads the flag into r; the waker then acts on `r == FLAG_WANTS_SIGNAL`, which is
      // what the spec's require_signal returns.
      const wants = net
        ? q((m) => netRequireSignal(m, netQ(cap), NET_FLAVOUR_HEAD)).result
        : q((m) => serialRequireConsumerSignal(m, serialQ(cap), SERIAL_FLAVOUR_HEAD)).result;
      return { enabled: at(2), writes: { r: wants ? FLAG_WANTS_SIGNAL : v.flag } };
    }
    case 'cancel_signal': {
      const r = net
        ? q((m) => netCancelSignal(m, netQ(cap)))
        : q((m) => serialCancelConsumerSignal(m, serialQ(cap), SERIAL_FLAVOUR_HEAD));
      const waker = (net && role === 'producer') || (!net && role === 'consumer');
      return {
        enabled: waker ? at(3, v.r === FLAG_WANTS_SIGNAL) : at(3),
        writes: { flag: r.flag },
      };
    }
    case 'skip_notify':
      return { enabled: at(3, v.r !== FLAG_WANTS_SIGNAL), writes: {} };
    case 'notify':
      return { enabled: at(4), writes: { notified: 1 } };
    case 'dequeue': {
      const r = q((m) => netDequeue(m, netQ(cap), NET_FLAVOUR_HEAD));
      return { enabled: at(0, !empty), writes: r.result !== null ? { head: r.head } : {} };
    }
    case 'enqueue': {
      const r = q((m) => serialEnqueue(m, serialQ(cap), SERIAL_FLAVOUR_HEAD, 1));
      return { enabled: at(0, r.result), writes: r.result ? { tail: r.tail } : {} };
    }
    case 'queue_empty':
      return { enabled: at(0, empty), writes: {} };
    case 'queue_full':
      return { enabled: at(0, full), writes: {} };
    case 'request_signal': {
      const r = net
        ? q((m) => netRequestSignal(m, netQ(cap), NET_FLAVOUR_HEAD))
        : q((m) => serialRequestConsumerSignal(m, serialQ(cap), SERIAL_FLAVOUR_HEAD));
      return { enabled: at(1), writes: { flag: r.flag } };
    }
    case 'recheck_nonempty':
      return { enabled: at(2, !empty), writes: {} };
    case 'recheck_empty_block':
      return { enabled: at(2, empty), writes: {} };
    case 'recheck_not_full':
      return { enabled: at(2, !full), writes: {} };
    case 'recheck_full_block':
      return { enabled: at(2, full), writes: {} };
    case 'notified':
      return { enabled: at(4, v.notified === 1), writes: { notified: 0 } };
    default:
      throw new Error(`no spec view of handshake step ${id}`);
  }
}

function valuesArb(protocol: HandshakeProtocol) {
  const w = protocol === 'net' ? 16 : 32;
  const max = w === 16 ? 0xffff : 0xffff_ffff;
  const index = fc.oneof(
    fc.integer({ min: max - 3, max }),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max }),
  );
  return fc
    .record({
      capacity: fc.integer({ min: 0, max: 4 }).map((k) => 2 ** k),
      ppc: fc.integer({ min: 0, max: 4 }),
      cpc: fc.integer({ min: 0, max: 4 }),
      head: index,
      delta: fc.integer({ min: 0, max: 17 }),
      flag: fc.integer({ min: 0, max: 1 }),
      r: fc.integer({ min: 0, max: 1 }),
      notified: fc.integer({ min: 0, max: 1 }),
    })
    .map(({ capacity, delta, ...v }) => {
      // Within the bounds the handshake invariant keeps (tail − head ≤ capacity).
      const tail = (v.head + (delta % (capacity + 1))) % (max + 1);
      return { capacity, values: { ...v, tail } as Values };
    });
}

/** Compare every step of `actions` with the spec on `runs` random states. */
async function compareSteps(
  protocol: HandshakeProtocol,
  actions: ReturnType<typeof handshakeActions>,
  runs: number,
): Promise<Map<string, { on: number; off: number }>> {
  const z = z3.current;
  const seen = new Map<string, { on: number; off: number }>();
  await fc.assert(
    fc.asyncProperty(valuesArb(protocol), async ({ capacity, values }) => {
      const s = Object.fromEntries(
        HANDSHAKE_VARS.map((v) => [v, bv(z, values[v], handshakeVarWidth(protocol, v))]),
      ) as HandshakeState;
      const cap = bv(z, capacity, protocol === 'net' ? 16 : 32);
      for (const action of actions) {
        const want = expected(protocol, action.id, values, capacity);
        const enabled = await evaluate(z, action.guard(z, s, cap));
        expect(enabled, `${action.id} enabled in ${JSON.stringify(values)}`).toBe(want.enabled);
        const count = seen.get(action.id) ?? { on: 0, off: 0 };
        count[enabled ? 'on' : 'off']++;
        seen.set(action.id, count);
        if (!enabled) continue;
        const update = action.update(z, s);
        for (const [v, value] of Object.entries(want.writes)) {
          const term = update[v as HandshakeVar];
          expect(term, `${action.id} writes ${v}`).toBeDefined();
          expect(await evaluate(z, term!), `${action.id} ${v}'`).toBe(value);
        }
      }
    }),
    { numRuns: runs },
  );
  return seen;
}

describe('handshake steps agree with the spec operations', () => {
  for (const protocol of ['net', 'serial'] as const) {
    it(`${protocol}: every step, enabled and written values`, async () => {
      const actions = handshakeActions({ protocol });
      const seen = await compareSteps(protocol, actions, 150);
      // Every step was seen enabled and disabled: each comparison happened both ways.
      for (const action of actions) {
        const c = seen.get(action.id)!;
        expect(c.on, `${action.id} enabled`).toBeGreaterThan(0);
        expect(c.off, `${action.id} disabled`).toBeGreaterThan(0);
      }
    });
  }

  it('a disagreement is caught: F7 (the waiter never arms the flag) is not the spec request_signal', async () => {
    const f7 = handshakeActions({ protocol: 'serial', requestStoresFlag: false });
    const err = await compareSteps('serial', f7, 150).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).cause)).toMatch(/producer.request_signal writes flag/);
  });
});
