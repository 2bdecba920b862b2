import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { buildNetHandshake } from '../../../proofs/models/net-handshake.ts';
import type { MemoryModel } from '../../../proofs/models/registry.ts';

function check(memoryModel: MemoryModel, bounds: Record<string, number> = {}, bug?: string) {
  const ts = buildNetHandshake({ memoryModel, bounds, ...(bug !== undefined ? { bug } : {}) }).ts;
  return checkModel(ts, { search: 'bfs', maxStates: 500_000, maxSeconds: 30 });
}

describe('net-handshake', () => {
  it('holds under SC', () => {
    expect(check('sc').verdict).toBe('holds');
  });

  it('O1: under TSO the HEAD fences lose a wakeup (store buffering) in at most 60 steps', () => {
    const r = check('tso');
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe('no-lost-wakeup');
    expect(r.trace!.actions.length).toBeLessThanOrEqual(60);
  });

  it('with seq_cst fences (as the serial queue has them) the lost wakeup is gone, under TSO and Arm', () => {
    expect(check('tso', { fences: 1 }).verdict).toBe('holds');
    expect(check('arm', { fences: 1 }).verdict).toBe('holds');
  });

  it('under the Arm-like model the HEAD fences lose a wakeup too', () => {
    expect(check('arm').property).toBe('no-lost-wakeup');
  });

  it('an untrusted duplicate is harmless with the u16 full test, an overwrite with U1', () => {
    expect(check('sc', { untrusted: 1 }).verdict).toBe('holds');
    expect(check('sc', {}, 'U1').property).toBe('no-overwrite');
  });
});
