// The queue classes of impl/queue as the store-order tests drive them (test/helpers/store-order.ts):
// regions, start indices at their C offsets, one producer and one consumer operation, records,
// field names for messages, and the seeded broken variants (subclasses made here, never edits of
// impl/queue): `publishFirst` publishes the index before writing the record, `handBackFirst`
// hands the slot back (head store) before reading the record.
import fc from 'fast-check';
import { BlkReqQueue, BlkRespQueue } from '../../../impl/queue/blk.ts';
import { I2cReqQueue, I2cRespQueue } from '../../../impl/queue/i2c.ts';
import { NetQueue } from '../../../impl/queue/net.ts';
import { SerialQueue } from '../../../impl/queue/serial.ts';
import type { BlkReq, BlkReqCode, BlkResp, BlkRespStatus } from '../../../spec/queue/blk.ts';
import type { I2cCmd, I2cErr, I2cResponse } from '../../../spec/queue/i2c.ts';
import type { NetBuffDesc } from '../../../spec/queue/net.ts';
import type { Demotion } from '../../helpers/queue-instrument.ts';
import type { AccessKey } from '../../helpers/store-order.ts';

export type Variant = 'impl' | 'publishFirst' | 'handBackFirst';

/** One queue class: what the tests need to build, fill and drive it. */
export interface QueueClass<Q, R> {
  readonly name: string;
  readonly indexBits: 16 | 32;
  readonly capacity: number;
  /** Records the queue can hold at once (i2c reserves one slot). */
  readonly usable: number;
  readonly regionSizes: readonly number[];
  make(bufs: readonly SharedArrayBuffer[], variant: Variant): Q;
  /** Writes `start` into every index word (a queue that has moved `start` records). */
  setStart(bufs: readonly SharedArrayBuffer[], start: number): void;
  put(q: Q, r: R): boolean;
  take(q: Q): R | null;
  /** Records, none all-zero (so a slot never written is told apart from a written one). */
  readonly record: fc.Arbitrary<R>;
  /** The i-th of a fixed list of distinct records (for deterministic tests). */
  fixed(i: number): R;
  /**
   * The Atomics accesses of the data path: the producer's publishing store and its full check's
   * acquire load of head, the consumer's acquire load of tail and its hand-back store.
   */
  readonly publish: Demotion;
  readonly acquireHead: Demotion;
  readonly acquireTail: Demotion;
  readonly handBack: Demotion;
  fieldName(a: AccessKey): string;
}

const dv = (b: SharedArrayBuffer) => new DataView(b);

// ---------------------------------------------------------------- net

type NetInternals = { indices: Uint16Array; words: Uint32Array };

class NetPublishFirst extends NetQueue {
  override enqueueParts(ioLow: number, ioHigh: number, len: number, oid: number): boolean {
    if (this.full()) return false;
    const me = this as unknown as NetInternals;
    const tail = me.indices[0]!;
    Atomics.store(me.indices, 0, (tail + 1) & 0xffff); // seeded: published before written
    const base = (tail % this.capacity) * 4;
    me.words[base] = ioLow;
    me.words[base + 1] = ioHigh;
    me.words[base + 2] = (len & 0xffff) | ((oid & 0x3f) << 16);
    me.words[base + 3] = 0;
    return true;
  }
}

class NetHandBackFirst extends NetQueue {
  override dequeue(): NetBuffDesc | null {
    const me = this as unknown as NetInternals;
    const head = me.indices[1]!;
    if (Atomics.load(me.indices, 0) === head) return null;
    Atomics.store(me.indices, 1, (head + 1) & 0xffff); // seeded: handed back before read
    const base = (head % this.capacity) * 4;
    const w2 = me.words[base + 2]!;
    const io = (BigInt(me.words[base + 1]!) << 32n) | BigInt(me.words[base]!);
    return { ioOrOffset: io, len: w2 & 0xffff, oid: (w2 >>> 16) & 0x3f };
  }
}

