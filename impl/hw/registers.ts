// Register blocks with the access widths the hardware decodes (issue #14 part 1). Each device
// lists its registers (or configuration fields) with the widths a driver may use; an access that
// starts inside a register at another width, starts mid-register, hits a hole, reads a write-only
// register or writes a read-only one is a driver error the device records (in strict mode), and
// the device then does what QEMU does with such an access (the `Fallback`): ignore it (virtio-mmio
// logs "wrong size access to register!" and reads 0), split a 64-bit access into two 32-bit ones
// (QEMU's memory core does this when a device implements at most 4-byte accesses), perform it at
// the width given (virtio config space, PL011), or refuse it on the bus (goldfish RTC's
// `.valid = {4, 4}`: the CPU takes an external abort).

import { assert, unreachable } from '../../spec/common/assert.ts';
import type { MmioBusError, MmioDevice } from '../mem/types.ts';

export type AccessWidth = 1 | 2 | 4 | 8;
type NarrowWidth = 1 | 2 | 4;

export interface RegisterSpec {
  readonly name: string;
  readonly offset: number;
  /** Bytes the register (or configuration field) spans. */
  readonly sizeBytes: number;
  /** Widths a driver may use; an access must also start at `offset`. */
  readonly widths: readonly AccessWidth[];
  readonly access: 'r' | 'w' | 'rw';
}

/** What the device does with an access it does not accept, after recording it. */
export type Fallback = 'ignore' | 'split' | 'perform' | 'bus-error';

/** How a device judges one kind of misuse: the rule broken and what QEMU does then. */
export interface MisuseRule {
  /** Where the rule is written, e.g. `virtio-1.2 §4.2.2.2`; null: not a driver error here. */
  readonly rule: string | null;
  readonly fallback: Fallback;
}

export type Misuse = 'wrong-width' | 'hole' | 'read-of-write-only' | 'write-to-read-only';

/**
 * The misuse policy of a block of 32-bit registers only, decoded with `.valid = {4, 4}` (the
 * goldfish RTC, the I²C controller): an access at another width is refused on the bus (`width`
 * rule); a 32-bit access to a hole or against a register's direction is ignored (`registers`).
 */
export function words32MisuseRule(
  misuse: Misuse,
  widthBytes: AccessWidth,
  rules: { readonly registers: string; readonly width: string },
): MisuseRule {
  switch (misuse) {
    case 'wrong-width': // every register is 32-bit, so this is always a narrow or wide access
    case 'hole':
      return widthBytes === 4
        ? { rule: rules.registers, fallback: 'ignore' }
        : { rule: rules.width, fallback: 'bus-error' };
    case 'read-of-write-only':
    case 'write-to-read-only':
      return { rule: rules.registers, fallback: 'ignore' };
    default:
      return unreachable(misuse);
  }
}

/** A register map: which register covers each byte offset of the block. */
export class RegisterMap {
  /** Sparse: an offset no register covers has no entry. */
  readonly #byOffset: RegisterSpec[] = [];

  constructor(
    readonly sizeBytes: number,
    specs: readonly RegisterSpec[],
  ) {
    for (const r of specs) {
      assert(
        r.offset >= 0 && r.sizeBytes >= 1 && r.offset + r.sizeBytes <= sizeBytes,
        `register ${r.name} lies inside the ${sizeBytes}-byte block`,
      );
      assert(r.widths.length > 0, `register ${r.name} accepts some width`);
      for (let b = r.offset; b < r.offset + r.sizeBytes; b++) {
        assert(this.#byOffset[b] === undefined, `register ${r.name} overlaps another at ${b}`);
        this.#byOffset[b] = r;
      }
    }
  }

  /** The register covering byte `offsetBytes`, if any. */
  at(offsetBytes: number): RegisterSpec | undefined {
    return this.#byOffset[offsetBytes];
  }
}

export function registerWhere(options: {
  reg: RegisterSpec | undefined;
  offsetBytes: number;
  widthBytes: AccessWidth;
  write: boolean;
}): string {
  const { reg, offsetBytes, widthBytes, write } = options;
  const off = `0x${offsetBytes.toString(16).padStart(3, '0')}`;
  const name = reg === undefined ? 'reserved offset' : reg.name;
  return `${name} (${off}) ${8 * widthBytes}-bit ${write ? 'write' : 'read'}`;
}

/**
 * A device register block with 8/16/32/64-bit accessors. Subclasses supply the register map, how
 * each misuse is judged, and the register semantics for accepted accesses (`readReg`/`writeReg`,
 * at most 4 bytes wide: 64-bit accesses are split, as no modelled device decodes them).
 */
export abstract class RegisterBlock implements MmioDevice {
  abstract readonly name: string;
  abstract readonly sizeBytes: number;
  protected abstract readonly registerMap: RegisterMap;

  /** Register semantics of an accepted access (or a `perform` fallback). */
  protected abstract readReg(offsetBytes: number, widthBytes: NarrowWidth): number;
  protected abstract writeReg(offsetBytes: number, widthBytes: NarrowWidth, value: number): void;
  /** How this device judges a misuse of `reg` at this width. */
  protected abstract misuseRule(options: {
    misuse: Misuse;
    reg: RegisterSpec | undefined;
    widthBytes: AccessWidth;
    write: boolean;
  }): MisuseRule;
  /** Record a driver error (only called in strict mode, with a rule). */
  protected abstract recordMisuse(options: {
    code: Misuse;
    rule: string;
    where: string;
    message: string;
  }): void;
  protected abstract get strict(): boolean;
  /** Called before every register access (e.g. a lazy timer fires; an agent yields). */
  protected beforeAccess(): void {}

