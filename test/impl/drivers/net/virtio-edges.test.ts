// The virtio-net driver (impl/drivers/net/virtio.ts) at its edges, each test with its pre- and
// post-condition (issue 9, issue 12 part 7: the survivors of the net mutation run): I/O addresses
// above 4 GiB in both descriptor halves, a device that returns garbage in its used rings, receive
// lengths at the header boundary, the zeroed Tx header, device set-up checks, the reset budget,
// reclaim when the device cannot take the buffers back, interrupt suppression seen by the device,
// the request-signal re-check against a peer that enqueues just before it, and the component wrapper.
import { describe, expect, it } from 'vitest';
import {
  DRIVER_COUNTERS,
  VirtioNetDriver,
  virtioNetDriver,
  type VirtioNetDriverState,
} from '../../../../impl/drivers/net/virtio.ts';
import { Meta, driverLayout } from '../../../../impl/drivers/net/layout.ts';
import { DescFlag, Feature, Interrupt, Reg, Status } from '../../../../impl/hw/virtio/constants.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { NetQueueHandle } from '../../../../impl/queue/net.ts';
import { context, entries, recordingApi } from '../../components/net/fixture.ts';
import { IRQ, RX_N, TIMER, TX_N, VIRT_RX, VIRT_TX, frame, rig } from './virtio-rig.ts';

type Rig = ReturnType<typeof rig>;
type Which = 'rx' | 'tx';

/** Appends a used element {id, len} to queue `which` and bumps used.idx, as a device would. */
function pushUsed(t: Rig, s: VirtioNetDriverState, which: Which, id: number, len: number): void {
  const l = s.layout![which];
  const u16 = new Uint16Array(t.ring);
  const u32 = new Uint32Array(t.ring);
  const idx = u16[(l.usedOff >> 1) + 1]!;
  const slot = (l.usedOff >> 2) + 1 + 2 * (idx % l.num);
  u32[slot] = id;
  u32[slot + 1] = len;
  u16[(l.usedOff >> 1) + 1] = (idx + 1) & 0xffff;
}

/** desc[id] of queue `which` as the device reads it. */
function desc(t: Rig, s: VirtioNetDriverState, which: Which, id: number) {
  const at = s.layout![which].descOff + 16 * id;
  const dv = new DataView(t.ring);
  return {
    addr: dv.getBigUint64(at, true),
    len: dv.getUint32(at + 8, true),
    flags: dv.getUint16(at + 12, true),
    next: dv.getUint16(at + 14, true),
  };
}

function availFlags(t: Rig, s: VirtioNetDriverState, which: Which): number {
  return new Uint16Array(t.ring)[s.layout![which].availOff >> 1]!;
}

/** The driver's private queue handles (to stand a peer's write between two of its steps). */
function queues(d: VirtioNetDriver): { rxQueue: NetQueueHandle; txQueue: NetQueueHandle } {
  return d as unknown as { rxQueue: NetQueueHandle; txQueue: NetQueueHandle };
}

const notifyWrites = (t: Rig, q: number): number =>
  t.mmio.writes.filter(([off, v]) => off === Reg.QueueNotify && v === q).length;

