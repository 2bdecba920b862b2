// A minimal driver-side virtio-mmio helper: device initialisation (virtio 1.2 §3.1.1), split
// virtqueue set-up in the sDDF layout (desc, avail, used contiguous: reference
// sddf-protocols.md §5.1), posting descriptor chains and collecting used entries. The tests use
// it to drive the emulated devices; the real sDDF virtio drivers may grow from it. It keeps its
// own free list and chain bookkeeping: nothing it relies on is read back from device-written
// memory except used.idx and used entries, which it range-checks.

import { assert } from '../../../spec/common/assert.ts';
import { u16 } from '../../../spec/common/int.ts';
import type { MmioDevice } from '../../mem/types.ts';
import { DESC_SIZE_BYTES, DescFlag, Reg, Status } from './constants.ts';

/** The driver's view of the memory holding rings and buffers (its mappings). */
export interface DriverMemory {
  readU16(addr: bigint): number;
  readU32(addr: bigint): number;
  writeU16(addr: bigint, v: number): void;
  writeU32(addr: bigint, v: number): void;
  writeU64(addr: bigint, v: bigint): void;
}

export interface BufferSpec {
  readonly addr: bigint;
  readonly lenBytes: number;
  /** Device-writable (virtq_desc WRITE flag). */
  readonly write: boolean;
}

/** Where `add` puts the chain: in the descriptor table, or in an indirect table (§2.7.5.3). */
export interface IndirectTable {
  /** I/O address of the table (16-aligned, 16 bytes per descriptor). */
  readonly addr: bigint;
}

export interface UsedEntry {
  readonly head: number;
  readonly lenBytes: number;
}

/** sDDF layout: `avail_off = 16*num`, `used_off = align4(avail_off + 6 + 2*num)`. */
export function ringLayout(options: { baseAddr: bigint; num: number }): {
  descAddr: bigint;
  availAddr: bigint;
  usedAddr: bigint;
  endAddr: bigint;
} {
  const { baseAddr, num } = options;
  const availOff = DESC_SIZE_BYTES * num;
  const usedOff = (availOff + 6 + 2 * num + 3) & ~3;
  const usedBytes = 6 + 8 * num;
  return {
    descAddr: baseAddr,
    availAddr: baseAddr + BigInt(availOff),
    usedAddr: baseAddr + BigInt(usedOff),
    endAddr: baseAddr + BigInt(usedOff + usedBytes),
  };
}

export class DriverQueue {
  readonly #mem: DriverMemory;
  readonly #freeDescs: number[];
  /** chain length per head, so used entries can be freed without trusting device memory. */
  readonly #chainOf = new Map<number, number[]>();
  availIdx = 0;
  usedHead = 0;

  constructor(
    readonly index: number,
    readonly num: number,
    readonly layout: ReturnType<typeof ringLayout>,
    mem: DriverMemory,
  ) {
    this.#mem = mem;
    this.#freeDescs = Array.from({ length: num }, (_, i) => i);
  }

  get freeDescCount(): number {
    return this.#freeDescs.length;
  }

  /**
   * Write the descriptors, publish the head in the avail ring; null when descriptors ran out.
   * With `indirect`, the buffers go into that table and one descriptor refers to it.
   */
  add(buffers: readonly BufferSpec[], options: { indirect?: IndirectTable } = {}): number | null {
    const head = this.place(buffers, options);
    if (head !== null) this.publish(head);
    return head;
  }

  /** Write a chain's descriptors without publishing it (tests publish it their own way). */
  place(buffers: readonly BufferSpec[], options: { indirect?: IndirectTable } = {}): number | null {
    assert(buffers.length >= 1, 'a chain has at least one buffer');
    const table = options.indirect;
    const needed = table === undefined ? buffers.length : 1;
    if (needed > this.#freeDescs.length) return null;
    const ids = this.#freeDescs.splice(0, needed);
    if (table !== undefined) {
      for (let i = 0; i < buffers.length; i++) {
        const b = buffers[i] as BufferSpec;
        const more = i + 1 < buffers.length;
        const flags = (b.write ? DescFlag.Write : 0) | (more ? DescFlag.Next : 0);
        writeDescAt(this.#mem, table.addr + BigInt(DESC_SIZE_BYTES * i), {
          addr: b.addr,
          lenBytes: b.lenBytes,
          flags,
          next: more ? i + 1 : 0,
        });
      }
      this.writeDesc(ids[0] as number, {
        addr: table.addr,
        lenBytes: DESC_SIZE_BYTES * buffers.length,
        flags: DescFlag.Indirect,
        next: 0,
      });
    } else {
      for (let i = 0; i < buffers.length; i++) {
        const b = buffers[i] as BufferSpec;
        const id = ids[i] as number;
        const next = ids[i + 1];
        const flags = (b.write ? DescFlag.Write : 0) | (next !== undefined ? DescFlag.Next : 0);
        this.writeDesc(id, { addr: b.addr, lenBytes: b.lenBytes, flags, next: next ?? 0 });
      }
    }
    const head = ids[0] as number;
    this.#chainOf.set(head, ids);
    return head;
  }

