// virt_tx handlers (reference sddf-protocols.md §3.3), each with its pre- and post-condition, on real
// queue memory. The test stands at the other end of every queue.
import { describe, expect, it } from 'vitest';
import { VirtTx, VIRT_TX_COUNTERS } from '../../../../impl/components/net/virt_tx.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import { SystemCounter } from '../../../../impl/components/net/clock.ts';
import type { NetVirtTxConfig } from '../../../../impl/components/net/config.ts';
import type { TxPolicySpec } from '../../../../impl/components/net/tx_policy.ts';
import { Layout, conn, context, dev, entries, peerHandle, recordingApi } from './fixture.ts';

const CAP = 8; // buffers per client
const DRV_CAP = 16;
const IO = [0x5fd0_0000n, 0x5fc0_0000n];

function setup(policy: TxPolicySpec = { kind: 'priority' }) {
  const l = new Layout();
  const drv = l.pair('drv', DRV_CAP);
  const cl = [l.pair('c0', CAP), l.pair('c1', CAP)];
  const data = [
    l.add('data0', CAP * 2048, { perms: 'r', ioAddr: IO[0]! }),
    l.add('data1', CAP * 2048, { perms: 'r', ioAddr: IO[1]! }),
  ];
  const config: NetVirtTxConfig = {
    driver: conn(drv, DRV_CAP, 0),
    clients: cl.map((p, i) => ({
      conn: conn(p, CAP, i + 1),
      regions: [{ data: dev(data[i]!), numBuffers: CAP }],
    })),
  };
  const { api, rec, flush } = recordingApi('net_virt_tx', l.space('net_virt_tx'));
  const counterBuf = Counters.buffer(VIRT_TX_COUNTERS.length);
  const clock = SystemCounter.create();
  const v = new VirtTx(
    context(api, {
      config,
      options: { policy },
      counters: counterBuf,
      systemCounter: clock.buffer,
    }),
  );
  const counters = (): Record<string, number> =>
    new Counters(VIRT_TX_COUNTERS, counterBuf).snapshot();
  // Each client and the driver, as the test sees them.
  const client = cl.map((p) => peerHandle(p, CAP));
  const driver = peerHandle(drv, DRV_CAP);
  return { v, rec, flush, client, driver, drv, cl, counters, clock };
}

