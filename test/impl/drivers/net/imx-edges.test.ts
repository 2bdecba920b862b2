// The i.MX ENET driver (impl/drivers/net/imx.ts) at its edges, each test with its pre- and
// post-condition (issue 9, issue 12 part 7: the net mutation run's survivors): the register values
// eth_setup leaves, a device that never settles, the driver's view of the spec's words, the
// restart metadata and its refusals, EBERR, bad Tx descriptors, who is notified when, the
// set-up asserts, and the component wrapper.
import { describe, expect, it } from 'vitest';
import {
  ENET_DRIVER_COUNTERS,
  ENET_MAX_PACKET_SIZE,
  ENET_META_MAGIC,
  ENET_META_OFF,
  ENET_RX_RING_OFF,
  ENET_TX_RING_OFF,
  EnetDriver,
  EnetDriverView,
  EnetMeta,
  enetDriver,
  enetDriverNic,
  enetInflightBuffers,
} from '../../../../impl/drivers/net/imx.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import { Ecr, EnetIrq, EnetReg, Mibc } from '../../../../impl/hw/enet.ts';
import { InvariantError } from '../../../../spec/common/assert.ts';
import { ENET_EIR_RXF, ENET_EIR_TXF } from '../../../../spec/devices/enet.ts';
import { context, recordingApi } from '../../components/net/fixture.ts';
import { IRQ, MAC, RING_IO, RX_N, TX_IO, VIRT_RX, VIRT_TX, drain, frame, rig } from './imx-rig.ts';

type Rig = ReturnType<typeof rig>;

const lastWrite = (t: Rig, off: number): number | undefined =>
  t.mmio.writes.filter(([o]) => o === off).at(-1)?.[1];

describe('ENET driver: eth_setup register values (ethernet.h at 650ace5d)', () => {
  it('writes each register as upstream does, the ring bases at the hw ring I/O address', () => {
    const t = rig();
    const { d } = t.instance();
    d.init();
    expect(lastWrite(t, EnetReg.MSCR)).toBe(24 << 1);
    expect(lastWrite(t, EnetReg.OPD)).toBe(1 << 16);
    expect(lastWrite(t, EnetReg.TXIC0)).toBe(((1 << 31) | (128 << 20) | 0xff) >>> 0);
    expect(lastWrite(t, EnetReg.TIPG)).toBe(8);
    expect(lastWrite(t, EnetReg.TFWR)).toBe(1 << 8);
    expect(lastWrite(t, EnetReg.RSFL)).toBe(0);
    expect(lastWrite(t, EnetReg.RACC)).toBe(0x46);
    expect(lastWrite(t, EnetReg.TACC)).toBe(0x18);
    expect(lastWrite(t, EnetReg.TCR)).toBe(1 << 2);
    expect(lastWrite(t, EnetReg.MRBR)).toBe(ENET_MAX_PACKET_SIZE);
    expect(lastWrite(t, EnetReg.RDSR)).toBe(Number(RING_IO) + ENET_RX_RING_OFF);
    expect(lastWrite(t, EnetReg.TDSR)).toBe(Number(RING_IO) + ENET_TX_RING_OFF);
    for (const r of [EnetReg.IAUR, EnetReg.IALR, EnetReg.GAUR, EnetReg.GALR])
      expect(lastWrite(t, r)).toBe(0);
    // MIBC: DIS, then DIS|CLEAR, then CLEAR off, then DIS off.
    const mibc = t.mmio.writes.filter(([o]) => o === EnetReg.MIBC).map(([, v]) => v & ~Mibc.IDLE);
    expect(mibc.map((v) => [(v & Mibc.DIS) !== 0, (v & Mibc.CLEAR) !== 0])).toEqual([
      [true, false],
      [true, true],
      [true, false],
      [false, false],
    ]);
    // ECR: RESET first; SPEED and ETHEREN set by the end, DBSWP kept.
    expect(t.mmio.writes.find(([o]) => o === EnetReg.ECR)![1]).toBe(Ecr.RESET);
    const ecr = t.nic.read32(EnetReg.ECR);
    expect(ecr & (Ecr.SPEED | Ecr.ETHEREN | Ecr.DBSWP)).toBe(Ecr.SPEED | Ecr.ETHEREN | Ecr.DBSWP);
    // Interrupts masked and cleared before the set-up, unmasked at its end.
    const eimr = t.mmio.writes.filter(([o]) => o === EnetReg.EIMR).map(([, v]) => v);
    expect(eimr[0]).toBe(0);
    expect(t.mmio.writes.filter(([o]) => o === EnetReg.EIR)[0]![1]).toBe(0xffff_ffff);
  });

  it('the MAC address survives the reset: PALR/PAUR written back when the reset cleared them, left alone otherwise', () => {
    const cleared = rig();
    const palr = ((MAC[0]! << 24) | (MAC[1]! << 16) | (MAC[2]! << 8) | MAC[3]!) >>> 0;
    cleared.mmio.reads.set(EnetReg.PALR, (v) => (cleared.mmio.writes.length > 0 ? 0 : v));
    cleared.instance().d.init();
    expect(lastWrite(cleared, EnetReg.PALR)).toBe(cleared.nic.read32(EnetReg.PALR));
    expect(cleared.mmio.writes.filter(([o]) => o === EnetReg.PALR)).toHaveLength(1);
    expect(cleared.mmio.writes.filter(([o]) => o === EnetReg.PAUR)).toHaveLength(1);
    expect(palr).toBe(cleared.nic.read32(EnetReg.PALR));
    const kept = rig();
    kept.instance().d.init();
    expect(kept.mmio.writes.filter(([o]) => o === EnetReg.PALR)).toEqual([]);
    expect(kept.mmio.writes.filter(([o]) => o === EnetReg.PAUR)).toEqual([]);
  });

  it('a device whose reset never completes, or whose MIB block never goes idle, is a system error', () => {
    const stuck = rig();
    stuck.mmio.reads.set(EnetReg.ECR, (v) => v | Ecr.RESET);
    expect(() => stuck.instance().d.init()).toThrow(/ECR.RESET self-clears/);
    const busy = rig();
    busy.mmio.reads.set(EnetReg.MIBC, (v) => v & ~Mibc.IDLE);
    expect(() => busy.instance().d.init()).toThrow(/the MIB block goes idle/);
    // A reset that takes a few polls is fine.
    const slow = rig();
    let polls = 0;
    slow.mmio.reads.set(EnetReg.ECR, (v) => (polls++ < 5 ? v | Ecr.RESET : v));
    expect(() => slow.instance().d.init()).not.toThrow();
  });
});

