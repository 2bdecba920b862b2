// Tests written to kill mutants Stryker found alive (docs/adr/003-queues.md "Mutation testing"):
// immutability of spec states, exact boundaries, and assertion messages of the queue specs.
import { describe, expect, it } from 'vitest';
import { abstractDequeue, abstractEnqueue } from '../../../spec/queue/abstract.ts';
import {
  I2C_CAPACITY,
  i2cEnqueueRequest,
  i2cEnqueueResponse,
  i2cReqInitial,
  i2cReqInvariant,
  i2cRespInitial,
  type I2cCmd,
} from '../../../spec/queue/i2c.ts';
import { netEnqueue, netFull, netInitial } from '../../../spec/queue/net.ts';
import {
  checkCapacity,
  ringAbstraction,
  ringEnqueue,
  ringInitial,
} from '../../../spec/queue/ring.ts';
import {
  serialEnqueue,
  serialEnqueueBatch,
  serialEnqueueLocal,
  serialInitial,
  serialTransferAll,
  serialUpdateSharedHead,
  serialUpdateSharedTail,
} from '../../../spec/queue/serial.ts';

const cmd: I2cCmd = { payload: 1n, dataLen: 1, flagMask: 0 };

describe('spec states are values: an operation never changes its input', () => {
  it('ring, serial and i2c enqueues leave the old slots alone', () => {
    const shape = { width: 16, capacity: 2, reservedSlots: 0 } as const;
    const r0 = ringInitial<string>(2);
    ringEnqueue(shape, r0, 'x', false);
    expect(r0.slots).toEqual([undefined, undefined]);
    const s0 = serialInitial(4);
    serialEnqueue(4, s0, 9);
    serialEnqueueLocal(4, s0, 0, 9);
    serialEnqueueBatch(4, s0, [9, 9]);
    expect(s0.slots).toEqual([0, 0, 0, 0]);
    const q0 = i2cReqInitial(4);
    i2cEnqueueRequest(4, q0, cmd);
    expect(q0.slots).toEqual([undefined, undefined, undefined, undefined]);
    const p0 = i2cRespInitial(4);
    const p1 = i2cEnqueueResponse(4, p0, { errCmd: 0n, busAddress: 1, error: 0 });
    expect(p1.ok).toBe(true);
    expect(p0.slots).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('exact boundaries', () => {
  it('the C-as-written net full check is right away from the wrap', () => {
    const s = { ...netInitial(4), head: 10, tail: 14 };
    expect(netFull({ capacity: 4, fullCheck: 'c-as-written' }, s)).toBe(true);
    expect(netFull({ capacity: 4, fullCheck: 'c-as-written' }, { ...s, tail: 13 })).toBe(false);
    expect(
      netEnqueue({ capacity: 4, fullCheck: 'c-as-written' }, s, { ioOrOffset: 0n, len: 0, oid: 0 })
        .ok,
    ).toBe(false);
  });

  it('i2c fills to CAP - 1 staged commands, then refuses', () => {
    let s = i2cReqInitial(I2C_CAPACITY, 7);
    for (let i = 0; i < I2C_CAPACITY - 1; i++) {
      const r = i2cEnqueueRequest(I2C_CAPACITY, s, cmd);
      expect(r.ok).toBe(true);
      s = r.state;
    }
    const refused = i2cEnqueueRequest(I2C_CAPACITY, s, cmd);
    expect(refused.ok).toBe(false);
    expect(refused.state).toBe(s);
  });

  it('i2c invariant checks the staged window and its order with a non-zero head', () => {
    expect(i2cReqInvariant(4, { ...i2cReqInitial(4), stagedTail: 4 })).toMatch(/<= 3 violated/);
    expect(i2cReqInvariant(4, { ...i2cReqInitial(4, 5), tail: 6, stagedTail: 5 })).toMatch(
      /staged tail 5 behind tail 6/,
    );
    expect(i2cReqInvariant(4, { ...i2cReqInitial(4, 5), tail: 6, stagedTail: 7 })).toBeNull();
  });

  it('serial: zero-filled data region, publishing with a non-zero head, no-op publishes, exact-fit transfer', () => {
    expect(serialInitial(4).slots).toEqual([0, 0, 0, 0]);
    let s = serialInitial(4, 100);
    s = serialEnqueue(4, s, 1).state;
    expect(serialUpdateSharedTail(4, s, s.tail)).toEqual(s); // publishing nothing new is allowed
    expect(serialUpdateSharedTail(4, s, 104).tail).toBe(104); // full: 104 - 100 == 4
    expect(() => serialUpdateSharedTail(4, s, 105)).toThrow(/length 1 -> 5, capacity 4/);
    const h = serialUpdateSharedHead(4, s, 101);
    expect(h).toEqual({ ...s, head: 101 });
    expect(() => serialUpdateSharedHead(4, s, 102)).toThrow(/consumed 2 > length 1/);
    let src = serialInitial(2, 50);
    src = serialEnqueue(2, serialEnqueue(2, src, 7).state, 8).state;
    let dst = serialInitial(4, 9);
    dst = serialEnqueue(4, serialEnqueue(4, dst, 5).state, 6).state;
    const r = serialTransferAll({ dstCapacity: 4, dst, srcCapacity: 2, src });
    expect(ringAbstraction({ width: 32, capacity: 4, reservedSlots: 0 }, r.dst).items).toEqual([
      5, 6, 7, 8,
    ]);
    expect(r.src).toEqual({ ...src, head: 52 });
    const tooBig = serialEnqueue(4, dst, 1).state;
    expect(() => serialTransferAll({ dstCapacity: 4, dst: tooBig, srcCapacity: 2, src })).toThrow(
      /everything fits/,
    );
  });
});

describe('assertion messages say what was expected and what was seen', () => {
  it('abstract queue, ring, serial', () => {
    expect(() => abstractEnqueue({ capacity: 1, items: [1, 2] }, 3)).toThrow(/length 2 > 1/);
    expect(() => abstractDequeue({ capacity: 1, items: [1, 2] })).toThrow(/length 2 > 1/);
    expect(() => ringInitial(1.5)).toThrow(/capacity >= 1, saw 1.5/);
    const broken = { ...ringInitial<string>(4), tail: 5 };
    expect(() => ringAbstraction({ width: 16, capacity: 4, reservedSlots: 0 }, broken)).toThrow(
      /breaking the invariant/,
    );
    expect(() => serialEnqueue(4, serialInitial(4), -1)).toThrow(/character -1 is not a u8/);
    expect(() => serialEnqueue(4, serialInitial(4), 1.5)).toThrow(/character 1.5 is not a u8/);
    expect(() => serialEnqueue(4, serialInitial(4), 256)).toThrow(/character 256 is not a u8/);
    expect(() =>
      netEnqueue({ capacity: 1, fullCheck: 'corrected' }, netInitial(1), {
        ioOrOffset: 0n,
        len: 0,
        oid: 64,
      }),
    ).toThrow(/impossible descriptor: oid 64/);
  });
});

describe('more exact boundaries', () => {
  it('capacity 0 is not a positive integer even where no power of two is required', () => {
    expect(
      checkCapacity({ queue: 'q', capacity: 0, width: 32, powerOfTwo: false })?.message,
    ).toMatch(/capacity 0 is not a positive integer/);
    expect(
      checkCapacity({ queue: 'q', capacity: -4, width: 32, powerOfTwo: false })?.message,
    ).toMatch(/-4 is not a positive/);
  });

  it('a batch that does not reach the end of the data region is one copy', () => {
    expect(serialEnqueueBatch(8, serialInitial(8, 1), [1, 2, 3]).copies).toEqual([
      { dataIndex: 1, countBytes: 3 },
    ]);
    expect(serialEnqueueBatch(8, serialInitial(8, 5), [1, 2, 3]).copies).toEqual([
      { dataIndex: 5, countBytes: 3 },
    ]);
  });

  it('i2c slots that do not match the capacity are our bug', () => {
    expect(() => i2cEnqueueRequest(4, i2cReqInitial(3), cmd)).toThrow(/slots match capacity/);
    expect(() =>
      i2cEnqueueResponse(4, i2cRespInitial(3), { errCmd: 0n, busAddress: 0, error: 0 }),
    ).toThrow(/slots match capacity/);
  });
});
