// The i.MX ENET driver (impl/drivers/net/imx.ts; upstream drivers/network/imx/ethernet.c at
// 650ace5d) on the emulated ENET-like NIC (impl/hw/enet.ts, strict): eth_setup, the four handlers
// and the IRQ path as spec/components/net/driver.ts has them, the BDs through the spec's
// driver-side functions, restart reclaim; each seeded re-check removal losing progress in the
// window the model checker finds (catalogue no-rx-recheck / no-tx-recheck); and the echo server
// end to end on the ENET, in synchronous and in adversarial (agent) device timing.
import { describe, expect, it } from 'vitest';
import {
  ENET_DRIVER_COUNTERS,
  ENET_META_MAGIC,
  ENET_META_OFF,
  EnetDriver,
  EnetMeta,
  enetInflightBuffers,
  type EnetDriverOptions,
} from '../../../../impl/drivers/net/imx.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { NetDriverConfig } from '../../../../impl/components/net/config.ts';
import { Iommu } from '../../../../impl/mem/iommu.ts';
import type { DmaPort } from '../../../../impl/mem/types.ts';
import { Ecr, EnetIrq, EnetNicDevice, EnetReg } from '../../../../impl/hw/enet.ts';
import { ENET_IRQ_MASK } from '../../../../spec/devices/enet.ts';
import { InvariantError } from '../../../../spec/common/assert.ts';
import { runSystem, resultJson, type RunSystemOptions } from '../../../../impl/systems/run.ts';
import { runSystemWorkers } from '../../../../impl/systems/workers.ts';
import { parseFaultSpec } from '../../../../impl/runtime/faults.ts';
import { conn, dev, Layout, peerHandle, recordingApi, res } from '../../components/net/fixture.ts';

const RX_N = 8;
const TX_N = 8;
const RX_IO = 0x5fe0_0000n;
const TX_IO = 0x5fc0_0000n;
const RING_IO = 0x5fff_0000n;
const IRQ = 0;
const VIRT_RX = 1;
const VIRT_TX = 2;
const MAC = [0x52, 0x54, 0, 0x12, 0x34, 0x56];

