// Errors an emulated device records (issue #14 part 2). A *driver* error is a MUST of a
// specification (VIRTIO 1.2, the PL011 TRM, the goldfish RTC description) that the driver broke;
// a *dma* error is an access the IOMMU refused. Each record says which rule, where (register,
// queue, descriptor, avail index) and what was seen, so a test or a report can point at the
// driver's mistake. The device then behaves as QEMU does (docs/devices.md): recording never
// changes what the device does.

import type { HwObserver } from './events.ts';

export type DeviceErrorKind = 'driver' | 'dma';

export class DeviceError {
  constructor(
    readonly device: string,
    readonly kind: DeviceErrorKind,
    /** Stable identifier, e.g. `notify-before-driver-ok` (tests match on it). */
    readonly code: string,
    /** Where the broken rule is written, e.g. `virtio-1.2 §3.1.1`. */
    readonly rule: string,
    /** Where it happened, e.g. `QueueNotify (0x050) 32-bit write` or `queue 1 avail[3]`. */
    readonly where: string,
    readonly message: string,
  ) {}

  /** One line, as a report prints it (also what `errors.join()` shows). */
  toString(): string {
    return `${this.device}: ${this.where}: ${this.message} [${this.rule}]`;
  }
}

/** Kept so a report can show them; later ones are counted, not kept (a bound on memory). */
export const MAX_KEPT_ERRORS = 64;

/** The error list of one device: bounded, counted, reported to the observer. */
export class ErrorLog {
  readonly #device: string;
  readonly #observer: HwObserver | undefined;
  readonly #kept: DeviceError[] = [];
  #count = 0;

  constructor(device: string, observer: HwObserver | undefined) {
    this.#device = device;
    this.#observer = observer;
  }

  get errors(): readonly DeviceError[] {
    return this.#kept;
  }
  get count(): number {
    return this.#count;
  }

  record(e: {
    kind: DeviceErrorKind;
    code: string;
    rule: string;
    where: string;
    message: string;
  }): DeviceError {
    const err = new DeviceError(this.#device, e.kind, e.code, e.rule, e.where, e.message);
    this.#count++;
    if (this.#kept.length < MAX_KEPT_ERRORS) this.#kept.push(err);
    this.#observer?.({
      kind: 'device-error',
      device: this.#device,
      code: err.code,
      reason: err.toString(),
    });
    return err;
  }

  /** Codes of the kept errors, in order (for tests and summaries). */
  codes(): string[] {
    return this.#kept.map((e) => e.code);
  }
}
