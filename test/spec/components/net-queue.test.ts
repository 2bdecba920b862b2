import { describe, expect, it } from 'vitest';
import type { SharedMem } from '../../../spec/components/mem.ts';
import {
  netDequeue,
  netEnqueue,
  netFull,
  netRequestSignal,
  netRequireSignal,
  type NetQueueRef,
} from '../../../spec/components/net-queue.ts';

function scMem(words: number): { mem: SharedMem; s: Uint32Array; fences: string[] } {
  const s = new Uint32Array(words);
  const fences: string[] = [];
  return {
    s,
    fences,
    mem: {
      load: (a) => s[a] ?? 0,
      store: (a, v) => void (s[a] = v),
      fence: (k) => void fences.push(k),
    },
  };
}

const q: NetQueueRef = { name: 'q', tail: 0, head: 1, consumerSignalled: 2, slots: 3, capacity: 2 };

describe('net queue accesses (§2.1)', () => {
  it('enqueue publishes the slot before tail, with a release fence between', () => {
    const { mem, s, fences } = scMem(8);
    expect(netEnqueue(mem, q, { fences: 'smp-release' }, 2048)).toBe(true);
    expect(s[3]).toBe(2048);
    expect(s[0]).toBe(1);
    expect(fences).toEqual(['release']);
    expect(netDequeue(mem, q)).toBe(2048);
    expect(s[1]).toBe(1);
  });

  it('full is tail - head == capacity on u16 indices, across the wrap', () => {
    const { mem, s } = scMem(8);
    s[0] = 1; // tail wrapped past 65535
    s[1] = 65535;
    expect(netFull(mem, q, { fences: 'smp-release' })).toBe(true);
  });

  it('U1: the int-promoted full test misses a full queue across the wrap and overwrites', () => {
    const { mem, s } = scMem(8);
    s[0] = 1;
    s[1] = 65535;
    const u1 = { fences: 'smp-release' as const, intPromotedFull: true };
    expect(netFull(mem, q, u1)).toBe(false);
    expect(netEnqueue(mem, q, u1, 4096)).toBe(true); // a live slot is overwritten
  });

  it('F17: the old full test wastes a slot', () => {
    const { mem, s } = scMem(8);
    s[0] = 1;
    expect(netFull(mem, q, { fences: 'smp-release', wastedSlotFull: true })).toBe(true);
    expect(netFull(mem, q, { fences: 'smp-release' })).toBe(false);
  });

  it('flag polarity: request stores 0, require is true on 0; seq_cst fences only when asked', () => {
    const { mem, s, fences } = scMem(8);
    s[2] = 1;
    netRequestSignal(mem, q, { fences: 'smp-release' });
    expect(s[2]).toBe(0);
    expect(netRequireSignal(mem, q, { fences: 'smp-release' })).toBe(true);
    expect(fences).toEqual(['release']);
    netRequestSignal(mem, q, { fences: 'seq_cst' });
    netRequireSignal(mem, q, { fences: 'seq_cst' });
    expect(fences).toEqual(['release', 'seq_cst', 'seq_cst']);
  });
});
