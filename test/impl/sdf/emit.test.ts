import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { emitSystem, parseSystem, parseSystemFile } from '../../../impl/sdf/index.ts';
import { InvariantError } from '../../../spec/common/assert.ts';
import { deriveFacts } from '../../../spec/system/facts.ts';
import type { SystemModel } from '../../../spec/system/model.ts';

import { describeShared, SHARED_AVAILABLE, SHARED_SDF_FIXTURES } from '../../helpers/shared.ts';
const SHARED = SHARED_SDF_FIXTURES;
const fixtures = (SHARED_AVAILABLE ? readdirSync(SHARED) : []).filter((f) => f.endsWith('.system'));

/** The model without locations (and without the file name, which differs by construction). */
function stripped(m: SystemModel | undefined): unknown {
  return JSON.parse(
    JSON.stringify(m, (k, v: unknown) =>
      k === 'loc' || k === 'attrLocs' || k === 'file'
        ? undefined
        : typeof v === 'bigint'
          ? `${v}n`
          : v,
    ),
  );
}

describeShared('emitSystem round trip', () => {
  for (const f of fixtures) {
    it(`${f}: parse → emit → parse gives an equal model`, () => {
      const first = parseSystemFile(join(SHARED, f));
      expect(first.errors).toEqual([]);
      const model = first.model;
      if (model === undefined) throw new Error('no model');
      const text = emitSystem(model);
      const again = parseSystem(text, { file: 'emitted.system', dialect: model.dialect });
      expect(again.errors).toEqual([]);
      expect(stripped(again.model)).toEqual(stripped(model));
      // Emitting is deterministic and a fixed point after one round.
      expect(again.model && emitSystem(again.model)).toBe(text);
    });
  }

  it('detects a changed model (the comparison can fail)', () => {
    const model = parseSystemFile(join(SHARED, 'sddf_timer_qemu_virt_aarch64.system')).model;
    if (model === undefined) throw new Error('no model');
    const text = emitSystem(model).replace('priority="254"', 'priority="253"');
    const again = parseSystem(text, { file: 'x', dialect: '1' });
    expect(stripped(again.model)).not.toEqual(stripped(model));
  });
});

describeShared(
  'emitSystem round trip on the real corpus (x86, 2.1–2.3 syntax, both dialects)',
  () => {
    const REAL = join(SHARED, 'real');
    const real = SHARED_AVAILABLE ? readdirSync(REAL).filter((f) => f.endsWith('.system')) : [];
    for (const f of real) {
      it(`${f}: a valid file round-trips in the release and architecture it was read as`, () => {
        const first = parseSystemFile(join(REAL, f));
        const model = first.model;
        // Files Microkit rejects (and the template) are not emitted: there is no model to emit.
        if (model === undefined || first.microkit === undefined) return;
        const text = emitSystem(model);
        const again = parseSystem(text, {
          file: 'emitted.system',
          microkit: first.microkit.version,
          arch: first.microkit.arch,
        });
        expect(again.errors).toEqual([]);
        const mixed = first.warnings.some((w) => w.code === 'SDF_MIXED_DIALECT');
        if (!mixed) {
          expect(stripped(again.model)).toEqual(stripped(model));
          return;
        }
        // A mixed file is written in one dialect: its 1.x PD-level pp becomes 2.x end pp, so the
        // model differs in form but grants the same protected calls.
        const calls = (m: SystemModel | undefined): string[] =>
          m === undefined
            ? []
            : deriveFacts(m)
                .ppcEdges.map((e) => `${e.caller}->${e.callee}`)
                .sort();
        expect(calls(again.model)).toEqual(calls(model));
      });
    }
  },
);

