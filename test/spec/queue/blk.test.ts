// spec/queue/blk.ts: the block queue calls in C order (head before tail in memory, unconditional
// release fence), at the u32 wrap.
import { describe, expect, it } from 'vitest';
import {
  BLK_FLAVOUR_HEAD,
  blkDequeue,
  blkEnqueue,
  blkFull,
  blkIsPlugged,
  blkLength,
  blkSetPlugged,
  type BlkQueueRef,
} from '../../../spec/queue/blk.ts';
import { RecordingMemory } from './recording-memory.ts';

function queue(capacity: number): { mem: RecordingMemory; q: BlkQueueRef } {
  const mem = new RecordingMemory(['head', 'tail', 'plugged'], 'buffers', capacity);
  return { mem, q: { name: 'req', head: 0, tail: 1, plugged: 2, slots: mem.slots, capacity } };
}

describe('blk queue operations in C order (blk/queue.h at 650ace5d)', () => {
  it('enqueue and dequeue publish with an unconditional release fence, across the u32 wrap', () => {
    const { mem, q } = queue(2);
    mem.words[0] = 0xffff_ffff;
    mem.words[1] = 0xffff_ffff;
    expect(blkEnqueue(mem, q, 5, BLK_FLAVOUR_HEAD)).toBe(true);
    expect(mem.log).toEqual([
      'load tail',
      'load head',
      'load tail',
      'store buffers[1]',
      'fence release',
      'store tail',
    ]);
    expect(blkEnqueue(mem, q, 6, BLK_FLAVOUR_HEAD)).toBe(true);
    expect(blkFull(mem, q, BLK_FLAVOUR_HEAD)).toBe(true);
    expect(blkEnqueue(mem, q, 7, BLK_FLAVOUR_HEAD)).toBe(false);
    expect(blkLength(mem, q)).toBe(2);
    mem.clear();
    expect(blkDequeue(mem, q, BLK_FLAVOUR_HEAD)).toBe(5);
    expect(mem.log.slice(-3)).toEqual(['load buffers[1]', 'fence release', 'store head']);
    expect(blkDequeue(mem, q, BLK_FLAVOUR_HEAD)).toBe(6);
    expect(blkDequeue(mem, q, BLK_FLAVOUR_HEAD)).toBeNull();
    expect([mem.words[0], mem.words[1]]).toEqual([1, 1]);
  });

  it('plugged is a plain bool word on the request queue only', () => {
    const { mem, q } = queue(1);
    blkSetPlugged(mem, q, true);
    expect(blkIsPlugged(mem, q)).toBe(true);
    blkSetPlugged(mem, q, false);
    expect(mem.words[2]).toBe(0);
    const { plugged: _none, ...resp } = q;
    expect(() => blkSetPlugged(mem, resp, true)).toThrow(/only the request queue/);
  });
});