export const NET: QueueClass<NetQueue, NetBuffDesc> = {
  name: 'net',
  indexBits: 16,
  capacity: 2,
  usable: 2,
  regionSizes: [NetQueue.sizeBytes(2)],
  make(bufs, variant) {
    const Ctor = { impl: NetQueue, publishFirst: NetPublishFirst, handBackFirst: NetHandBackFirst }[
      variant
    ];
    return new Ctor({ region: { buffer: bufs[0]!, byteOffset: 0 }, capacity: 2 });
  },
  setStart(bufs, start) {
    dv(bufs[0]!).setUint16(0, start, true);
    dv(bufs[0]!).setUint16(2, start, true);
  },
  put: (q, r) => q.enqueue(r),
  take: (q) => q.dequeue(),
  record: fc.record({
    ioOrOffset: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
    len: fc.integer({ min: 0, max: 0xffff }),
    oid: fc.integer({ min: 0, max: 63 }),
  }),
  fixed: (i) => ({ ioOrOffset: BigInt(0x1000 * (i + 1)), len: 60 + i, oid: i % 64 }),
  publish: { kind: 'store', region: 0, offset: 0 },
  acquireHead: { kind: 'load', region: 0, offset: 2 },
  acquireTail: { kind: 'load', region: 0, offset: 0 },
  handBack: { kind: 'store', region: 0, offset: 2 },
  fieldName: (a) =>
    ['tail', '', 'head', '', 'consumer_signalled'][a.offset] ??
    `buffers[${(a.offset - 8) >> 4}]+${(a.offset - 8) & 15}`,
};

// ---------------------------------------------------------------- blk

type BlkInternals = { indices: Uint32Array; recordsOffset: number; recordBytes: number };

function blkWrite(q: object, offset: number, r: unknown): void {
  (q as { write(o: number, r: unknown): void }).write(offset, r);
}
function blkRead(q: object, offset: number): unknown {
  return (q as { read(o: number): unknown }).read(offset);
}

/** `put` publishing first, shared by both block queues (the index logic is BlkRing's). */
function blkPutPublishFirst(q: BlkReqQueue | BlkRespQueue, item: unknown): boolean {
  if (q.full()) return false;
  const me = q as unknown as BlkInternals;
  const tail = me.indices[1]!;
  Atomics.store(me.indices, 1, (tail + 1) >>> 0); // seeded: published before written
  blkWrite(q, me.recordsOffset + (tail % q.capacity) * me.recordBytes, item);
  return true;
}

function blkTakeHandBackFirst<T>(q: BlkReqQueue | BlkRespQueue): T | null {
  const me = q as unknown as BlkInternals;
  const head = me.indices[0]!;
  if (Atomics.load(me.indices, 1) === head) return null;
  Atomics.store(me.indices, 0, (head + 1) >>> 0); // seeded: handed back before read
  return blkRead(q, me.recordsOffset + (head % q.capacity) * me.recordBytes) as T;
}

class BlkReqPublishFirst extends BlkReqQueue {
  override enqueue(r: BlkReq): boolean {
    return blkPutPublishFirst(this, r);
  }
}
class BlkReqHandBackFirst extends BlkReqQueue {
  override dequeue(): BlkReq | null {
    return blkTakeHandBackFirst<BlkReq>(this);
  }
}
class BlkRespPublishFirst extends BlkRespQueue {
  override enqueue(r: BlkResp): boolean {
    return blkPutPublishFirst(this, r);
  }
}
class BlkRespHandBackFirst extends BlkRespQueue {
  override dequeue(): BlkResp | null {
    return blkTakeHandBackFirst<BlkResp>(this);
  }
}

const blkIndices = {
  publish: { kind: 'store', region: 0, offset: 4 },
  acquireHead: { kind: 'load', region: 0, offset: 0 },
  acquireTail: { kind: 'load', region: 0, offset: 4 },
  handBack: { kind: 'store', region: 0, offset: 0 },
} as const;

