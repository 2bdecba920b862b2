// Issue 12 part 5: impl/queue's region checks at their edges. A queue fits its region exactly or
// is refused by name; at the exact fit, wrapping through every slot (the last slot ends at the
// region's last byte) touches no byte outside it; data offsets are accepted up to the last
// buffer and refused one buffer past it. The oracle counts bytes; it does not reuse the sizes'
// formula.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../spec/common/diagnostic.ts';
import { BlkReqQueue, BlkRespQueue } from '../../../impl/queue/blk.ts';
import { I2cReqQueue, I2cRespQueue } from '../../../impl/queue/i2c.ts';
import { NetQueue, netBufferAt } from '../../../impl/queue/net.ts';
import { SerialQueue } from '../../../impl/queue/serial.ts';
import type { SharedRegion } from '../../../impl/queue/region.ts';
import {
  BLK_REQ,
  BLK_RESP,
  I2C_REQ,
  I2C_RESP,
  NET,
  type QueueClass,
} from './store-order-classes.ts';

interface Shape {
  readonly name: string;
  /** Bytes of the C struct with `capacity` slots, counted field by field. */
  readonly bytes: (capacity: number) => number;
  readonly align: number;
  /** Bytes of one slot (the last slot ends at the region's last byte). */
  readonly slot: number;
  readonly capacities: readonly number[];
  readonly make: (r: SharedRegion, capacity: number) => object;
  readonly cls: QueueClass<object, unknown>;
}

// Header fields, then the slots, as queue.h declares them (LP64): counted, not taken from impl.
const SHAPES: readonly Shape[] = [
  {
    name: 'net',
    slot: 16,
    bytes: (c) => 2 + 2 + 4 + c * (8 + 2 + 1 + 5),
    align: 8,
    capacities: [1, 2, 4],
    make: (region, capacity) => new NetQueue({ region, capacity }),
    cls: NET as unknown as QueueClass<object, unknown>,
  },
  {
    name: 'blk request',
    slot: 32,
    bytes: (c) => 4 + 4 + 1 + 7 + c * (4 + 4 + 8 + 8 + 2 + 2 + 4),
    align: 8,
    capacities: [1, 2, 4],
    make: (region, capacity) => new BlkReqQueue({ region, capacity }),
    cls: BLK_REQ as unknown as QueueClass<object, unknown>,
  },
  {
    name: 'blk response',
    slot: 12,
    bytes: (c) => 4 + 4 + c * (4 + 2 + 2 + 4),
    align: 8,
    capacities: [1, 2, 4],
    make: (region, capacity) => new BlkRespQueue({ region, capacity }),
    cls: BLK_RESP as unknown as QueueClass<object, unknown>,
  },
  {
    name: 'i2c request',
    slot: 16,
    bytes: (c) => 4 + 4 + 4 + 4 + c * 16,
    align: 8,
    capacities: [2, 3, 4],
    make: (region, capacity) => new I2cReqQueue({ region, capacity }),
    cls: I2C_REQ as unknown as QueueClass<object, unknown>,
  },
  {
    name: 'i2c response',
    slot: 16,
    bytes: (c) => 4 + 4 + c * 16,
    align: 8,
    capacities: [2, 3, 4],
    make: (region, capacity) => new I2cRespQueue({ region, capacity }),
    cls: I2C_RESP as unknown as QueueClass<object, unknown>,
  },
];

function refusal(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    if (e instanceof UserError) return e.diagnostic.code;
    throw e;
  }
}

