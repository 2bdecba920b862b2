import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkNetCapacity,
  checkNetOffset,
  netDescProblem,
  netQueueSizeBytes,
  type NetFullCheck,
  type NetBuffDesc,
} from '../../../spec/queue/net.ts';
import {
  type NetQueueState,
  netStateAbstraction,
  netStateBuffersInit,
  netStateDequeue,
  netStateEmpty,
  netStateEnqueue,
  netStateFull,
  netStateInitial,
  netStateInvariant,
  netStateLength,
} from '../../../spec/queue/net-state.ts';
import { InvariantError } from '../../../spec/common/assert.ts';
import { netDescArb } from '../../../traces/refinement/queue-commands.ts';
import { specRefinementProperty, startArb, type SpecOps } from './spec-refinement.ts';

function netOps(capacity: number, fullCheck: NetFullCheck): SpecOps<NetQueueState, NetBuffDesc> {
  const spec = { capacity, fullCheck };
  return {
    enqueue: (s, d) => netStateEnqueue(spec, s, d),
    dequeue: (s) => netStateDequeue(capacity, s),
    full: (s) => netStateFull(spec, s),
    empty: netStateEmpty,
    length: netStateLength,
    abstraction: (s) => netStateAbstraction(capacity, s),
    invariant: (s) => netStateInvariant(capacity, s),
  };
}

function property(capacity: number, fullCheck: NetFullCheck) {
  return specRefinementProperty({
    item: netDescArb,
    initial: startArb(16).map((start) => ({
      state: netStateInitial(capacity, start),
      usable: capacity,
    })),
    ops: netOps(capacity, fullCheck),
  });
}

describe('net queue spec refines the abstract FIFO', () => {
  it.each([1, 2, 4, 8])('capacity %i, corrected full check, across the u16 wrap', (cap) => {
    fc.assert(property(cap, 'corrected'), { numRuns: 150 });
  });

  it('the C-as-written full check (U1) is caught at the u16 wrap', () => {
    const details = fc.check(property(4, 'int-promoted'), { numRuns: 300, seed: 42 });
    expect(details.failed).toBe(true);
  });

  it('U1 concretely: capacity 512, head 65300, tail 276 is full but C says not full', () => {
    const s = { ...netStateInitial(512), head: 65300, tail: 276 };
    expect(netStateFull({ capacity: 512, fullCheck: 'corrected' }, s)).toBe(true);
    expect(netStateFull({ capacity: 512, fullCheck: 'int-promoted' }, s)).toBe(false);
    expect(netStateLength(s)).toBe(512);
  });

  it('net_buffers_init fills the free queue with {2048*i + base, 0}', () => {
    const s = netStateBuffersInit({ capacity: 4, baseIoOrOffset: 0x1000n, start: 0xfffe });
    expect(netStateAbstraction(4, s).items.map((d) => d.ioOrOffset)).toEqual([
      0x1000n,
      0x1800n,
      0x2000n,
      0x2800n,
    ]);
    expect(netStateAbstraction(4, s).items.every((d) => d.len === 0 && d.oid === 0)).toBe(true);
    expect(netStateInitial(4).consumerSignalled).toBe(0);
  });

  it('descriptor fields are checked at their C widths', () => {
    expect(netDescProblem({ ioOrOffset: 1n << 64n, len: 0, oid: 0 })).toMatch(/not a u64/);
    expect(netDescProblem({ ioOrOffset: -1n, len: 0, oid: 0 })).toMatch(/not a u64/);
    expect(netDescProblem({ ioOrOffset: 0n, len: 0x1_0000, oid: 0 })).toMatch(/len 65536/);
    expect(netDescProblem({ ioOrOffset: 0n, len: -1, oid: 0 })).toMatch(/len -1/);
    expect(netDescProblem({ ioOrOffset: 0n, len: 0, oid: 64 })).toMatch(/oid 64 is not 6 bits/);
    expect(netDescProblem({ ioOrOffset: 0n, len: 0, oid: -1 })).toMatch(/oid -1/);
    expect(netDescProblem({ ioOrOffset: (1n << 64n) - 1n, len: 0xffff, oid: 63 })).toBeNull();
    expect(() =>
      netStateEnqueue({ capacity: 1, fullCheck: 'corrected' }, netStateInitial(1), {
        ioOrOffset: 0n,
        len: 0,
        oid: 99,
      }),
    ).toThrow(InvariantError);
  });

  it('capacity and offset rules name the value', () => {
    expect(checkNetCapacity(6)?.message).toMatch(/capacity 6 is not a power of two/);
    expect(checkNetCapacity(0x1_0000)?.message).toMatch(/65536/);
    expect(checkNetCapacity(512)).toBeNull();
    expect(checkNetOffset({ offset: 2047n, numBuffers: 4 })?.message).toMatch(
      /offset 2047 is not a multiple of 2048/,
    );
    expect(checkNetOffset({ offset: -2048n, numBuffers: 4 })?.message).toMatch(/offset -2048/);
    expect(checkNetOffset({ offset: 8192n, numBuffers: 4 })?.message).toMatch(
      /offset 8192 is out of range.*8192/,
    );
    expect(checkNetOffset({ offset: 6144n, numBuffers: 4 })).toBeNull();
    expect(netQueueSizeBytes(512)).toBe(8 + 16 * 512);
  });
});
