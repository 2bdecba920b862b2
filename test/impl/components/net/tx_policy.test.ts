// Transmit policies of virt_tx (LionsOS §4.1.2), as pure modules.
import { describe, expect, it } from 'vitest';
import { makeTxPolicy } from '../../../../impl/components/net/tx_policy.ts';

describe('tx policies', () => {
  it('priority: index order, drained, always admitted', () => {
    const p = makeTxPolicy({ kind: 'priority' }, 3);
    expect(p.mode).toBe('drain');
    expect(p.startPass(0)).toEqual([0, 1, 2]);
    expect(p.startPass(0)).toEqual([0, 1, 2]);
    expect(p.admit(2, 2048, 0)).toBe(true);
  });

  it('round-robin: interleaved, the first client rotates every pass', () => {
    const p = makeTxPolicy({ kind: 'round-robin' }, 3);
    expect(p.mode).toBe('interleave');
    expect([...p.startPass(0)]).toEqual([0, 1, 2]);
    expect([...p.startPass(0)]).toEqual([1, 2, 0]);
    expect([...p.startPass(0)]).toEqual([2, 0, 1]);
  });

  it('bandwidth: a token bucket per client, refilled by elapsed time, capped at the burst', () => {
    const p = makeTxPolicy(
      { kind: 'bandwidth', bytesPerSecond: [1000, 1e6], burstBytes: [3000, 1e6] },
      2,
    );
    expect(p.admit(0, 2048, 0)).toBe(true); // 3000 → 952
    expect(p.admit(0, 2048, 0)).toBe(false);
    expect(p.admit(0, 2048, 1_000_000_000)).toBe(false); // 952 + 1000 = 1952
    expect(p.admit(0, 2048, 2_000_000_000)).toBe(true); // 1952 + 1000 = 2952 → 904
    expect(p.admit(0, 2048, 100_000_000_000)).toBe(true); // capped at 3000, not 98 904 → 952
    expect(p.admit(0, 2048, 100_000_000_000)).toBe(false);
    expect(p.admit(1, 1e5, 0)).toBe(true); // the other client's bucket is its own
  });

  it('bandwidth: refuses a rate per client that is missing or not positive', () => {
    expect(() => makeTxPolicy({ kind: 'bandwidth', bytesPerSecond: [1000] }, 2)).toThrow(
      /positive rate/,
    );
    expect(() => makeTxPolicy({ kind: 'bandwidth', bytesPerSecond: [0, 1] }, 2)).toThrow(
      /positive rate/,
    );
  });
});
