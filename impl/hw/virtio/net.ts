// virtio-net (device id 1) over virtio-mmio (reference sddf-protocols.md §5.1 [spec] "virtio-net";
// virtio 1.x §5.1). Queue 0 = receiveq, 1 = transmitq. The header is 12 bytes when VERSION_1 or
// MRG_RXBUF was negotiated, else 10 (the sDDF driver relies on 10: bug catalogue U10).

import { assert } from '../../../spec/common/assert.ts';
import type { FrameEndpoint, NicPort } from '../wire.ts';
import { DeviceId, Feature } from './constants.ts';
import { VirtioMmioDevice, type VirtioDeviceOptions } from './mmio.ts';
import { readSegments, writeSegments } from './virtqueue.ts';

export const NET_RX_QUEUE = 0;
export const NET_TX_QUEUE = 1;
export const NET_HDR_LEGACY_BYTES = 10;
export const NET_HDR_BYTES = 12;
const NET_S_LINK_UP = 1;
const NET_MTU_BYTES = 1500;

export interface VirtioNetOptions extends VirtioDeviceOptions {
  readonly mac: Uint8Array;
  /** Features offered; default VERSION_1 | MAC | STATUS. */
  readonly deviceFeatures?: bigint;
}

export interface NetStats {
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
  /** A frame arrived and the driver had no receive buffer available: dropped (issue #5). */
  rxDroppedNoBuffer: number;
  /** A frame arrived before DRIVER_OK, while the device needs a reset, or with receiveq off. */
  rxDroppedNotReady: number;
  /** A frame arrived while the device was stalled (fault injection). */
  rxDroppedStalled: number;
  /** The next receive buffer was too small for header + frame (no MRG_RXBUF). */
  rxDroppedTooLong: number;
  /** A frame arrived while the link was down (fault injection). */
  rxDroppedLinkDown: number;
  /** Transmitted while the link was down: the buffer is returned, the frame is lost. */
  txDroppedLinkDown: number;
}

type RxDropReason =
  | 'rxDroppedNoBuffer'
  | 'rxDroppedNotReady'
  | 'rxDroppedStalled'
  | 'rxDroppedTooLong'
  | 'rxDroppedLinkDown';

export class VirtioNet extends VirtioMmioDevice implements NicPort {
  readonly mac: Uint8Array;
  readonly stats: NetStats = {
    txFrames: 0,
    txBytes: 0,
    rxFrames: 0,
    rxBytes: 0,
    rxDroppedNoBuffer: 0,
    rxDroppedNotReady: 0,
    rxDroppedStalled: 0,
    rxDroppedTooLong: 0,
    rxDroppedLinkDown: 0,
    txDroppedLinkDown: 0,
  };
  #linkUp = true;
  #link: FrameEndpoint | null = null;

  constructor(options: VirtioNetOptions) {
    super(options, {
      deviceId: DeviceId.Net,
      deviceFeatures:
        options.deviceFeatures ?? Feature.Version1 | Feature.NetMac | Feature.NetStatus,
      numQueues: 2,
    });
    assert(options.mac.length === 6, `a MAC is 6 bytes, got ${options.mac.length}`);
    this.mac = options.mac.slice();
  }

  get rxDropped(): number {
    const s = this.stats;
    return (
      s.rxDroppedNoBuffer +
      s.rxDroppedNotReady +
      s.rxDroppedStalled +
      s.rxDroppedTooLong +
      s.rxDroppedLinkDown
    );
  }

  get linkUp(): boolean {
    return this.#linkUp;
  }

