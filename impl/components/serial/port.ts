// One end of a serial queue as a serial component sees it (include/sddf/serial/queue.h at au-ts/sddf
// 650ace5d; reference sddf-protocols.md §2.4): the queue MR's three u32 words through an Atomics
// view of this PD's `rw` map, the characters through the PD's own map of the data region (checked
// accesses: a read-only map stays read-only). Capacity is private (the data region's size), never
// read from shared memory.
//
// Hardened against a peer that writes garbage into the indices (issue 13 part 5): the length is
// computed once per use, `(u32)(tail - head)`, and a queue whose length exceeds its capacity is
// reported corrupt (null) instead of asserted on, so the caller skips it. Every data access is
// `index % capacity` inside the region: nothing outside it is reachable whatever the indices say.
import { U32 } from '../../../spec/queue/arith.ts';
import { checkSerialCapacity } from '../../../spec/queue/serial.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../../../spec/signal/handshake.ts';
import type { MicrokitApi } from '../../runtime/api.ts';
import type { RegionResource } from '../net/config.ts';
import { throwIfProblem } from '../../queue/region.ts';

/** `serial_connection_resource_t`: a queue MR, its data region, and the channel to the peer. */
export interface SerialConn {
  readonly queue: RegionResource;
  readonly data: RegionResource;
  /** Channel id at this end. */
  readonly id: number;
}

const TAIL = 0;
const HEAD = 1;
const PRODUCER_SIGNALLED = 2;

export class SerialPort {
  readonly capacity: number;
  private readonly words: Uint32Array;

  constructor(
    private readonly api: MicrokitApi,
    readonly conn: SerialConn,
  ) {
    throwIfProblem(checkSerialCapacity(conn.data.sizeBytes));
    this.capacity = conn.data.sizeBytes;
    this.words = api.mem.atomicsU32(conn.queue.vaddr, 3);
  }

  get tail(): number {
    return Atomics.load(this.words, TAIL);
  }
  get head(): number {
    return Atomics.load(this.words, HEAD);
  }

  /** `tail - head` (u32), or null when it exceeds the capacity (a peer wrote garbage). */
  length(): number | null {
    const n = U32.sub(this.tail, this.head);
    return n <= this.capacity ? n : null;
  }

  /** `serial_queue_free` from the producer's side, or null when the indices are corrupt. */
  free(): number | null {
    const n = this.length();
    return n === null ? null : this.capacity - n;
  }

  /** Copy `n` bytes starting at index `from` (mod capacity) out of the data region. */
  read(from: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    const start = from % this.capacity;
    const pre = Math.min(n, this.capacity - start);
    if (pre > 0) this.api.mem.readInto(this.conn.data.vaddr + start, pre, out, 0);
    if (n > pre) this.api.mem.readInto(this.conn.data.vaddr, n - pre, out, pre);
    return out;
  }

  /** Write `bytes` at index `from` (mod capacity): at most two copies, as serial_enqueue_batch. */
  write(from: number, bytes: Uint8Array): void {
    const start = from % this.capacity;
    const pre = Math.min(bytes.length, this.capacity - start);
    if (pre > 0) this.api.mem.writeBytes(this.conn.data.vaddr + start, bytes.subarray(0, pre));
    if (bytes.length > pre) this.api.mem.writeBytes(this.conn.data.vaddr, bytes.subarray(pre));
  }

  /** Consumer: take `n` bytes (store_release of head; the caller measured them). */
  consume(n: number): void {
    Atomics.store(this.words, HEAD, U32.add(this.head, n));
  }

  /** Producer: append `bytes` (the caller checked the free space) and publish the tail. */
  produce(bytes: Uint8Array): void {
    const tail = this.tail;
    this.write(tail, bytes);
    Atomics.store(this.words, TAIL, U32.add(tail, bytes.length));
  }

  /** `serial_request_consumer_signal`: a seq-cst store (the SB pair, §2.4). */
  requestConsumerSignal(): void {
    Atomics.store(this.words, PRODUCER_SIGNALLED, FLAG_WANTS_SIGNAL);
  }
  cancelConsumerSignal(): void {
    Atomics.store(this.words, PRODUCER_SIGNALLED, FLAG_SIGNALLED);
  }
  /** `serial_require_consumer_signal`: a seq-cst load. */
  requireConsumerSignal(): boolean {
    return Atomics.load(this.words, PRODUCER_SIGNALLED) === FLAG_WANTS_SIGNAL;
  }
}
