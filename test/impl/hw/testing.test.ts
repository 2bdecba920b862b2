import { describe, expect, it } from 'vitest';
import { TestMemory, WindowDmaPort } from '../../../impl/hw/testing.ts';

describe('WindowDmaPort', () => {
  const mem = (): TestMemory => new TestMemory({ baseAddr: 0x1000n, sizeBytes: 0x1000 });

  it('performs accesses inside the window', () => {
    const m = mem();
    const p = new WindowDmaPort({
      memory: m,
      device: 'd',
      windowStart: 0x1100n,
      windowEnd: 0x1200n,
    });
    expect(p.write(0x1100n, Uint8Array.of(1, 2, 3))).toBeNull();
    expect(p.read(0x1100n, 3)).toEqual(Uint8Array.of(1, 2, 3));
    expect(p.faults).toEqual([]);
  });

  it('refuses, reports and does not perform an access crossing the window edge', () => {
    const m = mem();
    const p = new WindowDmaPort({
      memory: m,
      device: 'd',
      windowStart: 0x1100n,
      windowEnd: 0x1200n,
    });
    expect(p.write(0x11fen, Uint8Array.of(9, 9, 9, 9))).toMatchObject({
      kind: 'dma-fault',
      device: 'd',
      write: true,
    });
    expect(m.read(0x11fen, 2)).toEqual(Uint8Array.of(0, 0));
    expect(p.read(0x10ffn, 1)).toMatchObject({ kind: 'dma-fault', write: false, ioAddr: 0x10ffn });
    expect(p.faults).toHaveLength(2);
  });
});
