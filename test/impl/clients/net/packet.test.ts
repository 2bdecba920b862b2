// The client network library's formats: checksums (RFC 1071 example), build/parse round trips, and
// refusal of malformed input (a client's input is untrusted).
import { describe, expect, it } from 'vitest';
import {
  ARP_REPLY,
  ARP_REQUEST,
  BROADCAST_MAC,
  ICMP_ECHO_REQUEST,
  buildArp,
  buildIcmpEcho,
  buildUdp,
  inetChecksum,
  onesSum,
  parseArp,
  parseEth,
  parseIcmpEcho,
  parseIpv4,
  parseUdp,
} from '../../../../impl/clients/net/packet.ts';
import { buildUdpFrame, internetChecksum } from '../../../../impl/hw/ethernet.ts';

const A = [0x52, 0x54, 0, 0, 0, 1];
const B = [0x52, 0x54, 0, 0, 0, 2];

describe('checksums', () => {
  it('RFC 1071 §3 example: 0001 f203 f4f5 f6f7 sums to ddf2', () => {
    const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(onesSum(b, 0, b.length)).toBe(0xddf2);
    expect(inetChecksum(b, 0, b.length)).toBe(~0xddf2 & 0xffff);
  });

  it('agrees with the device-side helper on odd lengths', () => {
    const b = new Uint8Array([1, 2, 3, 4, 5]);
    expect(inetChecksum(b, 0, 5)).toBe(internetChecksum(b));
  });
});

describe('IPv4/UDP', () => {
  it('round-trips, and the frame is padded to 60 bytes', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const f = buildUdp({
      dstMac: B,
      srcMac: A,
      src: 0x0a000001,
      dst: 0x0a000002,
      srcPort: 5,
      dstPort: 7,
      payload,
    });
    expect(f.length).toBe(60);
    const ip = parseIpv4(f)!;
    expect(ip).toMatchObject({ src: 0x0a000001, dst: 0x0a000002, proto: 17, payloadBytes: 11 });
    expect(parseUdp(f, ip)).toMatchObject({ srcPort: 5, dstPort: 7, payload });
  });

  it('parses a datagram built by the device-side builder (checksum 0 = none)', () => {
    const f = buildUdpFrame({
      srcMac: new Uint8Array(A),
      dstMac: new Uint8Array(B),
      srcIp: 1,
      dstIp: 2,
      srcPort: 9,
      dstPort: 10,
      payload: new Uint8Array([7]),
    });
    const ip = parseIpv4(f)!;
    expect(parseUdp(f, ip)?.payload).toEqual(new Uint8Array([7]));
  });

  it('refuses a corrupted IPv4 header, a corrupted UDP checksum, fragments and short frames', () => {
    const f = buildUdp({
      dstMac: B,
      srcMac: A,
      src: 1,
      dst: 2,
      srcPort: 5,
      dstPort: 7,
      payload: new Uint8Array(20),
    });
    const badIp = f.slice();
    badIp[14 + 8]! ^= 1; // TTL
    expect(parseIpv4(badIp)).toBeNull();
    const badUdp = f.slice();
    badUdp[14 + 20 + 8 + 3]! ^= 1;
    expect(parseUdp(badUdp, parseIpv4(badUdp)!)).toBeNull();
    const frag = f.slice();
    frag[14 + 6] = 0x20; // more fragments
    frag[14 + 10] = 0;
    frag[14 + 11] = 0;
    const v = new DataView(frag.buffer);
    v.setUint16(14 + 10, inetChecksum(frag, 14, 34));
    expect(parseIpv4(frag)).toBeNull();
    expect(parseEth(f.subarray(0, 10))).toBeNull();
    expect(parseIpv4(f.subarray(0, 30))).toBeNull();
  });
});

describe('ICMP echo and ARP', () => {
  it('an echo request round-trips with its ident, seq and data', () => {
    const data = new Uint8Array([9, 8, 7]);
    const f = buildIcmpEcho({
      dstMac: B,
      srcMac: A,
      src: 1,
      dst: 2,
      type: ICMP_ECHO_REQUEST,
      ident: 0x1234,
      seq: 5,
      data,
    });
    expect(parseIcmpEcho(f, parseIpv4(f)!)).toMatchObject({
      type: ICMP_ECHO_REQUEST,
      ident: 0x1234,
      seq: 5,
      data,
    });
    const bad = f.slice();
    bad[14 + 20 + 8]! ^= 0xff;
    expect(parseIcmpEcho(bad, parseIpv4(bad)!)).toBeNull();
  });

  it('ARP request/reply round-trip; other hardware types are refused', () => {
    const f = buildArp({
      op: ARP_REQUEST,
      sha: A,
      spa: 1,
      tha: [0, 0, 0, 0, 0, 0],
      tpa: 2,
      dstMac: BROADCAST_MAC,
    });
    expect(parseArp(f)).toMatchObject({ op: ARP_REQUEST, sha: A, spa: 1, tpa: 2 });
    const r = buildArp({ op: ARP_REPLY, sha: B, spa: 2, tha: A, tpa: 1, dstMac: A });
    expect(parseArp(r)?.op).toBe(ARP_REPLY);
    const bad = f.slice();
    bad[15] = 6; // htype 6
    expect(parseArp(bad)).toBeNull();
  });
});
