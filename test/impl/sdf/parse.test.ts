import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSystem, parseSystemFile, SDF_CODES } from '../../../impl/sdf/index.ts';
import type { SystemModel } from '../../../spec/system/model.ts';

import { describeShared, SHARED_SDF_FIXTURES } from '../../helpers/shared.ts';
const SHARED = SHARED_SDF_FIXTURES;
const fixture = (name: string): string => join(SHARED, name);
const read = (name: string): string => readFileSync(fixture(name), 'utf8');

/** 1-based column of `needle` on 1-based `line` of `text` (computed from the text, not the parser). */
function columnOf(text: string, line: number, needle: string): number {
  const l = text.split('\n')[line - 1] ?? '';
  const i = l.indexOf(needle);
  if (i < 0) throw new Error(`'${needle}' not on line ${line}`);
  return i + 1;
}

const EXPECTED_DIALECT: Record<string, '1' | '2'> = {
  'sddf_echo_server_qemu_virt_aarch64.system': '1',
  'sddf_i2c_odroidc4.system': '1',
  'sddf_timer_qemu_virt_aarch64.system': '1',
  'sddf_gpu_qemu_virt_aarch64.system': '2',
  // blk and serial have no dialect-specific syntax (no pp anywhere): both dialects accept them
  // with the same model, see the test below; auto-detection says so and assumes 2.
  'sddf_blk_qemu_virt_aarch64.system': '2',
  'sddf_serial_qemu_virt_aarch64.system': '2',
};

/** The model without what the release decides: dialect, release, and the default stack size. */
function withoutDialect(m: SystemModel | undefined): unknown {
  if (m === undefined) return undefined;
  const pds = m.pds.map((p) => ({ ...p, stackSizeBytes: undefined }));
  return { ...m, dialect: undefined, microkit: undefined, pds };
}

describeShared('shared fixtures', () => {
  for (const [name, dialect] of Object.entries(EXPECTED_DIALECT)) {
    it(`${name} parses as dialect ${dialect} with no errors`, () => {
      const r = parseSystemFile(fixture(name));
      expect(r.errors).toEqual([]);
      expect(r.dialect).toBe(dialect);
      expect(r.model?.dialect).toBe(dialect);
      expect(r.model?.pds.length).toBeGreaterThan(0);
    });
  }

  it('reports why: the first dialect-specific attribute, or none', () => {
    const echo = parseSystemFile(fixture('sddf_echo_server_qemu_virt_aarch64.system'));
    expect(echo.dialectReason).toBe('pp on <protection_domain> at line 197');
    const gpu = parseSystemFile(fixture('sddf_gpu_qemu_virt_aarch64.system'));
    expect(gpu.dialectReason).toBe('pp on <end> at line 70');
    const blk = parseSystemFile(fixture('sddf_blk_qemu_virt_aarch64.system'));
    expect(blk.dialectReason).toBe('no dialect-specific syntax; assuming 2');
  });

  for (const name of [
    'sddf_blk_qemu_virt_aarch64.system',
    'sddf_serial_qemu_virt_aarch64.system',
  ]) {
    it(`${name} is valid in both dialects with the same model`, () => {
      const as1 = parseSystemFile(fixture(name), { dialect: '1' });
      const as2 = parseSystemFile(fixture(name), { dialect: '2' });
      expect(as1.errors).toEqual([]);
      expect(as2.errors).toEqual([]);
      expect(withoutDialect(as1.model)).toEqual(withoutDialect(as2.model));
      // Microkit 1.4.1 and 2.0 default to a one-page stack; 2.1+ to two (PD_DEFAULT_STACK_SIZE).
      expect(as1.model?.microkit?.version).toBe('1.4');
      expect(as2.model?.microkit?.version).toBe('2.3');
      expect(as1.model?.pds[0]?.stackSizeBytes).toBe(0x1000n);
      expect(as2.model?.pds[0]?.stackSizeBytes).toBe(0x2000n);
    });
  }

  it('closed world: a 2.x file forced to dialect 1 rejects pp on <end>, at the attribute', () => {
    const text = read('sddf_gpu_qemu_virt_aarch64.system');
    const r = parseSystem(text, { file: 'gpu.system', dialect: '1' });
    expect(r.dialect).toBe('1');
    expect(r.errors).toEqual([
      {
        code: SDF_CODES.invalidAttr,
        message: "invalid attribute 'pp' on element 'end'",
        file: 'gpu.system',
        line: 70,
        column: columnOf(text, 70, 'pp='),
        severity: 'error',
      },
    ]);
  });

  it('closed world: a 1.x file forced to dialect 2 rejects pp on <protection_domain>', () => {
    const text = read('sddf_echo_server_qemu_virt_aarch64.system');
    const r = parseSystem(text, { file: 'echo.system', dialect: '2' });
    expect(r.errors.map((e) => [e.code, e.message, e.line, e.column])).toEqual([
      [
        SDF_CODES.invalidAttr,
        "invalid attribute 'pp' on element 'protection_domain'",
        197,
        columnOf(text, 197, 'pp='),
      ],
    ]);
    expect(r.model).toBeUndefined();
    expect(r.partialModel?.pds.length).toBe(12);
  });

  // Changed on purpose (issue #10): a mixed file was an error at the second dialect's marker; no
  // release accepts it, but real files do this (sddf imx8mm_evk_4_cores: PD pp with SMP cpu), so
  // it is now a warning naming both markers and where, and each is read with its own meaning.
  it('mixed dialects: a warning naming both markers and where; both are read', () => {
    const text = [
      '<system>',
      '<protection_domain name="a" priority="9" pp="true"><program_image path="a" /></protection_domain>',
      '<protection_domain name="b" priority="1"><program_image path="b" /></protection_domain>',
      '<channel><end pd="a" id="0" /><end pd="b" id="0" notify="false" /></channel>',
      '</system>',
    ].join('\n');
    const r = parseSystem(text, { file: 'mixed' });
    expect([r.dialect, r.dialectReason]).toEqual([
      '2',
      'mixed: pp on <protection_domain> at line 2 (1.x) and notify on <end> at line 4 (2.0+)',
    ]);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.line, w.column])).toEqual([
      [SDF_CODES.mixedDialect, 2, columnOf(text, 2, 'pp=')],
    ]);
    expect(r.warnings[0]?.message).toMatch(
      /pp on <protection_domain> at 2:\d+ is Microkit 1\.x syntax, notify on <end> at 4:\d+ needs Microkit 2\.0\+/,
    );
    expect(r.model?.pds[0]?.ppLegacy).toBe(true);
    expect(r.model?.channels[0]?.ends[1].notify).toBe(false);
    // Forcing a dialect keeps the closed world: the other dialect's marker is an error again.
    const forced = parseSystem(text, { file: 'mixed', dialect: '1' });
    expect(forced.errors.map((e) => [e.message, e.line, e.column])).toEqual([
      ["invalid attribute 'notify' on element 'end'", 4, columnOf(text, 4, 'notify=')],
    ]);
  });

  it('1.x PD-level pp towards a higher-priority peer is a warning (i2c driver → virt)', () => {
    const r = parseSystemFile(fixture('sddf_i2c_odroidc4.system'));
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.line])).toEqual([[SDF_CODES.legacyPpcPriority, 104]]);
  });
});

