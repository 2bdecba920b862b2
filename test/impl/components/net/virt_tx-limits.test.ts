// virt_tx's bounds on what one client may cost per pass, and its set-up checks (issue 9 part 3,
// catalogue O2/O3; impl/components/net/virt_tx.ts): the per-pass budget, the refusal limit, a full
// driver queue, clients with two data regions, the signalling conditions on both sides, a bounded
// tx_return, and the cache-clean hook's mapping check.
import { describe, expect, it } from 'vitest';
import {
  MAX_REFUSALS_PER_PASS,
  VIRT_TX_COUNTERS,
  VirtTx,
  checkedCacheClean,
  virtTxComponent,
} from '../../../../impl/components/net/virt_tx.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import { SystemCounter } from '../../../../impl/components/net/clock.ts';
import type { NetVirtTxConfig } from '../../../../impl/components/net/config.ts';
import type { TxPolicySpec } from '../../../../impl/components/net/tx_policy.ts';
import { InvariantError } from '../../../../spec/common/assert.ts';
import { Layout, conn, context, dev, entries, peerHandle, recordingApi } from './fixture.ts';
import type { NetQueueHandle } from '../../../../impl/queue/net.ts';

const CAP = 8;
const DRV_CAP = 4;
const IO0 = 0x5fd0_0000n;
const IO1 = 0x5fc0_0000n;
const IO2 = 0x1_0000_0000n; // client 0's second region, above 4 GiB

function setup(o: { policy?: TxPolicySpec; drvCap?: number; clientCap?: number } = {}) {
  const drvCap = o.drvCap ?? DRV_CAP;
  const cap = o.clientCap ?? CAP;
  const l = new Layout();
  const drv = l.pair('drv', drvCap);
  const cl = [l.pair('c0', cap), l.pair('c1', cap)];
  const d0 = l.add('data0', 2 * 2048, { perms: 'r', ioAddr: IO0 });
  const d0b = l.add('data0b', 2 * 2048, { perms: 'r', ioAddr: IO2 });
  const d1 = l.add('data1', cap * 2048, { perms: 'r', ioAddr: IO1 });
  const config: NetVirtTxConfig = {
    driver: conn(drv, drvCap, 0),
    clients: [
      {
        conn: conn(cl[0]!, cap, 1),
        regions: [
          { data: dev(d0), numBuffers: 2 },
          { data: dev(d0b), numBuffers: 2 },
        ],
      },
      { conn: conn(cl[1]!, cap, 2), regions: [{ data: dev(d1), numBuffers: cap }] },
    ],
  };
  const { api, rec, flush } = recordingApi('net_virt_tx', l.space('net_virt_tx'));
  const counterBuf = Counters.buffer(VIRT_TX_COUNTERS.length);
  const clock = SystemCounter.create();
  const params = {
    config,
    options: { policy: o.policy ?? { kind: 'priority' } },
    counters: counterBuf,
    systemCounter: clock.buffer,
  };
  const v = new VirtTx(context(api, params));
  const counters = (): Record<string, number> =>
    new Counters(VIRT_TX_COUNTERS, counterBuf).snapshot();
  const client = cl.map((p) => peerHandle(p, cap));
  const driver = peerHandle(drv, drvCap);
  return { v, rec, flush, client, driver, drv, cl, counters, config, api, params, l };
}

/** The driver sends everything in its queue and returns each buffer. */
function driverReturnsAll(t: ReturnType<typeof setup>): void {
  for (let d = t.driver.active.dequeue(); d !== null; d = t.driver.active.dequeue())
    t.driver.free.enqueue({ ioOrOffset: d.ioOrOffset, len: 0, oid: 0 });
}