describe('virtio-net driver: I/O addresses above 4 GiB (both u32 halves of every descriptor)', () => {
  it('Rx and Tx buffers and the header slots are described at their exact 64-bit I/O addresses', () => {
    const t = rig({ ioHigh: true });
    expect(t.rxIo >> 32n).toBe(3n); // pre: every region is above 2^32
    t.fillRx();
    const { d } = t.instance(0);
    d.init();
    const s = d.state;
    const stride = s.layout!.hdrStride;
    // Chain k of the receive ring: header slot 2k in the hw ring, then Rx buffer k.
    for (const k of [0, 1, 5]) {
      const h = desc(t, s, 'rx', 2 * k);
      expect(h.addr).toBe(t.ringIo + BigInt(s.layout!.rx.hdrOff + stride * 2 * k));
      expect(h.flags).toBe(DescFlag.Next | DescFlag.Write);
      expect(h.next).toBe(2 * k + 1);
      expect(h.len).toBe(12);
      const b = desc(t, s, 'rx', 2 * k + 1);
      expect(b.addr).toBe(t.rxIo + BigInt(2048 * k));
      expect(b).toMatchObject({ len: 2048, flags: DescFlag.Write, next: 0 });
    }
    const f = frame(100, 0x5a);
    t.nic.receiveFrame(f);
    d.notified(IRQ);
    const up = entries(t.rxq.active, RX_N);
    expect(up).toEqual([{ io: t.rxIo, len: 100, oid: 0 }]);
    t.nic.stall();
    t.transmit(4, frame(60, 4));
    t.transmit(6, frame(70, 6));
    d.notified(VIRT_TX);
    const th = desc(t, s, 'tx', 2);
    expect(th.addr).toBe(t.ringIo + BigInt(s.layout!.tx.hdrOff + stride * 2));
    expect(desc(t, s, 'tx', 3).addr).toBe(t.txIo + 6n * 2048n);
    t.nic.release();
    for (let i = 0; i < 4 && t.line.level; i++) d.notified(IRQ);
    expect(t.sent).toEqual([frame(60, 4), frame(70, 6)]);
    expect(entries(t.txq.free, TX_N).map((e) => e.io)).toEqual([
      t.txIo + 4n * 2048n,
      t.txIo + 6n * 2048n,
    ]);
  });

  it('refuses a hw ring I/O address at or above 2^52 (kept as an exact double), accepts one below', () => {
    const t = rig();
    const mk = (ioAddr: bigint) => {
      const r = recordingApi('d', t.instance(0).api.mem);
      return new VirtioNetDriver(
        r.api,
        { ...t.config, hwRing: { ...t.config.hwRing, ioAddr } },
        {},
        new Counters(DRIVER_COUNTERS, t.counterBuf),
        0,
      );
    };
    expect(() => mk(1n << 52n)).toThrow(/below 2\^52/);
    expect(() => mk((1n << 52n) - 0x1_0000n)).not.toThrow();
  });
});

describe('virtio-net driver: a device that returns garbage in the used rings', () => {
  /** A live driver with 16 receive chains posted: chain k is header 2k → buffer 2k+1. */
  const live = () => {
    const t = rig();
    t.fillRx();
    const inst = t.instance(0);
    inst.d.init();
    const s = inst.d.state;
    expect(desc(t, s, 'rx', 0)).toMatchObject({ flags: DescFlag.Next | DescFlag.Write, next: 1 });
    return { t, ...inst, s };
  };

  it('Rx: an id past the ring, a free id, a buffer descriptor and broken links are counted, skipped, and lose nothing', () => {
    const { t, d, s } = live();
    const num = s.layout!.rx.num;
    pushUsed(t, s, 'rx', num, 72); // id ≥ num
    pushUsed(t, s, 'rx', num - 1, 72); // an id that is not allocated
    pushUsed(t, s, 'rx', 1, 72); // a buffer descriptor (no NEXT): not a chain head
    d.notified(IRQ);
    expect(t.counters()).toMatchObject({ deviceErrors: 3, rxReturned: 0 });
    expect(entries(t.rxq.active, RX_N)).toEqual([]);
    // Chain 1's header now links past the ring, chain 2's to a free descriptor.
    const dv = new DataView(t.ring);
    dv.setUint16(s.layout!.rx.descOff + 16 * 2 + 14, num, true);
    dv.setUint16(s.layout!.rx.descOff + 16 * 4 + 14, num - 2, true);
    pushUsed(t, s, 'rx', 2, 72);
    pushUsed(t, s, 'rx', 4, 72);
    // After the garbage, a real completion of chain 0 still comes up: the used head moved on.
    pushUsed(t, s, 'rx', 0, 12 + 60);
    d.notified(IRQ);
    expect(t.counters()).toMatchObject({ deviceErrors: 5, rxReturned: 1 });
    expect(entries(t.rxq.active, RX_N)).toEqual([{ io: t.rxIo, len: 60, oid: 0 }]);
    // The used heads are kept in the metadata for a restarted driver (5 + 1 consumed on Rx).
    const meta = s.layout!.metaOff >> 2;
    const u32 = new Uint32Array(t.ring);
    expect(u32[meta + Meta.rxUsedHead]).toBe(6);
    expect(u32[meta + Meta.txUsedHead]).toBe(0);
  });

  it('Rx lengths: header only or more than a buffer after it go up as empty frames, counted; 1 and 2048 pass', () => {
    const { t, d, s } = live();
    pushUsed(t, s, 'rx', 0, 12); // exactly the header
    pushUsed(t, s, 'rx', 2, 12 + 1);
    pushUsed(t, s, 'rx', 4, 12 + 2048);
    pushUsed(t, s, 'rx', 6, 12 + 2049);
    pushUsed(t, s, 'rx', 8, 5); // shorter than the header
    d.notified(IRQ);
    expect(t.counters()).toMatchObject({ badRxLength: 3, rxReturned: 5, deviceErrors: 0 });
    expect(entries(t.rxq.active, RX_N).map((e) => [Number(e.io - t.rxIo) / 2048, e.len])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2048],
      [3, 0],
      [4, 0],
    ]);
  });

  it('Tx: garbage is counted and skipped; the real completion after it returns its buffer', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    const s = d.state;
    t.nic.stall();
    t.transmit(5, frame(60));
    d.notified(VIRT_TX); // chain 0: header 0 → buffer 1 (Tx buffer 5)
    const num = s.layout!.tx.num;
    pushUsed(t, s, 'tx', num, 0);
    pushUsed(t, s, 'tx', 1, 0);
    pushUsed(t, s, 'tx', 0, 0);
    d.notified(IRQ);
    expect(t.counters()).toMatchObject({ deviceErrors: 2, txReturned: 1 });
    expect(entries(t.txq.free, TX_N)).toEqual([{ io: t.txIo + 5n * 2048n, len: 0, oid: 0 }]);
    expect(new Uint32Array(t.ring)[(s.layout!.metaOff >> 2) + Meta.txUsedHead]).toBe(3);
  });

  it('one pass of a handler takes at most num used entries, however far the device moves used.idx', () => {
    for (const which of ['rx', 'tx'] as const) {
      const t = rig({ driver: { recheck: false, watchdogNs: 1000 } });
      const { d } = t.instance(0);
      d.init();
      const s = d.state;
      const num = s.layout![which].num;
      for (let i = 0; i < num + 3; i++) pushUsed(t, s, which, num + 1, 0);
      d.notified(TIMER); // the watchdog runs every handler once
      expect(t.counters()['deviceErrors']).toBe(num);
    }
  });
});

