// spec/queue/serial.ts: the serial queue calls in C order: acquire loads of the other side's
// index, release stores of one's own, seq_cst fences around the producer_signalled accesses.
import { describe, expect, it } from 'vitest';
import {
  SERIAL_FLAVOUR_HEAD,
  serialDequeue,
  serialEnqueue,
  serialRequestConsumerSignal,
  serialRequireConsumerSignal,
  serialTransferAll,
  serialUpdateSharedHead,
  serialUpdateSharedTail,
  type SerialQueueRef,
} from '../../../spec/queue/serial.ts';
import { RecordingMemory } from './recording-memory.ts';

function queue(capacity: number): { mem: RecordingMemory; q: SerialQueueRef } {
  const mem = new RecordingMemory(
    ['tail', 'head', 'producer_signalled', 'consumer_signalled'],
    'data',
    capacity,
  );
  const q = { name: 'q', tail: 0, head: 1, producerSignalled: 2, consumerSignalled: 3 };
  return { mem, q: { ...q, data: mem.slots, capacity } };
}

describe('serial queue operations in C order (serial/queue.h at 650ace5d)', () => {
  it('enqueue: load tail, acquire head, the byte, release, tail; dequeue mirrors it', () => {
    const { mem, q } = queue(4);
    mem.words[0] = 0xffff_ffff;
    mem.words[1] = 0xffff_ffff;
    expect(serialEnqueue(mem, q, SERIAL_FLAVOUR_HEAD, 65)).toBe(true);
    expect(mem.log).toEqual([
      'load tail',
      'load head',
      'fence acquire',
      'store data[3]',
      'fence release',
      'store tail',
    ]);
    mem.clear();
    expect(serialDequeue(mem, q, SERIAL_FLAVOUR_HEAD)).toBe(65);
    expect(mem.log).toEqual([
      'load head',
      'load tail',
      'fence acquire',
      'load data[3]',
      'fence release',
      'store head',
    ]);
    expect(serialDequeue(mem, q, SERIAL_FLAVOUR_HEAD)).toBeNull();
  });

  it('request/require: store then seq_cst fence; seq_cst fence then load (F9 drops both)', () => {
    const { mem, q } = queue(1);
    mem.words[2] = 1;
    serialRequestConsumerSignal(mem, q, SERIAL_FLAVOUR_HEAD);
    expect(serialRequireConsumerSignal(mem, q, SERIAL_FLAVOUR_HEAD)).toBe(true);
    expect(mem.log).toEqual([
      'store producer_signalled',
      'fence seq_cst',
      'fence seq_cst',
      'load producer_signalled',
    ]);
    mem.clear();
    serialRequestConsumerSignal(mem, q, { fences: 'none' });
    serialRequireConsumerSignal(mem, q, { fences: 'none', wrongFlag: true });
    expect(mem.log).toEqual(['store producer_signalled', 'load consumer_signalled']);
  });

  it('the debug asserts of update_shared_tail/head are returned, and nothing is stored', () => {
    const { mem, q } = queue(4);
    expect(serialUpdateSharedTail(mem, q, SERIAL_FLAVOUR_HEAD, 5)).toMatch(
      /length 0 -> 5, capacity 4/,
    );
    expect(serialUpdateSharedHead(mem, q, SERIAL_FLAVOUR_HEAD, 1)).toMatch(
      /length 0 -> 4294967295 grows/,
    );
    expect(mem.log.filter((l) => l.startsWith('store'))).toEqual([]);
  });

  it('transfer_all refuses (debug assert) what does not fit, and moves the rest in order', () => {
    const mem = new RecordingMemory(
      ['s.tail', 's.head', 's.ps', 'd.tail', 'd.head', 'd.ps'],
      'data',
      2 + 4,
    );
    const s: SerialQueueRef = {
      name: 's',
      tail: 0,
      head: 1,
      producerSignalled: 2,
      data: 6,
      capacity: 2,
    };
    const d: SerialQueueRef = {
      name: 'd',
      tail: 3,
      head: 4,
      producerSignalled: 5,
      data: 8,
      capacity: 4,
    };
    mem.words[0] = 2; // src holds data[0..1]
    mem.words[6] = 7;
    mem.words[7] = 8;
    mem.words[3] = 3; // dst holds 3 of 4: only one byte fits
    expect(serialTransferAll(mem, { dst: d, src: s }, SERIAL_FLAVOUR_HEAD)).toEqual({
      broken: 'serial_transfer_all: 2 bytes do not fit in 1 free',
    });
    mem.words[4] = 2; // dst now holds 1 of 4
    expect(serialTransferAll(mem, { dst: d, src: s }, SERIAL_FLAVOUR_HEAD)).toEqual({
      countBytes: 2,
    });
    expect([mem.words[8 + 3], mem.words[8 + 0]]).toEqual([7, 8]); // across dst's wrap
    expect([mem.words[1], mem.words[3]]).toEqual([2, 5]);
  });
});