describe('virt_tx: one client per pass', () => {
  it('a budget of 2 packets per pass: the rest wait in the queue, the client sleeps armed', () => {
    const t = setup({ policy: { kind: 'priority', budget: 2 }, drvCap: 16 });
    for (let i = 0; i < 5; i++)
      t.client[1]!.active.enqueue({ ioOrOffset: BigInt(i * 2048), len: 60, oid: 0 });
    t.v.notified();
    expect(t.driver.active.length()).toBe(2);
    expect(t.client[1]!.active.length()).toBe(3);
    // Out of budget with work left: it sleeps armed (flag 0 = wants a signal) and is served on
    // its next notification.
    expect(t.client[1]!.active.requireSignal()).toBe(true);
    t.v.notified();
    expect(t.driver.active.length()).toBe(4);
    t.v.notified();
    expect(t.driver.active.length()).toBe(5);
    expect(t.client[1]!.active.empty()).toBe(true);
  });

  it('after MAX_REFUSALS_PER_PASS refusals a client loses the rest of its pass', () => {
    const t = setup({ clientCap: 64, drvCap: 16 });
    for (let i = 0; i < MAX_REFUSALS_PER_PASS + 3; i++)
      t.client[1]!.active.enqueue({ ioOrOffset: 100n, len: 60, oid: 0 });
    t.client[1]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    // An honest client behind it is served in the same pass.
    t.client[0]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    t.v.notified();
    expect(t.counters()['rejectedOffset']).toBe(MAX_REFUSALS_PER_PASS);
    expect(t.client[1]!.active.length()).toBe(4);
    expect(entries(t.drv.active, 16).map((e) => e.io)).toEqual([IO0]);
    t.v.notified();
    expect(t.counters()['rejectedOffset']).toBe(MAX_REFUSALS_PER_PASS + 3);
    expect(entries(t.drv.active, 16).map((e) => e.io)).toEqual([IO0, IO1]);
  });

  it('duplicates count against the refusal limit too', () => {
    const t = setup({ clientCap: 64, drvCap: 16 });
    t.client[1]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    for (let i = 0; i < MAX_REFUSALS_PER_PASS + 1; i++)
      t.client[1]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    t.v.notified();
    expect(t.counters()['rejectedDuplicate']).toBe(MAX_REFUSALS_PER_PASS);
    expect(t.client[1]!.active.length()).toBe(1);
  });

  it('a queue claiming more than its capacity is not served at all this pass, and is counted', () => {
    const t = setup();
    t.client[1]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    new DataView(t.cl[0]!.active.buffer!).setUint16(0, CAP + 1, true);
    t.v.notified();
    expect(t.counters()['corruptQueue']).toBe(1);
    expect(entries(t.drv.active, DRV_CAP).map((e) => e.io)).toEqual([IO1]);
    // Exactly at its capacity a queue is served.
    const u = setup();
    for (let i = 0; i < CAP; i++)
      u.client[1]!.active.enqueue({ ioOrOffset: BigInt(i * 2048), len: 60, oid: 0 });
    u.v.notified();
    expect(u.counters()['corruptQueue']).toBe(0);
    expect(u.driver.active.length()).toBe(DRV_CAP);
  });
});

describe('virt_tx: the driver queue full', () => {
  it('stops at the capacity, counts it, and serves the rest once the driver returns buffers', () => {
    const t = setup();
    for (let i = 0; i < 6; i++)
      t.client[1]!.active.enqueue({ ioOrOffset: BigInt(i * 2048), len: 60, oid: 0 });
    t.v.notified();
    expect(t.driver.active.length()).toBe(DRV_CAP);
    expect(t.counters()['driverActiveFull']).toBeGreaterThan(0);
    expect(t.client[1]!.active.length()).toBe(2);
    // The client is armed: its packets wait for the driver, not for it.
    expect(t.client[1]!.active.requireSignal()).toBe(true);
    driverReturnsAll(t);
    t.v.notified();
    expect(t.driver.active.length()).toBe(2);
    expect(t.client[1]!.active.empty()).toBe(true);
    expect(entries(t.cl[1]!.free, CAP)).toHaveLength(DRV_CAP);
  });
});

