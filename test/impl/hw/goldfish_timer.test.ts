import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../impl/hw/clock.ts';
import { GoldfishReg, GoldfishTimer } from '../../../impl/hw/goldfish_timer.ts';

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
