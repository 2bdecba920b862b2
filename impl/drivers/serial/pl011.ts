// The PL011 UART driver (reference sddf-protocols.md §3.10 S1–S3 and §5.3; upstream
// drivers/serial/arm/uart.c at au-ts/sddf 650ace5d) on the emulated PL011 (impl/hw/pl011.ts).
//   S1 tx_provide (virt_tx's notify, TX interrupt): characters into DR while the Tx FIFO is not
//      full; TXIM on while the queue still holds data; signal virt_tx if it asked (§2.4).
//   S2 rx_return (RX/RT interrupt, virt_rx's notify): characters from DR into the Rx queue while
//      both allow; when the queue is full with characters waiting, RX/RT interrupts off and
//      `request_consumer_signal` (catalogue F7: upstream once called require here, 0d513ad8),
//      then re-check; always notify virt_rx after enqueueing.
//   S3 the IRQ: loop on MIS; the ack is deferred (sddf_deferred_irq_ack).
// init is uart_setup: UART off, 8 bits, baud, FIFOs on, Rx level 1/8, interrupts, UART on.
import { Cr, Fr, Int, LCRH_FEN, Pl011Reg } from '../../hw/pl011.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import type { RegionResource } from '../../components/net/config.ts';
import { Counters } from '../../components/net/counters.ts';
import { SerialPort, type SerialConn } from '../../components/serial/port.ts';

export interface Pl011DriverConfig {
  readonly regs: RegionResource;
  readonly irqId: number;
  readonly tx: SerialConn;
  /** null: `rx_enabled` false. */
  readonly rx: SerialConn | null;
}

export interface Pl011DriverOptions {
  /** Catalogue F7 (before 0d513ad8): `serial_require_consumer_signal` where request belongs. */
  readonly f7RequireForRequest?: boolean;
}

export const PL011_DRIVER_COUNTERS = [
  'txChars',
  'rxChars',
  'rxFullStops',
  'unknownChannel',
] as const;

/** uart.h: `PL011_DR_DATA_MASK`. */
const DR_DATA_MASK = 0xff;
/** LCR_H WLEN = 0b11 (8 bits). */
const LCRH_WLEN_8 = 0b11 << 5;
/** IFLS: Rx level bits 5:3, Tx level bits 2:0 (0 = 1/8). */
const IFLS_RX_MASK = 0b111 << 3;
const IFLS_TX_MASK = 0b111;
/** QEMU's PL011 reference clock and sddf's default baud (`UART_DEFAULT_BAUD`). */
const REF_CLOCK_HZ = 24_000_000;
const DEFAULT_BAUD = 115_200;

export function pl011DriverComponent(ctx: ComponentContext): Component {
  const d = new Pl011Driver(
    ctx.api,
    ctx.params['config'] as Pl011DriverConfig,
    (ctx.params['options'] ?? {}) as Pl011DriverOptions,
    ctx.params['counters'],
  );
  return { init: () => d.init(), notified: (ch) => d.notified(ch) };
}

export class Pl011Driver {
  private readonly tx: SerialPort;
  private readonly rx: SerialPort | null;
  readonly c: Counters<(typeof PL011_DRIVER_COUNTERS)[number]>;

  constructor(
    private readonly api: MicrokitApi,
    private readonly config: Pl011DriverConfig,
    private readonly options: Pl011DriverOptions = {},
    counters?: unknown,
  ) {
    this.tx = new SerialPort(api, config.tx);
    this.rx = config.rx === null ? null : new SerialPort(api, config.rx);
    this.c = new Counters(PL011_DRIVER_COUNTERS, counters);
  }

  private reg(off: number): number {
    return this.api.mem.read32(this.config.regs.vaddr + off);
  }
  private setReg(off: number, v: number): void {
    this.api.mem.write32(this.config.regs.vaddr + off, v >>> 0);
  }

