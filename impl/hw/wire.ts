// The Ethernet wire: what a NIC transmits reaches a peer endpoint (a traffic sink, another NIC,
// itself in loopback). Optional taps see every frame on the wire (for pcap output, issue #5).
// Delivery is synchronous and deterministic: transmit on one side is receive on the other.

import { assert } from '../../spec/common/assert.ts';
import {
  buildUdpFrame,
  MAX_UDP_PAYLOAD_BYTES,
  parseUdpFrame,
  type UdpEndpoints,
} from './ethernet.ts';
import { SeededRng } from './rng.ts';

/** Anything that can accept a frame from the wire. */
export interface FrameEndpoint {
  receiveFrame(frame: Uint8Array): void;
}

/** A NIC: receives from the wire and transmits into a link it is connected to. */
export interface NicPort extends FrameEndpoint {
  readonly name: string;
  connect(link: FrameEndpoint | null): void;
}

export type WireTap = (
  frame: Uint8Array,
  route: { readonly from: string; readonly to: string },
) => void;

function tapped(options: {
  to: FrameEndpoint;
  from: string;
  toName: string;
  tap?: WireTap;
}): FrameEndpoint {
  const { to, from, toName, tap } = options;
  if (tap === undefined) return to;
  return {
    receiveFrame(frame) {
      tap(frame, { from, to: toName });
      to.receiveFrame(frame);
    },
  };
}

/** Cross-connect two NICs (a cable). */
export function connectNics(options: { a: NicPort; b: NicPort; tap?: WireTap }): void {
  const { a, b } = options;
  assert(a !== b, 'connectNics joins two different NICs; use loopback for one');
  a.connect(
    tapped({ to: b, from: a.name, toName: b.name, ...(options.tap ? { tap: options.tap } : {}) }),
  );
  b.connect(
    tapped({ to: a, from: b.name, toName: a.name, ...(options.tap ? { tap: options.tap } : {}) }),
  );
}

/** What the NIC transmits comes back to its own receive side. */
export function loopback(options: { nic: NicPort; tap?: WireTap }): void {
  const { nic } = options;
  nic.connect(
    tapped({
      to: nic,
      from: nic.name,
      toName: nic.name,
      ...(options.tap ? { tap: options.tap } : {}),
    }),
  );
}

/** Connect the NIC's transmit side to a sink (a traffic analyser). */
export function connectSink(options: {
  nic: NicPort;
  sink: FrameEndpoint & { name: string };
  tap?: WireTap;
}): void {
  const { nic, sink } = options;
  nic.connect(
    tapped({
      to: sink,
      from: nic.name,
      toName: sink.name,
      ...(options.tap ? { tap: options.tap } : {}),
    }),
  );
}

/** Counts every frame and keeps the first `keepFrames` of them. */
export class FrameSink implements FrameEndpoint {
  readonly frames: Uint8Array[] = [];
  frameCount = 0;
  byteCount = 0;

  constructor(
    readonly name: string = 'sink',
    readonly keepFrames: number = 1024,
  ) {
    assert(keepFrames >= 0, 'keepFrames is a count');
  }

  receiveFrame(frame: Uint8Array): void {
    this.frameCount++;
    this.byteCount += frame.length;
    if (this.frames.length < this.keepFrames) this.frames.push(frame.slice());
  }
}

/** IEEE 802 "local experimental" EtherType: never confused with real traffic. */
export const TEST_ETHERTYPE = 0x88b5;
export const ETH_HEADER_BYTES = 14;
/** 60 bytes without FCS: the shortest Ethernet frame a NIC puts on the wire. */
export const ETH_MIN_FRAME_BYTES = 60;
export const ETH_MAX_FRAME_BYTES = 1514;

/**
 * Seeded frame source: Ethernet frames with a u32 sequence number after the header, so a sink can
 * count loss and reordering. The same seed gives the same frames, byte for byte.
 */
