// spec/devices/virtio-net.ts: feature negotiation and the header length, the receive queue that
// waits for a QueueNotify once it found no buffer, the used ring, interrupts (InterruptStatus,
// NO_INTERRUPT, coalescing), transmit with a header mismatch, and descriptor ownership.
import { describe, expect, it } from 'vitest';
import type { DeviceMem } from '../../../spec/common/memory.ts';
import {
  VIRTIO_F_VERSION_1,
  VIRTIO_HDR_RX_WRITTEN,
  VIRTIO_HDR_TX_DEFAULT,
  VIRTIO_IRQ_VQUEUE,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_FRAME_BYTES,
  VIRTIO_NET_HDR_BYTES,
  VIRTIO_NET_HDR_LEGACY_BYTES,
  VIRTIO_NET_RX_QUEUE,
  VIRTIO_NET_TX_QUEUE,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FEATURES_OK,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  virtioNetAckInterrupt,
  virtioNetChainOwned,
  virtioNetHdrBytes,
  virtioNetHdrIo,
  virtioNetIrqLine,
  virtioNetIrqPending,
  virtioNetPublish,
  virtioNetQueueNotify,
  virtioNetRaiseInterrupt,
  virtioNetReceive,
  virtioNetRxReady,
  virtioNetRxStall,
  virtioNetTransmit,
  virtioNetTxIdle,
  virtioNetTxReady,
  virtioNetTxSleep,
  virtioNetUsedAt,
  virtioNetWriteChain,
  virtioNetWriteDriverFeatures,
  virtioNetWriteStatus,
  type VirtioNetDev,
  type VirtqRef,
} from '../../../spec/devices/virtio-net.ts';

/** A device with 4-descriptor queues laid out in a plain word memory. */
function device(opts: { strict?: boolean; coalesce?: boolean } = {}) {
  const words = new Map<number, number>();
  const dev: DeviceMem = {
    read: (a) => words.get(a) ?? 0,
    write: (a, v) => void words.set(a, v >>> 0),
  };
  let next = 0;
  const a = (n = 1) => {
    const at = next;
    next += n;
    return at;
  };
  const q = (name: string): VirtqRef => ({
    name,
    num: 4,
    descAddr: a(4),
    descLen: a(4),
    descFlags: a(4),
    descNext: a(4),
    availFlags: a(),
    availIdx: a(),
    availRing: a(4),
    usedFlags: a(),
    usedIdx: a(),
    usedId: a(4),
    usedLen: a(4),
    ready: a(),
    lastAvail: a(),
    waitKick: a(),
  });
  const d: VirtioNetDev = {
    rx: q('rx'),
    tx: q('tx'),
    status: a(),
    driverFeatures0: a(),
    driverFeatures1: a(),
    isr: a(),
    irqPending: a(),
    hdrBase: a(8),
    hdrSlots: 8,
    hdrIoBase: 0x3000,
    strict: opts.strict ?? true,
    coalesce: opts.coalesce ?? false,
  };
  return { dev, d };
}

