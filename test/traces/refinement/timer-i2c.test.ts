import { describe, expect, it } from 'vitest';
import { I2C_BUS_CLAIM } from '../../../spec/components/i2c/virt.ts';
import { I2cFlag, i2cHeaderPayload } from '../../../spec/queue/i2c.ts';
import type { I2cClientConfig } from '../../../impl/components/i2c/config.ts';
import { openReq } from '../../../impl/components/i2c/virt.ts';
import type { Component, ComponentContext } from '../../../impl/runtime/api.ts';
import { runI2cSystem } from '../../../impl/systems/i2c/run.ts';
import { runTimerSystem } from '../../../impl/systems/timer/run.ts';
import { I2cRefinement } from '../../../traces/refinement/i2c/checker.ts';
import { TimerRefinement } from '../../../traces/refinement/timer/checker.ts';
import {
  randomizedI2cRefinement,
  randomizedTimerRefinement,
} from '../../../traces/refinement/timer/randomized.ts';

/** A client that claims 0x68 and sends one read whose buffer runs 4 bytes past its region. */
function pastRegion(ctx: ComponentContext): Component {
  const cfg = (ctx.params as { config: I2cClientConfig }).config;
  return {
    init(): void {
      ctx.api.ppcall(cfg.virtCh, { label: I2C_BUS_CLAIM, words: [0x68n] });
      const q = openReq(ctx.api, cfg.reqVaddr);
      q.enqueue({ payload: i2cHeaderPayload(1, 0x68), dataLen: 0, flagMask: I2cFlag.HEAD });
      q.enqueue({
        payload: BigInt(cfg.dataVaddr + cfg.dataSizeBytes - 4),
        dataLen: 8,
        flagMask: I2cFlag.READ | I2cFlag.STOP,
      });
      q.commit();
      ctx.api.notify(cfg.virtCh);
    },
    notified(): void {},
  };
}

describe('timer driver refines spec/components/timer.ts', () => {
  it('every handler of a run is the spec step (online check)', () => {
    const check = new TimerRefinement();
    const { result } = runTimerSystem({
      seed: 4,
      rounds: 5,
      wrapComponent: (pd, b) => check.wrap(pd, b, 'timer'),
    });
    expect(result?.ok).toBe(true);
    const r = check.report();
    expect(r.checked).toBeGreaterThan(50);
    expect(r.violations).toBe(0);
  });

  it('randomized under faults: no violation; a driver that wraps the deadline is caught', () => {
    const ok = randomizedTimerRefinement({ runs: 8, seed: 1 });
    expect(ok.failures).toEqual([]);
    expect(ok.checked).toBeGreaterThan(200);
    const bad = randomizedTimerRefinement({ runs: 2, seed: 2, driverBug: 'wrap' });
    expect(bad.violations).toBeGreaterThan(0);
    expect(bad.failures[0]?.first?.differences.map((d) => d.where)).toContain('reply');
  });
});

describe('i2c virt refines spec/components/i2c/virt.ts', () => {
  it('every handler of a run is the spec step (online check)', () => {
    const check = new I2cRefinement();
    const { result } = runI2cSystem({
      seed: 1,
      rounds: 3,
      wrapComponent: (pd, b) => check.wrap(pd, b, 'virt'),
    });
    expect(result?.ok).toBe(true);
    expect(check.report()).toMatchObject({ violations: 0 });
    expect(check.report().checked).toBeGreaterThanOrEqual(20);
  });

  it('the deferral path refines too (two clients overfill the driver queue, three times each)', () => {
    const bulk =
      (address: number, n: number) =>
      (ctx: ComponentContext): Component => {
        const cfg = (ctx.params as { config: I2cClientConfig }).config;
        let left = 3;
        const send = (): void => {
          const q = openReq(ctx.api, cfg.reqVaddr);
          q.enqueue({ payload: i2cHeaderPayload(n, address), dataLen: 0, flagMask: I2cFlag.HEAD });
          for (let i = 0; i < n; i++)
            q.enqueue({
              payload: BigInt(cfg.dataVaddr + i),
              dataLen: 1,
              flagMask: I2cFlag.READ | I2cFlag.STOP,
            });
          q.commit();
          ctx.api.notify(cfg.virtCh);
          left--;
        };
        return {
          init(): void {
            ctx.api.ppcall(cfg.virtCh, { label: I2C_BUS_CLAIM, words: [BigInt(address)] });
            send();
          },
          notified(): void {
            if (left > 0) send();
          },
        };
      };
    const check = new I2cRefinement();
    const { result } = runI2cSystem({
      seed: 1,
      rounds: 1,
      schedule: 'random',
      wrapComponent: (pd, b) => check.wrap(pd, b),
      rebind: (pd, x) =>
        pd === 'client_eeprom'
          ? { ...x, factory: bulk(0x50, 150) }
          : pd === 'client_ds3231'
            ? { ...x, factory: bulk(0x68, 120) }
            : x,
    });
    expect(result?.virt['deferred']).toBeGreaterThan(0);
    expect(result?.virt['committed']).toBe(6);
    expect(check.report()).toMatchObject({ violations: 0 });
  });

  it('randomized under faults: no violation; a virt with upstream pointer check (U4) is caught', () => {
    const ok = randomizedI2cRefinement({ runs: 8, seed: 1 });
    expect(ok.failures).toEqual([]);
    const bad = randomizedI2cRefinement({
      runs: 2,
      seed: 3,
      virtBug: 'U4',
      rebind: (pd, b) => (pd === 'client_ds3231' ? { ...b, factory: pastRegion } : b),
    });
    expect(bad.violations).toBeGreaterThan(0);
    expect(bad.failures[0]?.first?.differences.some((d) => d.where.startsWith('driver.req'))).toBe(
      true,
    );
  });
});
