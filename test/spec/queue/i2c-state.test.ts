import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abstractEmpty,
  abstractEnqueue,
  type AbstractQueue,
} from '../../../spec/queue/abstract.ts';
import { I2C_CAPACITY, i2cFullAt, type I2cCmd } from '../../../spec/queue/i2c.ts';
import {
  type I2cReqQueueState,
  i2cStateDequeueRequest,
  i2cStateDequeueResponse,
  i2cStateEmpty,
  i2cStateEnqueueRequest,
  i2cStateEnqueueResponse,
  i2cStateReqAbstraction,
  i2cStateReqInitial,
  i2cStateReqInvariant,
  i2cStateRequestAbort,
  i2cStateRequestCommit,
  i2cStateRespAbstraction,
  i2cStateRespInitial,
} from '../../../spec/queue/i2c-state.ts';
import { i2cCmdArb } from '../../../traces/refinement/queue-commands.ts';

type Step =
  | { kind: 'stage'; cmds: I2cCmd[] }
  | { kind: 'commit' }
  | { kind: 'abort' }
  | { kind: 'dequeue'; n: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc
    .array(i2cCmdArb, { minLength: 1, maxLength: 80 })
    .map((cmds) => ({ kind: 'stage' as const, cmds })),
  fc.constant({ kind: 'commit' as const }),
  fc.constant({ kind: 'abort' as const }),
  fc.nat(80).map((n) => ({ kind: 'dequeue' as const, n })),
);

/** Run steps on the spec and on an abstract (committed, staged) model; false on divergence. */
function refines(start: number, steps: readonly Step[]): boolean {
  let s: I2cReqQueueState = i2cStateReqInitial(I2C_CAPACITY, start);
  let q: AbstractQueue<I2cCmd> = abstractEmpty(I2C_CAPACITY - 1);
  let staged: I2cCmd[] = [];
  for (const step of steps) {
    if (step.kind === 'stage') {
      for (const c of step.cmds) {
        const r = i2cStateEnqueueRequest(I2C_CAPACITY, s, c);
        const room = q.items.length + staged.length < q.capacity;
        if (r.ok !== room) return false;
        s = r.state;
        if (room) staged.push(c);
      }
    } else if (step.kind === 'commit') {
      s = i2cStateRequestCommit(s);
      for (const c of staged) q = abstractEnqueue(q, c)!;
      staged = [];
    } else if (step.kind === 'abort') {
      s = i2cStateRequestAbort(s);
      staged = [];
    } else {
      for (let i = 0; i < step.n; i++) {
        const r = i2cStateDequeueRequest(I2C_CAPACITY, s);
        if (fc.stringify(r.item) !== fc.stringify(q.items[0] ?? null)) return false;
        s = r.state;
        q = { capacity: q.capacity, items: q.items.slice(1) };
      }
    }
    if (i2cStateReqInvariant(I2C_CAPACITY, s) !== null) return false;
    if (fc.stringify(i2cStateReqAbstraction(I2C_CAPACITY, s).items) !== fc.stringify(q.items))
      return false;
  }
  return true;
}

describe('i2c request queue spec', () => {
  it('refines a FIFO of CAP - 1 with staging, below the u32 wrap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 - 4000 }),
        fc.array(stepArb, { maxLength: 30 }),
        (start, steps) => refines(start, steps),
      ),
      { numRuns: 150 },
    );
  });

  it('at the u32 wrap capacity 254 breaks the FIFO (U5) and fast-check finds it', () => {
    const details = fc.check(
      fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => refines(0xffff_ffff - 2, steps)),
      { numRuns: 500, seed: 7 },
    );
    expect(details.failed).toBe(true);
  });

  it('one slot is reserved: full = tail - head + 1 == CAP', () => {
    expect(i2cFullAt(254, 253, 0)).toBe(true);
    expect(i2cFullAt(254, 252, 0)).toBe(false);
    expect(i2cFullAt(254, 252, 0xffff_ffff)).toBe(true);
  });

  it('staged commands are invisible until commit and dropped by abort', () => {
    const cmd: I2cCmd = { payload: 5n, dataLen: 1, flagMask: 1 };
    let s = i2cStateEnqueueRequest(I2C_CAPACITY, i2cStateReqInitial(), cmd).state;
    expect(i2cStateEmpty(s)).toBe(true);
    expect(i2cStateRequestAbort(s).stagedTail).toBe(0);
    s = i2cStateRequestCommit(s);
    expect(i2cStateReqAbstraction(I2C_CAPACITY, s).items).toEqual([cmd]);
    expect(i2cStateReqInvariant(I2C_CAPACITY, { ...s, stagedTail: 0, tail: 1 })).toMatch(
      /staged tail 0 behind tail 1/,
    );
  });

  it('response queue: FIFO with the reserved slot', () => {
    let s = i2cStateRespInitial(3);
    const r = { errCmd: 0n, busAddress: 0x50, error: 0 as const };
    s = i2cStateEnqueueResponse(3, s, r).state;
    s = i2cStateEnqueueResponse(3, s, { ...r, busAddress: 0x51 }).state;
    expect(i2cStateEnqueueResponse(3, s, r).ok).toBe(false);
    expect(i2cStateRespAbstraction(3, s).items.map((x) => x.busAddress)).toEqual([0x50, 0x51]);
    expect(i2cStateDequeueResponse(3, s).item?.busAddress).toBe(0x50);
  });
});
