// `sddf replay --on impl` for `timer` traces (issue 13 part 7; docs/adr/024-timer-and-i2c.md):
// each step of the trace that enters the timer driver is run on the implemented goldfish driver
// (impl/drivers/timer/goldfish.ts). The model's driver entries are whole steps (proofs/models/
// timer.ts: a PPC runs to completion on the caller's scheduling context), so a "wake" of the
// driver is one step:
//   - `timer.notified(irq)`: notified(irq);
//   - `client<c>.set_timeout(<r> ns)`: protected(c, GET_TIME), then protected(c, SET_TIMEOUT r);
//   - `client<c>.notified(timer)` of a client with a timeout pending: protected(c, GET_TIME)
//     (a client notified with none pending makes no PPC: not a driver wake).
// Nothing else runs inside a step, so every driver wake is compared.
//
// Concretization. The model's counter is `ticks` at 62.5 MHz from tick0; goldfish counts ns, so
// the device's time is the counter's true time, ticks_to_ns with the fixed conversion (spec
// `conversions('fixed')`): under F37 the trace's driver reads a wrapped time and the goldfish
// driver (which converts nothing) does not, so an F37 trace diverges where a wrapped time first
// reaches a word of the trace. The driver's `timeouts[]` are private (the online checker keeps a
// spec shadow for them, checker.ts), so they are concretized through the driver's own interface:
// a fresh instance, the device's time at 0, one SET_TIMEOUT of each pending deadline (deadline =
// 0 + relative), then the time set to the step's and the recording started.
//
// Abstraction back, against the trace's state after the step:
//   - the replies: the GET_TIME reply is in `client.set_at_ns` (a successful SET_TIMEOUT) and in
//     `ghost.last_time_ns`/`ghost.violation` (the model's monotonic monitor, spec
//     timeMonotonicProblem); the SET_TIMEOUT reply label in `client.phase` (0 → 1 on OK);
//   - the notifications (checker.ts's observed effects): a client's `client.notification` bit set
//     by the step must be a channel the driver notified, and a channel notified must be set after;
//   - the alarm (the last ALARM_HIGH/ALARM_LOW pair, checker.ts `programmed`): `compare_armed`,
//     `compare_ticks` = ns_to_ticks(alarm) − tick0 (clamped as the model does); the IRQ path
//     leaves the alarm disarmed unless it programs one (goldfish's alarm is one-shot);
//   - `driver.timeouts`: read back by experiment, as the driver offers no other view of them: a
//     copy of the run (same concretization, same step) takes an IRQ at time T and notifies exactly
//     the channels whose deadline is ≤ T. At T = UINT64_MAX − 1 that is the pending set; a pending
//     deadline d is the least T that notifies it (d − 1 does not, d does). On a difference the
//     implementation's deadline is found by bisection, for the report.
//   - the IRQ path acks its IRQ (the model's step acks; no word holds it).
import {
  SDDF_TIMER_GET_TIME,
  SDDF_TIMER_SET_TIMEOUT,
  TIMER_REPLY_OK,
  U64_MAX,
  conversions,
  timeMonotonicProblem,
} from '../../../spec/components/timer.ts';
import { GoldfishReg } from '../../../impl/hw/goldfish_timer.ts';
import { AddressSpace } from '../../../impl/mem/address-space.ts';
import { goldfishTimerDriver } from '../../../impl/drivers/timer/goldfish.ts';
import type { Component, MicrokitApi, PpcMessage } from '../../../impl/runtime/api.ts';
import type { ComponentConfig } from '../../../impl/runtime/config.ts';
import type { ImplDivergence, ImplReplayResult, ImplWake } from '../net/replay-impl.ts';
import { word, words, type ClassReplayInput, type ModelItfState } from '../replay-model.ts';
import { programmed, timeRead } from './checker.ts';
import { RecordingApi } from './recording.ts';

