// spec/devices/enet.ts: the BD ownership protocol between driver and device, the ring wrap by W,
// the DMA doorbells RDAR/TDAR, EIR write-one-to-clear, EIMR masking, Tx interrupt coalescing and
// the interrupt line.
import { describe, expect, it } from 'vitest';
import type { DeviceMem } from '../../../spec/common/memory.ts';
import {
  ENET_BD_LAST,
  ENET_BD_WRAP,
  ENET_DAR_ACTIVE,
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
  enetRxTake,
  enetSetup,
  enetTakeEvents,
  enetTxCoalesceExpire,
  enetTxCoalescePending,
  enetTxComplete,
  enetTxNext,
  enetTxPost,
  enetTxTake,
  type EnetNic,
} from '../../../spec/devices/enet.ts';

/** Word addresses of the registers in the test memory. */
const R = { eir: 8, eimr: 9, ecr: 10, rdar: 11, tdar: 12, rxNext: 13, txNext: 14, txc: 15 };

/** A NIC with 2-slot rings in a plain word memory: rx addr 0-1, stat 2-3, tx 4-7, regs 8-15. */
function nic(txCoalesceFrames = 0): { dev: DeviceMem & { words: number[] }; n: EnetNic } {
  const words = new Array<number>(16).fill(0);
  const dev = {
    words,
    read: (a: number) => words[a]!,
    write: (a: number, v: number) => void (words[a] = v >>> 0),
  };
  const n: EnetNic = {
    rx: { addr: 0, stat: 2, capacity: 2 },
    tx: { addr: 4, stat: 6, capacity: 2 },
    eir: R.eir,
    eimr: R.eimr,
    ecr: R.ecr,
    rdar: R.rdar,
    tdar: R.tdar,
    rxNext: R.rxNext,
    txNext: R.txNext,
    txCoalesced: R.txc,
    txCoalesceFrames,
  };
  return { dev, n };
}

