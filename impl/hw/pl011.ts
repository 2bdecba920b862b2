// ARM PrimeCell PL011 UART (reference sddf-protocols.md §5.3 [spec]). 16-deep FIFOs when
// LCR_H.FEN is set (1-deep otherwise); RXRIS at the IFLS Rx level, RTRIS when the Rx FIFO is
// non-empty and the line goes idle (here: the end of each burst delivered by `receive`), TXRIS
// at or below the IFLS Tx level; MIS = RIS & IMSC; ICR clears RIS bits (W1C). sDDF never writes
// ICR: it gates TX through IMSC and loops on MIS (§3.10 S1–S3), so every interrupt condition is
// re-evaluated whenever a FIFO level changes, and MIS drops as soon as IMSC or the FIFO says so.

import { assert } from '../../spec/common/assert.ts';
import type { MmioDevice } from '../mem/types.ts';
import { IrqLine, type HwObserver, type StallableDevice } from './events.ts';

export const Pl011Reg = {
  DR: 0x000,
  RSR: 0x004,
  FR: 0x018,
  IBRD: 0x024,
  FBRD: 0x028,
  LCR_H: 0x02c,
  CR: 0x030,
  IFLS: 0x034,
  IMSC: 0x038,
  RIS: 0x03c,
  MIS: 0x040,
  ICR: 0x044,
  PeriphID0: 0xfe0,
} as const;

export const Fr = { BUSY: 1 << 3, RXFE: 1 << 4, TXFF: 1 << 5, RXFF: 1 << 6, TXFE: 1 << 7 } as const;
/** Interrupt bits shared by IMSC, RIS, MIS and ICR. */
export const Int = { RX: 1 << 4, TX: 1 << 5, RT: 1 << 6, OE: 1 << 10 } as const;
export const LCRH_FEN = 1 << 4;
export const Cr = { UARTEN: 1 << 0, TXE: 1 << 8, RXE: 1 << 9 } as const;
const DR_OE = 1 << 11;
const INT_MASK = 0x7ff;
export const FIFO_DEPTH = 16;
/** IFLS selects 1/8, 1/4, 1/2, 3/4, 7/8 of the FIFO. */
const IFLS_EIGHTHS = [1, 2, 4, 6, 7] as const;
/** PL011 peripheral/cell id bytes at 0xfe0..0xffc (r1p5). */
const ID_BYTES = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1] as const;
const SIZE_BYTES = 0x1000;

export interface Pl011Options {
  readonly name: string;
  /** Where transmitted bytes go (a terminal, a buffer). */
  readonly output: (byte: number) => void;
  /**
   * `instant` (default, like QEMU): the Tx FIFO drains as soon as it is written. `stepped`: it
   * drains only when `drainTx` is called, so TXFF and the TX interrupt can be exercised.
   */
  readonly txMode?: 'instant' | 'stepped';
  readonly observer?: HwObserver;
  /** Called on every change of the IRQ line level (the runtime's interrupt controller). */
  readonly onIrqLevel?: (asserted: boolean) => void;
}

export class Pl011 implements MmioDevice, StallableDevice {
  readonly name: string;
  readonly sizeBytes = SIZE_BYTES;
  readonly #output: (byte: number) => void;
  readonly #txMode: 'instant' | 'stepped';
  readonly #irq: IrqLine;
  readonly #rx: number[] = [];
  readonly #tx: number[] = [];
  #ris = 0;
  #imsc = 0;
  #ifls = 0x12; // reset value: both levels at 1/2
  #lcrH = 0;
  #cr = Cr.TXE | Cr.RXE; // reset value 0x300
  #ibrd = 0;
  #fbrd = 0;
  #rsr = 0;
  #stalled = false;
  /** Characters lost because the Rx FIFO was full (also flagged by OE in RSR and RIS). */
  overruns = 0;
  txCount = 0;
  rxCount = 0;

  constructor(options: Pl011Options) {
    this.name = options.name;
    this.#output = options.output;
    this.#txMode = options.txMode ?? 'instant';
    this.#irq = new IrqLine(options.name, options.observer, options.onIrqLevel);
    this.#update();
  }

  get #depth(): number {
    return (this.#lcrH & LCRH_FEN) !== 0 ? FIFO_DEPTH : 1;
  }
  #level(sel: number): number {
    const eighths = IFLS_EIGHTHS[Math.min(sel, IFLS_EIGHTHS.length - 1)] as number;
    return (this.#depth * eighths) / 8;
  }
  get #rxThreshold(): number {
    return (this.#lcrH & LCRH_FEN) !== 0 ? this.#level((this.#ifls >> 3) & 7) : 1;
  }
  get #txThreshold(): number {
    return (this.#lcrH & LCRH_FEN) !== 0 ? this.#level(this.#ifls & 7) : 0;
  }

  get rxLevel(): number {
    return this.#rx.length;
  }
  get txLevel(): number {
    return this.#tx.length;
  }
  get ris(): number {
    return this.#ris;
  }
  get mis(): number {
    return this.#ris & this.#imsc;
  }

  irqAsserted(): boolean {
    return this.mis !== 0;
  }

