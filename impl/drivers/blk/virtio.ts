// The sDDF virtio-blk driver as a PD (reference sddf-protocols.md §3.9 "virtio-blk driver", §5.1;
// upstream drivers/blk/virtio/block.c at au-ts/sddf 650ace5d). Each READ/WRITE is a chain of three
// descriptors: a 16-byte header (device-readable), the data at the I/O address the virt gave
// (device-writable for READ), and a 1-byte status (device-writable); `sector = block * 8`. The
// answer is OK iff the virtio status is 0 (else ERR_UNSPEC, as upstream), success_count = count.
//
// Where we differ from upstream, on purpose (docs/adr/022-block-subsystem.md):
//  - BARRIER is honoured here: it is answered only once every earlier request is answered, and no
//    later request goes to the device before that. Upstream answers BARRIER (and FLUSH) OK at once
//    without touching the device, although the device may complete requests in any order
//    (virtio 1.2 §2.7.14; our device does, with a seed): nothing then keeps the order.
//  - FLUSH is a virtio FLUSH (VIRTIO_BLK_F_FLUSH negotiated), with a barrier's ordering, so a
//    write answered before the flush is persisted when the flush is answered.
//  - Negotiation follows virtio 1.2 §3.1.1 (VERSION_1 | FLUSH), through impl/hw/virtio/driver.ts.
//  - At the end of init the driver notifies the virt (upstream's virt spins on `ready`).
// The driver is not restartable (its virtqueue bookkeeping is private); the virt and the clients are.

import { assert } from '../../../spec/common/assert.ts';
import {
  BLK_TRANSFER_SIZE_BYTES,
  BlkReqCode,
  BlkRespStatus,
  type BlkReq,
  type BlkResp,
} from '../../../spec/queue/blk.ts';
import { Feature, Reg } from '../../hw/virtio/constants.ts';
import { VirtioDriver, type DriverMemory, type DriverQueue } from '../../hw/virtio/driver.ts';
import type { MmioDevice } from '../../mem/types.ts';
import type { BlkQueueHandle } from '../../queue/blk.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import {
  openBlkConnection,
  writeStorageInfo,
  type BlkDriverConfig,
} from '../../components/blk/config.ts';

/** virtio-blk request types (virtio 1.2 §5.2.6). */
const VIRTIO_BLK_T_IN = 0;
const VIRTIO_BLK_T_OUT = 1;
const VIRTIO_BLK_T_FLUSH = 4;
const VIRTIO_BLK_S_OK = 0;
/** One header slot: 16-byte header, status byte at 16, padded to 32. */
const HEADER_SLOT_BYTES = 32;
const SECTORS_PER_BLOCK = 8n;
/** QUEUE_SIZE_MAX in block.c; our queue is at most this. */
export const VIRTIO_BLK_QUEUE_NUM_MAX = 1024;

export interface VirtioBlkDriverOptions {
  /** Catalogue-style switch: upstream's immediate OK for BARRIER and FLUSH (default false). */
  readonly upstreamBarrier?: boolean;
}

export interface VirtioBlkDriverStats {
  submitted: number;
  completed: number;
  barriers: number;
  flushes: number;
  deviceErrors: number;
  irqs: number;
}

interface InDevice {
  readonly req: BlkReq;
  readonly slot: number;
}

export function virtioBlkDriver(ctx: ComponentContext): Component {
  const config = ctx.params['config'] as BlkDriverConfig;
  const options = (ctx.params['options'] ?? {}) as VirtioBlkDriverOptions;
  const d = new VirtioBlkDriver(ctx.api, config, options);
  const probe = ctx.params['probe'];
  if (typeof probe === 'function') (probe as (s: VirtioBlkDriver) => void)(d);
  return { init: () => d.init(), notified: (ch) => d.notified(ch) };
}

export class VirtioBlkDriver {
  readonly stats: VirtioBlkDriverStats = {
    submitted: 0,
    completed: 0,
    barriers: 0,
    flushes: 0,
    deviceErrors: 0,
    irqs: 0,
  };
  private readonly q: BlkQueueHandle;
  private readonly dev: VirtioDriver;
  private vq: DriverQueue | null = null;
  /** Requests taken from the virt, in order, not yet given to the device. */
  private readonly waiting: BlkReq[] = [];
  private readonly inDevice = new Map<number, InDevice>();
  /** A FLUSH in the device: nothing else goes in until it is answered. */
  private fence = false;
  private readonly freeSlots: number[] = [];
  /** Answers the virt's response queue had no room for (never expected: capacities match). */
  private readonly unsent: BlkResp[] = [];
  private num = 0;