  read8(offsetBytes: number): number | MmioBusError {
    return this.#read(offsetBytes, 1);
  }
  read16(offsetBytes: number): number | MmioBusError {
    return this.#read(offsetBytes, 2);
  }
  read32(offsetBytes: number): number {
    const r = this.#read(offsetBytes, 4);
    assert(typeof r === 'number', `${this.name}: 32-bit accesses are never refused on the bus`);
    return r;
  }
  read64(offsetBytes: number): bigint | MmioBusError {
    const verdict = this.#judge(offsetBytes, 8, false);
    if (verdict === 'bus-error') return this.#busError(offsetBytes, 8);
    if (verdict === 'ignore') return 0n;
    // `split` or `perform`: two 32-bit accesses, low word first (QEMU's access_with_adjusted_size).
    const lo = this.read32(offsetBytes);
    const hi = this.read32(offsetBytes + 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  write8(offsetBytes: number, value: number): MmioBusError | null {
    return this.#write(offsetBytes, 1, value & 0xff);
  }
  write16(offsetBytes: number, value: number): MmioBusError | null {
    return this.#write(offsetBytes, 2, value & 0xffff);
  }
  write32(offsetBytes: number, value: number): void {
    const r = this.#write(offsetBytes, 4, value >>> 0);
    assert(r === null, `${this.name}: 32-bit accesses are never refused on the bus`);
  }
  write64(offsetBytes: number, value: bigint): MmioBusError | null {
    const verdict = this.#judge(offsetBytes, 8, true);
    if (verdict === 'bus-error') return this.#busError(offsetBytes, 8);
    if (verdict === 'ignore') return null;
    this.write32(offsetBytes, Number(value & 0xffff_ffffn));
    this.write32(offsetBytes + 4, Number((value >> 32n) & 0xffff_ffffn));
    return null;
  }

  abstract irqAsserted(): boolean;

  #read(offsetBytes: number, widthBytes: NarrowWidth): number | MmioBusError {
    const verdict = this.#judge(offsetBytes, widthBytes, false);
    switch (verdict) {
      case 'accept':
      case 'perform':
        return this.readReg(offsetBytes, widthBytes);
      case 'ignore':
      case 'split':
        // Only 64-bit accesses are split; a narrower refused access is ignored instead.
        return 0;
      case 'bus-error':
        return this.#busError(offsetBytes, widthBytes);
      default:
        return unreachable(verdict);
    }
  }

  #write(offsetBytes: number, widthBytes: NarrowWidth, value: number): MmioBusError | null {
    const verdict = this.#judge(offsetBytes, widthBytes, true);
    switch (verdict) {
      case 'accept':
      case 'perform':
        this.writeReg(offsetBytes, widthBytes, value);
        return null;
      case 'ignore':
      case 'split':
        return null;
      case 'bus-error':
        return this.#busError(offsetBytes, widthBytes);
      default:
        return unreachable(verdict);
    }
  }

  #busError(offsetBytes: number, widthBytes: AccessWidth): MmioBusError {
    return {
      kind: 'bus-error',
      reason: `${this.name} does not decode a ${8 * widthBytes}-bit access at 0x${offsetBytes.toString(16)}`,
    };
  }

  /** Accept the access, or record the misuse (strict) and return the fallback. */
  #judge(offsetBytes: number, widthBytes: AccessWidth, write: boolean): 'accept' | Fallback {
    assert(
      Number.isInteger(offsetBytes) &&
        offsetBytes >= 0 &&
        offsetBytes + widthBytes <= this.sizeBytes &&
        offsetBytes % widthBytes === 0,
      () => `${this.name}: a naturally aligned ${widthBytes}-byte access inside the block`,
    );
    this.beforeAccess();
    const reg = this.registerMap.at(offsetBytes);
    const misuse = this.#misuse(reg, offsetBytes, widthBytes, write);
    if (misuse === null) return 'accept';
    const judged = this.misuseRule({ misuse, reg, widthBytes, write });
    if (this.strict && judged.rule !== null) {
      this.recordMisuse({
        code: misuse,
        rule: judged.rule,
        where: registerWhere({ reg, offsetBytes, widthBytes, write }),
        message: misuseMessage({ misuse, reg, widthBytes }),
      });
    }
    return judged.fallback;
  }

  #misuse(
    reg: RegisterSpec | undefined,
    offsetBytes: number,
    widthBytes: AccessWidth,
    write: boolean,
  ): Misuse | null {
    if (reg === undefined) return 'hole';
    if (reg.offset !== offsetBytes || !reg.widths.includes(widthBytes)) return 'wrong-width';
    if (write && reg.access === 'r') return 'write-to-read-only';
    if (!write && reg.access === 'w') return 'read-of-write-only';
    return null;
  }
}

function misuseMessage(options: {
  misuse: Misuse;
  reg: RegisterSpec | undefined;
  widthBytes: AccessWidth;
}): string {
  const { misuse, reg, widthBytes } = options;
  switch (misuse) {
    case 'hole':
      return 'no register is described at this offset';
    case 'wrong-width': {
      assert(reg !== undefined, 'a wrong width is an access to a register');
      const ok = reg.widths.map((w) => `${8 * w}-bit`).join(' or ');
      return `a ${8 * widthBytes}-bit access; ${reg.name} takes ${ok} accesses at its own offset`;
    }
    case 'read-of-write-only':
      return 'read of a write-only register';
    case 'write-to-read-only':
      return 'write to a read-only register';
    default:
      return unreachable(misuse);
  }
}
