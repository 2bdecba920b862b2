// spec/queue/i2c.ts: staging, commit (release then tail), abort; the reserved slot; the debug
// assert predicate the proof obligation states.
import { describe, expect, it } from 'vitest';
import { U32 } from '../../../spec/queue/arith.ts';
import {
  I2C_FLAVOUR_HEAD,
  i2cDequeueRequest,
  i2cEnqueueRequest,
  i2cLength,
  i2cRequestAbort,
  i2cRequestCommit,
  i2cStagedAssertOf,
  type I2cReqQueueRef,
} from '../../../spec/queue/i2c.ts';
import { RecordingMemory } from './recording-memory.ts';

function queue(capacity: number): { mem: RecordingMemory; q: I2cReqQueueRef } {
  const mem = new RecordingMemory(['staged_active_tail', 'tail', 'head'], 'cmds', capacity);
  return {
    mem,
    q: { name: 'req', stagedTail: 0, tail: 1, head: 2, slots: mem.slots, capacity },
  };
}

describe('i2c request queue operations in C order (i2c/queue.h at 650ace5d)', () => {
  it('staged commands are invisible until commit (release, then ctrl.tail); abort drops them', () => {
    const { mem, q } = queue(4);
    expect(i2cEnqueueRequest(mem, q, I2C_FLAVOUR_HEAD, 1)).toBe(true);
    expect(i2cEnqueueRequest(mem, q, I2C_FLAVOUR_HEAD, 2)).toBe(true);
    expect(i2cEnqueueRequest(mem, q, I2C_FLAVOUR_HEAD, 3)).toBe(true);
    expect(i2cEnqueueRequest(mem, q, I2C_FLAVOUR_HEAD, 4)).toBe(false); // CAP - 1 usable
    expect(i2cLength(mem, q)).toBe(0);
    mem.clear();
    i2cRequestCommit(mem, q);
    expect(mem.log).toEqual(['fence release', 'load staged_active_tail', 'store tail']);
    expect(i2cDequeueRequest(mem, q, I2C_FLAVOUR_HEAD)).toBe(1);
    expect(i2cEnqueueRequest(mem, q, I2C_FLAVOUR_HEAD, 5)).toBe(true);
    i2cRequestAbort(mem, q);
    expect(mem.words[0]).toBe(3);
    expect([
      i2cDequeueRequest(mem, q, I2C_FLAVOUR_HEAD),
      i2cDequeueRequest(mem, q, I2C_FLAVOUR_HEAD),
      i2cDequeueRequest(mem, q, I2C_FLAVOUR_HEAD),
    ]).toEqual([2, 3, null]);
  });

  it('the staged >= tail debug assert fails once only the staged tail has wrapped', () => {
    const at = (staged: number, tail: number, wrapSafe: boolean) =>
      i2cStagedAssertOf(U32, { staged, tail, head: tail, wrapSafe });
    expect(at(1, 0xffff_ffff, false)).toBe(false);
    expect(at(1, 0xffff_ffff, true)).toBe(true);
    expect(at(7, 5, false)).toBe(true);
  });
});
