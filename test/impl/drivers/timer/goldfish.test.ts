// The goldfish timer driver's handlers (impl/drivers/timer/goldfish.ts; contract
// spec/components/timer.ts; upstream au-ts/sddf 650ace5d drivers/timer/goldfish/timer.c; reference
// sddf-protocols.md §1.5, §2.6, §3.13, §5.5), each with its pre- and post-condition, on the
// emulated goldfish RTC (strict) over a virtual clock. The test is every client (a PPC on its
// channel) and the interrupt controller (it delivers the IRQ while the line is up).
import { describe, expect, it } from 'vitest';
import { Counters } from '../../../../impl/components/net/counters.ts';
import {
  TIMER_DRIVER_COUNTERS,
  goldfishTimerDriver,
  type GoldfishTimerDriverParams,
} from '../../../../impl/drivers/timer/goldfish.ts';
import { VirtualClock } from '../../../../impl/hw/clock.ts';
import { DEFAULT_RTC_EPOCH_NS, GoldfishTimer } from '../../../../impl/hw/goldfish_timer.ts';
import type { ComponentConfig, IrqConfig } from '../../../../impl/runtime/config.ts';
import { InvariantError } from '../../../../spec/common/assert.ts';
import {
  SDDF_TIMER_GET_TIME,
  SDDF_TIMER_MAX_CLIENTS,
  SDDF_TIMER_SET_TIMEOUT,
  TIMER_REPLY_ERROR,
  TIMER_REPLY_OK,
  TimerError,
  U64_MAX,
} from '../../../../spec/components/timer.ts';
import { Layout, recordingApi } from '../../components/net/fixture.ts';

const IRQ_CH = 40;

function timerRig(
  o: { params?: Partial<GoldfishTimerDriverParams>; irqs?: IrqConfig[]; epochNs?: bigint } = {},
) {
  const clock = new VirtualClock();
  const rtc = new GoldfishTimer({
    name: 'timer',
    clock,
    epochNs: o.epochNs ?? DEFAULT_RTC_EPOCH_NS,
  });
  const l = new Layout();
  const regs = l.add('timer_regs', 0x1000, { mmio: rtc });
  const { api, rec, flush } = recordingApi('timer', l.space('timer'));
  const config: ComponentConfig = {
    pd: 'timer',
    programImage: 'timer_driver.elf',
    priority: 150,
    passive: true,
    maps: [
      {
        mr: 'timer_regs',
        vaddr: regs.vaddr,
        sizeBytes: regs.sizeBytes,
        ioAddr: 0n,
        perms: { r: true, w: true, x: false },
        cached: false,
      },
    ],
    channels: [],
    irqs: o.irqs ?? [{ id: IRQ_CH, irq: 79, trigger: 'level' }],
  };
  const counterBuf = Counters.buffer(TIMER_DRIVER_COUNTERS.length);
  const make = () =>
    goldfishTimerDriver({
      api,
      config,
      params: { counters: counterBuf, ...o.params },
      restarts: 0,
    });
  const counters = (): Record<string, number> =>
    new Counters(TIMER_DRIVER_COUNTERS, counterBuf).snapshot();
  return { clock, rtc, api, rec, flush, make, counters };
}

function started(o: Parameters<typeof timerRig>[0] = {}) {
  const t = timerRig(o);
  const d = t.make();
  d.init();
  const ppc = (ch: number, label: number, words: bigint[] = []) =>
    d.protected!(ch, { label, words });
  const setTimeout = (ch: number, rel: bigint) => ppc(ch, SDDF_TIMER_SET_TIMEOUT, [rel]);
  const now = () => ppc(0, SDDF_TIMER_GET_TIME).words[0]!;
  /** Advance the clock; deliver the IRQ while the line is up (bounded). */
  const advance = (ns: bigint): void => {
    t.clock.advanceByNs(ns);
    for (let i = 0; i < 4 && t.rtc.poll(); i++) {
      d.notified(IRQ_CH);
      t.flush();
    }
  };
  return { ...t, d, ppc, setTimeout, now, advance };
}

describe('goldfish timer driver: GET_TIME', () => {
  it('returns the RTC’s 64-bit count (TIME_LOW then TIME_HIGH), above 2^32', () => {
    const t = started();
    t.clock.advanceByNs(0x1_2345_6789n);
    expect(t.ppc(2, SDDF_TIMER_GET_TIME)).toEqual({
      label: TIMER_REPLY_OK,
      words: [DEFAULT_RTC_EPOCH_NS + 0x1_2345_6789n],
    });
    expect(t.rtc.errors).toEqual([]);
    expect(t.counters()['getTime']).toBe(1);
  });
});

