// Refinement, property style: the runtime's Microkit semantics against the pure spec
// (spec/microkit/semantics.ts) on random inputs. The spec's notification word is u32 (ids 0..31);
// the runtime's spans 0..61, checked separately against a plain set.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeterministicRuntime } from '../../../impl/runtime/deterministic.ts';
import * as S from '../../../spec/microkit/semantics.ts';
import { registryOf, system } from './build.ts';

const IDS = Array.from({ length: 62 }, (_, i) => i);
const fanOut = system({
  pds: [
    { name: 'src', priority: 10, irqs: [{ irq: 40, id: 0, trigger: 'level' }] },
    { name: 'dst', priority: 1 },
  ],
  // src end i+1 (0 is src's IRQ) ↔ dst end i, for every dst id 0..61 but one src id per channel:
  // src has 62 ids in total, so src uses ids 1..61 for dst ids 0..60 and dst id 61 is unused.
  channels: IDS.slice(0, 61).map(
    (i) =>
      [
        { pd: 'src', id: i + 1 },
        { pd: 'dst', id: i },
      ] as const,
  ),
});
const fanIn = system({
  pds: [
    { name: 'src', priority: 10 },
    { name: 'dst', priority: 1 },
  ],
  channels: IDS.map(
    (i) =>
      [
        { pd: 'src', id: i },
        { pd: 'dst', id: 61 - i },
      ] as const,
  ),
});

function dispatched(
  model: typeof fanIn,
  init: (api: { notify(ch: number): void }) => void,
): { order: number[]; wakes: number } {
  const order: number[] = [];
  const { runtime } = DeterministicRuntime.create(model, {
    registry: registryOf({
      src: ({ api }) => ({ init: () => init(api) }),
      dst: () => ({ notified: (ch) => void order.push(ch) }),
    }),
  });
  runtime!.run({ maxSteps: 100 });
  return { order, wakes: runtime!.status('dst').wakes };
}

describe('runtime ⊑ spec/microkit (random inputs)', () => {
  it('coalescing and ascending dispatch: one wake, the spec dispatchOrder of the OR of the bits (ids 0..31)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 1, maxLength: 40 }),
        (dstIds) => {
          const { order, wakes } = dispatched(fanIn, (api) =>
            dstIds.forEach((d) => api.notify(61 - d)),
          );
          const badge = dstIds.reduce((w, d) => S.notifyWord(w, d), 0);
          expect(order).toEqual(S.dispatchOrder(badge));
          expect(wakes).toBe(2);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the same over the whole id space 0..61 (both halves of the word)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 61 }), { minLength: 1, maxLength: 80 }),
        (dstIds) => {
          const { order } = dispatched(fanIn, (api) => dstIds.forEach((d) => api.notify(61 - d)));
          expect(order).toEqual([...new Set(dstIds)].sort((a, b) => a - b));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the deferred slot: what is flushed and what is recorded lost follow spec deferSignal', () => {
    const call = fc.record({
      kind: fc.constantFrom<'notify' | 'irq_ack'>('notify', 'irq_ack'),
      dstId: fc.integer({ min: 0, max: 30 }),
    });
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 8 }), (calls) => {
        const got: number[] = [];
        const { runtime } = DeterministicRuntime.create(fanOut, {
          record: true,
          registry: registryOf({
            src: ({ api }) => ({
              init: () =>
                calls.forEach((c) =>
                  c.kind === 'notify' ? api.deferredNotify(c.dstId + 1) : api.deferredIrqAck(0),
                ),
            }),
            dst: () => ({ notified: (ch) => void got.push(ch) }),
          }),
        });
        runtime!.run({ maxSteps: 100 });
        // The spec's slot encodes the *src* channel (the IRQ is src channel 0, notify to dst d is src d+1).
        let slot = S.DEFERRED_EMPTY;
        let lost = 0;
        for (const c of calls) {
          const r = S.deferSignal(slot, c.kind, c.kind === 'notify' ? c.dstId + 1 : 0);
          slot = r.slot;
          if (r.overwritten !== null) lost++;
        }
        const final = S.decodeDeferred(slot)!;
        expect(got).toEqual(final.kind === 'notify' ? [final.ch - 1] : []);
        expect(runtime!.rec!.count('deferred_overwrite')).toBe(lost);
        expect(runtime!.rec!.count('irq_ack')).toBe(final.kind === 'irq_ack' ? 1 : 0);
      }),
      { numRuns: 100 },
    );
  });

  it('IRQ delivery and ack follow spec irqAssert / irqAck for a level line', () => {
    const op = fc.constantFrom<'assert' | 'deassert' | 'ack'>('assert', 'deassert', 'ack');
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { runtime } = DeterministicRuntime.create(fanOut, {
          registry: registryOf({ src: () => ({}), dst: () => ({}) }),
        });
        const rt = runtime!;
        rt.run({ maxSteps: 10 }); // boot; from here on src never runs, so its bits accumulate
        let w: S.IrqWords = { notif: 0, held: 0 };
        let level = false;
        for (const o of ops) {
          if (o === 'assert') {
            level = true;
            rt.irqs.assertLine(40);
            w = S.irqAssert(w, 0);
          } else if (o === 'deassert') {
            level = false;
            rt.irqs.deassertLine(40);
          } else {
            rt.irqs.ack(40, false);
            w = S.irqAck(w, 0, level);
          }
          expect(rt.irqs.isMasked(40)).toBe((w.held & 1) !== 0);
          expect(rt.status('src').pendingLo & 1).toBe(w.notif & 1);
        }
      }),
      { numRuns: 100 },
    );
  });
});
