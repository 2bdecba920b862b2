// The client side (reference sddf-protocols.md §3.6): the native queue API (netif.ts), the stack,
// and both echo clients, with the test standing in for the copier and virt_tx. The two ways to
// wait for a Tx buffer: native arms the Tx free signal; lwip never does and retries on its tick.
import { describe, expect, it } from 'vitest';
import { echoClient } from '../../../impl/clients/echo.ts';
import { blockingEchoClient } from '../../../impl/clients/echo_blocking.ts';
import { SddfNetif, type TxWait } from '../../../impl/clients/net/netif.ts';
import { IpStack, MAX_PENDING_FRAMES } from '../../../impl/clients/net/stack.ts';
import {
  ARP_REPLY,
  ARP_REQUEST,
  BROADCAST_MAC,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  buildArp,
  buildIcmpEcho,
  buildUdp,
  parseArp,
  parseIcmpEcho,
  parseIpv4,
  parseUdp,
} from '../../../impl/clients/net/packet.ts';
import type { NetClientConfig } from '../../../impl/components/net/config.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../../../spec/signal/handshake.ts';
import {
  Layout,
  conn,
  context,
  entries,
  peerHandle,
  recordingApi,
  res,
} from '../components/net/fixture.ts';

const N = 8;
const ME = { mac: [0x52, 0x54, 1, 0, 0, 0x10], ip: 0x0a00020a };
const HOST = { mac: [0x52, 0x54, 0, 0x12, 0x34, 1], ip: 0x0a000201 };
const RX = 0;
const TX = 1;
const TIMER = 3;

function setup(_txWait: TxWait = 'native') {
  const l = new Layout();
  const rx = l.pair('rx', N);
  const tx = l.pair('tx', N);
  const rxData = l.add('rxdata', N * 2048);
  const txData = l.add('txdata', N * 2048);
  const config: NetClientConfig = {
    rx: conn(rx, N, RX),
    tx: conn(tx, N, TX),
    rxData: res(rxData),
    txData: res(txData),
    mac: ME.mac,
    ip: ME.ip,
  };
  const r = recordingApi('client0', l.space('client0'));
  const copier = peerHandle(rx, N);
  const virtTx = peerHandle(tx, N);
  let nextRx = 0;
  /** The copier delivers a frame into the client's Rx buffer `nextRx`. */
  const deliver = (f: Uint8Array): void => {
    const b = nextRx++ % N;
    new Uint8Array(rxData.buffer!, b * 2048, f.length).set(f);
    copier.active.enqueue({ ioOrOffset: BigInt(b * 2048), len: f.length, oid: 0 });
  };
  /** What the client transmitted, in order (consumed from TxA). */
  const taken = (): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let d = virtTx.active.dequeue(); d !== null; d = virtTx.active.dequeue()) {
      out.push(new Uint8Array(txData.buffer!, Number(d.ioOrOffset), d.len).slice());
      virtTx.free.enqueue({ ioOrOffset: d.ioOrOffset, len: 0, oid: 0 }); // and returned
    }
    return out;
  };
  const flag = (region: typeof tx.free): DataView => new DataView(region.buffer!);
  return { l, config, ...r, copier, virtTx, deliver, taken, rx, tx, flag, txData };
}

function udpTo(port: number, payload: number[]): Uint8Array {
  return buildUdp({
    dstMac: ME.mac,
    srcMac: HOST.mac,
    src: HOST.ip,
    dst: ME.ip,
    srcPort: 40000,
    dstPort: port,
    payload: new Uint8Array(payload),
  });
}