export class TrafficGenerator {
  readonly #rng: SeededRng;
  readonly #srcMac: Uint8Array;
  readonly #dstMac: Uint8Array;
  readonly #minPayloadBytes: number;
  readonly #maxPayloadBytes: number;
  readonly #udp: UdpEndpoints | undefined;
  #nextSeq = 0;

  constructor(options: {
    seed: number;
    srcMac: Uint8Array;
    dstMac: Uint8Array;
    minPayloadBytes?: number;
    maxPayloadBytes?: number;
    /** Send IPv4/UDP datagrams between these endpoints (MACs from `udp`) instead of raw frames. */
    udp?: UdpEndpoints;
  }) {
    this.#rng = new SeededRng(options.seed);
    this.#srcMac = options.srcMac;
    this.#dstMac = options.dstMac;
    this.#minPayloadBytes = options.minPayloadBytes ?? 46;
    this.#udp = options.udp;
    const maxBytes =
      options.udp !== undefined ? MAX_UDP_PAYLOAD_BYTES : ETH_MAX_FRAME_BYTES - ETH_HEADER_BYTES;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? maxBytes;
    assert(options.srcMac.length === 6 && options.dstMac.length === 6, 'MACs are 6 bytes');
    assert(
      this.#minPayloadBytes >= 4 &&
        this.#minPayloadBytes <= this.#maxPayloadBytes &&
        this.#maxPayloadBytes <= maxBytes,
      `payload bounds: 4 ≤ min ≤ max ≤ ${maxBytes}`,
    );
  }

  get sentCount(): number {
    return this.#nextSeq;
  }

  nextFrame(): Uint8Array {
    const span = this.#maxPayloadBytes - this.#minPayloadBytes + 1;
    const payloadBytes = this.#minPayloadBytes + this.#rng.below(span);
    if (this.#udp !== undefined) return this.#udpFrame(this.#udp, payloadBytes);
    const frame = new Uint8Array(Math.max(ETH_MIN_FRAME_BYTES, ETH_HEADER_BYTES + payloadBytes));
    frame.set(this.#dstMac, 0);
    frame.set(this.#srcMac, 6);
    const v = new DataView(frame.buffer);
    v.setUint16(12, TEST_ETHERTYPE);
    v.setUint32(ETH_HEADER_BYTES, this.#nextSeq);
    for (let i = ETH_HEADER_BYTES + 4; i < ETH_HEADER_BYTES + payloadBytes; i++) {
      frame[i] = this.#rng.nextU32() & 0xff;
    }
    this.#nextSeq = (this.#nextSeq + 1) >>> 0;
    return frame;
  }

  #udpFrame(udp: UdpEndpoints, payloadBytes: number): Uint8Array {
    const payload = new Uint8Array(payloadBytes);
    new DataView(payload.buffer).setUint32(0, this.#nextSeq);
    for (let i = 4; i < payloadBytes; i++) payload[i] = this.#rng.nextU32() & 0xff;
    const frame = buildUdpFrame({ ...udp, payload, ipId: this.#nextSeq & 0xffff });
    this.#nextSeq = (this.#nextSeq + 1) >>> 0;
    return frame;
  }

  /** Put `count` frames on the wire towards `to`. */
  send(options: { count: number; to: FrameEndpoint }): void {
    assert(Number.isInteger(options.count) && options.count >= 0, 'count is a natural number');
    for (let i = 0; i < options.count; i++) options.to.receiveFrame(this.nextFrame());
  }
}

/** The sequence number a TrafficGenerator frame (raw or UDP) carries, or null for other frames. */
export function frameSeq(frame: Uint8Array): number | null {
  if (frame.length < ETH_HEADER_BYTES + 4) return null;
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (v.getUint16(12) === TEST_ETHERTYPE) return v.getUint32(ETH_HEADER_BYTES);
  const udp = parseUdpFrame(frame);
  if (udp === null || udp.payload.length < 4) return null;
  return new DataView(udp.payload.buffer, udp.payload.byteOffset).getUint32(0);
}