  get stalled(): boolean {
    return this.#stalled;
  }
  stall(): void {
    this.#stalled = true;
  }
  release(): void {
    this.#stalled = false;
    if (this.#txMode === 'instant') this.drainTx(FIFO_DEPTH);
  }

  /** An input source delivers a burst of characters; the line is idle afterwards (→ RT). */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (this.#rx.length >= this.#depth) {
        this.overruns++;
        this.#rsr |= 1 << 3; // RSR.OE
        this.#ris |= Int.OE;
        continue;
      }
      this.#rx.push(b);
      this.rxCount++;
      if (this.#rx.length >= this.#rxThreshold) this.#ris |= Int.RX;
    }
    if (this.#rx.length > 0) this.#ris |= Int.RT;
    this.#update();
  }

  /** Move up to `maxChars` characters from the Tx FIFO to the output (the shift register). */
  drainTx(maxChars: number): number {
    assert(maxChars >= 0, 'a count of characters');
    let sent = 0;
    while (!this.#stalled && sent < maxChars && this.#tx.length > 0) {
      this.#output(this.#tx.shift() as number);
      this.txCount++;
      sent++;
    }
    if (this.#tx.length <= this.#txThreshold) this.#ris |= Int.TX;
    this.#update();
    return sent;
  }

  #fr(): number {
    let fr = 0;
    if (this.#rx.length === 0) fr |= Fr.RXFE;
    if (this.#rx.length >= this.#depth) fr |= Fr.RXFF;
    if (this.#tx.length === 0) fr |= Fr.TXFE;
    if (this.#tx.length >= this.#depth) fr |= Fr.TXFF;
    if (this.#tx.length > 0) fr |= Fr.BUSY;
    return fr;
  }

  /** FIFO conditions that went away take their status bit with them (§5.3). */
  #update(): void {
    if (this.#rx.length < this.#rxThreshold) this.#ris &= ~Int.RX;
    if (this.#rx.length === 0) this.#ris &= ~Int.RT;
    if (this.#tx.length > this.#txThreshold) this.#ris &= ~Int.TX;
    this.#irq.set(this.irqAsserted());
  }

  read32(offsetBytes: number): number {
    assert(offsetBytes >= 0 && offsetBytes + 4 <= SIZE_BYTES, `read32 inside ${this.name}`);
    switch (offsetBytes) {
      case Pl011Reg.DR:
        return this.#readDr();
      case Pl011Reg.RSR:
        return this.#rsr;
      case Pl011Reg.FR:
        return this.#fr();
      case Pl011Reg.IBRD:
        return this.#ibrd;
      case Pl011Reg.FBRD:
        return this.#fbrd;
      case Pl011Reg.LCR_H:
        return this.#lcrH;
      case Pl011Reg.CR:
        return this.#cr;
      case Pl011Reg.IFLS:
        return this.#ifls;
      case Pl011Reg.IMSC:
        return this.#imsc;
      case Pl011Reg.RIS:
        return this.#ris;
      case Pl011Reg.MIS:
        return this.mis;
      default:
        if (offsetBytes >= Pl011Reg.PeriphID0 && offsetBytes % 4 === 0) {
          return ID_BYTES[(offsetBytes - Pl011Reg.PeriphID0) / 4] ?? 0;
        }
        return 0;
    }
  }

  #readDr(): number {
    const c = this.#rx.shift();
    if (c === undefined) return 0;
    const oe = (this.#rsr & (1 << 3)) !== 0 ? DR_OE : 0;
    this.#update();
    return c | oe;
  }

  write32(offsetBytes: number, value: number): void {
    assert(offsetBytes >= 0 && offsetBytes + 4 <= SIZE_BYTES, `write32 inside ${this.name}`);
    const v = value >>> 0;
    switch (offsetBytes) {
      case Pl011Reg.DR:
        this.#writeDr(v & 0xff);
        return;
      case Pl011Reg.RSR:
        this.#rsr = 0; // any write clears the error flags
        return;
      case Pl011Reg.IBRD:
        this.#ibrd = v & 0xffff;
        return;
      case Pl011Reg.FBRD:
        this.#fbrd = v & 0x3f;
        return;
      case Pl011Reg.LCR_H:
        this.#lcrH = v & 0xff;
        this.#update();
        return;
      case Pl011Reg.CR:
        this.#cr = v & 0xffff;
        return;
      case Pl011Reg.IFLS:
        this.#ifls = v & 0x3f;
        this.#update();
        return;
      case Pl011Reg.IMSC:
        this.#imsc = v & INT_MASK;
        this.#update();
        return;
      case Pl011Reg.ICR:
        this.#ris &= ~v;
        this.#update();
        return;
      default:
        // Read-only registers and holes ignore writes.
        return;
    }
  }

  #writeDr(byte: number): void {
    // A write to a full Tx FIFO is lost (the PL011 has no Tx overrun flag).
    if (this.#tx.length < this.#depth) this.#tx.push(byte);
    if (this.#txMode === 'instant') {
      this.drainTx(FIFO_DEPTH);
    } else {
      this.#update();
    }
    assert(this.#tx.length <= this.#depth, 'Tx FIFO within its depth');
  }
}
