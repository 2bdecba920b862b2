// The echo server end to end (issue 9 part 5): instantiated from its .system file, driven on the
// wire, invariants monitored. Deterministic: the same seed gives the same JSON (host times aside).
import { describe, expect, it } from 'vitest';
import {
  resultJson,
  runSystem,
  type RunSystemOptions,
  type RunSystemResult,
} from '../../../impl/systems/run.ts';
import { parseSweep, runSweep } from '../../../impl/systems/sweep.ts';
import { parseIpv4, parseEth, inetChecksum } from '../../../impl/clients/net/packet.ts';
import type { ComponentBinding } from '../../../impl/runtime/registry.ts';
import type { Component } from '../../../impl/runtime/api.ts';

function run(o: Partial<RunSystemOptions> & { packets: number }): RunSystemResult {
  const { result, errors } = runSystem({ seed: 1, ...o });
  expect(errors).toEqual([]);
  return result!;
}

function withoutTimes(r: RunSystemResult): unknown {
  const { times: _t, ...rest } = resultJson(r) as { times: unknown };
  return rest;
}

/** A pcap file (classic, microseconds, Ethernet) as its frames; throws if malformed. */
function readPcap(bytes: Uint8Array): Uint8Array[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
  expect([v.getUint16(4, true), v.getUint16(6, true), v.getUint32(20, true)]).toEqual([2, 4, 1]);
  const frames: Uint8Array[] = [];
  let lastUs = -1;
  for (let at = 24; at < bytes.length;) {
    const us = v.getUint32(at, true) * 1e6 + v.getUint32(at + 4, true);
    expect(us).toBeGreaterThanOrEqual(lastUs); // timestamps never go back
    lastUs = us;
    const incl = v.getUint32(at + 8, true);
    expect(v.getUint32(at + 12, true)).toBe(incl);
    frames.push(bytes.subarray(at + 16, at + 16 + incl));
    at += 16 + incl;
    expect(at).toBeLessThanOrEqual(bytes.length);
  }
  return frames;
}

describe('sddf run echo (deterministic)', () => {
  it("answers every echo, ping and ARP, holds every invariant, and prints the clients' banners", () => {
    const r = run({ packets: 3000 });
    expect(r.ok).toBe(true);
    expect(r.status).toBe('complete');
    expect(r.invariantViolations).toBe(0);
    expect(r.monitorChecks).toBeGreaterThan(10);
    expect(r.generator).toMatchObject({ sent: 3000, lost: 0, badReplies: 0, unexpected: 0 });
    expect(r.generator.answered).toBe(r.generator.expected);
    for (const c of r.clients) {
      expect(c.lost).toBe(0);
      for (const k of ['udp', 'ping', 'arp'] as const) expect(c.answered[k]).toBe(c.requests[k]);
      expect(c.sent).toBeGreaterThan(0);
      expect(c.received).toBeGreaterThan(c.sent); // broadcasts reach both
    }
    expect(r.clients.map((c) => c.api)).toEqual(['native', 'blocking']);
    // Broadcasts went to both clients through the refcounted path.
    expect(r.components['virtRx']!['broadcast']).toBeGreaterThan(0);
    expect(r.console).toMatch(/client0: UDP echo on 10\.0\.2\.10:1235.*native API/);
    expect(r.console).toMatch(/client1: UDP echo on 10\.0\.2\.11:1235.*blocking API/);
    expect(r.faults.unexpected).toEqual([]);
  });

  it('is deterministic: the same seed gives the same JSON, times aside; another seed does not', () => {
    const a = run({ packets: 1500, seed: 7 });
    const b = run({ packets: 1500, seed: 7 });
    const c = run({ packets: 1500, seed: 8 });
    expect(withoutTimes(a)).toEqual(withoutTimes(b));
    expect(withoutTimes(a)).not.toEqual(withoutTimes(c));
  });

  it('writes the wire as a pcap file: every frame the NIC received and sent, well formed', () => {
    const r = run({ packets: 500, pcap: true });
    const frames = readPcap(r.pcap!);
    expect(frames).toHaveLength(r.device.rxFrames + r.device.txFrames);
    for (const f of frames) {
      expect(parseEth(f)).not.toBeNull();
      if (f[12] === 0x08 && f[13] === 0x00) {
        expect(parseIpv4(f)).not.toBeNull();
        expect(inetChecksum(f, 14, 34)).toBe(0);
      }
    }
  });

  it('lwIP-style clients (Tx free signal never armed, retry on the tick) answer everything too', () => {
    const r = run({ packets: 2000, txWait: 'lwip' });
    expect(r.ok).toBe(true);
    expect(r.generator.answered).toBe(r.generator.expected);
  });

  it('the round-robin transmit policy serves both clients', () => {
    const r = run({ packets: 1000, virtTx: { policy: { kind: 'round-robin' } } });
    expect(r.ok).toBe(true);
  });

  it('open loop above capacity: the NIC drops for want of buffers, invariants still hold', () => {
    const r = run({ packets: 4000, traffic: { rate: 3_000_000 } });
    expect(r.invariantViolations).toBe(0);
    expect(r.device.rxDroppedNoBuffer).toBeGreaterThan(0);
    expect(r.generator.lost).toBeGreaterThan(0);
    expect(r.virtual.utilisation).toBeGreaterThan(0.95);
  });

  it('a load sweep: achieved follows offered until the system saturates', () => {
    const { result } = runSweep({ packets: 1500, seed: 1 }, parseSweep('50000:2000000:3').spec!);
    const [low, , high] = result!.points;
    expect(result!.ok).toBe(true);
    expect(low!.achievedPps).toBeGreaterThan(0.9 * low!.offeredPps);
    expect(low!.lost).toBe(0);
    expect(high!.achievedPps).toBeLessThan(0.8 * high!.offeredPps);
    expect(high!.utilisation).toBeGreaterThan(low!.utilisation);
  });

  it('rejects bad options and a bad system file as diagnostics, not exceptions', () => {
    expect(runSystem({ packets: -1, seed: 1 }).errors[0]?.message).toMatch(/packets/);
    expect(
      runSystem({ packets: 1, seed: 1, system: 'no/such.system' }).errors.length,
    ).toBeGreaterThan(0);
    expect(parseSweep('1:2').error).toMatch(/FROM:TO:STEPS/);
  });
});

