// Ethernet/IPv4/UDP frame building and parsing for the host side of the wire (traffic towards
// an echo server client, RFC 791 header checksum, RFC 768 UDP with checksum 0 = none, which IPv4
// allows). Byte order is network (big-endian) throughout.

import { assert } from '../../spec/common/assert.ts';

export const ETHERTYPE_IPV4 = 0x0800;
const ETH_HEADER_BYTES = 14;
const IPV4_HEADER_BYTES = 20;
const UDP_HEADER_BYTES = 8;
const IP_PROTO_UDP = 17;
const DEFAULT_TTL = 64;
/** Largest UDP payload in one 1500-byte-MTU frame without fragmentation. */
export const MAX_UDP_PAYLOAD_BYTES = 1500 - IPV4_HEADER_BYTES - UDP_HEADER_BYTES;

export interface UdpEndpoints {
  readonly srcMac: Uint8Array;
  readonly dstMac: Uint8Array;
  /** IPv4 addresses as u32 (e.g. 0x0a000201 for 10.0.2.1). */
  readonly srcIp: number;
  readonly dstIp: number;
  readonly srcPort: number;
  readonly dstPort: number;
}

export interface UdpFrame extends UdpEndpoints {
  readonly payload: Uint8Array;
}

/** RFC 1071 ones' complement sum over 16-bit words. */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += ((bytes[i] as number) << 8) | (bytes[i + 1] ?? 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

export function buildUdpFrame(options: UdpFrame & { ipId?: number }): Uint8Array {
  const { payload } = options;
  assert(
    payload.length <= MAX_UDP_PAYLOAD_BYTES,
    `UDP payload ${payload.length} B exceeds one frame`,
  );
  assert(options.srcMac.length === 6 && options.dstMac.length === 6, 'MACs are 6 bytes');
  const ipBytes = IPV4_HEADER_BYTES + UDP_HEADER_BYTES + payload.length;
  // Pad to the 60-byte Ethernet minimum; IPv4 total length says where the packet ends.
  const frame = new Uint8Array(Math.max(60, ETH_HEADER_BYTES + ipBytes));
  const v = new DataView(frame.buffer);
  frame.set(options.dstMac, 0);
  frame.set(options.srcMac, 6);
  v.setUint16(12, ETHERTYPE_IPV4);
  const ip = ETH_HEADER_BYTES;
  v.setUint8(ip, 0x45); // version 4, IHL 5 words
  v.setUint16(ip + 2, ipBytes);
  v.setUint16(ip + 4, (options.ipId ?? 0) & 0xffff);
  v.setUint16(ip + 6, 0x4000); // don't fragment
  v.setUint8(ip + 8, DEFAULT_TTL);
  v.setUint8(ip + 9, IP_PROTO_UDP);
  v.setUint32(ip + 12, options.srcIp >>> 0);
  v.setUint32(ip + 16, options.dstIp >>> 0);
  v.setUint16(ip + 10, internetChecksum(frame.subarray(ip, ip + IPV4_HEADER_BYTES)));
  const udp = ip + IPV4_HEADER_BYTES;
  v.setUint16(udp, options.srcPort);
  v.setUint16(udp + 2, options.dstPort);
  v.setUint16(udp + 4, UDP_HEADER_BYTES + payload.length);
  frame.set(payload, udp + UDP_HEADER_BYTES);
  return frame;
}

/** The UDP datagram in `frame`, or null if it is not a well-formed IPv4/UDP frame. */
export function parseUdpFrame(frame: Uint8Array): UdpFrame | null {
  if (frame.length < ETH_HEADER_BYTES + IPV4_HEADER_BYTES + UDP_HEADER_BYTES) return null;
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const ip = ETH_HEADER_BYTES;
  if (v.getUint16(12) !== ETHERTYPE_IPV4 || v.getUint8(ip) !== 0x45) return null;
  if (v.getUint8(ip + 9) !== IP_PROTO_UDP) return null;
  if (internetChecksum(frame.subarray(ip, ip + IPV4_HEADER_BYTES)) !== 0) return null;
  const ipBytes = v.getUint16(ip + 2);
  const udp = ip + IPV4_HEADER_BYTES;
  const udpBytes = v.getUint16(udp + 4);
  if (
    ip + ipBytes > frame.length ||
    udpBytes !== ipBytes - IPV4_HEADER_BYTES ||
    udpBytes < UDP_HEADER_BYTES
  ) {
    return null;
  }
  return {
    dstMac: frame.slice(0, 6),
    srcMac: frame.slice(6, 12),
    srcIp: v.getUint32(ip + 12),
    dstIp: v.getUint32(ip + 16),
    srcPort: v.getUint16(udp),
    dstPort: v.getUint16(udp + 2),
    payload: frame.slice(udp + UDP_HEADER_BYTES, udp + udpBytes),
  };
}

/** A UDP echo peer's answer: endpoints swapped, same payload. */
export function udpReply(frame: UdpFrame): UdpFrame {
  return {
    srcMac: frame.dstMac,
    dstMac: frame.srcMac,
    srcIp: frame.dstIp,
    dstIp: frame.srcIp,
    srcPort: frame.dstPort,
    dstPort: frame.srcPort,
    payload: frame.payload,
  };
}
