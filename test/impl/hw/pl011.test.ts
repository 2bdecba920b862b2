import { describe, expect, it } from 'vitest';
import {
  Cr,
  DR_OE,
  FIFO_DEPTH,
  Fr,
  Int,
  LCRH_FEN,
  Pl011,
  Pl011Reg,
  Pl011Rule,
} from '../../../impl/hw/pl011.ts';
import { InvariantError } from '../../../spec/common/assert.ts';
import type { HwEvent } from '../../../impl/hw/events.ts';

function uart(txMode: 'instant' | 'stepped' = 'stepped'): { u: Pl011; out: number[] } {
  const out: number[] = [];
  const u = new Pl011({ name: 'uart', output: (b) => out.push(b), txMode });
  u.write32(Pl011Reg.LCR_H, LCRH_FEN | (3 << 5));
  u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE | Cr.RXE);
  return { u, out };
}

describe('PL011 FIFOs and flags', () => {
  it('Tx FIFO holds 16 characters, then TXFF; drained in order', () => {
    const { u, out } = uart();
    expect(u.read32(Pl011Reg.FR) & Fr.TXFE).toBe(Fr.TXFE);
    for (let i = 0; i < FIFO_DEPTH; i++) u.write32(Pl011Reg.DR, 0x41 + i);
    expect(u.read32(Pl011Reg.FR) & Fr.TXFF).toBe(Fr.TXFF);
    u.write32(Pl011Reg.DR, 0x7a); // lost: FIFO full
    expect(u.drainTx(100)).toBe(16);
    expect(out).toEqual(Array.from({ length: 16 }, (_, i) => 0x41 + i));
    expect(u.read32(Pl011Reg.FR) & (Fr.TXFE | Fr.BUSY)).toBe(Fr.TXFE);
  });

  it('Rx FIFO: RXFE until data, RXFF at 16, overrun counted and flagged', () => {
    const { u } = uart();
    expect(u.read32(Pl011Reg.FR) & Fr.RXFE).toBe(Fr.RXFE);
    u.receive(new Uint8Array(20).fill(0x61));
    expect(u.rxLevel).toBe(16);
    expect(u.read32(Pl011Reg.FR) & Fr.RXFF).toBe(Fr.RXFF);
    expect(u.overruns).toBe(4);
    expect(u.read32(Pl011Reg.RIS) & Int.OE).toBe(Int.OE);
    expect(u.read32(Pl011Reg.DR) & 0xff).toBe(0x61);
  });

  it('without FEN the FIFOs are one character deep', () => {
    const out: number[] = [];
    const u = new Pl011({ name: 'u', output: (b) => out.push(b), txMode: 'stepped' });
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE | Cr.RXE);
    u.write32(Pl011Reg.DR, 1);
    expect(u.read32(Pl011Reg.FR) & Fr.TXFF).toBe(Fr.TXFF);
    u.receive(Uint8Array.of(1, 2));
    expect(u.overruns).toBe(1);
  });
});

