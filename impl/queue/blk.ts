// The block queues over a SharedArrayBuffer, byte-compatible with include/sddf/blk/queue.h
// (reference sddf-protocols.md §2.3). Layout (LP64 C rules): request queue {u32 head @0;
// u32 tail @4; bool plugged @8; blk_req_t buffers[] @16}; blk_req_t (32 B) {u32 code @0;
// u64 io_or_offset @8; u64 block_number @16; u16 count @24; u32 id @28}; response queue
// {u32 head @0; u32 tail @4; blk_resp_t buffers[] @8}; blk_resp_t (12 B) {u32 status @0;
// u16 success_count @4; u32 id @8}. Note head BEFORE tail, unlike net and serial.
//
// Ordering as in net.ts: records written with plain stores, published by an Atomics store of
// tail (the C has an unconditional release here); the consumer Atomics-loads tail before
// reading and Atomics-stores head after. No signalling flags: block always notifies.
import { assert } from '../../spec/common/assert.ts';
import {
  blkReqProblem,
  blkRespProblem,
  checkBlkCapacity,
  type BlkReq,
  type BlkReqCode,
  type BlkResp,
  type BlkRespStatus,
} from '../../spec/queue/blk.ts';
import { U32 } from '../../spec/queue/arith.ts';
import { ringEmptyOf, ringFullOf, ringLengthOf, ringSlotOf } from '../../spec/queue/ring.ts';
import { HOST_IS_LITTLE_ENDIAN, checkRegion, throwIfProblem, type SharedRegion } from './region.ts';

assert(HOST_IS_LITTLE_ENDIAN, 'the C structs are little-endian; typed arrays follow the host');

export const BLK_REQ_SIZE_BYTES = 32;
export const BLK_RESP_SIZE_BYTES = 12;
export const BLK_REQ_QUEUE_HEADER_BYTES = 16;
export const BLK_RESP_QUEUE_HEADER_BYTES = 8;

const HEAD = 0; // u32 index in the Uint32Array view (head @0)
const TAIL = 1; // tail @4

export function blkReqQueueSizeBytes(capacity: number): number {
  return BLK_REQ_QUEUE_HEADER_BYTES + BLK_REQ_SIZE_BYTES * capacity;
}

export function blkRespQueueSizeBytes(capacity: number): number {
  return BLK_RESP_QUEUE_HEADER_BYTES + BLK_RESP_SIZE_BYTES * capacity;
}

/** The index logic both block queues share; records are encoded by the subclasses. */
abstract class BlkRing<T> {
  readonly capacity: number;
  protected readonly indices: Uint32Array;
  protected readonly view: DataView;
  private readonly recordsOffset: number;
  private readonly recordBytes: number;

  constructor(opts: {
    queue: string;
    region: SharedRegion;
    capacity: number;
    headerBytes: number;
    recordBytes: number;
  }) {
    throwIfProblem(checkBlkCapacity(opts.capacity));
    const sizeBytes = opts.headerBytes + opts.recordBytes * opts.capacity;
    throwIfProblem(
      checkRegion({ queue: opts.queue, region: opts.region, sizeBytes, alignBytes: 8 }),
    );
    this.capacity = opts.capacity;
    this.indices = new Uint32Array(opts.region.buffer, opts.region.byteOffset, 2);
    this.view = new DataView(opts.region.buffer, opts.region.byteOffset, sizeBytes);
    this.recordsOffset = opts.headerBytes;
    this.recordBytes = opts.recordBytes;
  }

  empty(): boolean {
    return ringEmptyOf(U32, Atomics.load(this.indices, TAIL), Atomics.load(this.indices, HEAD));
  }

  /** Producer side: head Atomics-loaded (acquire: the consumer is done with the slot). */
  full(): boolean {
    const tail = this.indices[TAIL] as number; // plain: only the producer writes tail
    const head = Atomics.load(this.indices, HEAD);
    return ringFullOf(U32, { tail, head, capacity: this.capacity, reservedSlots: 0 });
  }

  length(): number {
    return ringLengthOf(U32, Atomics.load(this.indices, TAIL), Atomics.load(this.indices, HEAD));
  }

  protected abstract write(offset: number, item: T): void;
  protected abstract read(offset: number): T;

  protected put(item: T): boolean {
    if (this.full()) return false;
    const tail = this.indices[TAIL] as number; // plain: only the producer writes tail
    this.write(this.recordsOffset + ringSlotOf(U32, tail, this.capacity) * this.recordBytes, item);
    // Release (C: unconditional THREAD_MEMORY_RELEASE): the record is visible before the tail.
    Atomics.store(this.indices, TAIL, U32.add(tail, 1));
    return true;
  }

