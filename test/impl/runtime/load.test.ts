// The real sDDF system descriptions (shared/fixtures/sdf) boot in the runtime: regions, maps,
// channels and IRQs are instantiated, and every PD's init runs against its derived config.
import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { deterministicFromFile, loadSystemModel } from '../../../impl/runtime/load.ts';
import { ComponentRegistry } from '../../../impl/runtime/registry.ts';
import { mapOf } from '../../../impl/runtime/config.ts';

import { describeShared, SHARED_AVAILABLE, SHARED_SDF_FIXTURES } from '../../helpers/shared.ts';
const DIR = SHARED_SDF_FIXTURES;
const fixtures = (SHARED_AVAILABLE ? readdirSync(DIR) : []).filter((f) => f.endsWith('.system'));

/** Stand-in program: touches the first byte of each map it may read, as a real init would. */
const touchAll = new ComponentRegistry().fallback({
  factory: ({ api, config }) => ({
    init: () => {
      for (const m of config.maps) if (m.perms.r) api.mem.read8(mapOf(config, m.mr).vaddr);
    },
    notified: () => {},
    protected: () => ({ label: 0, words: [] }),
  }),
});

describeShared('booting the shared sDDF fixtures', () => {
  it.each(fixtures)('%s: plans, boots every PD, no faults', (file) => {
    const { runtime, errors } = deterministicFromFile(`${DIR}/${file}`, {
      registry: touchAll,
      record: true,
    });
    expect(errors).toEqual([]);
    const r = runtime!.run({ maxSteps: 1000 });
    expect(r).toMatchObject({ status: 'quiescent', faults: [] });
    const pds = loadSystemModel(`${DIR}/${file}`).model!.pds.length;
    expect(runtime!.rec!.count('init')).toBe(pds);
  });

  it('boots the built-in default system (impl/systems/echo_server) with stand-ins', () => {
    const file = 'impl/systems/echo_server/echo_server.system';
    const { runtime, errors } = deterministicFromFile(file, { registry: touchAll, record: true });
    expect(errors).toEqual([]);
    expect(runtime!.run({ maxSteps: 1000 })).toMatchObject({ status: 'quiescent', faults: [] });
    expect(runtime!.rec!.count('init')).toBe(loadSystemModel(file).model!.pds.length);
  });

  it('reports a parse error of the .system file as located diagnostics', () => {
    const { runtime, errors } = deterministicFromFile(
      'test/fixtures/runtime/does_not_exist.system',
      { registry: touchAll },
    );
    expect(runtime).toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
  });
});
