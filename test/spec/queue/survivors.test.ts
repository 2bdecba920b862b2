// Tests written to kill mutants Stryker found alive (docs/adr/003-queues.md "Mutation testing"):
// immutability of spec states, exact boundaries, and assertion messages of the queue specs.
import { describe, expect, it } from 'vitest';
import { abstractDequeue, abstractEnqueue } from '../../../spec/queue/abstract.ts';
import { I2C_CAPACITY, type I2cCmd } from '../../../spec/queue/i2c.ts';
import {
  i2cStateEnqueueRequest,
  i2cStateEnqueueResponse,
  i2cStateReqInitial,
  i2cStateReqInvariant,
  i2cStateRespInitial,
} from '../../../spec/queue/i2c-state.ts';
import { netStateEnqueue, netStateFull, netStateInitial } from '../../../spec/queue/net-state.ts';
import { checkCapacity, ringAbstraction, ringInitial } from '../../../spec/queue/ring.ts';
import {
  serialStateEnqueue,
  serialStateEnqueueBatch,
  serialStateEnqueueLocal,
  serialStateInitial,
  serialStateTransferAll,
  serialStateUpdateSharedHead,
  serialStateUpdateSharedTail,
} from '../../../spec/queue/serial-state.ts';

const cmd: I2cCmd = { payload: 1n, dataLen: 1, flagMask: 0 };

describe('spec states are values: an operation never changes its input', () => {
  it('ring, serial and i2c enqueues leave the old slots alone', () => {
    const r0 = netStateInitial(2);
    netStateEnqueue({ capacity: 2 }, r0, { ioOrOffset: 1n, len: 0, oid: 0 });
    expect(r0.slots).toEqual([undefined, undefined]);
    expect(r0.tail).toBe(0);
    const s0 = serialStateInitial(4);
    serialStateEnqueue(4, s0, 9);
    serialStateEnqueueLocal(4, s0, 0, 9);
    serialStateEnqueueBatch(4, s0, [9, 9]);
    expect(s0.slots).toEqual([0, 0, 0, 0]);
    const q0 = i2cStateReqInitial(4);
    i2cStateEnqueueRequest(4, q0, cmd);
    expect(q0.slots).toEqual([undefined, undefined, undefined, undefined]);
    const p0 = i2cStateRespInitial(4);
    const p1 = i2cStateEnqueueResponse(4, p0, { errCmd: 0n, busAddress: 1, error: 0 });
    expect(p1.ok).toBe(true);
    expect(p0.slots).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('exact boundaries', () => {
  it('the C-as-written net full check is right away from the wrap', () => {
    const s = { ...netStateInitial(4), head: 10, tail: 14 };
    expect(netStateFull({ capacity: 4, fullCheck: 'int-promoted' }, s)).toBe(true);
    expect(netStateFull({ capacity: 4, fullCheck: 'int-promoted' }, { ...s, tail: 13 })).toBe(
      false,
    );
    expect(
      netStateEnqueue({ capacity: 4, fullCheck: 'int-promoted' }, s, {
        ioOrOffset: 0n,
        len: 0,
        oid: 0,
      }).ok,
    ).toBe(false);
  });

  it('i2c fills to CAP - 1 staged commands, then refuses', () => {
    let s = i2cStateReqInitial(I2C_CAPACITY, 7);
    for (let i = 0; i < I2C_CAPACITY - 1; i++) {
      const r = i2cStateEnqueueRequest(I2C_CAPACITY, s, cmd);
      expect(r.ok).toBe(true);
      s = r.state;
    }
    const refused = i2cStateEnqueueRequest(I2C_CAPACITY, s, cmd);
    expect(refused.ok).toBe(false);
    expect(refused.state).toBe(s);
  });

  it('i2c invariant checks the staged window and its order with a non-zero head', () => {
    expect(i2cStateReqInvariant(4, { ...i2cStateReqInitial(4), stagedTail: 4 })).toMatch(
      /<= 3 violated/,
    );
    expect(
      i2cStateReqInvariant(4, { ...i2cStateReqInitial(4, 5), tail: 6, stagedTail: 5 }),
    ).toMatch(/staged tail 5 behind tail 6/);
    expect(
      i2cStateReqInvariant(4, { ...i2cStateReqInitial(4, 5), tail: 6, stagedTail: 7 }),
    ).toBeNull();
  });

  it('serial: zero-filled data region, publishing with a non-zero head, no-op publishes, exact-fit transfer', () => {
    expect(serialStateInitial(4).slots).toEqual([0, 0, 0, 0]);
    let s = serialStateInitial(4, 100);
    s = serialStateEnqueue(4, s, 1).state;
    expect(serialStateUpdateSharedTail(4, s, s.tail)).toEqual(s); // publishing nothing new is allowed
    expect(serialStateUpdateSharedTail(4, s, 104).tail).toBe(104); // full: 104 - 100 == 4
    expect(() => serialStateUpdateSharedTail(4, s, 105)).toThrow(/length 1 -> 5, capacity 4/);
    const h = serialStateUpdateSharedHead(4, s, 101);
    expect(h).toEqual({ ...s, head: 101 });
    expect(() => serialStateUpdateSharedHead(4, s, 102)).toThrow(/length 1 -> 4294967295 grows/);
    let src = serialStateInitial(2, 50);
    src = serialStateEnqueue(2, serialStateEnqueue(2, src, 7).state, 8).state;
    let dst = serialStateInitial(4, 9);
    dst = serialStateEnqueue(4, serialStateEnqueue(4, dst, 5).state, 6).state;
    const r = serialStateTransferAll({ dstCapacity: 4, dst, srcCapacity: 2, src });
    expect(ringAbstraction({ width: 32, capacity: 4, reservedSlots: 0 }, r.dst).items).toEqual([
      5, 6, 7, 8,
    ]);
    expect(r.src).toEqual({ ...src, head: 52 });
    const tooBig = serialStateEnqueue(4, dst, 1).state;
    expect(() =>
      serialStateTransferAll({ dstCapacity: 4, dst: tooBig, srcCapacity: 2, src }),
    ).toThrow(/2 bytes do not fit in 1 free/);
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
    expect(() => serialStateEnqueue(4, serialStateInitial(4), -1)).toThrow(
      /character -1 is not a u8/,
    );
    expect(() => serialStateEnqueue(4, serialStateInitial(4), 1.5)).toThrow(
      /character 1.5 is not a u8/,
    );
    expect(() => serialStateEnqueue(4, serialStateInitial(4), 256)).toThrow(
      /character 256 is not a u8/,
    );
    expect(() =>
      netStateEnqueue({ capacity: 1, fullCheck: 'corrected' }, netStateInitial(1), {
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
    expect(serialStateEnqueueBatch(8, serialStateInitial(8, 1), [1, 2, 3]).copies).toEqual([
      { dataIndex: 1, countBytes: 3 },
    ]);
    expect(serialStateEnqueueBatch(8, serialStateInitial(8, 5), [1, 2, 3]).copies).toEqual([
      { dataIndex: 5, countBytes: 3 },
    ]);
  });

  it('i2c slots that do not match the capacity are our bug', () => {
    expect(() => i2cStateEnqueueRequest(4, i2cStateReqInitial(3), cmd)).toThrow(
      /slots match capacity/,
    );
    expect(() =>
      i2cStateEnqueueResponse(4, i2cStateRespInitial(3), { errCmd: 0n, busAddress: 0, error: 0 }),
    ).toThrow(/slots match capacity/);
  });
});
