// The ENET-like NIC (impl/hw/enet.ts) against its specification, spec/devices/enet.ts: a driver
// written with the spec's driver-side functions runs it; in lockstep with the spec's device-side
// functions over a plain word memory, random operation sequences leave the same BD status words,
// next indices and events. Then what the spec leaves out (reference §5.2, i.MX 8M Mini RM §11.5):
// doorbells, EIMR, EBERR, coalescing, filtering, lengths and FCS, byte order, registers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceMem } from '../../../spec/common/memory.ts';
import {
  ENET_BD_LAST,
  ENET_BD_WRAP,
  ENET_DAR_ACTIVE,
  ENET_ECR_ETHEREN,
  ENET_EIR_RXF,
  ENET_EIR_TXF,
  ENET_IRQ_MASK,
  ENET_RXD_EMPTY,
  ENET_TXD_ADDCRC,
  ENET_TXD_READY,
  enetEirAfterWrite,
  enetIrqLine,
  enetRxComplete,
  enetRxNext,
  enetRxPost,
  enetRxFill,
  enetRxTake,
  enetTxComplete,
  enetTxNext,
  enetTxFill,
  enetWriteRdar,
  enetWriteTdar,
  enetTxTake,
  type EnetNic,
  type EnetRing,
} from '../../../spec/devices/enet.ts';
import {
  BD_SIZE_BYTES,
  Coalescing,
  DESCRIPTOR_ACTIVE,
  Ecr,
  EnetIrq,
  EnetNicDevice,
  EnetReg,
  ethernetFcs,
  MAX_ENET_BACKLOG,
  Mibc,
  Rcr,
} from '../../../impl/hw/enet.ts';
import { TestMemory, WindowDmaPort } from '../../../impl/hw/testing.ts';
import { FrameSink } from '../../../impl/hw/wire.ts';
import type { HwEvent } from '../../../impl/hw/events.ts';
import type { DmaPort } from '../../../impl/mem/types.ts';
import { InvariantError } from '../../../spec/common/assert.ts';

const BASE = 0x4000_0000n;
const RX_RING = BASE;
const TX_RING = BASE + 0x1000n;
const BUFS = BASE + 0x1_0000n;
const MAC = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);
const CAP = 4;

/** The driver's view of its BD rings (legacy BDs, DBSWP) as the spec's word memory. */
function driverView(mem: TestMemory, le = true): { dev: DeviceMem; rx: EnetRing; tx: EnetRing } {
  const rx: EnetRing = { addr: 1000, stat: 2000, capacity: CAP };
  const tx: EnetRing = { addr: 3000, stat: 4000, capacity: CAP };
  const at = (w: number): { a: bigint; field: 'addr' | 'stat' } => {
    const ring = w < 3000 ? RX_RING : TX_RING;
    const field = Math.floor(w / 1000) % 2 === 1 ? 'addr' : 'stat';
    const i = w % 1000;
    const bd = ring + BigInt(BD_SIZE_BYTES * i);
    return { a: field === 'addr' ? bd + 4n : le ? bd + 2n : bd, field };
  };
  const view = new DataView(mem.bytes.buffer, mem.bytes.byteOffset);
  const off = (a: bigint): number => Number(a - BASE);
  return {
    rx,
    tx,
    dev: {
      read(w) {
        const { a, field } = at(w);
        return field === 'addr' ? view.getUint32(off(a), le) : view.getUint16(off(a), le);
      },
      write(w, v) {
        const { a, field } = at(w);
        if (field === 'addr') view.setUint32(off(a), v, le);
        else view.setUint16(off(a), v, le);
      },
    },
  };
}

/** The spec's registers and device-private words of a NIC, from word `at` of a plain memory. */
function specNic(rx: EnetRing, tx: EnetRing, at: number): EnetNic {
  return {
    rx,
    tx,
    eir: at,
    rxNext: at + 1,
    txNext: at + 2,
    eimr: at + 3,
    ecr: at + 4,
    rdar: at + 5,
    tdar: at + 6,
    txCoalesced: at + 7,
    txCoalesceFrames: 0,
  };
}

interface Rig {
  nic: EnetNicDevice;
  mem: TestMemory;
  sink: FrameSink;
  view: ReturnType<typeof driverView>;
}

/** The registers sDDF's eth_setup writes, in its order (drivers/network/imx/ethernet.c). */
function sddfSetup(nic: EnetNicDevice, options: { txic0?: number } = {}): void {
  nic.write32(EnetReg.ECR, Ecr.RESET);
  for (let i = 0; i < 4 && (nic.read32(EnetReg.ECR) & Ecr.RESET) !== 0; i++);
  nic.write32(EnetReg.ECR, nic.read32(EnetReg.ECR) | Ecr.DBSWP);
  nic.write32(EnetReg.EIMR, 0);
  nic.write32(EnetReg.EIR, 0xffff_ffff);
  nic.write32(EnetReg.MSCR, 24 << 1);
  nic.write32(EnetReg.MIBC, nic.read32(EnetReg.MIBC) | Mibc.DIS);
  expect(nic.read32(EnetReg.MIBC) & Mibc.IDLE).toBe(Mibc.IDLE);
  nic.write32(EnetReg.MIBC, nic.read32(EnetReg.MIBC) | Mibc.CLEAR);
  nic.write32(EnetReg.MIBC, nic.read32(EnetReg.MIBC) & ~Mibc.CLEAR);
  nic.write32(EnetReg.MIBC, nic.read32(EnetReg.MIBC) & ~Mibc.DIS);
  for (const r of [EnetReg.IAUR, EnetReg.IALR, EnetReg.GAUR, EnetReg.GALR]) nic.write32(r, 0);
  nic.write32(EnetReg.OPD, 1 << 16);
  nic.write32(EnetReg.TXIC0, options.txic0 ?? 0);
  nic.write32(EnetReg.TIPG, 8);
  nic.write32(EnetReg.TFWR, 1 << 8);
  nic.write32(EnetReg.RSFL, 0);
  nic.write32(EnetReg.RACC, 0x46);
  nic.write32(EnetReg.TACC, 0x18);
  nic.write32(EnetReg.RDSR, Number(RX_RING));
  nic.write32(EnetReg.TDSR, Number(TX_RING));
  nic.write32(EnetReg.MRBR, 1536);
  nic.write32(EnetReg.RCR, (1518 << 16) | (1 << 6) | (1 << 2) | Rcr.PROM);
  nic.write32(EnetReg.TCR, 1 << 2);
  nic.write32(EnetReg.ECR, nic.read32(EnetReg.ECR) | Ecr.SPEED);
  nic.write32(EnetReg.ECR, nic.read32(EnetReg.ECR) | Ecr.ETHEREN);
  nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
  nic.write32(EnetReg.EIR, nic.read32(EnetReg.EIR));
  nic.write32(EnetReg.EIMR, ENET_IRQ_MASK | EnetIrq.EBERR);
}