describe('virt_tx tx_provide (T1)', () => {
  it('translates a valid offset to the client region I/O address and notifies the driver (deferred)', () => {
    const t = setup();
    // pre: client 1 enqueued buffer 3 with 100 bytes; the driver wants a signal (zeroed flag).
    t.client[1]!.active.enqueue({ ioOrOffset: 3n * 2048n, len: 100, oid: 0 });
    t.v.notified();
    t.flush();
    // post: the driver's TxA holds the I/O address; the client queue is empty and armed.
    expect(entries(t.drv.active, DRV_CAP)).toEqual([{ io: IO[1]! + 3n * 2048n, len: 100, oid: 0 }]);
    expect(t.client[1]!.active.empty()).toBe(true);
    expect(t.rec.deferred).toEqual([0]);
    expect(t.counters()['forwarded']).toBe(1);
    expect(t.counters()['cacheCleanBytes']).toBe(100);
  });

  it.each([
    ['len 0', { ioOrOffset: 0n, len: 0, oid: 0 }, 'rejectedLen'],
    ['len > 2048', { ioOrOffset: 0n, len: 2049, oid: 0 }, 'rejectedLen'],
    ['oid beyond the regions', { ioOrOffset: 0n, len: 60, oid: 1 }, 'rejectedOid'],
    ['unaligned offset', { ioOrOffset: 100n, len: 60, oid: 0 }, 'rejectedOffset'],
    [
      'offset past the region',
      { ioOrOffset: BigInt(CAP * 2048), len: 60, oid: 0 },
      'rejectedOffset',
    ],
    ['offset beyond 2^53', { ioOrOffset: 1n << 60n, len: 60, oid: 0 }, 'rejectedOffset'],
  ] as const)('refuses %s: back to the client, nothing to the driver', (_what, d, counter) => {
    const t = setup();
    t.client[0]!.active.enqueue(d);
    t.v.notified();
    expect(t.driver.active.empty()).toBe(true);
    expect(t.counters()[counter]).toBe(1);
    const back = entries(t.cl[0]!.free, CAP);
    expect(back).toHaveLength(1);
    expect(back[0]!.io).toBe(d.ioOrOffset);
    expect(back[0]!.len).toBe(0);
    // A refusal notifies a client that asked to be woken (its TxF flag is zeroed at boot).
    expect(t.rec.notified).toEqual([1]);
  });

  it('refuses a buffer the client already has in flight (O2): the driver queue never double-holds it', () => {
    const t = setup();
    t.client[0]!.active.enqueue({ ioOrOffset: 2048n, len: 60, oid: 0 });
    t.client[0]!.active.enqueue({ ioOrOffset: 2048n, len: 60, oid: 0 });
    t.v.notified();
    expect(entries(t.drv.active, DRV_CAP)).toHaveLength(1);
    expect(t.counters()['rejectedDuplicate']).toBe(1);
    // Once the driver returns it, the same buffer may go again.
    const d = t.driver.active.dequeue()!;
    t.driver.free.enqueue({ ioOrOffset: d.ioOrOffset, len: 0, oid: 0 });
    t.v.notified();
    expect(t.client[0]!.free.dequeue()).toEqual({ ioOrOffset: 2048n, len: 0, oid: 0 });
    t.client[0]!.active.enqueue({ ioOrOffset: 2048n, len: 60, oid: 0 });
    t.v.notified();
    expect(entries(t.drv.active, DRV_CAP)).toHaveLength(1);
  });

  it('never enqueues past the driver queue capacity, whatever a client claims', () => {
    const t = setup();
    // A client rewrites its tail to claim 65535 entries (O3): garbage slots, bounded work.
    new DataView(t.cl[0]!.active.buffer!).setUint16(0, 0xffff, true);
    t.v.notified();
    expect(t.driver.active.length()).toBeLessThanOrEqual(DRV_CAP);
    expect(t.counters()['forwarded']).toBeLessThanOrEqual(CAP);
  });

  it('priority policy: client 0 drained before client 1 (upstream order)', () => {
    const t = setup({ kind: 'priority' });
    for (let i = 0; i < 3; i++)
      t.client[1]!.active.enqueue({ ioOrOffset: BigInt(i * 2048), len: 60, oid: 0 });
    for (let i = 0; i < 3; i++)
      t.client[0]!.active.enqueue({ ioOrOffset: BigInt(i * 2048), len: 60, oid: 0 });
    t.v.notified();
    const owners = entries(t.drv.active, DRV_CAP).map((e) => (e.io >= IO[0]! ? 0 : 1));
    expect(owners).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('round-robin policy: one packet per client in turn', () => {
    const t = setup({ kind: 'round-robin' });
    for (let i = 0; i < 3; i++)
      t.client[1]!.active.enqueue({ ioOrOffset: BigInt(i * 2048), len: 60, oid: 0 });
    for (let i = 0; i < 3; i++)
      t.client[0]!.active.enqueue({ ioOrOffset: BigInt(i * 2048), len: 60, oid: 0 });
    t.v.notified();
    const owners = entries(t.drv.active, DRV_CAP).map((e) => (e.io >= IO[0]! ? 0 : 1));
    expect(owners).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('bandwidth policy: a client out of tokens keeps its packets until time refills them', () => {
    const t = setup({ kind: 'bandwidth', bytesPerSecond: [4096, 1e9], burstBytes: [2048, 1e9] });
    for (let i = 0; i < 4; i++)
      t.client[0]!.active.enqueue({ ioOrOffset: BigInt(i * 2048), len: 1024, oid: 0 });
    t.v.notified();
    expect(t.driver.active.length()).toBe(2); // the 2048-byte burst
    expect(t.client[0]!.active.length()).toBe(2);
    expect(t.counters()['throttled']).toBeGreaterThan(0);
    t.clock.setVirtualNs(250_000_000); // 0.25 s at 4096 B/s: one more 1024-byte packet
    t.v.notified();
    expect(t.driver.active.length()).toBe(3);
  });
});

describe('virt_tx tx_return (T2)', () => {
  it('returns a driver-freed I/O address to the owning client as an offset and notifies it', () => {
    const t = setup();
    t.client[1]!.active.enqueue({ ioOrOffset: 5n * 2048n, len: 60, oid: 0 });
    t.v.notified();
    const d = t.driver.active.dequeue()!;
    t.driver.free.enqueue({ ioOrOffset: d.ioOrOffset, len: 0, oid: 0 });
    t.rec.notified.length = 0;
    t.v.notified();
    expect(entries(t.cl[1]!.free, CAP)).toEqual([{ io: 5n * 2048n, len: 0, oid: 0 }]);
    expect(t.rec.notified).toEqual([2]);
    expect(t.counters()['returned']).toBe(1);
  });

  it('counts an I/O address no client owns instead of asserting', () => {
    const t = setup();
    t.driver.free.enqueue({ ioOrOffset: 0x1234n, len: 0, oid: 0 });
    t.v.notified();
    expect(t.counters()['unknownReturn']).toBe(1);
    expect(t.client[0]!.free.empty() && t.client[1]!.free.empty()).toBe(true);
  });

  it('a client whose free queue looks full loses only its own buffer', () => {
    const t = setup();
    t.client[0]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    t.v.notified();
    const d = t.driver.active.dequeue()!;
    // The client writes tail = head + capacity: "full".
    new DataView(t.cl[0]!.free.buffer!).setUint16(0, CAP, true);
    t.driver.free.enqueue({ ioOrOffset: d.ioOrOffset, len: 0, oid: 0 });
    t.v.notified();
    expect(t.counters()['clientFreeFull']).toBe(1);
  });
});
