// The Z3 full/empty checks (proofs/smt/full-check.ts) and slot continuity terms (slot-wrap.ts)
// agree with the spec's queue operations (spec/queue, run on a plain memory) on many concrete
// states, including the u16 and u32 wraps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bvArith, intArith } from '../../../proofs/smt/arith.ts';
import { cCheck, type FullCheckForm } from '../../../proofs/smt/full-check.ts';
import { slotContinuity } from '../../../proofs/smt/slot-wrap.ts';
import { BLK_FLAVOUR_HEAD, blkEmpty, blkEnqueue, blkFull } from '../../../spec/queue/blk.ts';
import {
  I2C_FLAVOUR_HEAD,
  I2C_CAPACITY,
  i2cEnqueueResponse,
  i2cRequestFull,
} from '../../../spec/queue/i2c.ts';
import {
  NET_FLAVOUR_HEAD,
  netEmpty,
  netEnqueue,
  netFull,
  type NetFullCheck,
} from '../../../spec/queue/net.ts';
import { SERIAL_FLAVOUR_HEAD, serialFullAt } from '../../../spec/queue/serial.ts';
import { wrapIndex } from '../../../spec/queue/ring.ts';
import { RecordingMemory } from '../../spec/queue/recording-memory.ts';
import { evaluate, useZ3 } from './helpers.ts';

const z3 = useZ3();

function index(widthBits: 16 | 32): fc.Arbitrary<number> {
  const max = widthBits === 16 ? 0xffff : 0xffff_ffff;
  return fc.oneof(
    fc.integer({ min: max - 3, max }),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max }),
  );
}

/** tail/head/flag as words 0/1/2 (net, serial), or head/tail (blk), or staged/tail/head (i2c). */
function mem(fields: string[], words: Record<string, number>, slots: number): RecordingMemory {
  const m = new RecordingMemory(fields, 'slot', slots);
  fields.forEach((f, i) => (m.words[i] = words[f] ?? 0));
  return m;
}

/** What the spec's own operation says for `form` at `widthBits` on (tail, head, capacity). */
function specCheck(form: FullCheckForm, widthBits: 16 | 32, t: number, h: number, cap: number) {
  if (widthBits === 16) {
    const m = mem(['tail', 'head', 'flag'], { tail: t, head: h }, 0);
    const q = { name: 'q', tail: 0, head: 1, consumerSignalled: 2, slots: 3, capacity: cap };
    if (form === 'empty') return netEmpty(m, q, NET_FLAVOUR_HEAD);
    const fullCheck: NetFullCheck = form === 'int-promoted' ? 'int-promoted' : 'corrected';
    return netFull(m, q, { ...NET_FLAVOUR_HEAD, fullCheck });
  }
  if (form === 'unsigned-reserved-slot') {
    const m = mem(['staged', 'tail', 'head'], { staged: t, tail: t, head: h }, 0);
    const q = { name: 'q', stagedTail: 0, tail: 1, head: 2, slots: 3, capacity: cap };
    return i2cRequestFull(m, q, I2C_FLAVOUR_HEAD);
  }
  const m = mem(['head', 'tail'], { head: h, tail: t }, 0);
  const q = { name: 'q', head: 0, tail: 1, slots: 2, capacity: cap };
  if (form === 'empty') return blkEmpty(m, q, BLK_FLAVOUR_HEAD);
  // blk and serial agree on `tail - head == capacity` at u32.
  const serial = mem(['tail', 'head', 'flag'], { tail: t, head: h }, 0);
  const sq = { name: 'q', tail: 0, head: 1, producerSignalled: 2, data: 3, capacity: cap };
  expect(serialFullAt(serial, sq, SERIAL_FLAVOUR_HEAD, t)).toBe(blkFull(m, q, BLK_FLAVOUR_HEAD));
  return blkFull(m, q, BLK_FLAVOUR_HEAD);
}

const CASES: readonly { form: FullCheckForm; widthBits: 16 | 32 }[] = [
  { form: 'int-promoted', widthBits: 16 },
  { form: 'unsigned', widthBits: 16 },
  { form: 'empty', widthBits: 16 },
  { form: 'unsigned', widthBits: 32 },
  { form: 'empty', widthBits: 32 },
  { form: 'unsigned-reserved-slot', widthBits: 32 },
];