describe('virtio-net driver: the Tx header the device reads', () => {
  it('each posted Tx header slot is zeroed, exactly its header length, whatever the slot held', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    const s = d.state;
    const { hdrOff, num } = s.layout!.tx;
    const stride = s.layout!.hdrStride;
    const bytes = new Uint8Array(t.ring);
    bytes.fill(0xee, hdrOff, hdrOff + stride * num); // stale header bytes everywhere
    t.nic.stall();
    for (const b of [0, 1, 2]) t.transmit(b, frame(60, b));
    d.notified(VIRT_TX);
    for (const hdr of [0, 2, 4]) {
      expect(desc(t, s, 'tx', hdr)).toMatchObject({ len: 12, flags: DescFlag.Next, next: hdr + 1 });
      const slot = hdrOff + stride * hdr;
      expect([...bytes.subarray(slot, slot + 12)]).toEqual(new Array(12).fill(0));
      // The next slot belongs to a buffer descriptor: untouched.
      expect(bytes[slot + stride]).toBe(0xee);
    }
    expect(bytes[hdrOff + stride * 6]).toBe(0xee);
    t.nic.release();
    for (let i = 0; i < 4 && t.line.level; i++) d.notified(IRQ);
    expect(t.sent).toEqual([frame(60, 0), frame(60, 1), frame(60, 2)]);
  });
});

