// virt_rx handlers (reference sddf-protocols.md §3.4): demultiplexing by MAC, broadcast with
// reference counts, unmatched frames back to the driver, and U15: a bad buffer from a client is
// refused and counted (the release-build bug variant underflows the count).
import { describe, expect, it } from 'vitest';
import {
  VirtRx,
  VIRT_RX_COUNTERS,
  type VirtRxOptions,
} from '../../../../impl/components/net/virt_rx.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { NetVirtRxConfig } from '../../../../impl/components/net/config.ts';
import { Layout, conn, context, dev, entries, peerHandle, recordingApi, res } from './fixture.ts';

const N = 8; // Rx DMA buffers
const IO = 0x5fe0_0000n;
const MAC = [
  [0x52, 0x54, 0x01, 0, 0, 0x10],
  [0x52, 0x54, 0x01, 0, 0, 0x11],
];

function setup(options: VirtRxOptions = {}, restarts = 0, shared?: ReturnType<typeof regions>) {
  const r = shared ?? regions();
  const config: NetVirtRxConfig = {
    driver: conn(r.drv, N, 0),
    data: dev(r.data),
    bufferMetadata: res(r.meta),
    clients: r.cl.map((p, i) => ({ conn: conn(p, N, i + 1), macAddrs: [MAC[i]!] })),
  };
  const { api, rec, flush } = recordingApi('net_virt_rx', r.l.space('net_virt_rx'));
  const counterBuf = Counters.buffer(VIRT_RX_COUNTERS.length);
  const v = new VirtRx(context(api, { config, options, counters: counterBuf }, restarts));
  const counters = (): Record<string, number> =>
    new Counters(VIRT_RX_COUNTERS, counterBuf).snapshot();
  const driver = peerHandle(r.drv, N);
  const copier = r.cl.map((p) => peerHandle(p, N));
  const refs = new Uint8Array(r.meta.buffer!, 0, N);
  /** The driver delivers a frame in buffer `b` with destination MAC `dst`. */
  const frame = (b: number, dst: readonly number[], len = 60): void => {
    new Uint8Array(r.data.buffer!, b * 2048, 6).set(dst);
    driver.active.enqueue({ ioOrOffset: IO + BigInt(b * 2048), len, oid: 0 });
  };
  return { v, rec, flush, counters, driver, copier, refs, frame, r };
}

function regions() {
  const l = new Layout();
  const drv = l.pair('drv', N);
  const cl = [l.pair('cp0', N), l.pair('cp1', N)];
  const data = l.add('rxdma', N * 2048, { perms: 'r', ioAddr: IO });
  const meta = l.add('meta', N);
  return { l, drv, cl, data, meta };
}

describe('virt_rx init', () => {
  it('fills the driver free queue with every Rx DMA buffer and notifies the driver (deferred)', () => {
    const t = setup();
    t.v.init();
    t.flush();
    expect(entries(t.r.drv.free, N).map((e) => e.io)).toEqual(
      Array.from({ length: N }, (_, i) => IO + BigInt(2048 * i)),
    );
    expect(t.rec.deferred).toEqual([0]);
  });

  it('after a restart re-attaches: no second set of buffers (LionsOS §5.2)', () => {
    const shared = regions();
    const first = setup({}, 0, shared);
    first.v.init();
    const again = setup({}, 1, shared);
    again.v.init();
    expect(entries(shared.drv.free, N)).toHaveLength(N);
  });
});

describe('virt_rx rx_return (R1)', () => {
  it('a unicast frame goes to the matching client as an offset, refcount 1, client notified', () => {
    const t = setup();
    t.v.init();
    t.driver.free.dequeue(); // the driver took buffer 0 and filled it
    t.frame(0, MAC[1]!);
    t.v.notified();
    expect(entries(t.r.cl[1]!.active, N)).toEqual([{ io: 0n, len: 60, oid: 0 }]);
    expect(t.refs[0]).toBe(1);
    expect(t.rec.notified).toEqual([2]);
    expect(t.counters()['unicast']).toBe(1);
  });

  it('a broadcast frame goes to every client with refcount = number of clients', () => {
    const t = setup();
    t.v.init();
    t.driver.free.dequeue();
    t.frame(0, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    t.v.notified();
    expect(t.refs[0]).toBe(2);
    expect(entries(t.r.cl[0]!.active, N)).toHaveLength(1);
    expect(entries(t.r.cl[1]!.active, N)).toHaveLength(1);
    // Returned by one: still held; by both: back to the driver.
    t.copier[0]!.active.dequeue();
    t.copier[0]!.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
    t.v.notified();
    expect(t.refs[0]).toBe(1);
    const before = t.driver.free.length();
    t.copier[1]!.active.dequeue();
    t.copier[1]!.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
    t.v.notified();
    expect(t.refs[0]).toBe(0);
    expect(t.driver.free.length()).toBe(before + 1);
  });

  it('a frame for nobody, and a runt, go straight back to the driver', () => {
    const t = setup();
    t.v.init();
    t.driver.free.dequeue();
    t.driver.free.dequeue();
    t.frame(0, [2, 0, 0, 0, 0, 1]);
    t.frame(1, MAC[0]!, 10);
    const before = t.driver.free.length();
    t.v.notified();
    expect(t.driver.free.length()).toBe(before + 2);
    expect(t.counters()).toMatchObject({ unmatched: 1, runt: 1, unicast: 0 });
  });
});

describe('virt_rx rx_provide (R2), U15', () => {
  it('refuses a bad offset and a double return, and counts them (hardened)', () => {
    const t = setup();
    t.v.init();
    t.driver.free.dequeue();
    t.frame(0, MAC[0]!);
    t.v.notified();
    t.copier[0]!.active.dequeue();
    t.copier[0]!.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
    t.copier[0]!.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 }); // twice
    t.copier[0]!.free.enqueue({ ioOrOffset: 100n, len: 0, oid: 0 }); // unaligned
    t.copier[0]!.free.enqueue({ ioOrOffset: BigInt(N * 2048), len: 0, oid: 0 }); // past the end
    const before = t.driver.free.length();
    t.v.notified();
    expect(t.driver.free.length()).toBe(before + 1);
    expect(t.counters()).toMatchObject({ rejectedRefcount: 1, rejectedOffset: 2 });
    expect(t.refs[0]).toBe(0);
  });

  it('the U15 release build wraps the u8 count on a double return (the buffer is then lost)', () => {
    const t = setup({ bugs: ['U15'] });
    t.v.init();
    t.driver.free.dequeue();
    t.frame(0, MAC[0]!);
    t.v.notified();
    t.copier[0]!.active.dequeue();
    t.copier[0]!.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
    t.copier[0]!.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
    t.v.notified();
    expect(t.refs[0]).toBe(255);
    expect(t.counters()['rejectedRefcount']).toBe(0);
  });
});
