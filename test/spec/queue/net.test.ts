// spec/queue/net.ts: each queue.h call's loads, stores and fences in C order, and the full-check
// forms (corrected, int-promoted U1, wasted-slot F17, omitted) on numbers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { U16 } from '../../../spec/queue/arith.ts';
import {
  NET_FLAVOUR_HEAD,
  checkNetOffset,
  netBuffersInit,
  netOffsetValid,
  netCancelSignal,
  netDequeue,
  netEnqueue,
  netFull,
  netFullOf,
  netRequestSignal,
  netRequireSignal,
  type NetQueueFlavour,
  type NetQueueRef,
} from '../../../spec/queue/net.ts';
import { RecordingMemory } from './recording-memory.ts';

function queue(capacity: number): { mem: RecordingMemory; q: NetQueueRef } {
  const mem = new RecordingMemory(['tail', 'head', 'consumer_signalled'], 'buffers', capacity);
  return {
    mem,
    q: { name: 'q', tail: 0, head: 1, consumerSignalled: 2, slots: mem.slots, capacity },
  };
}

const seqCst: NetQueueFlavour = { ...NET_FLAVOUR_HEAD, fences: 'seq_cst' };

describe('net queue operations in C order (queue.h at 650ace5d)', () => {
  it('enqueue: full check loads, the slot, a release fence, then tail', () => {
    const { mem, q } = queue(2);
    mem.words[0] = 0xffff; // tail about to wrap
    mem.words[1] = 0xffff;
    expect(netEnqueue(mem, q, NET_FLAVOUR_HEAD, 2048)).toBe(true);
    expect(mem.log).toEqual([
      'load tail',
      'load head',
      'load tail',
      'store buffers[1]',
      'fence release',
      'store tail',
    ]);
    expect(mem.words[0]).toBe(0); // u16 wrap
    expect(mem.words[mem.slots + 1]).toBe(2048);
  });

  it('dequeue: empty check loads, the slot, a release fence, then head', () => {
    const { mem, q } = queue(2);
    mem.words[0] = 1;
    mem.words[1] = 0xffff;
    mem.words[mem.slots + 1] = 4096;
    mem.clear();
    expect(netDequeue(mem, q, NET_FLAVOUR_HEAD)).toBe(4096);
    expect(mem.log).toEqual([
      'load tail',
      'load head',
      'load head',
      'load buffers[1]',
      'fence release',
      'store head',
    ]);
    expect(mem.words[1]).toBe(0);
    expect(netDequeue(mem, q, NET_FLAVOUR_HEAD)).toBe(0); // buffers[0] was never written: zero-filled
    expect(netDequeue(mem, q, NET_FLAVOUR_HEAD)).toBeNull();
  });

  it('flag polarity: request stores 0, cancel 1, require is true on 0; seq_cst fences only when asked', () => {
    const { mem, q } = queue(1);
    mem.words[2] = 1;
    netRequestSignal(mem, q, NET_FLAVOUR_HEAD);
    expect(mem.words[2]).toBe(0);
    expect(netRequireSignal(mem, q, NET_FLAVOUR_HEAD)).toBe(true);
    netCancelSignal(mem, q);
    expect(netRequireSignal(mem, q, NET_FLAVOUR_HEAD)).toBe(false);
    expect(mem.log.filter((l) => l.startsWith('fence'))).toEqual([
      'fence release',
      'fence release',
    ]);
    mem.clear();
    netRequestSignal(mem, q, seqCst);
    netRequireSignal(mem, q, seqCst);
    expect(mem.log).toEqual([
      'store consumer_signalled',
      'fence seq_cst',
      'fence seq_cst',
      'load consumer_signalled',
    ]);
  });

  it('full: the four forms across the u16 wrap (tail 1, head 65535: two entries)', () => {
    const wrapped = { tail: 1, head: 0xffff, capacity: 2 };
    expect(netFullOf(U16, 'corrected', wrapped)).toBe(true);
    expect(netFullOf(U16, 'int-promoted', wrapped)).toBe(false); // U1: 1 - 65535 < 0
    expect(netFullOf(U16, 'int-promoted', { tail: 5, head: 3, capacity: 2 })).toBe(true);
    expect(netFullOf(U16, 'wasted-slot', { tail: 1, head: 0, capacity: 2 })).toBe(true); // F17
    expect(netFullOf(U16, 'corrected', { tail: 1, head: 0, capacity: 2 })).toBe(false);
    expect(netFullOf(U16, 'omitted', wrapped)).toBe(false);
  });

  it('U1 overwrites a live slot; omitted overwrites; publish-before-write stores tail first', () => {
    const { mem, q } = queue(2);
    mem.words[0] = 1;
    mem.words[1] = 0xffff;
    const u1: NetQueueFlavour = { ...NET_FLAVOUR_HEAD, fullCheck: 'int-promoted' };
    expect(netFull(mem, q, NET_FLAVOUR_HEAD)).toBe(true);
    expect(netEnqueue(mem, q, NET_FLAVOUR_HEAD, 7)).toBe(false);
    expect(netEnqueue(mem, q, u1, 7)).toBe(true); // slot of head 65535 overwritten
    expect(mem.words[mem.slots + 1]).toBe(7);
    mem.clear();
    const early: NetQueueFlavour = {
      ...NET_FLAVOUR_HEAD,
      fullCheck: 'omitted',
      publishBeforeWrite: true,
    };
    expect(netEnqueue(mem, q, early, 9)).toBe(true);
    expect(mem.log.slice(-2)).toEqual(['store tail', 'store buffers[0]']);
  });

  it('net_buffers_init fills the queue, and stops at the first failed enqueue (F17)', () => {
    const { mem, q } = queue(4);
    expect(netBuffersInit(mem, q, NET_FLAVOUR_HEAD, (i) => 100 + 2048 * i)).toBe(true);
    expect(mem.words.slice(mem.slots)).toEqual([100, 2148, 4196, 6244]);
    const f17 = queue(4);
    const wasted: NetQueueFlavour = { ...NET_FLAVOUR_HEAD, fullCheck: 'wasted-slot' };
    expect(netBuffersInit(f17.mem, f17.q, wasted, (i) => i)).toBe(false);
    expect(f17.mem.words[0]).toBe(3); // three of four fit
  });
});

describe('offset rule', () => {
  it('the word predicate and the located check state the same rule', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 0xffff_ffff }),
          fc.integer({ min: 0, max: 20 }).map((k) => 2048 * k),
        ),
        fc.integer({ min: 0, max: 16 }),
        (offset, n) =>
          netOffsetValid(offset, n) ===
          (checkNetOffset({ offset: BigInt(offset), numBuffers: n }) === null),
      ),
    );
  });
});
