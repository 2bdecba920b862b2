// Ethernet II, ARP (RFC 826, Ethernet/IPv4 only), IPv4 (RFC 791, header checksum RFC 1071), ICMP
// echo (RFC 792) and UDP (RFC 768, checksum over the pseudo header) as a client-side library: parse
// returns null for anything malformed (a client's input is untrusted), build writes a whole frame.
// Byte order is network order (big-endian). Used by the example clients and by the traffic peer on
// the emulated wire.

import { assert } from '../../../spec/common/assert.ts';

export const ETH_HEADER_BYTES = 14;
export const ETH_MIN_FRAME_BYTES = 60;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IPV4_HEADER_BYTES = 20;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_UDP = 17;
export const UDP_HEADER_BYTES = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const ARP_BYTES = 28;
const DEFAULT_TTL = 64;
export const BROADCAST_MAC: readonly number[] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
export const ZERO_MAC: readonly number[] = [0, 0, 0, 0, 0, 0];

export type Mac = readonly number[] | Uint8Array;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** RFC 1071 ones' complement sum of `bytes[start, end)`, folded, plus `initial`; not inverted. */
export function onesSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Internet checksum of `bytes[start, end)`: the inverted ones' complement sum. */
export function inetChecksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesSum(bytes, start, end, initial) & 0xffff;
}

export function macOf(frame: Uint8Array, at: number): number[] {
  return Array.from(frame.subarray(at, at + 6));
}

export function isBroadcastMac(m: Mac): boolean {
  for (let i = 0; i < 6; i++) if (m[i] !== 0xff) return false;
  return true;
}

// ---- Ethernet ---------------------------------------------------------------------------------

export interface EthFrame {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly type: number;
}

export function parseEth(frame: Uint8Array): EthFrame | null {
  if (frame.length < ETH_HEADER_BYTES) return null;
  return {
    dst: frame.subarray(0, 6),
    src: frame.subarray(6, 12),
    type: (frame[12]! << 8) | frame[13]!,
  };
}

function newFrame(payloadBytes: number, dst: Mac, src: Mac, type: number): Uint8Array {
  const f = new Uint8Array(Math.max(ETH_MIN_FRAME_BYTES, ETH_HEADER_BYTES + payloadBytes));
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >>> 8;
  f[13] = type & 0xff;
  return f;
}

// ---- ARP --------------------------------------------------------------------------------------

export interface ArpPacket {
  readonly op: number;
  readonly sha: number[];
  readonly spa: number;
  readonly tha: number[];
  readonly tpa: number;
}

export function parseArp(frame: Uint8Array): ArpPacket | null {
  const eth = parseEth(frame);
  if (eth === null || eth.type !== ETHERTYPE_ARP || frame.length < ETH_HEADER_BYTES + ARP_BYTES) {
    return null;
  }
  const v = view(frame);
  const a = ETH_HEADER_BYTES;
  if (v.getUint16(a) !== 1 || v.getUint16(a + 2) !== ETHERTYPE_IPV4) return null;
  if (v.getUint8(a + 4) !== 6 || v.getUint8(a + 5) !== 4) return null;
  const op = v.getUint16(a + 6);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return null;
  return {
    op,
    sha: macOf(frame, a + 8),
    spa: v.getUint32(a + 14),
    tha: macOf(frame, a + 18),
    tpa: v.getUint32(a + 24),
  };
}

export function buildArp(p: ArpPacket & { readonly dstMac: Mac }): Uint8Array {
  const f = newFrame(ARP_BYTES, p.dstMac, p.sha, ETHERTYPE_ARP);
  const v = view(f);
  const a = ETH_HEADER_BYTES;
  v.setUint16(a, 1); // htype Ethernet
  v.setUint16(a + 2, ETHERTYPE_IPV4);
  v.setUint8(a + 4, 6);
  v.setUint8(a + 5, 4);
  v.setUint16(a + 6, p.op);
  f.set(p.sha, a + 8);
  v.setUint32(a + 14, p.spa >>> 0);
  f.set(p.tha, a + 18);
  v.setUint32(a + 24, p.tpa >>> 0);
  return f;
}

// ---- IPv4 -------------------------------------------------------------------------------------

export interface Ipv4Packet {
  readonly src: number;
  readonly dst: number;
  readonly proto: number;
  readonly ttl: number;
  readonly id: number;
  /** Offset of the payload in the frame and its length (from total length, not the frame). */
  readonly payloadOffset: number;
  readonly payloadBytes: number;
}

/** A well-formed, unfragmented IPv4 packet with a correct header checksum, or null. */
export function parseIpv4(frame: Uint8Array): Ipv4Packet | null {
  const eth = parseEth(frame);
  if (eth === null || eth.type !== ETHERTYPE_IPV4) return null;
  const ip = ETH_HEADER_BYTES;
  if (frame.length < ip + IPV4_HEADER_BYTES) return null;
  const v = view(frame);
  const vihl = v.getUint8(ip);
  const ihlBytes = 4 * (vihl & 0x0f);
  if (vihl >>> 4 !== 4 || ihlBytes < IPV4_HEADER_BYTES || frame.length < ip + ihlBytes) return null;
  const total = v.getUint16(ip + 2);
  if (total < ihlBytes || ip + total > frame.length) return null;
  // More fragments or a fragment offset: this stack does not reassemble.
  if ((v.getUint16(ip + 6) & 0x3fff) !== 0) return null;
  if (inetChecksum(frame, ip, ip + ihlBytes) !== 0) return null;
  return {
    src: v.getUint32(ip + 12),
    dst: v.getUint32(ip + 16),
    proto: v.getUint8(ip + 9),
    ttl: v.getUint8(ip + 8),
    id: v.getUint16(ip + 4),
    payloadOffset: ip + ihlBytes,
    payloadBytes: total - ihlBytes,
  };
}

