import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../impl/hw/clock.ts';
import {
  DEFAULT_RTC_EPOCH_NS,
  GoldfishReg,
  GoldfishRule,
  GoldfishTimer,
} from '../../../impl/hw/goldfish_timer.ts';

/** A timer whose RTC equals the virtual clock (epoch 0), so tests can name absolute times. */
function timer(startNs = 0n): { t: GoldfishTimer; clock: VirtualClock } {
  const clock = new VirtualClock(startNs);
  return { t: new GoldfishTimer({ name: 'timer', clock, epochNs: 0n }), clock };
}

function arm(t: GoldfishTimer, atNs: bigint): void {
  t.write32(GoldfishReg.ALARM_HIGH, Number(atNs >> 32n));
  t.write32(GoldfishReg.ALARM_LOW, Number(atNs & 0xffff_ffffn));
}

describe('goldfish timer', () => {
  it('TIME_LOW latches the high word for TIME_HIGH', () => {
    const { t, clock } = timer(0x1_2345_6789n);
    expect(t.read32(GoldfishReg.TIME_LOW)).toBe(0x2345_6789);
    clock.advanceByNs(0x1_0000_0000n);
    expect(t.read32(GoldfishReg.TIME_HIGH)).toBe(1); // latched, not 2
    t.read32(GoldfishReg.TIME_LOW);
    expect(t.read32(GoldfishReg.TIME_HIGH)).toBe(2);
  });

  it('an alarm fires when the clock reaches it; the IRQ is level until CLEAR_INTERRUPT', () => {
    const { t, clock } = timer(1000n);
    t.write32(GoldfishReg.IRQ_ENABLED, 1);
    arm(t, 5000n);
    expect(t.read32(GoldfishReg.ALARM_STATUS)).toBe(1);
    clock.advanceToNs(4999n);
    expect(t.irqAsserted()).toBe(false);
    clock.advanceToNs(5000n);
    expect(t.irqAsserted()).toBe(true);
    expect(t.read32(GoldfishReg.ALARM_STATUS)).toBe(0);
    expect(t.irqAsserted()).toBe(true);
    t.write32(GoldfishReg.CLEAR_INTERRUPT, 1);
    expect(t.irqAsserted()).toBe(false);
    expect(t.firedCount).toBe(1);
  });

  it('an alarm at or before now fires immediately', () => {
    const { t } = timer(10_000n);
    t.write32(GoldfishReg.IRQ_ENABLED, 1);
    arm(t, 10_000n);
    expect(t.irqAsserted()).toBe(true);
    t.write32(GoldfishReg.CLEAR_INTERRUPT, 1);
    arm(t, 3n);
    expect(t.irqAsserted()).toBe(true);
  });

  it('alarm times use the full 64 bits (ALARM_HIGH)', () => {
    const { t, clock } = timer(0n);
    t.write32(GoldfishReg.IRQ_ENABLED, 1);
    arm(t, 0x2_0000_0010n);
    clock.advanceToNs(0x10n);
    expect(t.irqAsserted()).toBe(false); // would fire if ALARM_HIGH were ignored
    expect(t.nextDeadlineNs()).toBe(0x2_0000_0010n);
    clock.advanceToNs(0x2_0000_0010n);
    expect(t.irqAsserted()).toBe(true);
  });

  it('CLEAR_ALARM disarms; IRQ_ENABLED masks the line but not the pending state', () => {
    const { t, clock } = timer();
    arm(t, 100n);
    t.write32(GoldfishReg.CLEAR_ALARM, 1);
    clock.advanceToNs(200n);
    expect(t.firedCount).toBe(0);
    arm(t, 300n);
    clock.advanceToNs(300n);
    expect(t.irqAsserted()).toBe(false); // IRQ not enabled
    t.write32(GoldfishReg.IRQ_ENABLED, 1);
    expect(t.irqAsserted()).toBe(true);
  });

  it('a stalled timer does not fire until released', () => {
    const { t, clock } = timer();
    t.write32(GoldfishReg.IRQ_ENABLED, 1);
    arm(t, 50n);
    t.stall();
    clock.advanceToNs(60n);
    expect(t.irqAsserted()).toBe(false);
    t.release();
    expect(t.irqAsserted()).toBe(true);
  });
});

describe('VirtualClock', () => {
  it('never runs backwards', () => {
    const c = new VirtualClock(5n);
    c.advanceByNs(5n);
    expect(c.nowNs()).toBe(10n);
    expect(() => c.advanceToNs(9n)).toThrow(/backwards/);
    expect(() => c.advanceByNs(-1n)).toThrow(/backwards/);
  });
});

