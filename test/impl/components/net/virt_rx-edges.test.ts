// virt_rx at its edges (reference sddf-protocols.md §3.4; impl/components/net/virt_rx.ts): MAC
// matching on all six bytes, several MACs per client and the first match wins, a broadcast when a
// client's queue is full, unicast to a full client, frames the driver should not have sent (bad
// offsets, duplicates, lengths at 13/14 and 2048/2049), the bounds of one pass, the signalling
// conditions, the invalidate hook, a restart with frames pending, and the set-up checks.
import { describe, expect, it } from 'vitest';
import {
  VIRT_RX_COUNTERS,
  VirtRx,
  virtRxComponent,
  type VirtRxOptions,
} from '../../../../impl/components/net/virt_rx.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { NetVirtRxConfig } from '../../../../impl/components/net/config.ts';
import type { NetQueueHandle } from '../../../../impl/queue/net.ts';
import { Layout, conn, context, dev, entries, peerHandle, recordingApi, res } from './fixture.ts';

const N = 8;
const IO = 0x5fe0_0000n;
const A = [0x52, 0x54, 0x01, 0, 0, 0x10];
const A2 = [0x52, 0x54, 0x01, 0, 0, 0x20];
const B = [0x52, 0x54, 0x01, 0, 0, 0x11];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function regions(clientCap = N) {
  const l = new Layout();
  const drv = l.pair('drv', N);
  const cl = [l.pair('cp0', clientCap), l.pair('cp1', clientCap)];
  const data = l.add('rxdma', N * 2048, { perms: 'r', ioAddr: IO });
  const meta = l.add('meta', N);
  return { l, drv, cl, data, meta, clientCap };
}

function setup(
  o: {
    options?: VirtRxOptions;
    restarts?: number;
    shared?: ReturnType<typeof regions>;
    macs?: number[][][];
    invalidate?: (vaddr: number, len: number) => void;
  } = {},
) {
  const r = o.shared ?? regions();
  const macs = o.macs ?? [[A, A2], [B]];
  const config: NetVirtRxConfig = {
    driver: conn(r.drv, N, 0),
    data: dev(r.data),
    bufferMetadata: res(r.meta),
    clients: r.cl.map((p, i) => ({ conn: conn(p, r.clientCap, i + 1), macAddrs: macs[i]! })),
  };
  const { api, rec, flush } = recordingApi('net_virt_rx', r.l.space('net_virt_rx'));
  const counterBuf = Counters.buffer(VIRT_RX_COUNTERS.length);
  const inv = o.invalidate;
  const params = {
    config,
    options: o.options ?? {},
    counters: counterBuf,
    ...(inv === undefined
      ? {}
      : { cacheInvalidate: (_api: unknown, vaddr: number, len: number) => inv(vaddr, len) }),
  };
  const v = new VirtRx(context(api, params, o.restarts ?? 0));
  const counters = (): Record<string, number> =>
    new Counters(VIRT_RX_COUNTERS, counterBuf).snapshot();
  const driver = peerHandle(r.drv, N);
  const copier = r.cl.map((p) => peerHandle(p, r.clientCap));
  const refs = new Uint8Array(r.meta.buffer!, 0, N);
  const frame = (b: number, dst: readonly number[], len = 60): void => {
    new Uint8Array(r.data.buffer!, b * 2048, 6).set(dst);
    driver.active.enqueue({ ioOrOffset: IO + BigInt(b * 2048), len, oid: 0 });
  };
  /** init, then the driver takes every buffer (as if it had posted them all). */
  const boot = (): void => {
    v.init();
    while (driver.free.dequeue() !== null);
  };
  return { v, rec, flush, counters, driver, copier, refs, frame, r, api, params, config, boot };
}

