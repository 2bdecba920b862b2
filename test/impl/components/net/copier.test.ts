// The copier (reference sddf-protocols.md §3.5): copies into the client's own region, drops when the
// client has no free buffer (F15 fixed: the DMA buffer still goes back), refuses garbage offsets.
import { describe, expect, it } from 'vitest';
import {
  Copier,
  COPIER_COUNTERS,
  type CopierOptions,
} from '../../../../impl/components/net/copier.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { NetCopyConfig } from '../../../../impl/components/net/config.ts';
import { Layout, conn, context, dev, entries, peerHandle, recordingApi, res } from './fixture.ts';

const N = 8;
const IO = 0x5fe0_0000n;

function setup(options: CopierOptions = {}) {
  const l = new Layout();
  const virt = l.pair('virt', N);
  const cli = l.pair('cli', N);
  const rxdma = l.add('rxdma', N * 2048, { perms: 'r', ioAddr: IO });
  const cdata = l.add('cdata', N * 2048);
  const config: NetCopyConfig = {
    virt: conn(virt, N, 0),
    client: conn(cli, N, 1),
    clientData: res(cdata),
    rxData: [dev(rxdma)],
  };
  const { api, rec, flush } = recordingApi('copier', l.space('copier'));
  const buf = Counters.buffer(COPIER_COUNTERS.length);
  const cp = new Copier(context(api, { config, options, counters: buf }));
  const counters = (): Record<string, number> => new Counters(COPIER_COUNTERS, buf).snapshot();
  const virtRx = peerHandle(virt, N);
  const client = peerHandle(cli, N);
  /** virt_rx hands the copier DMA buffer `b` holding `bytes`. */
  const give = (b: number, bytes: number[]): void => {
    new Uint8Array(rxdma.buffer!, b * 2048, bytes.length).set(bytes);
    virtRx.active.enqueue({ ioOrOffset: BigInt(b * 2048), len: bytes.length, oid: 0 });
  };
  return { cp, rec, flush, counters, virtRx, client, give, cdata, cli, virt };
}

describe('copier rx_return (C1)', () => {
  it('init gives the client every Rx buffer; a frame is copied into the client region', () => {
    const t = setup();
    t.cp.init();
    expect(t.client.free.length()).toBe(N);
    t.give(3, [1, 2, 3, 4, 5]);
    t.cp.rxReturn();
    t.flush();
    // post: the client got its buffer 0 with the bytes; virt_rx got DMA buffer 3 back, len kept.
    expect(entries(t.cli.active, N)).toEqual([{ io: 0n, len: 5, oid: 0 }]);
    expect([...new Uint8Array(t.cdata.buffer!, 0, 5)]).toEqual([1, 2, 3, 4, 5]);
    expect(entries(t.virt.free, N)).toEqual([{ io: 3n * 2048n, len: 5, oid: 0 }]);
    expect(t.rec.notified).toEqual([1]);
    expect(t.rec.deferred).toEqual([0]);
  });

  it('drops when the client has no free buffer, and still returns the DMA buffer (F15 fixed)', () => {
    const t = setup();
    t.cp.init();
    while (t.client.free.dequeue() !== null); // a slow client holding everything
    t.give(0, [9]);
    t.give(1, [9]);
    t.cp.rxReturn();
    expect(t.virtRx.active.empty()).toBe(true);
    expect(t.virtRx.free.length()).toBe(2);
    expect(t.counters()['dropped']).toBe(2);
  });

  it('with F15 it stops draining and holds the DMA buffers while the client is slow', () => {
    const t = setup({ bugs: ['F15'] });
    t.cp.init();
    while (t.client.free.dequeue() !== null);
    t.give(0, [9]);
    t.cp.rxReturn();
    expect(t.virtRx.active.length()).toBe(1);
    expect(t.virtRx.free.empty()).toBe(true);
  });

  it('refuses garbage client offsets (bounded) and drops instead of copying outside the region', () => {
    const t = setup();
    t.cp.init();
    while (t.client.free.dequeue() !== null);
    for (let i = 0; i < N; i++)
      t.client.free.enqueue({ ioOrOffset: BigInt(N * 2048 + i), len: 0, oid: 0 });
    t.give(0, [7, 7]);
    t.cp.rxReturn();
    expect(t.counters()['rejectedOffset']).toBe(N);
    expect(t.counters()['copied']).toBe(0);
    expect(t.virtRx.free.length()).toBe(1);
  });

  it('a client whose active queue claims to be full loses the copy, never the DMA buffer', () => {
    const t = setup();
    t.cp.init();
    new DataView(t.cli.active.buffer!).setUint16(0, N, true); // tail = head + N
    t.give(0, [1]);
    t.cp.rxReturn();
    expect(t.counters()['clientActiveFull']).toBe(1);
    expect(t.virtRx.free.length()).toBe(1);
  });
});
