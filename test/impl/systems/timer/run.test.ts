import { describe, expect, it } from 'vitest';
import { TIMER_REPLY_ERROR, TimerError, U64_MAX } from '../../../../spec/components/timer.ts';
import type { Component, ComponentContext } from '../../../../impl/runtime/api.ts';
import { channelTo } from '../../../../impl/runtime/config.ts';
import { runTimerSystem } from '../../../../impl/systems/timer/run.ts';
import { SHARED_SDF_FIXTURES, itShared } from '../../../helpers/shared.ts';
import { join } from 'node:path';

const FIXTURE = join(SHARED_SDF_FIXTURES, 'sddf_timer_qemu_virt_aarch64.system');

describe('sddf run timer', () => {
  it('every client gets every timeout, never early, time monotonic (both schedules)', () => {
    for (const schedule of ['priority', 'random'] as const) {
      const { result } = runTimerSystem({ seed: 3, rounds: 8, schedule });
      expect(result?.violations).toEqual([]);
      expect(result?.ok).toBe(true);
      expect(result?.clients.map((c) => c.fired)).toEqual([8, 8, 8]);
      expect(result?.clients.every((c) => c.minSlackNs >= 0)).toBe(true);
      expect(result?.device.errors).toBe(0);
    }
  });

  it('catches a driver that computes the deadline as upstream does (u64 wrap: early)', () => {
    const huge = Number(U64_MAX - (1n << 60n)); // past u64 from the RTC epoch (1.7e18)
    const bad = runTimerSystem({
      seed: 1,
      rounds: 2,
      driver: { bug: 'wrap' },
      rebind: (pd, b) => (pd === 'client0' ? { ...b, params: { ...b.params, periodNs: huge } } : b),
    });
    expect(bad.result?.ok).toBe(false);
    expect(bad.result?.violations.join('\n')).toMatch(/fired early/);
    // The fixed driver refuses it: an error reply, no early fire, nothing else disturbed.
    const good = runTimerSystem({
      seed: 1,
      rounds: 2,
      rebind: (pd, b) => (pd === 'client0' ? { ...b, params: { ...b.params, periodNs: huge } } : b),
    });
    expect(good.result?.invariantViolations).toBe(0);
    expect(good.result?.clients[0]).toMatchObject({ fired: 0, errorReplies: 1 });
    expect(good.result?.clients.slice(1).map((c) => c.fired)).toEqual([2, 2]);
  });

  it('bad requests get an error reply; nothing crashes', () => {
    const replies: { label: number; words: readonly bigint[] }[] = [];
    const hostile = (ctx: ComponentContext): Component => ({
      init(): void {
        const ch = channelTo(ctx.config, 'timer').id;
        replies.push(ctx.api.ppcall(ch, { label: 99, words: [] }));
        replies.push(ctx.api.ppcall(ch, { label: 1, words: [] }));
        replies.push(ctx.api.ppcall(ch, { label: 1, words: [U64_MAX] }));
      },
      notified(): void {},
    });
    const r = runTimerSystem({
      seed: 1,
      rounds: 3,
      rebind: (pd, b) => (pd === 'client2' ? { ...b, factory: hostile } : b),
    });
    expect(replies.map((m) => [m.label, Number(m.words[0])])).toEqual([
      [TIMER_REPLY_ERROR, TimerError.UNKNOWN_LABEL],
      [TIMER_REPLY_ERROR, TimerError.MISSING_ARGUMENT],
      [TIMER_REPLY_ERROR, TimerError.OUT_OF_RANGE],
    ]);
    expect(r.result?.faults.unexpected).toEqual([]);
    expect(r.result?.clients.slice(0, 2).map((c) => c.fired)).toEqual([3, 3]);
    expect(r.result?.driver['errors']).toBe(3);
  });

  itShared('the upstream fixture cannot run: it says why (ARM generic timer, no registers)', () => {
    const r = runTimerSystem({ system: FIXTURE, seed: 1 });
    expect(r.result).toBeUndefined();
    expect(r.errors[0]?.code).toBe('RUN_TIMER_DEVICE');
    expect(r.errors[0]?.message).toMatch(/ARM generic timer/);
    expect(r.errors[0]?.line).toBe(10);
  });
});
