// `sddf run --check-refinement` (issue 9 part 6): the echo server with every handler of virt_tx,
// virt_rx and the copiers checked against the spec; the results in text and in the one JSON
// document; a run whose check finds a divergence exits 1 (shown through the same renderer with a
// report from a seeded bug, which the CLI itself cannot inject).
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { refinementLines } from '../../../cli/commands/run.ts';
import { runSystem } from '../../../impl/systems/run.ts';
import { ECHO_SERVER_NAMES } from '../../../impl/systems/echo_server/wiring.ts';
import { NetRefinement } from '../../../traces/refinement/net/checker.ts';
import { captureIo } from '../../helpers/io.ts';
import { copierForgetsClientSignal } from '../../traces/refinement/net/bugs.ts';

async function sddf(args: string[]): Promise<{ status: number; out: string[]; err: string[] }> {
  const io = captureIo();
  const status = await main(args, io);
  return { status, out: io.stdout, err: io.stderr };
}

describe('sddf run --check-refinement', () => {
  it('json: one document with the refinement report, 0 violations, exit 0', async () => {
    const r = await sddf([
      'run',
      'echo',
      '--packets',
      '300',
      '--check-refinement',
      '--format',
      'json',
    ]);
    expect(r.status).toBe(0);
    expect(r.out).toHaveLength(1);
    const doc = JSON.parse(r.out[0]!) as {
      ok: boolean;
      refinement: {
        checked: number;
        matched: number;
        violations: number;
        components: Record<string, unknown>;
      };
    };
    expect(doc.ok).toBe(true);
    expect(doc.refinement.violations).toBe(0);
    expect(doc.refinement.checked).toBeGreaterThan(20);
    expect(doc.refinement.matched).toBe(doc.refinement.checked);
    expect(Object.keys(doc.refinement.components).sort()).toEqual([
      'client0_net_copier',
      'client1_net_copier',
      'net_virt_rx',
      'net_virt_tx',
    ]);
  });

  it('text: a line per component and the verdict; with faults too', async () => {
    const r = await sddf([
      'run',
      'echo',
      '--packets',
      '300',
      '--window',
      '2',
      '--check-refinement',
      '--faults',
      'crash:client0_net_copier@10,crash:net_virt_rx@20,drop-irq:79@15',
      '--watchdog-ms',
      '10',
    ]);
    expect(r.status).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(
      /refinement: (\d+) handlers checked against spec\/components\/net, \1 matched, 0 violations/,
    );
    expect(text).toMatch(/net_virt_rx\s+\d+ checked/);
    expect(text).toMatch(/ok: every checked handler is a sequence of spec steps/);
  });

  it('is deterministic-only: with --workers it is a usage error (exit 2)', async () => {
    const r = await sddf(['run', 'echo', '--packets', '10', '--check-refinement', '--workers']);
    expect(r.status).toBe(2);
    expect(r.err.join('\n')).toMatch(/--check-refinement needs one deterministic run/);
  });

  it('a divergence is shown with its handler, the closest spec run and the differences', () => {
    const pd = ECHO_SERVER_NAMES.clients[0]!.copier;
    const bug = copierForgetsClientSignal(pd, 3);
    const check = new NetRefinement();
    runSystem({
      packets: 100,
      seed: 1,
      traffic: { window: 2 },
      rebind: bug.rebind,
      wrapComponent: (p, b) => check.wrap(p, b),
    });
    const text = refinementLines(check.report()).join('\n');
    expect(text).toContain(`violation ${pd} notified(`);
    expect(text).toContain(`(its handler execution ${bug.firstActed()})`);
    expect(text).toMatch(/notify \(immediate, in order\): impl \[\], spec \[\d+\]/);
    expect(text).toMatch(/FAILED: \d+ handlers diverged from the spec/);
  });
});
