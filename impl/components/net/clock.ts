// The system counter a PD may read without a system call (AArch64 CNTVCT_EL0; on x86 sDDF clients
// read the TSC directly: reference §2.6). The emulator shares it as a small SharedArrayBuffer:
// in deterministic runs the harness writes virtual time into it; in worker runs it reads the host
// clock from a shared origin. Components that need the time without waking the timer driver (the
// bandwidth policy of virt_tx) read it here.

export const COUNTER_BYTES = 16;

export class SystemCounter {
  private readonly w: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.w = new Float64Array(buffer, 0, 2);
  }

  static create(): SystemCounter {
    const c = new SystemCounter(new SharedArrayBuffer(COUNTER_BYTES));
    c.w[1] = Number.NaN;
    return c;
  }

  get buffer(): SharedArrayBuffer {
    return this.w.buffer as SharedArrayBuffer;
  }

  /** Nanoseconds since boot. */
  nowNs(): number {
    const origin = this.w[1]!;
    if (Number.isNaN(origin)) return this.w[0]!;
    return Math.round((performance.timeOrigin + performance.now() - origin) * 1e6);
  }

  /** Deterministic runs: the harness moves virtual time. */
  setVirtualNs(ns: number): void {
    this.w[0] = ns;
  }

  /** Worker runs: host time from now on, counted from this instant. */
  useHostClock(): void {
    this.w[1] = performance.timeOrigin + performance.now();
  }
}
