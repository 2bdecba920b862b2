// Microkit releases and architectures (issue #10 part 1): what a file is read as and why, each check
// at the releases that apply it (seL4/microkit tool/microkit/src/sdf.rs at 1.4.1 … 2.3.0), the
// tool's own limits, and XML as Microkit's reader (roxmltree 0.19, default options) takes it.
import { describe, expect, it } from 'vitest';
import { emitSystem, parseSystem, SDF_CODES } from '../../../impl/sdf/index.ts';
import type { SystemModel } from '../../../spec/system/model.ts';

/** The model without locations and file name (what a round trip must keep). */
const stripped = (m: SystemModel | undefined): unknown =>
  JSON.parse(
    JSON.stringify(m, (k, v: unknown) =>
      k === 'loc' || k === 'attrLocs' || k === 'file'
        ? undefined
        : typeof v === 'bigint'
          ? `${v}n`
          : v,
    ),
  );

const pd = (name: string, attrs = '', body = ''): string =>
  `<protection_domain name="${name}"${attrs}><program_image path="${name}.elf" />${body}</protection_domain>`;
const sys = (...parts: string[]): string => `<system>\n${parts.join('\n')}\n</system>`;

describe('what a file is read as', () => {
  it('the newest release its syntax allows, and x86_64 when it has x86 syntax', () => {
    const x86 = parseSystem(sys(pd('a', '', '<ioport id="0" addr="0x3f8" size="8" />')), {
      file: 'x',
    });
    expect(x86.errors).toEqual([]);
    expect(x86.microkit).toEqual({ version: '2.3', arch: 'x86_64' });
    expect(x86.targetReason).toMatch(/<ioport> at line 2 needs 2\.1\+\), x86_64/);
    const legacy = parseSystem(sys(pd('a', ' pp="true"')), { file: 'x' });
    expect(legacy.microkit).toEqual({ version: '1.4', arch: 'aarch64' });
  });

  it('a file only an older 2.x release accepts is read as that release, with a warning', () => {
    // 2.1+ reserve the name 'monitor' (MONITOR_PD_NAME); 2.0 does not.
    const r = parseSystem(sys(pd('monitor', ' smc="false"')), { file: 'm' });
    expect(r.errors).toEqual([]);
    expect(r.microkit?.version).toBe('2.0');
    expect(r.warnings.map((w) => w.code)).toEqual([SDF_CODES.olderRelease]);
    expect(r.warnings[0]?.message).toMatch(/Microkit 2\.3 rejects it: the PD name 'monitor'/);
    // Forced to the newest release it is an error.
    expect(parseSystem(sys(pd('monitor')), { file: 'm', microkit: '2.3' }).errors[0]?.code).toBe(
      SDF_CODES.reservedPdName,
    );
  });

  it('checks are applied at the releases that have them', () => {
    // PPC priority: only since end-level pp (2.0); a 1.x PD-level pp towards a higher peer warns.
    const ppc = sys(
      pd('a', ' priority="5"'),
      pd('b', ' priority="5" pp="true"'),
      '<channel><end pd="a" id="0" /><end pd="b" id="0" /></channel>',
    );
    const v1 = parseSystem(ppc, { file: 'p' });
    expect(v1.errors).toEqual([]);
    expect(v1.warnings.map((w) => w.code)).toContain(SDF_CODES.legacyPpcPriority);
    // Default stack: 0x1000 until 2.0, 0x2000 from 2.1 (53377eb).
    const m = (v: '2.0' | '2.1'): bigint | undefined =>
      parseSystem(sys(pd('a')), { file: 's', microkit: v }).model?.pds[0]?.stackSizeBytes;
    expect([m('2.0'), m('2.1')]).toEqual([0x1000n, 0x2000n]);
    // x86 vector bound: 0..=107 in 2.3 (X86_IRQ_VECTOR_MAX), >= 0 before.
    const vec = sys(pd('a', '', '<irq pin="4" vector="200" id="0" />'));
    expect(parseSystem(vec, { file: 'v', microkit: '2.2' }).errors).toEqual([]);
    expect(parseSystem(vec, { file: 'v', microkit: '2.3' }).errors[0]?.message).toBe(
      "vector must be within [0..107] on element 'irq'",
    );
    // Elements of later releases are invalid XML elements before them.
    const cs = sys(pd('a', '', '<cspace />'));
    expect(parseSystem(cs, { file: 'c', microkit: '2.2' }).errors[0]?.message).toBe(
      "Invalid XML element 'cspace'",
    );
  });

  it('a VM needs a vCPU at every release, and takes no id (never mainline syntax)', () => {
    const noVcpu = sys(pd('a', ' pp="true"', '<virtual_machine name="vm" id="0" />'));
    const r = parseSystem(noVcpu, { file: 'v' });
    expect(r.errors.map((e) => e.message)).toEqual([
      "invalid attribute 'id' on element 'virtual_machine'",
      "missing 'vcpu' element on virtual_machine: 'vm'",
    ]);
  });

  it('reads the 2.3 elements: domains, cspace, I/O address spaces, prefill', () => {
    const text = sys(
      '<memory_region name="dtb" prefill_bootinfo="fdt" />',
      '<domains><domain name="d0" /><domain_schedule><schedule_entry domain="d0" duration="1000 us" /></domain_schedule></domains>',
      pd(
        'a',
        ' domain="d0"',
        '<map mr="dtb" vaddr="0x100000" perms="r" /><cspace><cap_tcb slot="1" pd="b" /></cspace>',
      ),
      pd('b', ' domain="d0"'),
    );
    const r = parseSystem(text, { file: 'd' });
    expect(r.errors).toEqual([]);
    expect(r.model?.domainSchedule?.entries).toEqual([{ domain: 'd0', duration: '1000 us' }]);
    expect(r.model?.pds[0]?.capMaps).toMatchObject([{ type: 'tcb', pd: 'b', slot: 1 }]);
    expect(r.model?.memoryRegions[0]).toMatchObject({ sizeBytes: 0x1000n, prefillBootinfo: 'fdt' });
    const io = sys(
      '<memory_region name="ring" size="0x1000" />',
      pd('a', '', '<map mr="ring" vaddr="0x100000" />'),
      '<io_address_space name="nvme" peripheral_id="4:0.0" domain_id="1"><iomap mr="ring" iovaddr="0x5000" perms="rw" /></io_address_space>',
    );
    const ri = parseSystem(io, { file: 'i' });
    expect(ri.errors).toEqual([]);
    expect(ri.microkit?.arch).toBe('x86_64');
    expect(ri.model?.ioAddressSpaces?.[0]).toMatchObject({
      name: 'nvme',
      peripheralId: 'PCI device 04:00.0',
      maps: [{ mr: 'ring', iovaddr: 0x5000n, perms: { r: true, w: true } }],
    });
    // Both emit and read back to the same model (the 2.3 elements round-trip).
    for (const m of [r.model, ri.model]) {
      const again = parseSystem(emitSystem(m as SystemModel), { file: 'again' });
      expect(again.errors).toEqual([]);
      expect(stripped(again.model)).toEqual(stripped(m));
    }
    const x86 = sys(
      pd(
        'a',
        '',
        '<irq pin="4" vector="41" id="0" ioapic="1" trigger="edge" polarity="low" /><irq pcidev="1f:3.7" handle="2" vector="9" id="1" /><ioport id="2" addr="0x3f8" size="8" setvar_addr="com1" />',
      ),
    );
    const rx = parseSystem(x86, { file: 'x' });
    expect(rx.errors).toEqual([]);
    expect(rx.model?.pds[0]?.irqs[1]).toMatchObject({
      kind: 'msi',
      pciDevice: { bus: 0x1f, device: 3, func: 7 },
    });
    const back = parseSystem(emitSystem(rx.model as SystemModel), { file: 'x' });
    expect(stripped(back.model)).toEqual(stripped(rx.model));
  });
});

