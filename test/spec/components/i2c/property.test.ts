// A property of the fixed I²C virt as a whole (spec/components/i2c/virt.ts, driver.ts), run on
// random schedules of three clients and the driver, independent of the model checker.
// Pre: each client owns 0x10 + k and submits whole requests when its queue has room — valid ones,
// ones for an address it does not own, ones with a malformed header, ones with a body command
// outside its data region — and notifies; the driver takes every transaction and answers OK.
// Post, after every step: the driver queue holds whole, translated transactions only; the deferred
// queue holds each client at most once; no assert fails and no response is dropped. Once the
// driver has drained everything: nothing waits anywhere, and every request has had exactly one
// response — OK for the valid ones, the right error for the others — in the order submitted.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { driverTake } from '../../../../spec/components/i2c/driver.ts';
import { transactionsProblem } from '../../../../spec/components/i2c/invariants.ts';
import type { I2cVirtState } from '../../../../spec/components/i2c/virt.ts';
import { I2cErr, I2cFlag, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import { i2cStateEnqueueResponse } from '../../../../spec/queue/i2c-state.ts';
import {
  CAP,
  cfgOf,
  clientItems,
  driverItems,
  fromClient,
  fromDriver,
  head,
  initial,
  ok,
  responses,
  submit,
  virtNotified,
  write,
} from './rig.ts';

type Kind = 'ok' | 'unowned' | 'header' | 'body';
type Op =
  { readonly op: 'submit'; client: number; kind: Kind; n: number } | { readonly op: 'driver' };

const c = cfgOf({}, 3);

function request(k: number, kind: Kind, n: number): I2cCmd[] {
  const a = kind === 'unowned' ? 0x50 : 0x10 + k;
  const h =
    kind === 'header' ? { ...head(n, a), flagMask: I2cFlag.HEAD | I2cFlag.READ } : head(n, a);
  const body = Array.from({ length: n }, (_, i) => write(i * 8, 8));
  if (kind === 'body') body[n - 1] = write(0xfc, 8); // runs 4 bytes past the region
  return [h, ...body];
}
const expected = (k: number, kind: Kind): [number, number] =>
  kind === 'ok'
    ? [I2cErr.OK, 0x10 + k]
    : kind === 'unowned'
      ? [I2cErr.UNPERMITTED_ADDR, 0x50]
      : kind === 'header'
        ? [I2cErr.MALFORMED_HEADER, 0x10 + k]
        : [I2cErr.MALFORMED_TRANSACTION, 0x10 + k];

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('submit' as const),
    client: fc.integer({ min: 0, max: 2 }),
    kind: fc.constantFrom<Kind>('ok', 'ok', 'ok', 'unowned', 'header', 'body'),
    n: fc.integer({ min: 1, max: 4 }),
  }),
  fc.constant({ op: 'driver' as const }),
);

describe('i2c virt (fixed): nothing lost, nothing partial (property)', () => {
  it('every request gets its one response; the driver sees only whole, translated transactions', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        let s: I2cVirtState = initial(c);
        const want: [number, number][][] = [[], [], []];
        const got: [number, number][][] = [[], [], []];
        const step = (source: Parameters<typeof virtNotified>[2]) => {
          const r = virtNotified(c, s, source);
          expect(r.effects.assertFailure).toBe(null);
          expect(r.effects.dropped).toBe(0);
          s = r.state;
          expect(transactionsProblem(driverItems(c, s), c.clients)).toBe(null);
          const waiting = s.deferred.map((e) => e.client);
          expect(new Set(waiting).size).toBe(waiting.length);
          for (let k = 0; k < 3; k++) {
            const d = responses(c, s, k);
            s = d.s;
            got[k]!.push(...d.out.map((x): [number, number] => [x.error, x.busAddress]));
          }
        };
        const driver = () => {
          let q = s.driverReq;
          let resp = s.driverResp;
          for (;;) {
            const t = driverTake(c.capacity, q);
            expect(t.kind).not.toBe('incoherent');
            q = t.state;
            if (t.kind !== 'transaction') break;
            resp = i2cStateEnqueueResponse(c.capacity, resp, ok(t.transaction.address)).state;
          }
          s = { ...s, driverReq: q, driverResp: resp };
          step(fromDriver);
        };
        for (const o of ops) {
          if (o.op === 'driver') {
            driver();
            continue;
          }
          const cmds = request(o.client, o.kind, o.n);
          if (clientItems(c, s, o.client).length + cmds.length > CAP - 1) continue;
          s = submit(s, o.client, cmds);
          want[o.client]!.push(expected(o.client, o.kind));
          step(fromClient(o.client));
        }
        for (
          let round = 0;
          round < 20 && (s.deferred.length > 0 || driverItems(c, s).length > 0);
          round++
        )
          driver();
        expect(s.deferred).toEqual([]);
        expect(driverItems(c, s)).toEqual([]);
        for (let k = 0; k < 3; k++) {
          expect(clientItems(c, s, k)).toEqual([]);
          const errs = (xs: [number, number][]) => xs.filter(([e]) => e !== I2cErr.OK);
          expect(errs(got[k]!)).toEqual(errs(want[k]!));
          expect(got[k]!.length).toBe(want[k]!.length);
          expect([...got[k]!].sort()).toEqual([...want[k]!].sort());
        }
      }),
      { numRuns: 150 },
    );
  });
});
