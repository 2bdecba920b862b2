// impl/runtime/devices.ts on its own (issue 12 part 7 survivors): the late-bound IRQ line and DMA
// port, each bound once, and the yielding MMIO wrapper, which yields before every access of every
// width the device has, and only offers the widths the device has.
import { describe, expect, it } from 'vitest';
import { DeviceIrq, LateDmaPort, yieldingMmio } from '../../../impl/runtime/devices.ts';
import type { IrqController } from '../../../impl/runtime/irq.ts';
import type { DmaPort, MmioDevice } from '../../../impl/mem/types.ts';
import { InvariantError } from '../../../spec/common/assert.ts';

/** An IRQ controller that records what the line does. */
function recordingIrqs() {
  const log: string[] = [];
  const sources: (() => boolean)[] = [];
  const irqs = {
    assertLine: (irq: number) => void log.push(`up ${irq}`),
    deassertLine: (irq: number) => void log.push(`down ${irq}`),
    attachLevelSource: (irq: number, level: () => boolean) => {
      log.push(`source ${irq}`);
      sources.push(level);
    },
  } as unknown as IrqController;
  return { irqs, log, sources };
}

describe('DeviceIrq', () => {
  it('a level change before attach is remembered and asserted at attach; changes after go straight through', () => {
    const line = new DeviceIrq(7);
    const { irqs, log, sources } = recordingIrqs();
    line.onLevel(true);
    line.onLevel(false);
    line.onLevel(true); // up at attach time
    expect(log).toEqual([]);
    line.attach(irqs, () => true);
    expect(log).toEqual(['source 7', 'up 7']);
    expect(sources[0]!()).toBe(true);
    line.onLevel(false);
    line.onLevel(true);
    expect(log).toEqual(['source 7', 'up 7', 'down 7', 'up 7']);
  });

  it('a line that is low (or never moved) at attach is not asserted', () => {
    for (const moves of [[], [true, false]]) {
      const line = new DeviceIrq(3);
      const { irqs, log } = recordingIrqs();
      for (const m of moves) line.onLevel(m);
      line.attach(irqs, () => false);
      expect(log).toEqual(['source 3']);
    }
  });

  it('is attached once', () => {
    const line = new DeviceIrq(1);
    line.attach(recordingIrqs().irqs, () => false);
    expect(() => line.attach(recordingIrqs().irqs, () => false)).toThrow(/IRQ 1 is attached once/);
  });
});

describe('LateDmaPort', () => {
  it('forwards reads and writes to the bound port, and refuses DMA before binding and a second bind', () => {
    const seen: string[] = [];
    const port: DmaPort = {
      read: (a, l) => (seen.push(`r ${a} ${l}`), new Uint8Array(l).fill(9)),
      write: (a, d) => (seen.push(`w ${a} ${d.length}`), null),
    };
    const late = new LateDmaPort('nic');
    expect(() => late.read(0n, 1)).toThrow(InvariantError);
    expect(() => late.write(0n, new Uint8Array(1))).toThrow(/'nic' is bound before any DMA/);
    late.bind(port);
    expect(late.read(0x10n, 2)).toEqual(new Uint8Array([9, 9]));
    expect(late.write(0x20n, new Uint8Array(3))).toBeNull();
    expect(seen).toEqual(['r 16 2', 'w 32 3']);
    expect(() => late.bind(port)).toThrow(/'nic' is bound once/);
  });
});

describe('yieldingMmio', () => {
  const full = (log: string[]): MmioDevice => ({
    name: 'dev',
    sizeBytes: 0x100,
    read32: (o) => (log.push(`r32 ${o}`), 32),
    write32: (o, v) => void log.push(`w32 ${o} ${v}`),
    irqAsserted: () => (log.push('irq?'), true),
    read8: (o) => (log.push(`r8 ${o}`), 8),
    read16: (o) => (log.push(`r16 ${o}`), 16),
    read64: (o) => (log.push(`r64 ${o}`), 64n),
    write8: (o, v) => (log.push(`w8 ${o} ${v}`), null),
    write16: (o, v) => (log.push(`w16 ${o} ${v}`), null),
    write64: (o, v) => (log.push(`w64 ${o} ${v}`), null),
  });

  it('yields before every register access of every width, and returns what the device returns', () => {
    const log: string[] = [];
    const w = yieldingMmio(full(log), () => void log.push('yield'));
    expect([w.name, w.sizeBytes]).toEqual(['dev', 0x100]);
    expect(w.read32(4)).toBe(32);
    w.write32(4, 1);
    expect(w.read8!(1)).toBe(8);
    expect(w.read16!(2)).toBe(16);
    expect(w.read64!(8)).toBe(64n);
    expect(w.write8!(1, 2)).toBeNull();
    expect(w.write16!(2, 3)).toBeNull();
    expect(w.write64!(8, 4n)).toBeNull();
    expect(w.irqAsserted()).toBe(true); // not an access: no yield
    expect(log).toEqual([
      'yield',
      'r32 4',
      'yield',
      'w32 4 1',
      'yield',
      'r8 1',
      'yield',
      'r16 2',
      'yield',
      'r64 8',
      'yield',
      'w8 1 2',
      'yield',
      'w16 2 3',
      'yield',
      'w64 8 4',
      'irq?',
    ]);
  });

  it('a device with 32-bit accesses only gets a wrapper with 32-bit accesses only', () => {
    const log: string[] = [];
    const { read8, read16, read64, write8, write16, write64, ...only32 } = full(log);
    void [read8, read16, read64, write8, write16, write64];
    const w = yieldingMmio(only32, () => void log.push('yield'));
    for (const k of ['read8', 'read16', 'read64', 'write8', 'write16', 'write64'] as const)
      expect(w[k]).toBeUndefined();
    expect(w.read32(0)).toBe(32);
  });
});
