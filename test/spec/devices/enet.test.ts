// spec/devices/enet.ts: the BD ownership protocol between driver and device, the ring wrap by W,
// EIR write-one-to-clear and the interrupt line.
import { describe, expect, it } from 'vitest';
import type { DeviceMem } from '../../../spec/common/memory.ts';
import {
  ENET_BD_LAST,
  ENET_BD_WRAP,
  ENET_EIR_RXF,
  ENET_EIR_TXF,
  ENET_RXD_EMPTY,
  ENET_TXD_ADDCRC,
  ENET_TXD_READY,
  enetEirAfterWrite,
  enetIrqLine,
  enetRxComplete,
  enetRxNext,
  enetRxPost,
  enetRxTake,
  enetTakeEvents,
  enetTxComplete,
  enetTxNext,
  enetTxPost,
  enetTxTake,
  type EnetNic,
} from '../../../spec/devices/enet.ts';

/** A NIC with 2-slot rings in a plain word memory: rx addr 0-1, stat 2-3, tx 4-7, regs 8-10. */
function nic(): { dev: DeviceMem & { words: number[] }; n: EnetNic } {
  const words = new Array<number>(11).fill(0);
  const dev = {
    words,
    read: (a: number) => words[a]!,
    write: (a: number, v: number) => void (words[a] = v >>> 0),
  };
  const n: EnetNic = {
    rx: { addr: 0, stat: 2, capacity: 2 },
    tx: { addr: 4, stat: 6, capacity: 2 },
    eir: 8,
    rxNext: 9,
    txNext: 10,
  };
  return { dev, n };
}

describe('ENET-like NIC (reference §5.2, §3.2)', () => {
  it('Rx: posted BDs are the device’s (E, W on the last), filled ones the driver’s again', () => {
    const { dev, n } = nic();
    expect(enetRxNext(dev, n)).toBeNull(); // nothing posted: Rx DMA stopped
    enetRxPost(dev, n.rx, 0, 0x1000);
    enetRxPost(dev, n.rx, 1, 0x1800);
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
    expect(dev.words[9]).toBe(0); // wrapped at W
    expect(dev.words[3]).toBe(ENET_BD_WRAP | ENET_BD_LAST);
    expect(enetRxNext(dev, n)).toBeNull(); // slot 0 not re-posted
    expect(enetIrqLine(dev, n)).toBe(true);
  });

  it('Tx: R/TC/L (+W) hand a BD to the device; it clears R, advances and raises TXF', () => {
    const { dev, n } = nic();
    enetTxPost(dev, n.tx, 1, 0x2000);
    expect(dev.words[7]).toBe(ENET_TXD_READY | ENET_TXD_ADDCRC | ENET_BD_LAST | ENET_BD_WRAP);
    expect(enetTxNext(dev, n)).toBeNull(); // the device stops at the first BD without R (slot 0)
    dev.words[10] = 1;
    expect(enetTxTake(dev, n.tx, 1)).toBeNull();
    expect(enetTxNext(dev, n)).toEqual({ idx: 1, io: 0x2000 });
    enetTxComplete(dev, n, 1);
    expect(enetTxTake(dev, n.tx, 1)).toBe(0x2000);
    expect(dev.words[10]).toBe(0);
    expect(dev.words[8]).toBe(ENET_EIR_TXF);
  });

  it('EIR is write-one-to-clear; the driver takes exactly the unmasked pending events', () => {
    expect(enetEirAfterWrite(ENET_EIR_RXF | ENET_EIR_TXF | 1, ENET_EIR_RXF)).toBe(ENET_EIR_TXF | 1);
    const { dev, n } = nic();
    dev.words[8] = ENET_EIR_RXF | 1; // bit 0 is not an IRQ source sDDF unmasks
    expect(enetIrqLine(dev, n)).toBe(true);
    expect(enetTakeEvents(dev, n)).toBe(ENET_EIR_RXF);
    expect(dev.words[8]).toBe(1);
    expect(enetIrqLine(dev, n)).toBe(false);
  });

  it('completing a BD the device does not own, or out of order, is our bug', () => {
    const { dev, n } = nic();
    expect(() => enetRxComplete(dev, n, 0)).toThrow(/without being owned/);
    expect(() => enetTxComplete(dev, n, 1)).toThrow(/not the next one/);
    expect(() => enetRxPost(dev, n.rx, 2, 0)).toThrow(/outside a ring of 2/);
  });
});