function rig(o: { driver?: EnetDriverOptions; timing?: 'synchronous' | 'agent' } = {}) {
  const rxdma = new SharedArrayBuffer(RX_N * 2048);
  const txdata = new SharedArrayBuffer(TX_N * 2048);
  const ring = new SharedArrayBuffer(0x10000);
  const late: { port?: DmaPort } = {};
  const nic = new EnetNicDevice({
    name: 'enet',
    mac: new Uint8Array(MAC),
    dma: { read: (a, l) => late.port!.read(a, l), write: (a, d) => late.port!.write(a, d) },
    timing: o.timing ?? 'synchronous',
    strict: true,
  });
  const regions = new Map(
    (
      [
        ['ring', RING_IO, ring],
        ['rxdma', RX_IO, rxdma],
        ['txdata', TX_IO, txdata],
      ] as const
    ).map(([name, physAddr, buffer]) => [
      name,
      { name, physAddr, sizeBytes: buffer.byteLength, physFixed: true, buffer, mmio: null },
    ]),
  );
  const { iommu } = Iommu.build(regions, [
    { device: 'enet', ioMaps: [{ mr: 'ring' }, { mr: 'rxdma' }, { mr: 'txdata' }] },
  ]);
  late.port = iommu.portFor('enet');
  const sent: Uint8Array[] = [];
  nic.connect({ receiveFrame: (f) => void sent.push(f.slice()) });
  const l = new Layout();
  const regsR = l.add('regs', 0x1000, { mmio: nic });
  const ringR = l.add('ring', 0x10000, { ioAddr: RING_IO, buffer: ring });
  const rxq = l.pair('rx', RX_N);
  const txq = l.pair('tx', TX_N);
  const config: NetDriverConfig = {
    regs: res(regsR),
    hwRing: dev(ringR),
    irqId: IRQ,
    virtRx: conn(rxq, RX_N, VIRT_RX),
    virtTx: conn(txq, TX_N, VIRT_TX),
  };
  const space = l.space('ethernet_driver');
  const counterBuf = Counters.buffer(ENET_DRIVER_COUNTERS.length);
  const instance = (restarts = 0) => {
    const r = recordingApi('ethernet_driver', space);
    const d = new EnetDriver(
      r.api,
      config,
      // Small rings: the interesting states (full, empty, wrap) in a few frames.
      { rxCount: 4, txCount: 4, ...o.driver },
      new Counters(ENET_DRIVER_COUNTERS, counterBuf),
      restarts,
    );
    return { d, ...r };
  };
  const counters = (): Record<string, number> =>
    new Counters(ENET_DRIVER_COUNTERS, counterBuf).snapshot();
  const virtRx = peerHandle(rxq, RX_N);
  const virtTx = peerHandle(txq, TX_N);
  const rxBuf = (i: number): bigint => RX_IO + BigInt(2048 * i);
  const giveRx = (i: number): void =>
    void virtRx.free.enqueue({ ioOrOffset: rxBuf(i), len: 0, oid: 0 });
  const transmit = (b: number, f: Uint8Array): void => {
    new Uint8Array(txdata, b * 2048, f.length).set(f);
    virtTx.active.enqueue({ ioOrOffset: TX_IO + BigInt(2048 * b), len: f.length, oid: 0 });
  };
  /** The IRQ line, as the kernel delivers it, while it is asserted (bounded). */
  const irqs = (d: EnetDriver): number => {
    let n = 0;
    for (; n < 100 && nic.irqAsserted(); n++) d.notified(IRQ);
    return n;
  };
  return { nic, sent, ring, instance, counters, virtRx, virtTx, giveRx, rxBuf, transmit, irqs };
}

function frame(n: number, fill = 0xab): Uint8Array {
  const f = new Uint8Array(n).fill(fill);
  f.set(MAC, 0);
  return f;
}

function drain(q: { dequeue(): { ioOrOffset: bigint; len: number } | null }) {
  const out: { ioOrOffset: bigint; len: number }[] = [];
  for (let d = q.dequeue(); d !== null; d = q.dequeue()) out.push(d);
  return out;
}