describe('virtio-net driver: device set-up checks', () => {
  it('a device that is not virtio-net v2 at the regs MR is a system description error', () => {
    for (const [off, msg] of [
      [Reg.MagicValue, /magic/],
      [Reg.Version, /version 2/],
      [Reg.DeviceId, /device id 1/],
    ] as const) {
      const t = rig();
      t.mmio.reads.set(off, (v) => v + 1);
      const { d } = t.instance(0);
      expect(() => d.init()).toThrow(msg);
    }
  });

  it('a queue that is ready before set-up, or that does not become ready, fails the device (counted)', () => {
    for (const ready of [1, 0]) {
      const t = rig();
      t.fillRx();
      t.virtRx.active.requestSignal();
      t.mmio.reads.set(Reg.QueueReady, () => ready);
      const { d, rec } = t.instance(0);
      d.init();
      expect(d.state.live).toBe(false);
      expect(t.counters()).toMatchObject({ deviceErrors: 1, rxPosted: 0 });
      const last = t.mmio.writes.filter(([off]) => off === Reg.Status).at(-1)![1];
      expect(last & Status.Failed).toBe(Status.Failed);
      expect(last & Status.DriverOk).toBe(0);
      // Nothing was reclaimed, so nothing goes up and nobody is notified.
      expect(rec.notified).toEqual([]);
      expect(notifyWrites(t, 0) + notifyWrites(t, 1)).toBe(0);
    }
  });

  it('reads the two feature words (select 0 and 1 only) and writes exactly the accepted subset', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    const sels = t.mmio.writes.filter(([off]) => off === Reg.DeviceFeaturesSel).map(([, v]) => v);
    expect(sels).toEqual([0, 1]);
    const dsels = t.mmio.writes.filter(([off]) => off === Reg.DriverFeaturesSel).map(([, v]) => v);
    expect(dsels).toEqual([0, 1]);
  });

  it('the queue size is the smaller queue maximum; 2 descriptors work, 1 is refused', () => {
    const t = rig({ queueNumMax: 2 });
    const { d } = t.instance(0);
    d.init();
    expect(d.state.layout!.rx.num).toBe(2);
    t.transmit(0, frame(60));
    d.notified(VIRT_TX);
    expect(t.sent).toEqual([frame(60)]);
    const one = rig({ queueNumMax: 1 });
    expect(() => one.instance(0).d.init()).toThrow(
      /queues of 1 descriptors fit the hw ring region/,
    );
  });

  it('U10 writes bit indices and takes no feature as negotiated: a 10-byte header, even if the device agreed', () => {
    const t = rig({ driver: { negotiation: 'U10' }, negotiation: 'qemu' });
    const { d } = t.instance(0);
    d.init();
    expect(d.state.features).toBe(0n);
    expect(d.state.hdrLen).toBe(10);
    t.transmit(0, frame(60));
    d.notified(VIRT_TX);
    expect(t.sent).toEqual([frame(60)]);
  });

  it('without VERSION_1 offered the header is the legacy 10 bytes, and frames go out whole', () => {
    const t = rig({ deviceFeatures: Feature.NetMac, negotiation: 'qemu' });
    const { d } = t.instance(0);
    d.init();
    expect(d.state.features).toBe(Feature.NetMac);
    expect(d.state.hdrLen).toBe(10);
    t.transmit(0, frame(60));
    d.notified(VIRT_TX);
    expect(t.sent).toEqual([frame(60)]);
  });

  it('readMac reads the six config bytes when MAC was negotiated, and only then', () => {
    const withMac = rig({ driver: { readMac: true } });
    const a = withMac.instance(0).d;
    a.init();
    expect(a.state.mac).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    const noMac = rig({ driver: { readMac: true }, deviceFeatures: Feature.Version1 });
    const b = noMac.instance(0).d;
    b.init();
    expect(b.state.live).toBe(true);
    expect(b.state.mac).toBeNull();
    const off = rig();
    const c = off.instance(0).d;
    c.init();
    expect(c.state.mac).toBeNull();
  });

  it('U11 header slots: the driver lays its queues out as U11 does, and a restart finds that layout', () => {
    const t = rig({ driver: { headerSlots: 'U11' } });
    t.fillRx();
    const first = t.instance(0).d;
    first.init();
    expect(first.state.layout).toEqual(
      driverLayout({ num: 256, hdrBytes: 12, headerSlots: 'U11', regionBytes: 0x10000 }),
    );
    const second = t.instance(1).d;
    second.init();
    expect(t.counters()).toMatchObject({ recoveredRx: RX_N, recoveryFailed: 0 });
  });
});

