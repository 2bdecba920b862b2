// The register-width framework (impl/hw/registers.ts): which access a register block accepts, how
// a misuse is recorded, and what the device does then (ignore, split, perform, bus error).

import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  RegisterBlock,
  RegisterMap,
  registerWhere,
  type AccessWidth,
  type Fallback,
  type Misuse,
  type MisuseRule,
  type RegisterSpec,
} from '../../../impl/hw/registers.ts';

/** A 16-byte block: R0 (rw, 32-bit) at 0, R1 (r, 8/16-bit) at 4, hole at 8, W (w) at 12. */
class Block extends RegisterBlock {
  readonly name = 'blk';
  readonly sizeBytes = 16;
  protected readonly registerMap = new RegisterMap(16, [
    { name: 'R0', offset: 0, sizeBytes: 4, widths: [4], access: 'rw' },
    { name: 'R1', offset: 4, sizeBytes: 2, widths: [1, 2], access: 'r' },
    { name: 'W', offset: 12, sizeBytes: 4, widths: [4], access: 'w' },
  ]);
  readonly recorded: string[] = [];
  readonly writes: [number, number, number][] = [];
  accesses = 0;
  constructor(
    readonly fallback: Fallback,
    readonly strictOn = true,
    readonly rule: string | null = 'rule',
  ) {
    super();
  }
  protected get strict(): boolean {
    return this.strictOn;
  }
  protected override beforeAccess(): void {
    this.accesses++;
  }
  protected readReg(offsetBytes: number, widthBytes: 1 | 2 | 4): number {
    return (offsetBytes * 0x1000 + widthBytes) >>> 0;
  }
  protected writeReg(offsetBytes: number, widthBytes: 1 | 2 | 4, value: number): void {
    this.writes.push([offsetBytes, widthBytes, value]);
  }
  protected misuseRule(_o: {
    misuse: Misuse;
    reg: RegisterSpec | undefined;
    widthBytes: AccessWidth;
    write: boolean;
  }): MisuseRule {
    return { rule: this.rule, fallback: this.fallback };
  }
  protected recordMisuse(o: { code: Misuse; rule: string; where: string; message: string }): void {
    this.recorded.push(`${o.code}|${o.rule}|${o.where}|${o.message}`);
  }
  irqAsserted(): boolean {
    return false;
  }
}

describe('RegisterMap', () => {
  it('maps every byte of a register to it, and nothing else', () => {
    const m = new RegisterMap(8, [
      { name: 'A', offset: 2, sizeBytes: 2, widths: [2], access: 'r' },
    ]);
    expect([0, 1, 2, 3, 4].map((o) => m.at(o)?.name ?? null)).toEqual([null, null, 'A', 'A', null]);
  });

  it('refuses overlapping, empty-width or out-of-block registers', () => {
    const r = (offset: number, sizeBytes: number, widths: AccessWidth[] = [4]) => ({
      name: 'R',
      offset,
      sizeBytes,
      widths,
      access: 'r' as const,
    });
    expect(() => new RegisterMap(8, [r(0, 4), r(2, 4)])).toThrow(InvariantError);
    expect(() => new RegisterMap(8, [r(6, 4)])).toThrow(InvariantError);
    expect(() => new RegisterMap(8, [r(-1, 1)])).toThrow(InvariantError);
    expect(() => new RegisterMap(8, [r(0, 0)])).toThrow(InvariantError);
    expect(() => new RegisterMap(8, [r(0, 4, [])])).toThrow(InvariantError);
  });

  it('registerWhere names the register, offset, width and direction', () => {
    const reg = { name: 'Status', offset: 0x70, sizeBytes: 4, widths: [4], access: 'rw' } as const;
    expect(registerWhere({ reg, offsetBytes: 0x70, widthBytes: 2, write: true })).toBe(
      'Status (0x070) 16-bit write',
    );
    expect(registerWhere({ reg: undefined, offsetBytes: 0x1f8, widthBytes: 8, write: false })).toBe(
      'reserved offset (0x1f8) 64-bit read',
    );
  });
});

