// An emulated I²C bus controller (issue #13 part 4): a small token-list controller in the shape of
// the Amlogic Meson controller sDDF drives (drivers/i2c/meson/i2c.c at au-ts/sddf 650ace5d: the
// driver fills a token list, starts the list, and on the completion IRQ reads status and read data)
// but with a register map of its own, simpler and fully specified here, so that the driver's
// obligations are exact. Targets on the bus implement `I2cTarget` (impl/hw/ds3231.ts).
//
// Registers (32-bit only, as the goldfish RTC: other widths are refused on the bus):
//   0x00 CTRL       w   bit 0 START: run the token FIFO (refused while BUSY or with no tokens);
//                       bit 1 RESET: drop the token and read FIFOs, clear status (an abort)
//   0x04 STATUS     r   bit 0 BUSY, bit 1 DONE (completion pending: the IRQ line), bit 2 ERROR;
//                       bits 8..15 index of the token that failed; bits 16..19 I2cBusError
//   0x08 ADDR       rw  the 7-bit target address (bits 0..6; other bits must be 0)
//   0x0c TOKEN      w   push one token: bits 0..3 I2cToken, bits 8..15 the data byte (DATA only)
//   0x10 RDATA      r   pop one byte read from the bus (the read FIFO)
//   0x14 IRQ_CLEAR  w   bit 0: clear DONE (and so the line)
//   0x18 LEVELS     r   bits 0..7 tokens queued, bits 8..15 bytes in the read FIFO
// A token list runs to completion at START (the bus is modelled at transaction, not bit, timing);
// a list that ends without STOP leaves the bus held, and the next list continues the transfer:
// DONE rises with the IRQ line (level, until IRQ_CLEAR). A target that NACKs its address or a byte
// stops the list with ERROR (NACK on a read address is the driver's NOREAD). Driver errors (strict)
// are recorded with the rule broken: a token or START while BUSY, more than FIFO_DEPTH tokens or read
// bytes, an empty START, a RDATA read with the FIFO empty, an address with bits above 6, a token
// sequence a bus cannot carry (no START first, data before an address, a read byte after a write
// address, ...: the list fails with BADSEQ and nothing after the bad token reaches the bus).

import { ErrorLog, type DeviceError } from './errors.ts';
import { IrqLine, type HwObserver } from './events.ts';
import {
  RegisterBlock,
  RegisterMap,
  type AccessWidth,
  type Misuse,
  type MisuseRule,
  type RegisterSpec,
  words32MisuseRule,
} from './registers.ts';

export const I2cReg = {
  CTRL: 0x00,
  STATUS: 0x04,
  ADDR: 0x08,
  TOKEN: 0x0c,
  RDATA: 0x10,
  IRQ_CLEAR: 0x14,
  LEVELS: 0x18,
} as const;

export const I2cCtrl = { START: 1, RESET: 2 } as const;
export const I2cStatus = { BUSY: 1, DONE: 2, ERROR: 4 } as const;

/** Token kinds (TOKEN bits 0..3). */
export const I2cToken = {
  START: 1,
  ADDR_WRITE: 2,
  ADDR_READ: 3,
  DATA: 4,
  READ: 5,
  READ_LAST: 6,
  STOP: 7,
} as const;
export type I2cToken = (typeof I2cToken)[keyof typeof I2cToken];

/** STATUS bits 16..19 when ERROR is set. */
export const I2cBusError = { NONE: 0, NACK_ADDR: 1, NACK_DATA: 2, BADSEQ: 3 } as const;

/** Tokens the FIFO holds, and read bytes (a list of 16 tokens moves at most 14 data bytes). */
export const I2C_FIFO_DEPTH = 16;

const SIZE_BYTES = 0x1000;
const CTRL_RULE = 'sddf-model I²C controller (impl/hw/i2c.ts)';
export const I2cRule = {
  width: `${CTRL_RULE}: 32-bit registers only`,
  registers: `${CTRL_RULE}: register map`,
  busy: `${CTRL_RULE}: TOKEN, ADDR and START only while not BUSY`,
  fifo: `${CTRL_RULE}: at most ${I2C_FIFO_DEPTH} tokens and ${I2C_FIFO_DEPTH} read bytes`,
  sequence: `${CTRL_RULE}: a token list is START, an address, its data, then STOP or START (I²C-bus specification UM10204 §3.1)`,
  addr: `${CTRL_RULE}: ADDR holds a 7-bit address`,
} as const;

/** A device on the bus (what a target does at each bus condition). */
export interface I2cTarget {
  /** 7-bit bus address. */
  readonly address: number;
  /** START (or repeated START) addressed to this target; false = NACK. */
  start(read: boolean): boolean;
  /** A byte written to the target; false = NACK. */
  write(byte: number): boolean;
  /** A byte read from the target (`last`: the controller NACKs it, ending the read). */
  read(last: boolean): number;
  stop(): void;
}

interface PushedToken {
  readonly kind: number;
  readonly byte: number;
}