describe('goldfish timer driver: SET_TIMEOUT and the IRQ', () => {
  it('notifies the client exactly at its deadline, not before; acks the IRQ (deferred)', () => {
    const t = started();
    expect(t.setTimeout(3, 1000n)).toEqual({ label: TIMER_REPLY_OK, words: [] });
    t.advance(999n);
    expect(t.rec.notified).toEqual([]);
    t.advance(1n);
    expect(t.rec.notified).toEqual([3]);
    expect(t.rec.deferredIrqAcks).toEqual([IRQ_CH]);
    expect(t.rtc.irqAsserted()).toBe(false);
    t.advance(10_000n);
    expect(t.rec.notified).toEqual([3]); // once
    expect(t.counters()).toMatchObject({ setTimeout: 1, irqs: 1, notified: 1, errors: 0 });
    expect(t.rtc.errors).toEqual([]);
  });

  it('keeps one deadline per channel, the earliest programmed; channels 0 and 63 both served', () => {
    const t = started();
    t.setTimeout(0, 500n);
    t.setTimeout(SDDF_TIMER_MAX_CLIENTS - 1, 200n);
    t.setTimeout(7, 300n);
    t.setTimeout(7, 900n); // replaces 300
    t.advance(200n);
    expect(t.rec.notified).toEqual([63]);
    t.advance(300n);
    expect(t.rec.notified).toEqual([63, 0]);
    t.advance(399n);
    expect(t.rec.notified).toEqual([63, 0]);
    t.advance(1n);
    expect(t.rec.notified).toEqual([63, 0, 7]);
  });

  it('a timeout of 0 is due at once: the client is notified within the PPC', () => {
    const t = started();
    t.setTimeout(5, 0n);
    expect(t.rec.notified).toEqual([5]);
  });

  it('the latest representable deadline (UINT64_MAX - 1) is accepted; UINT64_MAX and beyond are refused (no wrap to the past)', () => {
    const t = started();
    const now = t.now();
    expect(t.setTimeout(1, U64_MAX - 1n - now)).toEqual({ label: TIMER_REPLY_OK, words: [] });
    for (const rel of [U64_MAX - now, U64_MAX, 1n << 64n, -1n]) {
      expect(t.setTimeout(2, rel)).toEqual({
        label: TIMER_REPLY_ERROR,
        words: [BigInt(TimerError.OUT_OF_RANGE)],
      });
    }
    t.advance(1_000_000n);
    expect(t.rec.notified).toEqual([]); // nothing fired early
  });

  it('the seeded upstream wrap (curr_time + offset on u64) fires at once: the test can tell', () => {
    const t = started({ params: { bug: 'wrap' } });
    t.setTimeout(2, U64_MAX);
    expect(t.rec.notified).toEqual([2]);
  });
});

describe('goldfish timer driver: bad calls get an error reply and change nothing', () => {
  it.each([
    [
      'a channel ≥ 64',
      SDDF_TIMER_MAX_CLIENTS,
      SDDF_TIMER_SET_TIMEOUT,
      [10n],
      TimerError.OUT_OF_RANGE,
    ],
    ['a negative channel', -1, SDDF_TIMER_SET_TIMEOUT, [10n], TimerError.OUT_OF_RANGE],
    ['no timeout argument', 4, SDDF_TIMER_SET_TIMEOUT, [], TimerError.MISSING_ARGUMENT],
    ['an unknown label', 4, 9, [10n], TimerError.UNKNOWN_LABEL],
  ] as const)('%s', (_what, ch, label, words, code) => {
    const t = started();
    t.setTimeout(0, 1000n);
    const programmed = t.counters()['programmed'];
    expect(t.ppc(ch, label, [...words])).toEqual({
      label: TIMER_REPLY_ERROR,
      words: [BigInt(code)],
    });
    expect(t.counters()).toMatchObject({ errors: 1, setTimeout: 1, programmed });
    t.advance(10n);
    expect(t.rec.notified).toEqual([]);
    t.advance(990n);
    expect(t.rec.notified).toEqual([0]); // the earlier timeout is untouched
  });
});

describe('goldfish timer driver: notifications and configuration', () => {
  it('a notification on another channel is counted, touches no register and acks nothing', () => {
    const t = started();
    t.setTimeout(0, 10n);
    t.clock.advanceByNs(10n);
    t.d.notified(IRQ_CH + 1);
    t.flush();
    expect(t.counters()).toMatchObject({ strayNotifications: 1, irqs: 0 });
    expect(t.rec).toMatchObject({ notified: [], deferredIrqAcks: [] });
    expect(t.rtc.irqAsserted()).toBe(true); // still pending for the real IRQ
  });

  it('a PD with no IRQ, or two, is a configuration bug: InvariantError', () => {
    for (const irqs of [
      [],
      [
        { id: 1, irq: 79, trigger: 'level' as const },
        { id: 2, irq: 80, trigger: 'level' as const },
      ],
    ]) {
      const t = timerRig({ irqs });
      expect(() => t.make()).toThrow(InvariantError);
    }
  });

  it('a restarted driver has no timeouts (private state)', () => {
    const t = started();
    t.setTimeout(0, 100n);
    const d2 = t.make();
    d2.init();
    t.clock.advanceByNs(100n);
    if (t.rtc.poll()) d2.notified(IRQ_CH);
    t.flush();
    expect(t.rec.notified).toEqual([]);
  });
});
