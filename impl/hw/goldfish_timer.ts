// Goldfish timer/RTC on a virtual clock (reference sddf-protocols.md §5.5 [spec], as used by the
// sDDF goldfish timer driver; QEMU hw/rtc/goldfish_rtc.c). Times are u64 nanoseconds. The RTC
// counts from a realistic epoch (as QEMU's tick_offset = wall clock at reset): by default
// 2023-11-14T22:13:20Z, far above 2^32 ns, so a driver that ignores TIME_HIGH or reads it before
// TIME_LOW is wrong from the first read (issue #14 part 5). Reading TIME_LOW latches the high word
// for the next TIME_HIGH read (Linux timer-goldfish.h: "high bits of time at last time_low read");
// writing ALARM_LOW arms the alarm at {ALARM_HIGH, low}, and an alarm at or before now fires at
// once; ALARM_LOW/ALARM_HIGH read back the armed value (as QEMU). Firing sets the interrupt
// pending; the IRQ line is pending && IRQ_ENABLED, and stays asserted until CLEAR_INTERRUPT.
// Registers are 32-bit only: QEMU's `.valid = {4, 4}` refuses other widths on the bus.

import { assert } from '../../spec/common/assert.ts';
import { u64 } from '../../spec/common/int.ts';
import type { Clock } from '../mem/types.ts';
import { ErrorLog, type DeviceError } from './errors.ts';
import { IrqLine, type HwObserver, type StallableDevice } from './events.ts';
import {
  RegisterBlock,
  RegisterMap,
  type AccessWidth,
  type Misuse,
  type MisuseRule,
  type RegisterSpec,
  words32MisuseRule,
} from './registers.ts';

export const GoldfishReg = {
  TIME_LOW: 0x00,
  TIME_HIGH: 0x04,
  ALARM_LOW: 0x08,
  ALARM_HIGH: 0x0c,
  IRQ_ENABLED: 0x10,
  CLEAR_ALARM: 0x14,
  ALARM_STATUS: 0x18,
  CLEAR_INTERRUPT: 0x1c,
} as const;

/** 2023-11-14T22:13:20Z in ns: 1.7e18, above 2^32 (and 2^60). */
export const DEFAULT_RTC_EPOCH_NS = 1_700_000_000n * 1_000_000_000n;

const SIZE_BYTES = 0x1000;
const GOLDFISH = 'goldfish RTC (QEMU hw/rtc/goldfish_rtc.c; Linux timer-goldfish.h)';
export const GoldfishRule = {
  width: `${GOLDFISH}: 32-bit registers (.valid 4..4)`,
  registers: `${GOLDFISH}: register map`,
  timeOrder: `${GOLDFISH}: TIME_HIGH holds the high bits of the last TIME_LOW read; sddf-protocols.md §5.5`,
} as const;

export class GoldfishTimer extends RegisterBlock implements StallableDevice {
  readonly name: string;
  readonly sizeBytes = SIZE_BYTES;
  protected readonly registerMap = GOLDFISH_REGISTERS;
  readonly #clock: Clock;
  readonly #irq: IrqLine;
  readonly #strict: boolean;
  readonly #errors: ErrorLog;
  /** RTC count = clock + offset (QEMU tick_offset); TIME_LOW/HIGH writes move it. */
  #offsetNs: bigint;
  #timeHighLatch = 0;
  /** A TIME_LOW read since the last TIME_HIGH read (the order the driver must keep). */
  #lowRead = false;
  /** QEMU alarm_next: what ALARM_LOW/HIGH hold; `#armed` is QEMU alarm_running. */
  #alarmNextNs = 0n;
  #armed = false;
  #irqEnabled = false;
  #irqPending = false;
  #stalled = false;
  firedCount = 0;

  constructor(options: {
    name: string;
    clock: Clock;
    /** RTC value when the clock reads 0 (default DEFAULT_RTC_EPOCH_NS). */
    epochNs?: bigint;
    /** Record driver errors (default true). */
    strict?: boolean;
    observer?: HwObserver;
    /** Called on every change of the IRQ line level (the runtime's interrupt controller). */
    onIrqLevel?: (asserted: boolean) => void;
  }) {
    super();
    const epoch = options.epochNs ?? DEFAULT_RTC_EPOCH_NS;
    assert(epoch >= 0n && epoch < 1n << 64n, `the RTC epoch is a u64, got ${epoch}`);
    this.name = options.name;
    this.#clock = options.clock;
    this.#offsetNs = epoch;
    this.#strict = options.strict ?? true;
    this.#errors = new ErrorLog(options.name, options.observer);
    this.#irq = new IrqLine(options.name, options.observer, options.onIrqLevel);
  }

