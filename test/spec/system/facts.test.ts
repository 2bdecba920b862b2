import { expect, it } from 'vitest';
import { parseSystem, parseSystemFile } from '../../../impl/sdf/index.ts';
import { InvariantError } from '../../../spec/common/assert.ts';
import { deriveFacts } from '../../../spec/system/facts.ts';
import type { SystemModel } from '../../../spec/system/model.ts';

import { describeShared, SHARED_SDF_FIXTURES } from '../../helpers/shared.ts';
const SHARED = SHARED_SDF_FIXTURES;
function load(name: string): SystemModel {
  const r = parseSystemFile(`${SHARED}/${name}`);
  if (r.model === undefined) throw new Error(`${name}: ${JSON.stringify(r.errors)}`);
  return r.model;
}

describeShared('deriveFacts', () => {
  const echo = load('sddf_echo_server_qemu_virt_aarch64.system');
  const facts = deriveFacts(echo);

  it('gives each PD its address space as half-open ranges, sorted by vaddr', () => {
    const space = facts.addressSpaces.get('net_virt_rx') ?? [];
    expect(space).toHaveLength(7);
    const rxDma = space.find((e) => e.mr === 'net_rx_buffer_data_region');
    expect(rxDma).toMatchObject({
      vaddrStart: 0x2c00000n,
      vaddrEnd: 0x2e00000n,
      perms: { r: true, w: false, x: false },
      cached: true,
    });
    const starts = space.map((e) => e.vaddrStart);
    expect([...starts].sort((a, b) => (a < b ? -1 : 1))).toEqual(starts);
    expect(facts.addressSpaces.get('timer')).toEqual([]);
  });

  it('lists who maps an MR with which perms', () => {
    const m = facts.mappersOf('net_rx_buffer_data_region');
    expect(m.map((x) => [x.name, x.perms.w])).toEqual([
      ['net_virt_rx', false],
      ['copy0', false],
      ['copy1', false],
    ]);
    expect(facts.mappersOf('no_such_mr')).toEqual([]);
  });

  it('has two directed edges per channel and turns 1.x PD-level pp into PPC edges', () => {
    expect(facts.channelEdges).toHaveLength(2 * echo.channels.length);
    expect(facts.ppcEdges.map((e) => [e.caller, e.callee, e.legacyPp])).toEqual([
      ['client0', 'timer', true],
      ['client1', 'timer', true],
    ]);
    const e = facts.channelEdges.find((x) => x.from === 'eth' && x.to === 'net_virt_rx');
    expect(e).toMatchObject({ fromId: 2, toId: 0, notify: true, pp: false });
  });

  it('uses end-level pp and notify in 2.x', () => {
    const gpu = deriveFacts(load('sddf_gpu_qemu_virt_aarch64.system'));
    expect(gpu.ppcEdges).toEqual([
      expect.objectContaining({
        caller: 'client',
        callee: 'timer_driver',
        callerPriority: 1,
        calleePriority: 254,
        legacyPp: false,
      }),
    ]);
    const src = [
      '<system>',
      '<protection_domain name="a"><program_image path="a" /></protection_domain>',
      '<protection_domain name="b"><program_image path="b" /></protection_domain>',
      '<channel><end pd="a" id="0" notify="false" /><end pd="b" id="3" /></channel>',
      '</system>',
    ].join('\n');
    const m = parseSystem(src, { file: 's' }).model;
    if (m === undefined) throw new Error('no model');
    const edges = deriveFacts(m).channelEdges;
    expect(edges.map((x) => [x.from, x.to, x.notify])).toEqual([
      ['a', 'b', false],
      ['b', 'a', true],
    ]);
  });

  it('promotes an implicit page size to 2 MiB only when every address allows it', () => {
    const src = (vaddr: string, phys: string): string =>
      [
        '<system>',
        `<memory_region name="big" size="0x400000"${phys} />`,
        '<memory_region name="fixed" size="0x400000" page_size="0x1000" />',
        '<memory_region name="small" size="0x3000" />',
        '<protection_domain name="a"><program_image path="a" />',
        `<map mr="big" vaddr="${vaddr}" /><map mr="fixed" vaddr="0x10000000" />`,
        '<map mr="small" vaddr="0x20000000" />',
        '</protection_domain></system>',
      ].join('\n');
    const facts = (vaddr: string, phys = ''): ReturnType<typeof deriveFacts> => {
      const m = parseSystem(src(vaddr, phys), { file: 'p' }).model;
      if (m === undefined) throw new Error('no model');
      return deriveFacts(m);
    };
    expect(facts('0x40000000').effectivePageSizeOf('big')).toBe(0x200000n);
    expect(facts('0x40001000').effectivePageSizeOf('big')).toBe(0x1000n);
    expect(facts('0x40000000', ' phys_addr="0x1000"').effectivePageSizeOf('big')).toBe(0x1000n);
    expect(facts('0x40000000').effectivePageSizeOf('fixed')).toBe(0x1000n);
    expect(facts('0x40000000').effectivePageSizeOf('small')).toBe(0x1000n);
    expect(facts('0x40000000').effectivePageSizeOf('nope')).toBeUndefined();
  });

  it('IRQs per PD', () => {
    expect(facts.irqsOf('eth').map((i) => [i.irq, i.id, i.trigger])).toEqual([[79, 0, 'edge']]);
    expect(facts.irqsOf('client0')).toEqual([]);
  });

  it('includes VM address spaces and mappers', () => {
    const src = [
      '<system><memory_region name="ram" size="0x200000" page_size="0x200000" />',
      '<protection_domain name="vmm" priority="1"><program_image path="vmm" />',
      '<map mr="ram" vaddr="0x40000000" />',
      '<virtual_machine name="linux"><vcpu id="0" /><map mr="ram" vaddr="0x40000000" perms="rwx" /></virtual_machine>',
      '</protection_domain></system>',
    ].join('\n');
    const m = parseSystem(src, { file: 'vm' }).model;
    if (m === undefined) throw new Error('no model');
    const f = deriveFacts(m);
    expect(f.mappersOf('ram').map((x) => [x.name, x.kind, x.pd, x.perms.x])).toEqual([
      ['vmm', 'pd', 'vmm', false],
      ['linux', 'vm', 'vmm', true],
    ]);
    expect(f.vmAddressSpaces.get('linux')?.[0]?.vaddrEnd).toBe(0x40200000n);
    expect(f.addressSpaces.get('linux')).toBeUndefined();
    expect(f.addressSpaces.get('vmm')?.[0]?.perms.x).toBe(false);
  });

  it('rejects a model that was not validated (map of an unknown MR)', () => {
    const broken: SystemModel = { ...echo, memoryRegions: echo.memoryRegions.slice(1) };
    expect(() => deriveFacts(broken)).toThrow(InvariantError);
  });

  it('with `partial` (the auditor on a partialModel) skips what the model does not declare', () => {
    const dropped = echo.memoryRegions[0]?.name ?? '';
    const broken: SystemModel = { ...echo, memoryRegions: echo.memoryRegions.slice(1) };
    const f = deriveFacts(broken, { partial: true });
    expect(f.mappersOf(dropped)).toEqual([]);
    const kept = [...f.addressSpaces.values()].flat().map((e) => e.mr);
    expect(kept).not.toContain(dropped);
    expect(kept.length).toBeGreaterThan(0);
    const [ch] = echo.channels;
    if (ch === undefined) throw new Error('echo has channels');
    const ghost: SystemModel = {
      ...echo,
      dialect: '2',
      channels: [
        {
          ...ch,
          ends: [
            { ...ch.ends[0], pp: true },
            { ...ch.ends[1], pd: 'ghost' },
          ],
        },
      ],
    };
    expect(() => deriveFacts(ghost)).toThrow(InvariantError);
    const g = deriveFacts(ghost, { partial: true });
    expect(g.channelEdges.map((e) => [e.from, e.to, e.pp])).toEqual([
      [ch.ends[0].pd, 'ghost', true],
      ['ghost', ch.ends[0].pd, false],
    ]);
    expect(g.ppcEdges).toEqual([]);
  });

  it('a repeated PD name resolves to its first declaration', () => {
    const [first] = echo.pds;
    if (first === undefined) throw new Error('echo has PDs');
    const again = { ...first, priority: first.priority + 1 };
    const f = deriveFacts({ ...echo, pds: [...echo.pds, again] }, { partial: true });
    expect(f.pd(first.name)).toBe(first);
  });
});
