import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../spec/common/diagnostic.ts';
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  NetQueue,
  createNetQueueHandle,
  netBufferAt,
  netBuffersInit,
  newNetDescParts,
} from '../../../impl/queue/net.ts';
import { netProperty } from '../../../traces/refinement/queue-commands.ts';

function region(sizeBytes: number, byteOffset = 0) {
  return { buffer: new SharedArrayBuffer(sizeBytes + byteOffset), byteOffset };
}

describe('net queue implementation refines the abstract FIFO', () => {
  it('model-based, from indices around the u16 wrap (2^16 - 3)', () => {
    fc.assert(netProperty(), { numRuns: 300 });
  });

  it('the C-as-written full check (U1) is caught by the same commands', () => {
    const details = fc.check(netProperty({ netFullCheck: 'int-promoted' }), {
      numRuns: 500,
      seed: 3,
    });
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/full|enqueue result|dequeue result/);
  });

  it('U1 concretely: overwrites a live slot at the wrap', () => {
    const r = region(NetQueue.sizeBytes(1));
    new DataView(r.buffer).setUint16(0, 0xffff, true);
    new DataView(r.buffer).setUint16(2, 0xffff, true);
    const bug = new NetQueue({ region: r, capacity: 1, fullCheck: 'int-promoted' });
    expect(bug.enqueue({ ioOrOffset: 1n, len: 1, oid: 0 })).toBe(true); // tail wraps to 0
    expect(bug.full()).toBe(false); // 0 - 65535 != 1
    expect(bug.enqueue({ ioOrOffset: 2n, len: 2, oid: 0 })).toBe(true); // overwrites the live slot
    expect(bug.dequeue()?.ioOrOffset).toBe(2n);
  });
});

describe('net queue byte layout (include/sddf/network/queue.h)', () => {
  it('tail@0 u16, head@2 u16, consumer_signalled@4 u32, descriptors from 8, 16 bytes each', () => {
    const r = region(NetQueue.sizeBytes(4), 64);
    const q = new NetQueue({ region: r, capacity: 4 });
    const dv = new DataView(r.buffer, 64);
    expect(q.enqueue({ ioOrOffset: 0x1122_3344_5566_7788n, len: 0xabcd, oid: 0x3f })).toBe(true);
    expect(q.enqueue({ ioOrOffset: 0x800n, len: 1, oid: 5 })).toBe(true);
    expect(dv.getUint16(0, true)).toBe(2); // tail
    expect(dv.getUint16(2, true)).toBe(0); // head
    expect(dv.getBigUint64(8, true)).toBe(0x1122_3344_5566_7788n);
    expect(dv.getUint16(16, true)).toBe(0xabcd);
    expect(dv.getUint8(18) & 0x3f).toBe(0x3f);
    expect(dv.getBigUint64(24, true)).toBe(0x800n);
    expect(dv.getUint16(32, true)).toBe(1);
    expect(dv.getUint8(34)).toBe(5);
    expect(q.dequeue()).toEqual({ ioOrOffset: 0x1122_3344_5566_7788n, len: 0xabcd, oid: 0x3f });
    expect(dv.getUint16(2, true)).toBe(1); // head
    q.cancelSignal();
    expect(dv.getUint32(4, true)).toBe(1);
    q.requestSignal();
    expect(dv.getUint32(4, true)).toBe(0);
    expect(new Uint8Array(r.buffer, 0, 64).every((b) => b === 0)).toBe(true); // nothing before the MR
  });

  it('reads descriptors a C peer wrote at the documented offsets', () => {
    const r = region(NetQueue.sizeBytes(2));
    const dv = new DataView(r.buffer);
    dv.setBigUint64(8 + 16, 0xdead_beefn, true); // slot 1
    dv.setUint16(8 + 16 + 8, 1500, true);
    dv.setUint8(8 + 16 + 10, 0x40 | 7); // bits above the 6-bit oid are not part of oid
    dv.setUint16(0, 2, true); // tail
    dv.setUint16(2, 1, true); // head
    const q = new NetQueue({ region: r, capacity: 2 });
    expect(q.length()).toBe(1);
    const out = newNetDescParts();
    expect(q.dequeueInto(out)).toBe(true);
    expect(out).toEqual({ ioLow: 0xdead_beef, ioHigh: 0, len: 1500, oid: 7 });
    expect(q.dequeueInto(out)).toBe(false);
    expect(q.dequeue()).toBeNull();
  });

  it('zero-filled memory: empty, and the consumer wants a signal', () => {
    const q = new NetQueue({ region: region(NetQueue.sizeBytes(2)), capacity: 2 });
    expect(q.empty()).toBe(true);
    expect(q.requireSignal()).toBe(true);
    q.cancelSignal();
    expect(q.requireSignal()).toBe(false);
  });

  it('capacity is private: a peer cannot change it through shared memory', () => {
    const r = region(NetQueue.sizeBytes(2));
    const q = new NetQueue({ region: r, capacity: 2 });
    new DataView(r.buffer).setUint32(4, 0xffff_ffff, true); // scribble on the flag word
    expect(q.capacity).toBe(2);
    expect(
      q.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 }) &&
        q.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 }),
    ).toBe(true);
    expect(q.full()).toBe(true);
    expect(q.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 })).toBe(false);
  });

  it('a handle passes the full-check variant to both queues', () => {
    const mk = () => region(NetQueue.sizeBytes(2));
    const h = createNetQueueHandle({
      free: mk(),
      active: mk(),
      capacity: 2,
      fullCheck: 'int-promoted',
    });
    expect([h.free.fullCheck, h.active.fullCheck]).toEqual(['int-promoted', 'int-promoted']);
    const d = createNetQueueHandle({ free: mk(), active: mk(), capacity: 2 });
    expect([d.free.fullCheck, d.active.fullCheck, d.capacity]).toEqual([
      'corrected',
      'corrected',
      2,
    ]);
  });

  it('net_buffers_init fills the free queue of a handle pair', () => {
    const h = createNetQueueHandle({
      free: region(NetQueue.sizeBytes(4)),
      active: region(NetQueue.sizeBytes(4)),
      capacity: 4,
    });
    netBuffersInit(h, 0x1000_0000n);
    expect(h.free.length()).toBe(4);
    expect(h.active.length()).toBe(0);
    const got = [];
    for (let d = h.free.dequeue(); d; d = h.free.dequeue()) got.push(d);
    expect(got).toEqual(
      [0, 1, 2, 3].map((i) => ({ ioOrOffset: 0x1000_0000n + BigInt(2048 * i), len: 0, oid: 0 })),
    );
  });
});