  protected take(): T | null {
    const head = this.indices[HEAD] as number; // plain: only the consumer writes head
    // Acquire: the record written before the tail store is visible after this load.
    if (ringEmptyOf(U32, Atomics.load(this.indices, TAIL), head)) return null;
    const item = this.read(
      this.recordsOffset + ringSlotOf(U32, head, this.capacity) * this.recordBytes,
    );
    // Release: the record is read before the slot is handed back.
    Atomics.store(this.indices, HEAD, U32.add(head, 1));
    return item;
  }
}

/** `blk_req_queue_t` through its handle. */
export class BlkReqQueue extends BlkRing<BlkReq> {
  private readonly plugged: Uint8Array;

  constructor(opts: { readonly region: SharedRegion; readonly capacity: number }) {
    super({
      queue: 'blk request queue',
      ...opts,
      headerBytes: BLK_REQ_QUEUE_HEADER_BYTES,
      recordBytes: BLK_REQ_SIZE_BYTES,
    });
    this.plugged = new Uint8Array(opts.region.buffer, opts.region.byteOffset + 8, 1);
  }

  /** `blk_enqueue_req`: false when full. */
  enqueue(r: BlkReq): boolean {
    const broken = blkReqProblem(r);
    assert(broken === null, () => `enqueue of an impossible request: ${broken}`);
    return this.put(r);
  }

  /** `blk_dequeue_req`: null when empty. */
  dequeue(): BlkReq | null {
    return this.take();
  }

  /** `blk_queue_plug_req` / `unplug_req`: a bool word either side may read. */
  setPlugged(plugged: boolean): void {
    Atomics.store(this.plugged, 0, plugged ? 1 : 0);
  }

  /** `blk_queue_plugged_req`. */
  isPlugged(): boolean {
    return Atomics.load(this.plugged, 0) !== 0;
  }

  protected write(o: number, r: BlkReq): void {
    this.view.setUint32(o, r.code, true);
    this.view.setUint32(o + 4, 0, true); // padding before the u64
    this.view.setBigUint64(o + 8, r.ioOrOffset, true);
    this.view.setBigUint64(o + 16, r.blockNumber, true);
    this.view.setUint16(o + 24, r.count, true);
    this.view.setUint16(o + 26, 0, true); // padding before the u32 id
    this.view.setUint32(o + 28, r.id, true);
  }

  protected read(o: number): BlkReq {
    return {
      code: this.view.getUint32(o, true) as BlkReqCode,
      ioOrOffset: this.view.getBigUint64(o + 8, true),
      blockNumber: this.view.getBigUint64(o + 16, true),
      count: this.view.getUint16(o + 24, true),
      id: this.view.getUint32(o + 28, true),
    };
  }
}

/** `blk_resp_queue_t` through its handle. */
export class BlkRespQueue extends BlkRing<BlkResp> {
  constructor(opts: { readonly region: SharedRegion; readonly capacity: number }) {
    super({
      queue: 'blk response queue',
      ...opts,
      headerBytes: BLK_RESP_QUEUE_HEADER_BYTES,
      recordBytes: BLK_RESP_SIZE_BYTES,
    });
  }

  /** `blk_enqueue_resp`: false when full. */
  enqueue(r: BlkResp): boolean {
    const broken = blkRespProblem(r);
    assert(broken === null, () => `enqueue of an impossible response: ${broken}`);
    return this.put(r);
  }

  /** `blk_dequeue_resp`: null when empty. */
  dequeue(): BlkResp | null {
    return this.take();
  }

  protected write(o: number, r: BlkResp): void {
    this.view.setUint32(o, r.status, true);
    this.view.setUint16(o + 4, r.successCount, true);
    this.view.setUint16(o + 6, 0, true); // padding before the u32 id
    this.view.setUint32(o + 8, r.id, true);
  }

  protected read(o: number): BlkResp {
    return {
      status: this.view.getUint32(o, true) as BlkRespStatus,
      successCount: this.view.getUint16(o + 4, true),
      id: this.view.getUint32(o + 8, true),
    };
  }
}

/** `blk_queue_handle_t`: request + response queue of one connection, same capacity. */
export interface BlkQueueHandle {
  readonly req: BlkReqQueue;
  readonly resp: BlkRespQueue;
  readonly capacity: number;
}

export function createBlkQueueHandle(opts: {
  readonly req: SharedRegion;
  readonly resp: SharedRegion;
  readonly capacity: number;
}): BlkQueueHandle {
  return {
    req: new BlkReqQueue({ region: opts.req, capacity: opts.capacity }),
    resp: new BlkRespQueue({ region: opts.resp, capacity: opts.capacity }),
    capacity: opts.capacity,
  };
}