describe('PL011 interrupts: MIS = RIS & IMSC', () => {
  it('RX at the IFLS level (1/2 = 8), RT for a short burst, both drop when the FIFO drains', () => {
    const { u } = uart();
    u.write32(Pl011Reg.IMSC, Int.RX | Int.RT);
    u.receive(Uint8Array.of(1, 2, 3));
    expect(u.read32(Pl011Reg.MIS)).toBe(Int.RT);
    expect(u.irqAsserted()).toBe(true);
    u.receive(new Uint8Array(5));
    expect(u.read32(Pl011Reg.MIS) & Int.RX).toBe(Int.RX);
    for (let i = 0; i < 8; i++) u.read32(Pl011Reg.DR);
    expect(u.read32(Pl011Reg.MIS)).toBe(0);
    expect(u.irqAsserted()).toBe(false);
  });

  it('RX drops below the threshold even with data left; RT stays until empty', () => {
    const { u } = uart();
    u.write32(Pl011Reg.IMSC, Int.RX | Int.RT);
    u.receive(new Uint8Array(8));
    u.read32(Pl011Reg.DR);
    expect(u.read32(Pl011Reg.MIS)).toBe(Int.RT);
  });

  it('MIS drops when IMSC bits are cleared (sDDF gates TX via IMSC, never ICR)', () => {
    const { u } = uart('instant');
    u.write32(Pl011Reg.DR, 0x41);
    expect(u.read32(Pl011Reg.RIS) & Int.TX).toBe(Int.TX);
    u.write32(Pl011Reg.IMSC, Int.TX);
    expect(u.irqAsserted()).toBe(true);
    u.write32(Pl011Reg.IMSC, 0);
    expect(u.read32(Pl011Reg.MIS)).toBe(0);
    expect(u.irqAsserted()).toBe(false);
  });

  it('TXRIS clears while the Tx FIFO is above its level and returns when it drains', () => {
    const { u } = uart();
    u.write32(Pl011Reg.IMSC, Int.TX);
    for (let i = 0; i < 12; i++) u.write32(Pl011Reg.DR, i);
    expect(u.read32(Pl011Reg.MIS)).toBe(0);
    u.drainTx(4); // 8 left: at the 1/2 level
    expect(u.read32(Pl011Reg.MIS)).toBe(Int.TX);
  });

  it('ICR clears latched bits (W1C) and only those', () => {
    const { u } = uart('instant');
    u.write32(Pl011Reg.DR, 0x41);
    u.receive(Uint8Array.of(1));
    expect(u.read32(Pl011Reg.RIS) & (Int.TX | Int.RT)).toBe(Int.TX | Int.RT);
    u.write32(Pl011Reg.ICR, Int.TX);
    expect(u.read32(Pl011Reg.RIS) & (Int.TX | Int.RT)).toBe(Int.RT);
  });

  it('the sDDF S1/S3 loop: TX interrupts only while data is queued, MIS ends at 0', () => {
    const { u, out } = uart('stepped');
    const text = 'hello, sDDF! a line longer than the sixteen-deep FIFO';
    const txq = [...text].map((c) => c.charCodeAt(0));
    const txProvide = (): void => {
      while ((u.read32(Pl011Reg.FR) & Fr.TXFF) === 0 && txq.length > 0)
        u.write32(Pl011Reg.DR, txq.shift() as number);
      const imsc = u.read32(Pl011Reg.IMSC);
      u.write32(Pl011Reg.IMSC, txq.length > 0 ? imsc | Int.TX : imsc & ~Int.TX);
    };
    txProvide(); // notified(virt_tx)
    let irqs = 0;
    for (let step = 0; step < 100 && (txq.length > 0 || u.txLevel > 0); step++) {
      u.drainTx(3); // the line moves a few characters per step
      if (!u.irqAsserted()) continue;
      irqs++;
      for (
        let m = u.read32(Pl011Reg.MIS), n = 0;
        (m & Int.TX) !== 0 && n < 10;
        m = u.read32(Pl011Reg.MIS), n++
      )
        txProvide();
    }
    expect(String.fromCharCode(...out)).toBe(text);
    expect(irqs).toBeGreaterThan(0);
    expect(u.read32(Pl011Reg.IMSC) & Int.TX).toBe(0);
    expect(u.irqAsserted()).toBe(false);
  });

  it('a stalled UART transmits nothing until released; IRQ edges are observable', () => {
    const events: HwEvent[] = [];
    const out: number[] = [];
    const u = new Pl011({ name: 'u', output: (b) => out.push(b), observer: (e) => events.push(e) });
    u.write32(Pl011Reg.LCR_H, LCRH_FEN);
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE | Cr.RXE);
    u.write32(Pl011Reg.IMSC, Int.TX);
    u.stall();
    u.write32(Pl011Reg.DR, 0x42);
    expect(out).toEqual([]);
    u.release();
    expect(out).toEqual([0x42]);
    expect(events).toContainEqual({ kind: 'irq', device: 'u', asserted: true });
  });
});

