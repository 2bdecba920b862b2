// Regression corpus (traces/corpus/): every stored counterexample still replays on the model its
// #meta names and still shows the violation of its #meta.property.
import { describe, expect, it } from 'vitest';
import { findModel, listModels } from '../../proofs/models/registry.ts';
import type { MemoryModel } from '../../proofs/models/registry.ts';
import { CORPUS_DIR, listTraceFiles, readTrace, traceFileName } from '../../traces/corpus.ts';
import { replayItf, showsViolation } from '../../traces/replay.ts';

const files = listTraceFiles(CORPUS_DIR);

describe('traces/corpus', () => {
  it('holds one trace per catalogue variant of every model', () => {
    const names = files.map((f) => f.split('/').pop());
    const variants = listModels().flatMap((m) =>
      m.bugs.map((bug) => traceFileName(m.name, bug.id)),
    );
    expect(variants.length).toBeGreaterThanOrEqual(19);
    for (const want of variants) expect(names).toContain(want);
  });

  for (const file of files) {
    it(`${file.split('/').pop()} replays and still shows its violation`, () => {
      const itf = readTrace(file);
      const meta = itf['#meta']!;
      const entry = findModel(meta.model);
      expect(entry, `model ${meta.model}`).toBeDefined();
      const ts = entry!.build({
        memoryModel: (meta.options.memoryModel ?? 'sc') as MemoryModel,
        bounds: meta.options.bounds,
        ...(meta.options.bug !== undefined ? { bug: meta.options.bug } : {}),
      });
      const r = replayItf(ts, itf);
      expect(r.ok ? null : r.divergence).toBeNull();
      if (!r.ok) return;
      expect(meta.verdict).toBe('violated');
      expect(showsViolation(ts, r.trace, meta.property!)).toBeNull();
    });
  }
});