describe('native API (netif.ts)', () => {
  it('processRx hands every frame on, returns each buffer, and re-arms the Rx signal', () => {
    const t = setup();
    const netif = new SddfNetif(t.api, t.config, 'native');
    t.copier.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
    const seen: number[] = [];
    t.deliver(new Uint8Array([1, 2, 3]));
    t.deliver(new Uint8Array([4]));
    expect(netif.processRx((f) => seen.push(f.length))).toBe(2);
    expect(seen).toEqual([3, 1]);
    expect(entries(t.rx.free, N).map((e) => e.io)).toEqual([0n, 0n, 2048n]);
    expect(netif.state.notify_rx).toBe(true);
    expect(t.flag(t.rx.active).getUint32(4, true)).toBe(FLAG_WANTS_SIGNAL);
  });

  it('transmit copies into a free Tx buffer; with none free it flushes pending work to virt_tx (F14)', () => {
    const t = setup();
    const netif = new SddfNetif(t.api, t.config, 'native');
    netif.initBuffers();
    for (let i = 0; i < N; i++) expect(netif.transmit(new Uint8Array([i]))).toBe(true);
    expect(netif.state.notify_tx).toBe(true);
    expect(netif.transmit(new Uint8Array([9]))).toBe(false);
    // handle_empty_tx_free: virt_tx wants a signal (zeroed flag) → notified now.
    expect(t.rec.notified).toEqual([TX]);
    expect(netif.state.notify_tx).toBe(false);
    expect(netif.stats.txNoBuffer).toBe(1);
  });

  it('native mode arms the Tx free signal and re-checks; lwip mode never arms it', () => {
    for (const [mode, flagAfter] of [
      ['native', FLAG_WANTS_SIGNAL],
      ['lwip', FLAG_SIGNALLED],
    ] as const) {
      const t = setup(mode);
      const netif = new SddfNetif(t.api, t.config, mode);
      t.flag(t.tx.free).setUint32(4, FLAG_SIGNALLED, true);
      expect(netif.armTxFree()).toBe(false);
      expect(t.flag(t.tx.free).getUint32(4, true)).toBe(flagAfter);
    }
  });

  it('maybeNotify uses the deferred slot when it is free, an immediate notify when it is not', () => {
    const t = setup();
    const netif = new SddfNetif(t.api, t.config, 'native');
    netif.state.notify_rx = true;
    netif.state.notify_tx = true;
    netif.maybeNotify();
    t.flush();
    expect(t.rec.deferred).toEqual([RX]);
    expect(t.rec.notified).toEqual([TX]);
  });
});