describe('ENET driver: eth_setup and the handlers', () => {
  it('eth_setup leaves the NIC as sDDF does (DBSWP, ETHEREN, RXF|TXF|EBERR unmasked), Rx ring full, no driver error', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const { d } = t.instance();
    d.init();
    expect(t.nic.errorCount).toBe(0);
    expect(t.nic.enabled).toBe(true);
    expect(t.nic.read32(EnetReg.ECR) & (Ecr.DBSWP | Ecr.ETHEREN)).toBe(Ecr.DBSWP | Ecr.ETHEREN);
    expect(t.nic.eimr).toBe((ENET_IRQ_MASK | EnetIrq.EBERR) >>> 0);
    expect(t.nic.rdarActive).toBe(true);
    expect(t.counters()['rxPosted']).toBe(4); // the ring holds 4; 4 wait in the free queue
    expect(t.virtRx.free.length()).toBe(4);
    // The ring is full: rx_provide cancels its signal (upstream: no notification wanted).
    expect(t.virtRx.free.requireSignal()).toBe(false);
    const inflight = enetInflightBuffers(t.ring);
    expect(inflight?.rx).toEqual([0, 1, 2, 3].map(t.rxBuf));
    expect(new Uint32Array(t.ring, ENET_META_OFF, 1)[EnetMeta.magic]).toBe(ENET_META_MAGIC);
  });

  it('rx: frames come up as I/O address + BD length (FCS included, as upstream), the ring is refilled in the IRQ path, wrapping at W', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const { d, rec } = t.instance();
    d.init();
    const up: { ioOrOffset: bigint; len: number }[] = [];
    for (let n = 0; n < 6; n++) {
      t.nic.receiveFrame(frame(60 + n));
      expect(t.irqs(d)).toBeGreaterThan(0);
      up.push(...drain(t.virtRx.active));
      // virt_rx hands each buffer straight back.
      for (const b of up.splice(0)) {
        expect(b.len).toBe(60 + n + 4);
        t.virtRx.free.enqueue({ ioOrOffset: b.ioOrOffset, len: 0, oid: 0 });
      }
    }
    expect(t.nic.stats.rxFrames).toBe(6);
    expect(t.nic.stats.rxDroppedNoDescriptor).toBe(0);
    expect(t.counters()['rxReturned']).toBe(6);
    expect(rec.notified.filter((c) => c === VIRT_RX).length).toBeGreaterThan(0);
    expect(t.nic.errorCount).toBe(0);
  });

  it('tx beyond the ring: on TXF the IRQ path runs tx_return then tx_provide, so every buffer goes out (F4)', () => {
    const t = rig({ timing: 'agent' });
    const { d } = t.instance();
    d.init();
    for (let b = 0; b < 7; b++) t.transmit(b, frame(60, b));
    d.notified(VIRT_TX);
    expect(t.counters()['txPosted']).toBe(4); // the ring is full
    // The device's first action each step (take, send, the coalescing timer) until it is idle.
    for (let step = 0; step < 200 && t.nic.agentBusy(); step++) {
      t.nic.agentPerform(t.nic.agentActions()[0]!);
      t.irqs(d);
    }
    expect(t.nic.agentBusy()).toBe(false);
    expect(t.sent.map((f) => f[6])).toEqual([0, 1, 2, 3, 4, 5, 6].map((b) => frame(60, b)[6]));
    expect(drain(t.virtTx.free).length).toBe(7);
    expect(t.nic.errorCount).toBe(0);
  });

  it('the driver’s view refuses the device-private words of the spec (rxNext, txNext)', () => {
    const t = rig();
    const { d } = t.instance();
    d.init();
    expect(() => d.view.read(d.nic.rxNext)).toThrow(InvariantError);
    expect(() => d.view.write(d.nic.txNext, 0)).toThrow(InvariantError);
  });

  it('a restarted driver reclaims what its rings held: Rx re-posted after the reset, Tx returned', () => {
    const t = rig({ timing: 'agent' });
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const first = t.instance();
    first.d.init();
    for (let b = 0; b < 3; b++) t.transmit(b, frame(60, b));
    first.d.notified(VIRT_TX); // posted; the device has not taken them (agent timing)
    const second = t.instance(1);
    second.d.init();
    const c = t.counters();
    expect(c['recoveredRx']).toBe(4);
    expect(c['recoveredTx']).toBe(3);
    expect(drain(t.virtTx.free).map((x) => x.ioOrOffset)).toEqual(
      [0, 1, 2].map((b) => TX_IO + BigInt(2048 * b)),
    );
    expect(enetInflightBuffers(t.ring)?.rx).toEqual([0, 1, 2, 3].map(t.rxBuf));
    expect(t.virtRx.free.length()).toBe(4);
    t.nic.receiveFrame(frame(64));
    t.nic.agentPerform({ kind: 'rx-frame' });
    t.irqs(second.d);
    expect(drain(t.virtRx.active).map((x) => x.ioOrOffset)).toEqual([t.rxBuf(0)]);
    expect(t.nic.errorCount).toBe(0);
  });
});

/**
 * The window of the model checker's traces (catalogue no-rx-recheck / no-tx-recheck, the
 * virtualiser on another core): the driver's loop has found its queue empty, and before its
 * request_signal the virtualiser enqueues one buffer and sees no signal wanted (it cancelled it
 * itself when it sent the notification this handler is consuming), so it does not notify. Nothing
 * is in flight to bring the driver back. The deterministic runtime cannot open this window (its
 * handlers do not interleave: see the end-to-end tests), so it is opened here: the virtualiser's
 * steps run at the driver's request_signal.
 */