describe('the monitors catch what they watch', () => {
  /** client0's copier, made to leak one Rx DMA buffer (dequeue and forget) on its 20th wake. */
  const leaky = (pd: string, b: ComponentBinding): ComponentBinding => {
    if (pd !== 'client0_net_copier') return b;
    return {
      ...b,
      factory: (ctx) => {
        const inner = b.factory(ctx);
        let wakes = 0;
        const cfg = ctx.params['config'] as { virt: { active: { vaddr: number } } };
        const c: Component = {
          init: () => inner.init(),
          notified: (ch) => {
            if (++wakes === 20) {
              // head++ on the virt_rx → copier active queue: a buffer nobody holds any more.
              const at = cfg.virt.active.vaddr;
              const head = ctx.api.mem.read16(at + 2);
              if (ctx.api.mem.read16(at) !== head) ctx.api.mem.write16(at + 2, (head + 1) & 0xffff);
            }
            inner.notified(ch);
          },
        };
        return c;
      },
    };
  };

  it('a leaked Rx DMA buffer is a conservation violation', () => {
    const r = run({ packets: 1500, rebind: leaky, monitorEvery: 1 });
    expect(r.invariantViolations).toBeGreaterThan(0);
    expect(r.violations.join('\n')).toMatch(
      /conservation: Rx DMA buffer \d+ driver-side 0, client-side 0/,
    );
    expect(r.ok).toBe(false);
  });

  /** client0's copier returns one Rx DMA buffer twice (a misbehaving copier-less client would). */
  const doubleReturn = (pd: string, b: ComponentBinding): ComponentBinding => {
    if (pd !== 'client0_net_copier') return b;
    return {
      ...b,
      factory: (ctx) => {
        const inner = b.factory(ctx);
        let wakes = 0;
        const cfg = ctx.params['config'] as {
          virt: { free: { vaddr: number }; numBuffers: number };
        };
        return {
          init: () => inner.init(),
          notified: (ch) => {
            inner.notified(ch);
            if (++wakes !== 20) return;
            // Re-publish the descriptor it just returned: tail++ over a copy of the last slot.
            const q = cfg.virt.free.vaddr;
            const tail = ctx.api.mem.read16(q);
            const cap = cfg.virt.numBuffers;
            const last = q + 8 + 16 * ((tail - 1 + cap) % cap);
            const slot = q + 8 + 16 * (tail % cap);
            ctx.api.mem.write64(slot, ctx.api.mem.read64(last));
            ctx.api.mem.write16(q, (tail + 1) & 0xffff);
            ctx.api.notify(0);
          },
        };
      },
    };
  };

  it('U15: hardened virt_rx refuses the double return (0 violations); the release build breaks conservation', () => {
    const hardened = run({ packets: 1500, rebind: doubleReturn, monitorEvery: 1 });
    expect(hardened.components['virtRx']!['rejectedRefcount']).toBe(1);
    expect(hardened.invariantViolations).toBe(0);
    const release = run({
      packets: 1500,
      rebind: doubleReturn,
      monitorEvery: 1,
      virtRx: { bugs: ['U15'] },
    });
    expect(release.invariantViolations).toBeGreaterThan(0);
  });
});
