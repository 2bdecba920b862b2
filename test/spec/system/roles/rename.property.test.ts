// Property (issue #10): role inference is stable under renaming every PD and VM — structure
// decides, and the names that break ties are those of program images and memory regions, never a
// PD's own. For every fixture (the shared ones, the real corpus and ours), any renaming — with
// decoy names such as `driver3` or `client0` handed to the wrong PDs — gives every PD the same role
// (and acts), and every MR the same kind (and owner, where one client maps it). A seeded bug, an
// inference that trusts PD names, is caught (the property can fail).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSystem } from '../../../../impl/sdf/index.ts';
import type { SystemModel } from '../../../../spec/system/model.ts';
import { inferRoles } from '../../../../spec/system/roles/infer.ts';
import { roleTier, type Roles } from '../../../../spec/system/roles/vocabulary.ts';
import { AUDIT_FIXTURES, SHARED_FIXTURES, systemFiles } from '../audit/fixtures.ts';
import { SHARED_AVAILABLE } from '../../../helpers/shared.ts';

const files = [
  ...systemFiles(SHARED_FIXTURES),
  ...systemFiles(`${SHARED_FIXTURES}/real`),
  ...systemFiles(AUDIT_FIXTURES),
];
const models: SystemModel[] = files.flatMap((f) => {
  const r = parseSystem(readFileSync(f, 'utf8'), { file: f });
  const m = r.model ?? r.partialModel;
  return m === undefined ? [] : [m];
});

/** Rename every PD and VM (consistently: parents, channel ends, cap maps). */
function renamed(model: SystemModel, rename: (old: string) => string): SystemModel {
  return {
    ...model,
    pds: model.pds.map((pd) => ({
      ...pd,
      name: rename(pd.name),
      ...(pd.parent === undefined ? {} : { parent: rename(pd.parent) }),
      ...(pd.virtualMachine === undefined
        ? {}
        : { virtualMachine: { ...pd.virtualMachine, name: rename(pd.virtualMachine.name) } }),
      ...(pd.capMaps === undefined
        ? {}
        : { capMaps: pd.capMaps.map((c) => ({ ...c, pd: rename(c.pd) })) }),
    })),
    channels: model.channels.map((ch) => ({
      ...ch,
      ends: [
        { ...ch.ends[0], pd: rename(ch.ends[0].pd) },
        { ...ch.ends[1], pd: rename(ch.ends[1].pd) },
      ],
    })),
  };
}

const DECOYS = [
  'driver',
  'client',
  'virt',
  'copy',
  'eth',
  'uart',
  'timer',
  'bench',
  'vmm',
  'fs',
  'p',
];

/** A renaming: a decoy word per PD/VM plus its index, so names stay distinct. */
const renaming = (names: readonly string[]): fc.Arbitrary<Map<string, string>> =>
  fc
    .array(fc.constantFrom(...DECOYS), { minLength: names.length, maxLength: names.length })
    .map((words) => new Map(names.map((n, i) => [n, `${words[i] ?? 'p'}_${i}`] as const)));

function namesOf(m: SystemModel): string[] {
  return [
    ...new Set(
      m.pds.flatMap((p) => [p.name, ...(p.virtualMachine ? [p.virtualMachine.name] : [])]),
    ),
  ];
}

/** The differences between the roles of `m` and those of its renaming (empty: stable). */
function differences(
  infer: (m: SystemModel) => Roles,
  m: SystemModel,
  map: ReadonlyMap<string, string>,
): string[] {
  const rename = (n: string): string => map.get(n) ?? n;
  const before = infer(m);
  const after = infer(renamed(m, rename));
  const out: string[] = [];
  for (const [name, info] of before.pds) {
    const other = after.pds.get(rename(name));
    const a = `${info.role}/${info.acts}`;
    const b = `${other?.role}/${other?.acts}`;
    if (a !== b) out.push(`PD ${name}: ${a} became ${b} as ${rename(name)}`);
  }
  for (const [mr, info] of before.mrs) {
    const other = after.mrs.get(mr);
    if (info.kind !== other?.kind) out.push(`MR ${mr}: ${info.kind} became ${other?.kind}`);
    const clients = [...before.pds.entries()].filter(
      ([, i]) => i.role !== undefined && roleTier(i.role) === 'client',
    );
    const mappedByOneClient =
      clients.filter(([c]) => m.pds.find((p) => p.name === c)?.maps.some((x) => x.mr === mr))
        .length <= 1;
    const owner = info.owner === undefined ? undefined : rename(info.owner);
    if (mappedByOneClient && owner !== other?.owner) {
      out.push(`MR ${mr}: owner ${info.owner} became ${other?.owner}`);
    }
  }
  return out;
}

const pick = fc
  .nat({ max: Math.max(0, models.length - 1) })
  .chain((i) => renaming(namesOf(models[i] as SystemModel)).map((map) => ({ i, map })));

describe('role inference is stable under renaming every PD', () => {
  it('holds over every fixture (300 random renamings)', () => {
    expect(models.length).toBeGreaterThan(SHARED_AVAILABLE ? 30 : 20);
    fc.assert(
      fc.property(pick, ({ i, map }) => {
        const m = models[i] as SystemModel;
        expect(differences((x) => inferRoles(x), m, map)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('catches an inference that trusts PD names (seeded bug)', () => {
    // The bug: a PD whose own name says "client" is a net client, whatever its structure.
    const nameTrusting = (x: SystemModel): Roles => {
      const r = inferRoles(x);
      const pds = new Map(r.pds);
      for (const pd of x.pds) {
        if (/client/iu.test(pd.name)) pds.set(pd.name, { role: 'net.client', reason: 'name' });
      }
      return { ...r, pds };
    };
    const outcome = fc.check(
      fc.property(pick, ({ i, map }) => {
        const m = models[i] as SystemModel;
        return differences(nameTrusting, m, map).length === 0;
      }),
      { numRuns: 300, seed: 10 },
    );
    expect(outcome.failed).toBe(true);
  });
});