describe('ENET-like NIC (reference §5.2, §3.2)', () => {
  it('setup masks, enables the MAC, stops Rx DMA (no BD yet), then unmasks RXF|TXF', () => {
    const { dev, n } = nic();
    dev.words[R.eir] = ENET_EIR_RXF; // a stale event from before the reset
    enetSetup(dev, n);
    expect(dev.words[R.eir]).toBe(0);
    expect(dev.words[R.eimr]).toBe(ENET_IRQ_MASK);
    expect(dev.words[R.rdar]).toBe(0); // RDAR written, but no BD is the device's
    expect(enetRxNext(dev, n)).toBeNull();
  });

  it('Rx: posted BDs are the device’s (E, W on the last), filled ones the driver’s again', () => {
    const { dev, n } = nic();
    enetSetup(dev, n);
    enetRxPost(dev, n, 0, 0x1000);
    expect(dev.words[R.rdar]).toBe(ENET_DAR_ACTIVE); // the write of RDAR starts the Rx engine
    enetRxPost(dev, n, 1, 0x1800);
    expect(dev.words.slice(2, 4)).toEqual([ENET_RXD_EMPTY, ENET_RXD_EMPTY | ENET_BD_WRAP]);
    expect(enetRxTake(dev, n.rx, 0)).toBeNull(); // the device owns it
    expect(enetIrqLine(dev, n)).toBe(false);
    for (const [idx, io] of [
      [0, 0x1000],
      [1, 0x1800],
    ] as const) {
      expect(enetRxNext(dev, n)).toEqual({ idx, io });
      enetRxComplete(dev, n, idx);
      expect(enetRxTake(dev, n.rx, idx)).toBe(io);
    }
    expect(dev.words[R.rxNext]).toBe(0); // wrapped at W
    expect(dev.words[3]).toBe(ENET_BD_WRAP | ENET_BD_LAST);
    expect(dev.words[R.rdar]).toBe(0); // slot 0 not re-posted: the Rx engine stopped
    expect(enetRxNext(dev, n)).toBeNull();
    expect(enetIrqLine(dev, n)).toBe(true);
  });

  it('a BD posted without a write of RDAR is not used while the Rx engine is stopped', () => {
    const { dev, n } = nic();
    enetSetup(dev, n);
    dev.words[n.rx.addr] = 0x1000;
    dev.words[n.rx.stat] = ENET_RXD_EMPTY; // E set, RDAR not written
    expect(enetRxNext(dev, n)).toBeNull();
    enetRxPost(dev, n, 1, 0x1800); // a later post writes RDAR: the engine starts at BD 0
    expect(enetRxNext(dev, n)).toEqual({ idx: 0, io: 0x1000 });
  });

  it('Tx: R/TC/L (+W) hand a BD to the device; it clears R, advances and raises TXF', () => {
    const { dev, n } = nic();
    enetSetup(dev, n);
    enetTxPost(dev, n, 1, 0x2000);
    expect(dev.words[7]).toBe(ENET_TXD_READY | ENET_TXD_ADDCRC | ENET_BD_LAST | ENET_BD_WRAP);
    expect(enetTxNext(dev, n)).toBeNull(); // the device stops at the first BD without R (slot 0)
    dev.words[R.txNext] = 1;
    dev.words[R.tdar] = ENET_DAR_ACTIVE;
    expect(enetTxTake(dev, n.tx, 1)).toBeNull();
    expect(enetTxNext(dev, n)).toEqual({ idx: 1, io: 0x2000 });
    enetTxComplete(dev, n, 1);
    expect(enetTxTake(dev, n.tx, 1)).toBe(0x2000);
    expect(dev.words[R.txNext]).toBe(0);
    expect(dev.words[R.tdar]).toBe(0);
    expect(dev.words[R.eir]).toBe(ENET_EIR_TXF);
  });

  it('Tx coalescing: completions set no TXF until the threshold or the coalescing timer', () => {
    const { dev, n } = nic(2);
    enetSetup(dev, n);
    enetTxPost(dev, n, 0, 0x2000);
    enetTxPost(dev, n, 1, 0x2800);
    enetTxComplete(dev, n, 0);
    expect(dev.words[R.eir]).toBe(0);
    expect(enetIrqLine(dev, n)).toBe(false);
    expect(enetTxCoalescePending(dev, n)).toBe(true);
    enetTxComplete(dev, n, 1); // threshold 2 reached
    expect(dev.words[R.eir]).toBe(ENET_EIR_TXF);
    expect(enetTxCoalescePending(dev, n)).toBe(false);
    // One completion and the timer.
    const t = nic(128);
    enetSetup(t.dev, t.n);
    enetTxPost(t.dev, t.n, 0, 0x2000);
    enetTxComplete(t.dev, t.n, 0);
    expect(enetIrqLine(t.dev, t.n)).toBe(false);
    enetTxCoalesceExpire(t.dev, t.n);
    expect(enetIrqLine(t.dev, t.n)).toBe(true);
    expect(() => enetTxCoalesceExpire(t.dev, t.n)).toThrow(/pending/);
  });

  it('EIR is write-one-to-clear; the line follows EIR & EIMR; the driver takes what sDDF unmasks', () => {
    expect(enetEirAfterWrite(ENET_EIR_RXF | ENET_EIR_TXF | 1, ENET_EIR_RXF)).toBe(ENET_EIR_TXF | 1);
    const { dev, n } = nic();
    dev.words[R.eir] = ENET_EIR_RXF | 1; // bit 0 is not an IRQ source sDDF unmasks
    expect(enetIrqLine(dev, n)).toBe(false); // masked (EIMR 0 until setup ends)
    dev.words[R.eimr] = ENET_IRQ_MASK;
    expect(enetIrqLine(dev, n)).toBe(true);
    expect(enetTakeEvents(dev, n)).toBe(ENET_EIR_RXF);
    expect(dev.words[R.eir]).toBe(1);
    expect(enetIrqLine(dev, n)).toBe(false);
  });

  it('completing a BD the device does not own, or out of order, is our bug', () => {
    const { dev, n } = nic();
    expect(() => enetRxComplete(dev, n, 0)).toThrow(/without being owned/);
    expect(() => enetTxComplete(dev, n, 1)).toThrow(/not the next one/);
    expect(() => enetRxPost(dev, n, 2, 0)).toThrow(/outside a ring of 2/);
  });
});
