// The copier at its edges (reference sddf-protocols.md §3.5; impl/components/net/copier.ts): the
// garbage budget per pass, a client free queue whose indices lie, descriptors from virt_rx it
// should not send (unknown oid, len past 2048, bad offsets), lengths copied exactly, F15's wait on
// the client's free queue, the signalling conditions, a restart, and the set-up check.
import { describe, expect, it } from 'vitest';
import {
  COPIER_COUNTERS,
  Copier,
  MAX_REFUSALS_PER_PASS,
  copierComponent,
  type CopierOptions,
} from '../../../../impl/components/net/copier.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { NetCopyConfig } from '../../../../impl/components/net/config.ts';
import type { NetQueueHandle } from '../../../../impl/queue/net.ts';
import { Layout, conn, context, dev, entries, peerHandle, recordingApi, res } from './fixture.ts';

const N = 8;
const IO = 0x5fe0_0000n;

function world(clientCap = N) {
  const l = new Layout();
  const virt = l.pair('virt', N);
  const cli = l.pair('cli', clientCap);
  const rxdma = l.add('rxdma', N * 2048, { perms: 'r', ioAddr: IO });
  const cdata = l.add('cdata', clientCap * 2048);
  return { l, virt, cli, rxdma, cdata, clientCap };
}

function setup(
  o: { options?: CopierOptions; restarts?: number; w?: ReturnType<typeof world> } = {},
) {
  const w = o.w ?? world();
  const config: NetCopyConfig = {
    virt: conn(w.virt, N, 0),
    client: conn(w.cli, w.clientCap, 1),
    clientData: res(w.cdata),
    rxData: [dev(w.rxdma)],
  };
  const { api, rec, flush } = recordingApi('copier', w.l.space('copier'));
  const buf = Counters.buffer(COPIER_COUNTERS.length);
  const params = { config, options: o.options ?? {}, counters: buf };
  const cp = new Copier(context(api, params, o.restarts ?? 0));
  const counters = (): Record<string, number> => new Counters(COPIER_COUNTERS, buf).snapshot();
  const virtRx = peerHandle(w.virt, N);
  const client = peerHandle(w.cli, w.clientCap);
  const give = (b: number, bytes: number[], oid = 0): void => {
    new Uint8Array(w.rxdma.buffer!, b * 2048, bytes.length).set(bytes);
    virtRx.active.enqueue({ ioOrOffset: BigInt(b * 2048), len: bytes.length, oid });
  };
  return { cp, rec, flush, counters, virtRx, client, give, w, api, params, config };
}

describe('copier: garbage from the client', () => {
  it('at most MAX_REFUSALS_PER_PASS refusals per pass; past that, frames are dropped', () => {
    const w = world(64);
    const t = setup({ w });
    t.cp.init();
    while (t.client.free.dequeue() !== null);
    for (let i = 0; i < MAX_REFUSALS_PER_PASS + 2; i++)
      t.client.free.enqueue({ ioOrOffset: 1n, len: 0, oid: 0 });
    t.client.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
    t.give(0, [1]);
    t.give(1, [2]);
    t.cp.rxReturn();
    expect(t.counters()).toMatchObject({ rejectedOffset: MAX_REFUSALS_PER_PASS, dropped: 2 });
    expect(t.virtRx.free.length()).toBe(2);
    // Next pass: a fresh budget; the two garbage entries left go, then the good buffer is used.
    t.give(2, [3]);
    t.cp.rxReturn();
    expect(t.counters()).toMatchObject({ rejectedOffset: MAX_REFUSALS_PER_PASS + 2, copied: 1 });
  });

  it('a free queue claiming more entries than its capacity is not read this pass', () => {
    const t = setup();
    t.cp.init();
    new DataView(t.w.cli.free.buffer!).setUint16(0, N + 1, true);
    t.give(0, [1]);
    t.cp.rxReturn();
    expect(t.counters()).toMatchObject({ dropped: 1, copied: 0, rejectedOffset: 0 });
    // Exactly full is fine.
    const u = setup();
    u.cp.init();
    u.give(0, [1]);
    u.cp.rxReturn();
    expect(u.counters()['copied']).toBe(1);
  });

  it('the last client buffer is valid, one past it is not', () => {
    const t = setup();
    t.cp.init();
    while (t.client.free.dequeue() !== null);
    t.client.free.enqueue({ ioOrOffset: BigInt(N * 2048), len: 0, oid: 0 });
    t.client.free.enqueue({ ioOrOffset: BigInt((N - 1) * 2048), len: 0, oid: 0 });
    t.give(0, [5, 6]);
    t.cp.rxReturn();
    expect(t.counters()['rejectedOffset']).toBe(1);
    expect(entries(t.w.cli.active, N)).toEqual([{ io: BigInt((N - 1) * 2048), len: 2, oid: 0 }]);
    expect([...new Uint8Array(t.w.cdata.buffer!, (N - 1) * 2048, 3)]).toEqual([5, 6, 0]);
  });
});