/** A frame with an IPv4 header (checksummed) and room for `payloadBytes` after it. */
function ipv4Frame(h: {
  dstMac: Mac;
  srcMac: Mac;
  src: number;
  dst: number;
  proto: number;
  id: number;
  payloadBytes: number;
}): Uint8Array {
  const total = IPV4_HEADER_BYTES + h.payloadBytes;
  assert(total <= 0xffff, () => `IPv4 packet of ${total} bytes`);
  const f = newFrame(total, h.dstMac, h.srcMac, ETHERTYPE_IPV4);
  const v = view(f);
  const ip = ETH_HEADER_BYTES;
  v.setUint8(ip, 0x45);
  v.setUint16(ip + 2, total);
  v.setUint16(ip + 4, h.id & 0xffff);
  v.setUint16(ip + 6, 0x4000); // don't fragment
  v.setUint8(ip + 8, DEFAULT_TTL);
  v.setUint8(ip + 9, h.proto);
  v.setUint32(ip + 12, h.src >>> 0);
  v.setUint32(ip + 16, h.dst >>> 0);
  v.setUint16(ip + 10, inetChecksum(f, ip, ip + IPV4_HEADER_BYTES));
  return f;
}

// ---- ICMP echo --------------------------------------------------------------------------------

export interface IcmpEcho {
  readonly type: number;
  readonly ident: number;
  readonly seq: number;
  readonly data: Uint8Array;
}

export function parseIcmpEcho(frame: Uint8Array, ip: Ipv4Packet): IcmpEcho | null {
  if (ip.proto !== IP_PROTO_ICMP || ip.payloadBytes < 8) return null;
  const at = ip.payloadOffset;
  const end = at + ip.payloadBytes;
  if (inetChecksum(frame, at, end) !== 0) return null;
  const type = frame[at]!;
  if ((type !== ICMP_ECHO_REQUEST && type !== ICMP_ECHO_REPLY) || frame[at + 1] !== 0) return null;
  const v = view(frame);
  return {
    type,
    ident: v.getUint16(at + 4),
    seq: v.getUint16(at + 6),
    data: frame.subarray(at + 8, end),
  };
}

export function buildIcmpEcho(p: {
  dstMac: Mac;
  srcMac: Mac;
  src: number;
  dst: number;
  type: number;
  ident: number;
  seq: number;
  data: Uint8Array;
  ipId?: number;
}): Uint8Array {
  const len = 8 + p.data.length;
  const f = ipv4Frame({ ...p, proto: IP_PROTO_ICMP, id: p.ipId ?? p.seq, payloadBytes: len });
  const at = ETH_HEADER_BYTES + IPV4_HEADER_BYTES;
  const v = view(f);
  v.setUint8(at, p.type);
  v.setUint16(at + 4, p.ident & 0xffff);
  v.setUint16(at + 6, p.seq & 0xffff);
  f.set(p.data, at + 8);
  v.setUint16(at + 2, inetChecksum(f, at, at + len));
  return f;
}

// ---- UDP --------------------------------------------------------------------------------------

export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

function pseudoHeaderSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

export function parseUdp(frame: Uint8Array, ip: Ipv4Packet): UdpDatagram | null {
  if (ip.proto !== IP_PROTO_UDP || ip.payloadBytes < UDP_HEADER_BYTES) return null;
  const at = ip.payloadOffset;
  const v = view(frame);
  const len = v.getUint16(at + 4);
  if (len < UDP_HEADER_BYTES || len > ip.payloadBytes) return null;
  const sum = v.getUint16(at + 6);
  if (sum !== 0) {
    const pseudo = pseudoHeaderSum(ip.src, ip.dst, IP_PROTO_UDP, len);
    if (inetChecksum(frame, at, at + len, pseudo) !== 0) return null;
  }
  return {
    srcPort: v.getUint16(at),
    dstPort: v.getUint16(at + 2),
    payload: frame.subarray(at + UDP_HEADER_BYTES, at + len),
  };
}

export function buildUdp(p: {
  dstMac: Mac;
  srcMac: Mac;
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  ipId?: number;
  /** Compute the checksum (default); false sends 0, "none", which IPv4 allows (RFC 768). */
  checksum?: boolean;
}): Uint8Array {
  const len = UDP_HEADER_BYTES + p.payload.length;
  const f = ipv4Frame({ ...p, proto: IP_PROTO_UDP, id: p.ipId ?? 0, payloadBytes: len });
  const at = ETH_HEADER_BYTES + IPV4_HEADER_BYTES;
  const v = view(f);
  v.setUint16(at, p.srcPort);
  v.setUint16(at + 2, p.dstPort);
  v.setUint16(at + 4, len);
  f.set(p.payload, at + UDP_HEADER_BYTES);
  if (p.checksum === false) return f;
  const sum = inetChecksum(f, at, at + len, pseudoHeaderSum(p.src, p.dst, IP_PROTO_UDP, len));
  // RFC 768: a computed 0 is sent as all ones (0 means "no checksum").
  v.setUint16(at + 6, sum === 0 ? 0xffff : sum);
  return f;
}
