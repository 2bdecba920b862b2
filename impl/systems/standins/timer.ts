// STAND-IN until issue 13 brings the timer subsystem: a passive timer driver PD speaking the sDDF
// timer protocol (reference sddf-protocols.md §2.6, §3.13: GET_TIME, SET_TIMEOUT, one deadline per
// client channel, notify on expiry) over a minimal ARM generic timer. The generic timer is part of
// the CPU (system registers, PPI 30, no MMIO), so it is shared with the PD through params: a small
// SharedArrayBuffer holding CNTP_CVAL and CNTP_CTL, with time from the system counter. The run
// harness raises IRQ 30 while the timer condition holds (a level interrupt).

import { SystemCounter } from '../../components/net/clock.ts';
import { SDDF_TIMER_GET_TIME, SDDF_TIMER_SET_TIMEOUT } from '../../clients/timer.ts';
import type { Component, ComponentContext, PpcMessage } from '../../runtime/api.ts';

/** CNTP_CTL_EL0 bits. */
const CTL_ENABLE = 1;

/** The generic timer's compare registers, shared between the PD and the harness. */
export class GenericTimerRegs {
  private readonly w: Float64Array;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.w = new Float64Array(buffer, 0, 2);
  }
  static create(): GenericTimerRegs {
    return new GenericTimerRegs(new SharedArrayBuffer(16));
  }
  get cvalNs(): number {
    return this.w[0]!;
  }
  get enabled(): boolean {
    return (this.w[1]! & CTL_ENABLE) !== 0;
  }
  /** CNTP_CVAL = at, ENABLE. */
  arm(atNs: number): void {
    this.w[0] = atNs;
    this.w[1] = CTL_ENABLE;
  }
  /** sDDF disarms by writing CVAL = UINT64_MAX; here ENABLE is cleared too. */
  disarm(): void {
    this.w[0] = Number.POSITIVE_INFINITY;
    this.w[1] = 0;
  }
  /** ISTATUS && !IMASK: the level the IRQ line has. */
  asserted(nowNs: number): boolean {
    return this.enabled && nowNs >= this.w[0]!;
  }
}

export interface TimerStandinParams {
  readonly irqId: number;
  readonly systemCounter: SharedArrayBuffer;
  readonly regs: SharedArrayBuffer;
}

export function timerStandin(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as TimerStandinParams;
  const counter = new SystemCounter(p.systemCounter);
  const regs = new GenericTimerRegs(p.regs);
  const timeouts = new Map<number, number>();
  const program = (): void => {
    let next = Number.POSITIVE_INFINITY;
    for (const t of timeouts.values()) next = Math.min(next, t);
    if (next === Number.POSITIVE_INFINITY) regs.disarm();
    else regs.arm(next);
  };
  const processTimeouts = (): void => {
    const now = counter.nowNs();
    for (const [ch, at] of [...timeouts]) {
      if (at <= now) {
        timeouts.delete(ch);
        ctx.api.notify(ch);
      }
    }
    program();
  };
  return {
    init(): void {
      regs.disarm();
    },
    notified(ch: number): void {
      if (ch !== p.irqId) return;
      ctx.api.deferredIrqAck(ch);
      regs.disarm();
      processTimeouts();
    },
    protected(ch: number, msg: PpcMessage): PpcMessage {
      const now = counter.nowNs();
      if (msg.label === SDDF_TIMER_GET_TIME) return { label: 0, words: [BigInt(now)] };
      if (msg.label === SDDF_TIMER_SET_TIMEOUT) {
        timeouts.set(ch, now + Number(msg.words[0] ?? 0n));
        processTimeouts();
        return { label: 0, words: [] };
      }
      return { label: 1, words: [] };
    },
  };
}
