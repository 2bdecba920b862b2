// SerialPort (impl/components/serial/port.ts), one end of a serial queue (reference
// sddf-protocols.md §2.4), against the test's own reading of the queue memory (fixture.ts).
// Pre-/post-conditions: length and free are `(u32)(tail - head)` and `capacity - length`, or null
// when a peer wrote indices claiming more than the capacity; character i of the stream lives at
// data[i % capacity], so reads and writes wrap at the end of the data region (at most two copies,
// as serial_enqueue_batch) and touch nothing past `capacity`; the indices wrap at 2^32; the
// producer_signalled flag is 0 after request, 1 after cancel, and require reads it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SerialPort } from '../../../../impl/components/serial/port.ts';
import { UserError } from '../../../../spec/common/diagnostic.ts';
import {
  FLAG_SIGNALLED,
  FLAG_WANTS_SIGNAL,
  Layout,
  recordingApi,
  serialQueue,
  type SerialQ,
} from './fixture.ts';

const CAP = 16;

function setup(capacity = CAP): { q: SerialQ; port: SerialPort } {
  const l = new Layout();
  const q = serialQueue(l, 'q', capacity);
  const { api } = recordingApi('pd', l.space('pd'));
  return { q, port: new SerialPort(api, q.conn(1)) };
}

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

describe('SerialPort construction', () => {
  it('takes its capacity from the data region and refuses one that is not a power of two', () => {
    expect(setup(8).port.capacity).toBe(8);
    const l = new Layout();
    const q = serialQueue(l, 'q', 16);
    const { api } = recordingApi('pd', l.space('pd'));
    const bad = { ...q.conn(1), data: { vaddr: q.data.vaddr, sizeBytes: 12 } };
    expect(() => new SerialPort(api, bad)).toThrow(UserError);
  });
});

describe('length and free', () => {
  it('are (u32)(tail - head) and capacity minus it, across the u32 wrap', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 0, max: CAP }), (head, n) => {
        const { q, port } = setup();
        q.head = head;
        q.tail = (head + n) >>> 0;
        expect(port.length()).toBe(n);
        expect(port.free()).toBe(CAP - n);
        expect([port.tail, port.head]).toEqual([q.tail, q.head]);
      }),
    );
  });

  it('are null when a peer wrote indices claiming more than the capacity', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: CAP + 1, max: 0xffff_ffff }), (head, n) => {
        const { q, port } = setup();
        q.head = head;
        q.tail = (head + n) >>> 0;
        expect(port.length()).toBeNull();
        expect(port.free()).toBeNull();
      }),
    );
  });
});

describe('read and write wrap at the end of the data region', () => {
  it('write(from, bytes) puts byte i at data[(from + i) % capacity] and nothing past capacity', () => {
    fc.assert(
      fc.property(
        u32,
        fc.uint8Array({ minLength: 0, maxLength: CAP }).filter((b) => !b.includes(0xee)),
        (from, bytes) => {
          const { q, port } = setup();
          port.write(from, bytes);
          bytes.forEach((b, i) => expect(q.bytes[(from + i) % CAP]).toBe(b));
          expect(q.outsideUntouched()).toBe(true);
        },
      ),
    );
  });

  it('read(from, n) returns data[(from + i) % capacity] for i < n, whatever the data region holds', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 0, max: CAP }), (from, n) => {
        const { q, port } = setup();
        for (let i = 0; i < CAP; i++) q.bytes[i] = 0x40 + i;
        const got = [...port.read(from, n)];
        expect(got).toEqual(Array.from({ length: n }, (_, i) => 0x40 + ((from + i) % CAP)));
      }),
    );
  });

  it('reads and writes a whole queue starting exactly at the last slot and at slot 0', () => {
    const { q, port } = setup();
    const all = Uint8Array.from({ length: CAP }, (_, i) => i + 1);
    port.write(CAP - 1, all);
    expect(q.bytes[CAP - 1]).toBe(1);
    expect([...q.bytes.subarray(0, CAP - 1)]).toEqual([...all.subarray(1)]);
    expect([...port.read(CAP - 1, CAP)]).toEqual([...all]);
    port.write(0, all);
    expect([...q.bytes.subarray(0, CAP)]).toEqual([...all]);
    expect([...port.read(2 * CAP, CAP)]).toEqual([...all]);
    expect(q.outsideUntouched()).toBe(true);
  });
});

describe('produce and consume publish the indices', () => {
  it('produce appends at the tail and moves it by the length (mod 2^32); consume moves the head', () => {
    fc.assert(
      fc.property(u32, fc.uint8Array({ minLength: 0, maxLength: CAP }), (at, bytes) => {
        const { q, port } = setup();
        q.startAt(at);
        port.produce(bytes);
        expect(q.tail).toBe((at + bytes.length) >>> 0);
        expect(q.head).toBe(at);
        expect(q.contents()).toEqual([...bytes]);
        port.consume(bytes.length);
        expect(q.head).toBe(q.tail);
      }),
    );
  });
});

describe('producer_signalled (§2.4: request stores 0, cancel stores 1, require reads it)', () => {
  it('request arms the flag, cancel disarms it, require tells which', () => {
    const { q, port } = setup();
    q.flag = FLAG_SIGNALLED;
    expect(port.requireConsumerSignal()).toBe(false);
    port.requestConsumerSignal();
    expect(q.flag).toBe(FLAG_WANTS_SIGNAL);
    expect(port.requireConsumerSignal()).toBe(true);
    port.cancelConsumerSignal();
    expect(q.flag).toBe(FLAG_SIGNALLED);
    expect(port.requireConsumerSignal()).toBe(false);
  });
});
