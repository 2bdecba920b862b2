// The small pieces the net components share (impl/components/net/config.ts, counters.ts, clock.ts,
// tx_policy.ts), each at its edges: offsets from an untrusted peer (reference §2.1), room in a
// queue whose indices may lie, the u64 io_or_offset as a number, MAC and IPv4 text, counter
// buffers, the system counter in both modes, and the transmit policies' arguments.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SystemCounter, COUNTER_BYTES } from '../../../../impl/components/net/clock.ts';
import {
  hasRoom,
  ipString,
  macEquals,
  macString,
  offsetOf,
  openConnection,
  validOffset,
} from '../../../../impl/components/net/config.ts';
import { Counters, readCounters } from '../../../../impl/components/net/counters.ts';
import { makeTxPolicy } from '../../../../impl/components/net/tx_policy.ts';
import { Layout, conn, recordingApi } from './fixture.ts';

describe('validOffset (reference §2.1: a multiple of 2048 below 2048 × numBuffers)', () => {
  it('at the edges', () => {
    expect(validOffset(0, 4)).toBe(true);
    expect(validOffset(3 * 2048, 4)).toBe(true);
    expect(validOffset(4 * 2048, 4)).toBe(false);
    expect(validOffset(2048 - 1, 4)).toBe(false);
    expect(validOffset(2048 + 1, 4)).toBe(false);
    expect(validOffset(-2048, 4)).toBe(false);
    expect(validOffset(0, 0)).toBe(false);
    expect(validOffset(2048.5, 4)).toBe(false);
    expect(validOffset(Number.NaN, 4)).toBe(false);
    // Beyond 2^53 a number cannot name one byte; such an offset is never valid.
    expect(validOffset(2 ** 53 + 2048 * 2, 2 ** 60)).toBe(false);
    expect(validOffset(2 ** 52, 2 ** 60)).toBe(true);
  });

  it('agrees with a byte-count oracle', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5000, max: 40_000 }),
        fc.integer({ min: 0, max: 16 }),
        (o, n) => {
          const oracle = o >= 0 && o % 2048 === 0 && o / 2048 < n;
          expect(validOffset(o, n)).toBe(oracle);
        },
      ),
    );
  });
});

describe('hasRoom and offsetOf', () => {
  it('room only while length < capacity, even when the indices claim more', () => {
    const q = (length: number) => ({ length: () => length, capacity: 4 });
    expect(hasRoom(q(3))).toBe(true);
    expect(hasRoom(q(4))).toBe(false);
    expect(hasRoom(q(70))).toBe(false);
  });

  it('io_or_offset as a number below 2^53, else -1', () => {
    expect(offsetOf(0x800, 0)).toBe(0x800);
    expect(offsetOf(5, 1)).toBe(0x1_0000_0005);
    expect(offsetOf(0xffff_ffff, 0x1f_ffff)).toBe(2 ** 53 - 1);
    expect(offsetOf(0, 0x20_0000)).toBe(-1);
  });
});

describe('MAC and IPv4 text', () => {
  it('macEquals compares all six bytes', () => {
    const a = [1, 2, 3, 4, 5, 6];
    expect(macEquals(a, new Uint8Array(a))).toBe(true);
    for (let i = 0; i < 6; i++) {
      const b = [...a];
      b[i] = 0xff;
      expect(macEquals(a, b)).toBe(false);
    }
  });

  it('macString and ipString', () => {
    expect(macString([0x52, 0x54, 0, 0x12, 0xab, 0x5])).toBe('52:54:00:12:ab:05');
    expect(ipString(0x0a00020a)).toBe('10.0.2.10');
    expect(ipString(0xc0a801ff)).toBe('192.168.1.255');
  });
});

describe('openConnection', () => {
  it('refuses queue MRs smaller than the descriptors they must hold', () => {
    const l = new Layout();
    const p = l.pair('q', 4);
    const { api } = recordingApi('pd', l.space('pd'));
    expect(() => openConnection(api, conn(p, 4, 0))).not.toThrow();
    const small = { ...conn(p, 4, 0), free: { vaddr: p.free.vaddr, sizeBytes: 8 + 16 * 4 - 1 } };
    expect(() => openConnection(api, small)).toThrow(
      /queue MRs of 71\/4096 bytes hold 4 descriptors \(72 bytes\)/,
    );
    const smallActive = { ...conn(p, 4, 0), active: { vaddr: p.active.vaddr, sizeBytes: 71 } };
    expect(() => openConnection(api, smallActive)).toThrow(/hold 4 descriptors/);
    // A queue of 512 descriptors does not fit a 4 KiB MR.
    expect(() => openConnection(api, conn(p, 512, 0))).toThrow(/hold 512 descriptors/);
  });
});

