// Test fixture for net component handlers: a PD's address space over fresh regions, a MicrokitApi
// that records notifications instead of scheduling, and queue handles for the peer's side of each
// connection, so a test can stand on the other end of every queue and state pre/post-conditions.

import { AddressSpace, type MappingSpec } from '../../../../impl/mem/address-space.ts';
import type { MmioDevice } from '../../../../impl/mem/types.ts';
import type { ComponentContext, MicrokitApi, PpcMessage } from '../../../../impl/runtime/api.ts';
import type { ComponentConfig } from '../../../../impl/runtime/config.ts';
import { createNetQueueHandle, type NetQueueHandle } from '../../../../impl/queue/net.ts';
import type {
  DeviceRegion,
  NetConnection,
  RegionResource,
} from '../../../../impl/components/net/config.ts';
import { netQueueSizeBytes } from '../../../../spec/queue/net.ts';

const RW = { r: true, w: true, x: false };
const R = { r: true, w: false, x: false };

export interface Region {
  readonly name: string;
  readonly vaddr: number;
  readonly sizeBytes: number;
  readonly buffer: SharedArrayBuffer | null;
  readonly ioAddr: bigint;
  readonly perms: 'rw' | 'r';
  readonly mmio: MmioDevice | null;
}

/** Lays regions out at increasing vaddrs, 2 MiB apart (like sdfgen's maps). */
export class Layout {
  readonly regions: Region[] = [];
  private next = 0x2000_0000;

  add(
    name: string,
    sizeBytes: number,
    o: { perms?: 'rw' | 'r'; ioAddr?: bigint; buffer?: SharedArrayBuffer; mmio?: MmioDevice } = {},
  ): Region {
    const size = Math.max(sizeBytes, 0x1000);
    const r: Region = {
      name,
      vaddr: this.next,
      sizeBytes: size,
      buffer: o.mmio !== undefined ? null : (o.buffer ?? new SharedArrayBuffer(size)),
      ioAddr: o.ioAddr ?? 0n,
      perms: o.perms ?? 'rw',
      mmio: o.mmio ?? null,
    };
    this.next += Math.max(0x20_0000, Math.ceil(size / 0x20_0000) * 0x20_0000);
    this.regions.push(r);
    return r;
  }

  /** A queue pair: returns both regions. */
  pair(name: string, capacity: number): { free: Region; active: Region } {
    const size = netQueueSizeBytes(capacity);
    return { free: this.add(`${name}/free`, size), active: this.add(`${name}/active`, size) };
  }

  space(pd: string): AddressSpace {
    return new AddressSpace(
      pd,
      this.regions.map((r): MappingSpec => ({
        mr: r.name,
        vaddr: r.vaddr,
        sizeBytes: r.sizeBytes,
        perms: r.perms === 'rw' ? RW : R,
        cached: true,
        buffer: r.buffer,
        mmio: r.mmio,
      })),
    );
  }
}

export function res(r: Region): RegionResource {
  return { vaddr: r.vaddr, sizeBytes: r.sizeBytes };
}

export function dev(r: Region): DeviceRegion {
  return { vaddr: r.vaddr, sizeBytes: r.sizeBytes, ioAddr: r.ioAddr };
}

export function conn(
  p: { free: Region; active: Region },
  capacity: number,
  id: number,
): NetConnection {
  return { free: res(p.free), active: res(p.active), numBuffers: capacity, id };
}

/** The other side's handle on the same two queue regions. */
export function peerHandle(p: { free: Region; active: Region }, capacity: number): NetQueueHandle {
  return createNetQueueHandle({
    free: { buffer: p.free.buffer!, byteOffset: 0 },
    active: { buffer: p.active.buffer!, byteOffset: 0 },
    capacity,
  });
}

export interface Recorded {
  notified: number[];
  deferred: number[];
  irqAcks: number[];
  deferredIrqAcks: number[];
  ppcalls: { ch: number; msg: PpcMessage }[];
}

/** A MicrokitApi over `mem` that records; the single deferred slot is kept as in libmicrokit. */
export function recordingApi(
  name: string,
  mem: AddressSpace,
  ppcall: (ch: number, msg: PpcMessage) => PpcMessage = () => ({ label: 0, words: [] }),
): { api: MicrokitApi; rec: Recorded; flush: () => void } {
  const rec: Recorded = {
    notified: [],
    deferred: [],
    irqAcks: [],
    deferredIrqAcks: [],
    ppcalls: [],
  };
  let slot: { kind: 'notify' | 'ack'; ch: number } | null = null;
  const api: MicrokitApi = {
    name,
    mem,
    notify: (ch) => void rec.notified.push(ch),
    deferredNotify: (ch) => void (slot = { kind: 'notify', ch }),
    irqAck: (ch) => void rec.irqAcks.push(ch),
    deferredIrqAck: (ch) => void (slot = { kind: 'ack', ch }),
    ppcall: (ch, msg) => {
      rec.ppcalls.push({ ch, msg });
      return ppcall(ch, msg);
    },
    deferredCurrent: () => (slot !== null && slot.kind === 'notify' ? slot.ch : null),
  };
  const flush = (): void => {
    if (slot === null) return;
    if (slot.kind === 'notify') rec.deferred.push(slot.ch);
    else rec.deferredIrqAcks.push(slot.ch);
    slot = null;
  };
  return { api, rec, flush };
}

export function context(
  api: MicrokitApi,
  params: Record<string, unknown>,
  restarts = 0,
): ComponentContext {
  const config: ComponentConfig = {
    pd: api.name,
    programImage: `${api.name}.elf`,
    priority: 100,
    passive: false,
    maps: [],
    channels: [],
    irqs: [],
  };
  return { api, config, params, restarts };
}

/** All descriptors in a queue region, oldest first, read without touching its indices. */
export function entries(r: Region, capacity: number): { io: bigint; len: number; oid: number }[] {
  const dv = new DataView(r.buffer!);
  const tail = dv.getUint16(0, true);
  const head = dv.getUint16(2, true);
  const n = (tail - head) & 0xffff;
  const out: { io: bigint; len: number; oid: number }[] = [];
  for (let i = 0; i < Math.min(n, capacity); i++) {
    const at = 8 + 16 * ((head + i) % capacity);
    out.push({
      io: dv.getBigUint64(at, true),
      len: dv.getUint16(at + 8, true),
      oid: dv.getUint8(at + 10) & 0x3f,
    });
  }
  return out;
}
