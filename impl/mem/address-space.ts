// A PD's address space (the MMU): the PD's `<map>`s, and nothing else. Components reach memory only
// through it (issue #5 part 1). Every access is checked against the covering mapping's perms; a
// violation raises a PdFaultTrap carrying a PdFault value, which the runtime reports (fault.ts).
//
// Virtual addresses are `number`: Microkit rejects map vaddrs at or above the stack bottom,
// 0xffffffc000 on AArch64 (microkit-sdf.md §1.3 map.vaddr), far below 2^53, so a double holds them
// exactly; construction asserts it.

import { assert, unreachable } from '../../spec/common/assert.ts';
import type { Perms } from '../../spec/system/model.ts';
import { PdFaultTrap, type PdAccess, type PdFault, type PdFaultKind } from './fault.ts';
import type { MmioBusError, MmioDevice } from './types.ts';

/** What a mapping needs to exist; serialisable (worker_threads structured clone) except `mmio`. */
export interface MappingSpec {
  readonly mr: string;
  readonly vaddr: number;
  readonly sizeBytes: number;
  readonly perms: Perms;
  readonly cached: boolean;
  readonly buffer: SharedArrayBuffer | null;
  readonly mmio: MmioDevice | null;
}

interface Slot {
  readonly spec: MappingSpec;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly view: DataView | null;
  readonly bytes: Uint8Array | null;
}

/** A shared-memory window handed out for lock-free queue words (Atomics). */
export interface SharedWindow {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly lengthBytes: number;
}

export class AddressSpace {
  // JS-private (#): not reachable from a component even by ignoring the types.
  readonly #slots: Slot[];
  #last: Slot | null = null;

  constructor(
    readonly pd: string,
    mappings: readonly MappingSpec[],
  ) {
    const slots: Slot[] = [];
    for (const spec of mappings) {
      const end = spec.vaddr + spec.sizeBytes;
      assert(
        Number.isSafeInteger(end) && spec.vaddr >= 0,
        `map of '${spec.mr}' in '${pd}' fits below 2^53`,
      );
      assert(
        (spec.buffer === null) !== (spec.mmio === null),
        `map of '${spec.mr}' is backed by exactly one of memory or a device`,
      );
      const view = spec.buffer === null ? null : new DataView(spec.buffer);
      const bytes = spec.buffer === null ? null : new Uint8Array(spec.buffer);
      slots.push({ spec, start: spec.vaddr, end, view, bytes });
    }
    slots.sort((a, b) => a.start - b.start);
    for (let i = 1; i < slots.length; i++) {
      const prev = slots[i - 1]!;
      const cur = slots[i]!;
      // Microkit rejects overlapping maps within a PD (microkit-sdf.md §1.5 Maps).
      assert(
        prev.end <= cur.start,
        `maps of '${prev.spec.mr}' and '${cur.spec.mr}' in '${pd}' do not overlap`,
      );
    }
    this.#slots = slots;
  }

