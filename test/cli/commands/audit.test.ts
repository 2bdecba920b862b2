// `sddf audit`: exit statuses 0/1/2 (CLI.md), every output format, roles files, --svg.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { captureIo } from '../../helpers/io.ts';
import { SHARED_SDF_FIXTURES, describeShared, itShared } from '../../helpers/shared.ts';
import { tempDir } from '../../helpers/temp.ts';
import { validateSarif } from '../../helpers/sarif-schema.ts';

const FIX = join(import.meta.dirname, '../../fixtures/audit');
const ECHO = join(SHARED_SDF_FIXTURES, 'sddf_echo_server_qemu_virt_aarch64.system');

async function run(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  const io = captureIo();
  const status = await main(['audit', ...args], io);
  return { status, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('sddf audit exit status', () => {
  itShared('0: a clean system, and one with only warnings and notes', async () => {
    expect((await run(`${FIX}/base.system`)).status).toBe(0);
    expect((await run(ECHO)).status).toBe(0);
    const warned = await run(`${FIX}/lp009-bad.system`);
    expect(warned.status).toBe(0);
    expect(warned.out).toMatch(/warning LP009/);
    expect((await run('echo_server')).status).toBe(0);
  });

  itShared(
    '--fail-on moves the threshold: warnings fail with --fail-on warning, nothing with none',
    async () => {
      expect((await run(`${FIX}/lp009-bad.system`, '--fail-on', 'warning')).status).toBe(1);
      expect((await run(`${FIX}/lp009-bad.system`, '--fail-on', 'error')).status).toBe(0);
      expect((await run(`${FIX}/lp001-bad.system`, '--fail-on', 'none')).status).toBe(0);
      expect(
        (await run(`${FIX}/invalid/invalid-priority.system`, '--fail-on', 'none')).status,
      ).toBe(1);
      expect((await run(ECHO, '--fail-on', 'sometimes')).status).toBe(2);
    },
  );

  it('1: an error finding', async () => {
    const r = await run(`${FIX}/lp001-bad.system`);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/error LP001/);
  });

  it('1: a Microkit validation error, reported in "errors"', async () => {
    const r = await run(`${FIX}/invalid/invalid-priority.system`, '--format', 'json');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.errors[0]).toMatchObject({ line: 5 });
    expect(doc.errors[0].message).toMatch(/priority/);
    // The partial model is still audited: cached device registers.
    expect(doc.findings.map((f: { rule: string }) => f.rule)).toContain('LP002');
  });

  it('2: a missing file, not well-formed XML, bad arguments; located message on stderr only', async () => {
    const missing = await run(`${FIX}/no-such.system`);
    expect(missing.status).toBe(2);
    expect(missing.out).toBe('');
    expect(missing.err).toMatch(/no-such\.system.*could not read/);
    const malformed = await run(`${FIX}/invalid/malformed.system`, '--format', 'json');
    expect(malformed.status).toBe(2);
    expect(malformed.err).toMatch(/malformed\.system:\d+:\d+: /);
    // Issue #8: under --format json a run that exits 2 still prints one JSON document.
    const doc = JSON.parse(malformed.out) as { error: Record<string, unknown> };
    expect(doc.error).toMatchObject({ code: 'SDF_XML', file: `${FIX}/invalid/malformed.system` });
    expect(doc.error['line']).toBeGreaterThan(0);
    expect(doc.error['column']).toBeGreaterThan(0);
    expect((await run(`${FIX}/base.system`, '--format', 'yaml')).status).toBe(2);
    expect((await run(`${FIX}/base.system`, '--dialect', '3')).status).toBe(2);
  });
});

