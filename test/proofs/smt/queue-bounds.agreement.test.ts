// Every Z3 encoding of a queue operation in proofs/smt/queue-bounds.ts agrees with the spec's
// operation (spec/queue, run on a plain memory) on many concrete states, including states at the
// u16 and u32 wraps: the guard is true exactly when the spec operation proceeds, and the update
// writes exactly the indices the spec operation stores (docs/adr/014-z3-tied-to-spec.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bvArith } from '../../../proofs/smt/arith.ts';
import { bv } from '../../../proofs/smt/obligation.ts';
import {
  findOp,
  queueBoundsObligations,
  type QueueSystem,
} from '../../../proofs/smt/queue-bounds.ts';
import { wrapIndex } from '../../../spec/queue/ring.ts';
import { BLK_FLAVOUR_HEAD, blkDequeue, blkEnqueue } from '../../../spec/queue/blk.ts';
import {
  I2C_FLAVOUR_HEAD,
  i2cDequeueRequest,
  i2cDequeueResponse,
  i2cEnqueueRequest,
  i2cEnqueueResponse,
  i2cRequestAbort,
  i2cRequestCommit,
} from '../../../spec/queue/i2c.ts';
import { NET_FLAVOUR_HEAD, netDequeue, netEnqueue } from '../../../spec/queue/net.ts';
import {
  SERIAL_FLAVOUR_HEAD,
  serialDequeue,
  serialDequeueLocal,
  serialEnqueue,
  serialEnqueueLocal,
  serialUpdateSharedHead,
  serialUpdateSharedTail,
} from '../../../spec/queue/serial.ts';
import { RecordingMemory } from '../../spec/queue/recording-memory.ts';
import { evaluate, useZ3 } from './helpers.ts';

const z3 = useZ3();

type Words = Record<string, number>;
interface SpecRun {
  readonly ok: boolean;
  readonly after: Words;
}

/**
 * Run a spec operation on a memory holding `w` (shared indices as fields, private indices as
 * locals the operation takes and returns). Field order is the C struct's.
 */
function withMemory(
  fields: readonly string[],
  w: Words,
  capacity: number,
  run: (mem: RecordingMemory, at: Record<string, number>) => { ok: boolean; locals?: Words },
): SpecRun {
  const mem = new RecordingMemory(fields, 'slot', capacity);
  const at: Record<string, number> = { slots: mem.slots };
  fields.forEach((f, i) => {
    at[f] = i;
    mem.words[i] = w[f] ?? 0;
  });
  const r = run(mem, at);
  const after: Words = { ...w, ...(r.locals ?? {}) };
  for (const f of fields) if (f in w) after[f] = mem.words[at[f]!]!;
  return { ok: r.ok, after };
}

const NET = ['tail', 'head', 'consumer_signalled'];
const BLK = ['head', 'tail'];
const SERIAL = ['tail', 'head', 'producer_signalled'];
const I2C_REQ = ['staged_tail', 'tail', 'head'];
const I2C_RESP = ['tail', 'head'];

const netRef = (at: Record<string, number>, capacity: number) => ({
  name: 'q',
  tail: at['tail']!,
  head: at['head']!,
  consumerSignalled: at['consumer_signalled']!,
  slots: at['slots']!,
  capacity,
});
const blkRef = (at: Record<string, number>, capacity: number) => ({
  name: 'q',
  head: at['head']!,
  tail: at['tail']!,
  slots: at['slots']!,
  capacity,
});
const serialRef = (at: Record<string, number>, capacity: number) => ({
  name: 'q',
  tail: at['tail']!,
  head: at['head']!,
  producerSignalled: at['producer_signalled']!,
  data: at['slots']!,
  capacity,
});
const i2cReqRef = (at: Record<string, number>, capacity: number) => ({
  name: 'q',
  stagedTail: at['staged_tail']!,
  tail: at['tail']!,
  head: at['head']!,
  slots: at['slots']!,
  capacity,
});