describe('PL011 registers', () => {
  it('IFLS selects the Rx level: 1/8 = 2 characters, 7/8 = 14', () => {
    for (const [sel, level] of [
      [0, 2],
      [1, 4],
      [3, 12],
      [4, 14],
    ] as const) {
      const { u } = uart();
      u.write32(Pl011Reg.IFLS, sel << 3);
      u.write32(Pl011Reg.IMSC, Int.RX);
      u.receive(new Uint8Array(level - 1));
      expect(u.read32(Pl011Reg.MIS)).toBe(0);
      u.receive(new Uint8Array(1));
      expect(u.read32(Pl011Reg.MIS)).toBe(Int.RX);
    }
  });

  it('an overrun sets DR bit 11 (OE) on reads until RSR is cleared', () => {
    const { u } = uart();
    u.receive(new Uint8Array(17).fill(0x30));
    expect(u.read32(Pl011Reg.DR)).toBe(0x30 | (1 << 11));
    expect(u.read32(Pl011Reg.RSR)).toBe(1 << 3);
    u.write32(Pl011Reg.RSR, 0);
    expect(u.read32(Pl011Reg.RSR)).toBe(0);
    expect(u.read32(Pl011Reg.DR)).toBe(0x30);
  });

  it('reads back control registers with their widths; identifies as a PL011', () => {
    const { u } = uart();
    u.write32(Pl011Reg.IBRD, 0x1_0027);
    u.write32(Pl011Reg.FBRD, 0xff);
    expect([u.read32(Pl011Reg.IBRD), u.read32(Pl011Reg.FBRD)]).toEqual([0x27, 0x3f]);
    expect(u.read32(Pl011Reg.CR)).toBe(Cr.UARTEN | Cr.TXE | Cr.RXE);
    expect(u.read32(Pl011Reg.LCR_H)).toBe(LCRH_FEN | (3 << 5));
    expect(u.read32(Pl011Reg.IFLS)).toBe(0x12);
    expect([0xfe0, 0xfe4, 0xfe8, 0xfec].map((o) => u.read32(o))).toEqual([0x11, 0x10, 0x14, 0x00]);
    expect(u.read32(Pl011Reg.DR)).toBe(0); // empty Rx FIFO
  });
});

describe('PL011 edges', () => {
  it('without FEN: RX at one character, TX clears with one queued and returns when it drains', () => {
    const out: number[] = [];
    const u = new Pl011({ name: 'u', output: (b) => out.push(b), txMode: 'stepped' });
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE | Cr.RXE);
    u.write32(Pl011Reg.IMSC, Int.RX | Int.TX);
    u.receive(Uint8Array.of(7));
    expect(u.read32(Pl011Reg.MIS) & Int.RX).toBe(Int.RX);
    u.read32(Pl011Reg.DR);
    u.write32(Pl011Reg.DR, 1);
    expect(u.read32(Pl011Reg.MIS) & Int.TX).toBe(0);
    u.drainTx(1);
    expect(u.read32(Pl011Reg.MIS) & Int.TX).toBe(Int.TX);
  });

  it('TXRIS, once set, clears when the Tx FIFO is refilled above its level', () => {
    const { u } = uart();
    u.write32(Pl011Reg.DR, 1);
    u.drainTx(1);
    expect(u.read32(Pl011Reg.RIS) & Int.TX).toBe(Int.TX);
    for (let i = 0; i < 9; i++) u.write32(Pl011Reg.DR, i);
    expect(u.read32(Pl011Reg.RIS) & Int.TX).toBe(0);
  });

  it('drainTx moves exactly maxChars; counters count characters; FR tracks both FIFOs', () => {
    const { u } = uart();
    expect(u.read32(Pl011Reg.FR)).toBe(Fr.RXFE | Fr.TXFE);
    for (let i = 0; i < 10; i++) u.write32(Pl011Reg.DR, i);
    expect(u.read32(Pl011Reg.FR)).toBe(Fr.RXFE | Fr.BUSY);
    expect(u.drainTx(3)).toBe(3);
    expect(u.txLevel).toBe(7);
    expect(u.txCount).toBe(3);
    u.receive(new Uint8Array(16));
    expect(u.rxCount).toBe(16);
    expect(u.read32(Pl011Reg.FR)).toBe(Fr.RXFF | Fr.BUSY);
  });

  it('a stepped UART does not drain on release; reserved offsets read 0', () => {
    const { u, out } = uart('stepped');
    u.stall();
    expect(u.stalled).toBe(true);
    u.write32(Pl011Reg.DR, 5);
    u.release();
    expect(out).toEqual([]);
    expect(u.drainTx(1)).toBe(1);
    expect([u.read32(0x048), u.read32(0xfe4)]).toEqual([0, 0x10]);
    expect(u.read32(0x0fc)).toBe(0);
  });
});

