// The serial queue over SharedArrayBuffers, byte-compatible with include/sddf/serial/queue.h
// (reference sddf-protocols.md §2.4): queue MR {u32 tail @0; u32 head @4; u32
// producer_signalled @8}; characters in a separate data region of exactly `capacity` bytes.
//
// Ordering, as upstream after F9 (commits 82e1306f, 57d50b7c): consumer-side empty/length
// load tail with acquire, producer-side full/free load head with acquire; enqueue and
// update_shared_tail publish tail with release, dequeue and update_shared_head publish head
// with release. request/require use seq-cst fences around relaxed flag accesses (the SB
// litmus); a JS Atomics store/load is seq-cst, which gives exactly that pairing.
import { assert } from '../../spec/common/assert.ts';
import { U32 } from '../../spec/queue/arith.ts';
import { ringEmptyOf, ringFullOf, ringLengthOf, ringSlotOf } from '../../spec/queue/ring.ts';
import { SERIAL_QUEUE_HEADER_BYTES, checkSerialCapacity } from '../../spec/queue/serial.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../../spec/signal/handshake.ts';
import { checkRegion, throwIfProblem, type SharedRegion } from './region.ts';

const TAIL = 0;
const HEAD = 1;
const PRODUCER_SIGNALLED = 2;

/** `serial_queue_handle_t`: the queue MR, the data region and the private capacity. */
export class SerialQueue {
  readonly capacity: number;
  private readonly words: Uint32Array;
  private readonly data: Uint8Array;

  constructor(opts: {
    readonly queue: SharedRegion;
    readonly data: SharedRegion;
    readonly capacity: number;
  }) {
    throwIfProblem(checkSerialCapacity(opts.capacity));
    throwIfProblem(
      checkRegion({
        queue: 'serial queue',
        region: opts.queue,
        sizeBytes: SERIAL_QUEUE_HEADER_BYTES,
        alignBytes: 4,
      }),
    );
    throwIfProblem(
      checkRegion({
        queue: 'serial data region',
        region: opts.data,
        sizeBytes: opts.capacity,
        alignBytes: 1,
      }),
    );
    this.capacity = opts.capacity;
    this.words = new Uint32Array(opts.queue.buffer, opts.queue.byteOffset, 3);
    this.data = new Uint8Array(opts.data.buffer, opts.data.byteOffset, opts.capacity);
  }

  /** Consumer side: acquire load of tail. */
  empty(): boolean {
    return ringEmptyOf(U32, Atomics.load(this.words, TAIL), Atomics.load(this.words, HEAD));
  }

  /** Producer side: acquire load of head (the consumer has finished reading freed bytes). */
  full(): boolean {
    return this.fullAt(Atomics.load(this.words, TAIL));
  }

  /** `serial_queue_full(h, local_tail)`: the spec's full check on an acquire load of head. */
  private fullAt(localTail: number): boolean {
    const head = Atomics.load(this.words, HEAD);
    return ringFullOf(U32, { tail: localTail, head, capacity: this.capacity, reservedSlots: 0 });
  }

  length(): number {
    return ringLengthOf(U32, Atomics.load(this.words, TAIL), Atomics.load(this.words, HEAD));
  }

  /** `serial_queue_free`. */
  free(): number {
    return this.capacity - this.length();
  }

  /** `serial_enqueue`: false when full. */
  enqueue(c: number): boolean {
    const tail = this.words[TAIL] as number; // plain: only the producer writes tail
    if (this.fullAt(tail)) return false;
    this.data[ringSlotOf(U32, tail, this.capacity)] = c;
    // store_release_32(tail): the byte is visible before the index.
    Atomics.store(this.words, TAIL, U32.add(tail, 1));
    return true;
  }

  /** `serial_dequeue`: null when empty. */
  dequeue(): number | null {
    const head = this.words[HEAD] as number; // plain: only the consumer writes head
    if (ringEmptyOf(U32, Atomics.load(this.words, TAIL), head)) return null; // load_acquire_32(tail)
    const c = this.data[ringSlotOf(U32, head, this.capacity)] as number;
    // store_release_32(head): the byte is read before the space is handed back.
    Atomics.store(this.words, HEAD, U32.add(head, 1));
    return c;
  }