describeShared('the model', () => {
  const echo = parseSystemFile(fixture('sddf_echo_server_qemu_virt_aarch64.system'));
  const model = echo.model;
  const pd = (name: string) => model?.pds.find((p) => p.name === name);

  it('flattens the PD tree pre-order with parents and child ids', () => {
    expect(model?.pds.map((p) => p.name)).toEqual([
      'benchIdle',
      'bench',
      'eth',
      'uart',
      'serial_virt_tx',
      'net_virt_rx',
      'copy0',
      'copy1',
      'net_virt_tx',
      'client0',
      'client1',
      'timer',
    ]);
    expect(pd('eth')).toMatchObject({ parent: 'bench', childId: 1 });
    expect(pd('timer')).toMatchObject({
      parent: 'bench',
      childId: 8,
      ppLegacy: true,
      passive: true,
    });
    expect(pd('bench')?.parent).toBeUndefined();
    expect(pd('bench')?.childId).toBeUndefined();
  });

  it('applies Microkit defaults', () => {
    expect(pd('eth')).toMatchObject({ priority: 101, budgetUs: 100n, periodUs: 400n });
    expect(pd('copy0')).toMatchObject({ budgetUs: 20000n, periodUs: 20000n });
    // A 1.x file is read as Microkit 1.4.1, whose default stack is one page (0x1000).
    expect(pd('benchIdle')).toMatchObject({
      budgetUs: 1000n,
      periodUs: 1000n,
      stackSizeBytes: 0x1000n,
      passive: false,
      cpu: 0,
      smc: false,
      fpu: true,
    });
    const i2c = parseSystemFile(fixture('sddf_i2c_odroidc4.system')).model;
    const req = i2c?.pds.find((p) => p.name === 'driver')?.maps[0];
    expect(req).toMatchObject({ mr: 'driver_request_region', cached: true, vaddr: 0x4000000n });
    const timer = parseSystemFile(fixture('sddf_timer_qemu_virt_aarch64.system')).model;
    expect(timer?.pds[0]?.irqs[0]).toMatchObject({ irq: 30, id: 0, trigger: 'level' });
    const gpu = parseSystemFile(fixture('sddf_gpu_qemu_virt_aarch64.system')).model;
    expect(gpu?.pds.find((p) => p.name === 'timer_driver')?.stackSizeBytes).toBe(0x2000n);
    const end = gpu?.channels[1]?.ends;
    expect(end?.[0]).toMatchObject({ pd: 'client', pp: true, notify: true });
    expect(end?.[1]).toMatchObject({ pd: 'timer_driver', pp: false, notify: true });
  });

  it('reads `_` separators, hex and decoded MR attributes', () => {
    const mr = model?.memoryRegions.find((m) => m.name === 'net_rx_buffer_data_region');
    expect(mr).toMatchObject({
      sizeBytes: 0x200000n,
      pageSizeBytes: 0x200000n,
      pageSizeExplicit: true,
    });
    const uart = model?.memoryRegions.find((m) => m.name === 'uart');
    expect(uart).toMatchObject({
      physAddr: 0x9000000n,
      pageSizeBytes: 0x1000n,
      pageSizeExplicit: false,
    });
    expect(pd('serial_virt_tx')?.maps[5]).toMatchObject({
      perms: { r: true, w: false, x: false },
      setvarVaddr: 'tx_data_cli0',
    });
  });

  it('locates every element and attribute', () => {
    const text = read('sddf_echo_server_qemu_virt_aarch64.system');
    const irq = pd('eth')?.irqs[0];
    expect(irq?.loc).toEqual({
      file: fixture('sddf_echo_server_qemu_virt_aarch64.system'),
      line: 82,
      column: 13,
    });
    expect(irq?.attrLocs?.['trigger']?.column).toBe(columnOf(text, 82, 'trigger='));
    expect(irq?.attrLocs?.['id']?.line).toBe(82);
    const ch = model?.channels[0];
    expect(ch?.loc).toMatchObject({ line: 203, column: 5 });
    expect(ch?.ends[1].loc).toMatchObject({ line: 205, column: 9 });
    expect(ch?.ends[1].attrLocs?.['pd']?.column).toBe(columnOf(text, 205, 'pd='));
  });
});