describe('sddf audit --roles', () => {
  itShared(
    'a roles file overrides inference (LP000 notes go away, JSON shows the roles)',
    async () => {
      const r = await run(ECHO, '--roles', `${FIX}/roles-echo.json`, '--format', 'json');
      const doc = JSON.parse(r.out);
      expect(doc.roles.pds.benchIdle).toBe('other');
      expect(doc.roles.mrs.cyclecounters).toBe('other');
      expect(doc.findings.filter((f: { rule: string }) => f.rule === 'LP000')).toEqual([]);
      // Declared `other` rather than the benchmark harness, benchIdle and bench are PDs the policy
      // keeps apart from the clients (issue 15): the counters benchIdle shares rw with client0
      // are a flow (bench parents the clients: that pair is one trusted base, not checked).
      expect(r.status).toBe(1);
      const paths = doc.findings
        .filter((f: { rule: string }) => f.rule === 'LP011')
        .map((f: { path: string[] }) => f.path.join(' → '));
      expect(paths).toContain('benchIdle → cyclecounters → client0');
      expect(paths.some((p: string) => p.startsWith('bench →'))).toBe(false);
    },
  );

  itShared('a bad roles file: exit 2 with a located error', async () => {
    const r = await run(ECHO, '--roles', `${FIX}/roles-bad.json`);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/roles-bad\.json:2:25: ROLES: PD 'benchIdle': role must be one of/);
    expect((await run(ECHO, '--roles', `${FIX}/none.json`)).status).toBe(2);
  });
});

describe('sddf audit output formats', () => {
  it('json is one document with the CLI.md keys', async () => {
    const r = await run(`${FIX}/lp011-bad.system`, '--format', 'json');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.out);
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
    expect(doc.dialect).toBe('2');
  });

  it('sarif, dot and svg', async () => {
    const sarif = JSON.parse((await run(`${FIX}/lp002-bad.system`, '--format', 'sarif')).out);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results[0].ruleId).toBe('LP002');
    expect(sarif.runs[0].artifacts[0].location.uri).not.toMatch(/^\//);
    expect((await run(`${FIX}/lp002-bad.system`, '--format', 'dot')).out).toMatch(/^digraph /);
    expect((await run(`${FIX}/base.system`, '--format', 'svg')).out).toMatch(/<svg/);
  });

  it('--svg FILE writes the rendered graph next to the normal output', async () => {
    const dir = tempDir('sddf-audit');
    const r = await run(`${FIX}/base.system`, '--svg', join(dir, 'g.svg'));
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/PASS/);
    expect(readFileSync(join(dir, 'g.svg'), 'utf8')).toMatch(/<svg/);
  });

  it('--prove runs the Z3 isolation proof and reports its agreement', async () => {
    const good = await run(`${FIX}/lp011-good.system`, '--prove');
    expect(good.out).toMatch(
      /isolation \(Z3, .* s\): 6 ordered pair\(s\) of PDs the policy separates proved isolated, 0 with a flow, 0 unknown; agrees/,
    );
    const bad = await run(`${FIX}/lp011-bad.system`, '--prove', '--format', 'json');
    expect(JSON.parse(bad.out).findings.some((f: { rule: string }) => f.rule === 'LP011')).toBe(
      true,
    );
    expect(bad.err).toMatch(/[1-6] with a flow/);
  });

  it('--prove makes no isolation claim for a system that failed validation (issue 15)', async () => {
    const r = await run(`${FIX}/invalid/invalid-priority.system`, '--prove');
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/isolation: not proved: the system failed validation \(1 error\)/);
    expect(r.out).not.toMatch(/proved isolated/);
  });

  it('--first-error keeps only the first validation error', async () => {
    const r = await run(
      `${FIX}/invalid/invalid-priority.system`,
      '--format',
      'json',
      '--first-error',
    );
    expect(JSON.parse(r.out).errors).toHaveLength(1);
  });
});

