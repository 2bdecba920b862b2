// The monolithic baseline (bench/net.ts): one PD that sets the virtio-net device up exactly as the
// modular driver does, then on each interrupt takes received frames straight out of the receive
// virtqueue, demultiplexes them by destination MAC to one of the same IP stacks the clients link
// (broadcasts to all), and puts the answers straight into the transmit virtqueue. No sDDF queues,
// no copies between PDs, no notifications: what the modular pipeline is measured against.
// Each packet uses a fixed descriptor pair (2k, 2k+1) and buffer k of its data region.

import { assert } from '../../../spec/common/assert.ts';
import { NET_BUFFER_SIZE_BYTES } from '../../../spec/queue/net.ts';
import { DescFlag, Feature, Interrupt, Reg, Status } from '../../hw/virtio/constants.ts';
import type { Component, ComponentContext } from '../../runtime/api.ts';
import type { DeviceRegion, RegionResource } from '../../components/net/config.ts';
import { macEquals } from '../../components/net/config.ts';
import { driverLayout, type VirtqLayout } from '../../drivers/net/layout.ts';
import { IpStack } from '../../clients/net/stack.ts';
import { isBroadcastMac } from '../../clients/net/packet.ts';

export interface MonoParams {
  readonly regs: RegionResource;
  readonly hwRing: DeviceRegion;
  readonly rxData: DeviceRegion;
  readonly txData: DeviceRegion;
  readonly irqId: number;
  readonly clients: readonly { readonly mac: readonly number[]; readonly ip: number }[];
  readonly udpPort: number;
}

const HDR = 12;