describe('PL011 TRM semantics (issue #14 part 5)', () => {
  it('§3.3.8: nothing is transmitted while UARTEN or TXE is clear; it waits in the FIFO (driver error)', () => {
    const out: number[] = [];
    const u = new Pl011({ name: 'u', output: (b) => out.push(b) }); // reset: CR = TXE | RXE, UARTEN 0
    u.write32(Pl011Reg.LCR_H, LCRH_FEN);
    u.write32(Pl011Reg.DR, 0x41);
    expect(out).toEqual([]);
    expect(u.txLevel).toBe(1);
    expect(u.errorCodes()).toEqual(['pl011-tx-disabled']);
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.RXE); // enabled, but TXE clear
    u.write32(Pl011Reg.DR, 0x42);
    expect(out).toEqual([]);
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE | Cr.RXE);
    expect(out).toEqual([0x41, 0x42]); // enabling lets them go
    expect(u.errorCount).toBe(2);
  });

  it('nothing is received while UARTEN or RXE is clear: the characters are lost on the line', () => {
    const u = new Pl011({ name: 'u', output: () => {} });
    u.receive(Uint8Array.of(1, 2));
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE);
    u.receive(Uint8Array.of(3));
    expect(u.rxLevel).toBe(0);
    expect(u.rxDroppedDisabled).toBe(3);
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE | Cr.RXE);
    u.receive(Uint8Array.of(4));
    expect(u.read32(Pl011Reg.DR)).toBe(4);
    expect(u.errorCount).toBe(0); // the sender's doing, not the driver's
  });

  it('overrun: RSR.OE and OERIS at once; OE in DR on the read that frees a slot, then clear', () => {
    const { u } = uart();
    u.write32(Pl011Reg.IMSC, Int.OE);
    u.receive(new Uint8Array(18).map((_, i) => i));
    expect(u.overruns).toBe(2);
    expect(u.read32(Pl011Reg.RSR) & 8).toBe(8);
    expect(u.read32(Pl011Reg.MIS) & Int.OE).toBe(Int.OE);
    expect(u.read32(Pl011Reg.DR)).toBe(0 | DR_OE);
    expect(u.read32(Pl011Reg.DR)).toBe(1); // no longer flagged
    expect(u.read32(Pl011Reg.RSR) & 8).toBe(8); // until UARTECR is written
    u.write32(Pl011Reg.RSR, 0);
    expect(u.read32(Pl011Reg.RSR)).toBe(0);
    u.write32(Pl011Reg.ICR, Int.OE);
    expect(u.read32(Pl011Reg.RIS) & Int.OE).toBe(0);
  });

  it('§3.3.7: LCR_H, IBRD and FBRD are not changed while UARTEN is set (driver error, applied anyway)', () => {
    const { u } = uart(); // enabled
    u.write32(Pl011Reg.IBRD, 13);
    u.write32(Pl011Reg.FBRD, 1);
    u.write32(Pl011Reg.LCR_H, LCRH_FEN | (3 << 5));
    expect(u.errorCodes()).toEqual([
      'pl011-line-control-while-enabled',
      'pl011-line-control-while-enabled',
      'pl011-line-control-while-enabled',
    ]);
    expect(u.read32(Pl011Reg.IBRD)).toBe(13);
    u.write32(Pl011Reg.CR, Cr.TXE | Cr.RXE); // disable first, as the TRM asks
    u.write32(Pl011Reg.IBRD, 14);
    expect(u.errorCount).toBe(3);
  });

  it('registers take 8-, 16- and 32-bit accesses; 64-bit ones are a driver error, split in two', () => {
    const { u } = uart();
    expect(u.read16(Pl011Reg.CR)).toBe(Cr.UARTEN | Cr.TXE | Cr.RXE);
    expect(u.read8(Pl011Reg.CR)).toBe(Cr.UARTEN);
    expect(u.write8(Pl011Reg.IMSC, Int.RX)).toBeNull();
    expect(u.read32(Pl011Reg.IMSC)).toBe(Int.RX);
    expect(u.errorCount).toBe(0);
    expect(u.read64(Pl011Reg.CR)).toBe(
      BigInt(u.read32(Pl011Reg.CR)) | (BigInt(u.read32(Pl011Reg.IFLS)) << 32n),
    );
    expect(u.errorCodes()).toEqual(['wrong-width']);
  });

  it('reserved offsets, read-only and write-only registers: driver errors, as QEMU ignores them', () => {
    const { u } = uart();
    expect(u.read32(0x0fc)).toBe(0);
    u.write32(Pl011Reg.FR, 0xff);
    expect(u.read32(Pl011Reg.ICR)).toBe(0);
    expect(u.errorCodes()).toEqual(['hole', 'write-to-read-only', 'read-of-write-only']);
    expect(u.read32(Pl011Reg.FR) & Fr.TXFE).toBe(Fr.TXFE);
  });

  it('ILPR and DMACR keep what is written (in their widths); a narrow read of DR+1 decodes DR, as QEMU', () => {
    const { u } = uart();
    u.write32(Pl011Reg.ILPR, 0x1ff);
    u.write32(Pl011Reg.DMACR, 0xf);
    expect([u.read32(Pl011Reg.ILPR), u.read32(Pl011Reg.DMACR)]).toEqual([0xff, 0x7]);
    u.receive(Uint8Array.of(0x5a));
    expect(u.read8(Pl011Reg.DR + 1)).toBe(0x5a);
    expect(u.errorCodes()).toEqual(['wrong-width']);
  });

  it('as an agent (stepped Tx), the scheduler drains the FIFO while the transmitter is enabled', () => {
    const { u, out } = uart('stepped');
    expect(u.agentBusy()).toBe(false);
    u.write32(Pl011Reg.DR, 1);
    u.write32(Pl011Reg.DR, 2);
    expect(u.agentActions()).toEqual([
      { kind: 'drain-tx', max: 1 },
      { kind: 'drain-tx', max: FIFO_DEPTH },
    ]);
    u.agentPerform({ kind: 'drain-tx', max: 1 });
    expect(out).toEqual([1]);
    u.write32(Pl011Reg.CR, Cr.RXE);
    expect(u.agentBusy()).toBe(false); // disabled: nothing can move
    u.agentPerform({ kind: 'poll', queue: 0 });
    expect(out).toEqual([1]);
  });
});

