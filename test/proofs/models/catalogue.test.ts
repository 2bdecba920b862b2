import { describe, expect, it } from 'vitest';
import { runCatalogue } from '../../../proofs/models/catalogue.ts';
import { listModels } from '../../../proofs/models/registry.ts';

const OURS = ['O1', 'F2', 'F17', 'U1', 'F3', 'F4', 'F15', 'F33', 'U15', 'F8', 'F9', 'F12', 'U7'];

describe('seeded-bug catalogue', () => {
  it('covers at least 12 entries, among them the required ones', () => {
    const ids = listModels().flatMap((m) => m.bugs.map((b) => b.id));
    for (const id of OURS) expect(ids).toContain(id);
  });

  it('detects every variant by its named property, and the same models without the bug hold', () => {
    const r = runCatalogue({ only: OURS });
    const missed = r.mutants
      .filter((m) => !m.detected)
      .map((m) => `${m.id}: ${m.by} ${m.message ?? ''}`);
    expect(missed).toEqual([]);
    const failing = r.baselines
      .filter((b) => !b.holds)
      .map((b) => `${b.model} ${b.memoryModel}: ${b.verdict}`);
    expect(failing).toEqual([]);
    expect(new Set(r.mutants.map((m) => m.id))).toEqual(new Set(OURS));
    const o1 = r.mutants.find((m) => m.id === 'O1' && m.model === 'net-handshake')!;
    expect(o1.traceLength).toBeLessThanOrEqual(60);
    expect(r.mutants.find((m) => m.id === 'O1' && m.model === 'net-pipeline')?.detected).toBe(true);
    expect(r.ok).toBe(true);
  }, 120_000);
});