describe('goldfish timer IRQ line', () => {
  it('reports level changes to onIrqLevel when polled after the clock moves', () => {
    const clock = new VirtualClock();
    const levels: boolean[] = [];
    const t = new GoldfishTimer({
      name: 't',
      clock,
      epochNs: 0n,
      onIrqLevel: (l) => levels.push(l),
    });
    t.write32(GoldfishReg.IRQ_ENABLED, 1);
    t.write32(GoldfishReg.ALARM_HIGH, 0);
    t.write32(GoldfishReg.ALARM_LOW, 100);
    clock.advanceToNs(100n);
    expect(levels).toEqual([]); // time is lazy until someone looks
    expect(t.poll()).toBe(true);
    t.write32(GoldfishReg.CLEAR_INTERRUPT, 1);
    expect(levels).toEqual([true, false]);
  });
});

describe('goldfish timer registers', () => {
  it('reads back ALARM_HIGH and IRQ_ENABLED; other offsets read 0', () => {
    const { t } = timer();
    t.write32(GoldfishReg.ALARM_HIGH, 7);
    t.write32(GoldfishReg.IRQ_ENABLED, 1);
    expect([t.read32(GoldfishReg.ALARM_HIGH), t.read32(GoldfishReg.IRQ_ENABLED)]).toEqual([7, 1]);
    t.write32(GoldfishReg.IRQ_ENABLED, 0);
    expect(t.read32(GoldfishReg.IRQ_ENABLED)).toBe(0);
    expect(t.read32(0x20)).toBe(0);
  });
});

describe('goldfish timer edges', () => {
  it('CLEAR_ALARM really disarms: polling past the old deadline fires nothing', () => {
    const { t, clock } = timer();
    arm(t, 100n);
    expect(t.alarmArmed).toBe(true);
    t.write32(GoldfishReg.CLEAR_ALARM, 1);
    expect(t.alarmArmed).toBe(false);
    clock.advanceToNs(200n);
    t.poll();
    expect(t.firedCount).toBe(0);
    expect(t.stalled).toBe(false);
  });
});