/** The spec operation each `queue-bounds.<cls>.<op>` encodes. */
function specOp(cls: string, op: string): (w: Words, capacity: number) => SpecRun {
  const i2c = cls.startsWith('i2c');
  switch (`${i2c ? 'i2c' : cls}.${op}`) {
    case 'net.enqueue':
      return (w, c) =>
        withMemory(NET, w, c, (m, at) => ({
          ok: netEnqueue(m, netRef(at, c), NET_FLAVOUR_HEAD, 7),
        }));
    case 'net.dequeue':
      return (w, c) =>
        withMemory(NET, w, c, (m, at) => ({
          ok: netDequeue(m, netRef(at, c), NET_FLAVOUR_HEAD) !== null,
        }));
    case 'blk.enqueue':
      return (w, c) =>
        withMemory(BLK, w, c, (m, at) => ({
          ok: blkEnqueue(m, blkRef(at, c), 7, BLK_FLAVOUR_HEAD),
        }));
    case 'blk.dequeue':
      return (w, c) =>
        withMemory(BLK, w, c, (m, at) => ({
          ok: blkDequeue(m, blkRef(at, c), BLK_FLAVOUR_HEAD) !== null,
        }));
    case 'serial.enqueue':
    case 'serial.enqueue_during_local_head':
      return (w, c) =>
        withMemory(SERIAL, w, c, (m, at) => ({
          ok: serialEnqueue(m, serialRef(at, c), SERIAL_FLAVOUR_HEAD, 7),
        }));
    case 'serial.dequeue':
    case 'serial.dequeue_during_local_tail':
      return (w, c) =>
        withMemory(SERIAL, w, c, (m, at) => ({
          ok: serialDequeue(m, serialRef(at, c), SERIAL_FLAVOUR_HEAD) !== null,
        }));
    case 'serial.enqueue_local':
      return (w, c) =>
        withMemory(SERIAL, w, c, (m, at) => {
          const next = serialEnqueueLocal(
            m,
            serialRef(at, c),
            SERIAL_FLAVOUR_HEAD,
            w['local_tail']!,
            7,
          );
          return next === null ? { ok: false } : { ok: true, locals: { local_tail: next } };
        });
    case 'serial.update_shared_tail':
      return (w, c) =>
        withMemory(SERIAL, w, c, (m, at) => ({
          ok:
            serialUpdateSharedTail(m, serialRef(at, c), SERIAL_FLAVOUR_HEAD, w['local_tail']!) ===
            null,
        }));
    case 'serial.dequeue_local':
      return (w, c) =>
        withMemory(SERIAL, w, c, (m, at) => {
          const r = serialDequeueLocal(m, serialRef(at, c), SERIAL_FLAVOUR_HEAD, w['local_head']!);
          return r === null ? { ok: false } : { ok: true, locals: { local_head: r.localHead } };
        });
    case 'serial.update_shared_head':
      return (w, c) =>
        withMemory(SERIAL, w, c, (m, at) => ({
          ok:
            serialUpdateSharedHead(m, serialRef(at, c), SERIAL_FLAVOUR_HEAD, w['local_head']!) ===
            null,
        }));
    case 'i2c.enqueue_request':
      return (w, c) =>
        withMemory(I2C_REQ, w, c, (m, at) => ({
          ok: i2cEnqueueRequest(m, i2cReqRef(at, c), I2C_FLAVOUR_HEAD, 7),
        }));
    case 'i2c.commit':
      return (w, c) =>
        withMemory(I2C_REQ, w, c, (m, at) => {
          i2cRequestCommit(m, i2cReqRef(at, c));
          return { ok: true };
        });
    case 'i2c.abort':
      return (w, c) =>
        withMemory(I2C_REQ, w, c, (m, at) => {
          i2cRequestAbort(m, i2cReqRef(at, c));
          return { ok: true };
        });
    case 'i2c.dequeue_request':
      return (w, c) =>
        withMemory(I2C_REQ, w, c, (m, at) => ({
          ok: i2cDequeueRequest(m, i2cReqRef(at, c), I2C_FLAVOUR_HEAD) !== null,
        }));
    case 'i2c.enqueue_response':
      return (w, c) =>
        withMemory(I2C_RESP, w, c, (m, at) => ({
          ok: i2cEnqueueResponse(m, blkRef(at, c), I2C_FLAVOUR_HEAD, 7),
        }));
    case 'i2c.dequeue_response':
      return (w, c) =>
        withMemory(I2C_RESP, w, c, (m, at) => ({
          ok: i2cDequeueResponse(m, blkRef(at, c), I2C_FLAVOUR_HEAD) !== null,
        }));
    default:
      throw new Error(`no spec operation for queue-bounds.${cls}.${op}`);
  }
}