describe('virt_tx: clients with two data regions', () => {
  it('oid selects the region: translation, in-flight tracking and return per region', () => {
    const t = setup({ drvCap: 16 });
    t.client[0]!.active.enqueue({ ioOrOffset: 2048n, len: 60, oid: 0 });
    t.client[0]!.active.enqueue({ ioOrOffset: 2048n, len: 70, oid: 1 });
    t.client[0]!.active.enqueue({ ioOrOffset: 0n, len: 80, oid: 1 });
    t.client[0]!.active.enqueue({ ioOrOffset: 4096n, len: 80, oid: 1 }); // past region 1
    t.v.notified();
    expect(entries(t.drv.active, 16)).toEqual([
      { io: IO0 + 2048n, len: 60, oid: 0 },
      { io: IO2 + 2048n, len: 70, oid: 0 },
      { io: IO2, len: 80, oid: 0 },
    ]);
    expect(t.counters()['rejectedDuplicate']).toBe(0);
    expect(t.counters()['rejectedOffset']).toBe(1);
    t.client[0]!.free.dequeue(); // the refused one
    driverReturnsAll(t);
    t.v.notified();
    expect(entries(t.cl[0]!.free, CAP)).toEqual([
      { io: 2048n, len: 0, oid: 0 },
      { io: 2048n, len: 0, oid: 1 },
      { io: 0n, len: 0, oid: 1 },
    ]);
    // Each buffer is out of flight again: all three may go once more.
    for (let e = t.client[0]!.free.dequeue(); e !== null; e = t.client[0]!.free.dequeue())
      t.client[0]!.active.enqueue({ ioOrOffset: e.ioOrOffset, len: 60, oid: e.oid });
    t.v.notified();
    expect(t.driver.active.length()).toBe(3);
    expect(t.counters()['rejectedDuplicate']).toBe(0);
  });

  it('tx_return: an I/O address one past a region, or not on a buffer boundary, is nobody’s', () => {
    const t = setup();
    for (const io of [IO0 + 2n * 2048n, IO0 + 100n, IO0 - 2048n, IO1 + BigInt(CAP * 2048)])
      t.driver.free.enqueue({ ioOrOffset: io, len: 0, oid: 0 });
    t.v.notified();
    expect(t.counters()['unknownReturn']).toBe(4);
    expect(t.counters()['returned']).toBe(0);
    // The last buffer of each region is someone's.
    t.client[0]!.active.enqueue({ ioOrOffset: 2048n, len: 60, oid: 1 });
    t.client[1]!.active.enqueue({ ioOrOffset: BigInt((CAP - 1) * 2048), len: 60, oid: 0 });
    t.v.notified();
    driverReturnsAll(t);
    t.v.notified();
    expect(t.counters()['returned']).toBe(2);
  });

  it('tx_return is bounded when the driver free queue claims 65535 entries', () => {
    const t = setup();
    new DataView(t.drv.free.buffer!).setUint16(0, 0xffff, true);
    t.v.notified();
    expect(t.counters()['returned']).toBe(0);
    expect(t.counters()['unknownReturn']).toBe(2 * DRV_CAP);
  });
});

describe('virt_tx: signalling', () => {
  it('the driver is notified (deferred) only for new work and only when it asked', () => {
    const t = setup();
    t.v.notified();
    t.flush();
    expect(t.rec.deferred).toEqual([]);
    t.client[1]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    t.v.notified();
    t.flush();
    expect(t.rec.deferred).toEqual([0]);
    // The driver has not re-armed: more work, no second notification.
    t.client[1]!.active.enqueue({ ioOrOffset: 2048n, len: 60, oid: 0 });
    t.v.notified();
    t.flush();
    expect(t.rec.deferred).toEqual([0]);
    expect(t.driver.active.requireSignal()).toBe(false);
  });

  it('a client is notified of returned buffers only when it asked', () => {
    const t = setup();
    t.client[1]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    t.client[1]!.active.enqueue({ ioOrOffset: 2048n, len: 60, oid: 0 });
    t.v.notified();
    // Client 1 does not want a signal on its free queue.
    t.client[1]!.free.cancelSignal();
    driverReturnsAll(t);
    t.v.notified();
    expect(t.rec.notified).toEqual([]);
    expect(t.client[1]!.free.length()).toBe(2);
    // Armed again: the next return notifies it, and only it.
    t.client[1]!.free.requestSignal();
    t.client[1]!.active.enqueue({ ioOrOffset: 4096n, len: 60, oid: 0 });
    t.v.notified();
    driverReturnsAll(t);
    t.v.notified();
    expect(t.rec.notified).toEqual([2]);
  });

  it('init serves what the clients queued before it (a restarted virt_tx)', () => {
    const t = setup();
    t.client[1]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    t.v.init();
    expect(t.driver.active.length()).toBe(1);
  });

  it('the component wrapper runs init and notified, and hands its state to a probe', () => {
    const t = setup();
    let seen: unknown = null;
    const c = virtTxComponent(context(t.api, { ...t.params, probe: (s: unknown) => (seen = s) }));
    expect(seen).toHaveProperty('inflight');
    t.client[1]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    c.init();
    expect(t.driver.active.length()).toBe(1);
    t.client[1]!.active.enqueue({ ioOrOffset: 2048n, len: 60, oid: 0 });
    c.notified(0);
    expect(t.driver.active.length()).toBe(2);
    expect((seen as { inflight: Uint8Array[] }).inflight[1]![1]).toBe(1);
  });
});

