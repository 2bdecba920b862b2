import { describe, expect, it } from 'vitest';
import {
  buildUdpFrame,
  internetChecksum,
  parseUdpFrame,
  udpReply,
} from '../../../impl/hw/ethernet.ts';

const ends = {
  srcMac: Uint8Array.of(2, 0, 0, 0, 0, 1),
  dstMac: Uint8Array.of(2, 0, 0, 0, 0, 2),
  srcIp: 0x0a00_0201,
  dstIp: 0x0a00_020f,
  srcPort: 40000,
  dstPort: 1235,
};

describe('Ethernet/IPv4/UDP frames', () => {
  it('builds a frame that parses back to the same datagram', () => {
    const payload = new TextEncoder().encode('ping 1');
    const frame = buildUdpFrame({ ...ends, payload, ipId: 7 });
    expect(frame.length).toBe(60); // padded to the Ethernet minimum
    expect(parseUdpFrame(frame)).toEqual({ ...ends, payload });
    expect(parseUdpFrame(buildUdpFrame(udpReply({ ...ends, payload })))).toMatchObject({
      srcIp: ends.dstIp,
      dstPort: ends.srcPort,
      srcMac: ends.dstMac,
    });
  });

  it('the IPv4 header checksum is right (RFC 1071 example bytes, and re-summing gives 0)', () => {
    // RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; checksum is its complement.
    expect(internetChecksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(
      ~0xddf2 & 0xffff,
    );
    const frame = buildUdpFrame({ ...ends, payload: new Uint8Array(100) });
    expect(internetChecksum(frame.subarray(14, 34))).toBe(0);
  });

  it('rejects a corrupted header, a non-UDP protocol and a truncated frame', () => {
    const frame = buildUdpFrame({ ...ends, payload: new Uint8Array(100) });
    const bad = frame.slice();
    bad[14 + 8] = 1; // TTL changed without fixing the checksum
    expect(parseUdpFrame(bad)).toBeNull();
    const tcp = frame.slice();
    tcp[14 + 9] = 6;
    expect(parseUdpFrame(tcp)).toBeNull();
    expect(parseUdpFrame(frame.subarray(0, 60))).toBeNull();
    expect(() => buildUdpFrame({ ...ends, payload: new Uint8Array(1473) })).toThrow();
  });
});