  constructor(
    private readonly api: MicrokitApi,
    private readonly config: BlkDriverConfig,
    private readonly options: VirtioBlkDriverOptions,
  ) {
    this.q = openBlkConnection(api, config.virt);
    const regs = config.regs;
    const mmio: MmioDevice = {
      name: 'blk-regs',
      sizeBytes: regs.sizeBytes,
      read32: (o) => api.mem.read32(regs.vaddr + o),
      write32: (o, v) => api.mem.write32(regs.vaddr + o, v),
      irqAsserted: () => false,
    };
    this.dev = new VirtioDriver({ mmio, memory: this.ioMemory(config.metadata) });
  }

  /** The virtqueue memory through this PD's map, addressed by I/O address (as the device sees it). */
  private ioMemory(r: BlkDriverConfig['metadata']): DriverMemory {
    const m = this.api.mem;
    const at = (io: bigint): number => {
      const off = io - r.ioAddr;
      assert(off >= 0n && off < BigInt(r.sizeBytes), 'virtqueue access inside the metadata region');
      return r.vaddr + Number(off);
    };
    return {
      readU16: (a) => m.read16(at(a)),
      readU32: (a) => m.read32(at(a)),
      writeU16: (a, v) => m.write16(at(a), v),
      writeU32: (a, v) => m.write32(at(a), v),
      writeU64: (a, v) => m.write64(at(a), v),
    };
  }

  private reg(off: number): number {
    return this.api.mem.read32(this.config.regs.vaddr + off);
  }

  init(): void {
    const max = this.queueNumMax();
    // Three descriptors per request; at least the virt queue's capacity of requests fits.
    this.num = Math.min(VIRTIO_BLK_QUEUE_NUM_MAX, max);
    const ok = this.dev.negotiate(Feature.Version1 | Feature.BlkFlush);
    assert(ok, 'the virtio-blk device accepts VERSION_1 | FLUSH');
    this.vq = this.dev.setupQueue({
      index: 0,
      num: this.num,
      baseAddr: this.config.metadata.ioAddr,
    });
    this.dev.driverOk();
    const slots = Math.min(this.num, Math.floor(this.config.headers.sizeBytes / HEADER_SLOT_BYTES));
    for (let i = 0; i < slots; i++) this.freeSlots.push(i);
    // capacity (le64, in 512-byte sectors) read as two 32-bit halves (§4.2.2.2).
    const lo = BigInt(this.reg(Reg.Config));
    const hi = BigInt(this.reg(Reg.Config + 4));
    const sectors = (hi << 32n) | lo;
    writeStorageInfo(this.api, this.config.virt.storageInfo, {
      readOnly: false,
      sectorSize: 512,
      blockSize: 1,
      queueDepth: Math.floor(this.num / 3),
      capacity: sectors / SECTORS_PER_BLOCK,
    });
    this.api.irqAck(this.config.irqId);
    // Upstream's virt spins on `ready` (so the driver must have the higher priority, §3.9 B0);
    // here the driver tells it, and any schedule works.
    this.api.notify(this.config.virt.id);
  }

  private queueNumMax(): number {
    this.api.mem.write32(this.config.regs.vaddr + Reg.QueueSel, 0);
    return this.reg(Reg.QueueNumMax);
  }

  notified(ch: number): void {
    if (ch === this.config.irqId) {
      this.stats.irqs++;
      this.dev.ackInterrupt();
      this.handleUsed();
      this.api.irqAck(ch);
    }
    // Any notification: take new requests (the virt's channel, or after completions freed room).
    this.handleRequests();
  }

  /** Outstanding requests (taken from the virt, not yet answered): the spec's view of the device. */
  outstanding(): readonly BlkReq[] {
    return [...[...this.inDevice.values()].map((x) => x.req), ...this.waiting];
  }

