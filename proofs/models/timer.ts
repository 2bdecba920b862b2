// `timer`: the sDDF timer protocol by PPC (reference sddf-protocols.md §2.6, §3.13; issue #13
// part 5). Clients ppcall the passive driver — GET_TIME, then SET_TIMEOUT with a relative timeout
// chosen by the search — and wait for its notification; the hardware is an ARM-generic-timer-like
// counter and compare (ticks at `freqHz`) that the driver converts with spec/components/timer.ts's
// conversions. The driver's steps are the spec's (`timerProtected`, `timerIrq`). A ppcall runs to
// completion on the caller's scheduling context (§1.5): a client's step holds its whole handler,
// both PPCs included; time moves only by the `tick` step, bounded by `ticks`.
//
// Properties: GET_TIME never goes back (time-monotonic); a timeout never fires before now + its
// relative time (timeout-not-early); no notification arrives with no timeout pending (one timeout
// per client: a replaced one never fires); and at the end of time no due timeout is undelivered.
// F37 (au-ts/sddf 73e715aa): the u64-wrapping conversions, with the counter started just below
// the tick where ticks · 10^9 passes 2^64 (`nearWrap`).
import type { ItfValue, State, TransitionSystem } from '../../spec/common/transition.ts';
import {
  SDDF_TIMER_GET_TIME,
  SDDF_TIMER_SET_TIMEOUT,
  TIMEOUT_NONE,
  TIMER_REPLY_OK,
  conversions,
  timeMonotonicProblem,
  timeoutEarlyProblem,
  timerInitial,
  timerIrq,
  timerProtected,
  type TimerDriverState,
} from '../../spec/components/timer.ts';
import { boundOf, effectiveBounds, validateBounds } from './common.ts';
import { Layout } from './layout.ts';
import type { BugVariant, ModelEntry, ModelOptions } from './types.ts';

/** The ARM generic timer's frequency on QEMU virt (CNTFRQ_EL0 = 62.5 MHz): 16 ns a tick. */
export const TIMER_MODEL_FREQ_HZ = 62_500_000n;
/** The last tick whose product with 10^9 fits a u64: ⌊2^64 / 10^9⌋. */
const WRAP_TICK = (1n << 64n) / 1_000_000_000n;

/** The counter's value at the model's tick 0 (bound `nearWrap`): two ticks below WRAP_TICK, or 0. */
export function timerTick0(nearWrap: number): bigint {
  return nearWrap === 1 ? WRAP_TICK - 2n : 0n;
}
const NONE32 = 0xffff_ffff;

export const timerBugs: readonly BugVariant[] = [
  {
    id: 'F37',
    description:
      'arm timer driver before 73e715aa: `ncycles * NS_IN_S / hz` and `ns * hz / NS_IN_S` on uint64_t wrap, so GET_TIME jumps back once the counter passes 2^64 / 10^9 ticks (~295 s at 62.5 MHz)',
    expectedProperty: 'time-monotonic',
    bounds: { nearWrap: 1 },
    upstream: [
      {
        commit: '73e715aa',
        file: 'drivers/timer/arm/timer.c',
        before:
          '100, 105 (freq_cycles_and_hz_to_ns: `(ncycles * NS_IN_S) / hz`; freq_ns_and_hz_to_cycles: `(ns * hz) / NS_IN_S`)',
        after:
          '103-118 (128-bit products and udiv128by64to64); at HEAD 650ace5d include/sddf/timer/timer_common.h period_transform',
      },
    ],
    modelled:
      'both conversions (spec/components/timer.ts ticksToNsF37, nsToTicksF37), a counter started two ticks before the wrap',
    notModelled:
      'the ARM timer registers beyond the counter and the compare (CNTP_CTL is always enabled)',
  },
];

export const timerEntry: ModelEntry = {
  name: 'timer',
  description:
    'the timer protocol by PPC: GET_TIME, SET_TIMEOUT, one deadline per client, the IRQ path',
  defaultBounds: { clients: 2, rounds: 2, ticks: 5, maxRelTicks: 2, nearWrap: 0 },
  boundRanges: {
    clients: { min: 1, max: 3, doc: 'clients with a channel to the timer driver' },
    rounds: { min: 1, max: 3, doc: 'timeouts each client sets and waits for' },
    ticks: { min: 1, max: 12, doc: 'ticks of the counter the search explores (the end of time)' },
    maxRelTicks: {
      min: 0,
      max: 3,
      doc: 'relative timeouts chosen: 0 and k·24 ns for k = 1..maxRelTicks (1.5 ticks each: deadlines between ticks)',
    },
    nearWrap: {
      min: 0,
      max: 1,
      doc: '1 = the counter starts two ticks below ⌊2^64/10^9⌋ (where F37 wraps); 0 = at 0',
    },
  },
  memoryModels: ['sc'],
  bugs: timerBugs,
  build: (opts) => buildTimer(opts),
};