describe('virtio-net driver: restart, reset budget, and buffers the device cannot take back', () => {
  /** A first instance with every Rx buffer and three Tx buffers (stalled) in the device. */
  const held = () => {
    const t = rig();
    t.fillRx();
    const first = t.instance(0);
    first.d.init();
    t.nic.stall();
    for (const b of [0, 1, 2]) t.transmit(b, frame(60, b));
    first.d.notified(VIRT_TX);
    return t;
  };
  const rxIos = (t: Rig) => Array.from({ length: RX_N }, (_, i) => t.rxIo + BigInt(2048 * i));
  const sorted = (xs: bigint[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  it('a restarted driver whose device refuses the features sends Rx buffers up empty and Tx buffers back', () => {
    const t = held();
    t.virtRx.active.requestSignal();
    t.virtTx.free.requestSignal();
    const { d, rec } = t.instance(1, { negotiation: 'U10' });
    d.init();
    expect(t.counters()).toMatchObject({ negotiationFailed: 1, recoveredRx: RX_N, recoveredTx: 3 });
    const up = entries(t.rxq.active, RX_N);
    expect(up.every((e) => e.len === 0)).toBe(true);
    expect(sorted(up.map((e) => e.io))).toEqual(rxIos(t));
    expect(sorted(entries(t.txq.free, TX_N).map((e) => e.io))).toEqual(
      [0n, 1n, 2n].map((b) => t.txIo + b * 2048n),
    );
    expect(rec.notified.filter((c) => c === VIRT_RX)).toHaveLength(1);
    expect(rec.notified.filter((c) => c === VIRT_TX)).toHaveLength(1);
  });

  it('the same, with neither virtualiser asking for a signal: buffers move, nobody is notified', () => {
    const t = held();
    t.virtRx.active.cancelSignal();
    t.virtTx.free.cancelSignal();
    const { d, rec } = t.instance(1, { negotiation: 'U10' });
    d.init();
    expect(entries(t.rxq.active, RX_N)).toHaveLength(RX_N);
    expect(entries(t.txq.free, TX_N)).toHaveLength(3);
    expect(rec.notified).toEqual([]);
  });

  it('a boot that fails negotiation with nothing reclaimed notifies nobody', () => {
    const t = rig({ driver: { negotiation: 'U10' } });
    t.virtRx.active.requestSignal();
    t.virtTx.free.requestSignal();
    const { d, rec } = t.instance(0);
    d.init();
    expect(t.counters()['negotiationFailed']).toBe(1);
    expect(rec.notified).toEqual([]);
  });

  it('a device that now offers fewer descriptors: what does not fit goes up as empty frames', () => {
    const t = held();
    t.virtRx.active.requestSignal();
    t.mmio.reads.set(Reg.QueueNumMax, () => 8); // 4 chains per queue now
    t.mmio.writes.length = 0;
    const { d, rec } = t.instance(1);
    d.init();
    expect(d.state.layout!.rx.num).toBe(8);
    expect(t.counters()).toMatchObject({ recoveredRx: RX_N, rxPosted: RX_N + 4 });
    const up = entries(t.rxq.active, RX_N);
    expect(up).toHaveLength(RX_N - 4);
    expect(up.every((e) => e.len === 0)).toBe(true);
    expect(rec.notified).toContain(VIRT_RX);
    expect(notifyWrites(t, 0)).toBe(1); // the re-posted buffers are announced to the device
  });

  it('re-posting reclaimed Rx buffers notifies the device unless rxNotify is off (F5)', () => {
    for (const rxNotify of [true, false]) {
      const t = held();
      t.mmio.writes.length = 0;
      t.instance(1, { rxNotify }).d.init();
      expect(t.counters()['rxPosted']).toBe(2 * RX_N);
      expect(notifyWrites(t, 0)).toBe(rxNotify ? 1 : 0);
    }
  });

  it('a driver at boot (no restart) takes nothing from a ring that still holds old metadata', () => {
    const t = held();
    t.instance(0).d.init();
    expect(t.counters()).toMatchObject({ recoveredRx: 0, recoveredTx: 0 });
  });

  it('metadata whose chains are broken is reported as a failed recovery', () => {
    const t = held();
    const l = driverLayout({
      num: 256,
      hdrBytes: 12,
      headerSlots: 'per-descriptor',
      regionBytes: 0x10000,
    })!;
    // Rx chain 0's header now links past the ring.
    new DataView(t.ring).setUint16(l.rx.descOff + 14, 300, true);
    t.instance(1).d.init();
    expect(t.counters()['recoveryFailed']).toBe(1);
  });

  it('a device that keeps needing a reset gets 16 resets, then the driver gives up and stays down', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    const fault = () => {
      t.virtTx.active.enqueue({ ioOrOffset: 0x1000n, len: 60, oid: 0 }); // outside every window
      d.notified(VIRT_TX);
      expect(t.nic.needsReset).toBe(true);
      d.notified(IRQ);
    };
    for (let i = 1; i <= 16; i++) {
      fault();
      expect(t.counters()['deviceResets']).toBe(i);
      expect(d.state.live).toBe(true);
    }
    fault();
    expect(t.counters()['deviceResets']).toBe(16);
    expect(d.state.live).toBe(false);
    // A driver that gave up writes no avail flags any more (it gave up inside a handler, with
    // NO_INTERRUPT set: clear them to see that nothing sets them again).
    const u16 = new Uint16Array(t.ring);
    u16[d.state.layout!.rx.availOff >> 1] = 0;
    u16[d.state.layout!.tx.availOff >> 1] = 0;
    d.notified(VIRT_RX);
    expect(availFlags(t, d.state, 'rx')).toBe(0);
    expect(availFlags(t, d.state, 'tx')).toBe(0);
  });

  it('a config-change interrupt alone is acked as such; a used-buffer interrupt alone is not a config change', () => {
    const t = rig();
    t.fillRx();
    const { d } = t.instance(0);
    d.init();
    t.nic.receiveFrame(frame(64));
    t.mmio.writes.length = 0;
    d.notified(IRQ);
    expect(t.mmio.writes.filter(([off]) => off === Reg.InterruptAck).map(([, v]) => v)).toEqual([
      Interrupt.UsedBuffer,
    ]);
    expect(t.counters()['configIrqs']).toBe(0);
    t.mmio.reads.set(Reg.InterruptStatus, () => Interrupt.ConfigChange);
    t.mmio.writes.length = 0;
    d.notified(IRQ);
    expect(t.mmio.writes.filter(([off]) => off === Reg.InterruptAck).map(([, v]) => v)).toEqual([
      Interrupt.ConfigChange,
    ]);
    expect(t.counters()).toMatchObject({ configIrqs: 1, deviceResets: 0 });
  });
});

describe('virtio-net driver: interrupt suppression and the request-signal re-check', () => {
  it('while a handler works both avail rings say NO_INTERRUPT; after it, neither does', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    const s = d.state;
    const seen: [number, number, number][] = [];
    t.mmio.onWrite = (off, v) => {
      if (off === Reg.QueueNotify) seen.push([v, availFlags(t, s, 'rx'), availFlags(t, s, 'tx')]);
    };
    t.fillRx();
    d.notified(VIRT_RX);
    t.transmit(0, frame(60));
    d.notified(VIRT_TX);
    expect(seen).toEqual([
      [0, 1, 1],
      [1, 1, 1],
    ]);
    expect([availFlags(t, s, 'rx'), availFlags(t, s, 'tx')]).toEqual([0, 0]);
  });

  it('a handler with nothing to post leaves the device un-notified and its peer asked to signal', () => {
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    expect(notifyWrites(t, 0) + notifyWrites(t, 1)).toBe(0); // nothing was ever posted
    d.notified(VIRT_RX);
    d.notified(VIRT_TX);
    expect(notifyWrites(t, 0) + notifyWrites(t, 1)).toBe(0);
    expect(t.virtRx.free.requireSignal()).toBe(true);
    expect(t.virtTx.active.requireSignal()).toBe(true);
    // A full ring also leaves the request standing (the device's completion wakes the driver).
    const small = rig({ queueNumMax: 4 });
    const s = small.instance(0).d;
    s.init();
    small.nic.stall();
    for (let b = 0; b < 5; b++) small.transmit(b, frame(60));
    s.notified(VIRT_TX);
    expect(small.counters()['txPosted']).toBe(2);
    expect(small.virtTx.active.requireSignal()).toBe(true);
  });

  it('a buffer the peer enqueues just before the request-signal is posted by the re-check, and stranded without it', () => {
    for (const recheck of [true, false]) {
      const t = rig({ driver: { recheck } });
      const { d } = t.instance(0);
      d.init();
      const { rxQueue, txQueue } = queues(d);
      const free = rxQueue.free;
      const origFree = free.requestSignal.bind(free);
      let once = true;
      free.requestSignal = () => {
        if (once) {
          once = false;
          t.virtRx.free.enqueue({ ioOrOffset: t.rxIo + 2048n, len: 0, oid: 0 });
        }
        origFree();
      };
      t.virtRx.free.enqueue({ ioOrOffset: t.rxIo, len: 0, oid: 0 });
      d.notified(VIRT_RX);
      expect(t.counters()['rxPosted']).toBe(recheck ? 2 : 1);
      const active = txQueue.active;
      const origActive = active.requestSignal.bind(active);
      let first = true;
      active.requestSignal = () => {
        if (first) {
          first = false;
          t.transmit(1, frame(61, 1));
        }
        origActive();
      };
      t.transmit(0, frame(60, 0));
      // Stalled: no completion comes to run tx_provide again, only the re-check can post it.
      t.nic.stall();
      d.notified(VIRT_TX);
      expect(t.counters()['txPosted']).toBe(recheck ? 2 : 1);
      t.nic.release();
      for (let i = 0; i < 4 && t.line.level; i++) d.notified(IRQ);
      // Here a completion's IRQ path (tx_return, then tx_provide: F4) rescues it either way.
      expect(t.sent).toHaveLength(2);
    }
  });

  it('virt_rx is notified of received frames only when it asked', () => {
    const t = rig();
    t.fillRx();
    const { d, rec } = t.instance(0);
    d.init();
    t.virtRx.active.cancelSignal();
    t.nic.receiveFrame(frame(64));
    d.notified(IRQ);
    expect(entries(t.rxq.active, RX_N)).toHaveLength(1);
    expect(rec.notified).not.toContain(VIRT_RX);
    t.virtRx.active.requestSignal();
    t.nic.receiveFrame(frame(64));
    d.notified(IRQ);
    expect(rec.notified.filter((c) => c === VIRT_RX)).toHaveLength(1);
  });
});

