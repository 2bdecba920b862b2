// Optional event recording for emulated devices (issue #5 part 6: "nothing is recorded and
// nothing costs when it is off"). Devices test `observer !== undefined` before building an event
// object, so an unobserved device allocates nothing for observability.

import type { DmaFault, DmaPort } from '../mem/types.ts';

export type HwEvent =
  | {
      readonly kind: 'dma-read';
      readonly device: string;
      readonly ioAddr: bigint;
      readonly lengthBytes: number;
    }
  | {
      readonly kind: 'dma-write';
      readonly device: string;
      readonly ioAddr: bigint;
      readonly lengthBytes: number;
    }
  | { readonly kind: 'dma-fault'; readonly device: string; readonly fault: DmaFault }
  | { readonly kind: 'irq'; readonly device: string; readonly asserted: boolean }
  | { readonly kind: 'queue-notify'; readonly device: string; readonly queue: number }
  | {
      readonly kind: 'used';
      readonly device: string;
      readonly queue: number;
      readonly id: number;
      readonly lenBytes: number;
    }
  | {
      readonly kind: 'device-error';
      readonly device: string;
      readonly code: string;
      readonly reason: string;
    }
  | { readonly kind: 'frame-tx'; readonly device: string; readonly lengthBytes: number }
  | { readonly kind: 'frame-rx'; readonly device: string; readonly lengthBytes: number }
  | {
      readonly kind: 'frame-drop';
      readonly device: string;
      readonly lengthBytes: number;
      readonly reason: string;
    };

export type HwObserver = (event: HwEvent) => void;

/** Fault injection (issue #5 part 4, "stall a device"): every emulated device implements it. */
export interface StallableDevice {
  readonly stalled: boolean;
  /** Stop processing (queues, FIFO drain, alarms) until released. */
  stall(): void;
  /** Resume, and catch up on what was notified or became due meanwhile. */
  release(): void;
}

export function isDmaFault(x: unknown): x is DmaFault {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'dma-fault';
}

/**
 * Wrap a DmaPort so that every DMA is reported; only called when an observer is set, so the
 * unobserved path is the bare port.
 */
export function observedDmaPort(options: {
  port: DmaPort;
  device: string;
  observer: HwObserver;
}): DmaPort {
  const { port, device, observer } = options;
  return {
    read(ioAddr, lengthBytes) {
      const r = port.read(ioAddr, lengthBytes);
      observer(
        isDmaFault(r)
          ? { kind: 'dma-fault', device, fault: r }
          : { kind: 'dma-read', device, ioAddr, lengthBytes },
      );
      return r;
    },
    write(ioAddr, data) {
      const r = port.write(ioAddr, data);
      observer(
        r === null
          ? { kind: 'dma-write', device, ioAddr, lengthBytes: data.length }
          : { kind: 'dma-fault', device, fault: r },
      );
      return r;
    },
  };
}

/**
 * Edge detector on a device's IRQ line: reports level changes to an observer and to the
 * runtime's line (`onIrqLevel`, e.g. the IRQ controller's assertLine/deassertLine). With neither
 * set it only stores a boolean.
 */
export class IrqLine {
  #level = false;

  constructor(
    readonly device: string,
    readonly observer: HwObserver | undefined,
    readonly onIrqLevel: ((asserted: boolean) => void) | undefined,
  ) {}

  get level(): boolean {
    return this.#level;
  }

  set(level: boolean): void {
    if (level === this.#level) return;
    this.#level = level;
    this.observer?.({ kind: 'irq', device: this.device, asserted: level });
    this.onIrqLevel?.(level);
  }
}