/**
 * Seeded bugs for the model's own tests (no upstream bug): every property must be able to fail.
 * `early`: the IRQ path reads the clock a tick ahead; `spurious`: a notified deadline is not
 * cleared; `lost`: the compare is never programmed.
 */
export type TimerSeeded = 'early' | 'spurious' | 'lost';

export function buildTimer(opts: ModelOptions, seeded?: TimerSeeded): TransitionSystem {
  const extra = timerBugs.find((v) => v.id === opts.bug)?.bounds ?? {};
  const bounds = effectiveBounds(opts.bounds, timerEntry.defaultBounds, extra);
  validateBounds(timerEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, timerEntry.defaultBounds, k);
  const clients = b('clients');
  const rounds = b('rounds');
  const maxTicks = b('ticks');
  const rels = [0n, ...Array.from({ length: b('maxRelTicks') }, (_, k) => 24n * BigInt(k + 1))];
  const conv = conversions(opts.bug === 'F37' ? 'F37' : 'fixed');
  const hz = TIMER_MODEL_FREQ_HZ;
  const tick0 = timerTick0(b('nearWrap'));
  // Every time the model stores is an offset from what the fixed conversion gives at tick 0.
  const ns0 = conversions('fixed').ticksToNs(tick0, hz);

  const L = new Layout();
  const TICK = L.alloc('ticks');
  const ARMED = L.alloc('compare_armed');
  const CVAL = L.alloc('compare_ticks');
  const DEADLINE = L.alloc('driver.timeouts', clients);
  const PHASE = L.alloc('client.phase', clients); // 0 wants to set, 1 waiting, 2 done
  const ROUND = L.alloc('client.round', clients);
  const SET_AT = L.alloc('client.set_at_ns', clients);
  const REL = L.alloc('client.relative_ns', clients);
  const BIT = L.alloc('client.notification', clients);
  const LAST = L.alloc('ghost.last_time_ns');
  const BAD = L.alloc('ghost.violation'); // 0 none, 1 back, 2 early, 3 spurious
  const BAD_CLIENT = L.alloc('ghost.violation_client');
  const words = L.words;

  const off = (ns: bigint): number => Number((ns - ns0) & 0xffff_ffffn);
  const nowNs = (s: State): bigint => conv.ticksToNs(tick0 + BigInt(s[TICK]!), hz);
  const driverState = (s: State): TimerDriverState => {
    const t = timerInitial();
    const timeouts = [...t.timeouts];
    for (let c = 0; c < clients; c++)
      timeouts[c] = s[DEADLINE + c] === NONE32 ? TIMEOUT_NONE : ns0 + BigInt(s[DEADLINE + c]!);
    return { timeouts };
  };
  const storeDriver = (s: State, d: TimerDriverState): void => {
    for (let c = 0; c < clients; c++) {
      const t = d.timeouts[c]!;
      s[DEADLINE + c] = t === TIMEOUT_NONE ? NONE32 : off(t);
    }
  };
  /** set_timeout(next): the compare in ticks (ns_to_ticks), relative to tick 0 (clamped at 0). */
  const program = (s: State, next: bigint | null): void => {
    if (next === null || seeded === 'lost') return; // upstream leaves the compare as it is
    const t = conv.nsToTicks(next, hz) - tick0;
    s[CVAL] = t < 0n ? 0 : t > 0xffffn ? 0xffff : Number(t);
    s[ARMED] = 1;
  };
  const flag = (s: State, kind: number, c: number): void => {
    if (s[BAD] === 0) {
      s[BAD] = kind;
      s[BAD_CLIENT] = c;
    }
  };
  /** A GET_TIME the client makes: the monitor's monotonic check. */
  const getTime = (s: State, c: number): bigint => {
    const d = driverState(s);
    const r = timerProtected(d, { ch: c, label: SDDF_TIMER_GET_TIME, words: [], nowNs: nowNs(s) });
    const t = r.reply.words[0]!;
    const last = ns0 + BigInt(s[LAST]!);
    if (timeMonotonicProblem(last, t) !== null) flag(s, 1, c);
    else s[LAST] = off(t);
    return t;
  };

  const actions = [
    { name: 'counter.tick', pd: 'timer_hw', touches: 'CNTPCT' },
    { name: 'timer.notified(irq)', pd: 'timer', touches: 'CNTP_CVAL' },
  ];
  const setAction: number[][] = [];
  const notifiedAction: number[] = [];
  for (let c = 0; c < clients; c++) {
    setAction.push(
      rels.map((r) => {
        actions.push({
          name: `client${c}.set_timeout(${r} ns)`,
          pd: `client${c}`,
          touches: 'ppcall timer',
        });
        return actions.length - 1;
      }),
    );
    actions.push({ name: `client${c}.notified(timer)`, pd: `client${c}`, touches: 'ppcall timer' });
    notifiedAction.push(actions.length - 1);
  }

  const next = new Uint32Array(words);
  const ts: TransitionSystem = {
    name: 'timer',
    stateWords: words,
    actions,
    initialStates() {
      const s = new Uint32Array(words);
      for (let c = 0; c < clients; c++) s[DEADLINE + c] = NONE32;
      s[LAST] = 0;
      return [s];
    },
    successors(s, emit) {
      if (s[BAD] !== 0) return;
      if (s[TICK]! < maxTicks) {
        next.set(s);
        next[TICK] = s[TICK]! + 1;
        emit(0, next);
      }
      if (s[ARMED] === 1 && s[TICK]! >= s[CVAL]!) {
        next.set(s);
        next[ARMED] = 0; // the driver disarms (CVAL = UINT64_MAX) and acks
        const r = timerIrq(driverState(next), nowNs(next) + (seeded === 'early' ? 16n : 0n));
        if (seeded !== 'spurious') storeDriver(next, r.state);
        for (const c of r.effects.notified) next[BIT + c] = 1;
        program(next, r.effects.programmed);
        emit(1, next);
      }
      for (let c = 0; c < clients; c++) {
        if (s[PHASE + c] === 0 && s[BIT + c] === 0) {
          rels.forEach((rel, k) => {
            next.set(s);
            const t = getTime(next, c);
            const r = timerProtected(driverState(next), {
              ch: c,
              label: SDDF_TIMER_SET_TIMEOUT,
              words: [rel],
              nowNs: nowNs(next),
            });
            if (r.reply.label === TIMER_REPLY_OK) {
              storeDriver(next, r.state);
              for (const n of r.effects.notified) next[BIT + n] = 1;
              program(next, r.effects.programmed);
              next[PHASE + c] = 1;
              next[SET_AT + c] = off(t);
              next[REL + c] = Number(rel);
            }
            emit(setAction[c]![k]!, next);
          });
        }
        if (s[BIT + c] === 1) {
          next.set(s);
          next[BIT + c] = 0;
          if (next[PHASE + c] !== 1) flag(next, 3, c);
          else {
            const t = getTime(next, c);
            const early = timeoutEarlyProblem({
              setAtNs: ns0 + BigInt(next[SET_AT + c]!),
              relativeNs: BigInt(next[REL + c]!),
              firedAtNs: t,
            });
            if (early !== null && next[BAD] === 0) flag(next, 2, c);
            const round = next[ROUND + c]! + 1;
            next[ROUND + c] = round;
            next[PHASE + c] = round < rounds ? 0 : 2;
          }
          emit(notifiedAction[c]!, next);
        }
      }
    },
    invariants: [
      {
        name: 'time-monotonic',
        check: (s) =>
          s[BAD] === 1
            ? `client${s[BAD_CLIENT]}: GET_TIME returned a time before one already returned (time went backwards)`
            : null,
      },
      {
        name: 'timeout-not-early',
        check: (s) =>
          s[BAD] === 2
            ? `client${s[BAD_CLIENT]}: its timeout fired before now + the relative time`
            : null,
      },
      {
        name: 'no-spurious-notification',
        check: (s) =>
          s[BAD] === 3
            ? `client${s[BAD_CLIENT]}: notified by the timer with no timeout pending`
            : null,
      },
    ],
    quiescentViolation(s) {
      // The end of time: a timeout due by now must have been delivered.
      const now = nowNs(s);
      for (let c = 0; c < clients; c++) {
        if (s[PHASE + c] !== 1) continue;
        const due = ns0 + BigInt(s[SET_AT + c]!) + BigInt(s[REL + c]!);
        if (due <= now && s[BIT + c] === 0)
          return `client${c}: its timeout was due at ${due} ns, now is ${now} ns, and no notification came`;
      }
      return null;
    },
    toItf: (s): Record<string, ItfValue> => L.toItf(s),
  };
  return ts;
}