describe('virtio-net driver: the watchdog', () => {
  it('no watchdog without a period or without a timer channel; the timer channel is then unexpected', () => {
    const t = rig();
    const { d, rec } = t.instance(0);
    d.init();
    expect(rec.ppcalls).toEqual([]);
    const u = rig({ driver: { watchdogNs: 1000 } });
    const r = recordingApi('d', u.instance(0).api.mem);
    const { timerId, ...noTimerConfig } = u.config;
    expect(timerId).toBe(TIMER);
    const noTimer = new VirtioNetDriver(
      r.api,
      noTimerConfig,
      { watchdogNs: 1000 },
      new Counters(DRIVER_COUNTERS, u.counterBuf),
      0,
    );
    noTimer.init();
    expect(r.rec.ppcalls).toEqual([]);
    noTimer.notified(TIMER);
    expect(u.counters()).toMatchObject({ unexpectedChannel: 1, watchdogTicks: 0 });
  });

  it('a tick resets a device that needs it even with no interrupt pending, and leaves a healthy one alone', () => {
    const t = rig({ driver: { watchdogNs: 1000 } });
    const { d } = t.instance(0);
    d.init();
    d.notified(TIMER);
    expect(t.counters()).toMatchObject({ watchdogTicks: 1, deviceResets: 0 });
    t.virtTx.active.enqueue({ ioOrOffset: 0x1000n, len: 60, oid: 0 });
    d.notified(VIRT_TX);
    expect(t.nic.needsReset).toBe(true);
    t.mmio.reads.set(Reg.InterruptStatus, () => 0); // the interrupt was lost
    d.notified(TIMER);
    expect(t.counters()).toMatchObject({ watchdogTicks: 2, deviceResets: 1 });
    expect(t.nic.live).toBe(true);
  });

  it('a tick handles a pending used-buffer interrupt: acked, its buffers returned', () => {
    const t = rig({ driver: { watchdogNs: 1000 } });
    const { d } = t.instance(0);
    d.init();
    t.nic.stall();
    t.transmit(0, frame(60));
    d.notified(VIRT_TX);
    t.nic.release();
    expect(t.line.level).toBe(true);
    d.notified(TIMER); // instead of the IRQ
    expect(t.line.level).toBe(false);
    expect(entries(t.txq.free, TX_N)).toHaveLength(1);
  });
});

