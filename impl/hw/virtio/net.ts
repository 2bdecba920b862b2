// virtio-net (device id 1) over virtio-mmio (reference sddf-protocols.md §5.1 [spec] "virtio-net";
// virtio 1.2 §5.1). Queue 0 = receiveq, 1 = transmitq. The header is 12 bytes when VERSION_1 or
// MRG_RXBUF was negotiated, else 10 (the sDDF driver relies on 10: bug catalogue U10). Offered by
// default, as QEMU offers them: VERSION_1, MAC, STATUS, MRG_RXBUF, EVENT_IDX and INDIRECT_DESC;
// the driver may decline any of them.

import { assert } from '../../../spec/common/assert.ts';
import type { AgentAction } from '../agent.ts';
import type { FrameEndpoint, NicPort } from '../wire.ts';
import { DeviceId, Feature, Rule } from './constants.ts';
import {
  MAX_RX_BACKLOG,
  VirtioMmioDevice,
  type ConfigField,
  type InFlight,
  type VirtioDeviceOptions,
} from './mmio.ts';
import { malformed, readSegments, type Chain } from './virtqueue.ts';

export const NET_RX_QUEUE = 0;
export const NET_TX_QUEUE = 1;
export const NET_HDR_LEGACY_BYTES = 10;
export const NET_HDR_BYTES = 12;
const NET_S_LINK_UP = 1;
/** virtio_net_hdr.flags bits the driver may not set on transmit (§5.1.6.2.1). */
const HDR_F_NEEDS_CSUM = 1;
const HDR_F_DATA_VALID = 2;
const HDR_F_RSC_INFO = 4;
const GSO_ECN = 0x80;

export const NET_DEFAULT_FEATURES =
  Feature.Version1 |
  Feature.NetMac |
  Feature.NetStatus |
  Feature.NetMrgRxbuf |
  Feature.RingEventIdx |
  Feature.RingIndirectDesc;

export interface VirtioNetOptions extends VirtioDeviceOptions {
  readonly mac: Uint8Array;
  /** Features offered; default NET_DEFAULT_FEATURES (plus MTU when `mtu` is given). */
  readonly deviceFeatures?: bigint;
  /** Offer VIRTIO_NET_F_MTU with this MTU in config. */
  readonly mtu?: number;
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

function txWhere(chain: Chain): string {
  return `queue ${NET_TX_QUEUE} avail[${chain.availIndex}] head ${chain.head}`;
}

type RxDropReason =
  | 'rxDroppedNoBuffer'
  | 'rxDroppedNotReady'
  | 'rxDroppedStalled'
  | 'rxDroppedTooLong'
  | 'rxDroppedLinkDown';

export class VirtioNet extends VirtioMmioDevice implements NicPort {
  readonly mac: Uint8Array;
  readonly mtu: number | null;
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
  /** Agent timing: frames on the wire, waiting for the scheduler to deliver them. */
  readonly #backlog: Uint8Array[] = [];

