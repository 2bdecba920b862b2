// The online refinement check of the goldfish timer driver (issue #13 part 7) against
// spec/components/timer.ts. The driver's `timeouts[]` are private, so the abstraction is the
// spec state driven by the same history (a shadow): before each handler the shadow is what the
// driver's state must abstract to; the handler's observable effects — its reply, the channels it
// notifies (in order), the alarm it programs (the last ALARM_HIGH/ALARM_LOW pair written) — must
// equal the spec step's, taken at the time the driver read (its TIME_LOW/TIME_HIGH pair). A
// restart of the driver starts a fresh shadow (its private state is reset too).
import { GoldfishReg } from '../../../impl/hw/goldfish_timer.ts';
import type { Component, ComponentFactory, PpcMessage } from '../../../impl/runtime/api.ts';
import { mapOf } from '../../../impl/runtime/config.ts';
import type { ComponentBinding } from '../../../impl/runtime/registry.ts';
import {
  SDDF_TIMER_GET_TIME,
  SDDF_TIMER_SET_TIMEOUT,
  timerInitial,
  timerIrq,
  timerProtected,
  type TimerDriverState,
  type TimerEffects,
} from '../../../spec/components/timer.ts';
import {
  RecordingApi,
  RefinementLog,
  differ,
  type Difference,
  type RefinementReport,
  type RegisterAccess,
} from './recording.ts';

/** The time the driver read (first TIME_LOW then TIME_HIGH), or null. */
export function timeRead(base: number, a: readonly RegisterAccess[]): bigint | null {
  const lo = a.findIndex((x) => !x.write && x.vaddr === base + GoldfishReg.TIME_LOW);
  const hi = a.findIndex((x, i) => i > lo && !x.write && x.vaddr === base + GoldfishReg.TIME_HIGH);
  if (lo < 0 || hi < 0) return null;
  return (BigInt(a[hi]!.value) << 32n) | BigInt(a[lo]!.value);
}

/** The alarm the handler programmed: the last ALARM_LOW write with the ALARM_HIGH before it. */
export function programmed(base: number, a: readonly RegisterAccess[]): bigint | null {
  let high = 0n;
  let out: bigint | null = null;
  for (const x of a) {
    if (!x.write) continue;
    if (x.vaddr === base + GoldfishReg.ALARM_HIGH) high = BigInt(x.value);
    if (x.vaddr === base + GoldfishReg.ALARM_LOW) out = (high << 32n) | BigInt(x.value);
  }
  return out;
}

export class TimerRefinement {
  readonly log = new RefinementLog();

  /** The factory to run for `pd` instead of its binding's (only the timer driver is checked). */
  /**
   * The factory to run for `pd`: the timer driver (`driverPd`, or by default the PD bound to
   * `goldfishTimerDriver`) is checked; every other PD runs as bound.
   */
  wrap(pd: string, binding: ComponentBinding, driverPd?: string): ComponentFactory {
    const isDriver =
      driverPd === undefined ? binding.exportName === 'goldfishTimerDriver' : pd === driverPd;
    if (!isDriver) return binding.factory;
    const regsMr = (binding.params as { regsMr?: string } | undefined)?.regsMr ?? 'timer_regs';
    const log = this.log;
    return (ctx) => {
      const base = mapOf(ctx.config, regsMr).vaddr;
      const api = new RecordingApi(ctx.api, (v) => v >= base && v < base + 0x1000);
      const inner = binding.factory({ ...ctx, api });
      let shadow: TimerDriverState = timerInitial();
      let executions = 0;
      const irqCh = ctx.config.irqs[0]?.id ?? -1;
      const compare = (
        handler: string,
        impl: { effects: TimerEffects; reply?: PpcMessage },
        spec: { effects: TimerEffects; reply?: PpcMessage },
      ): void => {
        const d: Difference[] = [];
        differ('reply', impl.reply ?? null, spec.reply ?? null, d);
        differ('notified', impl.effects.notified, spec.effects.notified, d);
        differ('programmed', impl.effects.programmed, spec.effects.programmed, d);
        log.record({ pd, handler, execution: executions }, d);
      };
      const observed = (): TimerEffects => ({
        notified: [...api.notified],
        programmed: programmed(base, api.accesses),
      });
      const out: Component = {
        init: () => {
          executions++;
          api.start();
          inner.init();
          shadow = timerInitial();
        },
        notified: (ch) => {
          executions++;
          api.start();
          inner.notified(ch);
          if (ch !== irqCh) {
            compare(
              `notified(${ch})`,
              { effects: observed() },
              { effects: { notified: [], programmed: null } },
            );
            return;
          }
          const now = timeRead(base, api.accesses);
          if (now === null) {
            log.record({ pd, handler: 'notified(irq)', execution: executions }, [
              { where: 'time', impl: 'not read', spec: 'process_timeouts(now) reads the time' },
            ]);
            return;
          }
          const s = timerIrq(shadow, now);
          compare('notified(irq)', { effects: observed() }, { effects: s.effects });
          shadow = s.state;
        },
        protected: (ch, msg) => {
          executions++;
          api.start();
          const reply = inner.protected!(ch, msg);
          const reads = msg.label === SDDF_TIMER_GET_TIME || msg.label === SDDF_TIMER_SET_TIMEOUT;
          const now = timeRead(base, api.accesses) ?? (reads ? null : 0n);
          // An error reply needs no time; the spec is asked at the time read, or at 0 when none was.
          const s = timerProtected(shadow, {
            ch,
            label: msg.label,
            words: msg.words,
            nowNs: now ?? 0n,
          });
          compare(`protected(${ch}, label ${msg.label})`, { effects: observed(), reply }, s);
          shadow = s.state;
          return reply;
        },
      };
      return out;
    };
  }

  report(): RefinementReport {
    return this.log.report();
  }
}
