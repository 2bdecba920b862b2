// `sddf run timer` and `sddf run i2c` (issue #13 parts 3, 4, 6): one JSON document with zero
// invariant violations and exit 0; a fixture that cannot run says why (exit 2); text output ends
// with the verdict; --check-refinement adds the refinement report.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { captureIo } from '../../helpers/io.ts';
import { SHARED_SDF_FIXTURES, itShared } from '../../helpers/shared.ts';

async function sddf(args: string[]): Promise<{ status: number; out: string[]; err: string[] }> {
  const io = captureIo();
  const status = await main(args, io);
  return { status, out: io.stdout, err: io.stderr };
}

const SDF = SHARED_SDF_FIXTURES;

describe('sddf run timer | i2c', () => {
  it('timer --format json: one document, every client fired, 0 violations, exit 0', async () => {
    const r = await sddf(['run', 'timer', '--rounds', '5', '--format', 'json']);
    expect(r.status).toBe(0);
    expect(r.out).toHaveLength(1);
    const doc = JSON.parse(r.out[0]!) as {
      ok: boolean;
      invariantViolations: number;
      clients: { fired: number }[];
    };
    expect(doc).toMatchObject({ ok: true, invariantViolations: 0 });
    expect(doc.clients.map((c) => c.fired)).toEqual([5, 5, 5]);
  });

  it('i2c --format json --check-refinement: 0 violations and every virt handler refines', async () => {
    const r = await sddf(['run', 'i2c', '--rounds', '2', '--check-refinement', '--format', 'json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.out[0]!) as {
      ok: boolean;
      invariantViolations: number;
      refinement: { checked: number; violations: number };
    };
    expect(doc).toMatchObject({ ok: true, invariantViolations: 0 });
    expect(doc.refinement.violations).toBe(0);
    expect(doc.refinement.checked).toBeGreaterThan(0);
  });

  itShared('the ARM-timer fixture cannot run and says why', async () => {
    const f = await sddf(['run', join(SDF, 'sddf_timer_qemu_virt_aarch64.system')]);
    expect(f.status).toBe(2);
    expect(f.err.join('\n')).toMatch(/:10:5: RUN_TIMER_DEVICE: .*ARM generic timer/);
  });

  it('text output ends with the verdict; --workers is refused', async () => {
    const t = await sddf(['run', 'i2c', '--rounds', '1']);
    expect(t.status).toBe(0);
    expect(t.out.at(-1)).toMatch(/^ok: \d+ invariant checks, 0 violations$/);
    const w = await sddf(['run', 'timer', '--workers']);
    expect(w.status).toBe(2);
    expect(w.err.join('\n')).toMatch(/--workers: for the echo server only/);
  });

  it('--faults: a dropped notification leaves a client short, the run says so and holds', async () => {
    const r = await sddf([
      'run',
      'timer',
      '--rounds',
      '4',
      '--faults',
      'drop-notify:client0@3',
      '--format',
      'json',
    ]);
    const doc = JSON.parse(r.out[0]!) as {
      invariantViolations: number;
      clients: { fired: number }[];
    };
    expect(doc.invariantViolations).toBe(0);
    expect(doc.clients[0]!.fired).toBeLessThan(4);
    expect(doc.clients.slice(1).map((c) => c.fired)).toEqual([4, 4]);
  });
});
