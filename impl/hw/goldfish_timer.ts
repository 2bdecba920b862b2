// Goldfish timer/RTC on a virtual clock (reference sddf-protocols.md §5.5 [spec], as used by the
// sDDF goldfish timer driver). Times are u64 nanoseconds. Reading TIME_LOW latches the high word
// for the next TIME_HIGH read; writing ALARM_LOW arms the alarm at {ALARM_HIGH, low}; an alarm at
// or before now fires at once. Firing sets the interrupt pending; the IRQ line is pending &&
// IRQ_ENABLED, and stays asserted until CLEAR_INTERRUPT (a level IRQ).

import { assert } from '../../spec/common/assert.ts';
import type { Clock, MmioDevice } from '../mem/types.ts';
import { IrqLine, type HwObserver, type StallableDevice } from './events.ts';

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

const SIZE_BYTES = 0x1000;

export class GoldfishTimer implements MmioDevice, StallableDevice {
  readonly name: string;
  readonly sizeBytes = SIZE_BYTES;
  readonly #clock: Clock;
  readonly #irq: IrqLine;
  #timeHighLatch = 0;
  #alarmHigh = 0;
  #alarmAtNs: bigint | null = null;
  #irqEnabled = false;
  #irqPending = false;
  #stalled = false;
  firedCount = 0;

  constructor(options: {
    name: string;
    clock: Clock;
    observer?: HwObserver;
    /** Called on every change of the IRQ line level (the runtime's interrupt controller). */
    onIrqLevel?: (asserted: boolean) => void;
  }) {
    this.name = options.name;
    this.#clock = options.clock;
    this.#irq = new IrqLine(options.name, options.observer, options.onIrqLevel);
  }

  /** When the armed alarm is due (for a scheduler that advances the clock), or null. */
  nextDeadlineNs(): bigint | null {
    return this.#alarmAtNs;
  }

  get alarmArmed(): boolean {
    this.#poll();
    return this.#alarmAtNs !== null;
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
    if (!this.#stalled && this.#alarmAtNs !== null && this.#alarmAtNs <= this.#clock.nowNs()) {
      this.#alarmAtNs = null;
      this.#irqPending = true;
      this.firedCount++;
    }
    this.#irq.set(this.#irqPending && this.#irqEnabled);
  }

  read32(offsetBytes: number): number {
    assert(offsetBytes >= 0 && offsetBytes + 4 <= SIZE_BYTES, `read32 inside ${this.name}`);
    this.#poll();
    switch (offsetBytes) {
      case GoldfishReg.TIME_LOW: {
        const now = this.#clock.nowNs();
        assert(now >= 0n && now < 1n << 64n, 'clock reads a u64');
        this.#timeHighLatch = Number(now >> 32n);
        return Number(now & 0xffff_ffffn);
      }
      case GoldfishReg.TIME_HIGH:
        return this.#timeHighLatch;
      case GoldfishReg.ALARM_HIGH:
        return this.#alarmHigh;
      case GoldfishReg.IRQ_ENABLED:
        return this.#irqEnabled ? 1 : 0;
      case GoldfishReg.ALARM_STATUS:
        return this.#alarmAtNs !== null ? 1 : 0;
      default:
        return 0;
    }
  }

  write32(offsetBytes: number, value: number): void {
    assert(offsetBytes >= 0 && offsetBytes + 4 <= SIZE_BYTES, `write32 inside ${this.name}`);
    const v = value >>> 0;
    switch (offsetBytes) {
      case GoldfishReg.ALARM_HIGH:
        this.#alarmHigh = v;
        break;
      case GoldfishReg.ALARM_LOW:
        this.#alarmAtNs = (BigInt(this.#alarmHigh) << 32n) | BigInt(v);
        break;
      case GoldfishReg.IRQ_ENABLED:
        this.#irqEnabled = (v & 1) !== 0;
        break;
      case GoldfishReg.CLEAR_ALARM:
        this.#alarmAtNs = null;
        break;
      case GoldfishReg.CLEAR_INTERRUPT:
        this.#irqPending = false;
        break;
      default:
        // TIME_LOW/TIME_HIGH writes (setting the RTC) are not modelled: virtual time is global.
        break;
    }
    this.#poll();
  }
}