export interface TimerReplayInput extends ClassReplayInput {
  /** The model's counter frequency (proofs/models/timer.ts TIMER_MODEL_FREQ_HZ). */
  readonly freqHz: bigint;
  /** The counter at the model's tick 0 (proofs/models/timer.ts timerTick0). */
  readonly tick0: bigint;
}

const REGS = 0x2000_0000;
/** The driver's IRQ channel: any id no client uses (clients are channels 0..clients−1). */
const IRQ_CH = 40;
const NONE32 = 0xffff_ffff;
const PD = 'timer';
const { ticksToNs, nsToTicks } = conversions('fixed');

const CONFIG: ComponentConfig = {
  pd: PD,
  programImage: 'timer.elf',
  priority: 254,
  passive: true,
  maps: [
    {
      mr: 'timer_regs',
      vaddr: REGS,
      sizeBytes: 0x1000,
      ioAddr: 0x1010_1000n,
      perms: { r: true, w: true, x: false },
      cached: false,
    },
  ],
  channels: [],
  irqs: [{ id: IRQ_CH, irq: 38, trigger: 'level' }],
};

/** One driver instance over a plain register window whose time the replay sets. */
interface Driver {
  readonly comp: Component;
  readonly api: RecordingApi;
  setTime(ns: bigint): void;
}

function newDriver(): Driver {
  const buffer = new SharedArrayBuffer(0x1000);
  const mem = new AddressSpace(PD, [
    {
      mr: 'timer_regs',
      vaddr: REGS,
      sizeBytes: 0x1000,
      perms: { r: true, w: true, x: false },
      cached: false,
      buffer,
      mmio: null,
    },
  ]);
  const inner: MicrokitApi = {
    name: PD,
    mem,
    notify: () => {},
    deferredNotify: () => {},
    irqAck: () => {},
    deferredIrqAck: () => {},
    ppcall: () => {
      throw new Error('the timer driver makes no PPC');
    },
    deferredCurrent: () => null,
  };
  const api = new RecordingApi(inner, (v) => v >= REGS && v < REGS + 0x1000);
  const comp = goldfishTimerDriver({ api, config: CONFIG, params: {} });
  const dv = new DataView(buffer);
  return {
    comp,
    api,
    setTime: (ns) => {
      dv.setUint32(GoldfishReg.TIME_LOW, Number(ns & 0xffff_ffffn), true);
      dv.setUint32(GoldfishReg.TIME_HIGH, Number(ns >> 32n), true);
    },
  };
}

const getTime: PpcMessage = { label: SDDF_TIMER_GET_TIME, words: [] };

/** What one driver wake is: its PD-side entries. */
type Wake =
  | { readonly kind: 'irq' }
  | { readonly kind: 'set'; readonly c: number; readonly rel: bigint }
  | { readonly kind: 'get'; readonly c: number };

function wakeOf(action: string, pre: ModelItfState): Wake | null {
  if (action === 'timer.notified(irq)') return { kind: 'irq' };
  const set = /^client(\d+)\.set_timeout\((\d+) ns\)$/.exec(action);
  if (set !== null) return { kind: 'set', c: Number(set[1]), rel: BigInt(set[2]!) };
  const got = /^client(\d+)\.notified\(timer\)$/.exec(action);
  if (got !== null && words(pre, 'client.phase')[Number(got[1])] === 1)
    return { kind: 'get', c: Number(got[1]) };
  return null;
}

interface WakeRun {
  readonly driver: Driver;
  readonly replies: PpcMessage[];
}