describeShared('emitSystem guards', () => {
  it('refuses a model whose child PD names a missing parent', () => {
    const model = parseSystemFile(join(SHARED, 'sddf_timer_qemu_virt_aarch64.system')).model;
    if (model === undefined) throw new Error('no model');
    const orphan = { ...model, pds: [model.pds[0], { ...model.pds[1], parent: 'ghost' }] };
    expect(() => emitSystem(orphan as SystemModel)).toThrow(InvariantError);
  });
});

describeShared('emitSystem across dialects', () => {
  it('1 → 2: PD-level pp becomes pp on the lower-priority peer ends (timer)', () => {
    const model = parseSystemFile(join(SHARED, 'sddf_timer_qemu_virt_aarch64.system')).model;
    if (model === undefined) throw new Error('no model');
    const text = emitSystem(model, { dialect: '2' });
    const r = parseSystem(text, { file: 'x', dialect: '2' });
    expect(r.errors).toEqual([]);
    expect(r.model?.pds.every((p) => !p.ppLegacy)).toBe(true);
    expect(r.model?.channels[0]?.ends.map((e) => [e.pd, e.pp])).toEqual([
      ['timer', false],
      ['client', true],
    ]);
    expect(text).not.toContain('dropped');
  });

  it('1 → 2: a pp grant to a peer of higher priority cannot be converted and is listed', () => {
    const model = parseSystemFile(join(SHARED, 'sddf_i2c_odroidc4.system')).model;
    if (model === undefined) throw new Error('no model');
    const text = emitSystem(model, { dialect: '2' });
    expect(text).toContain("PD-level pp of 'virt' towards peer 'driver'");
    const r = parseSystem(text, { file: 'x', dialect: '2' });
    expect(r.errors).toEqual([]);
    const pp = r.model?.channels.flatMap((c) => c.ends.filter((e) => e.pp).map((e) => e.pd));
    expect(pp).toEqual(['client_ds3231', 'client_pn532', 'client_ds3231', 'client_pn532']);
  });

  it('2 → 1: end pp becomes pp on the callee PD', () => {
    const model = parseSystemFile(join(SHARED, 'sddf_gpu_qemu_virt_aarch64.system')).model;
    if (model === undefined) throw new Error('no model');
    const text = emitSystem(model, { dialect: '1' });
    const r = parseSystem(text, { file: 'x' });
    expect(r.dialect).toBe('1');
    expect(r.errors).toEqual([]);
    expect(r.model?.pds.filter((p) => p.ppLegacy).map((p) => p.name)).toEqual(['timer_driver']);
  });

  it('2 → 1: 2.x-only syntax is dropped and listed in a comment', () => {
    const src = [
      '<system>',
      '<memory_region name="m" size="0x1000" />',
      '<protection_domain name="a" priority="1" smc="true">',
      '<program_image path="a" /><map mr="m" vaddr="0x1000" setvar_size="m_size" /></protection_domain>',
      '<protection_domain name="b" priority="2"><program_image path="b" /></protection_domain>',
      '<channel><end pd="a" id="0" notify="false" /><end pd="b" id="0" /></channel>',
      '</system>',
    ].join('\n');
    const model = parseSystem(src, { file: 's' }).model;
    if (model === undefined) throw new Error('no model');
    const text = emitSystem(model, { dialect: '1' });
    expect(text).toMatch(/dropped: .*smc on 'a'.*setvar_size.*notify="false"/u);
    const r = parseSystem(text, { file: 'x', dialect: '1' });
    expect(r.errors).toEqual([]);
    expect(r.model?.pds[0]?.smc).toBe(false);
  });

  it('escapes attribute values', () => {
    const src =
      '<system><protection_domain name="a&amp;b&quot;"><program_image path="x&lt;y" /></protection_domain></system>';
    const model = parseSystem(src, { file: 's' }).model;
    if (model === undefined) throw new Error('no model');
    const again = parseSystem(emitSystem(model), { file: 's' }).model;
    expect(again?.pds[0]?.name).toBe('a&b"');
    expect(again?.pds[0]?.programImage).toBe('x<y');
  });
});
