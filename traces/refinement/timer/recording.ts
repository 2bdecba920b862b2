// What a handler does that others see, recorded around the runtime's MicrokitApi for the online
// refinement checks of the timer driver and the I²C virt (issue #13 part 7): the notifications it
// makes (immediate, in order), the deferred slot at the end, and — through a proxy of its address
// space — the device registers it reads and writes. The component runs unchanged on it.
import type { MicrokitApi, PpcMessage } from '../../../impl/runtime/api.ts';

export interface RegisterAccess {
  readonly write: boolean;
  readonly vaddr: number;
  readonly value: number;
}

export class RecordingApi implements MicrokitApi {
  notified: number[] = [];
  deferred: number | null = null;
  irqAcks: number[] = [];
  accesses: RegisterAccess[] = [];
  readonly mem: MicrokitApi['mem'];

  constructor(
    private readonly inner: MicrokitApi,
    /** Which 32-bit accesses to record (e.g. the device's register window). */
    watch: (vaddr: number) => boolean,
  ) {
    const target = inner.mem;
    const record = (a: RegisterAccess): void => {
      this.accesses.push(a);
    };
    this.mem = new Proxy(target, {
      get(t, prop) {
        if (prop === 'read32') {
          return (vaddr: number): number => {
            const value = t.read32(vaddr);
            if (watch(vaddr)) record({ write: false, vaddr, value });
            return value;
          };
        }
        if (prop === 'write32') {
          return (vaddr: number, value: number): void => {
            if (watch(vaddr)) record({ write: true, vaddr, value: value >>> 0 });
            t.write32(vaddr, value);
          };
        }
        const v = Reflect.get(t, prop, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  }

  get name(): string {
    return this.inner.name;
  }
  start(): void {
    this.notified = [];
    this.deferred = null;
    this.irqAcks = [];
    this.accesses = [];
  }
  notify(ch: number): void {
    this.notified.push(ch);
    this.inner.notify(ch);
  }
  deferredNotify(ch: number): void {
    this.deferred = ch;
    this.inner.deferredNotify(ch);
  }
  irqAck(ch: number): void {
    this.irqAcks.push(ch);
    this.inner.irqAck(ch);
  }
  deferredIrqAck(ch: number): void {
    this.irqAcks.push(ch);
    this.inner.deferredIrqAck(ch);
  }
  ppcall(ch: number, msg: PpcMessage): PpcMessage {
    return this.inner.ppcall(ch, msg);
  }
  deferredCurrent(): number | null {
    return this.inner.deferredCurrent();
  }
}

export interface Difference {
  readonly where: string;
  readonly impl: string;
  readonly spec: string;
}

export interface HandlerViolation {
  readonly pd: string;
  readonly handler: string;
  /** 1-based count of this PD's handler executions. */
  readonly execution: number;
  readonly differences: readonly Difference[];
}

export interface RefinementReport {
  readonly checked: number;
  readonly matched: number;
  readonly violations: number;
  readonly kept: readonly HandlerViolation[];
}

/** Counting and keeping what diverged (at most `keep` kept, all counted). */
export class RefinementLog {
  checked = 0;
  matched = 0;
  violations = 0;
  readonly kept: HandlerViolation[] = [];
  constructor(private readonly keep = 20) {}
  record(v: Omit<HandlerViolation, 'differences'>, differences: readonly Difference[]): void {
    this.checked++;
    if (differences.length === 0) {
      this.matched++;
      return;
    }
    this.violations++;
    if (this.kept.length < this.keep) this.kept.push({ ...v, differences });
  }
  report(): RefinementReport {
    return {
      checked: this.checked,
      matched: this.matched,
      violations: this.violations,
      kept: this.kept,
    };
  }
}

export function differ(where: string, impl: unknown, spec: unknown, out: Difference[]): void {
  const a = JSON.stringify(impl, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  const b = JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  if (a !== b) out.push({ where, impl: a, spec: b });
}