describe('RegisterBlock', () => {
  it('accepted accesses reach the register, with no record', () => {
    const b = new Block('ignore');
    expect(b.read32(0)).toBe(4);
    expect(b.read8(4)).toBe(0x4001);
    expect(b.read16(4)).toBe(0x4002);
    b.write32(0, 7);
    b.write32(12, 9);
    expect(b.writes).toEqual([
      [0, 4, 7],
      [12, 4, 9],
    ]);
    expect(b.recorded).toEqual([]);
    expect(b.accesses).toBe(5);
  });

  it('records each misuse with its code, rule, place and reason', () => {
    const b = new Block('ignore');
    b.read16(0); // wrong width
    b.read8(5); // mid-register
    b.read32(8); // hole
    b.read32(12); // write-only
    b.write8(4, 1); // read-only (and right width)
    expect(b.recorded).toEqual([
      'wrong-width|rule|R0 (0x000) 16-bit read|a 16-bit access; R0 takes 32-bit accesses at its own offset',
      'wrong-width|rule|R1 (0x005) 8-bit read|a 8-bit access; R1 takes 8-bit or 16-bit accesses at its own offset',
      'hole|rule|reserved offset (0x008) 32-bit read|no register is described at this offset',
      'read-of-write-only|rule|W (0x00c) 32-bit read|read of a write-only register',
      'write-to-read-only|rule|R1 (0x004) 8-bit write|write to a read-only register',
    ]);
  });

  it('ignore: reads 0, writes dropped', () => {
    const b = new Block('ignore');
    expect(b.read16(0)).toBe(0);
    expect(b.write16(0, 5)).toBeNull();
    expect(b.read64(0)).toBe(0n);
    expect(b.write64(0, 1n)).toBeNull();
    expect(b.writes).toEqual([]);
  });

  it('perform: the access goes to the register at the width given', () => {
    const b = new Block('perform');
    expect(b.read16(0)).toBe(2);
    expect(b.write8(0, 0x1ff)).toBeNull();
    expect(b.writes).toEqual([[0, 1, 0xff]]);
  });

  it('split: a 64-bit access becomes two 32-bit ones, low word first; narrower ones are ignored', () => {
    const b = new Block('split');
    // Each half is a 32-bit access of its own: the high one hits R1 (8/16-bit only), refused.
    expect(b.read64(0)).toBe(4n);
    expect(b.recorded.map((r) => r.split('|')[2])).toEqual([
      'R0 (0x000) 64-bit read',
      'R1 (0x004) 32-bit read',
    ]);
    expect(b.write64(0, 0x0000_0002_0000_0001n)).toBeNull();
    expect(b.writes).toEqual([[0, 4, 1]]); // the high half hit R1 (read-only): recorded, dropped
    expect(b.read16(0)).toBe(0);
    expect(b.write8(0, 1)).toBeNull();
  });

  it('bus-error: the access is refused on the bus (the CPU takes an abort)', () => {
    const b = new Block('bus-error');
    expect(b.read16(0)).toMatchObject({
      kind: 'bus-error',
      reason: expect.stringMatching(/16-bit access at 0x0/),
    });
    expect(b.write8(0, 1)).toMatchObject({ kind: 'bus-error' });
    expect(b.read64(0)).toMatchObject({ kind: 'bus-error' });
    expect(b.write64(8, 1n)).toMatchObject({ kind: 'bus-error' });
    expect(() => b.read32(8)).toThrow(InvariantError); // a device never refuses 32 bits
    expect(() => b.write32(8, 0)).toThrow(InvariantError);
  });

  it('strict off, or a misuse the device does not call a driver error: nothing recorded, same answer', () => {
    for (const b of [new Block('perform', false), new Block('perform', true, null)]) {
      expect(b.read16(0)).toBe(2);
      expect(b.recorded).toEqual([]);
    }
  });

  it('an access outside the block or not naturally aligned is our bug, not a driver error', () => {
    const b = new Block('ignore');
    expect(() => b.read32(16)).toThrow(InvariantError);
    expect(() => b.read16(3)).toThrow(InvariantError);
    expect(() => b.read64(4)).toThrow(InvariantError);
    expect(() => b.read8(-1)).toThrow(InvariantError);
  });
});
