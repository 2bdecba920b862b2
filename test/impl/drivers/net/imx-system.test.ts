// The echo server end to end on the i.MX ENET driver (impl/drivers/net/imx.ts) and the emulated
// ENET-like NIC: in synchronous and in adversarial (agent) device timing, with a driver crash,
// and in worker mode. Kept apart from the driver's handler tests (imx.test.ts) so the net mutation
// run (test/impl/components/net/mutation) can leave these whole-system runs out for their cost.
import { describe, expect, it } from 'vitest';
import { runSystem, resultJson, type RunSystemOptions } from '../../../../impl/systems/run.ts';
import { runSystemWorkers } from '../../../../impl/systems/workers.ts';
import { parseFaultSpec } from '../../../../impl/runtime/faults.ts';

describe('the echo server on the ENET NIC', () => {
  const base: RunSystemOptions = { packets: 400, seed: 1, nic: 'enet' };
  const check = (o: RunSystemOptions) => {
    const { result, errors } = runSystem(o);
    expect(errors).toEqual([]);
    const r = result!;
    return {
      r,
      summary: {
        ok: r.ok,
        status: r.status,
        answered: r.generator.answered,
        lost: r.generator.lost,
        badReplies: r.generator.badReplies,
        invariantViolations: r.invariantViolations,
        deviceErrors: r.device.errors,
        unexpectedFaults: r.faults.unexpected.length,
      },
    };
  };
  const good = (expected: number) => ({
    ok: true,
    status: 'complete',
    answered: expected,
    lost: 0,
    badReplies: 0,
    invariantViolations: 0,
    deviceErrors: 0,
    unexpectedFaults: 0,
  });

  it('every echo is answered, 0 invariant violations, 0 driver errors (strict device); the same seed gives the same JSON', () => {
    const a = check({ ...base, packets: 1500 });
    expect(a.r.system).toBe('echo_server_enet');
    expect(a.summary).toEqual(good(a.r.generator.expected));
    expect(a.r.generator.expected).toBeGreaterThan(1400);
    expect(a.r.device.rxFrames).toBe(1500);
    expect(a.r.components['driver']!['rxReturned']).toBe(1500);
    const b = check({ ...base, packets: 1500 });
    const strip = (r: typeof a.r) => ({ ...resultJson(r), times: null });
    expect(strip(b.r)).toEqual(strip(a.r));
  });

  it('adversarial device timing (agent: the NIC acts at every register access, seeded): the correct driver never loses an echo', () => {
    for (let seed = 1; seed <= 6; seed++) {
      for (const schedule of ['priority', 'random'] as const) {
        const a = check({ ...base, seed, schedule, deviceTiming: {} });
        expect({ seed, schedule, ...a.summary }).toEqual({
          seed,
          schedule,
          ...good(a.r.generator.expected),
        });
      }
    }
  });

  it('a crashed driver restarts, reclaims the 256 Rx buffers its ring held, and every echo is answered', () => {
    const faults = parseFaultSpec('crash:ethernet_driver@60').script!;
    const a = check({ ...base, packets: 1000, faults });
    expect(a.summary).toEqual(good(a.r.generator.expected));
    expect(a.r.faults.injected).toBe(1);
    expect(a.r.restarts['ethernet_driver']).toBe(1);
    expect(a.r.components['driver']!['recoveredRx']).toBe(256);
  });

  it('--nic must match the system: the virtio system asked for an ENET is a located error', () => {
    const { result, errors } = runSystem({ packets: 1, seed: 1, nic: 'enet', system: 'echo' });
    expect(result).toBeDefined(); // `echo` with enet is the ENET variant
    const bad = runSystem({ packets: 1, seed: 1, nic: 'virtio', system: 'echo_server_enet' });
    expect(bad.result).toBeUndefined();
    expect(bad.errors[0]?.code).toBe('RUN_OPTIONS');
    expect(bad.errors[0]?.file).toMatch(/echo_server_enet\.system$/);
    expect(errors).toEqual([]);
  });
});

describe('the echo server on the ENET NIC, in worker mode', () => {
  it('every PD in its own worker, the ENET hosted in the driver’s: every echo answered, 0 violations, 0 driver errors', async () => {
    const { result, errors } = await runSystemWorkers({
      packets: 500,
      seed: 3,
      nic: 'enet',
      timeoutMs: 120_000,
    });
    expect(errors).toEqual([]);
    const r = result!;
    expect({
      mode: r.mode,
      system: r.system,
      status: r.status,
      ok: r.ok,
      invariantViolations: r.invariantViolations,
      answered: r.generator.answered,
      deviceErrors: r.device.errors,
    }).toEqual({
      mode: 'workers',
      system: 'echo_server_enet',
      status: 'complete',
      ok: true,
      invariantViolations: 0,
      answered: r.generator.expected,
      deviceErrors: 0,
    });
    expect(r.components['driver']!['rxReturned']).toBe(500);
  }, 180_000);

  it('refuses agent device timing (it needs the deterministic scheduler)', async () => {
    const { result, errors } = await runSystemWorkers({
      packets: 1,
      seed: 1,
      nic: 'enet',
      deviceTiming: {},
    });
    expect(result).toBeUndefined();
    expect(errors[0]?.code).toBe('RUN_WORKER_TIMING');
  });
});