describeShared('sddf audit on the real corpus and on directories (issue #10)', () => {
  const REAL = join(SHARED_SDF_FIXTURES, 'real');

  it('--microkit and --arch choose what a file is read as', async () => {
    const r = await run(ECHO, '--format', 'json', '--microkit', '1.4.1');
    expect(JSON.parse(r.out).microkit).toMatchObject({ version: '1.4', arch: 'aarch64' });
    const x = await run(`${REAL}/libvmm_simple_x86_64_generic_vtx.system`, '--format', 'json');
    expect(x.status).toBe(0);
    expect(JSON.parse(x.out).microkit).toMatchObject({ version: '2.3', arch: 'x86_64' });
    expect((await run(ECHO, '--microkit', '3.0')).status).toBe(2);
    expect((await run(ECHO, '--arch', 'mips')).status).toBe(2);
  });

  it('the C-preprocessor template: exit 2, and the message says it is a template', async () => {
    const r = await run(`${REAL}/lionsos_vmm.system`);
    expect(r.status).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /lionsos_vmm\.system:6:1: SDF_TEMPLATE: this is a C-preprocessor template/,
    );
  });

  it('the text roles table stays aligned with long role and kind names', async () => {
    const r = await run(`${REAL}/libvmm_virtio_snd_qemu_virt_aarch64.system`);
    const rows = r.out.split('\n').filter((l) => /^ {2}(PD|MR) /u.test(l));
    expect(rows.length).toBeGreaterThan(20);
    // The reason column starts at one column for every row, however long the role or kind.
    const starts = new Set(rows.map((l) => l.search(/(structure|naming|roles file|-): /u)));
    expect(starts.size).toBe(1);
    expect(rows.some((l) => l.includes('(acts as client)'))).toBe(true);
  });

  it('a directory: one table (file, dialect, errors, findings by severity), exit of the worst file', async () => {
    const r = await run(SHARED_SDF_FIXTURES);
    // The corpus holds a C-preprocessor template: unreadable, so exit 2 (its own status).
    expect(r.status).toBe(2);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^file +dialect +errors +error +warning +note +verdict$/u);
    const rows = lines.filter((l) => l.includes('.system'));
    expect(rows).toHaveLength(29);
    const col = (name: string): Set<number> =>
      new Set(rows.filter((l) => !l.includes('UNREADABLE')).map((l) => l.indexOf(name)));
    expect(col(' 2 (2.3 ').size + col(' 1 (1.4 ').size).toBeGreaterThan(0);
    expect(r.out).toMatch(/lionsos_vmm\.system +- .*UNREADABLE: SDF_TEMPLATE 6:1/);
    expect(r.out).toMatch(/29 file\(s\), \d+ not passing; exit 2/);
    expect(r.err).toMatch(/SDF_TEMPLATE/);
  });

  it('several files: json covers them all in one document', async () => {
    const r = await run(ECHO, `${FIX}/lp001-bad.system`, '--format', 'json');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.files.map((f: { file: string }) => f.file)).toEqual([
      ECHO,
      `${FIX}/lp001-bad.system`,
    ]);
    expect(doc.summary).toMatchObject({ files: 2, failing: 1, unreadable: 0, exit: 1 });
    expect(doc.files[1].findings[0].rule).toBe('LP001');
  });

  it('sarif of the whole shared directory: one log, relative URIs, a rule per check', async () => {
    const r = await run(SHARED_SDF_FIXTURES, '--format', 'sarif');
    const log = JSON.parse(r.out);
    expect(validateSarif(log) ? [] : validateSarif.errors).toEqual([]);
    expect(log.version).toBe('2.1.0');
    const run0 = log.runs[0];
    expect(run0.artifacts).toHaveLength(29);
    for (const a of run0.artifacts) {
      expect(a.location.uriBaseId).toBe('SRCROOT');
      expect(a.location.uri).not.toMatch(/^(\/|file:)/u);
    }
    expect(run0.originalUriBaseIds.SRCROOT.uri).toMatch(/^file:\/\/.*\/$/u);
    const ids = new Set(run0.results.map((x: { ruleId: string }) => x.ruleId));
    expect(ids.has('SDF_TEMPLATE')).toBe(true);
    expect(ids.has('SDF_INVALID_ELEMENT')).toBe(true);
    expect([...ids].some((i) => String(i).startsWith('LP'))).toBe(true);
  });

  it('--roles, --svg, --prove and dot/svg formats are for one system: exit 2', async () => {
    expect((await run(SHARED_SDF_FIXTURES, '--roles', `${FIX}/roles-echo.json`)).status).toBe(2);
    expect((await run(SHARED_SDF_FIXTURES, '--format', 'dot')).status).toBe(2);
    expect((await run(`${FIX}/no-such-dir/`, ECHO)).status).toBe(2);
  });
});
