// The abstraction of the virtio-net driver's hw ring region and MMIO registers onto the spec's
// virtio-net device words (spec/devices/virtio-net.ts), for the refinement of the driver
// (impl/drivers/net/virtio.ts against spec/components/net/virtio-driver.ts; docs/adr/
// 020-net-refinement.md §8).
//
// Who owns which word (virtio 1.2 §2.7): the descriptor table, the available ring and the Tx
// header slots are written by the driver only; the used ring, the Rx header slots and the device
// registers' state belong to the device. The check compares, after a handler, only the words the
// driver writes (descriptors, available ring, Tx headers) and the MMIO accesses it made, in order.
// What the device wrote is an environment step:
//   - between handlers (a frame received, a completion): it is in the snapshot the spec starts from;
//   - inside a handler: the emulated device acts only at an MMIO access of the driver (a
//     QueueNotify served at once, or an adversarial device acting before an access), so the
//     device-owned words the spec reads after its k-th MMIO access are those the implementation's
//     device had written after the implementation's k-th access, provided the two accesses agree
//     (if they do not, that is a reported difference, and the spec keeps the earlier words).
//   A value the driver read from a device register (InterruptStatus) is the value the
//   implementation read at the same access.
//
// The spec's descriptor `addr` of a header is `hdrIoBase + slot`; the implementation's is the I/O
// address of that header slot in the hw ring region (`hdrStride` bytes per slot). A Tx buffer
// descriptor's `len` is the frame's length in the implementation and a whole buffer in the spec,
// which carries no frame lengths (as the sDDF descriptor's `len`, memory.ts): any length of 1 ..
// NET_BUFFER_SIZE_BYTES stands for the spec's. A descriptor's `next` matters only with NEXT.
import { InvariantError } from '../../../spec/common/assert.ts';
import type { DeviceMem } from '../../../spec/common/memory.ts';
import {
  VIRTIO_HDR_TX_DEFAULT,
  type VirtioNetDev,
  type VirtqRef,
} from '../../../spec/devices/virtio-net.ts';
import { VIRTQ_DESC_F_NEXT } from '../../../spec/devices/virtio-queue.ts';
import { NET_BUFFER_SIZE_BYTES } from '../../../spec/queue/net.ts';
import { Reg } from '../../../impl/hw/virtio/constants.ts';
import type { DriverLayout, VirtqLayout } from '../../../impl/drivers/net/layout.ts';
import type { MicrokitApi } from '../../../impl/runtime/api.ts';
import type { WordDifference } from './memory.ts';

// Word addresses of the spec device: one block per queue, then the registers, then header slots.
const Q_BLOCK = 0x1_0000;
const F_DESC_ADDR = 0x0000;
const F_DESC_LEN = 0x1000;
const F_DESC_FLAGS = 0x2000;
const F_DESC_NEXT = 0x3000;
const F_AVAIL_FLAGS = 0x4000;
const F_AVAIL_IDX = 0x4001;
const F_AVAIL_RING = 0x5000;
const F_USED_FLAGS = 0x6000;
const F_USED_IDX = 0x6001;
const F_USED_ID = 0x7000;
const F_USED_LEN = 0x8000;
const F_READY = 0x9000;
const F_LAST_AVAIL = 0x9001;
const F_WAIT_KICK = 0x9002;
const REGS = 2 * Q_BLOCK;
const R_STATUS = REGS + 0;
const R_DF0 = REGS + 1;
const R_DF1 = REGS + 2;
const R_ISR = REGS + 3;
const R_IRQ_PENDING = REGS + 4;
const HDR_BASE = 3 * Q_BLOCK;
const QUEUE_NAMES = ['rx_virtq', 'tx_virtq'] as const;

const TWO_32 = 0x1_0000_0000;

const REG_NAMES = new Map<number, string>(Object.entries(Reg).map(([k, v]) => [v, k]));
const regName = (off: number): string =>
  REG_NAMES.get(off) ?? `0x${off.toString(16).padStart(3, '0')}`;

