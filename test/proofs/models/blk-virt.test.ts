// blk-virt (issue #13 part 5): the block client, virt and driver with barriers hold at their
// default bounds and at each variant's bounds, and every variant is caught by its property.
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { blkVirtBugs, buildBlkVirt } from '../../../proofs/models/blk-virt.ts';

function check(bug: string | undefined, bounds: Record<string, number> = {}) {
  return checkModel(
    buildBlkVirt({ memoryModel: 'sc', bounds, ...(bug === undefined ? {} : { bug }) }).ts,
    {
      search: 'bfs',
      maxStates: 200_000,
    },
  );
}

describe('blk-virt', () => {
  it('holds: partition init, translation, a barrier, an out-of-order device', () => {
    const r = check(undefined);
    expect(r.verdict).toBe('holds');
    expect(r.states).toBeGreaterThan(1000);
  });

  for (const v of blkVirtBugs) {
    it(`${v.id}: caught by ${v.expectedProperty}; the same bounds without the bug hold`, () => {
      const bad = check(v.id, { ...(v.bounds ?? {}) });
      expect(bad.verdict).toBe('violated');
      expect(bad.property).toBe(v.expectedProperty);
      expect(bad.trace).toBeDefined();
      if (v.id !== 'F16' && v.bounds !== undefined)
        expect(check(undefined, { ...(v.bounds ?? {}) }).verdict).toBe('holds');
    });
  }
});