export class I2cController extends RegisterBlock {
  readonly name: string;
  readonly sizeBytes = SIZE_BYTES;
  protected readonly registerMap = I2C_REGISTERS;
  readonly #targets = new Map<number, I2cTarget>();
  readonly #errors: ErrorLog;
  readonly #irq: IrqLine;
  readonly #strict: boolean;
  #tokens: PushedToken[] = [];
  #rfifo: number[] = [];
  #addr = 0;
  #bus: 'idle' | 'started' | 'write' | 'read' = 'idle';
  #target: I2cTarget | null = null;
  #done = false;
  #error = false;
  #errIndex = 0;
  #errKind = 0;
  /** Lists run, transfers (bytes moved), for a report. */
  readonly stats = { lists: 0, bytesWritten: 0, bytesRead: 0, nacks: 0 };

  constructor(options: {
    name: string;
    strict?: boolean;
    observer?: HwObserver;
    onIrqLevel?: (asserted: boolean) => void;
  }) {
    super();
    this.name = options.name;
    this.#strict = options.strict ?? true;
    this.#errors = new ErrorLog(options.name, options.observer);
    this.#irq = new IrqLine(options.name, options.observer, options.onIrqLevel);
  }

  attach(t: I2cTarget): void {
    if (this.#targets.has(t.address))
      throw new Error(`${this.name}: two targets at bus address 0x${t.address.toString(16)}`);
    this.#targets.set(t.address, t);
  }

  irqAsserted(): boolean {
    return this.#done;
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

  #driverError(code: string, rule: string, where: string, message: string): void {
    if (this.#strict) this.#errors.record({ kind: 'driver', code, rule, where, message });
  }

  protected misuseRule(options: {
    misuse: Misuse;
    reg: RegisterSpec | undefined;
    widthBytes: AccessWidth;
    write: boolean;
  }): MisuseRule {
    return words32MisuseRule(options.misuse, options.widthBytes, I2cRule);
  }

  protected recordMisuse(options: {
    code: Misuse;
    rule: string;
    where: string;
    message: string;
  }): void {
    this.#errors.record({ kind: 'driver', ...options });
  }

  protected readReg(offsetBytes: number, _widthBytes: 1 | 2 | 4): number {
    switch (offsetBytes) {
      case I2cReg.STATUS:
        return (
          (this.#done ? I2cStatus.DONE : 0) |
          (this.#error ? I2cStatus.ERROR : 0) |
          ((this.#errIndex & 0xff) << 8) |
          ((this.#errKind & 0xf) << 16)
        );
      case I2cReg.ADDR:
        return this.#addr;
      case I2cReg.RDATA: {
        const b = this.#rfifo.shift();
        if (b === undefined) {
          this.#driverError(
            'rdata-empty',
            I2cRule.fifo,
            'RDATA (0x010) 32-bit read',
            'RDATA read with the read FIFO empty (reads 0)',
          );
          return 0;
        }
        return b;
      }
      case I2cReg.LEVELS:
        return (this.#tokens.length & 0xff) | ((this.#rfifo.length & 0xff) << 8);
      default:
        return 0;
    }
  }

  protected writeReg(offsetBytes: number, _widthBytes: 1 | 2 | 4, value: number): void {
    switch (offsetBytes) {
      case I2cReg.CTRL:
        if ((value & I2cCtrl.RESET) !== 0) {
          this.#tokens = [];
          this.#rfifo = [];
          this.#target?.stop();
          this.#target = null;
          this.#bus = 'idle';
          this.#clearStatus();
          this.#irq.set(false);
        }
        if ((value & I2cCtrl.START) !== 0) this.#start();
        break;
      case I2cReg.ADDR:
        if ((value & ~0x7f) !== 0)
          this.#driverError(
            'addr-width',
            I2cRule.addr,
            'ADDR (0x008) 32-bit write',
            `address 0x${value.toString(16)} has bits above bit 6 (kept: the low 7 bits)`,
          );
        this.#addr = value & 0x7f;
        break;
      case I2cReg.TOKEN:
        if (this.#tokens.length >= I2C_FIFO_DEPTH) {
          this.#driverError(
            'token-overflow',
            I2cRule.fifo,
            'TOKEN (0x00c) 32-bit write',
            `token FIFO full (${I2C_FIFO_DEPTH}): the token is dropped`,
          );
          return;
        }
        this.#tokens.push({ kind: value & 0xf, byte: (value >>> 8) & 0xff });
        break;
      case I2cReg.IRQ_CLEAR:
        if ((value & 1) !== 0) {
          this.#done = false;
          this.#irq.set(false);
        }
        break;
      default:
        break;
    }
  }

  #clearStatus(): void {
    this.#done = false;
    this.#error = false;
    this.#errIndex = 0;
    this.#errKind = 0;
  }

  #fail(index: number, kind: number): void {
    this.#error = true;
    this.#errIndex = index;
    this.#errKind = kind;
  }

  /** Run the token list against the bus (transaction timing: it completes here). */
  #start(): void {
    if (this.#tokens.length === 0) {
      this.#driverError(
        'empty-start',
        I2cRule.sequence,
        'CTRL (0x000) START',
        'START with no tokens',
      );
      return;
    }
    if (this.#done) {
      this.#driverError(
        'start-while-done',
        I2cRule.busy,
        'CTRL (0x000) START',
        'START before the previous completion was cleared (IRQ_CLEAR)',
      );
    }
    this.stats.lists++;
    this.#clearStatus();
    this.#rfifo = [];
    const tokens = this.#tokens;
    this.#tokens = [];
    // Bus state: 'idle' → START → 'started' → ADDR → 'write' | 'read' → data … → STOP → 'idle'.
    // It carries over from one list to the next (a transfer longer than the FIFO continues).
    let bus = this.#bus;
    let target = this.#target;
    const badseq = (i: number, why: string): void => {
      this.#driverError('bad-sequence', I2cRule.sequence, `token ${i}`, why);
      this.#fail(i, I2cBusError.BADSEQ);
    };
    for (let i = 0; i < tokens.length && !this.#error; i++) {
      const t = tokens[i]!;
      switch (t.kind) {
        case I2cToken.START:
          bus = 'started'; // a repeated START keeps the target until its address
          break;
        case I2cToken.ADDR_WRITE:
        case I2cToken.ADDR_READ: {
          if (bus !== 'started') {
            badseq(i, 'an address token not right after START');
            break;
          }
          const read = t.kind === I2cToken.ADDR_READ;
          target = this.#targets.get(this.#addr) ?? null;
          if (target === null || !target.start(read)) {
            this.stats.nacks++;
            this.#fail(i, I2cBusError.NACK_ADDR);
            target = null;
            break;
          }
          bus = read ? 'read' : 'write';
          break;
        }
        case I2cToken.DATA:
          if (bus !== 'write' || target === null) {
            badseq(i, 'a data byte with no write address before it');
            break;
          }
          this.stats.bytesWritten++;
          if (!target.write(t.byte)) {
            this.stats.nacks++;
            this.#fail(i, I2cBusError.NACK_DATA);
          }
          break;
        case I2cToken.READ:
        case I2cToken.READ_LAST:
          if (bus !== 'read' || target === null) {
            badseq(i, 'a read byte with no read address before it');
            break;
          }
          if (this.#rfifo.length >= I2C_FIFO_DEPTH) {
            badseq(i, `more than ${I2C_FIFO_DEPTH} read bytes in one list`);
            break;
          }
          this.stats.bytesRead++;
          this.#rfifo.push(target.read(t.kind === I2cToken.READ_LAST) & 0xff);
          break;
        case I2cToken.STOP:
          if (bus === 'idle') {
            badseq(i, 'STOP with no START');
            break;
          }
          target?.stop();
          target = null;
          bus = 'idle';
          break;
        default:
          badseq(i, `unknown token kind ${t.kind}`);
      }
    }
    // A failed list releases the bus (the controller sends STOP, as the Meson one does on error).
    if (this.#error) {
      target?.stop();
      target = null;
      bus = 'idle';
    }
    this.#bus = bus;
    this.#target = target;
    this.#done = true;
    this.#irq.set(true);
  }
}

const W4: readonly AccessWidth[] = [4];

const I2C_REGISTERS = new RegisterMap(
  SIZE_BYTES,
  (
    [
      ['CTRL', I2cReg.CTRL, 'w'],
      ['STATUS', I2cReg.STATUS, 'r'],
      ['ADDR', I2cReg.ADDR, 'rw'],
      ['TOKEN', I2cReg.TOKEN, 'w'],
      ['RDATA', I2cReg.RDATA, 'r'],
      ['IRQ_CLEAR', I2cReg.IRQ_CLEAR, 'w'],
      ['LEVELS', I2cReg.LEVELS, 'r'],
    ] as const
  ).map(([name, offset, access]) => ({ name, offset, sizeBytes: 4, widths: W4, access })),
);

/** A plain 256-byte register file at an address (an AT24C02-like EEPROM): pointer, then data. */
export class I2cRegisterFile implements I2cTarget {
  readonly bytes = new Uint8Array(256);
  #ptr = 0;
  #first = false;
  constructor(readonly address: number) {}
  start(_read: boolean): boolean {
    this.#first = true;
    return true;
  }
  write(byte: number): boolean {
    if (this.#first) {
      this.#ptr = byte & 0xff;
      this.#first = false;
    } else {
      this.bytes[this.#ptr] = byte & 0xff;
      this.#ptr = (this.#ptr + 1) & 0xff;
    }
    return true;
  }
  read(_last: boolean): number {
    this.#first = false;
    const b = this.bytes[this.#ptr]!;
    this.#ptr = (this.#ptr + 1) & 0xff;
    return b;
  }
  stop(): void {
    this.#first = false;
  }
}