describe('virtio-net driver: the component wrapper', () => {
  it('builds the driver from its params, shows its state to a probe, and runs init and notified', () => {
    const t = rig();
    t.fillRx();
    t.instance(0).d.init(); // a first instance posts every Rx buffer
    const r = recordingApi('ethernet_driver', t.instance(0).api.mem);
    let probed: VirtioNetDriverState | null = null;
    const c = virtioNetDriver(
      context(
        r.api,
        {
          config: t.config,
          counters: t.counterBuf,
          probe: (s: unknown) => (probed = s as VirtioNetDriverState),
        },
        1,
      ),
    );
    expect(probed).not.toBeNull();
    expect(probed!.live).toBe(false);
    c.init();
    expect(probed!.live).toBe(true);
    expect(t.counters()['recoveredRx']).toBe(RX_N); // restarts 1 reached the driver
    t.nic.receiveFrame(frame(64));
    c.notified(IRQ);
    expect(entries(t.rxq.active, RX_N)).toHaveLength(1);
    // Without a probe and with options, at boot.
    const u = rig();
    const r2 = recordingApi('ethernet_driver', u.instance(0).api.mem);
    const c2 = virtioNetDriver(
      context(r2.api, { config: u.config, counters: u.counterBuf, options: { watchdogNs: 5 } }),
    );
    c2.init();
    expect(r2.rec.ppcalls).toHaveLength(1);
    expect(u.counters()['recoveredRx']).toBe(0);
  });
});