  constructor(options: VirtioNetOptions) {
    const mtu = options.mtu ?? null;
    super(options, {
      deviceId: DeviceId.Net,
      deviceFeatures:
        (options.deviceFeatures ?? NET_DEFAULT_FEATURES) | (mtu === null ? 0n : Feature.NetMtu),
      numQueues: 2,
    });
    assert(options.mac.length === 6, `a MAC is 6 bytes, got ${options.mac.length}`);
    // §5.1.4.1: mtu is between 68 and 65535.
    assert(mtu === null || (mtu >= 68 && mtu <= 65535), `MTU in [68, 65535], got ${mtu}`);
    this.mac = options.mac.slice();
    this.mtu = mtu;
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

  /** Frames waiting on the wire (agent timing). */
  get backlogCount(): number {
    return this.#backlog.length;
  }

  /** Cable pulled or plugged (fault injection): config status changes, a config interrupt. */
  setLinkUp(up: boolean): void {
    if (up === this.#linkUp) return;
    this.#linkUp = up;
    this.configChanged();
  }

  /** virtio 1.2 §5.1.6: `num_buffers` is present with VERSION_1 or MRG_RXBUF. */
  headerBytes(): number {
    return this.negotiated(Feature.Version1 | Feature.NetMrgRxbuf)
      ? NET_HDR_BYTES
      : NET_HDR_LEGACY_BYTES;
  }

  connect(link: FrameEndpoint | null): void {
    this.#link = link;
  }

  protected configFields(): readonly ConfigField[] {
    // struct virtio_net_config { u8 mac[6]; le16 status; le16 max_virtqueue_pairs; le16 mtu; }
    const mac = Array.from({ length: 6 }, (_, i) => ({
      name: `mac[${i}]`,
      offset: i,
      sizeBytes: 1,
      widths: [1] as const,
      feature: Feature.NetMac,
    }));
    return [
      ...mac,
      { name: 'status', offset: 6, sizeBytes: 2, widths: [2], feature: Feature.NetStatus },
      { name: 'max_virtqueue_pairs', offset: 8, sizeBytes: 2, widths: [2], feature: Feature.NetMq },
      { name: 'mtu', offset: 10, sizeBytes: 2, widths: [2], feature: Feature.NetMtu },
    ];
  }

  protected configBytes(): Uint8Array {
    // QEMU sizes the space to the last field an offered feature needs, at least the MAC.
    const offers = (f: bigint): boolean => (this.deviceFeatures & f) !== 0n;
    const sizeBytes = offers(Feature.NetMtu)
      ? 12
      : offers(Feature.NetMq)
        ? 10
        : offers(Feature.NetStatus)
          ? 8
          : 6;
    const cfg = new Uint8Array(sizeBytes);
    const v = new DataView(cfg.buffer);
    cfg.set(this.mac, 0);
    if (sizeBytes >= 8) v.setUint16(6, this.#linkUp ? NET_S_LINK_UP : 0, true);
    if (sizeBytes >= 10) v.setUint16(8, 1, true);
    if (sizeBytes >= 12) v.setUint16(10, this.mtu ?? 0, true);
    return cfg;
  }

  protected onReset(): void {
    // Statistics describe the wire, not the driver session: they survive a reset. Frames
    // waiting on the wire are not the driver's either, but nobody can receive them now.
    this.#backlog.length = 0;
  }

  protected pollsQueue(index: number): boolean {
    // Receive buffers are taken when frames arrive; only the transmitq is read on notify.
    return index === NET_TX_QUEUE;
  }

  protected startRequest(index: number, chain: Chain): InFlight | null {
    assert(index === NET_TX_QUEUE, 'only the transmitq is polled');
    const hdrBytes = this.headerBytes();
    if (chain.writable.length > 0) {
      this.fail(
        malformed(
          'tx-writable',
          Rule.netTx,
          txWhere(chain),
          'the transmit chain has a device-writable descriptor',
        ),
      );
      return null;
    }
    if (chain.readableBytes < hdrBytes) {
      // QEMU: "virtio-net header incorrect".
      this.fail(
        malformed(
          'tx-short-header',
          Rule.netTx,
          txWhere(chain),
          `the transmit chain is ${chain.readableBytes} B, shorter than the ${hdrBytes} B header`,
        ),
      );
      return null;
    }
    if (chain.readableBytes === hdrBytes) {
      // QEMU: "virtio-net nothing to send" (virtio_error: the device breaks).
      this.fail(
        malformed(
          'tx-empty-frame',
          'QEMU hw/net/virtio-net.c virtio_net_flush_tx',
          txWhere(chain),
          'the transmit chain holds a header and no frame',
        ),
      );
      return null;
    }
    return { chains: [chain], finish: () => this.#transmit(chain, hdrBytes) };
  }

  #transmit(chain: Chain, hdrBytes: number): number[] | null {
    const bytes = readSegments(this.dma, chain.readable);
    if (!(bytes instanceof Uint8Array)) {
      this.fail(bytes);
      return null;
    }
    this.#checkTxHeader(chain, bytes.subarray(0, hdrBytes)); // records only in strict mode
    const frame = bytes.slice(hdrBytes);
    if (!this.#linkUp) {
      this.stats.txDroppedLinkDown++;
    } else {
      this.stats.txFrames++;
      this.stats.txBytes += frame.length;
      this.observer?.({ kind: 'frame-tx', device: this.name, lengthBytes: frame.length });
      this.#link?.receiveFrame(frame);
    }
    // §5.1.6.2: transmit buffers are returned with used.len = 0 (nothing written).
    return [0];
  }

  /** §5.1.6.2.1: what the driver may put in a transmit header with the features it has. */
  #checkTxHeader(chain: Chain, hdr: Uint8Array): void {
    const where = `queue ${NET_TX_QUEUE} avail[${chain.availIndex}] head ${chain.head} virtio_net_hdr`;
    const issue = (code: string, message: string): void =>
      this.driverIssue({ code, rule: Rule.netTx, where, message });
    const flags = hdr[0] as number;
    const gso = hdr[1] as number;
    if ((flags & (HDR_F_DATA_VALID | HDR_F_RSC_INFO)) !== 0) {
      issue('tx-hdr-flags', `flags 0x${flags.toString(16)} sets DATA_VALID or RSC_INFO`);
    } else if (flags !== 0 && !this.negotiated(Feature.NetCsum)) {
      issue('tx-hdr-flags', `flags 0x${flags.toString(16)} without VIRTIO_NET_F_CSUM (must be 0)`);
    } else if ((flags & HDR_F_NEEDS_CSUM) === 0 && gso !== 0) {
      issue('tx-hdr-gso', 'gso_type set without NEEDS_CSUM in flags');
    }
    const gsoNeeds: Record<number, bigint> = {
      1: Feature.NetHostTso4,
      3: Feature.NetHostUfo,
      4: Feature.NetHostTso6,
      5: Feature.NetHostUso,
    };
    const kind = gso & ~GSO_ECN;
    if (gso !== 0) {
      const need = gsoNeeds[kind];
      if (need === undefined || !this.negotiated(need)) {
        issue('tx-hdr-gso', `gso_type 0x${gso.toString(16)} without the matching HOST_* feature`);
      }
    }
    // num_buffers exists in the 12-byte header only; a 10-byte one has no bytes there (0).
    const numBuffers = (hdr[10] ?? 0) | ((hdr[11] ?? 0) << 8);
    if (numBuffers !== 0) issue('tx-hdr-num-buffers', `num_buffers is ${numBuffers}, not 0`);
  }

  #drop(frame: Uint8Array, reason: RxDropReason): void {
    this.stats[reason]++;
    this.observer?.({ kind: 'frame-drop', device: this.name, lengthBytes: frame.length, reason });
  }

  /** A frame arrives from the wire: into receive buffers, or dropped and counted. */
  receiveFrame(frame: Uint8Array): void {
    if (this.timing === 'agent') {
      // The scheduler decides when it reaches the device (an `rx-frame` action).
      if (this.#backlog.length >= MAX_RX_BACKLOG) return this.#drop(frame, 'rxDroppedNoBuffer');
      this.#backlog.push(frame.slice());
      return;
    }
    this.#deliver(frame);
  }

  protected override extraAgentActions(): AgentAction[] {
    return this.#backlog.length > 0 ? [{ kind: 'rx-frame' }] : [];
  }

  protected override performExtra(action: AgentAction): void {
    if (action.kind !== 'rx-frame') return;
    const frame = this.#backlog.shift();
    if (frame !== undefined) this.#deliver(frame);
  }

  protected override extraBusy(): boolean {
    return this.#backlog.length > 0;
  }

  #deliver(frame: Uint8Array): void {
    const q = this.queueState(NET_RX_QUEUE);
    if (!this.live || !q.enabled) return this.#drop(frame, 'rxDroppedNotReady');
    if (this.stalled) return this.#drop(frame, 'rxDroppedStalled');
    if (!this.#linkUp) return this.#drop(frame, 'rxDroppedLinkDown');
    const hdrBytes = this.headerBytes();
    const data = new Uint8Array(hdrBytes + frame.length);
    data.set(frame, hdrBytes);
    const work = this.negotiated(Feature.NetMrgRxbuf)
      ? this.#fillMerged(frame, data)
      : this.#fillOne(frame, data);
    if (work === null) return;
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    this.observer?.({ kind: 'frame-rx', device: this.name, lengthBytes: frame.length });
    this.holdRequest(NET_RX_QUEUE, work);
    this.deliverHeld(NET_RX_QUEUE);
  }

  /** Take one receive chain; null when none is available or the device failed. */
  #takeRx(frame: Uint8Array): Chain | null {
    const q = this.queueState(NET_RX_QUEUE);
    const pending = q.pendingCount(this.dma);
    if (typeof pending !== 'number') {
      this.fail(pending);
      return null;
    }
    if (pending === 0) {
      this.#drop(frame, 'rxDroppedNoBuffer');
      return null;
    }
    const chain = this.takeChain(NET_RX_QUEUE);
    if (chain === null) return null;
    if (chain.readable.length > 0) {
      this.fail(
        malformed(
          'rx-readable',
          Rule.netRxBuffers,
          `queue ${NET_RX_QUEUE} avail[${chain.availIndex}] head ${chain.head}`,
          'the receive chain has a device-readable descriptor',
        ),
      );
      return null;
    }
    return chain;
  }

  /** Without MRG_RXBUF one chain holds one frame (§5.1.6.3.2), num_buffers = 1. */
  #fillOne(frame: Uint8Array, data: Uint8Array): InFlight | null {
    const chain = this.#takeRx(frame);
    if (chain === null) return null;
    if (chain.writableBytes < data.length) {
      // QEMU virtqueue_unpop: the buffer stays for a smaller frame; this one is lost.
      this.queueState(NET_RX_QUEUE).unpop(chain);
      this.#drop(frame, 'rxDroppedTooLong');
      return null;
    }
    if (data.length - frame.length === NET_HDR_BYTES)
      new DataView(data.buffer).setUint16(10, 1, true);
    const written = this.#scatter([chain], data);
    if (written === null) return null;
    return { chains: [chain], finish: () => written };
  }

