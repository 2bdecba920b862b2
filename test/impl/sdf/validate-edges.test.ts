// Issue 12 part 7: the global checks of impl/sdf/validate.ts that the Microkit releases brought
// (issue #10: I/O ports, IOMMU address spaces, cap slots, prefill setvars, channel-end setvar_ids,
// x86 vCPU PDs, x86 setvars), each on both sides of its condition and at its edge, so that the
// mutation run has a test that tells each mutant apart. Examples are Microkit's own wording
// (tool/microkit/src/sdf.rs at 2.3.0) as validate.ts reproduces it.
import { describe, expect, it } from 'vitest';
import { parseSystem, SDF_CODES } from '../../../impl/sdf/index.ts';
import type { MicrokitVersion } from '../../../spec/system/model.ts';

const pd = (name: string, attrs = '', body = ''): string =>
  `<protection_domain name="${name}"${attrs}><program_image path="${name}.elf" />${body}</protection_domain>`;
const sys = (...parts: string[]): string => `<system>\n${parts.join('\n')}\n</system>`;

/** Errors and warnings as `CODE@line: message`. */
function diags(text: string, microkit?: MicrokitVersion): string[] {
  const r = parseSystem(text, { file: 'v', ...(microkit ? { microkit } : {}) });
  return [...r.errors, ...r.warnings].map((d) => `${d.code}@${d.line}: ${d.message}`);
}

const port = (id: number, addr: string, size: number) =>
  `<ioport id="${id}" addr="${addr}" size="${size}" />`;

describe('I/O ports (2.1+, x86_64)', () => {
  it('ranges touch without overlapping; one shared port overlaps, named half-open (2.2+) or inclusive (2.1)', () => {
    const touching = sys(pd('a', '', port(0, '0x3f8', 8)), pd('b', '', port(0, '0x400', 1)));
    expect(diags(touching, '2.3')).toEqual([]);
    const below = sys(pd('a', '', port(0, '0x3f8', 8)), pd('b', '', port(0, '0x3f0', 8)));
    expect(diags(below, '2.3')).toEqual([]);
    const shared = sys(pd('a', '', port(0, '0x3f8', 8)), pd('b', '', port(3, '0x3ff', 2)));
    expect(diags(shared, '2.3')).toEqual([
      `${SDF_CODES.ioportOverlap}@3: I/O port id: 3, half-open range: [0x3ff, 0x401) in protection domain: 'b' overlaps with I/O port id: 0, half-open range: [0x3f8, 0x400) in protection domain: 'a'`,
    ]);
    expect(diags(shared, '2.1')).toEqual([
      `${SDF_CODES.ioportOverlap}@3: I/O port id: 3, inclusive range: [0x3ff, 0x400] in protection domain: 'b' overlaps with I/O port id: 0, inclusive range: [0x3f8, 0x3ff] in protection domain: 'a'`,
    ]);
  });

  it('port ids are unique per PD only', () => {
    const dup = sys(
      pd('a', '', port(1, '0x10', 1) + port(1, '0x20', 1)),
      pd('b', '', port(1, '0x30', 1)),
    );
    expect(diags(dup, '2.3')).toEqual([
      `${SDF_CODES.ioportDuplicateId}@2: duplicate I/O port id: 1 in protection domain: 'a'`,
    ]);
  });
});

describe('IOMMU address spaces (2.3)', () => {
  const space = (maps: string) =>
    `<io_address_space name="nvme" peripheral_id="4:0.0" domain_id="1">${maps}</io_address_space>`;
  const mrs = [
    '<memory_region name="ring" size="0x1000" />',
    '<memory_region name="ring2" size="0x2000" />',
    '<memory_region name="big" size="0x200000" page_size="0x200000" />',
  ];
  const mapped = pd(
    'a',
    '',
    '<map mr="ring" vaddr="0x100000" /><map mr="ring2" vaddr="0x200000" /><map mr="big" vaddr="0x400000" />',
  );

  it('a large-page region in any IOMMU space is refused once, and the spaces are not checked further', () => {
    const t = sys(
      ...mrs,
      mapped,
      space('<iomap mr="ring" iovaddr="0x1001" /><iomap mr="big" iovaddr="0x200000" />'),
    );
    expect(diags(t, '2.3')).toEqual([
      `${SDF_CODES.iomap}@6: currently seL4 does not have large page support for the IOMMU`,
    ]);
  });

  it('small pages: per space, alignment, the IOVA limit and overlap, as for maps', () => {
    const ok = sys(
      ...mrs,
      mapped,
      space('<iomap mr="ring" iovaddr="0x5000" /><iomap mr="ring2" iovaddr="0x6000" />'),
    );
    expect(diags(ok, '2.3')).toEqual([]);
    const bad = sys(
      ...mrs,
      mapped,
      space(
        '<iomap mr="ring" iovaddr="0x5800" /><iomap mr="ring" iovaddr="0x5000" /><iomap mr="ring2" iovaddr="0x4000" /><iomap mr="ring2" iovaddr="0x7ffffff000" /><iomap mr="ring" iovaddr="0x7ffffff000" /><iomap mr="nope" iovaddr="0x0" />',
      ),
    );
    expect(diags(bad, '2.3')).toEqual([
      `${SDF_CODES.mapAlign}@6: invalid iovaddr alignment on 'iomap'`,
      `${SDF_CODES.mapOverlap}@6: map for 'ring2' has io address range [0x4000..0x6000) which overlaps with map for 'ring' [0x5000..0x6000) in PCI device 04:00.0`,
      `${SDF_CODES.mapBound}@6: iomap for 'ring2' has io address range [0x7ffffff000..0x8000001000) which exceeds valid address space [0x0..0x8000000000)`,
      `${SDF_CODES.unknownMr}@6: invalid memory region name 'nope' on 'iomap'`,
    ]);
  });
});