describe('ENET driver: set-up checks and the wrapper', () => {
  it('refuses ring capacities that are not powers of two, rings that do not fit, a ring above 4 GiB', () => {
    const t = rig();
    const mk = (o: { rxCount?: number; txCount?: number }, ioAddr = RING_IO) =>
      new EnetDriver(
        recordingApi('d', t.instance().api.mem).api,
        { ...t.config, hwRing: { ...t.config.hwRing, ioAddr } },
        o,
        new Counters(ENET_DRIVER_COUNTERS, t.counterBuf),
        0,
      );
    for (const o of [{ rxCount: 3 }, { txCount: 6 }, { rxCount: 0 }, { txCount: 0 }])
      expect(() => mk(o)).toThrow(/powers of two/);
    expect(() => mk({ rxCount: 4096 })).toThrow(/rings of 4096\/256 BDs fit/);
    expect(() => mk({ rxCount: 2048, txCount: 2048 })).not.toThrow();
    expect(() => mk({ txCount: 8192 })).toThrow(/fit the hw ring region/);
    expect(() => mk({}, 1n << 32n)).toThrow(/32-bit I\/O addresses/);
    expect(() => mk({}, (1n << 32n) - 0x10000n)).not.toThrow();
  });

  it('the wrapper builds the driver from its params, hands it to a probe, and runs init and notified', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    t.instance().d.init(); // a first instance fills the ring
    const r = recordingApi('ethernet_driver', t.instance().api.mem);
    let probed: EnetDriver | null = null;
    const c = enetDriver(
      context(
        r.api,
        {
          config: t.config,
          counters: t.counterBuf,
          options: { rxCount: 4, txCount: 4 },
          probe: (d: unknown) => (probed = d as EnetDriver),
        },
        1,
      ),
    );
    expect(probed).not.toBeNull();
    c.init();
    expect(probed!.state.live).toBe(true);
    expect(t.counters()['recoveredRx']).toBe(4); // restarts 1 reached the driver
    t.nic.receiveFrame(frame(60));
    for (let i = 0; i < 10 && t.nic.irqAsserted(); i++) c.notified(IRQ);
    expect(drain(t.virtRx.active)).toHaveLength(1);
    // Without a probe and options: 256-entry rings, at boot.
    const u = rig();
    const r2 = recordingApi('ethernet_driver', u.instance().api.mem);
    enetDriver(context(r2.api, { config: u.config, counters: u.counterBuf })).init();
    expect(new Uint32Array(u.ring, ENET_META_OFF, 3)[EnetMeta.rxCapacity]).toBe(256);
    expect(u.counters()['recoveredRx']).toBe(0);
  });
});