describe('copier: descriptors virt_rx should not send', () => {
  it('an unknown oid, len past 2048, or a bad offset: an empty frame, nothing copied', () => {
    const t = setup();
    t.cp.init();
    t.give(0, [1], 1); // no rx_data[1]
    t.virtRx.active.enqueue({ ioOrOffset: 2048n, len: 2049, oid: 0 });
    t.virtRx.active.enqueue({ ioOrOffset: 100n, len: 10, oid: 0 });
    t.virtRx.active.enqueue({ ioOrOffset: BigInt(N * 2048), len: 10, oid: 0 });
    t.cp.rxReturn();
    expect(t.counters()).toMatchObject({ badVirtBuffer: 4, copied: 0, copiedBytes: 0 });
    expect(entries(t.w.cli.active, N).map((e) => e.len)).toEqual([0, 0, 0, 0]);
    expect(entries(t.w.virt.free, N)).toHaveLength(4);
  });

  it('a full 2048-byte frame from the last DMA buffer is copied whole, len and oid kept for virt_rx', () => {
    const t = setup();
    t.cp.init();
    const bytes = Array.from({ length: 2048 }, (_, i) => i & 0xff);
    t.give(N - 1, bytes);
    t.cp.rxReturn();
    expect(t.counters()).toMatchObject({ copied: 1, copiedBytes: 2048, badVirtBuffer: 0 });
    expect([...new Uint8Array(t.w.cdata.buffer!, 0, 2048)]).toEqual(bytes);
    expect(entries(t.w.virt.free, N)).toEqual([{ io: BigInt((N - 1) * 2048), len: 2048, oid: 0 }]);
  });

  it('virt_rx is trusted: its queue claiming 65535 entries breaks the capacity discipline (an assert)', () => {
    const t = setup();
    t.cp.init();
    while (t.client.free.dequeue() !== null);
    new DataView(t.w.virt.active.buffer!).setUint16(0, 0xffff, true);
    // Its free queue would overflow first: the copier asserts the capacity discipline.
    expect(() => t.cp.rxReturn()).toThrow(/capacity discipline/);
  });
});

