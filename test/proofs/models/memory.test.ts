import { describe, expect, it } from 'vitest';
import { PdMemory, bufferCount, flushEntry, flushable } from '../../../proofs/models/memory.ts';

// Memory words 0..7, one store buffer at 8.
function setup(model: 'tso' | 'pso') {
  const s = new Uint32Array(8 + 1 + 2 * 4);
  const buf = { base: 8 };
  return { s, buf, mem: new PdMemory(s, model, buf) };
}

describe('memory models', () => {
  it('TSO: a store waits in the buffer; the storing PD reads it, others read memory', () => {
    const { s, buf, mem } = setup('tso');
    mem.store(1, 7);
    expect(s[1]).toBe(0); // not yet visible
    expect(mem.load(1)).toBe(7); // own buffer first
    expect(flushable(s, buf, 'tso')).toEqual([0]);
    flushEntry(s, buf, 0);
    expect(s[1]).toBe(7);
    expect(bufferCount(s, buf)).toBe(0);
  });

  it('TSO: flushes in FIFO order only', () => {
    const { s, buf, mem } = setup('tso');
    mem.store(1, 1);
    mem.store(2, 2);
    expect(flushable(s, buf, 'tso')).toEqual([0]);
  });

  it('a seq_cst fence drains the buffer; release is a no-op under TSO', () => {
    const { s, buf, mem } = setup('tso');
    mem.store(1, 1);
    mem.fence('release');
    expect(bufferCount(s, buf)).toBe(1);
    mem.fence('seq_cst');
    expect(bufferCount(s, buf)).toBe(0);
    expect(s[1]).toBe(1);
  });

  it('Arm-like: a later store to another address may overtake, unless a release fence separates them', () => {
    const a = setup('pso');
    a.mem.store(1, 1);
    a.mem.store(2, 2);
    expect(flushable(a.s, a.buf, 'pso')).toEqual([0, 1]);
    const b = setup('pso');
    b.mem.store(1, 1);
    b.mem.fence('release');
    b.mem.store(2, 2);
    expect(flushable(b.s, b.buf, 'pso')).toEqual([0]);
  });

  it('Arm-like: same-address stores stay in order; a fence survives an earlier flush', () => {
    const { s, buf, mem } = setup('pso');
    mem.store(1, 1);
    mem.store(3, 3);
    mem.fence('release');
    mem.store(2, 2);
    mem.store(1, 9);
    expect(flushable(s, buf, 'pso')).toEqual([0, 1]);
    flushEntry(s, buf, 1); // address 3 overtakes address 1; the fence after it passes to entry 0
    expect(flushable(s, buf, 'pso')).toEqual([0]);
  });
});