  /** `serial_enqueue_local`: writes the byte, returns the advanced private tail, or null when full. */
  enqueueLocal(localTail: number, c: number): number | null {
    if (this.fullAt(localTail)) return null;
    this.data[ringSlotOf(U32, localTail, this.capacity)] = c;
    return U32.add(localTail, 1);
  }

  /** `serial_update_shared_tail`: publish a batch (release); must neither shrink nor overflow. */
  updateSharedTail(localTail: number): void {
    const head = Atomics.load(this.words, HEAD);
    const before = ringLengthOf(U32, this.words[TAIL] as number, head);
    const after = ringLengthOf(U32, localTail, head);
    assert(
      after >= before && after <= this.capacity,
      () => `update_shared_tail: length ${before} -> ${after}`,
    );
    Atomics.store(this.words, TAIL, localTail >>> 0);
  }

  /** The private tail a producer starts a local batch from. */
  sharedTail(): number {
    return this.words[TAIL] as number;
  }

  /** The private head a consumer starts a local batch from. */
  sharedHead(): number {
    return this.words[HEAD] as number;
  }

  /** `serial_dequeue_local`: the byte at the private head and the advanced head, or null when empty. */
  dequeueLocal(localHead: number): { readonly localHead: number; readonly c: number } | null {
    if (ringEmptyOf(U32, Atomics.load(this.words, TAIL), localHead)) return null; // acquire
    return {
      localHead: U32.add(localHead, 1),
      c: this.data[ringSlotOf(U32, localHead, this.capacity)] as number,
    };
  }

  /** `serial_update_shared_head`: publish consumed bytes (release); must not pass the tail. */
  updateSharedHead(localHead: number): void {
    const head = this.words[HEAD] as number;
    const consumed = ringLengthOf(U32, localHead, head);
    assert(
      consumed <= this.length(),
      () => `update_shared_head: consumed ${consumed} > length ${this.length()}`,
    );
    Atomics.store(this.words, HEAD, localHead >>> 0);
  }

  /** `serial_enqueue_batch`: copies min(n, free) bytes in ≤ 2 copies, publishes once; returns the count. */
  enqueueBatch(src: Uint8Array): number {
    const n = Math.min(src.length, this.free());
    const tail = this.words[TAIL] as number; // plain: only the producer writes tail
    const start = ringSlotOf(U32, tail, this.capacity);
    const preWrap = Math.min(n, this.capacity - start);
    this.data.set(src.subarray(0, preWrap), start);
    this.data.set(src.subarray(preWrap, n), 0);
    Atomics.store(this.words, TAIL, U32.add(tail, n)); // release: both copies before the tail
    return n;
  }

  /** `serial_request_consumer_signal` (producer blocked on full): seq-cst store (SB, §2.4). */
  requestConsumerSignal(): void {
    Atomics.store(this.words, PRODUCER_SIGNALLED, FLAG_WANTS_SIGNAL);
  }

  /** `serial_cancel_consumer_signal`. */
  cancelConsumerSignal(): void {
    Atomics.store(this.words, PRODUCER_SIGNALLED, FLAG_SIGNALLED);
  }

  /** `serial_require_consumer_signal` (consumer after freeing space): seq-cst load (SB, §2.4). */
  requireConsumerSignal(): boolean {
    return Atomics.load(this.words, PRODUCER_SIGNALLED) === FLAG_WANTS_SIGNAL;
  }
}

/** `serial_transfer_all(dst, src)`: move everything in `src` into `dst`; returns the count. */
export function serialTransferAll(opts: {
  readonly dst: SerialQueue;
  readonly src: SerialQueue;
}): number {
  const { dst, src } = opts;
  const n = src.length();
  assert(n <= dst.free(), () => `serial_transfer_all: ${n} bytes do not fit in ${dst.free()}`);
  let localHead = src.sharedHead();
  let localTail = dst.sharedTail();
  for (let i = 0; i < n; i++) {
    const r = src.dequeueLocal(localHead);
    assert(r !== null, 'source byte present');
    const t = dst.enqueueLocal(localTail, r.c);
    assert(t !== null, 'destination has space');
    localHead = r.localHead;
    localTail = t;
  }
  dst.updateSharedTail(localTail);
  src.updateSharedHead(localHead);
  return n;
}