describe('virt_rx: demultiplexing', () => {
  it('every byte of the MAC matters; a client may have several MACs', () => {
    const t = setup();
    t.boot();
    for (let i = 0; i < 6; i++) {
      const m = [...B];
      m[i] = m[i]! ^ 0x80;
      t.frame(i, m);
    }
    t.frame(6, A2);
    t.frame(7, B);
    t.v.notified();
    expect(t.counters()).toMatchObject({ unmatched: 6, unicast: 2 });
    expect(entries(t.r.cl[0]!.active, N).map((e) => e.io)).toEqual([6n * 2048n]);
    expect(entries(t.r.cl[1]!.active, N).map((e) => e.io)).toEqual([7n * 2048n]);
  });

  it('two clients with the same MAC: the first one gets it', () => {
    const t = setup({ macs: [[B], [B]] });
    t.boot();
    t.frame(0, B);
    t.v.notified();
    expect(entries(t.r.cl[0]!.active, N)).toHaveLength(1);
    expect(entries(t.r.cl[1]!.active, N)).toHaveLength(0);
  });

  it('broadcast needs all six bytes 0xff', () => {
    const t = setup();
    t.boot();
    t.frame(0, [0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    t.frame(1, [0xff, 0xff, 0xff, 0xfe, 0xff, 0xff]);
    t.v.notified();
    expect(t.counters()).toMatchObject({ unmatched: 2, broadcast: 0 });
  });

  it('a broadcast reaches only the clients with room; none with room: back to the driver', () => {
    const shared = regions(2);
    const t = setup({ shared });
    t.boot();
    // Client 1's queue is full (2 frames for it), client 0's is empty.
    t.frame(0, B);
    t.frame(1, B);
    t.frame(2, BCAST);
    t.v.notified();
    expect(t.refs[2]).toBe(1);
    expect(t.counters()['clientActiveFull']).toBe(1);
    t.frame(3, A);
    t.frame(4, BCAST); // client 0 now full too
    t.v.notified();
    expect(t.refs[4]).toBe(0);
    expect(entries(t.r.drv.free, N).map((e) => e.io)).toEqual([IO + 4n * 2048n]);
  });

  it('unicast to a full client goes back to the driver, refcount 0', () => {
    const shared = regions(1);
    const t = setup({ shared });
    t.boot();
    t.frame(0, B);
    t.frame(1, B);
    t.v.notified();
    expect(t.refs[0]).toBe(1);
    expect(t.refs[1]).toBe(0);
    expect(entries(t.r.drv.free, N).map((e) => e.io)).toEqual([IO + 2048n]);
  });
});

describe('virt_rx: what the driver should not send', () => {
  it('lengths: 13 and 2049 are runts; 14 and 2048 are frames', () => {
    const t = setup();
    t.boot();
    t.frame(0, B, 13);
    t.frame(1, B, 14);
    t.frame(2, B, 2048);
    t.frame(3, B, 2049);
    t.v.notified();
    expect(t.counters()).toMatchObject({ runt: 2, unicast: 2 });
    expect(entries(t.r.cl[1]!.active, N).map((e) => e.len)).toEqual([14, 2048]);
  });

  it('an address outside the Rx DMA region, or off a buffer boundary, is counted and dropped', () => {
    const t = setup();
    t.boot();
    for (const io of [IO - 2048n, IO + BigInt(N * 2048), IO + 100n, 1n << 60n])
      t.driver.active.enqueue({ ioOrOffset: io, len: 60, oid: 0 });
    t.v.notified();
    expect(t.counters()).toMatchObject({ badDriverBuffer: 4, received: 4, toDriver: 0 });
    expect(t.driver.free.length()).toBe(0);
  });

  it('a buffer the clients still hold, sent again, is a duplicate: counted, not delivered', () => {
    const t = setup();
    t.boot();
    t.frame(0, B);
    t.v.notified();
    t.frame(0, A);
    t.v.notified();
    expect(t.counters()['refsNonZero']).toBe(1);
    expect(entries(t.r.cl[0]!.active, N)).toHaveLength(0);
    expect(t.refs[0]).toBe(1);
  });

  it('one pass is bounded when the driver queue claims 65535 entries', () => {
    const t = setup();
    t.boot();
    new DataView(t.r.drv.active.buffer!).setUint16(0, 0xffff, true);
    t.v.notified();
    expect(t.counters()['received']).toBe(2 * N);
  });
});

describe('virt_rx: signalling and hooks', () => {
  it('a client is notified only when it asked; the driver (deferred) only when it asked', () => {
    const t = setup();
    t.boot();
    t.flush();
    t.rec.deferred.length = 0;
    t.copier[1]!.active.cancelSignal();
    t.frame(0, B);
    t.v.notified();
    t.flush();
    expect(t.rec.notified).toEqual([]);
    expect(entries(t.r.cl[1]!.active, N)).toHaveLength(1);
    // A returned buffer goes to the driver; it did not ask (flag cancelled at init's notify).
    t.copier[1]!.active.dequeue();
    t.copier[1]!.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
    t.v.notified();
    t.flush();
    expect(t.rec.deferred).toEqual([]);
    expect(t.driver.free.length()).toBe(1);
    // Now it asks: the next returned buffer is signalled, once.
    t.driver.free.requestSignal();
    t.frame(1, A);
    t.v.notified();
    t.copier[0]!.active.dequeue();
    t.copier[0]!.free.enqueue({ ioOrOffset: 2048n, len: 0, oid: 0 });
    t.v.notified();
    t.flush();
    expect(t.rec.deferred).toEqual([0]);
    expect(t.rec.notified).toEqual([1]);
  });

  it('the invalidate hook sees each delivered frame’s bytes, not runts or bad buffers', () => {
    const seen: [number, number][] = [];
    const t = setup({ invalidate: (vaddr, len) => seen.push([vaddr, len]) });
    t.boot();
    t.frame(2, B, 100);
    t.frame(3, B, 10);
    t.driver.active.enqueue({ ioOrOffset: IO + 1n, len: 60, oid: 0 });
    t.v.notified();
    expect(seen).toEqual([[t.config.data.vaddr + 2 * 2048, 100]]);
    expect(t.counters()['cacheInvalidates']).toBe(1);
  });

  it('a restarted virt_rx delivers frames that arrived while it was down and re-raises notify_drv', () => {
    const shared = regions();
    const first = setup({ shared });
    first.boot();
    first.frame(0, B);
    first.frame(1, A);
    // virt_rx crashed before handling them; the copier returned nothing yet.
    const again = setup({ shared, restarts: 1 });
    again.driver.free.requestSignal();
    again.v.init();
    again.flush();
    expect(entries(shared.cl[1]!.active, N)).toHaveLength(1);
    expect(entries(shared.cl[0]!.active, N)).toHaveLength(1);
    expect(entries(shared.drv.free, N)).toHaveLength(0);
    expect(again.rec.deferred).toEqual([0]);
  });

  it('the component wrapper and its probe', () => {
    const t = setup();
    let seen: unknown = null;
    const c = virtRxComponent(context(t.api, { ...t.params, probe: (s: unknown) => (seen = s) }));
    c.init();
    expect(t.driver.free.length()).toBe(N);
    while (t.driver.free.dequeue() !== null);
    t.frame(0, B);
    c.notified(0);
    expect((seen as { buffer_refs: Uint8Array }).buffer_refs[0]).toBe(1);
  });

  it('set-up: the Rx DMA and metadata regions hold every buffer; the region lies below 2^52', () => {
    const t = setup();
    const small = { ...t.config, data: { ...t.config.data, sizeBytes: N * 2048 - 1 } };
    expect(() => new VirtRx(context(t.api, { ...t.params, config: small }))).toThrow(
      /hold every buffer/,
    );
    const meta = { ...t.config, bufferMetadata: { ...t.config.bufferMetadata, sizeBytes: N - 1 } };
    expect(() => new VirtRx(context(t.api, { ...t.params, config: meta }))).toThrow(
      /hold every buffer/,
    );
    const high = { ...t.config, data: { ...t.config.data, ioAddr: 1n << 52n } };
    expect(() => new VirtRx(context(t.api, { ...t.params, config: high }))).toThrow(/2\^52/);
  });
});

/** Runs `peer` once, inside the component's next request_signal on `q` (its re-check window). */
function inWindow(q: NetQueueHandle['active'], peer: () => void): void {
  const request = q.requestSignal.bind(q);
  let once = true;
  q.requestSignal = () => {
    if (once) {
      once = false;
      peer();
    }
    request();
  };
}

describe('virt_rx: the re-checks after request_signal', () => {
  it('a frame the driver queues in the window is delivered in the same pass; the signal stays requested', () => {
    const t = setup();
    t.boot();
    t.frame(0, A);
    const drv = (t.v as unknown as { drv: NetQueueHandle }).drv;
    inWindow(drv.active, () => t.frame(1, B));
    t.v.notified();
    expect(t.counters()).toMatchObject({ received: 2, unicast: 2 });
    expect(t.driver.active.empty()).toBe(true);
    expect(t.driver.active.requireSignal()).toBe(true);
  });

  it('the driver queuing a frame in each of six windows: none is left with the signal cancelled', () => {
    // ADR 019: a cap of 4 re-check rounds left frames queued and the signal cancelled, so the
    // driver (which saw no signal wanted) never notified again: a lost wakeup.
    const t = setup();
    t.boot();
    t.frame(0, B);
    const drv = (t.v as unknown as { drv: NetQueueHandle }).drv;
    const request = drv.active.requestSignal.bind(drv.active);
    let windows = 0;
    drv.active.requestSignal = () => {
      if (windows < 6) t.frame(1 + windows, B);
      windows++;
      request();
    };
    t.v.notified();
    expect(windows).toBe(7);
    expect(t.counters()).toMatchObject({ received: 7, unicast: 7 });
    expect(t.driver.active.empty()).toBe(true);
    expect(t.driver.active.requireSignal()).toBe(true);
  });

  it('a buffer a copier returns in the window goes back to the driver in the same pass', () => {
    const t = setup();
    t.boot();
    t.frame(0, A);
    t.frame(1, A);
    t.v.notified();
    const held = entries(t.r.cl[0]!.active, N).map((e) => e.io);
    expect(held).toHaveLength(2);
    while (t.copier[0]!.active.dequeue() !== null);
    t.copier[0]!.free.enqueue({ ioOrOffset: held[0]!, len: 0, oid: 0 });
    const clients = (t.v as unknown as { clients: NetQueueHandle[] }).clients;
    inWindow(clients[0]!.free, () =>
      t.copier[0]!.free.enqueue({ ioOrOffset: held[1]!, len: 0, oid: 0 }),
    );
    t.v.notified();
    expect(entries(t.r.drv.free, N).map((e) => e.io - IO)).toEqual([0n, 2048n]);
    expect(t.copier[0]!.free.empty()).toBe(true);
    expect(t.copier[0]!.free.requireSignal()).toBe(true);
  });
});

describe('virt_rx: the wrapper without a probe', () => {
  it('runs init and notified', () => {
    const t = setup();
    const c = virtRxComponent(context(t.api, t.params));
    c.init();
    while (t.driver.free.dequeue() !== null);
    t.frame(0, B);
    c.notified(0);
    expect(t.counters()['unicast']).toBe(1);
  });
});
