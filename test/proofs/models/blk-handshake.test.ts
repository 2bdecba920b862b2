import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { buildBlkHandshake } from '../../../proofs/models/blk-handshake.ts';

describe('blk-handshake (no flags: always notify)', () => {
  it('holds under SC, TSO and the Arm-like model', () => {
    for (const memoryModel of ['sc', 'tso', 'pso'] as const) {
      const r = checkModel(buildBlkHandshake({ memoryModel, bounds: {} }).ts, { search: 'bfs' });
      expect(r.verdict, memoryModel).toBe('holds');
    }
  });

  it('U7: more requests in flight than response slots makes the response enqueue fail', () => {
    const r = checkModel(buildBlkHandshake({ memoryModel: 'sc', bounds: {}, bug: 'U7' }).ts, {
      search: 'bfs',
    });
    expect(r.property).toBe('no-assert-failure');
  });
});