/** Replays `input` (a `timer` trace) on the goldfish driver; stops at the first divergence. */
export function replayTimerOnImpl(input: TimerReplayInput): ImplReplayResult {
  const { states, actions, freqHz: hz, tick0 } = input;
  const clients = input.bounds['clients'] ?? 0;
  const ns0 = ticksToNs(tick0, hz);
  const abs = (off: number): bigint => ns0 + BigInt(off);
  const off = (ns: bigint): number => Number((ns - ns0) & 0xffff_ffffn);
  const nowOf = (s: ModelItfState): bigint => ticksToNs(tick0 + BigInt(word(s, 'ticks')), hz);
  const wakeList: ImplWake[] = [];
  let wakes = 0;
  let compared = 0;
  const notCompared: Record<string, number> = {};

  for (let k = 1; k < states.length; k++) {
    const pre = states[k - 1]!;
    const post = states[k]!;
    const wake = wakeOf(actions[k] ?? '', pre);
    if (wake === null) continue;
    wakes++;
    const deadlines = words(pre, 'driver.timeouts');
    if (deadlines.some((d) => d !== NONE32 && abs(d) === 0n)) {
      // SET_TIMEOUT at time 0 fires a deadline of 0 at once: it cannot be installed.
      const why = 'a deadline at 0 ns cannot be installed through SET_TIMEOUT';
      notCompared[why] = (notCompared[why] ?? 0) + 1;
      wakeList.push({ pd: PD, from: k, to: k, compared: false, why });
      continue;
    }
    /** A fresh driver holding the pre-state's deadlines, with this step run on it. */
    const run = (): WakeRun => {
      const driver = newDriver();
      driver.setTime(0n);
      deadlines.forEach((d, c) => {
        if (d !== NONE32)
          driver.comp.protected!(c, { label: SDDF_TIMER_SET_TIMEOUT, words: [abs(d)] });
      });
      driver.setTime(nowOf(pre));
      driver.api.start();
      const replies: PpcMessage[] = [];
      if (wake.kind === 'irq') driver.comp.notified(IRQ_CH);
      else {
        replies.push(driver.comp.protected!(wake.c, getTime));
        if (wake.kind === 'set')
          replies.push(
            driver.comp.protected!(wake.c, { label: SDDF_TIMER_SET_TIMEOUT, words: [wake.rel] }),
          );
      }
      return { driver, replies };
    };
    wakeList.push({ pd: PD, from: k, to: k, compared: true });
    compared++;
    const diverge = (
      where: string,
      traceV: number | string,
      implV: number | string,
    ): ImplReplayResult => {
      const divergence: ImplDivergence = {
        step: k,
        pd: PD,
        wakeStep: k,
        where,
        trace: traceV,
        impl: implV,
      };
      return { steps: states.length - 1, wakes, compared, notCompared, wakeList, divergence };
    };
    let first: WakeRun;
    try {
      first = run();
    } catch (e) {
      return diverge(
        'the handler',
        'completes',
        `faulted: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const { api } = first.driver;

    // The replies.
    if (wake.kind !== 'irq') {
      const c = wake.c;
      const t = first.replies[0]!.words[0];
      if (first.replies[0]!.label !== TIMER_REPLY_OK || t === undefined)
        return diverge(
          'GET_TIME reply',
          'label 0 with MR0 = now',
          JSON.stringify(first.replies[0]),
        );
      if (timeRead(REGS, api.accesses) === null)
        return diverge('GET_TIME', 'reads TIME_LOW then TIME_HIGH', 'did not read the time');
      if (wake.kind === 'set') {
        const traceOk = words(post, 'client.phase')[c] === 1;
        const implOk = first.replies[1]!.label === TIMER_REPLY_OK;
        if (traceOk !== implOk)
          return diverge(
            `client${c}.phase (SET_TIMEOUT reply)`,
            traceOk ? 'ok' : 'error',
            implOk ? 'ok' : `error ${JSON.stringify(first.replies[1])}`,
          );
        if (traceOk && words(post, 'client.set_at_ns')[c] !== off(t))
          return diverge(
            `client${c}.set_at_ns (GET_TIME reply)`,
            words(post, 'client.set_at_ns')[c]!,
            off(t),
          );
      }
      // The model's monitor: a reply before the last one flags time-monotonic, else is the last.
      if (timeMonotonicProblem(abs(word(pre, 'ghost.last_time_ns')), t) === null) {
        if (word(post, 'ghost.last_time_ns') !== off(t))
          return diverge(
            'ghost.last_time_ns (GET_TIME reply)',
            word(post, 'ghost.last_time_ns'),
            off(t),
          );
      } else if (word(post, 'ghost.violation') !== 1)
        return diverge(
          'ghost.violation (GET_TIME reply)',
          word(post, 'ghost.violation'),
          `1 (time-monotonic: ${t} ns after ${abs(word(pre, 'ghost.last_time_ns'))} ns)`,
        );
    } else if (!api.irqAcks.includes(IRQ_CH)) {
      return diverge('irq_ack', 'acked', 'not acked');
    }

    // The notifications.
    const preBits = words(pre, 'client.notification');
    const postBits = words(post, 'client.notification');
    for (const ch of api.notified)
      if (ch >= clients) return diverge(`notify(${ch})`, 'not notified', 'notified');
    for (let c = 0; c < clients; c++) {
      const traceSet = preBits[c] === 0 && postBits[c] === 1;
      const implSet = api.notified.includes(c);
      if (traceSet && !implSet)
        return diverge(`notify(${c}) → client${c}`, 'notified', 'not notified');
      // A client consumes its own bit in its notified step (the driver notifies nobody there).
      const consumed = wake.kind === 'get' && wake.c === c;
      if (implSet && !traceSet && (postBits[c] === 0 || consumed))
        return diverge(`notify(${c}) → client${c}`, 'not notified', 'notified');
    }

    // The alarm.
    const alarm = programmed(REGS, api.accesses);
    const armed = alarm !== null ? 1 : wake.kind === 'irq' ? 0 : word(pre, 'compare_armed');
    if (armed !== word(post, 'compare_armed'))
      return diverge('compare_armed', word(post, 'compare_armed'), armed);
    if (alarm !== null) {
      const t = nsToTicks(alarm, hz) - tick0;
      const cval = t < 0n ? 0 : t > 0xffffn ? 0xffff : Number(t);
      if (cval !== word(post, 'compare_ticks'))
        return diverge(
          'compare_ticks',
          word(post, 'compare_ticks'),
          `${cval} (alarm at ${alarm} ns)`,
        );
    } else if (word(pre, 'compare_ticks') !== word(post, 'compare_ticks'))
      return diverge('compare_ticks', word(post, 'compare_ticks'), word(pre, 'compare_ticks'));

    // The deadlines, by experiment on copies of the run.
    const notifiedAt = (t: bigint): number[] => {
      const { driver } = run();
      driver.setTime(t);
      driver.api.start();
      driver.comp.notified(IRQ_CH);
      return driver.api.notified;
    };
    const implDeadline = (c: number): string => {
      if (!notifiedAt(U64_MAX - 1n).includes(c)) return 'none';
      let lo = 0n;
      let hi = U64_MAX - 1n;
      while (lo < hi) {
        const mid = (lo + hi) / 2n;
        if (notifiedAt(mid).includes(c)) hi = mid;
        else lo = mid + 1n;
      }
      return `${lo} ns (offset ${off(lo)})`;
    };
    const traceDeadlines = words(post, 'driver.timeouts');
    const pending = notifiedAt(U64_MAX - 1n);
    for (const ch of pending)
      if (ch >= clients) return diverge(`driver.timeouts[${ch}]`, 'none', implDeadline(ch));
    for (let c = 0; c < clients; c++) {
      const d = traceDeadlines[c]!;
      const show = d === NONE32 ? 'none' : `${abs(d)} ns (offset ${d})`;
      if ((d !== NONE32) !== pending.includes(c))
        return diverge(`driver.timeouts[${c}]`, show, implDeadline(c));
      if (d === NONE32) continue;
      const at = abs(d);
      if (notifiedAt(at - 1n).includes(c) || !notifiedAt(at).includes(c))
        return diverge(`driver.timeouts[${c}]`, show, implDeadline(c));
    }
  }
  return { steps: states.length - 1, wakes, compared, notCompared, wakeList };
}