  /**
   * With MRG_RXBUF a frame spans as many chains as it needs, each filled completely but the last
   * (§5.1.6.4.1), num_buffers = how many, used entries published together. As QEMU checks
   * virtio_net_has_buffers first, a frame that does not fit in what is available is dropped and
   * no chain is taken.
   */
  #fillMerged(frame: Uint8Array, data: Uint8Array): InFlight | null {
    const q = this.queueState(NET_RX_QUEUE);
    const chains: Chain[] = [];
    let room = 0;
    while (room < data.length) {
      const chain = this.#takeRx(frame);
      if (chain === null) {
        if (this.live) for (const c of chains.reverse()) q.unpop(c);
        return null;
      }
      if (chain.writableBytes < NET_HDR_BYTES) {
        this.driverIssue({
          code: 'rx-buffer-smaller-than-header',
          rule: Rule.netRxBuffers,
          where: `queue ${NET_RX_QUEUE} avail[${chain.availIndex}] head ${chain.head}`,
          message: `receive buffer of ${chain.writableBytes} B is smaller than the ${NET_HDR_BYTES} B header (MRG_RXBUF)`,
        });
      }
      chains.push(chain);
      room += chain.writableBytes;
    }
    new DataView(data.buffer).setUint16(10, chains.length, true);
    const lens = this.#scatter(chains, data);
    if (lens === null) return null;
    return { chains, finish: () => lens };
  }

  /** Write `data` across the chains in order; the bytes each received, or null on a fault. */
  #scatter(chains: readonly Chain[], data: Uint8Array): number[] | null {
    const lens: number[] = [];
    let at = 0;
    for (const chain of chains) {
      const n = Math.min(chain.writableBytes, data.length - at);
      let done = 0;
      for (const seg of chain.writable) {
        if (done >= n) break;
        const k = Math.min(seg.lenBytes, n - done);
        const fault = this.dma.write(seg.addr, data.subarray(at + done, at + done + k));
        if (fault !== null) {
          this.fail({ kind: 'dma', fault });
          return null;
        }
        done += k;
      }
      lens.push(n);
      at += n;
    }
    assert(at === data.length, 'the whole header + frame was placed');
    return lens;
  }
}