  init(): void {
    // uart_setup: wait for the transmitter (bounded: the emulated FIFO drains on its own).
    for (let i = 0; i < 1024 && (this.reg(Pl011Reg.FR) & Fr.BUSY) !== 0; i++);
    this.setReg(Pl011Reg.CR, this.reg(Pl011Reg.CR) & ~(Cr.RXE | Cr.TXE | Cr.UARTEN));
    this.setReg(Pl011Reg.LCR_H, (this.reg(Pl011Reg.LCR_H) | LCRH_WLEN_8 | LCRH_FEN) & ~(1 << 3));
    const div = REF_CLOCK_HZ / (16 * DEFAULT_BAUD);
    this.setReg(Pl011Reg.IBRD, Math.floor(div));
    this.setReg(Pl011Reg.FBRD, Math.round((div - Math.floor(div)) * 64));
    let imsc = this.reg(Pl011Reg.IMSC);
    let ifls = this.reg(Pl011Reg.IFLS) & ~IFLS_TX_MASK;
    if (this.rx !== null) {
      ifls &= ~IFLS_RX_MASK;
      imsc |= Int.RX | Int.RT;
    }
    this.setReg(Pl011Reg.IFLS, ifls);
    this.setReg(Pl011Reg.IMSC, imsc | Int.TX);
    this.setReg(
      Pl011Reg.CR,
      this.reg(Pl011Reg.CR) | Cr.UARTEN | Cr.TXE | (this.rx !== null ? Cr.RXE : 0),
    );
    // A restarted driver finds characters already queued: send them.
    this.txProvide();
  }

  notified(ch: number): void {
    if (ch === this.config.irqId) {
      this.handleIrq();
      this.api.deferredIrqAck(ch);
    } else if (ch === this.config.tx.id) {
      this.txProvide();
    } else if (this.rx !== null && ch === this.config.rx!.id) {
      this.setReg(Pl011Reg.IMSC, this.reg(Pl011Reg.IMSC) | Int.RX | Int.RT);
      this.rxReturn();
    } else {
      this.c.inc('unknownChannel');
    }
  }

  /** S1. */
  private txProvide(): void {
    let transferred = false;
    // Bounded by the queue's capacity: every round takes one character.
    const n = this.tx.length() ?? 0;
    let head = this.tx.head;
    let sent = 0;
    while (sent < n && (this.reg(Pl011Reg.FR) & Fr.TXFF) === 0) {
      const c = this.tx.read(head, 1)[0]!;
      this.setReg(Pl011Reg.DR, c);
      head = (head + 1) >>> 0;
      sent++;
      this.tx.consume(1);
      transferred = true;
    }
    this.c.inc('txChars', sent);
    const imsc = this.reg(Pl011Reg.IMSC);
    const left = (this.tx.length() ?? 0) > 0;
    this.setReg(Pl011Reg.IMSC, left ? imsc | Int.TX : imsc & ~Int.TX);
    if (transferred && this.tx.requireConsumerSignal()) {
      this.tx.cancelConsumerSignal();
      this.api.notify(this.config.tx.id);
    }
  }

  /** S2. */
  private rxReturn(): void {
    const rx = this.rx!;
    let enqueued = false;
    const rxWaiting = (): boolean => (this.reg(Pl011Reg.FR) & Fr.RXFE) === 0;
    const full = (): boolean => (rx.free() ?? 0) === 0;
    // Each round either moves characters or stops; the UART FIFO is 16 deep, so a handful of
    // rounds suffices; the bound guards against a device that never drains.
    for (let round = 0; round < 64; round++) {
      const bytes: number[] = [];
      const room = rx.free() ?? 0;
      while (bytes.length < room && rxWaiting()) {
        bytes.push(this.reg(Pl011Reg.DR) & DR_DATA_MASK);
      }
      if (bytes.length > 0) {
        rx.produce(Uint8Array.from(bytes));
        this.c.inc('rxChars', bytes.length);
        enqueued = true;
      }
      if (rxWaiting() && full()) {
        this.setReg(Pl011Reg.IMSC, this.reg(Pl011Reg.IMSC) & ~(Int.RX | Int.RT));
        if (this.options.f7RequireForRequest === true) rx.requireConsumerSignal();
        else rx.requestConsumerSignal();
        this.c.inc('rxFullStops');
      }
      if (!(rxWaiting() && !full())) break;
      rx.cancelConsumerSignal();
      this.setReg(Pl011Reg.IMSC, this.reg(Pl011Reg.IMSC) | Int.RX | Int.RT);
    }
    if (enqueued) this.api.notify(this.config.rx!.id);
  }

  /** S3. */
  private handleIrq(): void {
    let mis = this.reg(Pl011Reg.MIS);
    for (let round = 0; round < 64 && (mis & (Int.RX | Int.RT | Int.TX)) !== 0; round++) {
      if (this.rx !== null && (mis & (Int.RX | Int.RT)) !== 0) this.rxReturn();
      if ((mis & Int.TX) !== 0) this.txProvide();
      mis = this.reg(Pl011Reg.MIS);
    }
  }
}