function inWindow(q: { requestSignal(): void }, virtualiser: () => void): void {
  const requestSignal = q.requestSignal.bind(q);
  let once = true;
  q.requestSignal = () => {
    if (once) {
      once = false;
      virtualiser();
    }
    requestSignal();
  };
}

describe('ENET driver: the re-check after request_signal (seeded bugs)', () => {
  for (const rxRecheck of [true, false]) {
    it(`rx_provide ${rxRecheck ? 'with' : 'without'} the re-check: a buffer returned in the window is ${rxRecheck ? 'posted' : 'stranded, and every frame is dropped'}`, () => {
      const t = rig({ driver: { rxRecheck } });
      const { d } = t.instance();
      d.init(); // no Rx buffers yet: the ring is empty, a signal is wanted
      // The trace's state: virt_rx cancelled the signal when it notified the driver of a buffer
      // an earlier rx_provide already took (it has been filled and gone up since); the driver
      // now takes that late notification, and in its window virt_rx returns buffer 1.
      expect(t.virtRx.free.requireSignal()).toBe(true);
      t.virtRx.free.cancelSignal();
      inWindow(d.rxQueue.free, () => {
        t.giveRx(1);
        expect(t.virtRx.free.requireSignal()).toBe(false); // so virt_rx does not notify
      });
      d.notified(VIRT_RX);
      for (let n = 0; n < 3; n++) {
        t.nic.receiveFrame(frame(60));
        t.irqs(d);
      }
      if (rxRecheck) {
        expect(t.nic.stats.rxFrames).toBe(1);
        expect(drain(t.virtRx.active).map((x) => x.ioOrOffset)).toEqual([t.rxBuf(1)]);
      } else {
        expect(t.nic.stats.rxFrames).toBe(0);
        expect(t.nic.stats.rxDroppedNoDescriptor).toBe(3);
        expect(t.virtRx.free.length()).toBe(1); // the buffer waits, and nothing will wake the driver
      }
      expect(t.nic.errorCount).toBe(0);
    });
  }

  for (const txRecheck of [true, false]) {
    it(`tx_provide ${txRecheck ? 'with' : 'without'} the re-check: a packet enqueued in the window is ${txRecheck ? 'sent' : 'never sent'}`, () => {
      const t = rig({ driver: { txRecheck } });
      const { d } = t.instance();
      d.init();
      // A late notification: virt_tx notified (cancelling the signal) for a packet an earlier
      // tx_provide already sent; this one finds nothing, and virt_tx enqueues in its window.
      t.virtTx.active.cancelSignal();
      inWindow(d.txQueue.active, () => {
        t.transmit(0, frame(60, 7));
        expect(t.virtTx.active.requireSignal()).toBe(false);
      });
      d.notified(VIRT_TX);
      t.irqs(d);
      expect(t.sent.length).toBe(txRecheck ? 1 : 0);
      expect(t.virtTx.active.length()).toBe(txRecheck ? 0 : 1);
      expect(t.nic.errorCount).toBe(0);
    });
  }
});

