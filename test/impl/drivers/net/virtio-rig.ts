// The virtio-net driver's test rig: the emulated device (impl/hw/virtio/net.ts) behind an IOMMU
// over a hw ring region and the Rx DMA and Tx data regions, the driver's address space and
// recording MicrokitApi, and peer handles on both virtualiser connections.
import type { VirtioNetDriverOptions } from '../../../../impl/drivers/net/virtio.ts';
import { DRIVER_COUNTERS, VirtioNetDriver } from '../../../../impl/drivers/net/virtio.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { NetDriverConfig } from '../../../../impl/components/net/config.ts';
import { Iommu } from '../../../../impl/mem/iommu.ts';
import type { DmaPort, MmioDevice } from '../../../../impl/mem/types.ts';
import { VirtioNet } from '../../../../impl/hw/virtio/net.ts';
import { Layout, conn, dev, peerHandle, recordingApi, res } from '../../components/net/fixture.ts';

export const RX_N = 16; // Rx DMA buffers
export const TX_N = 512; // Tx buffers
/** I/O addresses below 4 GiB; `RigOptions.ioHigh` adds HIGH to each (addresses above 2^32). */
export const RX_IO = 0x5fe0_0000n;
export const TX_IO = 0x5fc0_0000n;
export const RING_IO = 0x5fff_0000n;
export const HIGH = 0x3_0000_0000n;
export const IRQ = 0;
export const VIRT_RX = 1;
export const VIRT_TX = 2;
export const TIMER = 3;

/**
 * Records every register write (offset, value) the driver makes; `reads` overrides what a register
 * reads as (a device that misbehaves); `onWrite` runs after each write; 8-bit reads come from the
 * 32-bit word (config space, virtio 1.2 §4.2.2.2).
 */
export class RecordingMmio<D extends MmioDevice = VirtioNet> implements MmioDevice {
  readonly writes: [number, number][] = [];
  readonly reads = new Map<number, (v: number) => number>();
  onWrite: ((off: number, v: number) => void) | null = null;
  constructor(readonly inner: D) {}
  get name(): string {
    return this.inner.name;
  }
  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }
  read32(off: number): number {
    const v = this.inner.read32(off);
    const f = this.reads.get(off);
    return f === undefined ? v : f(v);
  }
  read8(off: number): number {
    return (this.read32(off & ~3) >>> (8 * (off & 3))) & 0xff;
  }
  write32(off: number, v: number): void {
    this.writes.push([off, v]);
    this.inner.write32(off, v);
    this.onWrite?.(off, v);
  }
  irqAsserted(): boolean {
    return this.inner.irqAsserted();
  }
}

export interface RigOptions {
  driver?: VirtioNetDriverOptions;
  negotiation?: 'strict' | 'qemu';
  queueNumMax?: number;
  /** Features the device offers (default: the device's own). */
  deviceFeatures?: bigint;
  /** Place the ring and both data regions above 4 GiB (+HIGH). */
  ioHigh?: boolean;
}

export function rig(o: RigOptions = {}) {
  const RX_IO_ = RX_IO + (o.ioHigh === true ? HIGH : 0n);
  const TX_IO_ = TX_IO + (o.ioHigh === true ? HIGH : 0n);
  const RING_IO_ = RING_IO + (o.ioHigh === true ? HIGH : 0n);
  const rxdma = new SharedArrayBuffer(RX_N * 2048);
  const txdata = new SharedArrayBuffer(TX_N * 2048);
  const ring = new SharedArrayBuffer(0x10000);
  const late: { port?: DmaPort } = {};
  const line = { level: false };
  const nic = new VirtioNet({
    name: 'nic',
    mac: new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]),
    dma: { read: (a, l) => late.port!.read(a, l), write: (a, d) => late.port!.write(a, d) },
    negotiation: o.negotiation ?? 'strict',
    queueNumMax: o.queueNumMax ?? 256,
    ...(o.deviceFeatures !== undefined ? { deviceFeatures: o.deviceFeatures } : {}),
    onIrqLevel: (up) => (line.level = up),
  });
  const regions = new Map(
    (
      [
        ['ring', RING_IO_, ring],
        ['rxdma', RX_IO_, rxdma],
        ['txdata', TX_IO_, txdata],
      ] as const
    ).map(([name, physAddr, buffer]) => [
      name,
      { name, physAddr, sizeBytes: buffer.byteLength, physFixed: true, buffer, mmio: null },
    ]),
  );
  const { iommu } = Iommu.build(regions, [
    { device: 'nic', ioMaps: [{ mr: 'ring' }, { mr: 'rxdma' }, { mr: 'txdata' }] },
  ]);
  late.port = iommu.portFor('nic');
  const mmio = new RecordingMmio(nic);
  const sent: Uint8Array[] = [];
  nic.connect({ receiveFrame: (f) => void sent.push(f.slice()) });

  const l = new Layout();
  const regsR = l.add('regs', 0x1000, { mmio });
  const ringR = l.add('ring', 0x10000, { ioAddr: RING_IO_, buffer: ring });
  const rxq = l.pair('rx', RX_N);
  const txq = l.pair('tx', TX_N);
  const config: NetDriverConfig = {
    regs: res(regsR),
    hwRing: dev(ringR),
    irqId: IRQ,
    virtRx: conn(rxq, RX_N, VIRT_RX),
    virtTx: conn(txq, TX_N, VIRT_TX),
    timerId: TIMER,
  };
  const space = l.space('ethernet_driver');
  const counterBuf = Counters.buffer(DRIVER_COUNTERS.length);
  const instance = (restarts: number, driver: VirtioNetDriverOptions = o.driver ?? {}) => {
    const r = recordingApi('ethernet_driver', space);
    const d = new VirtioNetDriver(
      r.api,
      config,
      driver,
      new Counters(DRIVER_COUNTERS, counterBuf),
      restarts,
    );
    return { d, ...r };
  };
  const counters = (): Record<string, number> =>
    new Counters(DRIVER_COUNTERS, counterBuf).snapshot();
  const virtRx = peerHandle(rxq, RX_N);
  const virtTx = peerHandle(txq, TX_N);
  /** virt_rx's init: every Rx DMA buffer onto the driver's free queue. */
  const fillRx = (): void => {
    for (let i = 0; i < RX_N; i++)
      virtRx.free.enqueue({ ioOrOffset: RX_IO_ + BigInt(2048 * i), len: 0, oid: 0 });
  };
  /** virt_tx hands the driver Tx buffer `b` holding `frame`. */
  const transmit = (b: number, frame: Uint8Array): void => {
    new Uint8Array(txdata, b * 2048, frame.length).set(frame);
    virtTx.active.enqueue({ ioOrOffset: TX_IO_ + BigInt(2048 * b), len: frame.length, oid: 0 });
  };
  return {
    nic,
    mmio,
    sent,
    line,
    instance,
    counters,
    virtRx,
    virtTx,
    fillRx,
    transmit,
    rxq,
    txq,
    rxdma,
    txdata,
    ring,
    config,
    counterBuf,
    rxIo: RX_IO_,
    txIo: TX_IO_,
    ringIo: RING_IO_,
  };
}

export function frame(n: number, fill = 0xab): Uint8Array {
  const f = new Uint8Array(n).fill(fill);
  f.set([0x52, 0x54, 1, 0, 0, 0x10], 0);
  return f;
}
