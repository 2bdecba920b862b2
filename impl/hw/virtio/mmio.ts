// virtio-mmio transport, version 2 (reference sddf-protocols.md §5.1 [spec]; virtio 1.2 §4.2). A
// device model extends this class and supplies its configuration fields and its request
// handling; the transport owns status, feature negotiation, queue registers, InterruptStatus/ACK
// and the IRQ line, the access widths of every register (§4.2.2.2), the driver errors it can see
// (recorded in strict mode, docs/devices.md) and the timing: synchronous (a notify is served at
// once) or as an agent of a scheduler (impl/hw/agent.ts). A malformed ring stops the device with
// DEVICE_NEEDS_RESET (§2.1.2), never the host.

import { assert, unreachable } from '../../../spec/common/assert.ts';
import { u32 } from '../../../spec/common/int.ts';
import type { DmaFault, DmaPort } from '../../mem/types.ts';
import type { AgentAction, DeviceAgent } from '../agent.ts';
import { ErrorLog, type DeviceError } from '../errors.ts';
import { IrqLine, observedDmaPort, type HwObserver, type StallableDevice } from '../events.ts';
import {
  RegisterBlock,
  RegisterMap,
  type AccessWidth,
  type Misuse,
  type MisuseRule,
  type RegisterSpec,
} from '../registers.ts';
import {
  Feature,
  Interrupt,
  Reg,
  Rule,
  Status,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTIO_VENDOR_ID,
} from './constants.ts';
import {
  malformed,
  SplitVirtqueue,
  type Chain,
  type DriverIssue,
  type QueueError,
} from './virtqueue.ts';

/** Register block size: registers end at 0x100, device config follows (§4.2.2). */
const MMIO_SIZE_BYTES = 0x200;
const FEATURE_PAGES = 2;
/** Bound on re-processing rounds in one service() call (notifies made while processing). */
const MAX_SERVICE_ROUNDS = 1024;
/** In agent timing, frames waiting on the wire beyond this are dropped as "no buffer". */
export const MAX_RX_BACKLOG = 256;

export interface VirtioDeviceOptions {
  readonly name: string;
  readonly dma: DmaPort;
  /** QueueNumMax of every queue (power of two ≤ 32768). */
  readonly queueNumMax?: number;
  /**
   * `strict` (default): FEATURES_OK is refused when the driver accepted an unoffered feature or
   * not VERSION_1 (virtio 1.2 §2.2.2, §6), and DRIVER_OK without FEATURES_OK breaks the device.
   * `qemu`: unoffered bits are masked off, VERSION_1 is optional and DRIVER_OK without
   * FEATURES_OK runs with no features, as QEMU's virtio-mmio does; the sDDF virtio-net driver
   * depends on that (bug catalogue U10).
   */
  readonly negotiation?: Negotiation;
  /**
   * Record every driver error the device sees (default true). Off, the device behaves the same
   * and records only what breaks it (DEVICE_NEEDS_RESET) and DMA faults.
   */
  readonly strict?: boolean;
  /**
   * `synchronous` (default): a QueueNotify is served at once (or at `service()` when
   * `processOnNotify` is false). `agent`: the device acts only when a scheduler performs its
   * agent actions (impl/hw/agent.ts).
   */
  readonly timing?: Timing;
  /** Synchronous timing: serve a queue as soon as QueueNotify names it (default). */
  readonly processOnNotify?: boolean;
  readonly observer?: HwObserver;
  /** Called on every change of the IRQ line level (the runtime's interrupt controller). */
  readonly onIrqLevel?: (asserted: boolean) => void;
}

export type Negotiation = 'strict' | 'qemu';
export type Timing = 'synchronous' | 'agent';

export interface VirtioShape {
  readonly deviceId: number;
  readonly deviceFeatures: bigint;
  readonly numQueues: number;
}

/** A field of the device configuration space (offsets from 0x100). */
export interface ConfigField {
  readonly name: string;
  readonly offset: number;
  readonly sizeBytes: number;
  /** §4.2.2.2: 8-bit fields take 8-bit accesses, 16-bit ones 16-bit, 32/64-bit ones 32-bit. */
  readonly widths: readonly AccessWidth[];
  /** The field exists only when the device offers this feature (§2.5.1). */
  readonly feature?: bigint;
}

/** Requests the device holds on a queue: taken from the avail ring, not yet used. */
export interface InFlight {
  readonly chains: readonly Chain[];
  /** Do the work; the used length of each chain, or null when the device failed. */
  readonly finish: () => readonly number[] | null;
}