describe('PL011 corners', () => {
  it('drainTx takes a count of characters: 0 moves none, a negative count is our bug', () => {
    const { u, out } = uart();
    u.write32(Pl011Reg.DR, 7);
    expect(u.drainTx(0)).toBe(0);
    expect(out).toEqual([]);
    expect(() => u.drainTx(-1)).toThrow(InvariantError);
  });

  it('an instant UART sends each character as it is written', () => {
    const { u, out } = uart('instant');
    u.write32(Pl011Reg.DR, 0x41);
    expect(out).toEqual([0x41]);
    expect(u.txLevel).toBe(0);
    expect(u.errorCount).toBe(0);
  });

  it('a stepped UART does not drain when CR enables the transmitter; the agent does', () => {
    const out: number[] = [];
    const u = new Pl011({ name: 'u', output: (b) => out.push(b), txMode: 'stepped' });
    u.write32(Pl011Reg.DR, 1); // disabled: waits (driver error)
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE);
    expect(out).toEqual([]);
    expect(u.txLevel).toBe(1);
    expect(u.agentBusy()).toBe(true);
  });

  it('the agent offers nothing when instant, stalled, disabled or empty', () => {
    expect(uart('instant').u.agentActions()).toEqual([]);
    const { u } = uart('stepped');
    expect(u.agentActions()).toEqual([]); // empty
    u.write32(Pl011Reg.DR, 1);
    u.stall();
    expect(u.agentActions()).toEqual([]);
    expect(u.agentBusy()).toBe(false);
    u.release();
    expect(u.agentBusy()).toBe(true);
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.RXE);
    expect(u.agentActions()).toEqual([]);
  });

  it('driver errors name the register written, at its word offset', () => {
    const { u } = uart();
    u.write8(Pl011Reg.LCR_H + 1, 0);
    u.write32(Pl011Reg.CR, 0);
    u.write32(Pl011Reg.DR, 1);
    expect(u.errors.map((e) => [e.code, e.where])).toEqual([
      ['wrong-width', expect.any(String)],
      ['pl011-line-control-while-enabled', 'UARTLCR_H (0x02c) write'],
      ['pl011-tx-disabled', 'UARTDR (0x000) write'],
    ]);
    expect(u.errors[2]?.rule).toBe(Pl011Rule.enable);
  });

  it('a write to a reserved offset is recorded and changes nothing', () => {
    const { u } = uart();
    const before = [Pl011Reg.CR, Pl011Reg.IMSC, Pl011Reg.LCR_H].map((r) => u.read32(r));
    u.write32(0x008, 0xffff);
    expect(u.errorCodes()).toEqual(['hole']);
    expect([Pl011Reg.CR, Pl011Reg.IMSC, Pl011Reg.LCR_H].map((r) => u.read32(r))).toEqual(before);
  });

  it('with strict off, enable and line-control misuse is not recorded', () => {
    const out: number[] = [];
    const u = new Pl011({ name: 'u', output: (b) => out.push(b), strict: false });
    u.write32(Pl011Reg.DR, 1);
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE);
    u.write32(Pl011Reg.LCR_H, LCRH_FEN);
    expect(u.errorCount).toBe(0);
    expect(out).toEqual([1]);
  });

  it('RIS as the register reads it; cleared RX and RT stay clear when a burst is all lost', () => {
    const { u } = uart();
    u.receive(new Uint8Array(9));
    expect(u.ris & (Int.RX | Int.RT)).toBe(Int.RX | Int.RT);
    expect(u.ris).toBe(u.read32(Pl011Reg.RIS));
    u.write32(Pl011Reg.ICR, Int.RX);
    u.write32(Pl011Reg.CR, Cr.UARTEN | Cr.TXE); // receiver off: the next burst is not sampled
    u.receive(Uint8Array.of(1));
    expect(u.ris & Int.RX).toBe(0);
    expect(u.rxDroppedDisabled).toBe(1);
  });
});

describe('PL011 64-bit writes', () => {
  it('a 64-bit write is recorded as a write, then split in two', () => {
    const { u } = uart();
    u.write64(Pl011Reg.IMSC, (0x1n << 32n) | BigInt(Int.RX));
    expect(u.errors.map((e) => e.where)).toEqual([
      'UARTIMSC (0x038) 64-bit write',
      'UARTRIS (0x03c) 32-bit write', // the upper half lands on a read-only register
    ]);
    expect(u.read32(Pl011Reg.IMSC)).toBe(Int.RX);
  });
});