function blkSetStart(bufs: readonly SharedArrayBuffer[], start: number): void {
  dv(bufs[0]!).setUint32(0, start, true);
  dv(bufs[0]!).setUint32(4, start, true);
}

export const BLK_REQ: QueueClass<BlkReqQueue, BlkReq> = {
  name: 'blk request',
  indexBits: 32,
  capacity: 2,
  usable: 2,
  regionSizes: [16 + 32 * 2],
  make(bufs, variant) {
    const Ctor = {
      impl: BlkReqQueue,
      publishFirst: BlkReqPublishFirst,
      handBackFirst: BlkReqHandBackFirst,
    }[variant];
    return new Ctor({ region: { buffer: bufs[0]!, byteOffset: 0 }, capacity: 2 });
  },
  setStart: blkSetStart,
  put: (q, r) => q.enqueue(r),
  take: (q) => q.dequeue(),
  record: fc.record({
    code: fc.constantFrom<BlkReqCode>(0, 1, 2, 3),
    ioOrOffset: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    blockNumber: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    count: fc.integer({ min: 1, max: 0xffff }),
    id: fc.integer({ min: 0, max: 0xffff_ffff }),
  }),
  fixed: (i) => ({
    code: ((i % 3) + 1) as BlkReqCode,
    ioOrOffset: BigInt(4096 * (i + 1)),
    blockNumber: BigInt(7 + i),
    count: i + 1,
    id: 100 + i,
  }),
  ...blkIndices,
  fieldName: (a) =>
    ({ 0: 'head', 4: 'tail', 8: 'plugged' })[a.offset] ??
    `buffers[${(a.offset - 16) >> 5}]+${(a.offset - 16) & 31}`,
};

export const BLK_RESP: QueueClass<BlkRespQueue, BlkResp> = {
  name: 'blk response',
  indexBits: 32,
  capacity: 2,
  usable: 2,
  regionSizes: [8 + 12 * 2],
  make(bufs, variant) {
    const Ctor = {
      impl: BlkRespQueue,
      publishFirst: BlkRespPublishFirst,
      handBackFirst: BlkRespHandBackFirst,
    }[variant];
    return new Ctor({ region: { buffer: bufs[0]!, byteOffset: 0 }, capacity: 2 });
  },
  setStart: blkSetStart,
  put: (q, r) => q.enqueue(r),
  take: (q) => q.dequeue(),
  record: fc.record({
    status: fc.constantFrom<BlkRespStatus>(0, 1, 2, 3, 4),
    successCount: fc.integer({ min: 1, max: 0xffff }),
    id: fc.integer({ min: 0, max: 0xffff_ffff }),
  }),
  fixed: (i) => ({ status: ((i % 4) + 1) as BlkRespStatus, successCount: i + 1, id: 200 + i }),
  ...blkIndices,
  fieldName: (a) =>
    ({ 0: 'head', 4: 'tail' })[a.offset] ?? `buffers[${Math.floor((a.offset - 8) / 12)}]`,
};

// ---------------------------------------------------------------- serial

type SerialInternals = { words: Uint32Array; data: Uint8Array };

class SerialPublishFirst extends SerialQueue {
  override enqueue(c: number): boolean {
    if (this.full()) return false;
    const me = this as unknown as SerialInternals;
    const tail = me.words[0]!;
    Atomics.store(me.words, 0, (tail + 1) >>> 0); // seeded: published before written
    me.data[tail % this.capacity] = c;
    return true;
  }
}

class SerialHandBackFirst extends SerialQueue {
  override dequeue(): number | null {
    const me = this as unknown as SerialInternals;
    const head = me.words[1]!;
    if (Atomics.load(me.words, 0) === head) return null;
    Atomics.store(me.words, 1, (head + 1) >>> 0); // seeded: handed back before read
    return me.data[head % this.capacity]!;
  }
}

