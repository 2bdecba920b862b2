// The first stages of `sddf check`: loading the system (unreadable input is a UserError, exit 2)
// and the audit stage's one `audit` result.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditStage, loadSystem, planCheck } from '../../../api/check/index.ts';
import { UserError } from '../../../spec/common/diagnostic.ts';

const FIX = join(import.meta.dirname, '../../fixtures/audit');
const planned = (system: string) =>
  planCheck(loadSystem({ system, seed: 1, outDir: '/tmp', progress: () => {} }));

function loadError(system: string): UserError {
  try {
    planned(system);
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error(`${system} loaded`);
}

describe('audit stage', () => {
  it('passes on the built-in echo server, with counts in the detail', async () => {
    const [r, ...rest] = await auditStage(planned('echo_server'));
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ kind: 'audit', verdict: 'pass' });
    expect(r?.detail).toMatch(/0 validation error\(s\); 0 error\(s\), 0 warning\(s\), 0 note\(s\)/);
  });

  it('fails on a system with an error finding or a Microkit validation error', async () => {
    expect((await auditStage(planned(`${FIX}/lp003-bad.system`)))[0]?.verdict).toBe('fail');
    expect((await auditStage(planned(`${FIX}/invalid/invalid-priority.system`)))[0]?.verdict).toBe(
      'fail',
    );
  });

  it('unreadable input stops before any stage: a located UserError', () => {
    const e = loadError(`${FIX}/invalid/malformed.system`);
    expect(e.diagnostic.code).toBe('SDF_XML');
    expect(e.diagnostic.line).toBeGreaterThan(0);
  });

  it('an unknown system name lists the built-in systems (no raw ENOENT)', () => {
    const e = loadError('no_such_system');
    expect(e.diagnostic.code).toBe('SYSTEM_UNKNOWN');
    expect(e.diagnostic.message).toMatch(/built-in systems: echo_server/);
    expect(e.diagnostic.message).not.toMatch(/ENOENT/);
  });
});
