// Worker mode (issue 9 part 5): every PD in its own worker thread with only its own regions, the
// NIC and the traffic peer hosted in the driver's worker; host time, so no determinism, but every
// echo answered and every invariant holding once the run is quiescent.
import { describe, expect, it } from 'vitest';
import { runSystemWorkers } from '../../../impl/systems/workers.ts';
import { parseFaultSpec } from '../../../impl/runtime/faults.ts';

describe('sddf run --workers', () => {
  it('answers every echo, holds every invariant, reports the console and the wire', async () => {
    const { result, errors } = await runSystemWorkers({
      packets: 3000,
      seed: 1,
      pcap: true,
      timeoutMs: 240_000,
    });
    expect(errors).toEqual([]);
    const r = result!;
    expect(r.mode).toBe('workers');
    expect(r.status).toBe('complete');
    expect(r.ok).toBe(true);
    expect(r.invariantViolations).toBe(0);
    expect(r.generator.answered).toBe(r.generator.expected);
    expect(r.generator.badReplies).toBe(0);
    expect(r.console).toMatch(/client0: UDP echo/);
    expect(r.pcap!.length).toBeGreaterThan(24);
    for (const c of r.clients) expect(c.sent).toBeGreaterThan(0);
  }, 300_000);

  it('a crashed virt_tx restarts in its worker and the echo goes on', async () => {
    const { result } = await runSystemWorkers({
      packets: 1500,
      seed: 2,
      faults: parseFaultSpec('crash:net_virt_tx@20').script!,
      timeoutMs: 240_000,
    });
    expect(result!.faults.injected).toBe(1);
    expect(result!.restarts['net_virt_tx']).toBe(1);
    expect(result!.invariantViolations).toBe(0);
    expect(result!.generator.answered).toBe(result!.generator.expected);
  }, 300_000);

  it('refuses fault kinds worker mode cannot inject, as a diagnostic', async () => {
    const { result, errors } = await runSystemWorkers({
      packets: 10,
      seed: 1,
      faults: parseFaultSpec('drop-irq:79@1').script!,
    });
    expect(result).toBeUndefined();
    expect(errors[0]?.message).toMatch(/crashes only/);
  });
});