  /** What is mapped where, without the backing buffers: a component holding a buffer could
   * write through a read-only map, so buffers never leave this class except via sharedWindow. */
  describe(): readonly {
    mr: string;
    vaddr: number;
    sizeBytes: number;
    perms: Perms;
    cached: boolean;
  }[] {
    return this.#slots.map(({ spec }) => ({
      mr: spec.mr,
      vaddr: spec.vaddr,
      sizeBytes: spec.sizeBytes,
      perms: spec.perms,
      cached: spec.cached,
    }));
  }

  /** Non-throwing check: the fault an access would raise, or null when it is allowed. */
  check(vaddr: number, lengthBytes: number, access: PdAccess): PdFault | null {
    const r = this.lookup(vaddr, lengthBytes, access);
    return r instanceof PdFaultTrap ? r.fault : null;
  }

  read8(vaddr: number): number {
    const s = this.slot(vaddr, 1, 'read');
    if (s.view !== null) return s.view.getUint8(vaddr - s.start);
    const dev = s.spec.mmio!;
    if (dev.read8 === undefined) return this.mmioOnly(vaddr, 1, 'read');
    return this.busValue(dev.read8(this.mmioOffset(s, vaddr, 1, 'read')), vaddr, 1, 'read');
  }
  read16(vaddr: number): number {
    const s = this.slot(vaddr, 2, 'read');
    if (s.view !== null) return s.view.getUint16(vaddr - s.start, true);
    const dev = s.spec.mmio!;
    if (dev.read16 === undefined) return this.mmioOnly(vaddr, 2, 'read');
    return this.busValue(dev.read16(this.mmioOffset(s, vaddr, 2, 'read')), vaddr, 2, 'read');
  }
  read32(vaddr: number): number {
    const s = this.slot(vaddr, 4, 'read');
    if (s.spec.mmio !== null) return s.spec.mmio.read32(this.mmioOffset(s, vaddr, 4, 'read'));
    return s.view!.getUint32(vaddr - s.start, true);
  }
  read64(vaddr: number): bigint {
    const s = this.slot(vaddr, 8, 'read');
    if (s.view !== null) return s.view.getBigUint64(vaddr - s.start, true);
    const dev = s.spec.mmio!;
    if (dev.read64 === undefined) return BigInt(this.mmioOnly(vaddr, 8, 'read'));
    return this.busValue(dev.read64(this.mmioOffset(s, vaddr, 8, 'read')), vaddr, 8, 'read');
  }
  write8(vaddr: number, value: number): void {
    const s = this.slot(vaddr, 1, 'write');
    if (s.view !== null) return s.view.setUint8(vaddr - s.start, value & 0xff);
    const dev = s.spec.mmio!;
    if (dev.write8 === undefined) return this.mmioOnly(vaddr, 1, 'write');
    const off = this.mmioOffset(s, vaddr, 1, 'write');
    this.busDone(dev.write8(off, value & 0xff), vaddr, 1);
  }
  write16(vaddr: number, value: number): void {
    const s = this.slot(vaddr, 2, 'write');
    if (s.view !== null) return s.view.setUint16(vaddr - s.start, value & 0xffff, true);
    const dev = s.spec.mmio!;
    if (dev.write16 === undefined) return this.mmioOnly(vaddr, 2, 'write');
    const off = this.mmioOffset(s, vaddr, 2, 'write');
    this.busDone(dev.write16(off, value & 0xffff), vaddr, 2);
  }
  write32(vaddr: number, value: number): void {
    const s = this.slot(vaddr, 4, 'write');
    if (s.spec.mmio !== null)
      s.spec.mmio.write32(this.mmioOffset(s, vaddr, 4, 'write'), value >>> 0);
    else s.view!.setUint32(vaddr - s.start, value >>> 0, true);
  }
  write64(vaddr: number, value: bigint): void {
    const s = this.slot(vaddr, 8, 'write');
    const v = BigInt.asUintN(64, value);
    if (s.view !== null) return s.view.setBigUint64(vaddr - s.start, v, true);
    const dev = s.spec.mmio!;
    if (dev.write64 === undefined) return this.mmioOnly(vaddr, 8, 'write');
    this.busDone(dev.write64(this.mmioOffset(s, vaddr, 8, 'write'), v), vaddr, 8);
  }
  /** Copy out `lengthBytes` bytes (a fresh array: the caller cannot reach the region through it). */
  readBytes(vaddr: number, lengthBytes: number): Uint8Array {
    const s = this.slot(vaddr, lengthBytes, 'read');
    if (s.bytes === null) this.mmioOnly(vaddr, lengthBytes, 'read');
    const off = vaddr - s.start;
    return s.bytes!.slice(off, off + lengthBytes);
  }
  /**
   * `readBytes` into `dst` at `dstOffset`, without the intermediate copy (the copier's hot path:
   * the same permission checks, one memcpy as in the C copier).
   */
  readInto(vaddr: number, lengthBytes: number, dst: Uint8Array, dstOffset: number): void {
    const s = this.slot(vaddr, lengthBytes, 'read');
    if (s.bytes === null) this.mmioOnly(vaddr, lengthBytes, 'read');
    const off = vaddr - s.start;
    dst.set(s.bytes!.subarray(off, off + lengthBytes), dstOffset);
  }
  writeBytes(vaddr: number, data: Uint8Array): void {
    const s = this.slot(vaddr, data.length, 'write');
    if (s.bytes === null) this.mmioOnly(vaddr, data.length, 'write');
    s.bytes!.set(data, vaddr - s.start);
  }
  /** Executing at `vaddr`: faults unless the mapping has `x` (executing data, issue #5 part 1). */
  exec(vaddr: number): void {
    this.slot(vaddr, 4, 'exec');
  }

  /**
   * A u32 Atomics view of `countWords` words at `vaddr`, for queue indices and flags. Only handed
   * out for a normal-memory mapping that is readable *and* writable: a typed array cannot enforce
   * read-only, so a read-only mapping never yields one (issue #5 part 1).
   */
  atomicsU32(vaddr: number, countWords: number): Uint32Array {
    const w = this.sharedWindow(vaddr, countWords * 4, 4);
    return new Uint32Array(w.buffer, w.byteOffset, countWords);
  }
  /** u16 Atomics view (net queue head/tail are uint16_t, sddf-protocols.md §2.1). */
  atomicsU16(vaddr: number, countHalves: number): Uint16Array {
    const w = this.sharedWindow(vaddr, countHalves * 2, 2);
    return new Uint16Array(w.buffer, w.byteOffset, countHalves);
  }
  /** The raw shared window behind an `rw` mapping (for impl/queue constructors over SAB). */
  sharedWindow(vaddr: number, lengthBytes: number, alignBytes = 1): SharedWindow {
    const s = this.slot(vaddr, lengthBytes, 'atomic');
    if (s.spec.buffer === null) this.mmioOnly(vaddr, lengthBytes, 'atomic');
    // The typed array sits at `vaddr - start` in the buffer: that offset must be aligned too (it
    // is whenever the map is page aligned, as Microkit requires; a RangeError otherwise).
    if (vaddr % alignBytes !== 0 || (vaddr - s.start) % alignBytes !== 0) {
      throw this.trap(
        'alignment',
        vaddr,
        lengthBytes,
        'atomic',
        `atomic view not aligned to ${alignBytes} bytes`,
      );
    }
    return { buffer: s.spec.buffer!, byteOffset: vaddr - s.start, lengthBytes };
  }

  private slot(vaddr: number, lengthBytes: number, access: PdAccess): Slot {
    const last = this.#last;
    // Fast path: the map of the previous access. It must decide exactly as `lookup` would, so it
    // takes only what lookup accepts: integer addresses and lengths, and at least one byte (a
    // zero-length access at the map's end is outside the map for lookup). Anything else goes the
    // slow way (issue 12 part 5: a fractional vaddr, a negative or fractional length, or a
    // zero-length access at the end used to pass here and fault there).
    if (
      last !== null &&
      lengthBytes > 0 &&
      Number.isInteger(vaddr) &&
      Number.isInteger(lengthBytes) &&
      vaddr >= last.start &&
      vaddr + lengthBytes <= last.end &&
      allows(last.spec.perms, access)
    ) {
      return last;
    }
    const r = this.lookup(vaddr, lengthBytes, access);
    if (r instanceof PdFaultTrap) throw r;
    this.#last = r;
    return r;
  }

  private lookup(vaddr: number, lengthBytes: number, access: PdAccess): Slot | PdFaultTrap {
    assert(
      Number.isSafeInteger(lengthBytes) && lengthBytes >= 0,
      `access length is a byte count, saw ${lengthBytes}`,
    );
    if (!Number.isSafeInteger(vaddr) || vaddr < 0) {
      return this.trap(
        'unmapped',
        0,
        lengthBytes,
        access,
        `vaddr ${String(vaddr)} is not an address`,
      );
    }
    // Bounded: a PD has at most a few dozen maps (the SDF lists them all).
    for (const s of this.#slots) {
      if (vaddr < s.start || vaddr >= s.end) continue;
      if (vaddr + lengthBytes > s.end) {
        return this.trap(
          'unmapped',
          s.end,
          lengthBytes,
          access,
          `${access} of ${lengthBytes} bytes runs past the map of '${s.spec.mr}'`,
        );
      }
      if (!allows(s.spec.perms, access)) {
        return this.trap(
          'permission',
          vaddr,
          lengthBytes,
          access,
          `${access} through map of '${s.spec.mr}' with perms '${permString(s.spec.perms)}'`,
        );
      }
      return s;
    }
    return this.trap(
      'unmapped',
      vaddr,
      lengthBytes,
      access,
      `${access} at 0x${vaddr.toString(16)} outside every map`,
    );
  }

  /** Device memory needs naturally aligned accesses (AArch64 Device-nGnRE: an alignment fault). */
  private mmioOffset(s: Slot, vaddr: number, widthBytes: number, access: PdAccess): number {
    const off = vaddr - s.start;
    if (off % widthBytes !== 0)
      throw this.trap(
        'alignment',
        vaddr,
        widthBytes,
        access,
        `${8 * widthBytes}-bit MMIO register access at unaligned offset ${off}`,
      );
    return off;
  }

  private mmioOnly(vaddr: number, lengthBytes: number, access: PdAccess): never {
    throw this.trap(
      'alignment',
      vaddr,
      lengthBytes,
      access,
      `this device's registers are accessed 32 bits at a time`,
    );
  }

  /** A device access that the device refused on the bus faults the PD (external abort). */
  private busValue<T extends number | bigint>(
    r: T | MmioBusError,
    vaddr: number,
    widthBytes: number,
    access: PdAccess,
  ): T {
    if (typeof r === 'object') {
      throw this.trap('bus-error', vaddr, widthBytes, access, `bus error: ${r.reason}`);
    }
    return r;
  }

  private busDone(r: MmioBusError | null, vaddr: number, widthBytes: number): void {
    if (r !== null)
      throw this.trap('bus-error', vaddr, widthBytes, 'write', `bus error: ${r.reason}`);
  }

  private trap(
    kind: PdFaultKind,
    vaddr: number,
    lengthBytes: number,
    access: PdAccess,
    message: string,
  ): PdFaultTrap {
    return new PdFaultTrap({
      kind,
      pd: this.pd,
      vaddr,
      access,
      lengthBytes,
      message: `${this.pd}: ${message}`,
    });
  }
}

function allows(p: Perms, access: PdAccess): boolean {
  switch (access) {
    case 'read':
      return p.r;
    case 'write':
      return p.w;
    case 'exec':
      return p.x;
    case 'atomic':
      return p.r && p.w;
    default:
      return unreachable(access);
  }
}

export function permString(p: Perms): string {
  return `${p.r ? 'r' : ''}${p.w ? 'w' : ''}${p.x ? 'x' : ''}`;
}
