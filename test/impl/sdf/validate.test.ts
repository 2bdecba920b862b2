// Boundaries of the global rules in impl/sdf/validate.ts (found by the mutation run of
// test/impl/sdf/mutation/stryker.json): each rule holds exactly at its limit and fires one past it.

import { describe, expect, it } from 'vitest';
import { parseSystem, SDF_CODES } from '../../../impl/sdf/index.ts';

const pd = (name: string, prio: number, body = '', attrs = ''): string =>
  `<protection_domain name="${name}" priority="${prio}"${attrs}><program_image path="x" />${body}</protection_domain>`;

function codes(parts: readonly string[], dialect: '1' | '2' = '2'): string[] {
  const r = parseSystem(`<system>\n${parts.join('\n')}\n</system>`, { file: 'v', dialect });
  return [...r.errors, ...r.warnings].map((d) => d.code);
}

describe('validate boundaries', () => {
  it('PPC needs a strictly higher callee priority: equal priority is an error', () => {
    const ch = '<channel><end pd="a" id="0" pp="true" /><end pd="b" id="0" /></channel>';
    expect(codes([pd('a', 5), pd('b', 6), ch])).toEqual([]);
    expect(codes([pd('a', 5), pd('b', 5), ch])).toEqual([SDF_CODES.ppcPriority]);
  });

  it('1.x PD-level pp warns from equal priority on', () => {
    const ch = '<channel><end pd="a" id="0" /><end pd="b" id="0" /></channel>';
    expect(codes([pd('a', 5), pd('b', 6, '', ' pp="true"'), ch], '1')).toEqual([]);
    expect(codes([pd('a', 5), pd('b', 5, '', ' pp="true"'), ch], '1')).toEqual([
      SDF_CODES.legacyPpcPriority,
    ]);
  });

  it('maps and fixed MRs may touch but not overlap', () => {
    const mrs =
      '<memory_region name="m1" size="0x1000" phys_addr="0x9000000" />' +
      '<memory_region name="m2" size="0x1000" phys_addr="0x9001000" />';
    const touching = '<map mr="m1" vaddr="0x1000000" /><map mr="m2" vaddr="0x1001000" />';
    expect(codes([mrs, pd('a', 1, touching)])).toEqual([]);
    const overlapping = '<map mr="m1" vaddr="0x1000000" /><map mr="m2" vaddr="0x1000000" />';
    expect(codes([mrs, pd('a', 1, overlapping)])).toEqual([SDF_CODES.mapOverlap]);
    const physClash = mrs.replace('0x9001000', '0x9000000');
    expect(codes([physClash, pd('a', 1, touching)])).toEqual([SDF_CODES.physOverlap]);
    // Touching from below (the later one ends where the earlier one starts) is fine too.
    const below =
      '<memory_region name="m1" size="0x1000" phys_addr="0x9001000" />' +
      '<memory_region name="m2" size="0x1000" phys_addr="0x9000000" />';
    const mapsBelow = '<map mr="m1" vaddr="0x1001000" /><map mr="m2" vaddr="0x1000000" />';
    expect(codes([below, pd('a', 1, mapsBelow)])).toEqual([]);
  });

  it('a physical range that reaches 2^64 overflows u64, as in Microkit', () => {
    const mr = (phys: string): string =>
      `<memory_region name="m" size="0x1000" phys_addr="${phys}" />`;
    const map = pd('a', 1, '<map mr="m" vaddr="0x1000" />');
    expect(codes([mr('0xffffffffffffe000'), map])).toEqual([]);
    expect(codes([mr('0xfffffffffffff000'), map])).toEqual([SDF_CODES.physOverflow]);
  });

  it('a map may end exactly at the top of the address space', () => {
    const mr = '<memory_region name="m" size="0x2000" />';
    // Default stack 0x2000: maps must end at or below 0xffffffc000.
    expect(codes([mr, pd('a', 1, '<map mr="m" vaddr="0xffffffa000" />')])).toEqual([]);
    expect(codes([mr, pd('a', 1, '<map mr="m" vaddr="0xffffffb000" />')])).toEqual([
      SDF_CODES.mapBound,
    ]);
  });

  it('checks the maps of a virtual machine too', () => {
    const mrs =
      '<memory_region name="m1" size="0x1000" /><memory_region name="m2" size="0x1000" />';
    const vm = (maps: string): string =>
      pd('vmm', 1, `<virtual_machine name="guest"><vcpu id="0" />${maps}</virtual_machine>`);
    expect(
      codes([mrs, vm('<map mr="m1" vaddr="0x1000" /><map mr="m2" vaddr="0x2000" />')]),
    ).toEqual([]);
    const r = parseSystem(
      `<system>${mrs}${vm('<map mr="m1" vaddr="0x1000" /><map mr="m2" vaddr="0x1000" />')}</system>`,
      { file: 'v' },
    );
    expect(r.errors.map((e) => e.message)).toEqual([
      "map for 'm2' has virtual address range [0x1000..0x2000) which overlaps with map for 'm1' [0x1000..0x2000) in virtual machine 'guest'",
    ]);
    expect(
      codes([mrs, vm('<map mr="m1" vaddr="0x1000" /><map mr="zz" vaddr="0x3000" />')]),
    ).toEqual([SDF_CODES.unknownMr, SDF_CODES.unusedMr]);
  });

  it('63 PDs are allowed, 64 are not', () => {
    const many = (n: number): string[] => Array.from({ length: n }, (_, i) => pd(`p${i}`, 1));
    expect(codes(many(63))).toEqual([]);
    expect(codes(many(64))).toEqual([SDF_CODES.tooManyPds]);
  });

  it('a 64-character PD name is fine, 65 is truncated by the monitor', () => {
    expect(codes([pd('n'.repeat(64), 1)])).toEqual([]);
    expect(codes([pd('n'.repeat(65), 1)])).toEqual([SDF_CODES.nameTruncated]);
  });

  it('children without an id are reported once each, not as duplicate ids', () => {
    const child = (n: string): string =>
      `<protection_domain name="${n}"><program_image path="x" /></protection_domain>`;
    expect(codes([pd('a', 1, child('b') + child('c'))])).toEqual([
      SDF_CODES.missingAttr,
      SDF_CODES.missingAttr,
    ]);
  });
});
