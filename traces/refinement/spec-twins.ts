// The spec side of the refinement check: each queue implementation (impl/queue) runs in lockstep
// with the spec's own operations (spec/queue/*-state.ts, i.e. the one definition of each queue.h
// call, run on a plain memory). After every command the implementation's shared index and flag
// words, read from the SharedArrayBuffer at their C offsets, must equal the spec's, and every
// result (enqueue accepted, item dequeued, empty/full/length) must be the spec's. The abstract
// FIFO (queue-commands.ts) says what a queue should do; the twin says the implementation is this
// queue.h, including its seeded variants (U1: both sides int-promoted) (docs/adr/011).
import type { BlkReq, BlkResp } from '../../spec/queue/blk.ts';
import {
  blkStateDequeueReq,
  blkStateDequeueResp,
  blkStateEmpty,
  blkStateEnqueueReq,
  blkStateEnqueueResp,
  blkStateFull,
  blkStateLength,
  blkStateReqInitial,
  blkStateRespInitial,
  type BlkReqQueueState,
  type BlkRespQueueState,
} from '../../spec/queue/blk-state.ts';
import type { I2cCmd } from '../../spec/queue/i2c.ts';
import { i2cFullAt } from '../../spec/queue/i2c.ts';
import {
  i2cStateDequeueRequest,
  i2cStateEmpty,
  i2cStateEnqueueRequest,
  i2cStateReqInitial,
  i2cStateRequestAbort,
  i2cStateRequestCommit,
  type I2cReqQueueState,
} from '../../spec/queue/i2c-state.ts';
import type { NetBuffDesc, NetFullCheck } from '../../spec/queue/net.ts';
import {
  netStateCancelSignal,
  netStateDequeue,
  netStateEmpty,
  netStateEnqueue,
  netStateFull,
  netStateInitial,
  netStateLength,
  netStateRequestSignal,
  netStateRequireSignal,
  type NetQueueState,
} from '../../spec/queue/net-state.ts';
import { ringLength } from '../../spec/queue/ring.ts';
import {
  serialStateCancelConsumerSignal,
  serialStateDequeue,
  serialStateDequeueLocal,
  serialStateEnqueue,
  serialStateEnqueueBatch,
  serialStateEnqueueLocal,
  serialStateFull,
  serialStateInitial,
  serialStateLength,
  serialStateRequestConsumerSignal,
  serialStateRequireConsumerSignal,
  serialStateUpdateSharedHead,
  serialStateUpdateSharedTail,
  type SerialQueueState,
} from '../../spec/queue/serial-state.ts';

/** Shared words by their C field name. */
export type SharedWords = Readonly<Record<string, number>>;

/** What every twin offers the generic commands; each call advances the spec state. */
export interface SpecTwin<T> {
  enqueue(item: T): boolean;
  dequeue(): T | null;
  empty(): boolean;
  full(): boolean;
  length(): number;
  /** The shared words the implementation must hold now. */
  words(): SharedWords;
}

/** The signalling calls of net (consumer_signalled) and serial (producer_signalled). */
export interface SignalTwin {
  requestSignal(): void;
  cancelSignal(): void;
  requireSignal(): boolean;
}

export class NetTwin implements SpecTwin<NetBuffDesc>, SignalTwin {
  private s: NetQueueState;
  constructor(
    private readonly capacity: number,
    start: number,
    private readonly fullCheck: NetFullCheck,
  ) {
    this.s = netStateInitial(capacity, start);
  }
  enqueue(d: NetBuffDesc): boolean {
    const r = netStateEnqueue({ capacity: this.capacity, fullCheck: this.fullCheck }, this.s, d);
    this.s = r.state;
    return r.ok;
  }
  dequeue(): NetBuffDesc | null {
    const r = netStateDequeue(this.capacity, this.s);
    this.s = r.state;
    return r.item;
  }
  empty(): boolean {
    return netStateEmpty(this.s);
  }
  full(): boolean {
    return netStateFull({ capacity: this.capacity, fullCheck: this.fullCheck }, this.s);
  }
  length(): number {
    return netStateLength(this.s);
  }
  requestSignal(): void {
    this.s = netStateRequestSignal(this.s);
  }
  cancelSignal(): void {
    this.s = netStateCancelSignal(this.s);
  }
  requireSignal(): boolean {
    return netStateRequireSignal(this.s);
  }
  words(): SharedWords {
    return { tail: this.s.tail, head: this.s.head, consumer_signalled: this.s.consumerSignalled };
  }
}

abstract class BlkTwin<T, S extends BlkReqQueueState | BlkRespQueueState> implements SpecTwin<T> {
  constructor(
    protected readonly capacity: number,
    protected s: S,
  ) {}
  abstract enqueue(item: T): boolean;
  abstract dequeue(): T | null;
  empty(): boolean {
    return blkStateEmpty(this.s);
  }
  full(): boolean {
    return blkStateFull(this.s);
  }
  length(): number {
    return blkStateLength(this.s);
  }
  words(): SharedWords {
    return { head: this.s.head, tail: this.s.tail };
  }
}