describe('cap slots (2.3 cspace)', () => {
  it('two caps in one slot: one error at the second, listing every cap there; other slots are fine', () => {
    const t = sys(
      pd(
        'a',
        '',
        '<cspace><cap_tcb slot="1" pd="b" /><cap_vspace slot="2" pd="b" /><cap_sc slot="1" pd="b" /><cap_tcb slot="3" pd="a" /></cspace>',
      ),
      pd('b', '', '<cspace><cap_tcb slot="1" pd="a" /></cspace>'),
    );
    const d = diags(t, '2.3');
    expect(d).toHaveLength(1);
    expect(d[0]).toBe(
      `${SDF_CODES.capOverlap}@2: overlapping user caps in slot 1 of protection domain 'a':\n  type Tcb from 'b' at 'v:2:67'\n  type Sc from 'b' at 'v:2:124'`,
    );
    const r = parseSystem(t, { file: 'v', microkit: '2.3' });
    expect(r.errors[0]).toMatchObject({ line: 2, column: 124 }); // the second cap of the slot
  });
});

describe('setvar_prefill_size (2.2+)', () => {
  it('needs a region with a prefill_path; an undeclared region is the map check’s error', () => {
    const t = sys(
      '<memory_region name="m" size="0x1000" />',
      '<memory_region name="f" size="0x1000" prefill_path="f.bin" />',
      pd(
        'a',
        '',
        '<map mr="m" vaddr="0x100000" setvar_prefill_size="s1" /><map mr="f" vaddr="0x200000" setvar_prefill_size="s2" /><map mr="f" vaddr="0x300000" /><map mr="nope" vaddr="0x400000" setvar_prefill_size="s3" />',
      ),
    );
    expect(diags(t, '2.3')).toEqual([
      `${SDF_CODES.unknownMr}@4: invalid memory region name 'nope' on 'map'`,
      `${SDF_CODES.prefill}@2: 'setvar_prefill_size' used for MR without a \`prefill_path\` @ 'm'`,
    ]);
  });
});

describe("a channel end's setvar_id (2.1+) shares its PD's symbols", () => {
  it('clashes with a map setvar and with an earlier end of the same PD, never across PDs', () => {
    const t = sys(
      '<memory_region name="m" size="0x1000" />',
      pd('a', '', '<map mr="m" vaddr="0x100000" setvar_vaddr="x" />'),
      pd('b'),
      '<channel><end pd="a" id="0" setvar_id="x" /><end pd="b" id="0" setvar_id="x" /></channel>',
      '<channel><end pd="a" id="1" setvar_id="z" /><end pd="b" id="1" setvar_id="x" /></channel>',
      '<channel><end pd="a" id="2" /><end pd="b" id="2" setvar_id="w" /></channel>',
    );
    expect(diags(t, '2.3')).toEqual([
      `${SDF_CODES.setvarDuplicate}@5: setvar on symbol 'x' already exists on element 'channel'`,
      `${SDF_CODES.setvarDuplicate}@6: setvar on symbol 'x' already exists on element 'channel'`,
    ]);
  });
});

