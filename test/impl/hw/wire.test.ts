import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../impl/hw/clock.ts';
import { LINKTYPE_ETHERNET, PCAP_MAGIC_MICROS, PcapWriter } from '../../../impl/hw/pcap.ts';
import {
  ETH_MIN_FRAME_BYTES,
  FrameSink,
  frameSeq,
  TEST_ETHERTYPE,
  TrafficGenerator,
} from '../../../impl/hw/wire.ts';
import { SeededRng } from '../../../impl/hw/rng.ts';
import { parseUdpFrame } from '../../../impl/hw/ethernet.ts';

const A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const B = Uint8Array.of(2, 0, 0, 0, 0, 2);

describe('TrafficGenerator', () => {
  it('the same seed gives the same frames byte for byte; another seed differs', () => {
    const frames = (seed: number): Uint8Array[] => {
      const g = new TrafficGenerator({ seed, srcMac: A, dstMac: B });
      return Array.from({ length: 20 }, () => g.nextFrame());
    };
    expect(frames(9)).toEqual(frames(9));
    expect(frames(9)).not.toEqual(frames(10));
  });

  it('frames are well-formed Ethernet with sequence numbers, within size bounds', () => {
    const g = new TrafficGenerator({
      seed: 1,
      srcMac: A,
      dstMac: B,
      minPayloadBytes: 10,
      maxPayloadBytes: 300,
    });
    const sink = new FrameSink('s', 3);
    g.send({ count: 50, to: sink });
    expect(sink.frameCount).toBe(50);
    expect(sink.frames).toHaveLength(3); // bounded keep
    const f = g.nextFrame();
    expect(f.subarray(0, 6)).toEqual(B);
    expect(f.subarray(6, 12)).toEqual(A);
    expect((f[12]! << 8) | f[13]!).toBe(TEST_ETHERTYPE);
    expect(frameSeq(f)).toBe(50);
    expect(f.length).toBeGreaterThanOrEqual(ETH_MIN_FRAME_BYTES);
    expect(f.length).toBeLessThanOrEqual(14 + 300);
    expect(frameSeq(new Uint8Array(60))).toBeNull();
  });

  it('UDP mode: valid IPv4/UDP datagrams between the given endpoints, sequence in the payload', () => {
    const udp = {
      srcMac: A,
      dstMac: B,
      srcIp: 0x0a000201,
      dstIp: 0x0a00020f,
      srcPort: 4000,
      dstPort: 1235,
    };
    const g = new TrafficGenerator({ seed: 2, srcMac: A, dstMac: B, udp, maxPayloadBytes: 64 });
    const frames = Array.from({ length: 5 }, () => g.nextFrame());
    expect(frames.map(frameSeq)).toEqual([0, 1, 2, 3, 4]);
    for (const f of frames)
      expect(parseUdpFrame(f)).toMatchObject({ dstPort: 1235, srcIp: 0x0a000201 });
  });

  it('refuses impossible payload bounds', () => {
    expect(
      () =>
        new TrafficGenerator({
          seed: 1,
          srcMac: A,
          dstMac: B,
          minPayloadBytes: 100,
          maxPayloadBytes: 50,
        }),
    ).toThrow();
  });
});

describe('PcapWriter', () => {
  it('writes a classic libpcap file: global header, then one record per frame with clock timestamps', () => {
    const clock = new VirtualClock(3_000_002_500n); // 3 s + 2.5 µs
    const pcap = new PcapWriter({ clock });
    const frame = new TrafficGenerator({ seed: 1, srcMac: A, dstMac: B }).nextFrame();
    pcap.tap()(frame, { from: 'a', to: 'b' });
    const bytes = pcap.bytes();
    const v = new DataView(bytes.buffer);
    expect(v.getUint32(0, true)).toBe(PCAP_MAGIC_MICROS);
    expect([v.getUint16(4, true), v.getUint16(6, true)]).toEqual([2, 4]);
    expect(v.getUint32(20, true)).toBe(LINKTYPE_ETHERNET);
    expect(v.getUint32(24, true)).toBe(3);
    expect(v.getUint32(28, true)).toBe(2);
    expect(v.getUint32(32, true)).toBe(frame.length);
    expect(v.getUint32(36, true)).toBe(frame.length);
    expect(bytes.subarray(40)).toEqual(frame);
    expect(bytes.length).toBe(24 + 16 + frame.length);
  });

  it('stops recording at maxRecords and counts what it skipped', () => {
    const pcap = new PcapWriter({ clock: new VirtualClock(), maxRecords: 2 });
    for (let i = 0; i < 5; i++) pcap.record(new Uint8Array(60));
    expect([pcap.recordCount, pcap.skippedCount]).toEqual([2, 3]);
  });
});

describe('SeededRng', () => {
  it('is reproducible from its seed and its saved state', () => {
    const a = new SeededRng(123);
    const first = [a.nextU32(), a.nextU32()];
    const saved = a.state;
    const next = a.nextU32();
    expect([new SeededRng(123).nextU32(), new SeededRng(123).nextU32()]).toEqual([
      first[0],
      first[0],
    ]);
    expect(new SeededRng(saved).nextU32()).toBe(next);
    const b = new SeededRng(7);
    for (let i = 0; i < 100; i++) expect(b.below(10)).toBeLessThan(10);
  });
});