/** A pre-state: head anywhere (often at the wrap), every other index `head + delta`. */
function stateArb(system: QueueSystem): fc.Arbitrary<{ capacity: number; words: Words }> {
  const w = system.widthBits;
  const max = w === 16 ? 0xffff : 0xffff_ffff;
  const capacity =
    system.fixedCapacity !== undefined
      ? fc.constant(system.fixedCapacity)
      : fc.integer({ min: 0, max: Math.min(system.maxLog2 ?? 0, 8) }).map((k) => 2 ** k);
  const head = fc.oneof(
    fc.integer({ min: max - 3, max }),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max }),
  );
  // How far each other index is ahead of head: empty, around full (i2c's reserved-slot full is
  // `capacity - 1`), one past, or anywhere up to past full.
  const delta = fc.oneof(
    fc.constant((_cap: number) => 0),
    fc.constant((cap: number) => cap - 2),
    fc.constant((cap: number) => cap - 1),
    fc.constant((cap: number) => cap),
    fc.constant((cap: number) => cap + 1),
    fc.integer({ min: 0, max: 300 }).map((n) => (cap: number) => n % (cap + 2)),
  );
  return fc
    .tuple(capacity, head, fc.array(delta, { minLength: 3, maxLength: 3 }))
    .map(([cap, h, deltas]) => {
      const words: Words = { head: h };
      system.vars
        .filter((v) => v !== 'head')
        .forEach((v, i) => (words[v] = wrapIndex(w, h + Math.max(0, deltas[i]!(cap)))));
      return { capacity: cap, words };
    });
}

const operations = queueBoundsObligations()
  .filter((o) => !o.name.includes('staged-assert'))
  .map((o) => o.name.split('.') as [string, string, string]);

describe('queue-bounds encodings agree with the spec operations', () => {
  it('covers every operation of every class', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
    for (const [, cls, op] of operations) expect(() => specOp(cls, op)).not.toThrow();
  });

  for (const [, cls, op] of operations) {
    it(`queue-bounds.${cls}.${op}`, async () => {
      const { system, queueOp } = findOp(cls, op);
      const run = specOp(cls, op);
      const z = z3.current;
      const a = bvArith(z, system.widthBits);
      const seen = { proceeds: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(stateArb(system), async ({ capacity, words }) => {
          const pre = Object.fromEntries(
            system.vars.map((v) => [v, bv(z, words[v]!, system.widthBits)]),
          );
          const cap = bv(z, capacity, system.widthBits);
          // The obligation is about states inside the class invariant; the spec's debug
          // asserts may refuse the others, which is not a disagreement.
          if ((await evaluate(z, system.invariant(a, pre, cap))) !== true) return;
          const spec = run(words, capacity);
          const guard =
            queueOp.guard === undefined ? true : await evaluate(z, queueOp.guard(a, pre, cap));
          expect(guard, 'guard = the spec operation proceeds').toBe(spec.ok);
          seen[spec.ok ? 'proceeds' : 'refused']++;
          if (!spec.ok) return;
          const update = queueOp.update(a, pre);
          for (const v of system.vars) {
            const encoded = v in update ? await evaluate(z, update[v]!) : words[v];
            expect(encoded, `${v}' of ${JSON.stringify(words)} cap ${capacity}`).toBe(
              spec.after[v],
            );
          }
        }),
        { numRuns: 120 },
      );
      // Both outcomes were compared (a guard-less publish always proceeds).
      expect(seen.proceeds).toBeGreaterThan(0);
      if (queueOp.guard !== undefined) expect(seen.refused).toBeGreaterThan(0);
    });
  }

  it('a disagreement is caught: an encoding whose enqueue update forgets the wrap', async () => {
    const { system, queueOp } = findOp('net', 'enqueue');
    const z = z3.current;
    const a = bvArith(z, 16);
    const pre = { tail: bv(z, 0xffff, 16), head: bv(z, 0xffff, 16) };
    const spec = specOp('net', 'enqueue')({ tail: 0xffff, head: 0xffff }, 4);
    expect(await evaluate(z, queueOp.update(a, pre)['tail']!)).toBe(spec.after['tail']);
    // The same update on 17-bit terms does not wrap at 2^16: it disagrees with the spec.
    const wide = bvArith(z, 32);
    const pre17 = { tail: bv(z, 0xffff, 32), head: bv(z, 0xffff, 32) };
    expect(await evaluate(z, queueOp.update(wide, pre17)['tail']!)).not.toBe(spec.after['tail']);
    expect(system.widthBits).toBe(16);
  });
});
