// A DS3231-like real-time clock on the I²C bus (issue #13 part 4), as sDDF's client uses it
// (au-ts/sddf 650ace5d include/sddf/i2c/devices/ds3231/ds3231.h, i2c/devices/ds3231/ds3231.c;
// Analog Devices DS3231 datasheet): bus address 0x68; 19 registers 0x00..0x12, the first seven
// the time in BCD (seconds, minutes, hours (24 h), day of week 1..7, date, month (bit 7 century),
// year 00..99). The first byte written after the address sets the register pointer; later bytes
// write at the pointer, which advances and wraps 0x12 → 0x00; reads return the register at the
// pointer and advance. Time registers count on the injected clock (STYLE.md: no real clock), and
// as on the part, a START copies the time into the buffer reads come from, so a burst read is
// consistent even across a second boundary. Writing the seconds register restarts the second.
// Strict: a value out of its register's range (or not BCD) is recorded as a driver error (the
// client's misuse: the datasheet leaves the result undefined) and stored as written.

import type { Clock } from '../mem/types.ts';
import { ErrorLog, type DeviceError } from './errors.ts';
import type { I2cTarget } from './i2c.ts';

export const DS3231_I2C_BUS_ADDRESS = 0x68;
export const DS3231_REGISTERS = 0x13;
export const Ds3231Reg = {
  SECONDS: 0,
  MINUTES: 1,
  HOURS: 2,
  DAY_OF_WEEK: 3,
  DATE: 4,
  MONTH: 5,
  YEAR: 6,
  CONTROL: 0x0e,
  STATUS: 0x0f,
} as const;

const RULE = 'DS3231 datasheet, timekeeping registers (ranges in BCD)';
const CENTURY = 0x80;

/** Calendar time as the part keeps it (24-hour mode; the year is 2000 + year, 2100 + with century). */
export interface RtcTime {
  readonly second: number;
  readonly minute: number;
  readonly hour: number;
  /** 1..7, user-defined meaning; advances at midnight. */
  readonly dayOfWeek: number;
  readonly date: number;
  readonly month: number;
  /** 0..199: 00..99 plus 100 when the century bit is set. */
  readonly year: number;
}

export function toBcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

/** A BCD byte's value, or null when a nibble is above 9. */
export function fromBcd(b: number): number | null {
  const hi = (b >> 4) & 0xf;
  const lo = b & 0xf;
  return hi > 9 || lo > 9 ? null : hi * 10 + lo;
}

const RANGES: readonly (readonly [string, number, number, number])[] = [
  // register name, min, max, mask of the value bits
  ['seconds', 0, 59, 0x7f],
  ['minutes', 0, 59, 0x7f],
  ['hours', 0, 23, 0x3f],
  ['day of week', 1, 7, 0x07],
  ['date', 1, 31, 0x3f],
  ['month', 1, 12, 0x1f],
  ['year', 0, 99, 0xff],
];

export class Ds3231 implements I2cTarget {
  readonly address = DS3231_I2C_BUS_ADDRESS;
  readonly name: string;
  readonly #clock: Clock;
  readonly #errors: ErrorLog;
  readonly #regs = new Uint8Array(DS3231_REGISTERS);
  /** The time registers' value at `#baseNs` of the clock, as seconds since 2000-01-01 (UTC). */
  #baseSeconds: number;
  #baseDow: number;
  #baseNs: bigint;
  #ptr = 0;
  #first = false;
  /** The time latched at the last START (reads of 0..6 come from here). */
  #latched: Uint8Array = new Uint8Array(7);

  constructor(options: { name?: string; clock: Clock; start?: RtcTime }) {
    this.name = options.name ?? 'ds3231';
    this.#clock = options.clock;
    this.#errors = new ErrorLog(this.name, undefined);
    const t = options.start ?? {
      second: 0,
      minute: 0,
      hour: 0,
      dayOfWeek: 6,
      date: 1,
      month: 1,
      year: 0,
    };
    this.#baseSeconds = secondsOf(t);
    this.#baseDow = t.dayOfWeek;
    this.#baseNs = options.clock.nowNs();
    this.#latch();
  }

  get errors(): readonly DeviceError[] {
    return this.#errors.errors;
  }
  get errorCount(): number {
    return this.#errors.count;
  }

