// ARM PrimeCell PL011 UART (reference sddf-protocols.md §5.3 [spec]; PL011 TRM, ARM DDI 0183).
// 16-deep FIFOs when LCR_H.FEN is set (1-deep otherwise); RXRIS at the IFLS Rx level, RTRIS when
// the Rx FIFO is non-empty and the line goes idle (here: the end of each burst delivered by
// `receive`), TXRIS at or below the IFLS Tx level; MIS = RIS & IMSC; ICR clears RIS bits (W1C).
// sDDF never writes ICR: it gates TX through IMSC and loops on MIS (§3.10 S1–S3), so every
// interrupt condition is re-evaluated whenever a FIFO level changes, and MIS drops as soon as IMSC
// or the FIFO says so.
//
// Enable and overrun follow the TRM (issue #14 part 5), where QEMU only logs: characters are
// sent only while UARTEN and TXE are set (written ones wait in the Tx FIFO) and received only while
// UARTEN and RXE are set (others are lost on the line); an overrun sets RSR.OE and OERIS at once,
// and the DR read that next frees a FIFO slot carries OE (bit 11), which is then clear again.

import { assert, unreachable } from '../../spec/common/assert.ts';
import type { AgentAction, DeviceAgent } from './agent.ts';
import { ErrorLog, type DeviceError } from './errors.ts';
import { IrqLine, type HwObserver, type StallableDevice } from './events.ts';
import {
  RegisterBlock,
  RegisterMap,
  type AccessWidth,
  type Misuse,
  type MisuseRule,
  type RegisterSpec,
} from './registers.ts';

export const Pl011Reg = {
  DR: 0x000,
  RSR: 0x004,
  FR: 0x018,
  ILPR: 0x020,
  IBRD: 0x024,
  FBRD: 0x028,
  LCR_H: 0x02c,
  CR: 0x030,
  IFLS: 0x034,
  IMSC: 0x038,
  RIS: 0x03c,
  MIS: 0x040,
  ICR: 0x044,
  DMACR: 0x048,
  PeriphID0: 0xfe0,
} as const;

export const Fr = { BUSY: 1 << 3, RXFE: 1 << 4, TXFF: 1 << 5, RXFF: 1 << 6, TXFE: 1 << 7 } as const;
/** Interrupt bits shared by IMSC, RIS, MIS and ICR. */
export const Int = { RX: 1 << 4, TX: 1 << 5, RT: 1 << 6, OE: 1 << 10 } as const;
export const LCRH_FEN = 1 << 4;
export const Cr = { UARTEN: 1 << 0, TXE: 1 << 8, RXE: 1 << 9 } as const;
/** UARTDR bit 11 and UARTRSR bit 3: overrun. */
export const DR_OE = 1 << 11;
const RSR_OE = 1 << 3;
const INT_MASK = 0x7ff;
export const FIFO_DEPTH = 16;
/** IFLS selects 1/8, 1/4, 1/2, 3/4, 7/8 of the FIFO. */
const IFLS_EIGHTHS = [1, 2, 4, 6, 7] as const;
/** PL011 peripheral/cell id bytes at 0xfe0..0xffc (r1p5). */
const ID_BYTES = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1] as const;
const SIZE_BYTES = 0x1000;

const TRM = 'PL011 TRM (ARM DDI 0183)';
export const Pl011Rule = {
  registers: `${TRM} §3.2 register summary`,
  enable: `${TRM} §3.3.8 UARTCR: transmission needs UARTEN and TXE set`,
  lineControl: `${TRM} §3.3.7 UARTLCR_H: LCR_H, IBRD and FBRD must not change while the UART is enabled`,
} as const;

