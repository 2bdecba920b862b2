// virtio-mmio transport, version 2 (reference sddf-protocols.md §5.1 [spec]; virtio 1.x §4.2.2).
// A device model extends this class and supplies its config space and its queue processing; the
// transport owns status, feature negotiation, queue registers, InterruptStatus/ACK and the IRQ
// line, and stops all queue processing when the device needs a reset (virtio 1.x §2.1.2).

import { assert, unreachable } from '../../../spec/common/assert.ts';
import { u32 } from '../../../spec/common/int.ts';
import type { DmaFault, DmaPort, MmioDevice } from '../../mem/types.ts';
import { IrqLine, observedDmaPort, type HwObserver, type StallableDevice } from '../events.ts';
import {
  Feature,
  Interrupt,
  Reg,
  Status,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTIO_VENDOR_ID,
} from './constants.ts';
import { SplitVirtqueue, type QueueError } from './virtqueue.ts';

/** Kept so a report can show them; older ones are counted, not kept (a bound on memory). */
const MAX_KEPT_ERRORS = 64;
/** Register block size: registers end at 0x100, device config follows (§4.2.2). */
const MMIO_SIZE_BYTES = 0x200;
const FEATURE_PAGES = 2;
/** Bound on re-processing rounds in one service() call (notifies made while processing). */
const MAX_SERVICE_ROUNDS = 1024;

export interface VirtioDeviceOptions {
  readonly name: string;
  readonly dma: DmaPort;
  /** QueueNumMax of every queue (power of two ≤ 32768). */
  readonly queueNumMax?: number;
  /**
   * `strict` (default): FEATURES_OK is refused when the driver accepted an unoffered feature or
   * not VERSION_1 (virtio 1.x §2.2.2, §6.1). `qemu`: unoffered bits are masked off and VERSION_1
   * is optional, as QEMU's virtio-mmio does; the sDDF virtio-net driver depends on that
   * (bug catalogue U10).
   */
  readonly negotiation?: Negotiation;
  /** Process a queue as soon as QueueNotify names it (default); otherwise wait for `service()`. */
  readonly processOnNotify?: boolean;
  readonly observer?: HwObserver;
  /** Called on every change of the IRQ line level (the runtime's interrupt controller). */
  readonly onIrqLevel?: (asserted: boolean) => void;
}

export type Negotiation = 'strict' | 'qemu';

export interface VirtioShape {
  readonly deviceId: number;
  readonly deviceFeatures: bigint;
  readonly numQueues: number;
}

export abstract class VirtioMmioDevice implements MmioDevice, StallableDevice {
  readonly name: string;
  readonly sizeBytes = MMIO_SIZE_BYTES;
  readonly deviceId: number;
  readonly deviceFeatures: bigint;
  readonly negotiation: Negotiation;
  readonly processOnNotify: boolean;
  protected readonly dma: DmaPort;
  protected readonly observer: HwObserver | undefined;
  protected readonly queues: SplitVirtqueue[];

  #status = 0;
  #deviceFeaturesSel = 0;
  #driverFeaturesSel = 0;
  #driverFeatures = 0n;
  #queueSel = 0;
  #interruptStatus = 0;
  #configGeneration = 0;
  #notifyPending: boolean[];
  #stalled = false;
  #servicing = false;
  readonly #irq: IrqLine;
  #errorCount = 0;
  readonly #errors: string[] = [];
  readonly #faults: DmaFault[] = [];

  protected constructor(options: VirtioDeviceOptions, shape: VirtioShape) {
    assert(shape.numQueues >= 1 && shape.numQueues <= 16, 'a device has 1..16 queues');
    assert(shape.deviceFeatures >> BigInt(32 * FEATURE_PAGES) === 0n, 'features fit in 64 bits');
    this.name = options.name;
    this.deviceId = shape.deviceId;
    this.deviceFeatures = shape.deviceFeatures;
    this.negotiation = options.negotiation ?? 'strict';
    this.processOnNotify = options.processOnNotify ?? true;
    this.observer = options.observer;
    // Zero cost when unobserved: the bare port is used.
    this.dma =
      options.observer === undefined
        ? options.dma
        : observedDmaPort({ port: options.dma, device: options.name, observer: options.observer });
    const queueNumMax = options.queueNumMax ?? 256;
    this.queues = Array.from({ length: shape.numQueues }, () => new SplitVirtqueue(queueNumMax));
    this.#notifyPending = new Array<boolean>(shape.numQueues).fill(false);
    this.#irq = new IrqLine(options.name, options.observer, options.onIrqLevel);
  }

  // ---- what a device model supplies -------------------------------------------------------

