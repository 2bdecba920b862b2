// `--format json` is exactly the CLI.md shape.
import { describe, expect, it } from 'vitest';
import { auditToJson } from '../../../../impl/report/audit/json.ts';
import { auditToText } from '../../../../impl/report/audit/text.ts';
import { auditToDot } from '../../../../impl/report/audit/dot.ts';
import { AUDIT_FIXTURES, SHARED_FIXTURES, auditFile } from '../../../spec/system/audit/fixtures.ts';
import { describeShared } from '../../../helpers/shared.ts';

const ECHO = `${SHARED_FIXTURES}/sddf_echo_server_qemu_virt_aarch64.system`;

describe('JSON', () => {
  it('has exactly the keys of CLI.md, with roles and located findings', () => {
    const report = auditFile(`${AUDIT_FIXTURES}/lp011-bad.system`);
    const doc = auditToJson({ file: 'f.system', dialect: '2', errors: [], report });
    // The CLI.md keys first; issue #10 adds microkit (when read), warnings and inferred (reasons).
    expect(Object.keys(doc).slice(0, 5)).toEqual([
      'file',
      'dialect',
      'errors',
      'roles',
      'findings',
    ]);
    expect(
      Object.keys(doc)
        .slice(5)
        .filter((k) => k !== 'microkit'),
    ).toEqual(['warnings', 'inferred']);
    expect(doc.roles.pds['client0']).toBe('net.client');
    expect(doc.roles.pds['logger']).toBe('unclassified');
    expect(doc.roles.mrs['net_rx_buffer_data_region']).toBe('net.rx_dma_data');
    const lp011 = doc.findings.find((f) => f.rule === 'LP011');
    expect(lp011).toMatchObject({ rule: 'LP011', severity: 'error', pd: 'client0' });
    expect(lp011?.path).toEqual(['client0', 'stats', 'logger', 'log', 'client1']);
    for (const f of doc.findings) {
      expect(
        Object.keys(f).every((k) =>
          ['rule', 'severity', 'pd', 'mr', 'message', 'line', 'column', 'path'].includes(k),
        ),
      ).toBe(true);
      expect(typeof f.line).toBe('number');
    }
  });

  it('renders validation errors as {message, line, column}', () => {
    const doc = auditToJson({
      file: 'f.system',
      dialect: '1',
      errors: [{ code: 'X', message: 'bad', line: 4, column: 7 }],
    });
    expect(doc.errors).toEqual([{ message: 'bad', line: 4, column: 7 }]);
    expect(doc.findings).toEqual([]);
  });
});

describeShared('text', () => {
  it('prints inferred roles, findings grouped by PD, shared regions and the verdict', () => {
    const report = auditFile(ECHO);
    const text = auditToText({ file: 'echo.system', dialect: '1', errors: [], report });
    expect(text).toMatch(/PD eth +net\.driver/);
    expect(text).toMatch(/MR cyclecounters +bench\.counters/);
    expect(text).toMatch(/cyclecounters: benchIdle rw, client0 rw/);
    expect(text).toMatch(
      /PASS: 0 validation error\(s\); findings: 0 error\(s\), 0 warning\(s\), 0 note\(s\)/,
    );
    const lp009 = auditFile(`${AUDIT_FIXTURES}/lp009-bad.system`);
    const t9 = auditToText({ file: 'lp009.system', dialect: '2', errors: [], report: lp009 });
    expect(t9).toMatch(/\n {2}client0\n {4}.*warning LP009/);
    const bad = auditToText({
      file: 'b.system',
      errors: [],
      report: auditFile(`${AUDIT_FIXTURES}/lp002-bad.system`),
    });
    expect(bad).toMatch(/FAIL/);
  });
});

describe('DOT', () => {
  it('draws PDs, regions and channels, highlighting findings and LP011 paths', () => {
    const dot = auditToDot(auditFile(`${AUDIT_FIXTURES}/lp011-bad.system`), 'lp011');
    expect(dot.startsWith('digraph "lp011" {')).toBe(true);
    expect(dot).toMatch(/"pd:client0" \[shape=box.*color="#d62728"/);
    expect(dot).toMatch(/"pd:logger" -> "mr:log" \[dir=both, color="#d62728"/);
    expect(dot).toMatch(/"pd:net_virt_rx" -> "pd:copy0" \[dir=none, style=dashed/);
    const clean = auditToDot(auditFile(`${AUDIT_FIXTURES}/lp011-good.system`), 'good');
    expect(clean).not.toMatch(/#d62728/);
  });
});