describe("ENET driver: the driver's view of the spec's words", () => {
  const regs = new Map<number, number>([
    [EnetReg.EIR, 0b1010],
    [EnetReg.EIMR, 0x11],
    [EnetReg.ECR, 0x22],
    [EnetReg.RDAR, 0x33],
    [EnetReg.TDAR, 0x44],
  ]);
  const make = () => {
    const buf = new ArrayBuffer(0x10000);
    const writes: [number, number][] = [];
    const v = new EnetDriverView(
      new DataView(buf),
      (off) => regs.get(off)!,
      (off, x) => void writes.push([off, x]),
    );
    return { v, buf, writes, nic: enetDriverNic(4, 8) };
  };

  it('registers read through; EIR is written back as the bits cleared from the value last read', () => {
    const { v, writes, nic } = make();
    expect([v.read(nic.eimr), v.read(nic.ecr), v.read(nic.rdar), v.read(nic.tdar)]).toEqual([
      0x11, 0x22, 0x33, 0x44,
    ]);
    expect(v.read(nic.eir)).toBe(0b1010);
    v.write(nic.eir, 0b0010); // the spec keeps bit 1, clears bit 3
    v.write(nic.eimr, 0x55);
    expect(writes).toEqual([
      [EnetReg.EIR, 0b1000],
      [EnetReg.EIMR, 0x55],
    ]);
  });

  it('ring words map onto the legacy BDs {u16 len; u16 stat; u32 addr}, little-endian, Rx then Tx', () => {
    const { v, buf, nic } = make();
    v.write(nic.rx.addr + 3, 0x1234_5678);
    v.write(nic.rx.stat + 3, 0x8000);
    v.write(nic.tx.addr + 7, 0xcafe_f00d);
    v.write(nic.tx.stat + 7, 0x0c00);
    v.setLen('rx', 3, 60);
    v.setLen('tx', 7, 1514);
    const dv = new DataView(buf);
    expect(dv.getUint16(ENET_RX_RING_OFF + 8 * 3, true)).toBe(60);
    expect(dv.getUint16(ENET_RX_RING_OFF + 8 * 3 + 2, true)).toBe(0x8000);
    expect(dv.getUint32(ENET_RX_RING_OFF + 8 * 3 + 4, true)).toBe(0x1234_5678);
    expect(dv.getUint16(ENET_TX_RING_OFF + 8 * 7, true)).toBe(1514);
    expect(dv.getUint16(ENET_TX_RING_OFF + 8 * 7 + 2, true)).toBe(0x0c00);
    expect(dv.getUint32(ENET_TX_RING_OFF + 8 * 7 + 4, true)).toBe(0xcafe_f00d);
    expect([v.read(nic.rx.addr + 3), v.read(nic.rx.stat + 3), v.len('rx', 3)]).toEqual([
      0x1234_5678, 0x8000, 60,
    ]);
    expect([v.read(nic.tx.addr + 7), v.read(nic.tx.stat + 7), v.len('tx', 7)]).toEqual([
      0xcafe_f00d, 0x0c00, 1514,
    ]);
    // Slot 0 of each ring is untouched.
    expect(new Uint8Array(buf, ENET_RX_RING_OFF, 8)).toEqual(new Uint8Array(8));
  });

  it('refuses device-private words, register writes the driver makes itself, and words past the rings', () => {
    const { v, nic } = make();
    for (const w of [nic.rxNext, nic.txNext, nic.txCoalesced])
      expect(() => v.read(w)).toThrow(/not the driver's to read/);
    for (const w of [nic.ecr, nic.rdar, nic.tdar, nic.rxNext, nic.txNext, nic.txCoalesced])
      expect(() => v.write(w, 0)).toThrow(/does not write spec word/);
    expect(() => v.read(5 * (1 << 16))).toThrow(InvariantError);
    expect(() => v.write(5 * (1 << 16), 0)).toThrow(/has no spec word/);
    expect(() => v.read(8)).toThrow(/has no spec word 8/);
  });
});

describe('ENET driver: restart metadata', () => {
  it('enetInflightBuffers: none in a region too small or without the magic', () => {
    expect(enetInflightBuffers(new ArrayBuffer(ENET_META_OFF + 27))).toBeNull();
    expect(enetInflightBuffers(new ArrayBuffer(ENET_META_OFF + 28))).toBeNull(); // no magic
    const t = rig();
    t.instance().d.init();
    expect(enetInflightBuffers(t.ring)).toEqual({ rx: [], tx: [] });
    new Uint32Array(t.ring, ENET_META_OFF, 1)[EnetMeta.magic] = ENET_META_MAGIC + 1;
    expect(enetInflightBuffers(t.ring)).toBeNull();
  });

  it('a restarted driver with other ring capacities, or no metadata, reclaims nothing', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    t.instance().d.init();
    const r = recordingApi('d', t.instance().api.mem);
    new EnetDriver(
      r.api,
      t.config,
      { rxCount: 8, txCount: 4 },
      new Counters(ENET_DRIVER_COUNTERS, t.counterBuf),
      1,
    ).init();
    expect(t.counters()).toMatchObject({ recoveredRx: 0, recoveredTx: 0 });
    const u = rig();
    u.instance(1).d.init(); // restarted, but nobody ever set the region up
    expect(u.counters()).toMatchObject({ recoveredRx: 0, recoveredTx: 0, rxPosted: 0 });
    expect(enetInflightBuffers(u.ring)).toEqual({ rx: [], tx: [] });
  });

  it('the HW ring indices are kept in the metadata: tail counts posts, head counts returns', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const { d } = t.instance();
    d.init();
    for (let n = 0; n < 2; n++) t.nic.receiveFrame(frame(60));
    t.irqs(d);
    const meta = new Uint32Array(t.ring, ENET_META_OFF, 7);
    expect([meta[EnetMeta.rxTail], meta[EnetMeta.rxHead]]).toEqual([6, 2]);
    expect([meta[EnetMeta.txTail], meta[EnetMeta.txHead]]).toEqual([0, 0]);
  });
});