function rig(
  options: {
    timing?: 'synchronous' | 'agent';
    txic0?: number;
    window?: bigint;
    strict?: boolean;
    observer?: (e: HwEvent) => void;
  } = {},
): Rig {
  const mem = new TestMemory({ baseAddr: BASE, sizeBytes: 0x4_0000 });
  const dma = new WindowDmaPort({
    memory: mem,
    device: 'enet',
    windowStart: BASE,
    windowEnd: options.window ?? BASE + 0x4_0000n,
  });
  const nic = new EnetNicDevice({
    name: 'enet',
    dma,
    mac: MAC,
    ...(options.timing === undefined ? {} : { timing: options.timing }),
    ...(options.strict === undefined ? {} : { strict: options.strict }),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
  const sink = new FrameSink('wire');
  nic.connect(sink);
  sddfSetup(nic, options.txic0 === undefined ? {} : { txic0: options.txic0 });
  return { nic, mem, sink, view: driverView(mem) };
}

const frame = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const rxBuf = (i: number): number => Number(BUFS) + i * 0x800;
const txBuf = (i: number): number => Number(BUFS) + 0x8000 + i * 0x800;

/** sDDF tx_provide for one slot: data, len, then (spec) addr and stat; TDAR. */
function postTx(r: Rig, idx: number, data: Uint8Array): void {
  r.mem.write(BigInt(txBuf(idx)), data);
  r.mem.writeU16(TX_RING + BigInt(BD_SIZE_BYTES * idx), data.length);
  enetTxFill(r.view.dev, r.view.tx, idx, txBuf(idx));
}

describe('ENET-like NIC against spec/devices/enet.ts', () => {
  it('sDDF’s register set-up runs without a driver error', () => {
    const r = rig();
    expect(r.nic.errorCount).toBe(0);
    expect(r.nic.enabled).toBe(true);
    expect(r.nic.rdarActive).toBe(false); // no BD posted yet: Rx DMA stopped at once
  });

  it('Rx: posted BDs are the device’s (E), filled ones the driver’s, in ring order, wrapping at W', () => {
    const r = rig();
    for (let i = 0; i < CAP; i++) enetRxFill(r.view.dev, r.view.rx, i, rxBuf(i));
    expect(r.view.dev.read(r.view.rx.stat + CAP - 1)).toBe(ENET_RXD_EMPTY | ENET_BD_WRAP);
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    for (let n = 0; n < CAP + 2; n++) {
      const idx = n % CAP;
      expect(enetRxTake(r.view.dev, r.view.rx, idx)).toBeNull();
      r.nic.receiveFrame(frame(60, n));
      expect(enetRxTake(r.view.dev, r.view.rx, idx)).toBe(rxBuf(idx));
      expect(r.view.dev.read(r.view.rx.stat + idx) & ENET_BD_LAST).toBe(ENET_BD_LAST);
      expect(r.nic.eir & ENET_EIR_RXF).toBe(ENET_EIR_RXF);
      expect(r.nic.rxNext).toBe((idx + 1) % CAP);
      if (n === CAP - 1 || n === CAP + 1) continue;
      enetRxFill(r.view.dev, r.view.rx, idx, rxBuf(idx)); // hand it back
      r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    }
    expect(r.nic.stats.rxFrames).toBe(CAP + 2);
    expect(r.nic.errorCount).toBe(0);
  });

  it('Tx: BDs with R go out in ring order on TDAR; R cleared; TXF; TDAR clears at the first BD without R', () => {
    const r = rig();
    postTx(r, 0, frame(60, 1));
    postTx(r, 1, frame(70, 2));
    expect(r.view.dev.read(r.view.tx.stat + 0)).toBe(
      ENET_TXD_READY | ENET_TXD_ADDCRC | ENET_BD_LAST,
    );
    expect(r.sink.frameCount).toBe(0); // no doorbell yet
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(r.sink.frames).toEqual([frame(60, 1), frame(70, 2)]);
    expect(enetTxTake(r.view.dev, r.view.tx, 0)).toBe(txBuf(0));
    expect(enetTxTake(r.view.dev, r.view.tx, 1)).toBe(txBuf(1));
    expect(r.nic.txNext).toBe(2);
    expect(r.nic.eir & ENET_EIR_TXF).toBe(ENET_EIR_TXF);
    expect(r.nic.read32(EnetReg.TDAR)).toBe(0);
  });

  it('EIR is write-one-to-clear by the spec’s rule; the line follows EIR & EIMR (= enetIrqLine with sDDF’s mask)', () => {
    const r = rig();
    postTx(r, 0, frame(60, 1));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    r.nic.receiveFrame(frame(60, 9));
    const before = r.nic.eir;
    expect(before & (ENET_EIR_RXF | ENET_EIR_TXF)).toBe(ENET_EIR_RXF | ENET_EIR_TXF);
    r.nic.write32(EnetReg.EIMR, ENET_IRQ_MASK);
    // The spec's line over a word memory holding the device's EIR.
    const plain: DeviceMem = { read: () => r.nic.eir, write: () => {} };
    const nicWords = specNic(r.view.rx, r.view.tx, 0);
    expect(r.nic.irqAsserted()).toBe(enetIrqLine(plain, nicWords));
    r.nic.write32(EnetReg.EIR, ENET_EIR_TXF);
    expect(r.nic.eir).toBe(enetEirAfterWrite(before, ENET_EIR_TXF));
    r.nic.write32(EnetReg.EIR, ENET_EIR_RXF);
    expect(r.nic.irqAsserted()).toBe(false);
    expect(r.nic.irqAsserted()).toBe(enetIrqLine(plain, nicWords));
  });

  it('in lockstep with the spec’s device functions, random runs leave the same BDs, indices and events', () => {
    type Op =
      | { kind: 'post-rx' }
      | { kind: 'frame' }
      | { kind: 'post-tx' }
      | { kind: 'tdar' }
      | { kind: 'take' }
      | { kind: 'ack'; bits: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant<Op>({ kind: 'post-rx' }),
      fc.constant<Op>({ kind: 'frame' }),
      fc.constant<Op>({ kind: 'post-tx' }),
      fc.constant<Op>({ kind: 'tdar' }),
      fc.constant<Op>({ kind: 'take' }),
      fc
        .constantFrom(ENET_EIR_RXF, ENET_EIR_TXF, ENET_EIR_RXF | ENET_EIR_TXF)
        .map((bits): Op => ({ kind: 'ack', bits })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const r = rig();
        // The spec model: the same rings in a plain word memory.
        const words = new Map<number, number>();
        const model: DeviceMem = {
          read: (a) => words.get(a) ?? 0,
          write: (a, v) => void words.set(a, v >>> 0),
        };
        const m = specNic(r.view.rx, r.view.tx, 10);
        // sDDF's setup: the MAC enabled, RDAR written with no BD posted (the engine stops at once).
        model.write(m.ecr, ENET_ECR_ETHEREN);
        enetWriteRdar(model, m);
        let rxTail = 0;
        let rxHead = 0;
        let txTail = 0;
        let txHead = 0;
        for (const o of ops) {
          switch (o.kind) {
            case 'post-rx':
              if (rxTail - rxHead === CAP) break;
              enetRxFill(r.view.dev, r.view.rx, rxTail % CAP, rxBuf(rxTail % CAP));
              enetRxPost(model, m, rxTail % CAP, rxBuf(rxTail % CAP));
              rxTail++;
              r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
              break;
            case 'frame': {
              r.nic.receiveFrame(frame(60, 7));
              const next = enetRxNext(model, m);
              if (next !== null) enetRxComplete(model, m, next.idx);
              break;
            }
            case 'post-tx':
              if (txTail - txHead === CAP) break;
              postTx(r, txTail % CAP, frame(60, 3));
              // postTx writes no TDAR: the doorbell is the 'tdar' operation.
              enetTxFill(model, m.tx, txTail % CAP, txBuf(txTail % CAP));
              txTail++;
              break;
            case 'tdar':
              r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
              enetWriteTdar(model, m);
              for (let n = 0; n < CAP; n++) {
                const next = enetTxNext(model, m);
                if (next === null) break;
                enetTxComplete(model, m, next.idx);
              }
              break;
            case 'take':
              if (rxHead < rxTail && enetRxTake(r.view.dev, r.view.rx, rxHead % CAP) !== null) {
                expect(enetRxTake(model, m.rx, rxHead % CAP)).not.toBeNull();
                rxHead++;
              }
              if (txHead < txTail && enetTxTake(r.view.dev, r.view.tx, txHead % CAP) !== null) {
                expect(enetTxTake(model, m.tx, txHead % CAP)).not.toBeNull();
                txHead++;
              }
              break;
            case 'ack':
              r.nic.write32(EnetReg.EIR, o.bits);
              model.write(m.eir, enetEirAfterWrite(model.read(m.eir), o.bits));
              break;
          }
          for (let i = 0; i < CAP; i++) {
            expect(r.view.dev.read(r.view.rx.stat + i)).toBe(model.read(m.rx.stat + i));
            expect(r.view.dev.read(r.view.tx.stat + i)).toBe(model.read(m.tx.stat + i));
          }
          expect([r.nic.rxNext, r.nic.txNext]).toEqual([
            model.read(m.rxNext),
            model.read(m.txNext),
          ]);
          expect(r.nic.eir & ENET_IRQ_MASK).toBe(model.read(m.eir));
          expect(r.nic.rdarActive).toBe(model.read(m.rdar) === ENET_DAR_ACTIVE);
        }
        expect(r.nic.errorCount).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ENET-like NIC: what the spec leaves out', () => {
  it('a frame arriving while RDAR is clear is dropped, as on the real device', () => {
    const r = rig();
    r.nic.receiveFrame(frame(60, 1));
    expect(r.nic.stats.rxDroppedNoDescriptor).toBe(1);
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.receiveFrame(frame(60, 2)); // posted, but no RDAR write yet
    expect(r.nic.stats.rxDroppedNoDescriptor).toBe(2);
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    expect(r.nic.read32(EnetReg.RDAR)).toBe(DESCRIPTOR_ACTIVE);
    r.nic.receiveFrame(frame(60, 3));
    expect(r.nic.stats.rxFrames).toBe(1);
    expect(r.nic.rdarActive).toBe(false); // BD 1 is not posted: Rx DMA stops
  });

  it('the length includes the FCS (CRC-32) unless RCR.CRCFWD; frames longer than MRBR are dropped', () => {
    expect(ethernetFcs(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const r = rig();
    for (let i = 0; i < 3; i++) enetRxFill(r.view.dev, r.view.rx, i, rxBuf(i));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    const f = frame(60, 0x5a);
    r.nic.receiveFrame(f);
    expect(r.mem.readU16(RX_RING)).toBe(64);
    expect(r.mem.readU32(BigInt(rxBuf(0)) + 60n)).toBe(ethernetFcs(f));
    r.nic.write32(EnetReg.RCR, r.nic.read32(EnetReg.RCR) | Rcr.CRCFWD);
    r.nic.receiveFrame(f);
    expect(r.mem.readU16(RX_RING + 8n)).toBe(60);
    r.nic.receiveFrame(frame(1600, 1));
    expect(r.nic.stats.rxDroppedTooLong).toBe(1);
  });

  it('without RCR.PROM only our MAC, broadcast and multicast frames are taken', () => {
    const r = rig();
    r.nic.write32(EnetReg.RCR, r.nic.read32(EnetReg.RCR) & ~Rcr.PROM);
    for (let i = 0; i < 3; i++) enetRxFill(r.view.dev, r.view.rx, i, rxBuf(i));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    const to = (mac: number[]): Uint8Array => {
      const f = frame(60, 0);
      f.set(mac);
      return f;
    };
    r.nic.receiveFrame(to([0x02, 0x99, 0, 0, 0, 1]));
    r.nic.receiveFrame(to([...MAC]));
    r.nic.receiveFrame(to([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    r.nic.receiveFrame(to([0x01, 0x00, 0x5e, 0, 0, 1]));
    expect(r.nic.stats).toMatchObject({ rxFrames: 3, rxDroppedFiltered: 1 });
    expect(r.nic.mac).toEqual(MAC);
    expect(r.nic.read32(EnetReg.PAUR) & 0xffff).toBe(0x8808);
  });

  it('a Tx frame over several BDs goes out whole at the BD with L; TXF comes with that BD', () => {
    const r = rig();
    r.mem.write(BigInt(txBuf(0)), frame(40, 1));
    r.mem.write(BigInt(txBuf(1)), frame(30, 2));
    r.mem.writeU16(TX_RING, 40);
    r.mem.writeU16(TX_RING + 8n, 30);
    r.view.dev.write(r.view.tx.addr, txBuf(0));
    r.view.dev.write(r.view.tx.stat, ENET_TXD_READY);
    r.view.dev.write(r.view.tx.addr + 1, txBuf(1));
    r.view.dev.write(r.view.tx.stat + 1, ENET_TXD_READY | ENET_BD_LAST);
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(r.sink.frames).toEqual([new Uint8Array([...frame(40, 1), ...frame(30, 2)])]);
    expect(r.nic.eir & ENET_EIR_TXF).toBe(ENET_EIR_TXF);
  });

  it('TXIC0 coalescing: TXF waits for ICFT frames; the timer (end of a burst) raises the rest', () => {
    const r = rig({
      txic0: Coalescing.ICEN | (3 << Coalescing.ICFT_SHIFT) | 0xff,
      timing: 'agent',
    });
    for (let i = 0; i < 4; i++) postTx(r, i, frame(60, i));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    const step = (kind: 'poll' | 'complete'): void =>
      r.nic.agentPerform(kind === 'poll' ? { kind, queue: 1 } : { kind, queue: 1, max: 1 });
    step('poll');
    step('complete');
    step('poll');
    step('complete');
    expect(r.nic.eir & ENET_EIR_TXF).toBe(0); // 2 of 3
    step('poll');
    step('complete');
    expect(r.nic.eir & ENET_EIR_TXF).toBe(ENET_EIR_TXF); // the third
    r.nic.write32(EnetReg.EIR, ENET_EIR_TXF);
    step('poll');
    step('complete');
    expect(r.nic.eir & ENET_EIR_TXF).toBe(0);
    expect(r.nic.agentActions().map((a) => a.kind)).toContain('interrupt');
    r.nic.agentPerform({ kind: 'interrupt' }); // the coalescing timer expires
    expect(r.nic.eir & ENET_EIR_TXF).toBe(ENET_EIR_TXF);
    // Synchronous timing: the burst ends with the TDAR write, the timer with it.
    const s = rig({ txic0: Coalescing.ICEN | (3 << Coalescing.ICFT_SHIFT) });
    postTx(s, 0, frame(60, 1));
    s.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(s.nic.eir & ENET_EIR_TXF).toBe(ENET_EIR_TXF);
  });

  it('a refused DMA halts the uDMA with EBERR until ECR.RESET; only this device', () => {
    const r = rig({ window: BASE + 0x2000n }); // rings inside, buffers outside
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    r.nic.receiveFrame(frame(60, 1));
    expect(r.nic.halted).toBe(true);
    expect(r.nic.eir & EnetIrq.EBERR).toBe(EnetIrq.EBERR);
    expect(r.nic.irqAsserted()).toBe(true);
    expect(r.nic.errorCodes()).toEqual(['dma-fault']);
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    expect(r.nic.rdarActive).toBe(false);
    r.nic.write32(EnetReg.ECR, Ecr.RESET);
    expect(r.nic.halted).toBe(false);
    expect(r.nic.eir).toBe(0);
    expect(r.nic.read32(EnetReg.ECR) & (Ecr.RESET | Ecr.ETHEREN)).toBe(0);
    expect(r.nic.mac).toEqual(MAC); // PALR/PAUR keep the address across a reset
  });

  it('clearing ETHEREN stops the uDMA and resets the BD pointers to the ring starts', () => {
    const r = rig();
    postTx(r, 0, frame(60, 1));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(r.nic.txNext).toBe(1);
    r.nic.write32(EnetReg.ECR, r.nic.read32(EnetReg.ECR) & ~Ecr.ETHEREN);
    expect([r.nic.txNext, r.nic.enabled]).toEqual([0, false]);
    postTx(r, 1, frame(60, 2));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE); // ignored while disabled
    expect(r.nic.tdarActive).toBe(false);
    r.nic.receiveFrame(frame(60, 1));
    expect(r.nic.stats.rxDroppedNotReady).toBe(1);
  });

  it('without ECR.DBSWP the BDs are big-endian, status first', () => {
    const r = rig();
    r.nic.write32(EnetReg.ECR, r.nic.read32(EnetReg.ECR) & ~Ecr.DBSWP);
    const be = driverView(r.mem, false);
    enetRxFill(be.dev, be.rx, 0, rxBuf(0));
    expect(r.mem.readU8(RX_RING)).toBe(ENET_RXD_EMPTY >>> 8);
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    r.nic.receiveFrame(frame(60, 1));
    expect(enetRxTake(be.dev, be.rx, 0)).toBe(rxBuf(0));
    expect((r.mem.readU8(RX_RING + 2n) << 8) | r.mem.readU8(RX_RING + 3n)).toBe(64);
  });

  it('registers are 32-bit only (bus error), as QEMU’s imx_fec; misuse is recorded', () => {
    const r = rig();
    expect(r.nic.read16(EnetReg.EIR)).toMatchObject({ kind: 'bus-error' });
    expect(r.nic.write8(EnetReg.EIMR, 1)).toMatchObject({ kind: 'bus-error' });
    expect(r.nic.read32(0x00c)).toBe(0);
    expect(r.nic.errorCodes()).toEqual(['wrong-width', 'wrong-width', 'hole']);
  });

  it('RDSR/TDSR not 64-bit aligned and MRBR not a multiple of 16 are driver errors; low bits ignored', () => {
    const r = rig();
    r.nic.write32(EnetReg.RDSR, Number(RX_RING) + 4);
    r.nic.write32(EnetReg.MRBR, 1530);
    expect(r.nic.read32(EnetReg.RDSR)).toBe(Number(RX_RING));
    expect(r.nic.read32(EnetReg.MRBR)).toBe(1520);
    expect(r.nic.errorCodes()).toEqual(['enet-ring-alignment', 'enet-mrbr-alignment']);
  });

  it('an MII management frame completes at once (EIR.MII); plain registers keep their value', () => {
    const r = rig();
    r.nic.write32(EnetReg.MMFR, 0x6002_0000);
    expect(r.nic.eir & EnetIrq.MII).toBe(EnetIrq.MII);
    r.nic.write32(EnetReg.TIPG, 12);
    expect(r.nic.read32(EnetReg.TIPG)).toBe(12);
    expect(r.nic.read32(EnetReg.MSCR)).toBe(48);
  });
});

describe('ENET-like NIC in agent timing', () => {
  it('frames wait on the wire; Tx BDs are taken and sent at the scheduler’s choice', () => {
    const r = rig({ timing: 'agent' });
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    r.nic.receiveFrame(frame(60, 1));
    expect(r.nic.backlogCount).toBe(1);
    expect(r.nic.agentBusy()).toBe(true);
    r.nic.agentPerform({ kind: 'rx-frame' });
    expect(enetRxTake(r.view.dev, r.view.rx, 0)).toBe(rxBuf(0));
    postTx(r, 0, frame(60, 2));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(r.sink.frameCount).toBe(0);
    expect(r.nic.agentActions()).toEqual([{ kind: 'poll', queue: 1 }]);
    r.nic.agentPerform({ kind: 'poll', queue: 1 });
    r.nic.agentPerform({ kind: 'complete', queue: 1, max: 1 });
    expect(r.sink.frameCount).toBe(1);
    r.nic.agentPerform({ kind: 'poll', queue: 1 }); // BD 1 has no R: TDAR clears
    expect(r.nic.tdarActive).toBe(false);
    expect(r.nic.agentBusy()).toBe(false);
  });

  it('§5.2 ownership: a Tx BD changed while the device owns it is a driver error (R before addr)', () => {
    const r = rig({ timing: 'agent' });
    postTx(r, 0, frame(60, 2));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    r.nic.agentPerform({ kind: 'poll', queue: 1 });
    r.view.dev.write(r.view.tx.addr, txBuf(1)); // the driver writes addr after handing the BD over
    r.nic.agentPerform({ kind: 'complete', queue: 1, max: 1 });
    expect(r.nic.errorCodes()).toEqual(['bd-changed-while-owned']);
  });

  it('the wire backlog is bounded; a stalled device offers nothing', () => {
    const r = rig({ timing: 'agent' });
    for (let i = 0; i < MAX_ENET_BACKLOG + 2; i++) r.nic.receiveFrame(frame(60, 1));
    expect(r.nic.backlogCount).toBe(MAX_ENET_BACKLOG);
    expect(r.nic.stats.rxDroppedNoDescriptor).toBe(2);
    r.nic.stall();
    expect(r.nic.agentActions()).toEqual([]);
    r.nic.release();
    expect(r.nic.agentActions()).toEqual([{ kind: 'rx-frame' }]);
  });
});

describe('ENET-like NIC: registers and corners', () => {
  it('ECR reads its reset value 0x70000000 with RESET self-cleared; reset clears registers but the address ones', () => {
    const r = rig();
    r.nic.write32(EnetReg.IAUR, 0x1234);
    r.nic.write32(EnetReg.GALR, 0x5678);
    r.nic.write32(EnetReg.ECR, Ecr.RESET);
    expect(r.nic.read32(EnetReg.ECR)).toBe(0x7000_0000);
    expect(
      [EnetReg.TIPG, EnetReg.MRBR, EnetReg.EIMR, EnetReg.RDSR, EnetReg.RCR].map((x) =>
        r.nic.read32(x),
      ),
    ).toEqual([0, 0, 0, 0, 0]);
    expect([r.nic.read32(EnetReg.IAUR), r.nic.read32(EnetReg.GALR)]).toEqual([0x1234, 0x5678]);
    expect(r.nic.read32(EnetReg.PALR)).toBe(0x0211_2233);
    expect(r.nic.read32(EnetReg.PAUR)).toBe(0x4455_8808);
    r.nic.write32(EnetReg.ECR, Ecr.ETHEREN);
    expect(r.nic.read32(EnetReg.ECR)).toBe((0x7000_0000 | Ecr.ETHEREN) >>> 0);
    expect(r.nic.errorCount).toBe(0);
  });

  it('MIBC keeps only DIS and CLEAR and always reads IDLE', () => {
    const r = rig();
    r.nic.write32(EnetReg.MIBC, 0xffff_ffff);
    expect(r.nic.read32(EnetReg.MIBC)).toBe((Mibc.DIS | Mibc.CLEAR | Mibc.IDLE) >>> 0);
    r.nic.write32(EnetReg.MIBC, 0);
    expect(r.nic.read32(EnetReg.MIBC)).toBe(Mibc.IDLE >>> 0);
  });

  it('PALR/PAUR written by the driver change the address the filter takes', () => {
    const r = rig();
    r.nic.write32(EnetReg.RCR, r.nic.read32(EnetReg.RCR) & ~Rcr.PROM);
    r.nic.write32(EnetReg.PALR, 0x0aabbccd);
    r.nic.write32(EnetReg.PAUR, 0xeeff_0000);
    expect(r.nic.mac).toEqual(Uint8Array.of(0x0a, 0xab, 0xbc, 0xcd, 0xee, 0xff));
    for (let i = 0; i < 2; i++) enetRxFill(r.view.dev, r.view.rx, i, rxBuf(i));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    const f = frame(60, 0);
    f.set([0x0a, 0xab, 0xbc, 0xcd, 0xee, 0xff]);
    r.nic.receiveFrame(f);
    f[5] = 0xfe;
    r.nic.receiveFrame(f);
    f.set(MAC);
    r.nic.receiveFrame(f);
    expect(r.nic.stats).toMatchObject({ rxFrames: 1, rxDroppedFiltered: 2 });
  });

  it('TDSR is checked like RDSR; with strict off neither check is recorded', () => {
    const r = rig();
    r.nic.write32(EnetReg.TDSR, Number(TX_RING) + 2);
    expect(r.nic.read32(EnetReg.TDSR)).toBe(Number(TX_RING));
    expect(r.nic.errors.map((e) => e.where)).toEqual(['ENET_TDSR (0x184) 32-bit write']);
    const q = rig({ strict: false });
    q.nic.write32(EnetReg.TDSR, Number(TX_RING) + 2);
    q.nic.write32(EnetReg.MRBR, 17);
    expect(q.nic.errorCount).toBe(0);
    expect(q.nic.read32(EnetReg.MRBR)).toBe(16);
  });

  it('a hole takes a 32-bit access (ignored, reads 0) and refuses any other on the bus', () => {
    const r = rig();
    r.nic.write32(0x00c, 5);
    expect(r.nic.read32(0x00c)).toBe(0);
    expect(r.nic.read16(0x00c)).toMatchObject({ kind: 'bus-error' });
    expect(r.nic.errorCodes()).toEqual(['hole', 'hole', 'hole']);
  });

  it('frames are dropped while the device is halted or stalled, as not ready', () => {
    const r = rig();
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    r.nic.stall();
    r.nic.receiveFrame(frame(60, 1));
    expect(r.nic.stats.rxDroppedNotReady).toBe(1);
    r.nic.release();
    r.nic.receiveFrame(frame(60, 1));
    expect(r.nic.stats.rxFrames).toBe(1);
  });

  it('a stalled device sends nothing on TDAR; release sends what waits', () => {
    const r = rig();
    postTx(r, 0, frame(60, 1));
    r.nic.stall();
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(r.sink.frameCount).toBe(0);
    expect(r.nic.tdarActive).toBe(true);
    r.nic.release();
    expect(r.sink.frameCount).toBe(1);
  });

  it('observers see frames (length without FCS), the line and DMA faults with their place', () => {
    const events: HwEvent[] = [];
    const r = rig({ observer: (e) => events.push(e), window: BASE + 0x1_0800n });
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    r.nic.receiveFrame(frame(60, 1));
    postTx(r, 0, frame(50, 2)); // buffer outside the window
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    const kinds = events.filter(
      (e) => e.kind === 'frame-rx' || e.kind === 'frame-tx' || e.kind === 'irq',
    );
    expect(kinds).toEqual([
      { kind: 'irq', device: 'enet', asserted: true }, // RXF, as the BD is completed
      { kind: 'frame-rx', device: 'enet', lengthBytes: 60 },
    ]);
    expect(r.nic.halted).toBe(true);
    expect(r.nic.tdarActive).toBe(false);
    expect(r.nic.errors[0]?.where).toBe(`read [0x${txBuf(0).toString(16)}, +50)`);
    expect(r.nic.eir & EnetIrq.EBERR).toBe(EnetIrq.EBERR);
    expect(r.sink.frameCount).toBe(0);
  });

  it('observers see a sent frame with its length', () => {
    const events: HwEvent[] = [];
    const r = rig({ observer: (e) => events.push(e) });
    postTx(r, 0, frame(50, 2));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(events.filter((e) => e.kind === 'frame-tx')).toEqual([
      { kind: 'frame-tx', device: 'enet', lengthBytes: 50 },
    ]);
  });

  it('a ring outside the window faults on the RDAR write itself', () => {
    const r = rig();
    r.nic.write32(EnetReg.RDSR, 0x1000_0000);
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    expect(r.nic.halted).toBe(true);
    expect(r.nic.errors[0]?.where).toBe('read [0x10000002, +2)');
    expect(r.nic.agentActions()).toEqual([]);
  });

  it('EIMR takes effect on the line at once', () => {
    const levels: boolean[] = [];
    const mem = new TestMemory({ baseAddr: BASE, sizeBytes: 0x1000 });
    const nic = new EnetNicDevice({
      name: 'e',
      dma: new WindowDmaPort({
        memory: mem,
        device: 'e',
        windowStart: BASE,
        windowEnd: BASE + 0x1000n,
      }),
      mac: MAC,
      onIrqLevel: (l) => levels.push(l),
    });
    nic.write32(EnetReg.MMFR, 1);
    expect(levels).toEqual([]);
    nic.write32(EnetReg.EIMR, EnetIrq.MII);
    expect(levels).toEqual([true]);
    nic.write32(EnetReg.EIMR, 0);
    expect(levels).toEqual([true, false]);
    expect(nic.eimr).toBe(0);
  });

  it('RXIC0 coalescing holds RXF to ICFT frames; ICFT 0 counts as 1; a reset drops what is held', () => {
    const r = rig({ timing: 'agent' });
    r.nic.write32(EnetReg.RXIC0, Coalescing.ICEN | (2 << Coalescing.ICFT_SHIFT));
    for (let i = 0; i < 3; i++) enetRxFill(r.view.dev, r.view.rx, i, rxBuf(i));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    const rx = (): void => {
      r.nic.receiveFrame(frame(60, 1));
      r.nic.agentPerform({ kind: 'rx-frame' });
    };
    rx();
    expect(r.nic.eir & ENET_EIR_RXF).toBe(0);
    expect(r.nic.agentActions()).toEqual([{ kind: 'interrupt' }]);
    rx();
    expect(r.nic.eir & ENET_EIR_RXF).toBe(ENET_EIR_RXF);
    expect(r.nic.agentActions()).toEqual([]);
    r.nic.write32(EnetReg.EIR, ENET_EIR_RXF);
    rx();
    expect(r.nic.eir & ENET_EIR_RXF).toBe(0);
    r.nic.write32(EnetReg.ECR, Ecr.RESET);
    r.nic.write32(EnetReg.ECR, Ecr.ETHEREN);
    expect(r.nic.agentActions()).toEqual([]);
    expect(r.nic.eir).toBe(0);
    // ICFT 0: every frame.
    const z = rig({ txic0: Coalescing.ICEN });
    postTx(z, 0, frame(60, 1));
    z.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(z.nic.eir & ENET_EIR_TXF).toBe(ENET_EIR_TXF);
  });

  it('in agent timing: one BD is taken at a time; the first BD of a two-BD frame raises no TXF', () => {
    const r = rig({ timing: 'agent' });
    r.mem.write(BigInt(txBuf(0)), frame(40, 1));
    r.mem.write(BigInt(txBuf(1)), frame(30, 2));
    r.mem.writeU16(TX_RING, 40);
    r.mem.writeU16(TX_RING + 8n, 30);
    r.view.dev.write(r.view.tx.addr, txBuf(0));
    r.view.dev.write(r.view.tx.stat, ENET_TXD_READY);
    r.view.dev.write(r.view.tx.addr + 1, txBuf(1));
    r.view.dev.write(r.view.tx.stat + 1, ENET_TXD_READY | ENET_BD_LAST);
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    r.nic.agentPerform({ kind: 'poll', queue: 1 });
    expect(r.nic.agentActions()).toEqual([{ kind: 'complete', queue: 1, max: 1 }]);
    r.nic.agentPerform({ kind: 'complete', queue: 1, max: 1 });
    expect(r.nic.eir & ENET_EIR_TXF).toBe(0);
    expect(r.sink.frameCount).toBe(0);
    r.nic.agentPerform({ kind: 'spurious-interrupt' }); // not an ENET action: nothing happens
    r.nic.agentPerform({ kind: 'complete', queue: 1, max: 1 }); // nothing taken: nothing to do
    expect(r.sink.frameCount).toBe(0);
    r.nic.agentPerform({ kind: 'poll', queue: 1 });
    r.nic.agentPerform({ kind: 'complete', queue: 1, max: 1 });
    expect(r.sink.frames).toEqual([new Uint8Array([...frame(40, 1), ...frame(30, 2)])]);
    expect(r.nic.eir & ENET_EIR_TXF).toBe(ENET_EIR_TXF);
    r.nic.agentPerform({ kind: 'rx-frame' }); // nothing waiting
    expect(r.nic.stats.rxFrames).toBe(0);
  });

  it('a disabled device offers no agent actions; the ownership error says what changed', () => {
    const r = rig({ timing: 'agent' });
    postTx(r, 0, frame(60, 2));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    r.nic.agentPerform({ kind: 'poll', queue: 1 });
    r.mem.writeU16(TX_RING, 61);
    r.nic.agentPerform({ kind: 'complete', queue: 1, max: 1 });
    expect(r.nic.errors[0]?.message).toContain('len 60 → 61');
    expect(r.nic.errors[0]?.where).toBe('Tx BD 0');
    r.nic.receiveFrame(frame(60, 1));
    r.nic.write32(EnetReg.ECR, r.nic.read32(EnetReg.ECR) & ~Ecr.ETHEREN);
    expect(r.nic.agentActions()).toEqual([]);
  });
});

describe('ENET-like NIC: corners (final mutation run)', () => {
  /** A device that was never reset: the state it powers on with. */
  function fresh(options: { timing?: 'agent'; observer?: (e: HwEvent) => void } = {}) {
    const mem = new TestMemory({ baseAddr: BASE, sizeBytes: 0x4_0000 });
    const nic = new EnetNicDevice({
      name: 'enet',
      dma: new WindowDmaPort({
        memory: mem,
        device: 'enet',
        windowStart: BASE,
        windowEnd: BASE + 0x4_0000n,
      }),
      mac: MAC,
      ...(options.timing === undefined ? {} : { timing: options.timing }),
      ...(options.observer === undefined ? {} : { observer: options.observer }),
    });
    return { nic, mem, view: driverView(mem) };
  }

  it('powers on idle: no doorbell active, not halted, not stalled, nothing taken', () => {
    const { nic, mem, view } = fresh();
    expect([nic.rdarActive, nic.tdarActive, nic.halted, nic.stalled]).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect([nic.read32(EnetReg.RDAR), nic.read32(EnetReg.TDAR)]).toEqual([0, 0]);
    // Enabled without a reset first, a frame goes out whole and alone.
    nic.write32(EnetReg.TDSR, Number(TX_RING));
    nic.write32(EnetReg.ECR, Ecr.DBSWP | Ecr.ETHEREN);
    const sink = new FrameSink('wire');
    nic.connect(sink);
    mem.write(BigInt(txBuf(0)), frame(60, 5));
    mem.writeU16(TX_RING, 60);
    enetTxFill(view.dev, view.tx, 0, txBuf(0));
    nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(sink.frames).toEqual([frame(60, 5)]);
    expect(nic.stats.txFrames).toBe(1);
  });

  it('a MAC is 6 bytes', () => {
    const mem = new TestMemory({ baseAddr: BASE, sizeBytes: 0x1000 });
    const dma = new WindowDmaPort({
      memory: mem,
      device: 'e',
      windowStart: BASE,
      windowEnd: BASE + 0x1000n,
    });
    expect(() => new EnetNicDevice({ name: 'e', dma, mac: new Uint8Array(5) })).toThrow(
      InvariantError,
    );
  });

  it('an observer sees the device’s DMA', () => {
    const events: HwEvent[] = [];
    const r = rig({ observer: (e) => events.push(e) });
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    r.nic.receiveFrame(frame(60, 1));
    expect(events.some((e) => e.kind === 'dma-write' && e.ioAddr === BigInt(rxBuf(0)))).toBe(true);
  });

  it('a BD the driver takes back after RDAR: the frame is dropped and Rx stops', () => {
    const r = rig();
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    r.view.dev.write(r.view.rx.stat, 0); // E cleared behind the device's back
    r.nic.receiveFrame(frame(60, 1));
    expect(r.nic.stats).toMatchObject({ rxFrames: 0, rxDroppedNoDescriptor: 1 });
    expect(r.nic.rdarActive).toBe(false);
  });

  it('the coalescing timer raises held-back RXF too; without ICEN, ICFT means nothing', () => {
    const r = rig({ timing: 'agent' });
    r.nic.write32(EnetReg.RXIC0, Coalescing.ICEN | (4 << Coalescing.ICFT_SHIFT));
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    r.nic.receiveFrame(frame(60, 1));
    r.nic.agentPerform({ kind: 'rx-frame' });
    expect(r.nic.eir & ENET_EIR_RXF).toBe(0);
    r.nic.agentPerform({ kind: 'interrupt' });
    expect(r.nic.eir & ENET_EIR_RXF).toBe(ENET_EIR_RXF);
    const s = rig({ txic0: 4 << Coalescing.ICFT_SHIFT, timing: 'agent' });
    postTx(s, 0, frame(60, 1));
    s.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    s.nic.agentPerform({ kind: 'poll', queue: 1 });
    s.nic.agentPerform({ kind: 'complete', queue: 1, max: 1 });
    expect(s.nic.eir & ENET_EIR_TXF).toBe(ENET_EIR_TXF);
    // spec/devices/enet.ts: the Tx engine stops as it completes a BD whose successor is not R.
    expect(s.nic.agentActions()).toEqual([]);
    expect(s.nic.read32(EnetReg.TDAR)).toBe(0);
  });

  it('release() of an agent device sends nothing itself; a synchronous one sends only after TDAR', () => {
    const a = rig({ timing: 'agent' });
    postTx(a, 0, frame(60, 1));
    a.nic.stall();
    a.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    a.nic.release();
    expect(a.sink.frameCount).toBe(0);
    const s = rig();
    postTx(s, 0, frame(60, 1)); // no TDAR
    s.nic.stall();
    s.nic.release();
    expect(s.sink.frameCount).toBe(0);
  });

  it('a refused BD status write halts with EBERR; RDAR reads 0 at once', () => {
    const mem = new TestMemory({ baseAddr: BASE, sizeBytes: 0x4_0000 });
    const inner = new WindowDmaPort({
      memory: mem,
      device: 'enet',
      windowStart: BASE,
      windowEnd: BASE + 0x4_0000n,
    });
    let refuseRing = false;
    const dma: DmaPort = {
      read: (a, n) => inner.read(a, n),
      write: (a, d) =>
        refuseRing && a < TX_RING
          ? {
              kind: 'dma-fault',
              device: 'enet',
              ioAddr: a,
              lengthBytes: d.length,
              write: true,
              reason: 'ring read-only',
            }
          : inner.write(a, d),
    };
    const nic = new EnetNicDevice({ name: 'enet', dma, mac: MAC });
    sddfSetup(nic);
    const view = driverView(mem);
    enetRxFill(view.dev, view.rx, 0, rxBuf(0));
    enetRxFill(view.dev, view.rx, 1, rxBuf(1));
    nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    refuseRing = true;
    nic.receiveFrame(frame(60, 1));
    expect(nic.halted).toBe(true);
    expect(nic.rdarActive).toBe(false);
    expect(nic.read32(EnetReg.RDAR)).toBe(0);
    expect(nic.stats.rxFrames).toBe(0);
  });

  it('frames waiting on the wire are copies; a frame of exactly MRBR bytes (with FCS) is taken', () => {
    const r = rig({ timing: 'agent' });
    r.nic.write32(EnetReg.MRBR, 64);
    enetRxFill(r.view.dev, r.view.rx, 0, rxBuf(0));
    r.nic.write32(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    const f = frame(60, 1);
    r.nic.receiveFrame(f);
    f.fill(2);
    r.nic.agentPerform({ kind: 'rx-frame' });
    expect(r.nic.stats.rxFrames).toBe(1);
    expect(r.mem.readU8(BigInt(rxBuf(0)))).toBe(1);
    r.nic.agentPerform({ kind: 'rx-frame' }); // none waiting
    expect(r.nic.stats).toMatchObject({ rxFrames: 1, rxDroppedNoDescriptor: 0 });
  });

  it('a Tx BD is taken once: a second poll before its completion is our bug', () => {
    const r = rig({ timing: 'agent' });
    postTx(r, 0, frame(60, 1));
    postTx(r, 1, frame(60, 2));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    r.nic.agentPerform({ kind: 'poll', queue: 1 });
    expect(() => r.nic.agentPerform({ kind: 'poll', queue: 1 })).toThrow(InvariantError);
  });

  it('without a link the frame is counted and goes nowhere', () => {
    const r = rig();
    r.nic.connect(null);
    postTx(r, 0, frame(60, 1));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(r.nic.stats.txFrames).toBe(1);
  });

  it('a clean agent run records nothing; a status-only change of an owned BD is caught', () => {
    const r = rig({ timing: 'agent' });
    postTx(r, 0, frame(60, 2));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    r.nic.agentPerform({ kind: 'poll', queue: 1 });
    r.nic.agentPerform({ kind: 'complete', queue: 1, max: 1 });
    expect(r.nic.errorCount).toBe(0);
    postTx(r, 1, frame(60, 3));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    r.nic.agentPerform({ kind: 'poll', queue: 1 });
    r.view.dev.write(r.view.tx.stat + 1, ENET_TXD_READY | ENET_BD_LAST); // ADDCRC dropped
    r.nic.agentPerform({ kind: 'complete', queue: 1, max: 1 });
    expect(r.nic.errorCodes()).toEqual(['bd-changed-while-owned']);
  });

  it('EIR and PAUR read through the bus; an ECR write that keeps ETHEREN keeps the BD pointers', () => {
    const r = rig();
    postTx(r, 0, frame(60, 1));
    r.nic.write32(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
    expect(r.nic.read32(EnetReg.EIR)).toBe(r.nic.eir);
    expect(r.nic.read32(EnetReg.EIR) & ENET_EIR_TXF).toBe(ENET_EIR_TXF);
    r.nic.write32(EnetReg.PAUR, 0xeeff_0000);
    expect(r.nic.read32(EnetReg.PAUR)).toBe(0xeeff_8808);
    r.nic.write32(EnetReg.ECR, r.nic.read32(EnetReg.ECR) & ~Ecr.SPEED);
    expect([r.nic.txNext, r.nic.enabled]).toEqual([1, true]);
  });
});
