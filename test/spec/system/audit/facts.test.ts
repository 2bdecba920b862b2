// The auditor's own facts (spec/system/audit/facts.ts, written before spec/system/facts.ts
// existed, and tolerant of partial models) must agree with the shared derived facts on every
// valid fixture: who maps each MR, and who may ppcall whom (both dialects).
import { describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { computeFacts } from '../../../../spec/system/audit/facts.ts';
import { deriveFacts } from '../../../../spec/system/facts.ts';
import { AUDIT_FIXTURES, SHARED_FIXTURES, loadModel, systemFiles } from './fixtures.ts';

describe('audit facts agree with spec/system/facts.ts', () => {
  for (const file of [...systemFiles(SHARED_FIXTURES), ...systemFiles(AUDIT_FIXTURES)]) {
    it(basename(file), () => {
      const model = loadModel(file);
      const ours = computeFacts(model);
      const shared = deriveFacts(model);
      for (const mr of model.memoryRegions) {
        const a = (ours.mapsOf.get(mr.name) ?? [])
          .map((r) => `${r.holder}:${r.pd}:${r.map.vaddr}`)
          .sort();
        const b = shared
          .mappersOf(mr.name)
          .map((m) => `${m.name}:${m.pd}:${m.vaddr}`)
          .sort();
        expect(a).toEqual(b);
      }
      const ppcOurs = ours.channels.flatMap((c) => c.ppcalls.map(([x, y]) => `${x}>${y}`)).sort();
      const ppcShared = shared.ppcEdges.map((e) => `${e.caller}>${e.callee}`).sort();
      expect(ppcOurs).toEqual(ppcShared);
    });
  }

  it('the echo server (1.x) gives the clients ppcall rights into the passive timer', () => {
    const f = computeFacts(
      loadModel(`${SHARED_FIXTURES}/sddf_echo_server_qemu_virt_aarch64.system`),
    );
    const calls = f.channels.flatMap((c) => c.ppcalls.map(([x, y]) => `${x}>${y}`));
    expect(calls.sort()).toEqual(['client0>timer', 'client1>timer']);
  });
});