describe('collect-all and first-error', () => {
  // Errors in document order: duplicate PD name (line 5), bad priority (6), unknown MR (7),
  // unknown PD in a channel (10). Microkit's order: local PD checks, then channels, then the global
  // name check, then maps.
  const text = [
    '<system>',
    '  <memory_region name="mr" size="0x1000" />',
    '  <protection_domain name="a"><program_image path="a" />',
    '    <map mr="mr" vaddr="0x1000" /></protection_domain>',
    '  <protection_domain name="a"><program_image path="a" /></protection_domain>',
    '  <protection_domain name="b" priority="300"><program_image path="b" />',
    '    <map mr="nope" vaddr="0x1000" /></protection_domain>',
    '  <channel>',
    '    <end pd="a" id="0" />',
    '    <end pd="zzz" id="0" />',
    '  </channel>',
    '</system>',
  ].join('\n');

  it('collects every error in Microkit processing order', () => {
    const r = parseSystem(text, { file: 'order.system' });
    expect(r.errors.map((e) => [e.code, e.line])).toEqual([
      [SDF_CODES.priority, 6],
      [SDF_CODES.unknownPd, 10],
      [SDF_CODES.duplicatePdName, 5],
      [SDF_CODES.unknownMr, 7],
    ]);
    expect(r.model).toBeUndefined();
    expect(r.partialModel?.pds.map((p) => p.name)).toEqual(['a', 'a', 'b']);
  });

  it('firstError returns only the first of them', () => {
    const r = parseSystem(text, { file: 'order.system', firstError: true });
    expect(r.errors.map((e) => e.code)).toEqual([SDF_CODES.priority]);
  });
});

describe('other errors', () => {
  it('an unreadable file is one SDF_IO error', () => {
    const r = parseSystemFile('/nonexistent/x.system');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.code).toBe(SDF_CODES.io);
    expect(r.model).toBeUndefined();
  });

  it('a root element other than <system> is an error (Microkit panics)', () => {
    const r = parseSystem('<systems/>', { file: 'r.system' });
    expect(r.errors.map((e) => [e.code, e.line, e.column])).toEqual([[SDF_CODES.root, 1, 1]]);
  });

  it('cpu is checked against the configured cores', () => {
    const text =
      '<system><protection_domain name="a" cpu="2"><program_image path="a" /></protection_domain></system>';
    expect(parseSystem(text, { file: 'c', cores: 4 }).errors).toEqual([]);
    const r = parseSystem(text, { file: 'c', cores: 2 });
    expect(r.dialect).toBe('2');
    expect(r.errors.map((e) => [e.code, e.message, e.column])).toEqual([
      [SDF_CODES.cpu, "cpu core must be less than 2, got 2 on element 'protection_domain'", 37],
    ]);
  });

  it('bad pp / notify booleans on <end>', () => {
    const text = [
      '<system>',
      '<protection_domain name="a"><program_image path="a" /></protection_domain>',
      '<protection_domain name="b"><program_image path="b" /></protection_domain>',
      '<channel><end pd="a" id="0" pp="yes" /><end pd="b" id="0" notify="1" /></channel>',
      '</system>',
    ].join('\n');
    const r = parseSystem(text, { file: 'b', dialect: '2' });
    expect(r.errors.map((e) => e.message)).toEqual([
      "pp must be 'true' or 'false' on element 'end'",
      "notify must be 'true' or 'false' on element 'end'",
    ]);
  });

  it('deep nesting is a located error, not a stack overflow', () => {
    const depth = 5000;
    const text = `<system>${'<protection_domain name="x" id="1">'.repeat(depth)}</system>`;
    const r = parseSystem(text, { file: 'deep' });
    expect(r.errors[0]?.code).toBe(SDF_CODES.xml);
    expect(r.errors[0]?.line).toBe(1);
  });
});
