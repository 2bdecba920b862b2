// The ENET driver's test rig: the emulated ENET-like NIC (impl/hw/enet.ts, strict) behind an
// IOMMU over a hw ring region and the Rx DMA and Tx data regions, its registers behind a
// recording wrapper, the driver's address space and recording MicrokitApi, and peer handles on
// both virtualiser connections.
import {
  ENET_DRIVER_COUNTERS,
  EnetDriver,
  type EnetDriverOptions,
} from '../../../../impl/drivers/net/imx.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { NetDriverConfig } from '../../../../impl/components/net/config.ts';
import { Iommu } from '../../../../impl/mem/iommu.ts';
import type { DmaPort, MmioDevice } from '../../../../impl/mem/types.ts';
import { EnetNicDevice } from '../../../../impl/hw/enet.ts';
import { conn, dev, Layout, peerHandle, recordingApi, res } from '../../components/net/fixture.ts';

/** The NIC's registers, recording each write; `reads` overrides what a register reads as. */
export class RecordingRegs implements MmioDevice {
  readonly writes: [number, number][] = [];
  readonly reads = new Map<number, (v: number) => number>();
  constructor(readonly inner: EnetNicDevice) {}
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
  write32(off: number, v: number): void {
    this.writes.push([off, v]);
    this.inner.write32(off, v);
  }
  irqAsserted(): boolean {
    return this.inner.irqAsserted();
  }
}

export const RX_N = 8;
export const TX_N = 8;
export const RX_IO = 0x5fe0_0000n;
export const TX_IO = 0x5fc0_0000n;
export const RING_IO = 0x5fff_0000n;
export const IRQ = 0;
export const VIRT_RX = 1;
export const VIRT_TX = 2;
export const MAC = [0x52, 0x54, 0, 0x12, 0x34, 0x56];

export function rig(o: { driver?: EnetDriverOptions; timing?: 'synchronous' | 'agent' } = {}) {
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
  const mmio = new RecordingRegs(nic);
  const regsR = l.add('regs', 0x1000, { mmio });
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
  return {
    nic,
    mmio,
    sent,
    ring,
    config,
    counterBuf,
    instance,
    counters,
    virtRx,
    virtTx,
    giveRx,
    rxBuf,
    transmit,
    irqs,
  };
}

export function frame(n: number, fill = 0xab): Uint8Array {
  const f = new Uint8Array(n).fill(fill);
  f.set(MAC, 0);
  return f;
}

export function drain(q: { dequeue(): { ioOrOffset: bigint; len: number } | null }) {
  const out: { ioOrOffset: bigint; len: number }[] = [];
  for (let d = q.dequeue(); d !== null; d = q.dequeue()) out.push(d);
  return out;
}