describe('goldfish RTC parity (issue #14 part 5)', () => {
  it('counts from a realistic epoch above 2^32 ns, so TIME_HIGH is never 0', () => {
    const clock = new VirtualClock();
    const t = new GoldfishTimer({ name: 't', clock });
    expect(DEFAULT_RTC_EPOCH_NS).toBeGreaterThan(1n << 32n);
    const lo = t.read32(GoldfishReg.TIME_LOW);
    const hi = t.read32(GoldfishReg.TIME_HIGH);
    expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(DEFAULT_RTC_EPOCH_NS);
    expect(hi).toBeGreaterThan(0);
    expect(t.nowNs()).toBe(DEFAULT_RTC_EPOCH_NS);
    clock.advanceByNs(5n);
    expect(t.nowNs()).toBe(DEFAULT_RTC_EPOCH_NS + 5n);
    expect(t.errorCount).toBe(0);
  });

  it('a driver that reads TIME_HIGH before TIME_LOW gets the latched word and a recorded driver error', () => {
    const clock = new VirtualClock();
    const t = new GoldfishTimer({ name: 't', clock, epochNs: 0xffff_fff0n });
    expect(t.read32(GoldfishReg.TIME_HIGH)).toBe(0); // nothing latched yet: wrong by 2^32
    t.read32(GoldfishReg.TIME_LOW);
    clock.advanceByNs(0x20n); // the low word wraps
    expect(t.read32(GoldfishReg.TIME_HIGH)).toBe(0); // latched at the TIME_LOW read
    expect(t.read32(GoldfishReg.TIME_HIGH)).toBe(0); // again without TIME_LOW: error again
    expect(t.errorCodes()).toEqual(['time-high-before-low', 'time-high-before-low']);
  });

  it('ALARM_LOW and ALARM_HIGH read back the armed value (QEMU alarm_next)', () => {
    const { t } = timer(100n);
    t.write32(GoldfishReg.ALARM_HIGH, 3);
    t.write32(GoldfishReg.ALARM_LOW, 0x1234);
    expect([t.read32(GoldfishReg.ALARM_LOW), t.read32(GoldfishReg.ALARM_HIGH)]).toEqual([
      0x1234, 3,
    ]);
    expect(t.nextDeadlineNs()).toBe(0x3_0000_1234n);
    t.write32(GoldfishReg.CLEAR_ALARM, 1);
    expect(t.read32(GoldfishReg.ALARM_LOW)).toBe(0x1234); // still the last value, not running
    expect(t.nextDeadlineNs()).toBeNull();
  });

  it('the scheduler deadline is in clock time when the RTC runs from an epoch', () => {
    const clock = new VirtualClock(1000n);
    const t = new GoldfishTimer({ name: 't', clock, epochNs: 1n << 40n });
    const fireAt = t.nowNs() + 500n;
    t.write32(GoldfishReg.IRQ_ENABLED, 1);
    t.write32(GoldfishReg.ALARM_HIGH, Number(fireAt >> 32n));
    t.write32(GoldfishReg.ALARM_LOW, Number(fireAt & 0xffff_ffffn));
    expect(t.nextDeadlineNs()).toBe(1500n);
    clock.advanceToNs(1499n);
    expect(t.poll()).toBe(false);
    clock.advanceToNs(1500n);
    expect(t.poll()).toBe(true);
  });

  it('TIME_LOW and TIME_HIGH writes set the RTC (QEMU moves its tick offset)', () => {
    const clock = new VirtualClock(10n);
    const t = new GoldfishTimer({ name: 't', clock, epochNs: 0n });
    t.write32(GoldfishReg.TIME_HIGH, 2);
    t.write32(GoldfishReg.TIME_LOW, 7);
    expect(t.nowNs()).toBe(0x2_0000_0007n);
    clock.advanceByNs(3n);
    expect(t.nowNs()).toBe(0x2_0000_000an);
  });

  it('registers are 32-bit only: another width is refused on the bus (QEMU .valid) and recorded', () => {
    const { t } = timer();
    expect(t.read16(GoldfishReg.TIME_LOW)).toMatchObject({ kind: 'bus-error' });
    expect(t.write8(GoldfishReg.IRQ_ENABLED, 1)).toMatchObject({ kind: 'bus-error' });
    expect(t.read64(GoldfishReg.TIME_LOW)).toMatchObject({ kind: 'bus-error' });
    expect(t.read32(GoldfishReg.IRQ_ENABLED)).toBe(0);
    expect(t.errorCodes()).toEqual(['wrong-width', 'wrong-width', 'wrong-width']);
  });

  it('reserved offsets and write-only registers read 0, recorded; read-only ones ignore writes', () => {
    const { t } = timer();
    expect(t.read32(0x20)).toBe(0);
    expect(t.read32(GoldfishReg.CLEAR_INTERRUPT)).toBe(0);
    t.write32(GoldfishReg.ALARM_STATUS, 1);
    expect(t.read32(GoldfishReg.ALARM_STATUS)).toBe(0);
    expect(t.read16(0x20)).toMatchObject({ kind: 'bus-error' });
    expect(t.errorCodes()).toEqual(['hole', 'read-of-write-only', 'write-to-read-only', 'hole']);
  });

  it('with strict off, nothing is recorded and the answers are the same', () => {
    const t = new GoldfishTimer({ name: 't', clock: new VirtualClock(), strict: false });
    t.read32(GoldfishReg.TIME_HIGH);
    expect(t.read16(0)).toMatchObject({ kind: 'bus-error' });
    expect(t.errorCount).toBe(0);
  });

  it('each misuse names its rule: widths under .valid, holes and directions under the map', () => {
    const { t } = timer();
    t.read16(GoldfishReg.TIME_LOW);
    t.read16(0x20);
    t.read32(0x20);
    t.write32(GoldfishReg.ALARM_STATUS, 1);
    expect(t.errors.map((e) => e.rule)).toEqual([
      GoldfishRule.width,
      GoldfishRule.width,
      GoldfishRule.registers,
      GoldfishRule.registers,
    ]);
  });

  it('a register access is itself a poll: ALARM_STATUS reads 0 once the clock has passed the alarm', () => {
    const { t, clock } = timer();
    arm(t, 100n);
    clock.advanceToNs(100n);
    expect(t.read32(GoldfishReg.ALARM_STATUS)).toBe(0);
    expect(t.firedCount).toBe(1);
  });

  it('an overdue alarm a stalled timer has not fired is due now, never in the past', () => {
    const { t, clock } = timer(50n);
    t.stall();
    arm(t, 10n);
    clock.advanceToNs(80n);
    expect(t.nextDeadlineNs()).toBe(80n);
    t.release();
    expect(t.nextDeadlineNs()).toBeNull();
  });

  it('an epoch outside u64 is refused', () => {
    expect(
      () => new GoldfishTimer({ name: 't', clock: new VirtualClock(), epochNs: 1n << 64n }),
    ).toThrow(/u64/);
    expect(() => new GoldfishTimer({ name: 't', clock: new VirtualClock(), epochNs: -1n })).toThrow(
      /u64/,
    );
  });
});