describe("the tool's limits", () => {
  const nested = (levels: number): string => {
    let body = '';
    for (let i = levels - 1; i >= 0; i--) {
      const id = i === 0 ? '' : ` id="1"`;
      body = `<protection_domain name="p${i}"${id}><program_image path="p.elf" />${body}</protection_domain>`;
    }
    return `<system>${body}</system>`;
  };

  it('a legal 63-level PD nesting passes (MAX_PDS = 63, children count)', () => {
    const r = parseSystem(nested(63), { file: 'n' });
    expect(r.errors).toEqual([]);
    expect(r.model?.pds).toHaveLength(63);
    expect(r.model?.pds[62]?.parent).toBe('p61');
  });

  it("64 levels get Microkit's own error, not an XML limit", () => {
    const r = parseSystem(nested(64), { file: 'n' });
    expect(r.errors.map((e) => [e.code, e.message])).toEqual([
      [SDF_CODES.tooManyPds, 'too many protection domains (64) defined. Maximum is 63.'],
    ]);
  });
});

describe('XML as Microkit reads it', () => {
  it('predefined entities and character references are accepted', () => {
    const r = parseSystem(sys(pd('a&amp;b&#x2d;&#99;&lt;')), { file: 'e' });
    expect(r.errors).toEqual([]);
    expect(r.model?.pds[0]?.name).toBe('a&b-c<');
  });

  it('a DTD is refused with a located error (roxmltree: allow_dtd is false), entities and bombs with it', () => {
    for (const [doctype, why] of [
      ['<!DOCTYPE system>', ''],
      ['<!DOCTYPE system [<!ENTITY n "a">]>', "; it declares the entity 'n'"],
      [
        '<!DOCTYPE system [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        "; it declares the external entity 'x'",
      ],
      [
        '<!DOCTYPE system [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;">]>',
        "; it declares the entity 'a'",
      ],
    ] as const) {
      const r = parseSystem(`<?xml version="1.0"?>\n${doctype}\n${sys(pd('a'))}`, { file: 'd' });
      expect(r.errors).toEqual([
        {
          code: SDF_CODES.xml,
          message: `could not parse XML: XML with DTD detected (Microkit's XML reader refuses any <!DOCTYPE>${why})`,
          file: 'd',
          line: 2,
          column: 1,
          severity: 'error',
        },
      ]);
    }
  });

  it('a C-preprocessor template says it is one, at the directive', () => {
    const text =
      '<?xml version="1.0"?>\n#include "sizes.h"\n<system>\n<memory_region name="r" size=RAM_SIZE />\n</system>\n';
    const r = parseSystem(text, { file: 't.system' });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ code: SDF_CODES.template, line: 2, column: 1 });
    expect(r.errors[0]?.message).toMatch(/C-preprocessor template.*'#include'/);
    // Not every XML error is a template: one without a directive keeps the XML message.
    expect(parseSystem('<system>', { file: 'b' }).errors[0]?.code).toBe(SDF_CODES.xml);
  });
});