describe('full-check encodings agree with the spec operations', () => {
  for (const { form, widthBits } of CASES) {
    it(`${form} at u${widthBits}`, async () => {
      const z = z3.current;
      const capacity =
        form === 'unsigned-reserved-slot'
          ? fc.constant(I2C_CAPACITY)
          : fc.integer({ min: 0, max: widthBits === 16 ? 15 : 31 }).map((k) => 2 ** k);
      const seen = { yes: 0, no: 0 };
      await fc.assert(
        fc.asyncProperty(
          index(widthBits),
          fc.oneof(fc.constant(-1), fc.constant(0), fc.integer({ min: 0, max: 300 })),
          capacity,
          async (head, d, cap) => {
            // d = -1: exactly full (one short for the reserved slot); else d mod (cap + 1) ahead.
            const full = form === 'unsigned-reserved-slot' ? cap - 1 : cap;
            const tail = wrapIndex(widthBits, head + (d < 0 ? full : d % (cap + 1)));
            const term = cCheck(z, {
              form,
              widthBits,
              tail: z.Int.val(tail),
              head: z.Int.val(head),
              capacity: z.Int.val(cap),
            });
            const spec = specCheck(form, widthBits, tail, head, cap);
            expect(await evaluate(z, term), `tail ${tail} head ${head} cap ${cap}`).toBe(spec);
            seen[spec ? 'yes' : 'no']++;
          },
        ),
        { numRuns: 150 },
      );
      expect(seen.yes).toBeGreaterThan(0);
      expect(seen.no).toBeGreaterThan(0);
    });
  }
});

describe('slot-wrap terms agree with the slot the spec operation writes', () => {
  for (const { widthBits, capacity, instance } of [
    { widthBits: 16, capacity: fc.integer({ min: 0, max: 15 }).map((k) => 2 ** k), instance: 'bv' },
    { widthBits: 32, capacity: fc.integer({ min: 0, max: 12 }).map((k) => 2 ** k), instance: 'bv' },
    { widthBits: 32, capacity: fc.constantFrom(I2C_CAPACITY, 384), instance: 'int' },
  ] as const) {
    it(`u${widthBits}, ${instance === 'bv' ? 'powers of two (bit-vectors)' : '254 and 384 (integers)'}`, async () => {
      const z = z3.current;
      await fc.assert(
        fc.asyncProperty(index(widthBits), capacity, async (i, cap) => {
          const c =
            instance === 'bv'
              ? slotContinuity(
                  bvArith(z, widthBits),
                  bvArith(z, widthBits).lit(i),
                  bvArith(z, widthBits).lit(cap),
                )
              : slotContinuity(intArith(z, widthBits), z.Int.val(i), z.Int.val(cap));
          // The spec enqueue at tail = i + 1 (an empty queue there) stores into this slot.
          const next = wrapIndex(widthBits, i + 1);
          const m = new RecordingMemory(['tail', 'head', 'flag'], 'slot', cap);
          m.words[0] = next;
          m.words[1] = next;
          const ok =
            widthBits === 16
              ? netEnqueue(
                  m,
                  { name: 'q', tail: 0, head: 1, consumerSignalled: 2, slots: 3, capacity: cap },
                  NET_FLAVOUR_HEAD,
                  1,
                )
              : cap === I2C_CAPACITY
                ? i2cEnqueueResponse(
                    m,
                    { name: 'q', tail: 0, head: 1, slots: 3, capacity: cap },
                    I2C_FLAVOUR_HEAD,
                    1,
                  )
                : blkEnqueue(
                    m,
                    { name: 'q', tail: 0, head: 1, slots: 3, capacity: cap },
                    1,
                    BLK_FLAVOUR_HEAD,
                  );
          expect(ok).toBe(true);
          const written = m.log.find((l) => l.startsWith('store slot['))!;
          expect(`store slot[${await evaluate(z, c.slotNext)}]`).toBe(written);
        }),
        { numRuns: 100 },
      );
    });
  }
});