export interface Pl011Options {
  readonly name: string;
  /** Where transmitted bytes go (a terminal, a buffer). */
  readonly output: (byte: number) => void;
  /**
   * `instant` (default, like QEMU): the Tx FIFO drains as soon as it is written (while enabled).
   * `stepped`: it drains only when `drainTx` is called or a scheduler performs `drain-tx`, so
   * TXFF and the TX interrupt can be exercised.
   */
  readonly txMode?: 'instant' | 'stepped';
  /** Record driver errors (default true). */
  readonly strict?: boolean;
  readonly observer?: HwObserver;
  /** Called on every change of the IRQ line level (the runtime's interrupt controller). */
  readonly onIrqLevel?: (asserted: boolean) => void;
}

export class Pl011 extends RegisterBlock implements StallableDevice, DeviceAgent {
  readonly name: string;
  readonly sizeBytes = SIZE_BYTES;
  protected readonly registerMap = PL011_REGISTERS;
  readonly #output: (byte: number) => void;
  readonly #txMode: 'instant' | 'stepped';
  readonly #strict: boolean;
  readonly #errors: ErrorLog;
  readonly #irq: IrqLine;
  /** Rx FIFO entries: 8 data bits and the 4 status bits (OE in bit 11). */
  readonly #rx: number[] = [];
  readonly #tx: number[] = [];
  #ris = 0;
  #imsc = 0;
  #ifls = 0x12; // reset value: both levels at 1/2
  #lcrH = 0;
  #cr = Cr.TXE | Cr.RXE; // reset value 0x300: enabled directions, UART itself disabled
  #ibrd = 0;
  #fbrd = 0;
  #ilpr = 0;
  #dmacr = 0;
  #rsr = 0;
  /** An overrun happened and no DR read has freed a slot since (TRM: DR.OE). */
  #overrunPending = false;
  #stalled = false;
  /** Characters lost because the Rx FIFO was full (also flagged by OE in RSR and RIS). */
  overruns = 0;
  /** Characters lost because the receiver was disabled (UARTEN or RXE clear). */
  rxDroppedDisabled = 0;
  txCount = 0;
  rxCount = 0;