describe('Counters', () => {
  it('private or in a shared buffer that another reader sees by name', () => {
    const names = ['a', 'b', 'c'] as const;
    const own = new Counters(names);
    own.inc('b');
    own.inc('b', 4);
    expect(own.get('b')).toBe(5);
    expect(own.snapshot()).toEqual({ a: 0, b: 5, c: 0 });
    const buf = Counters.buffer(names.length);
    expect(buf.byteLength).toBe(24);
    const shared = new Counters(names, buf);
    shared.inc('c', 2);
    expect(readCounters(names, buf)).toEqual({ a: 0, b: 0, c: 2 });
    expect(Counters.buffer(0).byteLength).toBe(8);
  });

  it('refuses a shared buffer too small for its names', () => {
    expect(() => new Counters(['a', 'b'], new SharedArrayBuffer(15))).toThrow(
      /counter buffer of 15 bytes holds 2 counters/,
    );
    expect(() => new Counters(['a', 'b'], new SharedArrayBuffer(16))).not.toThrow();
  });
});

describe('SystemCounter', () => {
  it('virtual time until the host clock is chosen, then host time from that instant', () => {
    const c = SystemCounter.create();
    expect(c.buffer.byteLength).toBe(COUNTER_BYTES);
    expect(c.nowNs()).toBe(0);
    c.setVirtualNs(1234);
    expect(c.nowNs()).toBe(1234);
    // A second view of the same buffer (another thread) sees the same time.
    expect(new SystemCounter(c.buffer).nowNs()).toBe(1234);
    c.useHostClock();
    const t0 = c.nowNs();
    expect(t0).toBeGreaterThanOrEqual(0);
    expect(t0).toBeLessThan(60e9);
    const start = performance.now();
    while (performance.now() - start < 3);
    expect(c.nowNs()).toBeGreaterThanOrEqual(t0 + 2_000_000);
  });
});

describe('tx policies: arguments and defaults', () => {
  it('at least one client and a budget of at least one packet; unlimited by default', () => {
    expect(() => makeTxPolicy({ kind: 'priority' }, 0)).toThrow(/at least one client/);
    expect(() => makeTxPolicy({ kind: 'priority', budget: 0 }, 1)).toThrow(
      /a budget of at least one packet per pass, got 0/,
    );
    expect(makeTxPolicy({ kind: 'priority' }, 1).budget).toBe(Number.POSITIVE_INFINITY);
    expect(makeTxPolicy({ kind: 'round-robin', budget: 3 }, 2).budget).toBe(3);
    expect(makeTxPolicy({ kind: 'priority', budget: 1 }, 1).budget).toBe(1);
    const bw = makeTxPolicy({ kind: 'bandwidth', bytesPerSecond: [1], budget: 2 }, 1);
    expect(bw.kind).toBe('bandwidth');
    expect(bw.mode).toBe('drain');
    expect(bw.budget).toBe(2);
    expect(bw.startPass(0)).toEqual([0]);
    expect(() => makeTxPolicy({ kind: 'fifo' } as never, 1)).toThrow(/unreachable/);
  });

  it('bandwidth: the burst defaults to one second of rate, but at least one full buffer', () => {
    const slow = makeTxPolicy({ kind: 'bandwidth', bytesPerSecond: [100] }, 1);
    expect(slow.admit(0, 2048, 0)).toBe(true);
    expect(slow.admit(0, 1, 0)).toBe(false);
    const fast = makeTxPolicy({ kind: 'bandwidth', bytesPerSecond: [10_000] }, 1);
    expect(fast.admit(0, 10_000, 0)).toBe(true);
    expect(fast.admit(0, 1, 0)).toBe(false);
    // A burst given smaller than a buffer is raised to one buffer.
    const tiny = makeTxPolicy({ kind: 'bandwidth', bytesPerSecond: [10_000], burstBytes: [10] }, 1);
    expect(tiny.admit(0, 2048, 0)).toBe(true);
    expect(tiny.admit(0, 1, 0)).toBe(false);
  });

  it('bandwidth: no refill on the first call or when time stands still or goes back', () => {
    const p = makeTxPolicy({ kind: 'bandwidth', bytesPerSecond: [1000], burstBytes: [3000] }, 1);
    // The first call at a late time finds the full burst, not burst + refill (capped anyway).
    expect(p.admit(0, 3000, 5_000_000_000)).toBe(true);
    expect(p.admit(0, 1, 5_000_000_000)).toBe(false);
    expect(p.admit(0, 1, 4_000_000_000)).toBe(false); // time went back: nothing refilled
    // The last call was at 4 s: at 5 s one second's 1000 bytes are back, and no more.
    expect(p.admit(0, 1000, 5_000_000_000)).toBe(true);
    expect(p.admit(0, 1, 5_000_000_000)).toBe(false);
  });

  it('bandwidth: exactly the tokens left are enough', () => {
    const p = makeTxPolicy({ kind: 'bandwidth', bytesPerSecond: [1000], burstBytes: [3000] }, 1);
    expect(p.admit(0, 3000, 0)).toBe(true);
    expect(p.admit(0, 500, 500_000_000)).toBe(true);
    expect(p.admit(0, 1, 500_000_000)).toBe(false);
  });

  it('bandwidth: refuses a rate that is not finite', () => {
    expect(() => makeTxPolicy({ kind: 'bandwidth', bytesPerSecond: [Infinity] }, 1)).toThrow(
      /positive rate for each of 1 clients, got \[Infinity\]/,
    );
    expect(() => makeTxPolicy({ kind: 'bandwidth' }, 1)).toThrow(/got \[\]/);
  });
});