export const SERIAL: QueueClass<SerialQueue, number> = {
  name: 'serial',
  indexBits: 32,
  capacity: 4,
  usable: 4,
  regionSizes: [12, 4],
  make(bufs, variant) {
    const Ctor = {
      impl: SerialQueue,
      publishFirst: SerialPublishFirst,
      handBackFirst: SerialHandBackFirst,
    }[variant];
    return new Ctor({
      queue: { buffer: bufs[0]!, byteOffset: 0 },
      data: { buffer: bufs[1]!, byteOffset: 0 },
      capacity: 4,
    });
  },
  setStart(bufs, start) {
    dv(bufs[0]!).setUint32(0, start, true);
    dv(bufs[0]!).setUint32(4, start, true);
  },
  put: (q, r) => q.enqueue(r),
  take: (q) => q.dequeue(),
  record: fc.integer({ min: 1, max: 255 }),
  fixed: (i) => 0x41 + i,
  publish: { kind: 'store', region: 0, offset: 0 },
  acquireHead: { kind: 'load', region: 0, offset: 4 },
  acquireTail: { kind: 'load', region: 0, offset: 0 },
  handBack: { kind: 'store', region: 0, offset: 4 },
  fieldName: (a) =>
    a.region === 1
      ? `data[${a.offset}]`
      : (['tail', 'head', 'producer_signalled'][a.offset / 4] ?? `@${a.offset}`),
};

// ---------------------------------------------------------------- i2c

type I2cInternals = { words: Uint32Array; view: DataView };

class I2cReqPublishFirst extends I2cReqQueue {
  override enqueue(cmd: I2cCmd): boolean {
    if (this.full()) return false;
    const me = this as unknown as I2cInternals;
    const staged = me.words[0]!;
    me.words[0] = (staged + 1) >>> 0;
    Atomics.store(me.words, 1, (staged + 1) >>> 0); // seeded: committed before written
    const o = 16 + (staged % this.capacity) * 16;
    me.view.setBigUint64(o, cmd.payload, true);
    me.view.setUint8(o + 8, cmd.dataLen);
    me.view.setUint8(o + 9, cmd.flagMask);
    return true;
  }
}

class I2cReqHandBackFirst extends I2cReqQueue {
  override dequeue(): I2cCmd | null {
    const me = this as unknown as I2cInternals;
    const head = me.words[2]!;
    if (Atomics.load(me.words, 1) === head) return null;
    Atomics.store(me.words, 2, (head + 1) >>> 0); // seeded: handed back before read
    const o = 16 + (head % this.capacity) * 16;
    return {
      payload: me.view.getBigUint64(o, true),
      dataLen: me.view.getUint8(o + 8),
      flagMask: me.view.getUint8(o + 9),
    };
  }
}

class I2cRespPublishFirst extends I2cRespQueue {
  override enqueue(r: I2cResponse): boolean {
    if (this.full()) return false;
    const me = this as unknown as I2cInternals;
    const tail = me.words[0]!;
    Atomics.store(me.words, 0, (tail + 1) >>> 0); // seeded: published before written
    const o = 8 + (tail % this.capacity) * 16;
    me.view.setBigUint64(o, r.errCmd, true);
    me.view.setUint8(o + 8, r.busAddress);
    me.view.setInt32(o + 12, r.error, true);
    return true;
  }
}

class I2cRespHandBackFirst extends I2cRespQueue {
  override dequeue(): I2cResponse | null {
    const me = this as unknown as I2cInternals;
    const head = me.words[1]!;
    if (Atomics.load(me.words, 0) === head) return null;
    Atomics.store(me.words, 1, (head + 1) >>> 0); // seeded: handed back before read
    const o = 8 + (head % this.capacity) * 16;
    return {
      errCmd: me.view.getBigUint64(o, true),
      busAddress: me.view.getUint8(o + 8),
      error: me.view.getInt32(o + 12, true) as I2cErr,
    };
  }
}

