import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { I2C_BUS_CLAIM, I2C_FAILURE, I2C_SUCCESS } from '../../../../spec/components/i2c/virt.ts';
import { I2cErr, I2cFlag, i2cHeaderPayload, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import type { I2cClientConfig } from '../../../../impl/components/i2c/config.ts';
import { openReq, openResp } from '../../../../impl/components/i2c/virt.ts';
import type { Component, ComponentContext } from '../../../../impl/runtime/api.ts';
import { runI2cSystem } from '../../../../impl/systems/i2c/run.ts';
import { SHARED_SDF_FIXTURES, itShared } from '../../../helpers/shared.ts';

/** The random schedule runs both clients before the virt serves them (seeds 1..29 all do). */
const SEED_DEFERS = 1;
const FIXTURE = join(SHARED_SDF_FIXTURES, 'sddf_i2c_odroidc4.system');

const head = (n: number, addr: number): I2cCmd => ({
  payload: i2cHeaderPayload(n, addr),
  dataLen: 0,
  flagMask: I2cFlag.HEAD,
});

/** A client that sends one bad request after another and records what comes back. */
function hostile(
  requests: (cfg: I2cClientConfig) => I2cCmd[][],
  seen: { claims: number[]; errors: number[] },
  address = 0x68n,
): (ctx: ComponentContext) => Component {
  return (ctx) => {
    const cfg = (ctx.params as { config: I2cClientConfig }).config;
    let batches: I2cCmd[][] = [];
    const req = () => openReq(ctx.api, cfg.reqVaddr);
    const send = (): void => {
      const b = batches.shift();
      if (b === undefined) return;
      const q = req();
      for (const c of b) expect(q.enqueue(c)).toBe(true);
      q.commit();
      ctx.api.notify(cfg.virtCh);
    };
    return {
      init(): void {
        const ppc = (label: number, addr: bigint) =>
          ctx.api.ppcall(cfg.virtCh, { label, words: [addr] }).label;
        seen.claims.push(ppc(I2C_BUS_CLAIM, address)); // free: this client replaces its owner
        seen.claims.push(ppc(I2C_BUS_CLAIM, address)); // claimed already (by itself)
        seen.claims.push(ppc(7, 0x10n)); // unknown label
        batches = requests(cfg);
        send();
      },
      notified(): void {
        const q = openResp(ctx.api, cfg.respVaddr);
        for (let r = q.dequeue(); r !== null; r = q.dequeue()) seen.errors.push(r.error);
        send();
      },
    };
  };
}

describe('sddf run i2c', () => {
  it('clients read the RTC and the EEPROM back, with zero violations (both schedules)', () => {
    for (const schedule of ['priority', 'random'] as const) {
      const { result } = runI2cSystem({ seed: 2, rounds: 3, schedule });
      expect(result?.violations).toEqual([]);
      expect(result?.ok).toBe(true);
      expect(result?.clients.map((c) => c.counters['reads'])).toEqual([3, 3]);
    }
  });

  itShared('runs the upstream Odroid-C4 fixture with emulated devices', () => {
    const { result } = runI2cSystem({ system: FIXTURE, seed: 1, rounds: 2 });
    expect(result?.ok).toBe(true);
    expect(result?.clients.map((c) => c.name)).toEqual(['client_ds3231', 'client_pn532']);
  });

  it('bad requests get a clear error response; nothing reaches the driver; nothing crashes', () => {
    const seen = { claims: [] as number[], errors: [] as number[] };
    const bad = (cfg: I2cClientConfig): I2cCmd[][] => {
      const d = BigInt(cfg.dataVaddr);
      const body = (o: bigint, len: number, flags: number): I2cCmd => ({
        payload: d + o,
        dataLen: len,
        flagMask: flags,
      });
      return [
        [{ ...head(1, 0x68), flagMask: I2cFlag.HEAD | I2cFlag.READ }, body(0n, 1, 0)], // bad header
        [head(1, 0x50), body(0n, 1, I2cFlag.STOP)], // an address it does not own
        [head(300, 0x68), body(0n, 1, I2cFlag.STOP)], // oversize: can never fit
        [head(1, 0x68), body(0xffcn, 8, I2cFlag.READ | I2cFlag.STOP)], // past its region (U4)
        [head(1, 0x68), body(-8n, 4, I2cFlag.STOP)], // before its region
        [head(1, 0x68), body(0n, 1, I2cFlag.RSTART)], // RSTART first
        [
          head(2, 0x68),
          body(0n, 1, I2cFlag.READ),
          body(1n, 1, I2cFlag.WRRD | I2cFlag.RSTART | I2cFlag.READ),
        ],
        [head(1, 0x68), body(0n, 0, I2cFlag.WRRD | I2cFlag.READ)], // write-read of nothing
        [head(4, 0x68), body(0n, 1, 0)], // more commands claimed than sent
      ];
    };
    const { result } = runI2cSystem({
      seed: 1,
      rounds: 2,
      rebind: (pd, b) => (pd === 'client_ds3231' ? { ...b, factory: hostile(bad, seen) } : b),
    });
    expect(seen.claims).toEqual([I2C_SUCCESS, I2C_FAILURE, I2C_FAILURE]);
    const M = I2cErr.MALFORMED_TRANSACTION;
    expect(seen.errors).toEqual([
      I2cErr.MALFORMED_HEADER,
      I2cErr.UNPERMITTED_ADDR,
      M,
      M,
      M,
      M,
      M,
      M,
      M,
    ]);
    expect(result?.faults.unexpected).toEqual([]);
    expect(result?.virt['committed']).toBe(2); // the EEPROM client's two transactions only
    expect(result?.violations.filter((v) => v.includes('virt →'))).toEqual([]);
    const eeprom = result?.clients.find((c) => c.name === 'client_eeprom')?.counters;
    expect(eeprom).toMatchObject({ reads: 2, mismatches: 0, errors: 0 });
  });

  it('transactions that overfill the driver queue are deferred, then served whole', () => {
    // Two clients each commit 150 one-byte reads before the virt runs (the random schedule lets
    // them): 151 + 151 entries, the driver queue holds 253, so the second waits for the first.
    const bulk =
      (address: number) =>
      (cfg: I2cClientConfig): I2cCmd[][] => [
        [
          head(150, address),
          ...Array.from({ length: 150 }, (_, i) => ({
            payload: BigInt(cfg.dataVaddr + i),
            dataLen: 1,
            flagMask: I2cFlag.READ | I2cFlag.STOP,
          })),
        ],
      ];
    const a = { claims: [] as number[], errors: [] as number[] };
    const b = { claims: [] as number[], errors: [] as number[] };
    const { result } = runI2cSystem({
      seed: SEED_DEFERS,
      rounds: 1,
      schedule: 'random',
      rebind: (pd, x) =>
        pd === 'client_eeprom'
          ? { ...x, factory: hostile(bulk(0x50), b, 0x50n) }
          : pd === 'client_ds3231'
            ? { ...x, factory: hostile(bulk(0x68), a, 0x68n) }
            : x,
    });
    expect(result?.virt['deferred']).toBeGreaterThan(0);
    expect([...a.errors, ...b.errors]).toEqual([I2cErr.OK, I2cErr.OK]);
    expect(result?.virt['committed']).toBe(2);
    expect(result?.violations.filter((v) => v.includes('virt →'))).toEqual([]);
    expect(result?.faults.unexpected).toEqual([]);
  });

  it('a virt with upstream pointer check (U4) lets a buffer run past the region: caught', () => {
    const seen = { claims: [] as number[], errors: [] as number[] };
    const past = (cfg: I2cClientConfig): I2cCmd[][] => [
      [
        head(1, 0x68),
        {
          payload: BigInt(cfg.dataVaddr) + 0xffcn,
          dataLen: 8,
          flagMask: I2cFlag.READ | I2cFlag.STOP,
        },
      ],
    ];
    const { result } = runI2cSystem({
      seed: 1,
      rounds: 1,
      rebind: (pd, b) => {
        if (pd === 'client_ds3231') return { ...b, factory: hostile(past, seen) };
        if (pd === 'virt')
          return { ...b, params: { ...b.params, flavour: { pointerCheck: 'U4' } } };
        return b;
      },
    });
    expect(result?.ok).toBe(false);
    expect(result?.violations.join('\n')).toMatch(
      /translation: .*not inside any client's data region/,
    );
  });
});