describe('queue regions: exact fit accepted, one byte short or misaligned refused', () => {
  for (const s of SHAPES) {
    it(`${s.name}: constructor agrees with a byte count for every length and offset`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...s.capacities),
          fc.integer({ min: -1, max: 3 * s.align }),
          fc.integer({ min: -2, max: 2 }),
          (capacity, byteOffset, slack) => {
            const need = s.bytes(capacity);
            const length = Math.max(0, byteOffset) + need + slack;
            if (length < 0) return;
            const region = { buffer: new SharedArrayBuffer(length), byteOffset };
            let fits = byteOffset >= 0 && byteOffset % s.align === 0;
            for (let i = 0; fits && i < need; i++) if (byteOffset + i >= length) fits = false;
            expect(refusal(() => s.make(region, capacity))).toBe(fits ? null : 'QUEUE_REGION');
          },
        ),
        { numRuns: 150 },
      );
    });

    it(`${s.name}: at the exact fit, every slot including the last stays inside the region`, () => {
      for (const capacity of s.capacities) {
        const need = s.bytes(capacity);
        const buffer = new SharedArrayBuffer(8 + need + 8);
        const bytes = new Uint8Array(buffer);
        bytes.fill(0xa5); // canaries on both sides
        bytes.fill(0, 8, 8 + need);
        // A view that ends exactly at the queue's last byte.
        const exact = { buffer, byteOffset: 8 };
        const q = s.make(exact, capacity);
        const lastSlot = bytes.subarray(8 + need - s.slot, 8 + need);
        let lastWritten = false;
        for (let round = 0; round < 3 * capacity + 2; round++) {
          // Fill to the brim, then drain: every slot is written and read, across the wrap.
          let n = 0;
          while (s.cls.put(q, s.cls.fixed(round + n))) n++;
          lastWritten ||= lastSlot.some((b) => b !== 0);
          for (let i = 0; i < n; i++) expect(s.cls.take(q)).toEqual(s.cls.fixed(round + i));
          expect(s.cls.take(q)).toBeNull();
        }
        expect(lastWritten).toBe(true);
        expect(bytes.subarray(0, 8).every((b) => b === 0xa5)).toBe(true);
        expect(bytes.subarray(8 + need).every((b) => b === 0xa5)).toBe(true);
      }
    });
  }
});

describe('serial regions and net data offsets at their edges', () => {
  it('serial: a 12-byte queue MR and exactly `capacity` data bytes; one short is refused', () => {
    const make = (qLen: number, qOff: number, dLen: number, dOff: number) =>
      refusal(
        () =>
          new SerialQueue({
            queue: { buffer: new SharedArrayBuffer(qLen), byteOffset: qOff },
            data: { buffer: new SharedArrayBuffer(dLen), byteOffset: dOff },
            capacity: 8,
          }),
      );
    expect(make(12, 0, 8, 0)).toBeNull();
    expect(make(16, 4, 9, 1)).toBeNull();
    expect(make(11, 0, 8, 0)).toBe('QUEUE_REGION');
    expect(make(16, 2, 8, 0)).toBe('QUEUE_REGION'); // u32 fields need 4-byte alignment
    expect(make(12, 0, 7, 0)).toBe('QUEUE_REGION');
    expect(make(12, 0, 9, 2)).toBe('QUEUE_REGION');
    // The last data byte is used and the byte after it never is.
    const data = new SharedArrayBuffer(9);
    const q = new SerialQueue({
      queue: { buffer: new SharedArrayBuffer(12), byteOffset: 0 },
      data: { buffer: data, byteOffset: 1 },
      capacity: 8,
    });
    new Uint8Array(data)[0] = 0xa5;
    for (let i = 0; i < 8; i++) expect(q.enqueue(0x30 + i)).toBe(true);
    expect(q.enqueue(0x40)).toBe(false);
    expect(Array.from(new Uint8Array(data))).toEqual([
      0xa5, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
    ]);
  });

  it('net: buffers up to the last one are reachable, one past is not, and each view is 2048 bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: -2, max: 10 }),
        fc.integer({ min: -1, max: 1 }),
        (n, k, skew) => {
          const offset = BigInt(2048 * k + skew);
          const data = { buffer: new SharedArrayBuffer(2048 * n + 16), byteOffset: 16 };
          const ok = skew === 0 && k >= 0 && k < n;
          const code = refusal(() => netBufferAt({ data, offset, numBuffers: n }));
          expect(code).toBe(ok ? null : 'NET_OFFSET');
          if (!ok) return;
          const view = netBufferAt({ data, offset, numBuffers: n });
          expect(view.byteOffset).toBe(16 + 2048 * k);
          expect(view.byteLength).toBe(2048);
          expect(view.byteOffset + view.byteLength <= data.buffer.byteLength).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
    // A data region one byte short of `numBuffers` buffers is refused even for buffer 0.
    const short = { buffer: new SharedArrayBuffer(2 * 2048 - 1), byteOffset: 0 };
    expect(refusal(() => netBufferAt({ data: short, offset: 0n, numBuffers: 2 }))).toBe(
      'QUEUE_REGION',
    );
  });
});