describe('virtio-net driver: a driver that is down, and handlers with nothing to do', () => {
  it('a driver whose device failed set-up, or that gave up after its resets, touches no queue and no ring', () => {
    // Down from the start: the queues never came up.
    const failed = rig();
    failed.mmio.reads.set(Reg.QueueReady, () => 1);
    const f = failed.instance(0).d;
    f.init();
    failed.fillRx();
    failed.transmit(0, frame(60));
    for (const ch of [VIRT_RX, VIRT_TX, IRQ]) f.notified(ch);
    expect(failed.counters()).toMatchObject({ rxPosted: 0, txPosted: 0, deviceErrors: 1 });
    expect(failed.virtRx.free.length()).toBe(RX_N);
    // Down after 16 resets: the queues are still there, and the device says it has completions.
    const t = rig();
    const { d } = t.instance(0);
    d.init();
    for (let i = 0; i <= 16; i++) {
      t.virtTx.active.enqueue({ ioOrOffset: 0x1000n, len: 60, oid: 0 });
      d.notified(VIRT_TX);
      d.notified(IRQ);
    }
    expect(d.state.live).toBe(false);
    const s = d.state;
    const before = t.counters();
    pushUsed(t, s, 'rx', s.layout!.rx.num + 1, 0);
    pushUsed(t, s, 'tx', s.layout!.tx.num + 1, 0);
    t.mmio.reads.set(Reg.InterruptStatus, () => Interrupt.UsedBuffer);
    t.fillRx();
    t.transmit(1, frame(60));
    for (const ch of [VIRT_RX, VIRT_TX, IRQ]) d.notified(ch);
    const after = t.counters();
    for (const k of ['rxPosted', 'txPosted', 'deviceErrors', 'rxReturned', 'txReturned'])
      expect([k, after[k]]).toEqual([k, before[k]]);
  });

  it('an interrupt with no completion notifies neither virtualiser, even when they asked', () => {
    const t = rig();
    t.fillRx();
    const { d, rec } = t.instance(0);
    d.init();
    t.virtRx.active.requestSignal();
    t.virtTx.free.requestSignal();
    t.mmio.reads.set(Reg.InterruptStatus, () => Interrupt.UsedBuffer); // spurious
    d.notified(IRQ);
    expect(rec.notified).toEqual([]);
  });

  it('with rxNotify off (F5) posting receive buffers never notifies the device', () => {
    const t = rig({ driver: { rxNotify: false } });
    t.fillRx();
    const { d } = t.instance(0);
    d.init();
    expect(t.counters()['rxPosted']).toBe(RX_N);
    expect(notifyWrites(t, 0)).toBe(0);
  });

  it('a used entry naming a free descriptor is garbage even if that descriptor looks like a chain head', () => {
    const t = rig();
    t.fillRx();
    const { d } = t.instance(0);
    d.init();
    const s = d.state;
    const num = s.layout!.rx.num;
    // desc[num-1] is free: make it look like header → buffer 1 (Rx buffer 0, in use).
    const at = s.layout!.rx.descOff + 16 * (num - 1);
    const dv = new DataView(t.ring);
    dv.setUint16(at + 12, DescFlag.Next | DescFlag.Write, true);
    dv.setUint16(at + 14, 1, true);
    pushUsed(t, s, 'rx', num - 1, 72);
    d.notified(IRQ);
    expect(t.counters()).toMatchObject({ deviceErrors: 1, rxReturned: 0 });
    expect(entries(t.rxq.active, RX_N)).toEqual([]);
  });
});