export class BlkReqTwin extends BlkTwin<BlkReq, BlkReqQueueState> {
  constructor(capacity: number, start: number) {
    super(capacity, blkStateReqInitial(capacity, start));
  }
  enqueue(r: BlkReq): boolean {
    const x = blkStateEnqueueReq(this.capacity, this.s, r);
    this.s = x.state;
    return x.ok;
  }
  dequeue(): BlkReq | null {
    const x = blkStateDequeueReq(this.capacity, this.s);
    this.s = x.state;
    return x.item;
  }
}

export class BlkRespTwin extends BlkTwin<BlkResp, BlkRespQueueState> {
  constructor(capacity: number, start: number) {
    super(capacity, blkStateRespInitial(capacity, start));
  }
  enqueue(r: BlkResp): boolean {
    const x = blkStateEnqueueResp(this.capacity, this.s, r);
    this.s = x.state;
    return x.ok;
  }
  dequeue(): BlkResp | null {
    const x = blkStateDequeueResp(this.capacity, this.s);
    this.s = x.state;
    return x.item;
  }
}

export class SerialTwin implements SpecTwin<number>, SignalTwin {
  private s: SerialQueueState;
  constructor(
    private readonly capacity: number,
    start: number,
  ) {
    this.s = serialStateInitial(capacity, start);
  }
  enqueue(c: number): boolean {
    const r = serialStateEnqueue(this.capacity, this.s, c);
    this.s = r.state;
    return r.ok;
  }
  dequeue(): number | null {
    const r = serialStateDequeue(this.capacity, this.s);
    this.s = r.state;
    return r.item;
  }
  empty(): boolean {
    return serialStateLength(this.s) === 0;
  }
  full(): boolean {
    return serialStateFull(this.capacity, this.s);
  }
  length(): number {
    return serialStateLength(this.s);
  }
  requestSignal(): void {
    this.s = serialStateRequestConsumerSignal(this.s);
  }
  cancelSignal(): void {
    this.s = serialStateCancelConsumerSignal(this.s);
  }
  requireSignal(): boolean {
    return serialStateRequireConsumerSignal(this.s);
  }
  /** `serial_enqueue_batch`: the count copied. */
  enqueueBatch(bytes: readonly number[]): number {
    const r = serialStateEnqueueBatch(this.capacity, this.s, bytes);
    this.s = r.state;
    return r.countBytes;
  }
  /** `serial_enqueue_local` until full, then `serial_update_shared_tail`: the count enqueued. */
  enqueueLocal(bytes: readonly number[]): number {
    let local = this.s.tail;
    let n = 0;
    for (const c of bytes) {
      const r = serialStateEnqueueLocal(this.capacity, this.s, local, c);
      if (!r.ok) break;
      this.s = r.state;
      local = r.localTail;
      n++;
    }
    this.s = serialStateUpdateSharedTail(this.capacity, this.s, local);
    return n;
  }
  /** `serial_dequeue_local` up to `count` times, then `serial_update_shared_head`. */
  dequeueLocal(count: number): number[] {
    let local = this.s.head;
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const r = serialStateDequeueLocal(this.capacity, this.s, local);
      if (r.item === null) break;
      out.push(r.item);
      local = r.localHead;
    }
    this.s = serialStateUpdateSharedHead(this.capacity, this.s, local);
    return out;
  }
  words(): SharedWords {
    return { tail: this.s.tail, head: this.s.head, producer_signalled: this.s.producerSignalled };
  }
}

export class I2cReqTwin implements SpecTwin<I2cCmd> {
  private s: I2cReqQueueState;
  constructor(
    private readonly capacity: number,
    start: number,
  ) {
    this.s = i2cStateReqInitial(capacity, start);
  }
  /** `i2c_enqueue_request`: stages. */
  enqueue(cmd: I2cCmd): boolean {
    const r = i2cStateEnqueueRequest(this.capacity, this.s, cmd);
    this.s = r.state;
    return r.ok;
  }
  commit(): void {
    this.s = i2cStateRequestCommit(this.s);
  }
  abort(): void {
    this.s = i2cStateRequestAbort(this.s);
  }
  dequeue(): I2cCmd | null {
    const r = i2cStateDequeueRequest(this.capacity, this.s);
    this.s = r.state;
    return r.item;
  }
  empty(): boolean {
    return i2cStateEmpty(this.s);
  }
  /** The producer's view: full on the staged tail. */
  full(): boolean {
    return i2cFullAt(this.capacity, this.s.stagedTail, this.s.head);
  }
  /** The consumer's view: committed commands. */
  length(): number {
    return ringLength(32, this.s);
  }
  words(): SharedWords {
    return { staged_active_tail: this.s.stagedTail, tail: this.s.tail, head: this.s.head };
  }
}