  constructor(options: Pl011Options) {
    super();
    this.name = options.name;
    this.#output = options.output;
    this.#txMode = options.txMode ?? 'instant';
    this.#strict = options.strict ?? true;
    this.#errors = new ErrorLog(options.name, options.observer);
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
  // With FEN clear the depth is 1 and a level is a fraction of one character: the Rx test
  // (length ≥ level) then means "one character", the Tx test (length ≤ level) "empty" (TRM UARTIFLS and
  // interrupts: with the FIFOs disabled they are one-character holding registers).
  get #rxThreshold(): number {
    return this.#level((this.#ifls >> 3) & 7);
  }
  get #txThreshold(): number {
    return this.#level(this.#ifls & 7);
  }
  get #txEnabled(): boolean {
    return (this.#cr & (Cr.UARTEN | Cr.TXE)) === (Cr.UARTEN | Cr.TXE);
  }
  get #rxEnabled(): boolean {
    return (this.#cr & (Cr.UARTEN | Cr.RXE)) === (Cr.UARTEN | Cr.RXE);
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
  get errors(): readonly DeviceError[] {
    return this.#errors.errors;
  }
  get errorCount(): number {
    return this.#errors.count;
  }
  errorCodes(): string[] {
    return this.#errors.codes();
  }
  protected get strict(): boolean {
    return this.#strict;
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
    let pushed = 0;
    for (const b of bytes) {
      if (!this.#rxEnabled) {
        // TRM: reception needs UARTEN and RXE; the character is not sampled.
        this.rxDroppedDisabled++;
        continue;
      }
      if (this.#rx.length >= this.#depth) {
        // TRM: the FIFO keeps its contents; the shift register is overwritten.
        this.overruns++;
        this.#rsr |= RSR_OE;
        this.#ris |= Int.OE;
        this.#overrunPending = true;
        continue;
      }
      this.#rx.push(b);
      this.rxCount++;
      pushed++;
    }
    // RXRIS rises when a character reaches the level (#update drops it below the level); RT is
    // latched after every burst while data waits (#update drops it once the FIFO is empty).
    if (pushed > 0) this.#ris |= Int.RX;
    this.#ris |= Int.RT;
    this.#update();
  }

  /** Move up to `maxChars` characters from the Tx FIFO to the output (the shift register). */
  drainTx(maxChars: number): number {
    assert(maxChars >= 0, 'a count of characters');
    let sent = 0;
    while (!this.#stalled && this.#txEnabled && sent < maxChars && this.#tx.length > 0) {
      this.#output(this.#tx.shift() as number);
      this.txCount++;
      sent++;
    }
    // TXRIS latches at or below the level; #update drops it while the FIFO is above the level.
    this.#ris |= Int.TX;
    this.#update();
    return sent;
  }

  // ---- agent timing ---------------------------------------------------------------------

  agentActions(): AgentAction[] {
    if (this.#txMode !== 'stepped' || this.#stalled || !this.#txEnabled || this.#tx.length === 0)
      return [];
    return [
      { kind: 'drain-tx', max: 1 },
      { kind: 'drain-tx', max: FIFO_DEPTH },
    ];
  }
  agentPerform(action: AgentAction): void {
    if (action.kind === 'drain-tx') this.drainTx(action.max);
  }
  agentBusy(): boolean {
    return this.agentActions().length > 0;
  }

  // ---- registers ------------------------------------------------------------------------

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

  protected misuseRule(options: {
    misuse: Misuse;
    reg: RegisterSpec | undefined;
    widthBytes: AccessWidth;
    write: boolean;
  }): MisuseRule {
    switch (options.misuse) {
      case 'wrong-width':
      case 'hole':
        // QEMU decodes by offset >> 2 whatever the size (a 64-bit access is split in two).
        return { rule: Pl011Rule.registers, fallback: 'perform' };
      case 'read-of-write-only':
      case 'write-to-read-only':
        return { rule: Pl011Rule.registers, fallback: 'ignore' };
      default:
        return unreachable(options.misuse);
    }
  }

  protected recordMisuse(options: {
    code: Misuse;
    rule: string;
    where: string;
    message: string;
  }): void {
    this.#errors.record({ kind: 'driver', ...options });
  }

  #driverError(code: string, rule: string, where: string, message: string): void {
    if (this.#strict) this.#errors.record({ kind: 'driver', code, rule, where, message });
  }

  protected readReg(offsetBytes: number, widthBytes: 1 | 2 | 4): number {
    const mask = widthBytes === 4 ? 0xffff_ffff : (1 << (8 * widthBytes)) - 1;
    return (this.#readWord(offsetBytes & ~3) & mask) >>> 0;
  }

  #readWord(offsetBytes: number): number {
    switch (offsetBytes) {
      case Pl011Reg.DR:
        return this.#readDr();
      case Pl011Reg.RSR:
        return this.#rsr;
      case Pl011Reg.FR:
        return this.#fr();
      case Pl011Reg.ILPR:
        return this.#ilpr;
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
      case Pl011Reg.DMACR:
        return this.#dmacr;
      default:
        // The ID registers; a reserved offset finds no ID byte and reads 0.
        return ID_BYTES[(offsetBytes - Pl011Reg.PeriphID0) / 4] ?? 0;
    }
  }

  #readDr(): number {
    // An empty FIFO reads 0 (no overrun can be pending: one needs a full FIFO).
    const c = this.#rx.shift() ?? 0;
    // TRM UARTDR.OE: set when data was lost; clear once a slot is free again (this read frees one).
    const oe = this.#overrunPending ? DR_OE : 0;
    this.#overrunPending = false;
    this.#update();
    return c | oe;
  }

  protected writeReg(offsetBytes: number, _widthBytes: 1 | 2 | 4, value: number): void {
    const v = value >>> 0;
    const where = `${regName(offsetBytes & ~3)} write`;
    switch (offsetBytes & ~3) {
      case Pl011Reg.DR:
        this.#writeDr(v & 0xff, where);
        return;
      case Pl011Reg.RSR:
        this.#rsr = 0; // UARTECR: any write clears the error flags
        return;
      case Pl011Reg.ILPR:
        this.#ilpr = v & 0xff;
        return;
      case Pl011Reg.IBRD:
        this.#lineControl(where);
        this.#ibrd = v & 0xffff;
        return;
      case Pl011Reg.FBRD:
        this.#lineControl(where);
        this.#fbrd = v & 0x3f;
        return;
      case Pl011Reg.LCR_H:
        this.#lineControl(where);
        this.#lcrH = v & 0xff;
        this.#update();
        return;
      case Pl011Reg.CR:
        this.#cr = v & 0xffff;
        // Enabling the transmitter lets what waits in the FIFO go (instantly, like QEMU).
        if (this.#txMode === 'instant') this.drainTx(FIFO_DEPTH);
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
      case Pl011Reg.DMACR:
        this.#dmacr = v & 0x7;
        return;
      default:
        // Read-only registers and holes ignore writes.
        return;
    }
  }

  #lineControl(where: string): void {
    if ((this.#cr & Cr.UARTEN) !== 0) {
      this.#driverError(
        'pl011-line-control-while-enabled',
        Pl011Rule.lineControl,
        where,
        'line control (LCR_H, IBRD, FBRD) reprogrammed while UARTEN is set',
      );
    }
  }

  #writeDr(byte: number, where: string): void {
    if (!this.#txEnabled) {
      this.#driverError(
        'pl011-tx-disabled',
        Pl011Rule.enable,
        where,
        `a character written while UARTEN or TXE is clear (CR 0x${this.#cr.toString(16)}): it waits in the Tx FIFO`,
      );
    }
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