describe('ENET driver: the IRQ path and the handlers at their edges', () => {
  it('EBERR is acknowledged and counted, and does not stop the other events', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const { d } = t.instance();
    d.init();
    t.nic.receiveFrame(frame(60));
    let eberr = true;
    t.mmio.reads.set(EnetReg.EIR, (v) => (eberr ? v | EnetIrq.EBERR : v));
    t.mmio.writes.length = 0;
    d.notified(IRQ);
    eberr = false;
    expect(t.counters()['busErrors']).toBeGreaterThanOrEqual(1);
    expect(t.mmio.writes).toContainEqual([EnetReg.EIR, EnetIrq.EBERR]);
    expect(drain(t.virtRx.active)).toHaveLength(1);
    // Without EBERR no such write and no count.
    const u = rig();
    const e = u.instance().d;
    e.init();
    u.nic.receiveFrame(frame(60));
    u.mmio.writes.length = 0;
    e.notified(IRQ);
    expect(u.counters()['busErrors']).toBe(0);
    expect(u.mmio.writes).not.toContainEqual([EnetReg.EIR, EnetIrq.EBERR]);
  });

  it('an IRQ with no event pending does nothing but ack (deferred), counting no round', () => {
    const t = rig();
    const { d, rec, flush } = t.instance();
    d.init();
    d.notified(IRQ);
    flush();
    expect(t.counters()).toMatchObject({ irqs: 1, irqRounds: 0 });
    expect(rec.deferredIrqAcks).toEqual([IRQ]);
  });

  it('bad Tx descriptors (len 0, len > 2048, an I/O address above 4 GiB) go back unsent, counted', () => {
    const t = rig();
    const { d } = t.instance();
    d.init();
    t.virtTx.active.enqueue({ ioOrOffset: TX_IO, len: 0, oid: 0 });
    t.virtTx.active.enqueue({ ioOrOffset: TX_IO + 2048n, len: 2049, oid: 0 });
    t.virtTx.active.enqueue({ ioOrOffset: TX_IO + (1n << 32n), len: 60, oid: 0 });
    t.transmit(3, frame(2048, 3));
    d.notified(VIRT_TX);
    t.irqs(d);
    expect(t.counters()['badTxLength']).toBe(3);
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]!.length).toBe(2048);
    expect(drain(t.virtTx.free).map((x) => [x.ioOrOffset, x.len])).toEqual([
      [TX_IO, 0],
      [TX_IO + 2048n, 0],
      [TX_IO + (1n << 32n), 0],
      [TX_IO + 3n * 2048n, 0],
    ]);
  });

  it('an Rx buffer above 4 GiB from virt_rx is our bug (the ring takes 32-bit addresses)', () => {
    const t = rig();
    const { d } = t.instance();
    d.init();
    t.virtRx.free.enqueue({ ioOrOffset: 1n << 32n, len: 0, oid: 0 });
    expect(() => d.notified(VIRT_RX)).toThrow(/32-bit I\/O addresses/);
  });

  it('virt_rx and virt_tx are notified of returned buffers only when they asked; another channel is counted', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const { d, rec } = t.instance();
    d.init();
    t.virtRx.active.cancelSignal();
    t.virtTx.free.cancelSignal();
    t.nic.receiveFrame(frame(60));
    t.transmit(0, frame(60));
    d.notified(VIRT_TX);
    t.irqs(d);
    expect(drain(t.virtRx.active)).toHaveLength(1);
    expect(drain(t.virtTx.free)).toHaveLength(1);
    expect(rec.notified).toEqual([]);
    t.virtRx.active.requestSignal();
    t.virtTx.free.requestSignal();
    t.nic.receiveFrame(frame(60));
    t.transmit(1, frame(60));
    d.notified(VIRT_TX);
    t.irqs(d);
    expect(rec.notified.filter((c) => c === VIRT_RX)).toHaveLength(1);
    expect(rec.notified.filter((c) => c === VIRT_TX)).toHaveLength(1);
    const before = t.mmio.writes.length;
    d.notified(9);
    expect(t.counters()['unexpectedChannel']).toBe(1);
    expect(t.mmio.writes.length).toBe(before);
  });

  it('a restart returns Tx buffers to virt_tx with a notification only if it asked', () => {
    for (const asked of [true, false]) {
      const t = rig({ timing: 'agent' });
      const first = t.instance();
      first.d.init();
      t.transmit(0, frame(60));
      first.d.notified(VIRT_TX); // posted, not taken (agent timing)
      if (asked) t.virtTx.free.requestSignal();
      else t.virtTx.free.cancelSignal();
      const second = t.instance(1);
      second.d.init();
      expect(t.counters()['recoveredTx']).toBe(1);
      expect(second.rec.notified.includes(VIRT_TX)).toBe(asked);
    }
    // Nothing to return: no notification even if asked.
    const u = rig();
    u.virtTx.free.requestSignal();
    const { d, rec } = u.instance(1);
    d.init();
    expect(rec.notified).toEqual([]);
  });

  it('tx_provide with nothing to send leaves virt_tx asked to signal; a full ring too', () => {
    const t = rig({ timing: 'agent' });
    const { d } = t.instance();
    d.init();
    d.notified(VIRT_TX);
    expect(t.virtTx.active.requireSignal()).toBe(true);
    for (let b = 0; b < 6; b++) t.transmit(b, frame(60));
    t.virtTx.active.cancelSignal();
    d.notified(VIRT_TX);
    expect(t.counters()['txPosted']).toBe(4);
    expect(t.virtTx.active.requireSignal()).toBe(true);
    expect(t.virtTx.active.length()).toBe(2);
  });
});