/** The producer's operation on the request queue is enqueue then commit (one transaction). */
export const I2C_REQ: QueueClass<I2cReqQueue, I2cCmd> = {
  name: 'i2c request',
  indexBits: 32,
  capacity: 4,
  usable: 3,
  regionSizes: [16 + 16 * 4],
  make(bufs, variant) {
    const Ctor = {
      impl: I2cReqQueue,
      publishFirst: I2cReqPublishFirst,
      handBackFirst: I2cReqHandBackFirst,
    }[variant];
    return new Ctor({ region: { buffer: bufs[0]!, byteOffset: 0 }, capacity: 4 });
  },
  setStart(bufs, start) {
    for (const o of [0, 4, 8]) dv(bufs[0]!).setUint32(o, start, true);
  },
  put(q, r) {
    if (!q.enqueue(r)) return false;
    q.commit();
    return true;
  },
  take: (q) => q.dequeue(),
  record: fc.record({
    payload: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
    dataLen: fc.integer({ min: 0, max: 255 }),
    flagMask: fc.integer({ min: 0, max: 255 }),
  }),
  fixed: (i) => ({ payload: BigInt(0x50 + i), dataLen: 2 + i, flagMask: 1 << (i % 5) }),
  publish: { kind: 'store', region: 0, offset: 4 },
  acquireHead: { kind: 'load', region: 0, offset: 8 },
  acquireTail: { kind: 'load', region: 0, offset: 4 },
  handBack: { kind: 'store', region: 0, offset: 8 },
  fieldName: (a) =>
    ({ 0: 'staged_active_tail', 4: 'ctrl.tail', 8: 'ctrl.head' })[a.offset] ??
    `cmds[${(a.offset - 16) >> 4}]+${(a.offset - 16) & 15}`,
};

export const I2C_RESP: QueueClass<I2cRespQueue, I2cResponse> = {
  name: 'i2c response',
  indexBits: 32,
  capacity: 4,
  usable: 3,
  regionSizes: [8 + 16 * 4],
  make(bufs, variant) {
    const Ctor = {
      impl: I2cRespQueue,
      publishFirst: I2cRespPublishFirst,
      handBackFirst: I2cRespHandBackFirst,
    }[variant];
    return new Ctor({ region: { buffer: bufs[0]!, byteOffset: 0 }, capacity: 4 });
  },
  setStart(bufs, start) {
    dv(bufs[0]!).setUint32(0, start, true);
    dv(bufs[0]!).setUint32(4, start, true);
  },
  put: (q, r) => q.enqueue(r),
  take: (q) => q.dequeue(),
  record: fc.record({
    errCmd: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
    busAddress: fc.integer({ min: 0, max: 0xff }), // i2c_addr_t is a uint8_t
    error: fc.constantFrom<I2cErr>(-1, 0, 1, 2, 3, 4, 5, 6, 7, 8),
  }),
  fixed: (i) => ({
    errCmd: BigInt(0x70 + i),
    busAddress: 0x20 + i,
    error: ((i % 8) + 1) as I2cErr,
  }),
  publish: { kind: 'store', region: 0, offset: 0 },
  acquireHead: { kind: 'load', region: 0, offset: 4 },
  acquireTail: { kind: 'load', region: 0, offset: 0 },
  handBack: { kind: 'store', region: 0, offset: 4 },
  fieldName: (a) =>
    ({ 0: 'ctrl.tail', 4: 'ctrl.head' })[a.offset] ?? `responses[${(a.offset - 8) >> 4}]`,
};

/** Every class, for the tests that run over all of them. */
export const CLASSES = [
  NET,
  BLK_REQ,
  BLK_RESP,
  SERIAL,
  I2C_REQ,
  I2C_RESP,
] as unknown as readonly QueueClass<object, unknown>[];