  /** The RTC's current value (u64 ns). */
  nowNs(): bigint {
    return u64(this.#offsetNs + this.#clock.nowNs());
  }

  /** Clock time (not RTC time) at which the armed alarm is due, for a scheduler; or null. */
  nextDeadlineNs(): bigint | null {
    if (!this.#armed) return null;
    const dueInNs = this.#alarmNextNs - this.nowNs();
    return this.#clock.nowNs() + (dueInNs > 0n ? dueInNs : 0n);
  }

  get alarmArmed(): boolean {
    this.#poll();
    return this.#armed;
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
    this.#poll();
    return this.#irqPending && this.#irqEnabled;
  }

  /**
   * Time is lazy: a scheduler that advanced the clock calls this (or any register access does it)
   * so a due alarm fires and the line rises. Returns the IRQ level.
   */
  poll(): boolean {
    return this.irqAsserted();
  }

  /** A stalled timer does not fire until released (fault injection). */
  get stalled(): boolean {
    return this.#stalled;
  }
  stall(): void {
    this.#stalled = true;
  }
  release(): void {
    this.#stalled = false;
    this.#poll();
  }

  /** Fire a due alarm; called on every register access and IRQ-line query (time is lazy). */
  #poll(): void {
    if (!this.#stalled && this.#armed && this.#alarmNextNs <= this.nowNs()) {
      this.#armed = false;
      this.#irqPending = true;
      this.firedCount++;
    }
    this.#irq.set(this.#irqPending && this.#irqEnabled);
  }

  protected override beforeAccess(): void {
    this.#poll();
  }

  protected misuseRule(options: {
    misuse: Misuse;
    reg: RegisterSpec | undefined;
    widthBytes: AccessWidth;
    write: boolean;
  }): MisuseRule {
    return words32MisuseRule(options.misuse, options.widthBytes, GoldfishRule);
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
      case GoldfishReg.TIME_LOW: {
        const now = this.nowNs();
        this.#timeHighLatch = Number(now >> 32n);
        this.#lowRead = true;
        return Number(now & 0xffff_ffffn);
      }
      case GoldfishReg.TIME_HIGH:
        if (!this.#lowRead && this.#strict) {
          this.#errors.record({
            kind: 'driver',
            code: 'time-high-before-low',
            rule: GoldfishRule.timeOrder,
            where: 'TIME_HIGH (0x004) 32-bit read',
            message:
              'TIME_HIGH read without a TIME_LOW read first: it holds the high word of the last TIME_LOW read',
          });
        }
        this.#lowRead = false;
        return this.#timeHighLatch;
      case GoldfishReg.ALARM_LOW:
        return Number(this.#alarmNextNs & 0xffff_ffffn);
      case GoldfishReg.ALARM_HIGH:
        return Number(this.#alarmNextNs >> 32n);
      case GoldfishReg.IRQ_ENABLED:
        return this.#irqEnabled ? 1 : 0;
      case GoldfishReg.ALARM_STATUS:
        return this.#armed ? 1 : 0;
      default:
        return 0;
    }
  }

  protected writeReg(offsetBytes: number, _widthBytes: 1 | 2 | 4, value: number): void {
    const v = BigInt(value >>> 0);
    switch (offsetBytes) {
      case GoldfishReg.TIME_LOW:
        // QEMU: set the RTC by moving its offset (deposit64 of the low word).
        this.#setRtc((this.nowNs() & ~0xffff_ffffn) | v);
        break;
      case GoldfishReg.TIME_HIGH:
        this.#setRtc((this.nowNs() & 0xffff_ffffn) | (v << 32n));
        break;
      case GoldfishReg.ALARM_HIGH:
        this.#alarmNextNs = (this.#alarmNextNs & 0xffff_ffffn) | (v << 32n);
        break;
      case GoldfishReg.ALARM_LOW:
        this.#alarmNextNs = (this.#alarmNextNs & ~0xffff_ffffn) | v;
        this.#armed = true;
        break;
      case GoldfishReg.IRQ_ENABLED:
        this.#irqEnabled = (value & 1) !== 0;
        break;
      case GoldfishReg.CLEAR_ALARM:
        this.#armed = false;
        break;
      case GoldfishReg.CLEAR_INTERRUPT:
        this.#irqPending = false;
        break;
      default:
        break;
    }
    this.#poll();
  }

  #setRtc(valueNs: bigint): void {
    this.#offsetNs = u64(valueNs - this.#clock.nowNs());
  }
}

const W4: readonly AccessWidth[] = [4];

const GOLDFISH_REGISTERS = new RegisterMap(
  SIZE_BYTES,
  (
    [
      ['TIME_LOW', GoldfishReg.TIME_LOW, 'rw'],
      ['TIME_HIGH', GoldfishReg.TIME_HIGH, 'rw'],
      ['ALARM_LOW', GoldfishReg.ALARM_LOW, 'rw'],
      ['ALARM_HIGH', GoldfishReg.ALARM_HIGH, 'rw'],
      ['IRQ_ENABLED', GoldfishReg.IRQ_ENABLED, 'rw'],
      ['CLEAR_ALARM', GoldfishReg.CLEAR_ALARM, 'w'],
      ['ALARM_STATUS', GoldfishReg.ALARM_STATUS, 'r'],
      ['CLEAR_INTERRUPT', GoldfishReg.CLEAR_INTERRUPT, 'w'],
    ] as const
  ).map(([name, offset, access]) => ({ name, offset, sizeBytes: 4, widths: W4, access })),
);
