// The online refinement check of the network components (issue 9 part 6, docs/adr/
// 020-net-refinement.md): the echo server runs with every handler of virt_tx, virt_rx and the
// copiers checked against spec/components/net; the unmodified components show no divergence, and
// each seeded bug is reported, at the first handler in which it acted where that is known.
import { describe, expect, it } from 'vitest';
import { runSystem, type RunSystemOptions } from '../../../../impl/systems/run.ts';
import { ECHO_SERVER_NAMES } from '../../../../impl/systems/echo_server/wiring.ts';
import {
  NetRefinement,
  type NetRefinementReport,
} from '../../../../traces/refinement/net/checker.ts';
import {
  clientStalls,
  copierCorruptsCopy,
  copierForgetsClientSignal,
  virtRxSwapsMacs,
  virtTxTranslatesWrong,
  type SeededBug,
} from './bugs.ts';

const N = ECHO_SERVER_NAMES;
const REFINED = [N.virtTx, N.virtRx, ...N.clients.map((c) => c.copier)];

function checked(options: Partial<RunSystemOptions> = {}): {
  report: NetRefinementReport;
  ok: boolean;
  answered: number;
  dropped: number[];
} {
  const check = new NetRefinement();
  const { result, errors } = runSystem({
    packets: 300,
    seed: 1,
    ...options,
    wrapComponent: (pd, b) => check.wrap(pd, b),
  });
  expect(errors).toEqual([]);
  return {
    report: check.report(),
    ok: result!.ok,
    answered: result!.generator.answered,
    dropped: result!.clients.map((c) => c.dropped),
  };
}

describe('the implemented components refine the spec', () => {
  it.each([
    { seed: 1, schedule: 'priority' as const, window: 32 },
    { seed: 2, schedule: 'priority' as const, window: 1 },
    { seed: 3, schedule: 'random' as const, window: 4 },
    { seed: 4, schedule: 'random' as const, window: 32 },
  ])('echo, seed $seed, $schedule schedule, window $window: 0 divergences', (o) => {
    const { report, ok } = checked({
      seed: o.seed,
      schedule: o.schedule,
      traffic: { window: o.window },
    });
    expect(ok).toBe(true);
    expect(report.kept).toEqual([]);
    expect(report.violations).toBe(0);
    expect(report.deviations).toBe(0);
    expect(report.notChecked).toEqual({});
    expect(report.matched).toBe(report.checked);
    // Every refined PD ran and was checked, the copiers more than their init.
    for (const pd of REFINED) expect(report.components[pd]?.checked ?? 0, pd).toBeGreaterThan(2);
  });

  it('the old copier (F15, stops draining while its client has no buffer) refines the F15 spec', () => {
    const { report } = checked({ copier: { bugs: ['F15'] }, packets: 200 });
    expect(report.violations).toBe(0);
    expect(report.checked).toBeGreaterThan(0);
  });

  it('a client that stops consuming: its copier drops (hundreds of frames), every handler refines', () => {
    const { report, dropped } = checked({ packets: 3000, rebind: clientStalls('client0', 2) });
    expect(dropped[0]).toBeGreaterThan(100);
    const copier = report.components[N.clients[0]!.copier]!;
    expect(report.violations).toBe(0);
    expect(report.deviations).toBe(0);
    expect(copier.matched).toBe(copier.handlers);
    expect(copier.handlers).toBeGreaterThan(100);
  });

  it('a transmit policy the spec does not have is reported as not checked, with the reason', () => {
    const { report } = checked({ virtTx: { policy: { kind: 'round-robin' } }, packets: 100 });
    const why = Object.keys(report.components[N.virtTx]!.notChecked);
    expect(why).toEqual([expect.stringContaining('round-robin')]);
    expect(report.components[N.virtTx]!.checked).toBe(0);
    expect(report.violations).toBe(0);
  });
});

describe('seeded bugs are reported at their first divergent handler', () => {
  function first(bug: SeededBug, options: Partial<RunSystemOptions> = {}): NetRefinementReport {
    const { report } = checked({ rebind: bug.rebind, ...options });
    expect(report.violations).toBeGreaterThan(0);
    expect(report.kept[0]?.pd).toBe(bug.pd);
    expect(report.kept[0]?.kind).toBe('violation');
    return report;
  }

  it('a copier that stops signalling its client: the first handler that should have signalled', () => {
    const bug = copierForgetsClientSignal(N.clients[0]!.copier, 6);
    const report = first(bug, { traffic: { window: 2 } });
    expect(bug.firstActed()).toBeGreaterThanOrEqual(6);
    const v = report.kept[0]!;
    expect(v.execution).toBe(bug.firstActed());
    // kept[0] is the first divergence of the run: no handler before it, of any PD, diverged.
    expect(v.differences.map((d) => d.where)).toContain('notify (immediate, in order)');
  });

  it('a copier that corrupts a copied byte: the first corrupted handler, in the client data region', () => {
    const bug = copierCorruptsCopy(N.clients[1]!.copier, 4);
    const report = first(bug, { traffic: { window: 2 } });
    const v = report.kept[0]!;
    expect(bug.firstActed()).toBeGreaterThanOrEqual(4);
    expect(v.execution).toBe(bug.firstActed());
    expect(v.differences.map((d) => d.where)).toEqual([
      expect.stringMatching(/^client\.rx\.data\[\d+\]$/),
    ]);
  });

  it('virt_rx demultiplexing on swapped MAC addresses: frames reach the wrong copier queue', () => {
    const report = first(virtRxSwapsMacs(N.virtRx));
    expect(
      report.kept[0]!.differences.some((d) => /^virt_rx\.copier[01]\.active/.test(d.where)),
    ).toBe(true);
  });

  it('virt_tx translating an offset one buffer too far: the wrong I/O address in the driver queue', () => {
    const report = first(virtTxTranslatesWrong(N.virtTx));
    expect(
      report.kept[0]!.differences.some((d) => /^drv_tx\.active\.buffers\[\d+\]/.test(d.where)),
    ).toBe(true);
  });
});

describe('a hostile client', () => {
  it('is outside the spec: its handlers are deviations or not checked, never violations', () => {
    const { report, ok } = checked({ clientApi: ['native', 'hostile'], packets: 200 });
    expect(ok).toBe(true);
    expect(report.violations).toBe(0);
    expect(report.deviations).toBeGreaterThan(0);
    expect(Object.keys(report.notChecked)).toEqual([
      'a queue of its view held more than its capacity before the handler',
    ]);
    // The honest client's copier is still checked in full.
    const honest = report.components[N.clients[0]!.copier]!;
    expect(honest.matched).toBe(honest.handlers);
  });
});
