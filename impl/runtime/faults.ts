// Fault injection and the restart policy (issue #5 part 4). The injector is consulted at fixed hook
// points: a PD wake, a notification delivery, an IRQ delivery, and — for impl/hw — whether a device
// is stalled. Counting is per target and 1-based, so a spec such as `crash:client0@5` means "the
// 5th wake of client0" and replays exactly under the deterministic scheduler.

import type { Diagnostic } from '../../spec/common/diagnostic.ts';

export type NotifyFate = 'deliver' | 'drop' | 'duplicate';

export interface FaultInjector {
  /** Crash `pd` at the start of its `wake`-th wake (init is wake 1)? */
  crashAtWake(pd: string, wake: number): boolean;
  /** Fate of a notification about to set a bit of PD `to`. */
  onNotify(to: string): NotifyFate;
  /** Deliver IRQ number `irq`, or drop it (a lost interrupt)? */
  onIrq(irq: number): 'deliver' | 'drop';
  /** Hook for emulated devices (impl/hw): is `device` stalled at scheduler step `step`? */
  deviceStalled(device: string, step: number): boolean;
}

export interface FaultScript {
  readonly crash?: readonly { readonly pd: string; readonly atWake: number }[];
  readonly dropNotify?: readonly { readonly to: string; readonly nth: number }[];
  readonly duplicateNotify?: readonly { readonly to: string; readonly nth: number }[];
  readonly dropIrq?: readonly { readonly irq: number; readonly nth: number }[];
  readonly stall?: readonly {
    readonly device: string;
    readonly fromStep: number;
    readonly toStep: number;
  }[];
}

export class ScriptedFaults implements FaultInjector {
  private readonly notifyCount = new Map<string, number>();
  private readonly irqCount = new Map<number, number>();

  constructor(readonly script: FaultScript) {}

  crashAtWake(pd: string, wake: number): boolean {
    return (this.script.crash ?? []).some((c) => c.pd === pd && c.atWake === wake);
  }

  onNotify(to: string): NotifyFate {
    const n = (this.notifyCount.get(to) ?? 0) + 1;
    this.notifyCount.set(to, n);
    if ((this.script.dropNotify ?? []).some((d) => d.to === to && d.nth === n)) return 'drop';
    if ((this.script.duplicateNotify ?? []).some((d) => d.to === to && d.nth === n))
      return 'duplicate';
    return 'deliver';
  }

  onIrq(irq: number): 'deliver' | 'drop' {
    const n = (this.irqCount.get(irq) ?? 0) + 1;
    this.irqCount.set(irq, n);
    return (this.script.dropIrq ?? []).some((d) => d.irq === irq && d.nth === n)
      ? 'drop'
      : 'deliver';
  }

  deviceStalled(device: string, step: number): boolean {
    return (this.script.stall ?? []).some(
      (s) => s.device === device && step >= s.fromStep && step < s.toStep,
    );
  }
}

/** Per-PD restart policy: how often the monitor re-runs `init` (shared memory kept) after a fault. */
export interface RestartPolicy {
  readonly maxRestarts: number;
}

/**
 * Parse `--faults` text: comma-separated `crash:PD@N`, `drop-notify:PD@N`, `dup-notify:PD@N`,
 * `drop-irq:IRQ@N`, `stall:DEVICE@FROM-TO`. Errors are diagnostics (column = 1-based offset).
 */
export function parseFaultSpec(
  text: string,
  file = '--faults',
): { script?: FaultScript; errors: Diagnostic[] } {
  const crash: { pd: string; atWake: number }[] = [];
  const dropNotify: { to: string; nth: number }[] = [];
  const duplicateNotify: { to: string; nth: number }[] = [];
  const dropIrq: { irq: number; nth: number }[] = [];
  const stall: { device: string; fromStep: number; toStep: number }[] = [];
  const errors: Diagnostic[] = [];
  let column = 1;
  for (const item of text.split(',')) {
    const m = /^(crash|drop-notify|dup-notify|drop-irq|stall):([^@]+)@(\d+)(?:-(\d+))?$/.exec(
      item.trim(),
    );
    const bad = (message: string): void => {
      errors.push({ code: 'RUNTIME_FAULT_SPEC', message, file, line: 1, column });
    };
    if (m === null)
      bad(
        `'${item}' is not KIND:TARGET@N (kinds: crash, drop-notify, dup-notify, drop-irq, stall)`,
      );
    else {
      const [, kind, target, a, b] = m as unknown as [
        string,
        string,
        string,
        string,
        string | undefined,
      ];
      const n = Number(a);
      if (kind === 'stall') {
        if (b === undefined || Number(b) <= n)
          bad(`stall needs a step range FROM-TO with FROM < TO in '${item}'`);
        else stall.push({ device: target, fromStep: n, toStep: Number(b) });
      } else if (b !== undefined) bad(`only stall takes a range, in '${item}'`);
      else if (n < 1) bad(`counts are 1-based, in '${item}'`);
      else if (kind === 'crash') crash.push({ pd: target, atWake: n });
      else if (kind === 'drop-notify') dropNotify.push({ to: target, nth: n });
      else if (kind === 'dup-notify') duplicateNotify.push({ to: target, nth: n });
      else if (!/^\d+$/.test(target)) bad(`drop-irq needs an IRQ number, in '${item}'`);
      else dropIrq.push({ irq: Number(target), nth: n });
    }
    column += item.length + 1;
  }
  if (errors.length > 0) return { errors };
  return { script: { crash, dropNotify, duplicateNotify, dropIrq, stall }, errors };
}