describe('net queue bad input fails with an error naming the value', () => {
  const expectUserError = (f: () => unknown, pattern: RegExp) => {
    let caught: unknown;
    try {
      f();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as UserError).message).toMatch(pattern);
  };

  it('non-power-of-two capacity', () => {
    expectUserError(
      () => new NetQueue({ region: region(4096), capacity: 6 }),
      /capacity 6 is not a power of two/,
    );
    expectUserError(() => new NetQueue({ region: region(4096), capacity: 0 }), /capacity 0/);
    expectUserError(() => new NetQueue({ region: region(1 << 20), capacity: 0x1_0000 }), /65536/);
  });

  it('region too small for the capacity', () => {
    expectUserError(
      () => new NetQueue({ region: region(8 + 16 * 4 - 1), capacity: 4 }),
      /needs 72 bytes/,
    );
    expectUserError(
      () =>
        new NetQueue({ region: { buffer: new SharedArrayBuffer(72), byteOffset: 8 }, capacity: 4 }),
      /offset 8 is too small/,
    );
  });

  it('misaligned or negative region offset', () => {
    expectUserError(
      () =>
        new NetQueue({
          region: { buffer: new SharedArrayBuffer(256), byteOffset: 4 },
          capacity: 4,
        }),
      /byte offset 4 is not/,
    );
    expectUserError(
      () =>
        new NetQueue({
          region: { buffer: new SharedArrayBuffer(256), byteOffset: -8 },
          capacity: 4,
        }),
      /byte offset -8/,
    );
    expectUserError(
      () =>
        new NetQueue({
          region: { buffer: new ArrayBuffer(256) as unknown as SharedArrayBuffer, byteOffset: 0 },
          capacity: 4,
        }),
      /not a SharedArrayBuffer/,
    );
  });

  it('misaligned or out-of-range data offsets', () => {
    const data = region(2048 * 4);
    expectUserError(
      () => netBufferAt({ data, offset: 100n, numBuffers: 4 }),
      /offset 100 is not a multiple of 2048/,
    );
    expectUserError(
      () => netBufferAt({ data, offset: 8192n, numBuffers: 4 }),
      /offset 8192 is out of range/,
    );
    expectUserError(
      () => netBufferAt({ data: region(2048), offset: 0n, numBuffers: 4 }),
      /needs 8192 bytes/,
    );
    const b = netBufferAt({ data, offset: 6144n, numBuffers: 4 });
    expect(b.byteOffset).toBe(6144);
    expect(b.length).toBe(2048);
  });

  it('a descriptor that does not fit its C fields is our bug', () => {
    const q = new NetQueue({ region: region(NetQueue.sizeBytes(2)), capacity: 2 });
    expect(() => q.enqueue({ ioOrOffset: 0n, len: 70000, oid: 0 })).toThrow(InvariantError);
  });
});
