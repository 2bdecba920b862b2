// Test memory for emulated devices: a flat RAM with raw access for the test (standing in for the
// driver's mappings) and a windowed DmaPort standing in for the IOMMU (issue #5: "a DMA outside
// them faults the device and is reported, never performed"). The real IOMMU lives in impl/mem.

import { assert } from '../../spec/common/assert.ts';
import type { DmaFault, DmaPort } from '../mem/types.ts';

/** Flat physical RAM `[baseAddr, baseAddr + sizeBytes)`, addressed by I/O address. */
export class TestMemory {
  readonly bytes: Uint8Array;
  readonly baseAddr: bigint;
  readonly #view: DataView;

  /** New zeroed RAM of `sizeBytes`, or a view of existing `bytes` (e.g. a region's SharedArrayBuffer). */
  constructor(
    options: { baseAddr: bigint; sizeBytes: number } | { baseAddr: bigint; bytes: Uint8Array },
  ) {
    this.baseAddr = options.baseAddr;
    this.bytes = 'bytes' in options ? options.bytes : new Uint8Array(options.sizeBytes);
    assert(this.bytes.length > 0 && this.bytes.length <= 1 << 28, 'test memory is 1 B..256 MiB');
    this.#view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  #offset(addr: bigint, lengthBytes: number): number {
    const off = addr - this.baseAddr;
    assert(
      off >= 0n && off + BigInt(lengthBytes) <= BigInt(this.bytes.length),
      () => `test access [0x${addr.toString(16)}, +${lengthBytes}) outside test memory`,
    );
    return Number(off);
  }

  read(addr: bigint, lengthBytes: number): Uint8Array {
    const off = this.#offset(addr, lengthBytes);
    return this.bytes.slice(off, off + lengthBytes);
  }
  write(addr: bigint, data: Uint8Array): void {
    this.bytes.set(data, this.#offset(addr, data.length));
  }
  readU8(addr: bigint): number {
    return this.#view.getUint8(this.#offset(addr, 1));
  }
  readU16(addr: bigint): number {
    return this.#view.getUint16(this.#offset(addr, 2), true);
  }
  readU32(addr: bigint): number {
    return this.#view.getUint32(this.#offset(addr, 4), true);
  }
  writeU8(addr: bigint, v: number): void {
    this.#view.setUint8(this.#offset(addr, 1), v);
  }
  writeU16(addr: bigint, v: number): void {
    this.#view.setUint16(this.#offset(addr, 2), v, true);
  }
  writeU32(addr: bigint, v: number): void {
    this.#view.setUint32(this.#offset(addr, 4), v >>> 0, true);
  }
  writeU64(addr: bigint, v: bigint): void {
    this.#view.setBigUint64(this.#offset(addr, 8), v, true);
  }
}

/**
 * A DmaPort that lets a device reach only `[windowStart, windowEnd)` of `memory`; anything else
 * is a DmaFault and the access is not performed (not even partly).
 */
export class WindowDmaPort implements DmaPort {
  readonly faults: DmaFault[] = [];
  readonly #memory: TestMemory;
  readonly #device: string;
  readonly #windowStart: bigint;
  readonly #windowEnd: bigint;

  constructor(options: {
    memory: TestMemory;
    device: string;
    windowStart: bigint;
    windowEnd: bigint;
  }) {
    assert(options.windowStart < options.windowEnd, 'DMA window must be non-empty');
    this.#memory = options.memory;
    this.#device = options.device;
    this.#windowStart = options.windowStart;
    this.#windowEnd = options.windowEnd;
  }

  #check(ioAddr: bigint, lengthBytes: number, write: boolean): DmaFault | null {
    const end = ioAddr + BigInt(lengthBytes);
    if (ioAddr >= this.#windowStart && end <= this.#windowEnd && lengthBytes >= 0) {
      return null;
    }
    const fault: DmaFault = {
      kind: 'dma-fault',
      device: this.#device,
      ioAddr,
      lengthBytes,
      write,
      reason: `outside I/O window [0x${this.#windowStart.toString(16)}, 0x${this.#windowEnd.toString(16)})`,
    };
    this.faults.push(fault);
    return fault;
  }

  read(ioAddr: bigint, lengthBytes: number): Uint8Array | DmaFault {
    return this.#check(ioAddr, lengthBytes, false) ?? this.#memory.read(ioAddr, lengthBytes);
  }

  write(ioAddr: bigint, data: Uint8Array): DmaFault | null {
    const fault = this.#check(ioAddr, data.length, true);
    if (fault === null) {
      this.#memory.write(ioAddr, data);
    }
    return fault;
  }
}