export function monoEcho(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as MonoParams;
  const mem = ctx.api.mem;
  const w = mem.sharedWindow(p.hwRing.vaddr, p.hwRing.sizeBytes, 16);
  const ring = new DataView(w.buffer, w.byteOffset, w.lengthBytes);
  const u16 = new Uint16Array(w.buffer, w.byteOffset, w.lengthBytes >> 1);
  const rw = mem.sharedWindow(p.rxData.vaddr, p.rxData.sizeBytes, 1);
  const rxData = new Uint8Array(rw.buffer, rw.byteOffset, rw.lengthBytes);
  const reg = (off: number): number => mem.read32(p.regs.vaddr + off);
  const setReg = (off: number, v: number): void => mem.write32(p.regs.vaddr + off, v);
  let rx: VirtqLayout;
  let tx: VirtqLayout;
  let rxUsed = 0;
  let txUsed = 0;
  const txFree: number[] = [];
  let txPosted = false;

  const desc = (
    q: VirtqLayout,
    id: number,
    addr: bigint,
    len: number,
    flags: number,
    next: number,
  ): void => {
    const at = q.descOff + 16 * id;
    ring.setBigUint64(at, addr, true);
    ring.setUint32(at + 8, len, true);
    ring.setUint16(at + 12, flags, true);
    ring.setUint16(at + 14, next, true);
  };
  const publish = (q: VirtqLayout, head: number): void => {
    const idxAt = (q.availOff >> 1) + 1;
    const idx = u16[idxAt]!;
    u16[(q.availOff >> 1) + 2 + (idx % q.num)] = head;
    Atomics.store(u16, idxAt, (idx + 1) & 0xffff);
  };
  const hdrIo = (q: VirtqLayout, id: number): bigint =>
    p.hwRing.ioAddr + BigInt(q.hdrOff + HDR * id);
  const postRx = (k: number): void => {
    desc(rx, 2 * k, hdrIo(rx, 2 * k), HDR, DescFlag.Next | DescFlag.Write, 2 * k + 1);
    desc(
      rx,
      2 * k + 1,
      p.rxData.ioAddr + BigInt(k * NET_BUFFER_SIZE_BYTES),
      NET_BUFFER_SIZE_BYTES,
      DescFlag.Write,
      0,
    );
    publish(rx, 2 * k);
  };
  const output = {
    transmit(frame: Uint8Array): boolean {
      const k = txFree.pop();
      if (k === undefined) return false;
      mem.writeBytes(p.txData.vaddr + k * NET_BUFFER_SIZE_BYTES, frame);
      const hdr = hdrIo(tx, 2 * k);
      new Uint8Array(w.buffer, w.byteOffset + tx.hdrOff + HDR * 2 * k, HDR).fill(0);
      desc(tx, 2 * k, hdr, HDR, DescFlag.Next, 2 * k + 1);
      desc(tx, 2 * k + 1, p.txData.ioAddr + BigInt(k * NET_BUFFER_SIZE_BYTES), frame.length, 0, 0);
      publish(tx, 2 * k);
      txPosted = true;
      return true;
    },
  };
  const stacks = p.clients.map((c) => new IpStack(output, c.mac, c.ip));
  for (const s of stacks) {
    s.udpBind(p.udpPort, (d) => {
      s.output(
        s.udpFrame({
          dstIp: d.srcIp,
          dstMac: d.srcMac,
          srcPort: d.dstPort,
          dstPort: d.srcPort,
          payload: d.payload,
        }),
      );
    });
  }

  const setup = (): void => {
    setReg(Reg.Status, 0);
    setReg(Reg.Status, Status.Acknowledge);
    setReg(Reg.Status, Status.Acknowledge | Status.Driver);
    const accepted = Feature.Version1 | Feature.NetMac;
    setReg(Reg.DriverFeaturesSel, 0);
    setReg(Reg.DriverFeatures, Number(accepted & 0xffff_ffffn));
    setReg(Reg.DriverFeaturesSel, 1);
    setReg(Reg.DriverFeatures, Number(accepted >> 32n));
    const s = Status.Acknowledge | Status.Driver | Status.FeaturesOk;
    setReg(Reg.Status, s);
    assert((reg(Reg.Status) & Status.FeaturesOk) !== 0, 'the NIC accepts VERSION_1|MAC');
    setReg(Reg.QueueSel, 0);
    const num = Math.min(reg(Reg.QueueNumMax), 512);
    const layout = driverLayout({
      num,
      hdrBytes: HDR,
      headerSlots: 'per-descriptor',
      regionBytes: p.hwRing.sizeBytes,
    });
    assert(layout !== null, 'the rings fit');
    rx = layout.rx;
    tx = layout.tx;
    for (const [i, q] of [rx, tx].entries()) {
      setReg(Reg.QueueSel, i);
      setReg(Reg.QueueNum, num);
      const a = [q.descOff, q.availOff, q.usedOff].map((o) => p.hwRing.ioAddr + BigInt(o));
      [Reg.QueueDescLow, Reg.QueueDriverLow, Reg.QueueDeviceLow].forEach((lo, j) => {
        setReg(lo, Number(a[j]! & 0xffff_ffffn));
        setReg(lo + 4, Number(a[j]! >> 32n));
      });
      setReg(Reg.QueueReady, 1);
    }
    setReg(Reg.Status, s | Status.DriverOk);
    const pairs = num / 2;
    const rxBufs = Math.min(pairs, Math.floor(p.rxData.sizeBytes / NET_BUFFER_SIZE_BYTES));
    for (let k = 0; k < rxBufs; k++) postRx(k);
    for (
      let k = Math.min(pairs, Math.floor(p.txData.sizeBytes / NET_BUFFER_SIZE_BYTES)) - 1;
      k >= 0;
      k--
    )
      txFree.push(k);
    setReg(Reg.QueueNotify, 0);
  };

  const handle = (): void => {
    // Bounded: each round drains both used rings.
    for (let round = 0; round < 64; round++) {
      let work = false;
      const txIdx = Atomics.load(u16, (tx.usedOff >> 1) + 1);
      for (; txUsed !== txIdx; txUsed = (txUsed + 1) & 0xffff) {
        txFree.push(ring.getUint32(tx.usedOff + 4 + 8 * (txUsed % tx.num), true) >> 1);
        work = true;
      }
      for (const s of stacks) s.flushPending();
      const rxIdx = Atomics.load(u16, (rx.usedOff >> 1) + 1);
      let reposted = false;
      for (; rxUsed !== rxIdx; rxUsed = (rxUsed + 1) & 0xffff) {
        const at = rx.usedOff + 4 + 8 * (rxUsed % rx.num);
        const k = ring.getUint32(at, true) >> 1;
        const len = ring.getUint32(at + 4, true) - HDR;
        // In place, as the modular clients read theirs; the buffer goes back to the device after.
        const frame = rxData.subarray(k * NET_BUFFER_SIZE_BYTES, k * NET_BUFFER_SIZE_BYTES + len);
        const dst = frame.subarray(0, 6);
        if (isBroadcastMac(dst)) for (const s of stacks) s.input(frame);
        else stacks.find((s) => macEquals(s.mac, dst))?.input(frame);
        postRx(k);
        reposted = true;
        work = true;
      }
      if (reposted) setReg(Reg.QueueNotify, 0);
      if (txPosted) {
        txPosted = false;
        setReg(Reg.QueueNotify, 1);
      }
      if (!work) return;
    }
  };

  return {
    init(): void {
      setup();
      ctx.api.irqAck(p.irqId);
    },
    notified(ch: number): void {
      if (ch !== p.irqId) return;
      const isr = reg(Reg.InterruptStatus);
      if (isr !== 0)
        setReg(Reg.InterruptAck, isr & (Interrupt.UsedBuffer | Interrupt.ConfigChange));
      handle();
      ctx.api.deferredIrqAck(ch);
    },
  };
}
