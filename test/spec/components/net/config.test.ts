// The network components' shared vocabulary (spec/components/net/config.ts; reference
// sddf-protocols.md §2.1, §3): which IO addresses name a buffer of a region, the payload word's
// fields and their ranges, and notify-if's three notify modes.
import { describe, expect, it } from 'vitest';
import {
  KIND_ECHO,
  netIoIn,
  notifyIf,
  payload,
  payloadKind,
  payloadSeq,
  payloadWho,
} from '../../../../spec/components/net/config.ts';
import { netRequireSignal } from '../../../../spec/queue/net.ts';
import { netRig } from './rig.ts';

describe('netIoIn', () => {
  const r = { data: 0, count: 2, ioBase: 0x1000_0000 };
  it('names buffer starts of the region only: not below it, not past its last buffer, not inside one', () => {
    expect(netIoIn(0x1000_0000, r)).toBe(true);
    expect(netIoIn(0x1000_0800, r)).toBe(true);
    expect(netIoIn(0x1000_1000, r)).toBe(false);
    expect(netIoIn(0x1000_0000 - 0x800, r)).toBe(false);
    expect(netIoIn(0x1000_0001, r)).toBe(false);
  });
});

describe('payload words', () => {
  it('round-trips kind, who and seq at their extremes', () => {
    const p = payload(KIND_ECHO, 0xff, 0xffff);
    expect([payloadKind(p), payloadWho(p), payloadSeq(p)]).toEqual([KIND_ECHO, 0xff, 0xffff]);
    expect(payloadSeq(payload(KIND_ECHO, 0, 0))).toBe(0);
  });
  it('refuses fields out of range (a bug of the model, not a value)', () => {
    expect(() => payload(1, 0, 0x1_0000)).toThrow(/payload fields in range/);
    expect(() => payload(1, 0, -1)).toThrow(/payload fields in range/);
    expect(() => payload(1, 0x100, 0)).toThrow(/payload fields in range/);
    expect(() => payload(1, -1, 0)).toThrow(/payload fields in range/);
  });
});

describe('notifyIf', () => {
  it('deferred: the deferred slot; immediate: a notify; both cancel the signal; no work, nothing', () => {
    const r = netRig({ clients: 1 });
    const q = r.cfg.drvRx.free;
    const ctx = r.ctx('virt_rx');
    expect(notifyIf(ctx, { f: r.cfg.flavour, q, work: true, ch: 3, deferred: true })).toBe(true);
    expect(r.calls).toEqual(['deferred 3']);
    expect(netRequireSignal(r.mem, q, r.cfg.flavour)).toBe(false);
    r.mem.store(q.consumerSignalled, 0);
    expect(notifyIf(ctx, { f: r.cfg.flavour, q, work: false, ch: 3, deferred: false })).toBe(false);
    expect(notifyIf(ctx, { f: r.cfg.flavour, q, work: true, ch: 4, deferred: false })).toBe(true);
    expect(r.calls).toEqual(['deferred 3', 'notify 4']);
    // 'deferred' uses the slot whatever it holds (unlike lib_sddf_lwip's deferred-if-free).
    r.deferredCurr = 7;
    r.mem.store(q.consumerSignalled, 0);
    notifyIf(ctx, { f: r.cfg.flavour, q, work: true, ch: 5, deferred: true });
    expect(r.calls.at(-1)).toBe('deferred 5');
  });
});
