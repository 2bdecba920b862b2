import { describe, expect, it } from 'vitest';
import { runCatalogue } from '../../../proofs/models/catalogue.ts';
import { listModels } from '../../../proofs/models/registry.ts';

/** Catalogue ids (sddf-bug-catalogue.md) the models must cover. */
const REQUIRED = [
  'O1',
  'F1',
  'F2',
  'F3',
  'F4',
  'F5',
  'F8',
  'F9',
  'F10',
  'F11',
  'F12',
  'F15',
  'F17',
  'F18',
  'F19',
  'F21',
  'F33',
  'U1',
  'U7',
  'U8',
  'U10',
  'U11',
  'U15',
  'F37',
  'U2',
  'U3',
  'U4',
  'U5',
];

/**
 * The variants `npm test` runs (the cheaper ones, one or more per model and per kind of
 * property); `sddf mutants` runs all of them (42, about 30 s of CPU).
 */
const QUICK = [
  'F17',
  'F1',
  'U1',
  'F3',
  'F33',
  'U15-release',
  'passive-init',
  'F5',
  'F19',
  'U10',
  'F10',
  'F11',
  'U8',
  'F21',
  'F37',
  'U4',
];

describe('seeded-bug catalogue', () => {
  const variants = listModels().flatMap((m) => m.bugs.map((v) => ({ model: m.name, v })));

  it('covers 30+ variants, among them the required catalogue entries and every layer', () => {
    expect(variants.length).toBeGreaterThanOrEqual(30);
    const ids = variants.map((x) => x.v.id);
    for (const id of REQUIRED) expect(ids).toContain(id);
    const models = new Set(variants.map((x) => x.model));
    for (const m of ['net-pipeline', 'net-virtio', 'serial-tx', 'blk-handshake', 'timer', 'i2c'])
      expect(models).toContain(m);
    // The Microkit layer: a deferred-slot loss (passive init) and an overwrite (F12).
    expect(ids).toContain('passive-init');
  });

  it('every variant cites the upstream code it re-creates and says what is modelled', () => {
    const missing = variants.filter(
      ({ v }) =>
        v.upstream === undefined ||
        v.upstream.length === 0 ||
        v.upstream.some(
          (u) =>
            !/^[0-9a-f]{8}$/.test(u.commit) ||
            u.file.length === 0 ||
            !/\d+/.test(u.before) ||
            u.after.length === 0,
        ) ||
        v.modelled === undefined,
    );
    expect(missing.map(({ model, v }) => `${model}:${v.id}`)).toEqual([]);
  });

  it('detects the quick variants by their named property, and the same models without the bug hold', () => {
    const r = runCatalogue({ only: QUICK });
    const missed = r.mutants
      .filter((m) => !m.detected)
      .map((m) => `${m.model}:${m.id}: ${m.by} ${m.message ?? ''}`);
    expect(missed).toEqual([]);
    const failing = r.baselines
      .filter((b) => !b.holds)
      .map((b) => `${b.model} ${b.memoryModel} ${JSON.stringify(b.bounds)}: ${b.verdict}`);
    expect(failing).toEqual([]);
    expect(new Set(r.mutants.map((m) => m.id))).toEqual(new Set(QUICK));
    expect(r.ok).toBe(true);
  }, 120_000);
});