function regName(offsetBytes: number): string {
  const r = PL011_REGISTERS.at(offsetBytes);
  return `${r?.name ?? 'reserved'} (0x${offsetBytes.toString(16).padStart(3, '0')})`;
}

const W124: readonly AccessWidth[] = [1, 2, 4];

/** TRM §3.2: word-spaced registers; narrow (8/16-bit) accesses decode the same register. */
const PL011_REGISTERS = new RegisterMap(SIZE_BYTES, [
  ...(
    [
      ['UARTDR', Pl011Reg.DR, 'rw'],
      ['UARTRSR/ECR', Pl011Reg.RSR, 'rw'],
      ['UARTFR', Pl011Reg.FR, 'r'],
      ['UARTILPR', Pl011Reg.ILPR, 'rw'],
      ['UARTIBRD', Pl011Reg.IBRD, 'rw'],
      ['UARTFBRD', Pl011Reg.FBRD, 'rw'],
      ['UARTLCR_H', Pl011Reg.LCR_H, 'rw'],
      ['UARTCR', Pl011Reg.CR, 'rw'],
      ['UARTIFLS', Pl011Reg.IFLS, 'rw'],
      ['UARTIMSC', Pl011Reg.IMSC, 'rw'],
      ['UARTRIS', Pl011Reg.RIS, 'r'],
      ['UARTMIS', Pl011Reg.MIS, 'r'],
      ['UARTICR', Pl011Reg.ICR, 'w'],
      ['UARTDMACR', Pl011Reg.DMACR, 'rw'],
    ] as const
  ).map(([name, offset, access]) => ({ name, offset, sizeBytes: 4, widths: W124, access })),
  ...ID_BYTES.map((_, i) => ({
    name: i < 4 ? `UARTPeriphID${i}` : `UARTPCellID${i - 4}`,
    offset: Pl011Reg.PeriphID0 + 4 * i,
    sizeBytes: 4,
    widths: W124,
    access: 'r' as const,
  })),
]);
