// Reading the I²C queues in shared memory as the spec's values (impl/components/i2c/state.ts): the
// abstraction the run's monitors and the refinement check use must agree with what the queue
// handles (impl/queue/i2c.ts, queue.h's layout) wrote, field for field, including across the
// 2^32 index wrap where CAP = 254 is not a power of two (catalogue U5).
import { describe, expect, it } from 'vitest';
import {
  readReqQueueState,
  readRespQueueState,
  reqCommands,
} from '../../../../impl/components/i2c/state.ts';
import { reqQueueBytes, respQueueBytes } from '../../../../impl/components/i2c/virt.ts';
import { I2cReqQueue, I2cRespQueue } from '../../../../impl/queue/i2c.ts';
import { I2C_CAPACITY, I2cErr, I2cFlag } from '../../../../spec/queue/i2c.ts';

const CAP = I2C_CAPACITY;

describe('i2c queue state readers', () => {
  it('a response reads back as written: err_cmd (size_t), bus address, error (i32)', () => {
    const buf = new SharedArrayBuffer(respQueueBytes());
    const q = new I2cRespQueue({ region: { buffer: buf, byteOffset: 0 } });
    const rs = [
      { errCmd: 2n, busAddress: 0x50, error: I2cErr.NACK },
      { errCmd: 0x0102_0304_0506_0708n, busAddress: 0x7f, error: I2cErr.QUEUE },
    ];
    for (const r of rs) q.enqueue(r);
    const s = readRespQueueState(buf, 0, CAP);
    expect(s).toMatchObject({ tail: 2, head: 0 });
    expect(s.slots.slice(0, 2)).toEqual(rs);
  });

  it('request commands read back as written, with the staged tail apart from the committed one', () => {
    const buf = new SharedArrayBuffer(reqQueueBytes());
    const q = new I2cReqQueue({ region: { buffer: buf, byteOffset: 0 } });
    const c = { payload: 0x1_0000_0040n, dataLen: 200, flagMask: I2cFlag.READ | I2cFlag.STOP };
    q.enqueue(c);
    q.commit();
    q.enqueue(c);
    const s = readReqQueueState(buf, 0, CAP);
    expect(s).toMatchObject({ stagedTail: 2, tail: 1, head: 0 });
    expect(s.slots[0]).toEqual(c);
    expect(reqCommands(buf, 0, CAP, 0, 1)).toEqual([c]);
  });

  it('reqCommands follows the free-running indices across the 2^32 wrap (slot = index mod 254)', () => {
    const buf = new SharedArrayBuffer(reqQueueBytes());
    const start = 0xffff_fffe; // two before the wrap
    new Uint32Array(buf, 0, 3).set([start, start, start]);
    const q = new I2cReqQueue({ region: { buffer: buf, byteOffset: 0 } });
    const cmds = [1n, 2n, 3n, 4n].map((p) => ({ payload: p, dataLen: 1, flagMask: 0 }));
    for (const c of cmds) q.enqueue(c);
    q.commit();
    const tail = (start + 4) >>> 0;
    expect(reqCommands(buf, 0, CAP, start, tail)).toEqual(cmds);
    expect(cmds.map(() => q.dequeue())).toEqual(cmds); // the same slots the consumer reads
  });

  it('a tail behind its head (corrupt) reads a bounded number of commands', () => {
    const buf = new SharedArrayBuffer(reqQueueBytes());
    const got = reqCommands(buf, 0, CAP, 5, 3); // (3 - 5) mod 2^32 = 2^32 - 2 "commands"
    expect(got.length).toBeLessThanOrEqual(CAP + 1);
  });
});