  /** The current time (what a burst read started now would return). */
  now(): RtcTime {
    const elapsed = Number((this.#clock.nowNs() - this.#baseNs) / 1_000_000_000n);
    const s = this.#baseSeconds + elapsed;
    const days = Math.floor(s / 86_400) - Math.floor(this.#baseSeconds / 86_400);
    return timeOf(s, ((((this.#baseDow - 1 + days) % 7) + 7) % 7) + 1);
  }

  #latch(): void {
    const t = this.now();
    this.#latched = new Uint8Array([
      toBcd(t.second),
      toBcd(t.minute),
      toBcd(t.hour),
      t.dayOfWeek,
      toBcd(t.date),
      toBcd(t.month) | (t.year >= 100 ? CENTURY : 0),
      toBcd(t.year % 100),
    ]);
  }

  start(_read: boolean): boolean {
    this.#first = true;
    this.#latch();
    return true;
  }

  write(byte: number): boolean {
    if (this.#first) {
      this.#first = false;
      if (byte >= DS3231_REGISTERS) {
        this.#errors.record({
          kind: 'driver',
          code: 'bad-register',
          rule: RULE,
          where: `pointer write 0x${byte.toString(16)}`,
          message: `register 0x${byte.toString(16)} does not exist (0x00..0x12); the pointer wraps`,
        });
      }
      this.#ptr = byte % DS3231_REGISTERS;
      return true;
    }
    this.#writeReg(this.#ptr, byte & 0xff);
    this.#ptr = (this.#ptr + 1) % DS3231_REGISTERS;
    return true;
  }

  read(_last: boolean): number {
    this.#first = false;
    const r = this.#ptr;
    this.#ptr = (this.#ptr + 1) % DS3231_REGISTERS;
    return r < 7 ? this.#latched[r]! : this.#regs[r]!;
  }

  stop(): void {
    this.#first = false;
  }

  #writeReg(r: number, byte: number): void {
    if (r >= 7) {
      this.#regs[r] = byte;
      return;
    }
    const [name, min, max, mask] = RANGES[r]!;
    const value = r === Ds3231Reg.DAY_OF_WEEK ? byte & mask : fromBcd(byte & mask);
    if (value === null || value < min || value > max) {
      this.#errors.record({
        kind: 'driver',
        code: 'bad-time-value',
        rule: RULE,
        where: `register 0x${r.toString(16)} (${name})`,
        message: `0x${byte.toString(16)} is not a BCD value in ${min}..${max}; ignored`,
      });
      return;
    }
    // Replace one field of the current time and count on from here.
    const t = this.now();
    const fields = { ...t } as { -readonly [K in keyof RtcTime]: number };
    switch (r) {
      case Ds3231Reg.SECONDS:
        fields.second = value;
        break;
      case Ds3231Reg.MINUTES:
        fields.minute = value;
        break;
      case Ds3231Reg.HOURS:
        fields.hour = value;
        break;
      case Ds3231Reg.DAY_OF_WEEK:
        fields.dayOfWeek = value;
        break;
      case Ds3231Reg.DATE:
        fields.date = value;
        break;
      case Ds3231Reg.MONTH:
        fields.month = value;
        fields.year = (t.year % 100) + ((byte & CENTURY) !== 0 ? 100 : 0);
        break;
      case Ds3231Reg.YEAR:
        fields.year = value + (t.year >= 100 ? 100 : 0);
        break;
    }
    // A seconds write restarts the second (the part resets its countdown chain); others keep it.
    const sub =
      r === Ds3231Reg.SECONDS ? 0n : (this.#clock.nowNs() - this.#baseNs) % 1_000_000_000n;
    this.#baseSeconds = secondsOf(fields);
    this.#baseDow = fields.dayOfWeek;
    this.#baseNs = this.#clock.nowNs() - sub;
  }
}

/** Seconds since 2000-01-01T00:00:00Z (a date past the month's end rolls over, as Date does). */
export function secondsOf(t: RtcTime): number {
  return (
    (Date.UTC(2000 + t.year, t.month - 1, t.date, t.hour, t.minute, t.second) -
      Date.UTC(2000, 0, 1)) /
    1000
  );
}

export function timeOf(seconds: number, dayOfWeek: number): RtcTime {
  const d = new Date(Date.UTC(2000, 0, 1) + seconds * 1000);
  return {
    second: d.getUTCSeconds(),
    minute: d.getUTCMinutes(),
    hour: d.getUTCHours(),
    dayOfWeek,
    date: d.getUTCDate(),
    month: d.getUTCMonth() + 1,
    year: (d.getUTCFullYear() - 2000) % 200,
  };
}
