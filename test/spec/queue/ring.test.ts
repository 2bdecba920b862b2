import { describe, expect, it } from 'vitest';
import {
  checkCapacity,
  maxCapacity,
  ringAbstraction,
  ringInitial,
  ringInvariant,
  ringIsFull,
  ringLength,
  wrapIndex,
} from '../../../spec/queue/ring.ts';
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  netStateDequeue,
  netStateEnqueue,
  netStateInitial,
} from '../../../spec/queue/net-state.ts';

const desc = (n: number) => ({ ioOrOffset: BigInt(n), len: 0, oid: 0 });

const shape16 = { width: 16, capacity: 4, reservedSlots: 0 } as const;

describe('ring index arithmetic', () => {
  it('wraps at the exact width', () => {
    expect(wrapIndex(16, 0x1_0000)).toBe(0);
    expect(wrapIndex(16, -1)).toBe(0xffff);
    expect(wrapIndex(32, 2 ** 32)).toBe(0);
    expect(wrapIndex(32, -1)).toBe(0xffff_ffff);
    expect(ringLength(16, { tail: 1, head: 0xffff })).toBe(2);
    expect(ringLength(32, { tail: 1, head: 0xffff_ffff })).toBe(2);
  });

  it('the invariant 0 <= tail - head <= usable holds and fails at the width', () => {
    expect(ringInvariant(shape16, { tail: 2, head: 0xfffe })).toBeNull();
    expect(ringInvariant(shape16, { tail: 3, head: 0xfffe })).toMatch(/tail - head = 5 \(u16\)/);
  });

  it('reports a window longer than the capacity, naming the values', () => {
    const msg = ringInvariant(shape16, { tail: 5, head: 0 });
    expect(msg).toMatch(/tail 5, head 0, tail - head = 5/);
    expect(ringInvariant(shape16, { tail: 0, head: 1 })).toMatch(/65535/);
    expect(ringInvariant(shape16, { tail: 0x1_0000, head: 0 })).toMatch(/not a u16/);
    expect(ringInvariant(shape16, { tail: 0, head: -1 })).toMatch(/head -1 not a u16/);
    expect(ringInvariant(shape16, { tail: 1.5, head: 0 })).toMatch(/tail 1.5 not a u16/);
    expect(ringInvariant(shape16, { tail: 0, head: 0.5 })).toMatch(/head 0.5 not a u16/);
    expect(ringInvariant(shape16, { tail: -1, head: 0 })).toMatch(/tail -1 not a u16/);
    expect(ringInvariant(shape16, { tail: 0, head: 0x1_0000 })).toMatch(/head 65536 not a u16/);
    expect(
      ringInvariant(
        { width: 32, capacity: 4, reservedSlots: 0 },
        { tail: 0xffff_ffff, head: 0xffff_fffd },
      ),
    ).toBeNull();
    expect(
      ringInvariant({ width: 32, capacity: 4, reservedSlots: 0 }, { tail: 2 ** 32, head: 0 }),
    ).toMatch(/not a u32/);
    expect(
      ringInvariant({ width: 32, capacity: 4, reservedSlots: 1 }, { tail: 4, head: 0 }),
    ).toMatch(/<= 3/);
    expect(
      ringInvariant({ width: 32, capacity: 4, reservedSlots: 1 }, { tail: 3, head: 0 }),
    ).toBeNull();
  });

  it('full uses the length at the width, and the reserved slot', () => {
    expect(ringIsFull(shape16, { tail: 2, head: 0xfffe })).toBe(true);
    expect(ringIsFull(shape16, { tail: 1, head: 0xfffe })).toBe(false);
    expect(ringIsFull({ width: 32, capacity: 4, reservedSlots: 1 }, { tail: 3, head: 0 })).toBe(
      true,
    );
  });

  it('enqueue/dequeue/abstraction across the u16 wrap (net, the u16 class)', () => {
    let s = netStateInitial(4, 0xfffe);
    for (const x of [1, 2, 3]) {
      const r = netStateEnqueue({ capacity: 4 }, s, desc(x));
      expect(r.ok).toBe(true);
      s = r.state;
    }
    expect(s.tail).toBe(1);
    expect(ringAbstraction(shape16, s).items).toEqual([desc(1), desc(2), desc(3)]);
    const d = netStateDequeue(4, s);
    expect(d.item).toEqual(desc(1));
    expect(ringAbstraction(shape16, d.state).items).toEqual([desc(2), desc(3)]);
    expect(netStateDequeue(4, netStateInitial(4)).item).toBeNull();
    const full = netStateEnqueue({ capacity: 4 }, s, desc(4)).state;
    const rejected = netStateEnqueue({ capacity: 4 }, full, desc(5));
    expect(rejected.ok).toBe(false);
    expect(rejected.state).toBe(full);
  });

  it('abstraction refuses a state that breaks the invariant', () => {
    const s = { ...ringInitial<string>(4), tail: 5 };
    expect(() => ringAbstraction(shape16, s)).toThrow(InvariantError);
  });

  it('a read of a never-written live slot is our bug', () => {
    const s = { ...netStateInitial(4), tail: 1 };
    expect(() => netStateDequeue(4, s)).toThrow(/read before written/);
    expect(() => ringAbstraction(shape16, s)).toThrow(/never written/);
  });

  it('slots that do not match the capacity are our bug', () => {
    const s = netStateInitial(3);
    expect(() => netStateEnqueue({ capacity: 4 }, s, desc(0))).toThrow(/slots 3 != capacity 4/);
    expect(() => netStateDequeue(4, s)).toThrow(/slots 3 != capacity 4/);
    expect(() => ringInitial(0)).toThrow(InvariantError);
    expect(ringInitial(1).slots).toEqual([undefined]);
  });

  it('capacity rules name the value', () => {
    expect(
      checkCapacity({ queue: 'q', capacity: 384, width: 32, powerOfTwo: true })?.message,
    ).toMatch(/384 is not a power of two/);
    expect(
      checkCapacity({ queue: 'q', capacity: 0, width: 32, powerOfTwo: true })?.message,
    ).toMatch(/capacity 0/);
    expect(checkCapacity({ queue: 'q', capacity: 2.5, width: 32, powerOfTwo: false })?.code).toBe(
      'QUEUE_CAPACITY',
    );
    expect(
      checkCapacity({ queue: 'q', capacity: 0x1_0000, width: 16, powerOfTwo: true })?.message,
    ).toMatch(/65536 exceeds 32768/);
    expect(checkCapacity({ queue: 'q', capacity: 0x8000, width: 16, powerOfTwo: true })).toBeNull();
    expect(checkCapacity({ queue: 'q', capacity: 254, width: 32, powerOfTwo: false })).toBeNull();
    expect(maxCapacity(32)).toBe(2 ** 31);
  });
});
