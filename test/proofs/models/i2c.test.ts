import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { buildI2c, i2cEntry, type I2cSeeded } from '../../../proofs/models/i2c.ts';

const run = (bounds: Record<string, number>, bug?: string, seeded?: I2cSeeded) =>
  checkModel(
    buildI2c(
      {
        memoryModel: 'sc',
        bounds,
        ...(bug === undefined ? {} : { bug }),
      },
      seeded,
    ),
    { search: 'bfs', maxStates: 200_000 },
  );

describe('i2c model', () => {
  it('holds with deferral reached (two clients, capacity 4) and across the u32 wrap at capacity 4', () => {
    expect(run({}).verdict).toBe('holds');
    expect(run({ clients: 1, batch: 1, indexBase: 0xffff_ffff }).verdict).toBe('holds');
  });

  it.each([
    ['U2', 'no-lost-wakeup'],
    ['U3', 'atomicity'],
    ['U4', 'translation'],
    ['U5', 'atomicity'],
  ])('%s is detected by %s', (bug, property) => {
    const v = i2cEntry.bugs.find((b) => b.id === bug)!;
    const r = run(v.bounds ?? {}, bug);
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe(property);
  });

  it('a hostile buffer is refused by the fixed virt (U4 bounds, no bug)', () => {
    expect(run({ hostile: 1 }).verdict).toBe('holds');
  });

  it.each([
    ['replay', 'fifo'],
    ['double', 'no-response-lost'],
    ['silent', 'no-lost-wakeup'],
  ] as const)('a driver seeded with %s is caught by %s', (seeded, property) => {
    const r = run({ clients: 1, transactions: 3, batch: 1, capacity: 3 }, undefined, seeded);
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe(property);
  });
});