/** Negotiates with the masks the spec's driver writes, readies both queues, DRIVER_OK. */
function ready(dev: DeviceMem, d: VirtioNetDev): void {
  virtioNetWriteDriverFeatures(dev, d, 0, 1 << VIRTIO_NET_F_MAC);
  virtioNetWriteDriverFeatures(dev, d, 1, 1 << (VIRTIO_F_VERSION_1 - 32));
  virtioNetWriteStatus(dev, d, VIRTIO_STATUS_FEATURES_OK);
  dev.write(d.rx.ready, 1);
  dev.write(d.tx.ready, 1);
  virtioNetWriteStatus(dev, d, VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

const chain = (d: VirtioNetDev, hdr: number, buf: number, writable: boolean, hdrBytes = 12) => ({
  hdr,
  buf,
  hdrIo: virtioNetHdrIo(d, writable ? 4 + hdr : hdr),
  hdrBytes,
  bufIo: 0x1000_0000 + 2048 * buf,
  bufBytes: 2048,
  writable,
});

describe('virtio-net device (virtio 1.2 §2.7, §5.1; reference §5.1)', () => {
  it('feature pages are masks: VERSION_1 written as bit 5 of page 1 gives 12-byte headers', () => {
    const { dev, d } = device();
    ready(dev, d);
    expect(dev.read(d.status) & VIRTIO_STATUS_FEATURES_OK).not.toBe(0);
    expect(virtioNetHdrBytes(dev, d)).toBe(VIRTIO_NET_HDR_BYTES);
  });

  it('U10: bit numbers written as masks never negotiate VERSION_1; a strict device refuses', () => {
    const { dev, d } = device();
    virtioNetWriteDriverFeatures(dev, d, 0, VIRTIO_NET_F_MAC); // 5 = bits 0 and 2
    virtioNetWriteDriverFeatures(dev, d, 1, VIRTIO_F_VERSION_1); // 32 = page-1 bit 5
    virtioNetWriteStatus(dev, d, VIRTIO_STATUS_FEATURES_OK);
    expect(dev.read(d.status) & VIRTIO_STATUS_FEATURES_OK).toBe(0);
    expect(virtioNetHdrBytes(dev, d)).toBe(VIRTIO_NET_HDR_LEGACY_BYTES);
    const lenient = device({ strict: false });
    virtioNetWriteDriverFeatures(lenient.dev, lenient.d, 0, VIRTIO_NET_F_MAC);
    virtioNetWriteStatus(lenient.dev, lenient.d, VIRTIO_STATUS_FEATURES_OK);
    expect(lenient.dev.read(lenient.d.status)).toBe(VIRTIO_STATUS_FEATURES_OK);
  });

  it('receive: no buffer → the device waits for a QueueNotify, even after buffers appear', () => {
    const { dev, d } = device();
    expect(virtioNetRxReady(dev, d)).toBe('no-device');
    ready(dev, d);
    expect(virtioNetRxReady(dev, d)).toBe('no-buffer');
    virtioNetRxStall(dev, d);
    virtioNetWriteChain(dev, d, d.rx, chain(d, 0, 1, true));
    virtioNetPublish(dev, d.rx, 0);
    expect(virtioNetRxReady(dev, d)).toBe('wait-kick'); // F5: without the notify, stuck here
    virtioNetQueueNotify(dev, d, VIRTIO_NET_RX_QUEUE);
    expect(virtioNetRxReady(dev, d)).toBe('buffer');
    const r = virtioNetReceive(dev, d);
    expect(r).toEqual({ bufIo: 0x1000_0800, mismatch: 0, hdrSlotOk: true });
    expect(dev.read(d.rx.usedIdx)).toBe(1);
    expect(virtioNetUsedAt(dev, d.rx, 0)).toEqual({ id: 0, len: 12 + VIRTIO_NET_FRAME_BYTES });
    expect(dev.read(d.hdrBase + 4)).toBe(VIRTIO_HDR_RX_WRITTEN);
    expect(virtioNetIrqLine(dev, d)).toBe(true);
    virtioNetAckInterrupt(dev, d, VIRTIO_IRQ_VQUEUE);
    expect(virtioNetIrqLine(dev, d)).toBe(false);
  });

  it('a 10-byte header descriptor against a 12-byte device header misplaces the frame', () => {
    const { dev, d } = device();
    ready(dev, d);
    virtioNetWriteChain(dev, d, d.rx, chain(d, 0, 1, true, 10));
    virtioNetPublish(dev, d.rx, 0);
    expect(virtioNetReceive(dev, d).mismatch).toBe(2);
  });

  it('interrupts: NO_INTERRUPT suppresses them, coalescing raises one later for several', () => {
    const { dev, d } = device();
    ready(dev, d);
    dev.write(d.rx.availFlags, VIRTQ_AVAIL_F_NO_INTERRUPT);
    virtioNetWriteChain(dev, d, d.rx, chain(d, 0, 1, true));
    virtioNetPublish(dev, d.rx, 0);
    virtioNetReceive(dev, d);
    expect(virtioNetIrqLine(dev, d)).toBe(false);
    const c = device({ coalesce: true });
    ready(c.dev, c.d);
    for (const [h, b] of [
      [0, 1],
      [2, 3],
    ] as const) {
      virtioNetWriteChain(c.dev, c.d, c.d.rx, chain(c.d, h, b, true));
      virtioNetPublish(c.dev, c.d.rx, h);
      virtioNetReceive(c.dev, c.d);
    }
    expect(virtioNetIrqLine(c.dev, c.d)).toBe(false); // two completions, no interrupt yet
    expect(virtioNetIrqPending(c.dev, c.d)).toBe(true);
    virtioNetRaiseInterrupt(c.dev, c.d);
    expect(virtioNetIrqLine(c.dev, c.d)).toBe(true);
    expect(() => virtioNetRaiseInterrupt(c.dev, c.d)).toThrow(/pending/);
  });

  it('transmit after a notify, chain by chain; an overwritten header or a short one is reported', () => {
    const { dev, d } = device();
    ready(dev, d);
    expect(virtioNetTxIdle(dev, d)).toBe(true);
    virtioNetTxSleep(dev, d);
    virtioNetWriteChain(dev, d, d.tx, chain(d, 0, 1, false));
    expect(dev.read(d.hdrBase)).toBe(VIRTIO_HDR_TX_DEFAULT);
    virtioNetPublish(dev, d.tx, 0);
    expect(virtioNetTxReady(dev, d)).toBe(false); // asleep until QueueNotify
    virtioNetQueueNotify(dev, d, VIRTIO_NET_TX_QUEUE);
    expect(virtioNetChainOwned(dev, d.tx, 1)).toBe(true); // published, not yet used
    dev.write(d.hdrBase, VIRTIO_HDR_RX_WRITTEN); // U11: the slot shared with an Rx header
    expect(virtioNetTransmit(dev, d)).toEqual({
      bufIo: 0x1000_0800,
      mismatch: 0,
      hdr: VIRTIO_HDR_RX_WRITTEN,
    });
    expect(virtioNetChainOwned(dev, d.tx, 1)).toBe(false);
    virtioNetWriteChain(dev, d, d.tx, chain(d, 2, 3, false, 10));
    virtioNetPublish(dev, d.tx, 2);
    expect(virtioNetTransmit(dev, d).mismatch).toBe(2);
  });

  it('a QueueNotify of a queue not yet ready is ignored; reset clears the negotiation', () => {
    const { dev, d } = device();
    dev.write(d.rx.waitKick, 1);
    virtioNetQueueNotify(dev, d, VIRTIO_NET_RX_QUEUE);
    expect(dev.read(d.rx.waitKick)).toBe(1);
    ready(dev, d);
    virtioNetWriteStatus(dev, d, 0);
    expect(dev.read(d.status)).toBe(0);
    expect(dev.read(d.driverFeatures1)).toBe(0);
    expect(() => virtioNetQueueNotify(dev, d, 2)).toThrow(/queue 2/);
  });
});