function virtqRef(q: 0 | 1, num: number): VirtqRef {
  const b = q * Q_BLOCK;
  return {
    name: QUEUE_NAMES[q],
    num,
    descAddr: b + F_DESC_ADDR,
    descLen: b + F_DESC_LEN,
    descFlags: b + F_DESC_FLAGS,
    descNext: b + F_DESC_NEXT,
    availFlags: b + F_AVAIL_FLAGS,
    availIdx: b + F_AVAIL_IDX,
    availRing: b + F_AVAIL_RING,
    usedFlags: b + F_USED_FLAGS,
    usedIdx: b + F_USED_IDX,
    usedId: b + F_USED_ID,
    usedLen: b + F_USED_LEN,
    ready: b + F_READY,
    lastAvail: b + F_LAST_AVAIL,
    waitKick: b + F_WAIT_KICK,
  };
}

/** One MMIO access of the implementation in a handler, and the used rings right after it. */
interface ImplAccess {
  readonly what: string;
  readonly value: number;
  readonly used: readonly [Uint8Array, Uint8Array];
}

/** The spec device words of one driver: its ring region and its registers, as the spec sees them. */
export class VirtioDriverDevice implements DeviceMem {
  private layout: DriverLayout | null = null;
  private devRef: VirtioNetDev | null = null;
  private hdrIoBase = 0;
  private end = 0;
  private pre = new Uint8Array(0);
  private work = new Uint8Array(0);
  private workView = new DataView(this.work.buffer);
  private preUsed: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];
  private readonly liveView: DataView;
  private recording = false;
  private impl: ImplAccess[] = [];
  // One spec run.
  private spec: string[] = [];
  private phase: readonly [Uint8Array, Uint8Array] | null = null;
  private isr = 0;
  private isrFresh = false;
  private isrSeen = 0;
  private readonly hdrStores = new Map<number, number>();

  constructor(
    private readonly ring: Uint8Array,
    private readonly ringIo: number,
    private readonly regs: { vaddr: number; sizeBytes: number },
    /** The layout the driver uses now (null before its set-up). */
    private readonly currentLayout: () => DriverLayout | null,
  ) {
    this.liveView = new DataView(ring.buffer, ring.byteOffset, ring.byteLength);
  }

  /** The spec device for the driver's current layout (set by its set-up). */
  dev(layout: DriverLayout): VirtioNetDev {
    if (this.layout === layout && this.devRef !== null) return this.devRef;
    const num = layout.rx.num;
    if (layout.tx.num !== num) throw new InvariantError('both virtqueues have the same size');
    this.layout = layout;
    this.hdrIoBase = this.ringIo + layout.tx.hdrOff;
    this.end = layout.metaOff;
    this.pre = new Uint8Array(this.end);
    this.work = new Uint8Array(this.end);
    this.workView = new DataView(this.work.buffer);
    this.devRef = {
      rx: virtqRef(0, num),
      tx: virtqRef(1, num),
      status: R_STATUS,
      driverFeatures0: R_DF0,
      driverFeatures1: R_DF1,
      isr: R_ISR,
      irqPending: R_IRQ_PENDING,
      hdrBase: HDR_BASE,
      hdrSlots: 2 * num,
      hdrIoBase: this.hdrIoBase,
      strict: true,
      coalesce: false,
    };
    return this.devRef;
  }

  private get l(): DriverLayout {
    if (this.layout === null) throw new InvariantError('the driver view has no layout yet');
    return this.layout;
  }

  private usedCopy(): [Uint8Array, Uint8Array] {
    const l = this.currentLayout();
    if (l === null) return [new Uint8Array(0), new Uint8Array(0)];
    const size = 6 + 8 * l.rx.num;
    const at = (q: VirtqLayout): Uint8Array => this.ring.slice(q.usedOff, q.usedOff + size);
    return [at(l.rx), at(l.tx)];
  }

  // ---- the implementation's side

  /** The driver's memory, with its accesses to the register window recorded during a handler. */
  wrapMem(mem: MicrokitApi['mem']): MicrokitApi['mem'] {
    const lo = this.regs.vaddr;
    const hi = lo + this.regs.sizeBytes;
    const read32 = (va: number): number => {
      const v = mem.read32(va);
      if (this.recording && va >= lo && va < hi) this.access(`read ${regName(va - lo)}`, v);
      return v;
    };
    const write32 = (va: number, v: number): void => {
      mem.write32(va, v);
      if (this.recording && va >= lo && va < hi)
        this.access(`write ${regName(va - lo)} ${v >>> 0}`, v >>> 0);
    };
    const bound = new Map<PropertyKey, unknown>();
    return new Proxy(mem, {
      get: (t, p) => {
        if (p === 'read32') return read32;
        if (p === 'write32') return write32;
        let f = bound.get(p);
        if (f !== undefined) return f;
        const x: unknown = Reflect.get(t, p, t);
        if (typeof x !== 'function') return x;
        f = (x as (...a: unknown[]) => unknown).bind(t);
        bound.set(p, f);
        return f;
      },
    });
  }

  private access(what: string, value: number): void {
    this.impl.push({ what, value, used: this.usedCopy() });
  }

  /** Before the handler: the ring's bytes now; record the handler's MMIO accesses. */
  snapshot(): void {
    const l = this.currentLayout();
    if (l !== null) {
      this.dev(l);
      this.pre.set(this.ring.subarray(0, this.end));
    }
    this.preUsed = this.usedCopy();
    this.impl = [];
    this.recording = true;
  }

  endImpl(): void {
    this.recording = false;
  }

  // ---- one spec run

  reset(): void {
    this.work.set(this.pre);
    this.spec = [];
    this.phase = null;
    this.isr = 0;
    this.isrFresh = false;
    this.isrSeen = 0;
    this.hdrStores.clear();
  }

  /**
   * The driver's set-up in `init` (not refined: the implementation negotiates and orders it as
   * VIRTIO 1.2 §3.1.1 requires, which upstream and the spec do not): the implementation's MMIO
   * accesses up to its DRIVER_OK write are taken as they are, the rings start zeroed (§2.7) in the
   * layout the driver chose. False when the driver never wrote DRIVER_OK.
   */
  setUp(layout: DriverLayout): boolean {
    this.dev(layout);
    const k = this.impl.findIndex(
      (e) => /^write Status (\d+)$/.test(e.what) && (e.value & 4) !== 0,
    );
    if (k < 0) return false;
    for (let i = this.spec.length; i <= k; i++) this.spec.push(this.impl[i]!.what);
    this.phase = this.impl[k]!.used;
    this.work.fill(0);
    return true;
  }

  /**
   * A register read the spec has no step for (the watchdog's polls), taken in the sequence of
   * MMIO accesses like any other: the value the implementation read, or undefined if its access
   * there was another one.
   */
  harnessRead(register: keyof typeof Reg): number | undefined {
    return this.event(`read ${register}`);
  }

  /** The spec's next MMIO access: the device words move to what followed the same impl access. */
  private event(what: string): number | undefined {
    const e = this.impl[this.spec.length];
    this.spec.push(what);
    if (e === undefined || e.what !== what) return undefined;
    this.phase = e.used;
    return e.value;
  }

  private decode(addr: number): { q: 0 | 1; f: number; i: number } | null {
    if (addr >= REGS) return null;
    const q = addr >= Q_BLOCK ? 1 : 0;
    const w = addr - q * Q_BLOCK;
    const f = w & 0xf000;
    return f === 0x4000 || f === 0x6000 || f === 0x9000 ? { q, f: w, i: 0 } : { q, f, i: w - f };
  }

  private qLayout(q: 0 | 1): VirtqLayout {
    return q === 0 ? this.l.rx : this.l.tx;
  }

  private checkIndex(q: 0 | 1, i: number): void {
    if (!(i >= 0 && i < this.qLayout(q).num))
      throw new InvariantError(`${QUEUE_NAMES[q]}: index ${i} of ${this.qLayout(q).num}`);
  }

  /** The header slot an implementation I/O address names, or null (a buffer's address). */
  private hdrSlotOf(io: number): number | null {
    const k = (io - this.hdrIoBase) / this.l.hdrStride;
    return Number.isInteger(k) && k >= 0 && k < 2 * this.l.rx.num ? k : null;
  }

  /** The spec's word of an implementation I/O address: `hdrIoBase + slot`, or the address. */
  private abstractIo(io: number): number {
    const k = this.hdrSlotOf(io);
    return k === null ? io : this.hdrIoBase + k;
  }

  private concreteIo(v: number): number {
    const k = v - this.hdrIoBase;
    return k >= 0 && k < 2 * this.l.rx.num ? this.hdrIoBase + k * this.l.hdrStride : v;
  }

  private static u64(v: DataView, at: number): number {
    return v.getUint32(at, true) + v.getUint32(at + 4, true) * TWO_32;
  }

  read(addr: number): number {
    if (addr === R_ISR) {
      if (!this.isrFresh) {
        this.isr = this.event('read InterruptStatus') ?? 0;
        this.isrSeen = this.isr;
        this.isrFresh = true;
      }
      return this.isr;
    }
    if (addr >= HDR_BASE) return this.hdrWord(addr - HDR_BASE, this.work);
    if (addr >= REGS) return 0; // status, features, pending: set-up only (not refined)
    const d = this.decode(addr)!;
    const l = this.qLayout(d.q);
    const w = this.workView;
    switch (d.f) {
      case F_DESC_ADDR:
      case F_DESC_LEN:
      case F_DESC_FLAGS:
      case F_DESC_NEXT: {
        this.checkIndex(d.q, d.i);
        const at = l.descOff + 16 * d.i;
        if (d.f === F_DESC_ADDR) return this.abstractIo(VirtioDriverDevice.u64(w, at));
        if (d.f === F_DESC_LEN) return w.getUint32(at + 8, true);
        return w.getUint16(at + (d.f === F_DESC_FLAGS ? 12 : 14), true);
      }
      case F_AVAIL_FLAGS:
        return w.getUint16(l.availOff, true);
      case F_AVAIL_IDX:
        return w.getUint16(l.availOff + 2, true);
      case F_AVAIL_RING:
        this.checkIndex(d.q, d.i);
        return w.getUint16(l.availOff + 4 + 2 * d.i, true);
      case F_USED_FLAGS:
      case F_USED_IDX:
      case F_USED_ID:
      case F_USED_LEN: {
        const bytes = (this.phase ?? this.preUsed)[d.q];
        const u = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        if (d.f === F_USED_FLAGS) return u.getUint16(0, true);
        if (d.f === F_USED_IDX) return u.getUint16(2, true);
        this.checkIndex(d.q, d.i);
        return u.getUint32(4 + 8 * d.i + (d.f === F_USED_ID ? 0 : 4), true);
      }
      case F_READY:
        return 1; // the queues are set up: the view checks only a live driver
      default:
        return 0; // device-private (last_avail, wait-for-kick)
    }
  }

  write(addr: number, value: number): void {
    if (addr === R_ISR) {
      this.event(`write InterruptAck ${(this.isr & ~value) >>> 0}`);
      this.isr = value >>> 0;
      this.isrFresh = false;
      return;
    }
    if (addr >= HDR_BASE) {
      this.hdrStores.set(addr - HDR_BASE, value >>> 0);
      return;
    }
    if (addr >= REGS) {
      this.event(`write spec register ${addr - REGS} ${value >>> 0}`);
      return;
    }
    const d = this.decode(addr)!;
    const l = this.qLayout(d.q);
    const w = this.workView;
    switch (d.f) {
      case F_DESC_ADDR: {
        this.checkIndex(d.q, d.i);
        const io = this.concreteIo(value);
        const hi = Math.floor(io / TWO_32);
        w.setUint32(l.descOff + 16 * d.i, io - hi * TWO_32, true);
        w.setUint32(l.descOff + 16 * d.i + 4, hi, true);
        return;
      }
      case F_DESC_LEN:
        this.checkIndex(d.q, d.i);
        w.setUint32(l.descOff + 16 * d.i + 8, value >>> 0, true);
        return;
      case F_DESC_FLAGS:
      case F_DESC_NEXT:
        this.checkIndex(d.q, d.i);
        w.setUint16(l.descOff + 16 * d.i + (d.f === F_DESC_FLAGS ? 12 : 14), value & 0xffff, true);
        return;
      case F_AVAIL_FLAGS:
        w.setUint16(l.availOff, value & 0xffff, true);
        return;
      case F_AVAIL_IDX:
        w.setUint16(l.availOff + 2, value & 0xffff, true);
        return;
      case F_AVAIL_RING:
        this.checkIndex(d.q, d.i);
        w.setUint16(l.availOff + 4 + 2 * d.i, value & 0xffff, true);
        return;
      case F_WAIT_KICK:
        // virtioNetQueueNotify: the driver's QueueNotify write of this queue.
        this.event(`write QueueNotify ${d.q}`);
        return;
      default:
        throw new InvariantError(`the spec driver wrote device-owned word ${addr} (${d.q}/${d.f})`);
    }
  }

  /** A header slot's word: a Tx slot of zero bytes is the driver's default header. */
  private hdrWord(slot: number, bytes: Uint8Array): number {
    const stride = this.l.hdrStride;
    const at = this.l.tx.hdrOff + stride * slot;
    const src = bytes.subarray(at, at + stride);
    return src.every((b) => b === 0) ? VIRTIO_HDR_TX_DEFAULT : 0;
  }

  /** After a spec run: the driver-owned words and the MMIO accesses against the implementation. */
  differences(out: WordDifference[], limit: number): void {
    if (this.layout === null) return;
    const implList = this.impl.map((e) => e.what);
    if (implList.join('; ') !== this.spec.join('; '))
      out.push({
        where: 'MMIO accesses (in order)',
        impl: `[${implList.join(', ')}]`,
        spec: `[${this.spec.join(', ')}]`,
      });
    const live = this.liveView;
    const work = this.workView;
    for (const q of [0, 1] as const) {
      const l = this.qLayout(q);
      const name = QUEUE_NAMES[q];
      const field = (where: string, impl: number, spec: number): void => {
        if (impl !== spec && out.length < limit)
          out.push({ where: `${name}.${where}`, impl, spec });
      };
      for (let i = 0; i < l.num && out.length < limit; i++) {
        const at = l.descOff + 16 * i;
        // Most descriptors are byte-for-byte the same: normalise only those that are not.
        if (
          live.getUint32(at, true) === work.getUint32(at, true) &&
          live.getUint32(at + 4, true) === work.getUint32(at + 4, true) &&
          live.getUint32(at + 8, true) === work.getUint32(at + 8, true) &&
          live.getUint32(at + 12, true) === work.getUint32(at + 12, true)
        )
          continue;
        const desc = (v: DataView): { addr: number; len: number; flags: number; next: number } => {
          const raw = VirtioDriverDevice.u64(v, at);
          const addr = this.abstractIo(raw);
          const flags = v.getUint16(at + 12, true);
          const next = (flags & VIRTQ_DESC_F_NEXT) !== 0 ? v.getUint16(at + 14, true) : 0;
          let len = v.getUint32(at + 8, true);
          const txBuffer =
            q === 1 && (flags & VIRTQ_DESC_F_NEXT) === 0 && this.hdrSlotOf(raw) === null;
          if (txBuffer && len >= 1 && len <= NET_BUFFER_SIZE_BYTES) len = NET_BUFFER_SIZE_BYTES;
          return { addr, len, flags, next };
        };
        const a = desc(live);
        const b = desc(work);
        field(`desc[${i}].addr`, a.addr, b.addr);
        field(`desc[${i}].len`, a.len, b.len);
        field(`desc[${i}].flags`, a.flags, b.flags);
        field(`desc[${i}].next`, a.next, b.next);
      }
      field('avail.flags', live.getUint16(l.availOff, true), work.getUint16(l.availOff, true));
      field(
        'avail.idx',
        live.getUint16(l.availOff + 2, true),
        work.getUint16(l.availOff + 2, true),
      );
      for (let i = 0; i < l.num && out.length < limit; i++) {
        const at = l.availOff + 4 + 2 * i;
        field(`avail.ring[${i}]`, live.getUint16(at, true), work.getUint16(at, true));
      }
    }
    for (const [slot, spec] of this.hdrStores) {
      if (out.length >= limit) return;
      const impl = this.hdrWord(slot, this.ring);
      if (impl !== spec)
        out.push({
          where: `tx header slot ${slot}`,
          impl: impl === VIRTIO_HDR_TX_DEFAULT ? 'zeroed header' : 'non-zero header bytes',
          spec: spec === VIRTIO_HDR_TX_DEFAULT ? 'zeroed header' : `header word ${spec}`,
        });
    }
  }

  /** The InterruptStatus value the spec read last (a candidate's conditional segment needs it). */
  get lastIsr(): number {
    return this.isrSeen;
  }
}
