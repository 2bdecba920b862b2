// Test fixture for the serial components' handlers (impl/components/serial, impl/drivers/serial):
// serial queues laid out with the net fixture's Layout (a PD's address space over fresh regions)
// and the test's own view of the far end of each queue, written from the queue layout of
// include/sddf/serial/queue.h (reference sddf-protocols.md §2.4: u32 tail@0, head@4,
// producer_signalled@8; character i of the stream at data[i % capacity]), not from the port under
// test. The data region is mapped a page long and the bytes past `capacity` hold a sentinel, so a
// test can state that nothing outside the queue's `capacity` bytes was read or written.
import type { SerialConn } from '../../../../impl/components/serial/port.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../../../../spec/signal/handshake.ts';
import { Layout, res, type Region } from '../net/fixture.ts';

export { context, recordingApi } from '../net/fixture.ts';
export { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL };

/** What the bytes of a data region past its capacity hold (never a character a test sends). */
export const SENTINEL = 0xee;

const TAIL = 0;
const HEAD = 1;
const FLAG = 2;

/** One serial queue (queue MR and data region) and the far end's view of it. */
export class SerialQ {
  private readonly words: Uint32Array;
  readonly bytes: Uint8Array;

  constructor(
    readonly queue: Region,
    readonly data: Region,
    readonly capacity: number,
  ) {
    this.words = new Uint32Array(queue.buffer!, 0, 3);
    this.bytes = new Uint8Array(data.buffer!);
    this.bytes.fill(SENTINEL, capacity);
  }

  /** The connection as a component at the other end is configured with it. */
  conn(id: number): SerialConn {
    return {
      queue: res(this.queue),
      data: { vaddr: this.data.vaddr, sizeBytes: this.capacity },
      id,
    };
  }

  get tail(): number {
    return this.words[TAIL]!;
  }
  set tail(v: number) {
    this.words[TAIL] = v;
  }
  get head(): number {
    return this.words[HEAD]!;
  }
  set head(v: number) {
    this.words[HEAD] = v;
  }
  /** `producer_signalled`: FLAG_WANTS_SIGNAL (0) when the producer asked for a signal. */
  get flag(): number {
    return this.words[FLAG]!;
  }
  set flag(v: number) {
    this.words[FLAG] = v;
  }
  /** `(u32)(tail - head)`. */
  get length(): number {
    return (this.tail - this.head) >>> 0;
  }

  /** Both indices at `at` (an empty queue whose stream has already passed `at` characters). */
  startAt(at: number): this {
    this.tail = at >>> 0;
    this.head = at >>> 0;
    return this;
  }

  /** As the producer: append `s` (the test makes sure it fits) and publish the tail. */
  push(s: string | readonly number[]): void {
    const b = typeof s === 'string' ? [...Buffer.from(s, 'latin1')] : s;
    if (this.length + b.length > this.capacity) throw new Error('the test overfills a queue');
    b.forEach((c, i) => (this.bytes[(this.tail + i) % this.capacity] = c));
    this.tail = (this.tail + b.length) >>> 0;
  }

  /** The characters between head and tail, without consuming them. */
  contents(): number[] {
    const n = Math.min(this.length, this.capacity);
    return Array.from({ length: n }, (_, i) => this.bytes[(this.head + i) % this.capacity]!);
  }
  text(): string {
    return Buffer.from(this.contents()).toString('latin1');
  }

  /** As the consumer: take up to `n` characters (all by default) and publish the head. */
  take(n = this.length): number[] {
    const out = this.contents().slice(0, n);
    this.head = (this.head + out.length) >>> 0;
    return out;
  }

  /** No byte past `capacity` in the data region changed. */
  outsideUntouched(): boolean {
    return this.bytes.subarray(this.capacity).every((b) => b === SENTINEL);
  }
}

/** A serial queue in `l`: a queue MR and a data region of `capacity` bytes (mapped a page long). */
export function serialQueue(
  l: Layout,
  name: string,
  capacity: number,
  o: { dataPerms?: 'rw' | 'r' } = {},
): SerialQ {
  const queue = l.add(`${name}/queue`, 0x1000);
  const data = l.add(`${name}/data`, capacity, { perms: o.dataPerms ?? 'rw' });
  return new SerialQ(queue, data, capacity);
}

export { Layout };

/** Bytes of a latin1 string. */
export function bytesOf(s: string): number[] {
  return [...Buffer.from(s, 'latin1')];
}