export abstract class VirtioMmioDevice
  extends RegisterBlock
  implements StallableDevice, DeviceAgent
{
  readonly name: string;
  readonly sizeBytes = MMIO_SIZE_BYTES;
  readonly deviceId: number;
  readonly deviceFeatures: bigint;
  readonly negotiation: Negotiation;
  readonly timing: Timing;
  readonly processOnNotify: boolean;
  protected readonly dma: DmaPort;
  protected readonly observer: HwObserver | undefined;
  protected readonly queues: SplitVirtqueue[];
  protected readonly registerMap: RegisterMap;

  readonly #strict: boolean;
  readonly #errors: ErrorLog;
  readonly #faults: DmaFault[] = [];
  readonly #irq: IrqLine;
  readonly #inFlight: InFlight[][];
  #status = 0;
  #deviceFeaturesSel = 0;
  #driverFeaturesSel = 0;
  #deviceFeaturesSelWritten = false;
  #driverFeaturesSelWritten = false;
  #driverFeatures = 0n;
  #queueSel = 0;
  #interruptStatus = 0;
  #configGeneration = 0;
  #notifyPending: boolean[];
  #usedIrqPending = false;
  #stalled = false;
  #servicing = false;

  protected constructor(options: VirtioDeviceOptions, shape: VirtioShape) {
    super();
    assert(shape.numQueues >= 1 && shape.numQueues <= 16, 'a device has 1..16 queues');
    assert(shape.deviceFeatures >> BigInt(32 * FEATURE_PAGES) === 0n, 'features fit in 64 bits');
    this.name = options.name;
    this.deviceId = shape.deviceId;
    this.deviceFeatures = shape.deviceFeatures;
    this.negotiation = options.negotiation ?? 'strict';
    this.#strict = options.strict ?? true;
    this.timing = options.timing ?? 'synchronous';
    this.processOnNotify = (options.processOnNotify ?? true) && this.timing === 'synchronous';
    this.observer = options.observer;
    // Zero cost when unobserved: the bare port is used.
    this.dma =
      options.observer === undefined
        ? options.dma
        : observedDmaPort({ port: options.dma, device: options.name, observer: options.observer });
    const queueNumMax = options.queueNumMax ?? 256;
    this.queues = Array.from(
      { length: shape.numQueues },
      (_, i) => new SplitVirtqueue(i, queueNumMax),
    );
    this.#inFlight = Array.from({ length: shape.numQueues }, () => []);
    this.#notifyPending = new Array<boolean>(shape.numQueues).fill(false);
    this.#irq = new IrqLine(options.name, options.observer, options.onIrqLevel);
    this.#errors = new ErrorLog(options.name, options.observer);
    this.registerMap = new RegisterMap(MMIO_SIZE_BYTES, [
      ...COMMON_REGISTERS,
      ...this.configFields()
        .filter((f) => f.feature === undefined || (this.deviceFeatures & f.feature) !== 0n)
        .map((f) => ({
          name: `config ${f.name}`,
          offset: Reg.Config + f.offset,
          sizeBytes: f.sizeBytes,
          widths: f.widths,
          access: 'r' as const,
        })),
    ]);
  }

  // ---- what a device model supplies -------------------------------------------------------

  /** Device-specific configuration space bytes (read at offsets ≥ 0x100). */
  protected abstract configBytes(): Uint8Array;
  /** The fields of the configuration space, with their widths and the features they need. */
  protected abstract configFields(): readonly ConfigField[];
  /** Check a chain just taken from queue `index` and return the work; null if it broke the device. */
  protected abstract startRequest(index: number, chain: Chain): InFlight | null;
  /** Whether the device takes buffers of queue `index` from the avail ring by itself (Tx, blk). */
  protected abstract pollsQueue(index: number): boolean;
  /** Device-specific state to drop on reset (§2.4: reset returns the device to its initial state). */
  protected abstract onReset(): void;
  /** Which held request of queue `index` to finish next (0 = oldest, the default order). */
  protected pickNext(_index: number, _held: number): number {
    return 0;
  }

  // ---- state visible to tests and the runtime ---------------------------------------------

  get status(): number {
    return this.#status;
  }
  get interruptStatus(): number {
    return this.#interruptStatus;
  }
  get strictMode(): boolean {
    return this.#strict;
  }
  protected get strict(): boolean {
    return this.#strict;
  }
  /** Features both sides agreed on (valid once FEATURES_OK is kept). */
  get negotiatedFeatures(): bigint {
    return (this.#status & Status.FeaturesOk) !== 0 ? this.#driverFeatures : 0n;
  }
  negotiated(feature: bigint): boolean {
    return (this.negotiatedFeatures & feature) !== 0n;
  }
  get needsReset(): boolean {
    return (this.#status & Status.DeviceNeedsReset) !== 0;
  }
  /** DRIVER_OK after a negotiation this device accepts, and not broken. */
  get live(): boolean {
    const s = this.#status;
    return (
      (s & Status.DriverOk) !== 0 &&
      ((s & Status.FeaturesOk) !== 0 || this.negotiation === 'qemu') &&
      (s & (Status.DeviceNeedsReset | Status.Failed)) === 0
    );
  }
  get stalled(): boolean {
    return this.#stalled;
  }
  /** Driver errors and DMA faults seen (the last 64 are kept, all are counted). */
  get errors(): readonly DeviceError[] {
    return this.#errors.errors;
  }
  get errorCount(): number {
    return this.#errors.count;
  }
  /** Codes of the kept errors, in order. */
  errorCodes(): string[] {
    return this.#errors.codes();
  }
  get dmaFaults(): readonly DmaFault[] {
    return this.#faults;
  }
  queueState(index: number): SplitVirtqueue {
    const q = this.queues[index];
    assert(q !== undefined, `queue ${index} exists on ${this.name}`);
    return q;
  }
  /** Requests held on queue `index` (taken from the avail ring, not yet used). */
  heldCount(index: number): number {
    return (this.#inFlight[index] ?? []).length;
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
    if (this.timing === 'synchronous') this.service();
  }

  // ---- synchronous processing ---------------------------------------------------------------

  /**
   * Serve every queue notified since the last call: take what is available, finish it, publish
   * and interrupt. Returns how many queue passes ran. Not re-entrant: a notify that arrives while
   * a queue is being served (a peer on the wire that answers synchronously and kicks this device
   * again) is left pending and served by the outer call, so a pass never sees the avail ring
   * change under it.
   */
  service(): number {
    // A stalled or broken device is caught by the per-queue check below, before it takes anything.
    if (this.#servicing) return 0;
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
          if (!this.queueState(q).enabled) continue;
          if (this.pollQueue(q) < 0) return processed;
          this.completeQueue(q, Number.MAX_SAFE_INTEGER);
          this.raisePendingInterrupt();
          processed++;
        }
      }
    } finally {
      this.#servicing = false;
    }
    return processed;
  }

  /** Take every available chain of queue `index`; how many, or -1 when the device failed. */
  protected pollQueue(index: number): number {
    const q = this.queueState(index);
    if (!this.live || !q.enabled || !this.pollsQueue(index)) return 0;
    const pending = q.pendingCount(this.dma);
    if (typeof pending !== 'number') {
      this.fail(pending);
      return -1;
    }
    for (let i = 0; i < pending; i++) {
      const chain = this.takeChain(index);
      if (chain === null) return -1;
      const work = this.startRequest(index, chain);
      if (work === null) return -1;
      this.holdRequest(index, work);
    }
    return pending;
  }

  /** Pop one chain, recording the driver errors seen on the way; null if the device failed. */
  protected takeChain(index: number): Chain | null {
    const chain = this.queueState(index).popChain(this.dma);
    if (chain.kind !== 'chain') {
      this.fail(chain);
      return null;
    }
    for (const issue of chain.issues) this.driverIssue(issue);
    return chain;
  }

  protected holdRequest(index: number, work: InFlight): void {
    (this.#inFlight[index] as InFlight[]).push(work);
  }

  /**
   * Finish up to `max` held requests of queue `index`, publish their used entries and decide the
   * used-buffer notification (§2.7.7.2). Synchronous timing interrupts at once; agent timing
   * keeps the decision until the scheduler raises it. Returns how many were finished.
   */
  protected completeQueue(index: number, max: number): number {
    const held = this.#inFlight[index] as InFlight[];
    const q = this.queueState(index);
    let done = 0;
    while (done < max && held.length > 0 && this.live && q.enabled) {
      const pick = this.pickNext(index, held.length);
      assert(pick >= 0 && pick < held.length, 'pickNext chooses a held request');
      const work = held.splice(pick, 1)[0] as InFlight;
      if (this.#strict && this.timing === 'agent') {
        // Time passed since the chains were taken: did the driver change what it exposed?
        for (const chain of work.chains) {
          const changed = q.verify(this.dma, chain);
          if (changed === null) continue;
          if ('kind' in changed) return this.#failed(changed, done);
          this.driverIssue(changed);
        }
      }
      const lens = work.finish();
      if (lens === null) return done;
      assert(lens.length === work.chains.length, 'one used length per chain');
      const err = q.pushUsed(
        this.dma,
        work.chains.map((chain, i) => ({ chain, lenBytes: lens[i] as number })),
      );
      if (err !== null) return this.#failed(err, done);
      for (const [i, chain] of work.chains.entries()) {
        this.observer?.({
          kind: 'used',
          device: this.name,
          queue: index,
          id: chain.head,
          lenBytes: lens[i] as number,
        });
      }
      this.onUsed(index, work);
      done++;
    }
    if (done > 0) this.#decideNotification(index);
    return done;
  }

  #failed(err: QueueError, done: number): number {
    this.fail(err);
    return done;
  }

  /** Hook after a request's used entries are published (blk keeps its completion order). */
  protected onUsed(_index: number, _work: InFlight): void {}

  #decideNotification(index: number): void {
    const issues: DriverIssue[] = [];
    const notify = this.queueState(index).shouldNotify(this.dma, issues);
    for (const issue of issues) this.driverIssue(issue); // recorded only in strict mode
    if (typeof notify !== 'boolean') {
      this.fail(notify);
      return;
    }
    if (notify) this.#usedIrqPending = true;
  }

  /** Raise the used-buffer interrupt decided earlier (synchronous: right after completing). */
  protected raisePendingInterrupt(): void {
    if (!this.#usedIrqPending) return;
    this.#usedIrqPending = false;
    if (this.live) this.#setInterruptStatus(this.#interruptStatus | Interrupt.UsedBuffer);
  }

  /** Synchronous timing completes at once; agent timing waits for the scheduler. */
  protected deliverHeld(index: number): void {
    if (this.timing !== 'synchronous') return;
    this.completeQueue(index, Number.MAX_SAFE_INTEGER);
    this.raisePendingInterrupt();
  }

  // ---- agent timing (impl/hw/agent.ts) ------------------------------------------------------

  agentActions(): AgentAction[] {
    const out: AgentAction[] = [];
    if (this.#stalled || !this.live) return out;
    for (let i = 0; i < this.queues.length; i++) {
      const q = this.queueState(i);
      if (!q.enabled) continue;
      if (this.pollsQueue(i)) {
        out.push({ kind: 'poll', queue: i });
        out.push(
          q.suppressed
            ? { kind: 'resume-notify', queue: i }
            : { kind: 'suppress-notify', queue: i },
        );
      }
      const held = this.heldCount(i);
      if (held > 0) {
        out.push({ kind: 'complete', queue: i, max: 1 });
        if (held > 1) out.push({ kind: 'complete', queue: i, max: held });
      }
    }
    if (this.#usedIrqPending) out.push({ kind: 'interrupt' });
    out.push({ kind: 'spurious-interrupt' });
    out.push(...this.extraAgentActions());
    return out;
  }

  /** Device-specific actions (a NIC's frames waiting on the wire). */
  protected extraAgentActions(): AgentAction[] {
    return [];
  }

  agentPerform(action: AgentAction): void {
    if (this.#stalled || !this.live) return;
    switch (action.kind) {
      case 'poll':
        this.#notifyPending[action.queue] = false;
        this.pollQueue(action.queue);
        return;
      case 'complete':
        this.completeQueue(action.queue, action.max);
        return;
      case 'interrupt':
        this.raisePendingInterrupt();
        return;
      case 'spurious-interrupt':
        this.#setInterruptStatus(this.#interruptStatus | Interrupt.UsedBuffer);
        return;
      case 'suppress-notify':
      case 'resume-notify': {
        const suppress = action.kind === 'suppress-notify';
        const err = this.queueState(action.queue).setNotification(this.dma, suppress);
        if (err !== null) return this.fail(err);
        // Re-enabled: look again, or a buffer published while suppressed would wait forever.
        if (!suppress) this.pollQueue(action.queue);
        return;
      }
      case 'rx-frame':
      case 'drain-tx':
        this.performExtra(action);
        return;
      default:
        return unreachable(action);
    }
  }

  protected performExtra(_action: AgentAction): void {}

  agentBusy(): boolean {
    if (this.#stalled || !this.live) return false;
    if (this.#usedIrqPending) return true;
    for (let i = 0; i < this.queues.length; i++) {
      const q = this.queueState(i);
      if (!q.enabled) continue;
      if (this.heldCount(i) > 0 || q.suppressed) return true;
      if (this.#notifyPending[i] === true && this.pollsQueue(i)) return true;
    }
    return this.extraBusy();
  }

  protected extraBusy(): boolean {
    return false;
  }

  // ---- registers --------------------------------------------------------------------------

  protected misuseRule(options: {
    misuse: Misuse;
    reg: RegisterSpec | undefined;
    widthBytes: AccessWidth;
    write: boolean;
  }): MisuseRule {
    switch (options.misuse) {
      case 'wrong-width':
      case 'hole':
        // Performed as QEMU does: config accesses of 1, 2 and 4 bytes read the bytes there (a
        // 64-bit one is split in two); readReg/writeReg ignore a control register at another
        // width than 4, as QEMU's "wrong size access to register!" does.
        return { rule: Rule.mmioDriver, fallback: 'perform' };
      case 'read-of-write-only':
      case 'write-to-read-only':
        return { rule: Rule.mmioDriver, fallback: 'ignore' };
      default:
        return unreachable(options.misuse);
    }
  }

  protected recordMisuse(options: {
    code: Misuse;
    rule: string;
    where: string;
    message: string;
  }): void {
    const { code, rule, where, message } = options;
    this.#errors.record({ kind: 'driver', code, rule, where, message });
  }

  protected readReg(offsetBytes: number, widthBytes: 1 | 2 | 4): number {
    if (offsetBytes >= Reg.Config) return this.#readConfig(offsetBytes - Reg.Config, widthBytes);
    if (widthBytes !== 4) return 0; // a hole read performed at another width reads 0, as QEMU
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
        return this.#readDeviceFeatures();
      case Reg.QueueNumMax:
        // §4.2.2: 0 if the selected queue is not available.
        return q === undefined ? 0 : q.queueNumMax;
      case Reg.QueueReady:
        // §4.2.2: "returns the last value written to it" (also after a refused configuration).
        return q === undefined ? 0 : q.readyRegister;
      case Reg.InterruptStatus:
        return this.#interruptStatus;
      case Reg.Status:
        return this.#status;
      case Reg.ConfigGeneration:
        return this.#configGeneration;
      case Reg.ShmLenLow:
      case Reg.ShmLenHigh:
      case Reg.ShmBaseLow:
      case Reg.ShmBaseHigh:
        // §4.2.2: a region that does not exist has length and base all ones.
        return 0xffff_ffff;
      default:
        // Holes and write-only registers read as 0.
        return 0;
    }
  }

  protected writeReg(offsetBytes: number, widthBytes: 1 | 2 | 4, value: number): void {
    if (offsetBytes >= Reg.Config || widthBytes !== 4) return;
    const v = u32(value);
    switch (offsetBytes) {
      case Reg.DeviceFeaturesSel:
        this.#deviceFeaturesSel = v;
        this.#deviceFeaturesSelWritten = true;
        return;
      case Reg.DriverFeatures:
        this.#writeDriverFeatures(v);
        return;
      case Reg.DriverFeaturesSel:
        this.#driverFeaturesSel = v;
        this.#driverFeaturesSelWritten = true;
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
        this.#ack(v);
        return;
      case Reg.Status:
        this.#writeStatus(v);
        return;
      default:
        // SHMSel and QueueReset (VIRTIO_F_RING_RESET is not offered) take no effect.
        return;
    }
  }

  /** §4.2.2 Config: little-endian bytes; QEMU reads all ones past the end of the space. */
  #readConfig(offsetBytes: number, widthBytes: 1 | 2 | 4): number {
    const cfg = this.configBytes();
    if (offsetBytes + widthBytes > cfg.length)
      return widthBytes === 4 ? 0xffff_ffff : (1 << (8 * widthBytes)) - 1;
    let v = 0;
    for (let i = widthBytes - 1; i >= 0; i--) v = v * 256 + (cfg[offsetBytes + i] as number);
    return v;
  }

  #readDeviceFeatures(): number {
    if (!this.#deviceFeaturesSelWritten) {
      this.driverIssue({
        code: 'features-sel-not-written',
        rule: Rule.mmioDriver,
        where: 'DeviceFeatures (0x010) 32-bit read',
        message: 'DeviceFeatures read before any write to DeviceFeaturesSel',
      });
    }
    // Pages past the second hold no feature: the shift leaves 0 (QEMU clamps the selector).
    return Number((this.deviceFeatures >> BigInt(32 * this.#deviceFeaturesSel)) & 0xffff_ffffn);
  }

  #writeDriverFeatures(v: number): void {
    const where = 'DriverFeatures (0x020) 32-bit write';
    if (!this.#driverFeaturesSelWritten) {
      this.driverIssue({
        code: 'features-sel-not-written',
        rule: Rule.mmioDriver,
        where,
        message: 'DriverFeatures written before any write to DriverFeaturesSel',
      });
    }
    if ((this.#status & Status.FeaturesOk) !== 0) {
      // QEMU's virtio_set_features refuses once FEATURES_OK is set.
      this.driverIssue({
        code: 'features-after-features-ok',
        rule: Rule.initSequence,
        where,
        message: 'DriverFeatures written after FEATURES_OK (ignored)',
      });
      return;
    }
    const sel = this.#driverFeaturesSel;
    if (sel >= FEATURE_PAGES) {
      // No device feature lives there; a set bit can only be an unoffered feature.
      if (v !== 0) this.#driverFeatures |= 1n << 127n;
      return;
    }
    const shift = BigInt(32 * sel);
    this.#driverFeatures = (this.#driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(v) << shift);
  }

  #writeStatus(value: number): void {
    const v = value & 0xff;
    if (v === 0) {
      this.reset();
      return;
    }
    const where = 'Status (0x070) 32-bit write';
    const old = this.#status;
    const kept = Status.DeviceNeedsReset;
    const cleared = old & ~v & ~kept;
    if (cleared !== 0) {
      this.driverIssue({
        code: 'status-bit-cleared',
        rule: Rule.statusDriver,
        where,
        message: `Status 0x${old.toString(16)} → 0x${v.toString(16)} clears bits 0x${cleared.toString(16)} (only a write of 0 resets)`,
      });
    }
    const added = v & ~old;
    if ((old & Status.Failed) !== 0 && (added & ~Status.Failed) !== 0) {
      this.driverIssue({
        code: 'failed-not-reset',
        rule: Rule.statusDriver,
        where,
        message: 'status bits set after FAILED without a reset first',
      });
    }
    this.#checkOrder(added, v, where);
    let next = (v & ~kept) | (old & kept);
    if ((added & Status.FeaturesOk) !== 0 && !this.#acceptFeatures(where)) {
      // §3.1.1 step 6: the device does not keep FEATURES_OK; the driver re-reads Status.
      next &= ~Status.FeaturesOk;
    }
    this.#status = next;
    assert(this.#status !== 0, 'only a write of 0 resets');
    if ((added & Status.DriverOk) !== 0 && (next & Status.FeaturesOk) === 0) {
      this.driverIssue({
        code: 'driver-ok-without-features-ok',
        rule: Rule.initSequence,
        where,
        message: 'DRIVER_OK set while FEATURES_OK is not set (negotiation skipped or refused)',
      });
      if (this.negotiation === 'strict') {
        this.fail(
          malformed(
            'device-cannot-run',
            Rule.initSequence,
            where,
            'DRIVER_OK without a successful feature negotiation: the device cannot run',
          ),
        );
      }
    }
  }

  /** §3.1.1: ACKNOWLEDGE, then DRIVER, then FEATURES_OK, then DRIVER_OK. */
  #checkOrder(added: number, v: number, where: string): void {
    const needs: [number, number, string][] = [
      [Status.Driver, Status.Acknowledge, 'DRIVER without ACKNOWLEDGE'],
      [Status.FeaturesOk, Status.Driver, 'FEATURES_OK without DRIVER'],
      [Status.DriverOk, Status.Driver, 'DRIVER_OK without DRIVER'],
    ];
    for (const [bit, before, what] of needs) {
      if ((added & bit) !== 0 && (v & before) === 0) {
        this.driverIssue({
          code: 'status-order',
          rule: Rule.initSequence,
          where,
          message: `${what}: the initialisation sequence sets them in order`,
        });
      }
    }
  }

  /** Whether FEATURES_OK is kept; records what the driver did wrong (§2.2.1, §6.2). */
  #acceptFeatures(where: string): boolean {
    const unoffered = this.#driverFeatures & ~this.deviceFeatures;
    const noVersion1 = (this.#driverFeatures & Feature.Version1) === 0n;
    if (unoffered !== 0n) {
      this.driverIssue({
        code: 'unoffered-feature',
        rule: Rule.features,
        where,
        message: `driver accepted features the device did not offer: 0x${unoffered.toString(16)}`,
      });
    }
    if (noVersion1) {
      this.driverIssue({
        code: 'version-1-not-accepted',
        rule: 'virtio-1.2 §6.2',
        where,
        message: 'the driver did not accept VIRTIO_F_VERSION_1, which the device offers',
      });
    }
    switch (this.negotiation) {
      case 'strict':
        if (unoffered !== 0n || noVersion1) {
          this.#errors.record({
            kind: 'driver',
            code: 'features-refused',
            rule: 'virtio-1.2 §2.2.2',
            where,
            message: 'FEATURES_OK refused: the device does not accept this feature set',
          });
          return false;
        }
        return true;
      case 'qemu':
        // QEMU's virtio_set_features masks with the host features and carries on.
        this.#driverFeatures &= this.deviceFeatures;
        return true;
      default:
        return unreachable(this.negotiation);
    }
  }

  #writeQueueConfig(offsetBytes: number, v: number): void {
    const q = this.queues[this.#queueSel];
    const where = `queue ${this.#queueSel} register 0x${offsetBytes.toString(16).padStart(3, '0')} 32-bit write`;
    if (q === undefined) {
      this.driverIssue({
        code: 'absent-queue',
        rule: Rule.mmioDriver,
        where,
        message: `queue ${this.#queueSel} is not available (QueueNumMax reads 0)`,
      });
      return;
    }
    if (q.ready) {
      // QEMU stores the value in its shadow register; it takes effect at the next QueueReady = 1.
      this.driverIssue({
        code: 'queue-reprogrammed-while-ready',
        rule: Rule.mmioDriver,
        where,
        message: `queue ${this.#queueSel} reprogrammed while QueueReady = 1`,
      });
    }
    const c = q.config;
    const lo = (a: bigint): bigint => (a & ~0xffff_ffffn) | BigInt(v);
    const hi = (a: bigint): bigint => (a & 0xffff_ffffn) | (BigInt(v) << 32n);
    switch (offsetBytes) {
      case Reg.QueueNum:
        if (v > q.queueNumMax) {
          this.driverIssue({
            code: 'queue-num-too-large',
            rule: Rule.mmioDriver,
            where,
            message: `QueueNum ${v} > QueueNumMax ${q.queueNumMax}`,
          });
        }
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
    const where = `queue ${this.#queueSel} QueueReady (0x044) 32-bit write`;
    if (q === undefined) {
      this.driverIssue({
        code: 'absent-queue',
        rule: Rule.mmioDriver,
        where,
        message: `queue ${this.#queueSel} is not available (QueueNumMax reads 0)`,
      });
      return;
    }
    q.readyRegister = v !== 0 ? 1 : 0;
    if (v === 0) {
      q.disable();
      return;
    }
    const why = q.validate();
    if (why !== null) {
      // QueueReady reads back 1 (the last value written), but the device cannot run this queue.
      this.driverIssue({
        code: why.code,
        rule: why.rule,
        where,
        message: `queue not run: ${why.reason}`,
      });
      q.disable();
      return;
    }
    q.enable({
      indirect: this.negotiated(Feature.RingIndirectDesc),
      eventIdx: this.negotiated(Feature.RingEventIdx),
    });
  }

  #notify(queue: number): void {
    this.observer?.({ kind: 'queue-notify', device: this.name, queue });
    const where = `QueueNotify (0x050) 32-bit write of ${queue}`;
    if (queue >= this.queues.length) {
      this.driverIssue({
        code: 'notify-absent-queue',
        rule: 'virtio-1.2 §4.2.3.3',
        where,
        message: `QueueNotify names absent queue ${queue}`,
      });
      return;
    }
    if ((this.#status & Status.DriverOk) === 0) {
      // The notification is dropped, as QEMU's virtio-net drops a Tx kick before DRIVER_OK; the
      // buffers wait for a later notification (§2.1.2: nothing is consumed before DRIVER_OK).
      this.driverIssue({
        code: 'notify-before-driver-ok',
        rule: Rule.initSequence,
        where,
        message: 'available buffer notification before DRIVER_OK (dropped)',
      });
      return;
    }
    this.#notifyPending[queue] = true;
    if (this.processOnNotify) this.service();
  }

  #ack(v: number): void {
    const defined = Interrupt.UsedBuffer | Interrupt.ConfigChange;
    if ((v & ~defined) !== 0) {
      this.driverIssue({
        code: 'interrupt-ack-undefined-bits',
        rule: Rule.mmioDriver,
        where: 'InterruptACK (0x064) 32-bit write',
        message: `InterruptACK 0x${v.toString(16)} sets undefined bits`,
      });
    }
    // W1C: each bit written 1 clears that InterruptStatus bit.
    this.#setInterruptStatus(this.#interruptStatus & ~v);
  }

  /** Write 0 to Status (§2.4, §4.2.2.1): queues, features, interrupts and device state cleared. */
  reset(): void {
    this.#status = 0;
    this.#deviceFeaturesSel = 0;
    this.#driverFeaturesSel = 0;
    this.#deviceFeaturesSelWritten = false;
    this.#driverFeaturesSelWritten = false;
    this.#driverFeatures = 0n;
    this.#queueSel = 0;
    for (const q of this.queues) q.reset();
    for (const held of this.#inFlight) held.length = 0;
    this.#notifyPending.fill(false);
    this.#usedIrqPending = false;
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

  /** Config changed: bump ConfigGeneration and tell the driver (§2.5, §4.2.2). */
  protected configChanged(): void {
    this.#configGeneration = u32(this.#configGeneration + 1);
    if ((this.#status & Status.DriverOk) !== 0) {
      this.#setInterruptStatus(this.#interruptStatus | Interrupt.ConfigChange);
    }
  }

  /** A driver error the device tolerates: recorded in strict mode, behaviour unchanged. */
  protected driverIssue(issue: DriverIssue): void {
    if (!this.#strict) return;
    this.#errors.record({ kind: 'driver', ...issue });
  }

  /**
   * The driver broke the queue contract, or a DMA faulted: DEVICE_NEEDS_RESET and a config change
   * interrupt (§2.1.2); the device processes nothing more until it is reset. Only this device
   * stops: the fault is reported, the refused access was not performed (the IOMMU's job).
   */
  protected fail(error: QueueError): void {
    for (const issue of error.issues ?? []) this.driverIssue(issue);
    if (error.kind === 'dma') {
      if (this.#faults.length < 64) this.#faults.push(error.fault);
      this.#errors.record({
        kind: 'dma',
        code: 'dma-fault',
        rule: 'issue #5: DMA only through the IOMMU',
        where: `${error.fault.write ? 'write' : 'read'} [0x${error.fault.ioAddr.toString(16)}, +${error.fault.lengthBytes})`,
        message: `DMA fault: ${error.fault.reason}`,
      });
    } else {
      this.#errors.record({
        kind: 'driver',
        code: error.code,
        rule: error.rule,
        where: error.where,
        message: error.reason,
      });
    }
    const wasLive = (this.#status & Status.DriverOk) !== 0;
    this.#status |= Status.DeviceNeedsReset;
    for (const held of this.#inFlight) held.length = 0;
    this.#usedIrqPending = false;
    if (wasLive) this.#setInterruptStatus(this.#interruptStatus | Interrupt.ConfigChange);
    assert(!this.live, 'a failed device is not live');
  }
}

const W4: readonly AccessWidth[] = [4];

/** §4.2.2 table: every control register is 32 bits wide (§4.2.2.2: 32-bit accesses only). */
const COMMON_REGISTERS: readonly RegisterSpec[] = (
  [
    ['MagicValue', Reg.MagicValue, 'r'],
    ['Version', Reg.Version, 'r'],
    ['DeviceID', Reg.DeviceId, 'r'],
    ['VendorID', Reg.VendorId, 'r'],
    ['DeviceFeatures', Reg.DeviceFeatures, 'r'],
    ['DeviceFeaturesSel', Reg.DeviceFeaturesSel, 'w'],
    ['DriverFeatures', Reg.DriverFeatures, 'w'],
    ['DriverFeaturesSel', Reg.DriverFeaturesSel, 'w'],
    ['QueueSel', Reg.QueueSel, 'w'],
    ['QueueNumMax', Reg.QueueNumMax, 'r'],
    ['QueueNum', Reg.QueueNum, 'w'],
    ['QueueReady', Reg.QueueReady, 'rw'],
    ['QueueNotify', Reg.QueueNotify, 'w'],
    ['InterruptStatus', Reg.InterruptStatus, 'r'],
    ['InterruptACK', Reg.InterruptAck, 'w'],
    ['Status', Reg.Status, 'rw'],
    ['QueueDescLow', Reg.QueueDescLow, 'w'],
    ['QueueDescHigh', Reg.QueueDescHigh, 'w'],
    ['QueueDriverLow', Reg.QueueDriverLow, 'w'],
    ['QueueDriverHigh', Reg.QueueDriverHigh, 'w'],
    ['QueueDeviceLow', Reg.QueueDeviceLow, 'w'],
    ['QueueDeviceHigh', Reg.QueueDeviceHigh, 'w'],
    ['SHMSel', Reg.ShmSel, 'w'],
    ['SHMLenLow', Reg.ShmLenLow, 'r'],
    ['SHMLenHigh', Reg.ShmLenHigh, 'r'],
    ['SHMBaseLow', Reg.ShmBaseLow, 'r'],
    ['SHMBaseHigh', Reg.ShmBaseHigh, 'r'],
    ['QueueReset', Reg.QueueReset, 'rw'],
    ['ConfigGeneration', Reg.ConfigGeneration, 'r'],
  ] as const
).map(([name, offset, access]) => ({ name, offset, sizeBytes: 4, widths: W4, access }));