  /** Raw descriptor write (tests use it to build malformed chains). */
  writeDesc(id: number, d: { addr: bigint; lenBytes: number; flags: number; next: number }): void {
    assert(id >= 0 && id < this.num, `descriptor ${id} in table of ${this.num}`);
    writeDescAt(this.#mem, this.layout.descAddr + BigInt(DESC_SIZE_BYTES * id), d);
  }

  /** ring[idx % num] = head; (write barrier); idx++ — §2.7.13. */
  publish(head: number): void {
    const slot = this.availIdx % this.num;
    this.#mem.writeU16(this.layout.availAddr + 4n + 2n * BigInt(slot), head);
    this.availIdx = u16(this.availIdx + 1);
    this.#mem.writeU16(this.layout.availAddr + 2n, this.availIdx);
  }

  setAvailFlags(flags: number): void {
    this.#mem.writeU16(this.layout.availAddr, flags);
  }

  /** used_event (VIRTIO_F_EVENT_IDX): interrupt me when used.idx passes `idx` (§2.7.7). */
  setUsedEvent(idx: number): void {
    this.#mem.writeU16(this.layout.availAddr + 4n + 2n * BigInt(this.num), u16(idx));
  }

  /** used.flags as the device wrote it (NO_NOTIFY = 1). */
  usedFlags(): number {
    return this.#mem.readU16(this.layout.usedAddr);
  }

  /** avail_event as the device wrote it (VIRTIO_F_EVENT_IDX). */
  availEvent(): number {
    return this.#mem.readU16(this.layout.usedAddr + 4n + 8n * BigInt(this.num));
  }

  /** used.idx as the device published it. */
  usedIdx(): number {
    return this.#mem.readU16(this.layout.usedAddr + 2n);
  }

  /**
   * Should the driver notify after moving avail.idx from `oldIdx` to the current one (§2.7.10.1)?
   * With EVENT_IDX: when the new entries include avail_event; without: unless NO_NOTIFY.
   */
  needsNotify(options: { eventIdx: boolean; oldIdx: number }): boolean {
    if (!options.eventIdx) return (this.usedFlags() & 1) === 0;
    const event = this.availEvent();
    return u16(this.availIdx - event - 1) < u16(this.availIdx - options.oldIdx);
  }

  /** Walk `usedHead != used.idx`; frees the chains. */
  collect(): UsedEntry[] {
    const usedIdx = this.#mem.readU16(this.layout.usedAddr + 2n);
    const out: UsedEntry[] = [];
    for (let n = 0; n < this.num && this.usedHead !== usedIdx; n++) {
      const slot = this.usedHead % this.num;
      const at = this.layout.usedAddr + 4n + 8n * BigInt(slot);
      const head = this.#mem.readU32(at);
      const lenBytes = this.#mem.readU32(at + 4n);
      const ids = this.#chainOf.get(head);
      assert(ids !== undefined, `device returned head ${head}, which is not in flight`);
      this.#chainOf.delete(head);
      this.#freeDescs.push(...ids);
      out.push({ head, lenBytes });
      this.usedHead = u16(this.usedHead + 1);
    }
    return out;
  }

  /**
   * Test hook: both sides agree to start their free-running indices at `idx` (the device's private
   * indices are set by the caller through `SplitVirtqueue`), so the 2^16 wrap is reached quickly.
   */
  startIndicesAt(idx: number): void {
    this.availIdx = u16(idx);
    this.usedHead = u16(idx);
    this.#mem.writeU16(this.layout.availAddr + 2n, this.availIdx);
    this.#mem.writeU16(this.layout.usedAddr + 2n, this.usedHead);
  }
}

function writeDescAt(
  mem: DriverMemory,
  at: bigint,
  d: { addr: bigint; lenBytes: number; flags: number; next: number },
): void {
  mem.writeU64(at, d.addr);
  mem.writeU32(at + 8n, d.lenBytes);
  mem.writeU16(at + 12n, d.flags);
  mem.writeU16(at + 14n, d.next);
}

export class VirtioDriver {
  readonly #mmio: MmioDevice;
  readonly #mem: DriverMemory;
  readonly queues = new Map<number, DriverQueue>();