  private handleRequests(): void {
    // Answers kept for want of room go first: a notification from the virt may mean it made room,
    // and they count against the requests taken below (nothing else would ever send them).
    let answered = this.flushUnsent();
    // Take requests while their answers have room: waiting + in the device + unsent < capacity.
    while (this.waiting.length + this.inDevice.size + this.unsent.length < this.q.capacity) {
      const r = this.q.req.dequeue();
      if (r === null) break;
      this.waiting.push(r);
    }
    let kicked = false;
    while (this.waiting.length > 0) {
      const r = this.waiting[0]!;
      const ordered = r.code === BlkReqCode.BARRIER || r.code === BlkReqCode.FLUSH;
      if (this.options.upstreamBarrier === true && ordered) {
        // Upstream: answered OK at once, the device untouched.
        this.waiting.shift();
        answered =
          this.respond({ status: BlkRespStatus.OK, successCount: 0, id: r.id }) || answered;
        continue;
      }
      if (this.fence) break;
      if (r.code === BlkReqCode.BARRIER) {
        if (this.inDevice.size > 0) break; // wait for everything before it
        this.waiting.shift();
        this.stats.barriers++;
        answered =
          this.respond({ status: BlkRespStatus.OK, successCount: 0, id: r.id }) || answered;
        continue;
      }
      if (r.code === BlkReqCode.FLUSH && this.inDevice.size > 0) break;
      const vq = this.vq;
      if (vq === null || vq.freeDescCount < 3 || this.freeSlots.length === 0) break;
      this.waiting.shift();
      const slot = this.freeSlots.pop()!;
      const head = this.submit(vq, r, slot);
      if (head === null) {
        this.freeSlots.push(slot);
        this.waiting.unshift(r);
        break;
      }
      this.inDevice.set(head, { req: r, slot });
      if (r.code === BlkReqCode.FLUSH) this.fence = true;
      kicked = true;
    }
    if (kicked) this.dev.kick(0);
    if (answered) this.api.notify(this.config.virt.id);
  }

  private submit(vq: DriverQueue, r: BlkReq, slot: number): number | null {
    const h = this.config.headers;
    const hdrIo = h.ioAddr + BigInt(slot * HEADER_SLOT_BYTES);
    const hdrVa = h.vaddr + slot * HEADER_SLOT_BYTES;
    const m = this.api.mem;
    const type =
      r.code === BlkReqCode.READ
        ? VIRTIO_BLK_T_IN
        : r.code === BlkReqCode.WRITE
          ? VIRTIO_BLK_T_OUT
          : VIRTIO_BLK_T_FLUSH;
    m.write32(hdrVa, type);
    m.write32(hdrVa + 4, 0);
    m.write64(hdrVa + 8, type === VIRTIO_BLK_T_FLUSH ? 0n : r.blockNumber * SECTORS_PER_BLOCK);
    m.write8(hdrVa + 16, 0xff); // status: poisoned until the device writes it
    const status = { addr: hdrIo + 16n, lenBytes: 1, write: true };
    const header = { addr: hdrIo, lenBytes: 16, write: false };
    const chain =
      type === VIRTIO_BLK_T_FLUSH
        ? [header, status]
        : [
            header,
            {
              addr: r.ioOrOffset,
              lenBytes: BLK_TRANSFER_SIZE_BYTES * r.count,
              write: type === VIRTIO_BLK_T_IN,
            },
            status,
          ];
    if (type === VIRTIO_BLK_T_FLUSH) this.stats.flushes++;
    this.stats.submitted++;
    return vq.add(chain);
  }

  private handleUsed(): void {
    const vq = this.vq;
    if (vq === null) return;
    let answered = false;
    for (const u of vq.collect()) {
      const d = this.inDevice.get(u.head);
      if (d === undefined) continue; // a head we did not post: the device is wrong; ignore it
      this.inDevice.delete(u.head);
      this.freeSlots.push(d.slot);
      const st = this.api.mem.read8(this.config.headers.vaddr + d.slot * HEADER_SLOT_BYTES + 16);
      const ok = st === VIRTIO_BLK_S_OK;
      if (!ok) this.stats.deviceErrors++;
      if (d.req.code === BlkReqCode.FLUSH) this.fence = false;
      this.stats.completed++;
      answered =
        this.respond({
          status: ok ? BlkRespStatus.OK : BlkRespStatus.ERR_UNSPEC,
          successCount: ok && d.req.code !== BlkReqCode.FLUSH ? d.req.count : 0,
          id: d.req.id,
        }) || answered;
    }
    if (answered) this.api.notify(this.config.virt.id);
  }

  /** Enqueue an answer (or keep it when there is no room; retried first next time). */
  private respond(r: BlkResp): boolean {
    this.flushUnsent();
    if (this.unsent.length === 0 && this.q.resp.enqueue(r)) return true;
    this.unsent.push(r);
    return false;
  }

  /** Enqueue the kept answers, oldest first, while there is room; true when one was enqueued. */
  private flushUnsent(): boolean {
    let sent = false;
    while (this.unsent.length > 0 && this.q.resp.enqueue(this.unsent[0]!)) {
      this.unsent.shift();
      sent = true;
    }
    return sent;
  }
}
