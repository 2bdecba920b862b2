// The audit stage of `sddf check`: one `audit` result for the chosen system.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckOptions } from '../../../../cli/pipeline/check.ts';
import { auditStage } from '../../../../cli/pipeline/stages/audit.ts';

const FIX = join(import.meta.dirname, '../../../fixtures/audit');
const opts = (system: string): CheckOptions => ({
  system,
  seed: 1,
  outDir: '/tmp',
  progress: () => {},
});

describe('audit stage', () => {
  it('passes on the built-in echo server, with counts in the detail', async () => {
    const [r, ...rest] = await auditStage(opts('echo_server'));
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ kind: 'audit', verdict: 'pass' });
    expect(r?.detail).toMatch(/0 validation error\(s\); 0 error\(s\), 0 warning\(s\), 0 note\(s\)/);
  });
  it('fails on a system with an error finding, errors on unreadable input', async () => {
    expect((await auditStage(opts(`${FIX}/lp003-bad.system`)))[0]?.verdict).toBe('fail');
    expect((await auditStage(opts(`${FIX}/invalid/invalid-priority.system`)))[0]?.verdict).toBe(
      'fail',
    );
    expect((await auditStage(opts(`${FIX}/invalid/malformed.system`)))[0]?.verdict).toBe('error');
    expect((await auditStage(opts('no_such_system')))[0]?.verdict).toBe('error');
  });
});