  constructor(options: { mmio: MmioDevice; memory: DriverMemory }) {
    this.#mmio = options.mmio;
    this.#mem = options.memory;
  }

  get status(): number {
    return this.#mmio.read32(Reg.Status);
  }

  deviceFeatures(): bigint {
    let f = 0n;
    for (let sel = 0; sel < 2; sel++) {
      this.#mmio.write32(Reg.DeviceFeaturesSel, sel);
      f |= BigInt(this.#mmio.read32(Reg.DeviceFeatures)) << BigInt(32 * sel);
    }
    return f;
  }

  /** §3.1.1 steps 1–6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, re-read. */
  negotiate(features: bigint): boolean {
    this.#mmio.write32(Reg.Status, 0);
    assert(this.status === 0, 'reset reads back 0');
    this.#mmio.write32(Reg.Status, Status.Acknowledge);
    this.#mmio.write32(Reg.Status, Status.Acknowledge | Status.Driver);
    for (let sel = 0; sel < 2; sel++) {
      this.#mmio.write32(Reg.DriverFeaturesSel, sel);
      this.#mmio.write32(Reg.DriverFeatures, Number((features >> BigInt(32 * sel)) & 0xffff_ffffn));
    }
    this.#mmio.write32(Reg.Status, Status.Acknowledge | Status.Driver | Status.FeaturesOk);
    const kept = (this.status & Status.FeaturesOk) !== 0;
    if (!kept) this.#mmio.write32(Reg.Status, this.status | Status.Failed);
    return kept;
  }

  setupQueue(options: { index: number; num: number; baseAddr: bigint }): DriverQueue {
    const { index, num, baseAddr } = options;
    this.#mmio.write32(Reg.QueueSel, index);
    const max = this.#mmio.read32(Reg.QueueNumMax);
    assert(num <= max, `queue ${index}: num ${num} > QueueNumMax ${max}`);
    const layout = ringLayout({ baseAddr, num });
    this.#mmio.write32(Reg.QueueNum, num);
    const addrs: [number, number, bigint][] = [
      [Reg.QueueDescLow, Reg.QueueDescHigh, layout.descAddr],
      [Reg.QueueDriverLow, Reg.QueueDriverHigh, layout.availAddr],
      [Reg.QueueDeviceLow, Reg.QueueDeviceHigh, layout.usedAddr],
    ];
    for (const [lo, hi, addr] of addrs) {
      this.#mmio.write32(lo, Number(addr & 0xffff_ffffn));
      this.#mmio.write32(hi, Number(addr >> 32n));
    }
    this.#mmio.write32(Reg.QueueReady, 1);
    const q = new DriverQueue(index, num, layout, this.#mem);
    this.queues.set(index, q);
    return q;
  }

  driverOk(): void {
    this.#mmio.write32(Reg.Status, this.status | Status.DriverOk);
  }

  queue(index: number): DriverQueue {
    const q = this.queues.get(index);
    assert(q !== undefined, `queue ${index} was set up`);
    return q;
  }

  kick(index: number): void {
    this.#mmio.write32(Reg.QueueNotify, index);
  }

  /** Read the MAC with 8-bit accesses, as §4.2.2.2 requires for `u8 mac[6]`. */
  readMac(): Uint8Array {
    const read8 = this.#mmio.read8;
    assert(read8 !== undefined, 'the device decodes 8-bit accesses');
    const mac = new Uint8Array(6);
    for (let i = 0; i < 6; i++) {
      const b = read8.call(this.#mmio, Reg.Config + i);
      assert(typeof b === 'number', 'an 8-bit config read is never refused on the bus');
      mac[i] = b;
    }
    return mac;
  }

  /** Read InterruptStatus and acknowledge exactly those bits (W1C); returns what was pending. */
  ackInterrupt(): number {
    const pending = this.#mmio.read32(Reg.InterruptStatus);
    if (pending !== 0) this.#mmio.write32(Reg.InterruptAck, pending);
    return pending;
  }
}
