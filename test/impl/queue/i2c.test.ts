import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import { I2C_CAPACITY } from '../../../spec/queue/i2c.ts';
import { I2cReqQueue, I2cRespQueue } from '../../../impl/queue/i2c.ts';
import { i2cProperty } from '../../../traces/refinement/queue-commands.ts';
import { expectUserError, region } from './helpers.ts';

describe('i2c request queue refines the abstract FIFO (CAP - 1 usable)', () => {
  it('model-based with stage/commit/abort, below the u32 wrap', () => {
    fc.assert(i2cProperty(), { numRuns: 100 });
  });

  it('at the u32 wrap (start 2^32 - 3) capacity 254 overwrites live commands: U5 is found', () => {
    const details = fc.check(i2cProperty({ atWrap: true }), { numRuns: 200, seed: 11 });
    expect(details.failed).toBe(true);
  });

  it('with a power-of-two capacity the wrap is harmless', () => {
    fc.assert(i2cProperty({ atWrap: true, capacity: 256 }), { numRuns: 100 });
  });
});

describe('i2c byte layout (include/sddf/i2c/queue.h)', () => {
  it('request: staged_active_tail@0, tail@4, head@8, 16-byte commands from 16', () => {
    const r = region(16 + 16 * I2C_CAPACITY);
    const q = new I2cReqQueue({ region: r });
    const dv = new DataView(r.buffer);
    expect(q.capacity).toBe(254);
    expect(q.enqueue({ payload: (0x50n << 16n) | 3n, dataLen: 0, flagMask: 1 })).toBe(true);
    expect(dv.getUint32(0, true)).toBe(1); // staged
    expect(dv.getUint32(4, true)).toBe(0); // tail not yet published
    expect(q.empty()).toBe(true);
    q.commit();
    expect(dv.getUint32(4, true)).toBe(1);
    expect(dv.getUint16(16, true)).toBe(3); // batch_len
    expect(dv.getUint8(18)).toBe(0x50); // address (u8)
    expect(dv.getUint8(19)).toBe(0); // padding
    expect(dv.getUint8(24)).toBe(0);
    expect(dv.getUint8(25)).toBe(1); // flag_mask HEAD
    expect(q.length()).toBe(1);
    expect(q.dequeue()).toEqual({ payload: (0x50n << 16n) | 3n, dataLen: 0, flagMask: 1 });
    expect(dv.getUint32(8, true)).toBe(1);
    expect(q.dequeue()).toBeNull();
    q.enqueue({ payload: 1n, dataLen: 1, flagMask: 0 });
    q.abort();
    expect(dv.getUint32(0, true)).toBe(1);
  });

  it('response: tail@0, head@4, 16-byte responses from 8 {err_cmd u64, bus_address u8 @8, error i32 @12}', () => {
    const r = region(8 + 16 * 3);
    const q = new I2cRespQueue({ region: r, capacity: 3 });
    const dv = new DataView(r.buffer);
    expect(q.enqueue({ errCmd: 2n, busAddress: 0x51, error: -1 })).toBe(true);
    expect(q.enqueue({ errCmd: 0n, busAddress: 0x52, error: 0 })).toBe(true);
    expect(q.full()).toBe(true); // one slot reserved
    expect(q.enqueue({ errCmd: 0n, busAddress: 0, error: 0 })).toBe(false);
    expect(dv.getUint32(0, true)).toBe(2);
    expect(dv.getBigUint64(8, true)).toBe(2n);
    expect(dv.getUint8(16)).toBe(0x51);
    expect(dv.getInt32(20, true)).toBe(-1);
    // Bytes 9-11 of a response are padding (i2c_addr_t is a uint8_t): whatever a C peer leaves
    // there must not reach the bus address.
    dv.setUint8(17, 0xab);
    dv.setUint16(18, 0xcdef, true);
    expect(q.length()).toBe(2);
    expect(q.dequeue()).toEqual({ errCmd: 2n, busAddress: 0x51, error: -1 });
    expect(dv.getUint32(4, true)).toBe(1);
    expect(q.empty()).toBe(false);
    q.dequeue();
    expect(q.dequeue()).toBeNull();
  });
});

describe('i2c bad input', () => {
  it('capacity and region', () => {
    expectUserError(
      () => new I2cReqQueue({ region: region(4096), capacity: 1 }),
      /capacity 1 is not an integer in 2/,
    );
    expectUserError(() => new I2cReqQueue({ region: region(4079) }), /needs 4080 bytes/);
    expectUserError(() => new I2cRespQueue({ region: region(4096, 4) }), /byte offset 4/);
  });
  it('the smallest capacity (2: one usable slot) and full-range u8 fields are accepted', () => {
    const q = new I2cReqQueue({ region: region(16 + 32), capacity: 2 });
    expect(q.enqueue({ payload: 0n, dataLen: 255, flagMask: 255 })).toBe(true);
    expect(q.full()).toBe(true);
    q.commit();
    expect(q.dequeue()).toEqual({ payload: 0n, dataLen: 255, flagMask: 255 });
    expect(new I2cRespQueue({ region: region(8 + 32), capacity: 2 }).capacity).toBe(2);
  });

  it('u8 fields out of range are our bug', () => {
    const q = new I2cReqQueue({ region: region(4096) });
    expect(() => q.enqueue({ payload: 0n, dataLen: 256, flagMask: 0 })).toThrow(InvariantError);
    expect(() => q.enqueue({ payload: 0n, dataLen: 0, flagMask: -1 })).toThrow(InvariantError);
  });
});