describe('x86_64 at 2.3: PDs with a bound vCPU', () => {
  const vm = '<virtual_machine name="vm"><vcpu id="0" /></virtual_machine>';
  it('may not have children (with children but no vCPU, or a vCPU and no children, is fine)', () => {
    const t = sys(
      pd('v', '', port(0, '0x3f8', 8) + vm + pd('c', ' id="1"')),
      pd('p', '', pd('q', ' id="1"')),
      pd('w', '', '<virtual_machine name="vm2"><vcpu id="0" /></virtual_machine>'),
    );
    expect(diags(t, '2.3')).toEqual([
      `${SDF_CODES.x86Vm}@2: It is not possible for PD 'v' with a bound vCPU to have children on x86_64`,
    ]);
    expect(diags(t.replace(port(0, '0x3f8', 8), ''), '2.3')).toEqual([]); // aarch64: allowed
  });

  it('may not be PP-called, from either end', () => {
    const ch = (ppOnA: boolean) =>
      sys(
        pd('a', ' priority="1"', port(0, '0x3f8', 8)),
        pd('v', ' priority="5"', vm),
        `<channel><end pd="${ppOnA ? 'a' : 'v'}" id="0" pp="true" /><end pd="${ppOnA ? 'v' : 'a'}" id="0" /></channel>`,
      );
    expect(diags(ch(true), '2.3')).toEqual([
      `${SDF_CODES.x86Vm}@4: It is not possible to PPC to PD 'v' with a bound vCPU from PD 'a' on x86_64`,
    ]);
    // v calling a (lower priority) is a priority error, not a vCPU one.
    expect(diags(ch(false), '2.3').map((d) => d.split('@')[0])).toEqual([SDF_CODES.ppcPriority]);
    const notify = sys(
      pd('a', '', port(0, '0x3f8', 8)),
      pd('v', '', vm),
      '<channel><end pd="a" id="0" /><end pd="v" id="0" /></channel>',
    );
    expect(diags(notify, '2.3')).toEqual([]);
  });
});

describe('setvar region_paddr on x86_64', () => {
  const t = sys(
    '<memory_region name="m" size="0x1000" />',
    '<memory_region name="n" size="0x1000" phys_addr="0x100000" />',
    pd(
      'a',
      '',
      `${port(0, '0x3f8', 8)}<setvar symbol="s" region_paddr="m" /><setvar symbol="t" region_paddr="n" /><setvar symbol="u" region_paddr="nope" /><map mr="m" vaddr="0x100000" /><map mr="n" vaddr="0x200000" />`,
    ),
  );
  it('2.2+: the region needs a phys_addr; an unknown region is still named as such', () => {
    expect(diags(t, '2.3')).toEqual([
      `${SDF_CODES.setvarX86}@4: setvar with 'region_paddr' for MR without a specified paddr is unsupported on x86-64 @ 'm'`,
      `${SDF_CODES.setvarUnknownMr}@4: invalid memory region name 'nope' on 'setvar'`,
    ]);
  });
  it('2.1: every setvar is refused on x86; on aarch64 none of them is', () => {
    expect(diags(t, '2.1').map((d) => d.split(':')[0])).toEqual([
      `${SDF_CODES.setvarX86}@4`,
      `${SDF_CODES.setvarX86}@4`,
      `${SDF_CODES.setvarX86}@4`,
    ]);
    expect(diags(t.replace(port(0, '0x3f8', 8), ''), '2.3')).toEqual([
      `${SDF_CODES.setvarUnknownMr}@4: invalid memory region name 'nope' on 'setvar'`,
    ]);
  });
});

describe('releases: what is bounded, and what the model carries', () => {
  it('1.4 checks no map bound; 2.0 does (stack 0x1000 below 2^40 then)', () => {
    const t = sys(
      '<memory_region name="m" size="0x2000" />',
      pd('a', '', '<map mr="m" vaddr="0xffffffe000" />'),
    );
    expect(diags(t, '1.4')).toEqual([]);
    expect(diags(t, '2.0').map((d) => d.split('@')[0])).toEqual([SDF_CODES.mapBound]);
  });
  it('a system without IOMMU spaces or domains has no such keys in its model', () => {
    const m = parseSystem(sys(pd('a')), { file: 'v' }).model!;
    expect(Object.keys(m)).not.toContain('ioAddressSpaces');
    expect(Object.keys(m)).not.toContain('domainSchedule');
  });
});

describe('after the mutation run: two more release and naming edges', () => {
  it('1.4 does not warn about unused regions (Microkit added the warning in 2.0)', () => {
    const t = sys('<memory_region name="lonely" size="0x1000" />', pd('a'));
    expect(diags(t, '1.4')).toEqual([]);
    expect(diags(t, '2.0')).toEqual([`${SDF_CODES.unusedMr}@2: unused memory region 'lonely'`]);
  });

  it("a repeated PD name: channel setvar_ids meet the first declaration's symbols", () => {
    const t = sys(
      '<memory_region name="m" size="0x1000" />',
      pd('a', '', '<map mr="m" vaddr="0x100000" setvar_vaddr="x" />'),
      pd('a', ' priority="1"'),
      pd('b'),
      '<channel><end pd="a" id="0" setvar_id="x" /><end pd="b" id="0" /></channel>',
    );
    expect(diags(t, '2.3').map((d) => d.split(':')[0])).toEqual([
      `${SDF_CODES.setvarDuplicate}@6`,
      `${SDF_CODES.duplicatePdName}@4`,
    ]);
  });
});