describe('copier: signalling, F15, restart, set-up', () => {
  it('the client is notified only when it asked; virt_rx (deferred) only when it asked', () => {
    const t = setup();
    t.cp.init();
    t.client.active.cancelSignal();
    t.virtRx.free.cancelSignal();
    t.give(0, [1]);
    t.cp.rxReturn();
    t.flush();
    expect(t.rec.notified).toEqual([]);
    expect(t.rec.deferred).toEqual([]);
    t.client.active.requestSignal();
    t.virtRx.free.requestSignal();
    t.give(1, [1]);
    t.cp.rxReturn();
    t.flush();
    expect(t.rec.notified).toEqual([1]);
    expect(t.rec.deferred).toEqual([0]);
    // Nothing to do: nobody is notified.
    t.client.active.requestSignal();
    t.virtRx.free.requestSignal();
    t.cp.rxReturn();
    t.flush();
    expect(t.rec.notified).toEqual([1]);
    expect(t.rec.deferred).toEqual([0]);
  });

  it('F15 arms the client free queue and goes on once the client returned a buffer', () => {
    const t = setup({ options: { bugs: ['F15'] } });
    t.cp.init();
    while (t.client.free.dequeue() !== null);
    t.give(0, [1]);
    t.give(1, [2]);
    t.cp.rxReturn();
    expect(t.client.free.requireSignal()).toBe(true);
    expect(t.virtRx.active.length()).toBe(2);
    t.client.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
    t.cp.rxReturn();
    expect(t.counters()).toMatchObject({ copied: 1, dropped: 0 });
    expect(t.virtRx.active.length()).toBe(1);
  });

  it('a restarted copier does not give the client a second set of buffers', () => {
    const w = world();
    const first = setup({ w });
    first.cp.init();
    first.give(0, [1]);
    const again = setup({ w, restarts: 1 });
    again.cp.init();
    // The pending frame was handled; the client has N − 1 free buffers and one frame.
    expect(entries(w.cli.free, N)).toHaveLength(N - 1);
    expect(entries(w.cli.active, N)).toHaveLength(1);
  });

  it('the wrapper and its probe; the client region must hold every client buffer', () => {
    const t = setup();
    let seen: unknown = null;
    const c = copierComponent(context(t.api, { ...t.params, probe: (s: unknown) => (seen = s) }));
    c.init();
    t.give(0, [1]);
    c.notified(0);
    expect(seen).toEqual({ client_enqueued: true, virt_enqueued: true });
    const small = { ...t.config, clientData: { ...t.config.clientData, sizeBytes: N * 2048 - 1 } };
    expect(() => new Copier(context(t.api, { ...t.params, config: small }))).toThrow(
      /holds every client Rx buffer/,
    );
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

describe('copier: the re-check after request_signal', () => {
  it('a frame virt_rx queues in the window is copied in the same pass; the signal is left requested', () => {
    const t = setup();
    t.cp.init();
    t.give(0, [1, 2, 3]);
    const virt = (t.cp as unknown as { virt: NetQueueHandle }).virt;
    inWindow(virt.active, () => t.give(1, [4, 5]));
    t.cp.rxReturn();
    expect(t.counters()).toMatchObject({ copied: 2, dropped: 0 });
    expect(t.virtRx.active.empty()).toBe(true);
    expect(t.virtRx.active.requireSignal()).toBe(true);
  });

  it('virt_rx enqueuing inside every re-check window (6 times): nothing is left behind with the signal cancelled', () => {
    // ADR 019 (found by the mutation run): a cap of 4 re-check rounds left frames queued with the
    // signal cancelled, so virt_rx (which saw no signal wanted) never notified: a lost wakeup.
    const t = setup();
    t.cp.init();
    t.give(0, [1]);
    const virt = (t.cp as unknown as { virt: NetQueueHandle }).virt;
    const request = virt.active.requestSignal.bind(virt.active);
    let windows = 0;
    virt.active.requestSignal = () => {
      if (windows < 6) t.give(1 + windows, [2 + windows]);
      windows++;
      request();
    };
    t.cp.rxReturn();
    expect(windows).toBe(7);
    expect(t.counters()).toMatchObject({ copied: 7, dropped: 0 });
    expect(t.virtRx.active.empty()).toBe(true);
    expect(t.virtRx.active.requireSignal()).toBe(true);
  });

  it('the wrapper without a probe; a fresh copier state says nothing was enqueued', () => {
    const t = setup();
    const c = copierComponent(context(t.api, t.params));
    c.init();
    t.give(0, [1]);
    c.notified(0);
    expect(t.counters()['copied']).toBe(1);
    expect(new Copier(context(t.api, t.params, 1)).state).toEqual({
      client_enqueued: false,
      virt_enqueued: false,
    });
  });
});

describe('copier: the fixed copier leaves the client free queue signal alone', () => {
  it('without F15 the copier neither requests nor cancels a signal on the client free queue', () => {
    for (const flag of [true, false]) {
      const t = setup();
      t.cp.init();
      if (flag) t.client.free.requestSignal();
      else t.client.free.cancelSignal();
      t.give(0, [1]);
      t.cp.rxReturn();
      expect(t.client.free.requireSignal()).toBe(flag);
    }
  });
});