  /** Cable pulled or plugged (fault injection): config status changes, a config interrupt. */
  setLinkUp(up: boolean): void {
    if (up === this.#linkUp) return;
    this.#linkUp = up;
    this.configChanged();
  }

  /** virtio 1.x §5.1.6: `num_buffers` is present with VERSION_1 or MRG_RXBUF. */
  headerBytes(): number {
    const f = this.negotiatedFeatures;
    return (f & (Feature.Version1 | Feature.NetMrgRxbuf)) !== 0n
      ? NET_HDR_BYTES
      : NET_HDR_LEGACY_BYTES;
  }

  connect(link: FrameEndpoint | null): void {
    this.#link = link;
  }

  protected configBytes(): Uint8Array {
    // struct virtio_net_config { u8 mac[6]; le16 status; le16 max_virtqueue_pairs; le16 mtu; }
    const cfg = new Uint8Array(12);
    const v = new DataView(cfg.buffer);
    cfg.set(this.mac, 0);
    const reportsStatus = (this.deviceFeatures & Feature.NetStatus) !== 0n;
    v.setUint16(6, reportsStatus && this.#linkUp ? NET_S_LINK_UP : 0, true);
    v.setUint16(8, 1, true);
    v.setUint16(10, NET_MTU_BYTES, true);
    return cfg;
  }

  protected onReset(): void {
    // Statistics describe the wire, not the driver session: they survive a reset.
  }

  protected processQueue(index: number): void {
    // Receive buffers are consumed when frames arrive; a notify on receiveq needs no work here.
    if (index === NET_TX_QUEUE) this.#transmit();
  }

  #transmit(): void {
    const q = this.queueState(NET_TX_QUEUE);
    const pending = q.pendingCount(this.dma);
    if (typeof pending !== 'number') return this.fail(pending);
    const hdrBytes = this.headerBytes();
    let sent = 0;
    for (let i = 0; i < pending; i++) {
      const chain = q.popChain(this.dma);
      if (chain.kind !== 'chain') return this.fail(chain);
      if (chain.writable.length > 0) {
        return this.fail(`transmit chain ${chain.head} has a device-writable descriptor`);
      }
      if (chain.readableBytes < hdrBytes) {
        return this.fail(
          `transmit chain ${chain.head} is ${chain.readableBytes} B, shorter than the ${hdrBytes} B header`,
        );
      }
      const bytes = readSegments(this.dma, chain.readable);
      if (!(bytes instanceof Uint8Array)) return this.fail(bytes);
      const frame = bytes.slice(hdrBytes);
      // §5.1.6.2: transmit buffers are returned with used.len = 0 (nothing written).
      if (!this.pushUsed(NET_TX_QUEUE, { head: chain.head, lenBytes: 0 })) return;
      sent++;
      if (!this.#linkUp) {
        this.stats.txDroppedLinkDown++;
        continue;
      }
      this.stats.txFrames++;
      this.stats.txBytes += frame.length;
      this.observer?.({ kind: 'frame-tx', device: this.name, lengthBytes: frame.length });
      this.#link?.receiveFrame(frame);
    }
    if (sent > 0) this.raiseUsedBuffer(NET_TX_QUEUE);
  }

  #drop(frame: Uint8Array, reason: RxDropReason): void {
    this.stats[reason]++;
    this.observer?.({ kind: 'frame-drop', device: this.name, lengthBytes: frame.length, reason });
  }

  /** A frame arrives from the wire: into the next receive buffer, or dropped and counted. */
  receiveFrame(frame: Uint8Array): void {
    const q = this.queueState(NET_RX_QUEUE);
    if (!this.live || !q.ready) return this.#drop(frame, 'rxDroppedNotReady');
    if (this.stalled) return this.#drop(frame, 'rxDroppedStalled');
    if (!this.#linkUp) return this.#drop(frame, 'rxDroppedLinkDown');
    const pending = q.pendingCount(this.dma);
    if (typeof pending !== 'number') return this.fail(pending);
    if (pending === 0) return this.#drop(frame, 'rxDroppedNoBuffer');
    const before = q.lastAvailIdx;
    const chain = q.popChain(this.dma);
    if (chain.kind !== 'chain') return this.fail(chain);
    if (chain.readable.length > 0) {
      return this.fail(`receive chain ${chain.head} has a device-readable descriptor`);
    }
    const hdrBytes = this.headerBytes();
    if (chain.writableBytes < hdrBytes + frame.length) {
      // Without MRG_RXBUF one chain holds one frame; leave the buffer for a smaller frame.
      q.lastAvailIdx = before;
      return this.#drop(frame, 'rxDroppedTooLong');
    }
    const data = new Uint8Array(hdrBytes + frame.length);
    if (hdrBytes === NET_HDR_BYTES) {
      // num_buffers = 1: one buffer per frame without MRG_RXBUF (§5.1.6.4).
      new DataView(data.buffer).setUint16(10, 1, true);
    }
    data.set(frame, hdrBytes);
    const written = writeSegments(this.dma, chain.writable, data);
    if (typeof written !== 'number') return this.fail(written);
    assert(written === data.length, 'the whole header + frame fitted');
    if (!this.pushUsed(NET_RX_QUEUE, { head: chain.head, lenBytes: written })) return;
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    this.observer?.({ kind: 'frame-rx', device: this.name, lengthBytes: frame.length });
    this.raiseUsedBuffer(NET_RX_QUEUE);
  }
}