describe('the echo server on the ENET NIC', () => {
  const base: RunSystemOptions = { packets: 400, seed: 1, nic: 'enet' };
  const check = (o: RunSystemOptions) => {
    const { result, errors } = runSystem(o);
    expect(errors).toEqual([]);
    const r = result!;
    return {
      r,
      summary: {
        ok: r.ok,
        status: r.status,
        answered: r.generator.answered,
        lost: r.generator.lost,
        badReplies: r.generator.badReplies,
        invariantViolations: r.invariantViolations,
        deviceErrors: r.device.errors,
        unexpectedFaults: r.faults.unexpected.length,
      },
    };
  };
  const good = (expected: number) => ({
    ok: true,
    status: 'complete',
    answered: expected,
    lost: 0,
    badReplies: 0,
    invariantViolations: 0,
    deviceErrors: 0,
    unexpectedFaults: 0,
  });

  it('every echo is answered, 0 invariant violations, 0 driver errors (strict device); the same seed gives the same JSON', () => {
    const a = check({ ...base, packets: 1500 });
    expect(a.r.system).toBe('echo_server_enet');
    expect(a.summary).toEqual(good(a.r.generator.expected));
    expect(a.r.generator.expected).toBeGreaterThan(1400);
    expect(a.r.device.rxFrames).toBe(1500);
    expect(a.r.components['driver']!['rxReturned']).toBe(1500);
    const b = check({ ...base, packets: 1500 });
    const strip = (r: typeof a.r) => ({ ...resultJson(r), times: null });
    expect(strip(b.r)).toEqual(strip(a.r));
  });

  it('adversarial device timing (agent: the NIC acts at every register access, seeded): the correct driver never loses an echo', () => {
    for (let seed = 1; seed <= 6; seed++) {
      for (const schedule of ['priority', 'random'] as const) {
        const a = check({ ...base, seed, schedule, deviceTiming: {} });
        expect({ seed, schedule, ...a.summary }).toEqual({
          seed,
          schedule,
          ...good(a.r.generator.expected),
        });
      }
    }
  });

  it('a crashed driver restarts, reclaims the 256 Rx buffers its ring held, and every echo is answered', () => {
    const faults = parseFaultSpec('crash:ethernet_driver@60').script!;
    const a = check({ ...base, packets: 1000, faults });
    expect(a.summary).toEqual(good(a.r.generator.expected));
    expect(a.r.faults.injected).toBe(1);
    expect(a.r.restarts['ethernet_driver']).toBe(1);
    expect(a.r.components['driver']!['recoveredRx']).toBe(256);
  });

  it('--nic must match the system: the virtio system asked for an ENET is a located error', () => {
    const { result, errors } = runSystem({ packets: 1, seed: 1, nic: 'enet', system: 'echo' });
    expect(result).toBeDefined(); // `echo` with enet is the ENET variant
    const bad = runSystem({ packets: 1, seed: 1, nic: 'virtio', system: 'echo_server_enet' });
    expect(bad.result).toBeUndefined();
    expect(bad.errors[0]?.code).toBe('RUN_OPTIONS');
    expect(bad.errors[0]?.file).toMatch(/echo_server_enet\.system$/);
    expect(errors).toEqual([]);
  });
});

describe('the echo server on the ENET NIC, in worker mode', () => {
  it('every PD in its own worker, the ENET hosted in the driver’s: every echo answered, 0 violations, 0 driver errors', async () => {
    const { result, errors } = await runSystemWorkers({
      packets: 500,
      seed: 3,
      nic: 'enet',
      timeoutMs: 120_000,
    });
    expect(errors).toEqual([]);
    const r = result!;
    expect({
      mode: r.mode,
      system: r.system,
      status: r.status,
      ok: r.ok,
      invariantViolations: r.invariantViolations,
      answered: r.generator.answered,
      deviceErrors: r.device.errors,
    }).toEqual({
      mode: 'workers',
      system: 'echo_server_enet',
      status: 'complete',
      ok: true,
      invariantViolations: 0,
      answered: r.generator.expected,
      deviceErrors: 0,
    });
    expect(r.components['driver']!['rxReturned']).toBe(500);
  }, 180_000);

  it('refuses agent device timing (it needs the deterministic scheduler)', async () => {
    const { result, errors } = await runSystemWorkers({
      packets: 1,
      seed: 1,
      nic: 'enet',
      deviceTiming: {},
    });
    expect(result).toBeUndefined();
    expect(errors[0]?.code).toBe('RUN_WORKER_TIMING');
  });
});