describe('virt_tx: set-up checks and the cache-clean hook', () => {
  it('the bandwidth policy needs the system counter; regions must lie below 2^52', () => {
    const t = setup();
    const noClock = { ...t.params, systemCounter: undefined };
    expect(
      () =>
        new VirtTx(
          context(t.api, {
            ...noClock,
            options: { policy: { kind: 'bandwidth', bytesPerSecond: [1, 1] } },
          }),
        ),
    ).toThrow(/the bandwidth policy reads the system counter/);
    expect(() => new VirtTx(context(t.api, noClock))).not.toThrow();
    const high = structuredClone(t.config) as NetVirtTxConfig;
    (high.clients[1]!.regions[0]!.data as { ioAddr: bigint }).ioAddr = 1n << 52n;
    expect(() => new VirtTx(context(t.api, { ...t.params, config: high }))).toThrow(/below 2\^52/);
  });

  it('checkedCacheClean: a mapped readable range passes; anything else is our bug', () => {
    const t = setup();
    const base = t.config.clients[0]!.regions[0]!.data.vaddr;
    expect(() => checkedCacheClean(t.api, base, 2 * 2048)).not.toThrow();
    expect(() => checkedCacheClean(t.api, base, 2 * 2048 + 0x1000)).toThrow(InvariantError);
    expect(() => checkedCacheClean(t.api, 0x10, 4)).toThrow(
      /cache_clean of \[0x10, \+4\) is mapped/,
    );
  });

  it('the default hook is the checked clean: a region the PD does not map stops virt_tx', () => {
    const t = setup();
    const bad = structuredClone(t.config) as NetVirtTxConfig;
    (bad.clients[1]!.regions[0]!.data as { vaddr: number }).vaddr = 0x10_0000;
    const v = new VirtTx(context(t.api, { ...t.params, config: bad }));
    t.client[1]!.active.enqueue({ ioOrOffset: 0n, len: 60, oid: 0 });
    expect(() => v.notified()).toThrow(InvariantError);
  });
});

describe('virt_tx: the re-checks after request_signal', () => {
  /** Runs `peer` once, inside virt_tx's next request_signal on `q`. */
  const inWindow = (q: NetQueueHandle['active'], peer: () => void): void => {
    const request = q.requestSignal.bind(q);
    let once = true;
    q.requestSignal = () => {
      if (once) {
        once = false;
        peer();
      }
      request();
    };
  };
  const send = (t: ReturnType<typeof setup>, c: number, offset: number): void =>
    void t.client[c]!.active.enqueue({ ioOrOffset: BigInt(offset), len: 60, oid: 0 });

  it('a pass leaves every client asked to signal, even one that had cancelled it', () => {
    const t = setup();
    t.client[0]!.active.cancelSignal();
    t.client[1]!.active.cancelSignal();
    t.v.notified();
    expect(t.client[0]!.active.requireSignal()).toBe(true);
    expect(t.client[1]!.active.requireSignal()).toBe(true);
  });

  it('a packet a client queues in the window is forwarded in the same pass (budget left)', () => {
    const t = setup();
    send(t, 1, 0);
    const clients = (t.v as unknown as { clients: NetQueueHandle[] }).clients;
    inWindow(clients[1]!.active, () => send(t, 1, 2048));
    t.v.notified();
    expect(t.counters()['forwarded']).toBe(2);
    expect(t.client[1]!.active.empty()).toBe(true);
    expect(t.client[1]!.active.requireSignal()).toBe(true);
  });

  it('a buffer the driver returns in the window goes back to its client in the same pass', () => {
    const t = setup();
    send(t, 1, 0);
    send(t, 1, 2048);
    t.v.notified();
    const sent = [t.driver.active.dequeue()!, t.driver.active.dequeue()!];
    t.driver.free.enqueue({ ioOrOffset: sent[0]!.ioOrOffset, len: 0, oid: 0 });
    const drv = (t.v as unknown as { drv: NetQueueHandle }).drv;
    inWindow(drv.free, () =>
      t.driver.free.enqueue({ ioOrOffset: sent[1]!.ioOrOffset, len: 0, oid: 0 }),
    );
    t.v.notified();
    expect(t.counters()['returned']).toBe(2);
    expect(t.driver.free.empty()).toBe(true);
    expect(t.driver.free.requireSignal()).toBe(true);
  });
});