  /** Device-specific configuration space (read at offsets ≥ 0x100). */
  protected abstract configBytes(): Uint8Array;
  /** Handle buffers the driver made available on queue `index` (device is live, queue ready). */
  protected abstract processQueue(index: number): void;
  /** Device-specific state to drop on reset (§2.1: reset returns the device to its initial state). */
  protected abstract onReset(): void;

  // ---- state visible to tests and the runtime ---------------------------------------------

  get status(): number {
    return this.#status;
  }
  get interruptStatus(): number {
    return this.#interruptStatus;
  }
  /** Features both sides agreed on (valid once FEATURES_OK is kept). */
  get negotiatedFeatures(): bigint {
    return (this.#status & Status.FeaturesOk) !== 0 ? this.#driverFeatures : 0n;
  }
  get needsReset(): boolean {
    return (this.#status & Status.DeviceNeedsReset) !== 0;
  }
  /** DRIVER_OK after a successful negotiation, and not broken. */
  get live(): boolean {
    const s = this.#status;
    return (
      (s & Status.DriverOk) !== 0 &&
      (s & Status.FeaturesOk) !== 0 &&
      (s & (Status.DeviceNeedsReset | Status.Failed)) === 0
    );
  }
  get stalled(): boolean {
    return this.#stalled;
  }
  /** Driver errors and DMA faults seen (the last MAX_KEPT_ERRORS reasons are kept). */
  get errors(): readonly string[] {
    return this.#errors;
  }
  get errorCount(): number {
    return this.#errorCount;
  }
  get dmaFaults(): readonly DmaFault[] {
    return this.#faults;
  }
  queueState(index: number): SplitVirtqueue {
    const q = this.queues[index];
    assert(q !== undefined, `queue ${index} exists on ${this.name}`);
    return q;
  }

  irqAsserted(): boolean {
    return this.#interruptStatus !== 0;
  }

  // ---- fault injection (issue #5 part 4: "stall a device") --------------------------------

  /** A stalled device does not process its queues until released. */
  stall(): void {
    this.#stalled = true;
  }
  release(): void {
    this.#stalled = false;
    this.service();
  }

  /**
   * Process every queue notified since the last call; returns how many queue passes ran. Not
   * re-entrant: a notify that arrives while a queue is being processed (a peer on the wire that
   * answers synchronously and kicks this device again) is left pending and served by the outer
   * call, so a pass never sees the avail ring change under it.
   */
  service(): number {
    if (this.#servicing || this.#stalled || !this.live) return 0;
    this.#servicing = true;
    let processed = 0;
    try {
      for (
        let round = 0;
        round < MAX_SERVICE_ROUNDS && this.#notifyPending.includes(true);
        round++
      ) {
        for (let q = 0; q < this.queues.length; q++) {
          if (!this.#notifyPending[q]) continue;
          if (this.#stalled || !this.live) return processed;
          this.#notifyPending[q] = false;
          if (this.queueState(q).ready) {
            this.processQueue(q);
            processed++;
          }
        }
      }
    } finally {
      this.#servicing = false;
    }
    return processed;
  }

  // ---- registers --------------------------------------------------------------------------

  read32(offsetBytes: number): number {
    assert(offsetBytes >= 0 && offsetBytes + 4 <= this.sizeBytes, `read32 inside ${this.name}`);
    if (offsetBytes >= Reg.Config) return this.#readConfig(offsetBytes - Reg.Config);
    const q = this.queues[this.#queueSel];
    switch (offsetBytes) {
      case Reg.MagicValue:
        return VIRTIO_MMIO_MAGIC;
      case Reg.Version:
        return VIRTIO_MMIO_VERSION;
      case Reg.DeviceId:
        return this.deviceId;
      case Reg.VendorId:
        return VIRTIO_VENDOR_ID;
      case Reg.DeviceFeatures:
        return this.#deviceFeaturesSel < FEATURE_PAGES
          ? Number((this.deviceFeatures >> BigInt(32 * this.#deviceFeaturesSel)) & 0xffff_ffffn)
          : 0;
      case Reg.QueueNumMax:
        // §4.2.2: 0 if the selected queue is not available.
        return q === undefined ? 0 : q.queueNumMax;
      case Reg.QueueReady:
        return q?.ready === true ? 1 : 0;
      case Reg.InterruptStatus:
        return this.#interruptStatus;
      case Reg.Status:
        return this.#status;
      case Reg.ConfigGeneration:
        return this.#configGeneration;
      default:
        // Write-only or reserved registers read as 0.
        return 0;
    }
  }

  write32(offsetBytes: number, value: number): void {
    assert(offsetBytes >= 0 && offsetBytes + 4 <= this.sizeBytes, `write32 inside ${this.name}`);
    const v = u32(value);
    switch (offsetBytes) {
      case Reg.DeviceFeaturesSel:
        this.#deviceFeaturesSel = v;
        return;
      case Reg.DriverFeatures:
        this.#writeDriverFeatures(v);
        return;
      case Reg.DriverFeaturesSel:
        this.#driverFeaturesSel = v;
        return;
      case Reg.QueueSel:
        this.#queueSel = v;
        return;
      case Reg.QueueNum:
      case Reg.QueueDescLow:
      case Reg.QueueDescHigh:
      case Reg.QueueDriverLow:
      case Reg.QueueDriverHigh:
      case Reg.QueueDeviceLow:
      case Reg.QueueDeviceHigh:
        this.#writeQueueConfig(offsetBytes, v);
        return;
      case Reg.QueueReady:
        this.#writeQueueReady(v);
        return;
      case Reg.QueueNotify:
        this.#notify(v);
        return;
      case Reg.InterruptAck:
        // W1C: each bit written 1 clears that InterruptStatus bit.
        this.#setInterruptStatus(this.#interruptStatus & ~v);
        return;
      case Reg.Status:
        this.#writeStatus(v);
        return;
      default:
        // Read-only registers, config space (no writable fields modelled) and holes ignore writes.
        return;
    }
  }

  #readConfig(offsetBytes: number): number {
    const cfg = this.configBytes();
    let v = 0;
    for (let i = 3; i >= 0; i--) {
      v = (v << 8) | (cfg[offsetBytes + i] ?? 0);
    }
    return u32(v);
  }

  #writeDriverFeatures(v: number): void {
    if ((this.#status & Status.FeaturesOk) !== 0) {
      this.recordError('DriverFeatures written after FEATURES_OK');
      return;
    }
    const sel = this.#driverFeaturesSel;
    if (sel >= FEATURE_PAGES) {
      // No device feature lives there; a set bit can only make negotiation fail.
      if (v !== 0) this.#driverFeatures |= 1n << 127n;
      return;
    }
    const shift = BigInt(32 * sel);
    this.#driverFeatures = (this.#driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(v) << shift);
  }

  #writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    const old = this.#status;
    let next = (v & ~Status.DeviceNeedsReset) | (old & Status.DeviceNeedsReset);
    if ((next & Status.FeaturesOk) !== 0 && (old & Status.FeaturesOk) === 0) {
      const why = this.#featureRefusal();
      if (why !== null) {
        // §3.1.1: the device does not keep FEATURES_OK; the driver re-reads Status and sees it clear.
        this.recordError(`FEATURES_OK refused: ${why}`);
        next &= ~Status.FeaturesOk;
      }
    }
    this.#status = next;
    assert(this.#status !== 0, 'only a write of 0 resets');
    if ((next & Status.DriverOk) !== 0 && (old & Status.DriverOk) === 0) this.service();
  }

  #featureRefusal(): string | null {
    const unoffered = this.#driverFeatures & ~this.deviceFeatures;
    switch (this.negotiation) {
      case 'strict':
        if (unoffered !== 0n)
          return `driver accepted unoffered features 0x${unoffered.toString(16)}`;
        if ((this.#driverFeatures & Feature.Version1) === 0n) return 'VERSION_1 not accepted';
        return null;
      case 'qemu':
        // QEMU's virtio_set_features masks with the host features and carries on.
        this.#driverFeatures &= this.deviceFeatures;
        return null;
      default:
        return unreachable(this.negotiation);
    }
  }

  #writeQueueConfig(offsetBytes: number, v: number): void {
    const q = this.queues[this.#queueSel];
    if (q === undefined) {
      this.recordError(
        `queue register 0x${offsetBytes.toString(16)} for absent queue ${this.#queueSel}`,
      );
      return;
    }
    if (q.ready) {
      this.recordError(`queue ${this.#queueSel} reprogrammed while QueueReady = 1`);
      return;
    }
    const c = q.config;
    const lo = (a: bigint): bigint => (a & ~0xffff_ffffn) | BigInt(v);
    const hi = (a: bigint): bigint => (a & 0xffff_ffffn) | (BigInt(v) << 32n);
    switch (offsetBytes) {
      case Reg.QueueNum:
        c.num = v;
        return;
      case Reg.QueueDescLow:
        c.descAddr = lo(c.descAddr);
        return;
      case Reg.QueueDescHigh:
        c.descAddr = hi(c.descAddr);
        return;
      case Reg.QueueDriverLow:
        c.availAddr = lo(c.availAddr);
        return;
      case Reg.QueueDriverHigh:
        c.availAddr = hi(c.availAddr);
        return;
      case Reg.QueueDeviceLow:
        c.usedAddr = lo(c.usedAddr);
        return;
      case Reg.QueueDeviceHigh:
        c.usedAddr = hi(c.usedAddr);
        return;
      default:
        assert(false, `not a queue register: 0x${offsetBytes.toString(16)}`);
    }
  }

  #writeQueueReady(v: number): void {
    const q = this.queues[this.#queueSel];
    if (q === undefined) {
      this.recordError(`QueueReady for absent queue ${this.#queueSel}`);
      return;
    }
    if (v === 0) {
      q.ready = false;
      return;
    }
    if (q.ready) return;
    const why = q.validate();
    if (why !== null) {
      // The queue stays disabled: QueueReady reads back 0.
      this.recordError(`queue ${this.#queueSel} not enabled: ${why}`);
      return;
    }
    q.enable();
  }

  #notify(queue: number): void {
    this.observer?.({ kind: 'queue-notify', device: this.name, queue });
    if (queue >= this.queues.length) {
      this.recordError(`QueueNotify names absent queue ${queue}`);
      return;
    }
    this.#notifyPending[queue] = true;
    if (this.processOnNotify) this.service();
  }

  /** Write 0 to Status (§2.1, §4.2.3.1): queues, features, interrupts and device state cleared. */
  reset(): void {
    this.#status = 0;
    this.#deviceFeaturesSel = 0;
    this.#driverFeaturesSel = 0;
    this.#driverFeatures = 0n;
    this.#queueSel = 0;
    for (const q of this.queues) q.reset();
    this.#notifyPending.fill(false);
    this.#setInterruptStatus(0);
    this.onReset();
    assert(!this.live && this.queues.every((q) => !q.ready), 'reset leaves nothing running');
  }

  // ---- for device models ------------------------------------------------------------------

  #setInterruptStatus(v: number): void {
    this.#interruptStatus = v & (Interrupt.UsedBuffer | Interrupt.ConfigChange);
    // §4.2.2: the line stays asserted while InterruptStatus != 0.
    this.#irq.set(this.#interruptStatus !== 0);
  }

  /** A used buffer notification on queue `index`, unless the driver suppressed it (§2.7.7). */
  protected raiseUsedBuffer(index: number): void {
    const suppressed = this.queueState(index).interruptSuppressed(this.dma);
    if (typeof suppressed !== 'boolean') {
      this.fail(suppressed);
      return;
    }
    if (!suppressed) this.#setInterruptStatus(this.#interruptStatus | Interrupt.UsedBuffer);
  }

  /** Publish a used entry on queue `index`; false (and the device failed) if that faulted. */
  protected pushUsed(index: number, entry: { head: number; lenBytes: number }): boolean {
    const err = this.queueState(index).pushUsed(this.dma, entry);
    if (err !== null) {
      this.fail(err);
      return false;
    }
    this.observer?.({
      kind: 'used',
      device: this.name,
      queue: index,
      id: entry.head,
      lenBytes: entry.lenBytes,
    });
    return true;
  }

  /** Config changed: bump ConfigGeneration and tell the driver (§2.5.1, §4.2.2). */
  protected configChanged(): void {
    this.#configGeneration = u32(this.#configGeneration + 1);
    if ((this.#status & Status.DriverOk) !== 0) {
      this.#setInterruptStatus(this.#interruptStatus | Interrupt.ConfigChange);
    }
  }

  protected recordError(reason: string): void {
    this.#errorCount++;
    if (this.#errors.length < MAX_KEPT_ERRORS) this.#errors.push(reason);
    this.observer?.({ kind: 'device-error', device: this.name, reason });
  }

  /**
   * The driver broke the queue contract, or a DMA faulted: DEVICE_NEEDS_RESET and a config change
   * interrupt (§2.1.2); the device processes nothing more until it is reset. Only this device
   * stops: the fault is reported, the refused access was not performed (the IOMMU's job).
   */
  protected fail(error: QueueError | string): void {
    if (typeof error === 'string') {
      this.recordError(error);
    } else if (error.kind === 'dma') {
      if (this.#faults.length < MAX_KEPT_ERRORS) this.#faults.push(error.fault);
      this.recordError(`DMA fault at 0x${error.fault.ioAddr.toString(16)}: ${error.fault.reason}`);
    } else {
      this.recordError(error.reason);
    }
    const wasLive = (this.#status & Status.DriverOk) !== 0;
    this.#status |= Status.DeviceNeedsReset;
    if (wasLive) this.#setInterruptStatus(this.#interruptStatus | Interrupt.ConfigChange);
    assert(!this.live, 'a failed device is not live');
  }
}