describe('IP stack', () => {
  it('answers ARP for its own address only, and ping; delivers UDP to bound ports', () => {
    const t = setup();
    const netif = new SddfNetif(t.api, t.config, 'native');
    netif.initBuffers();
    const stack = new IpStack(netif, ME.mac, ME.ip);
    const got: number[][] = [];
    stack.udpBind(7, (d) => void got.push([...d.payload]));
    stack.input(
      buildArp({
        op: ARP_REQUEST,
        sha: HOST.mac,
        spa: HOST.ip,
        tha: [0, 0, 0, 0, 0, 0],
        tpa: ME.ip,
        dstMac: BROADCAST_MAC,
      }),
    );
    stack.input(
      buildArp({
        op: ARP_REQUEST,
        sha: HOST.mac,
        spa: HOST.ip,
        tha: [0, 0, 0, 0, 0, 0],
        tpa: ME.ip + 1,
        dstMac: BROADCAST_MAC,
      }),
    );
    stack.input(
      buildIcmpEcho({
        dstMac: ME.mac,
        srcMac: HOST.mac,
        src: HOST.ip,
        dst: ME.ip,
        type: ICMP_ECHO_REQUEST,
        ident: 1,
        seq: 2,
        data: new Uint8Array([5]),
      }),
    );
    stack.input(udpTo(7, [1, 2]));
    stack.input(udpTo(8, [3]));
    const out = t.taken();
    expect(out).toHaveLength(2);
    expect(parseArp(out[0]!)).toMatchObject({
      op: ARP_REPLY,
      sha: ME.mac,
      spa: ME.ip,
      tha: HOST.mac,
      tpa: HOST.ip,
    });
    const ip = parseIpv4(out[1]!)!;
    expect(parseIcmpEcho(out[1]!, ip)).toMatchObject({
      type: ICMP_ECHO_REPLY,
      ident: 1,
      seq: 2,
      data: new Uint8Array([5]),
    });
    expect(got).toEqual([[1, 2]]);
    expect(stack.stats).toMatchObject({
      arpReplies: 1,
      icmpReplies: 1,
      udpIn: 1,
      broadcastIn: 1,
      notForUs: 1,
    });
    expect(stack.macFor(HOST.ip)).toEqual(HOST.mac);
  });

  it('keeps at most MAX_PENDING_FRAMES waiting for Tx buffers, in order, and flushes them', () => {
    const t = setup();
    const netif = new SddfNetif(t.api, t.config, 'native');
    const stack = new IpStack(netif, ME.mac, ME.ip);
    for (let i = 0; i < MAX_PENDING_FRAMES + 3; i++) stack.output(new Uint8Array([i]));
    expect(stack.pendingCount).toBe(MAX_PENDING_FRAMES);
    expect(stack.stats.pendingDropped).toBe(3);
    for (let i = 0; i < N; i++)
      t.virtTx.free.enqueue({ ioOrOffset: BigInt(i * 2048), len: 0, oid: 0 });
    expect(stack.flushPending()).toBe(N);
    expect(t.taken().map((f) => f[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('echo clients', () => {
  const clientParams = (t: ReturnType<typeof setup>, txWait: TxWait) => ({
    config: t.config,
    txWait,
    udpPort: 1235,
    timer: { id: TIMER },
  });

  for (const [name, factory] of [
    ['native API', echoClient],
    ['blocking API', blockingEchoClient],
  ] as const) {
    it(`${name}: every UDP datagram comes back to its sender with the same payload`, () => {
      const t = setup();
      const c = factory(context(t.api, clientParams(t, 'native')));
      c.init();
      expect(t.rec.ppcalls).toHaveLength(1); // the lwIP tick
      for (let i = 0; i < 5; i++) t.deliver(udpTo(1235, [i, i, i]));
      c.notified(RX);
      const out = t.taken();
      expect(out).toHaveLength(5);
      out.forEach((f, i) => {
        const ip = parseIpv4(f)!;
        expect(ip.dst).toBe(HOST.ip);
        expect(parseUdp(f, ip)).toMatchObject({
          srcPort: 1235,
          dstPort: 40000,
          payload: new Uint8Array([i, i, i]),
        });
      });
    });

    it(`${name}, lwip mode: with no Tx buffer the echo waits for the timer tick, never arming TxF`, () => {
      const t = setup('lwip');
      const c = factory(context(t.api, clientParams(t, 'lwip')));
      c.init();
      while (t.virtTx.free.dequeue() !== null); // virt_tx holds every Tx buffer
      t.flag(t.tx.free).setUint32(4, FLAG_SIGNALLED, true);
      t.deliver(udpTo(1235, [7]));
      c.notified(RX);
      expect(t.virtTx.active.empty()).toBe(true);
      expect(t.flag(t.tx.free).getUint32(4, true)).toBe(FLAG_SIGNALLED);
      t.virtTx.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 }); // a buffer back, no signal
      c.notified(TIMER);
      expect(t.taken()).toHaveLength(1);
    });

    it(`${name}, native mode: with no Tx buffer the echo arms TxF and goes out when virt_tx returns one`, () => {
      const t = setup('native');
      const c = factory(context(t.api, clientParams(t, 'native')));
      c.init();
      while (t.virtTx.free.dequeue() !== null);
      t.flag(t.tx.free).setUint32(4, FLAG_SIGNALLED, true);
      t.deliver(udpTo(1235, [7]));
      c.notified(RX);
      expect(t.flag(t.tx.free).getUint32(4, true)).toBe(FLAG_WANTS_SIGNAL);
      t.virtTx.free.enqueue({ ioOrOffset: 0n, len: 0, oid: 0 });
      c.notified(TX); // virt_tx saw the armed flag and notified
      expect(t.taken()).toHaveLength(1);
    });
  }
});
