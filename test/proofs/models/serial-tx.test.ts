import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { buildSerialTx } from '../../../proofs/models/serial-tx.ts';

describe('serial-tx', () => {
  it('holds under SC, TSO and Arm-like with the seq_cst fences (F9 fixed)', () => {
    for (const memoryModel of ['sc', 'tso', 'pso'] as const) {
      const r = checkModel(buildSerialTx({ memoryModel, bounds: {} }).ts, {
        search: 'bfs',
        maxStates: 1_000_000,
      });
      expect(r.verdict, memoryModel).toBe('holds');
    }
  }, 60_000);

  it('F9 without the fences loses a wakeup under TSO but not under SC', () => {
    const tso = checkModel(buildSerialTx({ memoryModel: 'tso', bounds: {}, bug: 'F9' }).ts, {
      search: 'bfs',
    });
    expect(tso.property).toBe('no-lost-wakeup');
    const sc = checkModel(buildSerialTx({ memoryModel: 'sc', bounds: {}, bug: 'F9' }).ts, {
      search: 'bfs',
    });
    expect(sc.verdict).toBe('holds');
  });
});