describe('ENET driver: more edges (first run survivors)', () => {
  /** EIR reads as `extra` on top of the device's value for the next `n` reads. */
  const eirFor = (t: Rig, extra: number, n: number): void => {
    let left = n;
    t.mmio.reads.set(EnetReg.EIR, (v) => (left-- > 0 ? (v | extra) >>> 0 : v));
  };

  it('handlers before init touch nothing; the state starts down', () => {
    const t = rig();
    const { d } = t.instance();
    expect(d.state).toEqual({ live: false, rx: null, tx: null });
    t.giveRx(0);
    t.transmit(0, frame(60));
    for (const ch of [VIRT_RX, VIRT_TX]) d.notified(ch);
    eirFor(t, ENET_EIR_RXF | ENET_EIR_TXF, 1);
    d.notified(IRQ);
    expect(t.counters()).toMatchObject({ rxPosted: 0, txPosted: 0, rxReturned: 0, txReturned: 0 });
  });

  it('an RXF event runs only the Rx handlers, a TXF event only the Tx handlers', () => {
    const t = rig();
    const { d } = t.instance();
    d.init();
    // Work both virtualisers queued without notifying.
    t.giveRx(0);
    t.transmit(0, frame(60));
    eirFor(t, ENET_EIR_RXF, 1);
    d.notified(IRQ);
    expect(t.counters()).toMatchObject({ rxPosted: 1, txPosted: 0 });
    t.giveRx(1);
    eirFor(t, ENET_EIR_TXF, 1);
    d.notified(IRQ);
    expect(t.counters()).toMatchObject({ rxPosted: 1, txPosted: 1 });
  });

  it('events with nothing completed notify neither virtualiser, even when they asked', () => {
    const t = rig({ timing: 'agent' });
    const { d, rec } = t.instance();
    d.init();
    t.transmit(0, frame(60));
    d.notified(VIRT_TX); // posted, not sent (agent timing)
    t.virtRx.active.requestSignal();
    t.virtTx.free.requestSignal();
    eirFor(t, ENET_EIR_RXF | ENET_EIR_TXF, 1);
    d.notified(IRQ);
    expect(rec.notified).toEqual([]);
    expect(t.counters()).toMatchObject({ txReturned: 0, rxReturned: 0 });
    expect(t.virtTx.free.empty()).toBe(true);
  });

  it('one IRQ takes its event once (EIR acknowledged through the view), and a stuck EIR is bounded', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    const { d } = t.instance();
    d.init();
    t.nic.receiveFrame(frame(60));
    d.notified(IRQ);
    expect(t.counters()['irqRounds']).toBe(1);
    const u = rig();
    const e = u.instance().d;
    e.init();
    u.mmio.reads.set(EnetReg.EIR, (v) => (v | ENET_EIR_RXF) >>> 0);
    e.notified(IRQ);
    expect(u.counters()['irqRounds']).toBe(1024);
  });

  it('set-up zeroes exactly the BDs of both rings', () => {
    const t = rig();
    const bytes = new Uint8Array(t.ring);
    bytes.fill(0xff, 0, ENET_META_OFF);
    t.instance().d.init(); // 4 + 4 BDs, no buffers to post
    expect([...bytes.subarray(ENET_RX_RING_OFF, ENET_RX_RING_OFF + 32)]).toEqual(
      new Array(32).fill(0),
    );
    expect(bytes[ENET_RX_RING_OFF + 32]).toBe(0xff);
    expect([...bytes.subarray(ENET_TX_RING_OFF, ENET_TX_RING_OFF + 32)]).toEqual(
      new Array(32).fill(0),
    );
    expect(bytes[ENET_TX_RING_OFF + 32]).toBe(0xff);
  });

  it('a driver at boot takes nothing from a ring that still holds old metadata; a Tx capacity change refuses it too', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    t.instance().d.init();
    t.instance(0).d.init();
    expect(t.counters()['recoveredRx']).toBe(0);
    new EnetDriver(
      recordingApi('d', t.instance().api.mem).api,
      t.config,
      { rxCount: 4, txCount: 8 },
      new Counters(ENET_DRIVER_COUNTERS, t.counterBuf),
      1,
    ).init();
    expect(t.counters()['recoveredRx']).toBe(0);
  });

  it('enetInflightBuffers reads a region that ends right after the metadata', () => {
    const t = rig();
    for (let i = 0; i < RX_N; i++) t.giveRx(i);
    t.instance().d.init();
    const exact = new ArrayBuffer(ENET_META_OFF + 28);
    new Uint8Array(exact).set(new Uint8Array(t.ring, 0, ENET_META_OFF + 28));
    expect(enetInflightBuffers(exact)?.rx).toEqual([0, 1, 2, 3].map(t.rxBuf));
  });

  it('a MIB block that goes idle after a few polls is fine; a hw ring region without room for the metadata is refused', () => {
    const t = rig();
    let polls = 0;
    t.mmio.reads.set(EnetReg.MIBC, (v) => (polls++ < 3 ? v & ~Mibc.IDLE : v));
    expect(() => t.instance().d.init()).not.toThrow();
    expect(
      () =>
        new EnetDriver(
          recordingApi('d', t.instance().api.mem).api,
          { ...t.config, hwRing: { ...t.config.hwRing, sizeBytes: ENET_META_OFF + 27 } },
          {},
          new Counters(ENET_DRIVER_COUNTERS, t.counterBuf),
          0,
        ),
    ).toThrow(/fit the hw ring region/);
  });
});
