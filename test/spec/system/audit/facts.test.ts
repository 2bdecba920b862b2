// The auditor's view of the facts (spec/system/audit/facts.ts) is computed from the shared
// derived facts (spec/system/facts.ts, `partial`): it must keep every map and every ppcall the
// shared facts derive on each valid fixture, order the maps the way the rules report them, and
// cope with the partial models the auditor audits when Microkit validation fails.
import { describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { computeFacts, holdersOf } from '../../../../spec/system/audit/facts.ts';
import { deriveFacts } from '../../../../spec/system/facts.ts';
import type { Channel, SystemModel } from '../../../../spec/system/model.ts';
import { AUDIT_FIXTURES, SHARED_FIXTURES, loadModel, systemFiles } from './fixtures.ts';
import { describeShared, itShared } from '../../../helpers/shared.ts';

const ECHO = `${SHARED_FIXTURES}/sddf_echo_server_qemu_virt_aarch64.system`;

function calls(model: SystemModel): string[] {
  return computeFacts(model).channels.flatMap((c) => c.ppcalls.map(([x, y]) => `${x}>${y}`));
}

describe('the audit view keeps the shared facts', () => {
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
      expect(ours.channels.map((c) => c.loc)).toEqual(model.channels.map((c) => c.loc));
    });
  }

  itShared('the echo server (1.x) gives the clients ppcall rights into the passive timer', () => {
    expect(calls(loadModel(ECHO)).sort()).toEqual(['client0>timer', 'client1>timer']);
  });
});

describeShared('the audit view of a partial model', () => {
  const echo = loadModel(ECHO);
  const [pdA, pdB] = echo.pds;
  const [ch0] = echo.channels;
  if (pdA === undefined || pdB === undefined || ch0 === undefined) throw new Error('echo fixture');
  const end = (pd: string, pp: boolean): Channel['ends'][0] => ({ ...ch0.ends[0], pd, pp });

  it('skips a map of an undeclared MR (the shared facts without `partial` reject it)', () => {
    const broken: SystemModel = { ...echo, memoryRegions: echo.memoryRegions.slice(1) };
    const dropped = echo.memoryRegions[0]?.name ?? '';
    const f = computeFacts(broken);
    expect(f.mapsOf.has(dropped)).toBe(false);
    expect(f.mapsOf.size).toBe(echo.memoryRegions.length - 1);
    expect(() => deriveFacts(broken)).toThrow();
  });

  it('keeps a channel to an undeclared PD, and its 2.x end pp towards it', () => {
    const ch: Channel = { ends: [end(pdA.name, true), end('ghost', true)], loc: ch0.loc };
    const m: SystemModel = { ...echo, dialect: '2', channels: [ch] };
    const f = computeFacts(m);
    expect(f.channels).toEqual([
      {
        a: pdA.name,
        b: 'ghost',
        ppcalls: [
          [pdA.name, 'ghost'],
          ['ghost', pdA.name],
        ],
        loc: ch.loc,
      },
    ]);
    expect(f.channelPeers.get('ghost')).toEqual(new Set([pdA.name]));
    // The shared PPC edges only join declared PDs.
    expect(f.system.ppcEdges).toEqual([]);
    expect(() => deriveFacts(m)).toThrow();
  });

  it('a repeated PD name: 1.x pp of the first declaration, lookups by the last', () => {
    const first = { ...pdB, ppLegacy: true, priority: 7 };
    const second = { ...pdB, ppLegacy: false, priority: 9 };
    const ch: Channel = { ends: [end(pdA.name, false), end(pdB.name, false)], loc: ch0.loc };
    const m: SystemModel = { ...echo, dialect: '1', pds: [pdA, first, second], channels: [ch] };
    expect(calls(m)).toEqual([`${pdA.name}>${pdB.name}`]);
    expect(computeFacts(m).pdByName.get(pdB.name)?.priority).toBe(9);
    const swapped: SystemModel = { ...m, pds: [pdA, second, first] };
    expect(calls(swapped)).toEqual([]);
  });

  it('a channel from a PD to itself names each ppcall once and makes no peer', () => {
    const ch: Channel = { ends: [end(pdA.name, true), end(pdA.name, true)], loc: ch0.loc };
    const f = computeFacts({ ...echo, dialect: '2', channels: [ch] });
    expect(f.channels[0]?.ppcalls).toEqual([[pdA.name, pdA.name]]);
    expect(f.channelPeers.size).toBe(0);
  });

  it('orders maps as every PD map, then every VM map', () => {
    const mr = echo.memoryRegions[0];
    const map = pdA.maps[0];
    if (mr === undefined || map === undefined) throw new Error('echo fixture');
    const shared = { ...map, mr: mr.name };
    const vm = { name: 'guest', vcpus: [{ id: 0 }], maps: [shared], loc: pdA.loc };
    const withVm = { ...pdA, maps: [shared], virtualMachine: vm };
    const plain = { ...pdB, maps: [shared] };
    const m: SystemModel = { ...echo, pds: [withVm, plain], channels: [] };
    const refs = computeFacts(m).mapsOf.get(mr.name) ?? [];
    expect(refs.map((r) => [r.holder, r.pd, r.inVm])).toEqual([
      [pdA.name, pdA.name, false],
      [pdB.name, pdB.name, false],
      ['guest', pdA.name, true],
    ]);
    expect(holdersOf(computeFacts(m), mr.name)).toEqual([pdA.name, pdB.name, 'guest']);
    // The shared facts list the same maps PD by PD.
    expect(
      deriveFacts(m)
        .mappersOf(mr.name)
        .map((x) => x.name),
    ).toEqual([pdA.name, 'guest', pdB.name]);
  });
});
