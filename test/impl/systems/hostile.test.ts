// A hostile client (issue 9 part 8; catalogue O2–O4): ≥ 10^6 arbitrary writes into everything it
// maps writable, at random times. The virtualisers never crash, never translate outside the
// client's region (the monitors check every driver-side address and the honest client's buffers),
// never enqueue past a capacity; the honest client keeps at least half of its throughput.
import { describe, expect, it } from 'vitest';
import { runSystem, type RunSystemOptions } from '../../../impl/systems/run.ts';

describe('echo server with a hostile client1', () => {
  it('≥ 10^6 adversarial writes: zero isolation violations, the honest client keeps ≥ 50 % throughput', () => {
    const common: RunSystemOptions = {
      packets: 20_000,
      seed: 3,
      // Requests go to client0 only; broadcasts and ARP still reach the hostile one's copier.
      traffic: { targetWeights: [1, 0] },
      monitorEvery: 16,
    };
    const alone = runSystem(common).result!;
    const attacked = runSystem({
      ...common,
      clientApi: ['native', 'hostile'],
      hostile: { writesPerWake: 8192, periodNs: { min: 100_000, max: 400_000 } },
    }).result!;
    expect(alone.ok).toBe(true);
    const writes = attacked.clients[1]!.counters['writes']!;
    expect(writes).toBeGreaterThanOrEqual(1_000_000);
    expect(attacked.invariantViolations).toBe(0);
    expect(attacked.monitorChecks).toBeGreaterThan(100);
    expect(attacked.faults.unexpected).toEqual([]);
    expect(attacked.generator.badReplies).toBe(0);
    expect(attacked.clients[0]!.lost).toBe(0);
    // The attack was seen and refused, not absorbed by luck.
    const vt = attacked.components['virtTx']!;
    expect(
      vt['rejectedLen']! + vt['rejectedOffset']! + vt['rejectedOid']! + vt['corruptQueue']!,
    ).toBeGreaterThan(100);
    expect(attacked.components['client1_net_copier']!['rejectedOffset']).toBeGreaterThan(0);
    const ratio = attacked.clients[0]!.throughputPps / alone.clients[0]!.throughputPps;
    expect(ratio).toBeGreaterThanOrEqual(0.5);
  }, 300_000);
});
