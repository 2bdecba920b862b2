// The serial virtualisers refine their handler spec (issue 13 part 4): every handler of virt_tx
// and virt_rx in seeded random runs with faults matches spec/components/serial-handlers.ts; the
// check catches a virt_tx without the F11 split and a virt_rx that publishes a byte too many.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Component, ComponentContext } from '../../../../impl/runtime/api.ts';
import type { SerialVirtRxConfig } from '../../../../impl/components/serial/virt_rx.ts';
import { builtInSystemPath } from '../../../../impl/systems/index.ts';
import { runSerial } from '../../../../impl/systems/serial/run.ts';
import { SerialRefinement } from '../../../../traces/refinement/serial/checker.ts';
import { serialRandomizedRefinement } from '../../../../traces/refinement/serial/randomized.ts';
import { tempDir } from '../../../helpers/temp.ts';

describe('serial refinement', () => {
  it('24 seeded runs with faults: every checked handler matches the spec', () => {
    const r = serialRandomizedRefinement({ seed: 7, runs: 24 });
    expect(r.firstFailure).toBeNull();
    expect(r.violations).toBe(0);
    expect(r.runsNotOk).toBe(0);
    expect(r.checked).toBeGreaterThan(300);
    expect(r.faultsInjected).toBeGreaterThan(0);
  });

  it('catches a virt_tx without the F11 split (upstream) where data never fits whole', () => {
    const file = join(tempDir('sddf-serial-ref'), 'serial_f11.system');
    writeFileSync(
      file,
      readFileSync(builtInSystemPath('serial')!, 'utf8').replace(
        '<memory_region name="tx_data_driver" size="0x4_000" />',
        '<memory_region name="tx_data_driver" size="0x2_000" />',
      ),
    );
    const r = serialRandomizedRefinement({
      seed: 3,
      runs: 2,
      system: file,
      tweak: (o) => ({ ...o, lines: 150, lineBytes: 64, split: false, faults: {} }),
    });
    expect(r.violations).toBeGreaterThan(0);
    expect(r.firstFailure!.report.kept[0]!.differences.join('\n')).toMatch(/virt_tx\.driver/);
  });

  it('catches a virt_rx that publishes one byte too many', () => {
    const check = new SerialRefinement({ virtTx: 'serial_virt_tx', virtRx: 'serial_virt_rx' });
    const r = runSerial({
      input: new TextEncoder().encode('ab\r'),
      rebind: (pd, b) => {
        if (pd !== 'serial_virt_rx') return b;
        const factory = (ctx: ComponentContext): Component => {
          const c = b.factory(ctx);
          const cfg = ctx.params['config'] as SerialVirtRxConfig;
          return {
            init: () => c.init(),
            notified: (ch) => {
              c.notified(ch);
              const tail = cfg.clients[0]!.queue.vaddr;
              ctx.api.mem.write32(tail, (ctx.api.mem.read32(tail) + 1) >>> 0);
            },
          };
        };
        return { ...b, factory };
      },
      wrapComponent: (pd, b) => check.wrap(pd, b),
    });
    expect(r.result).toBeDefined();
    const rep = check.report();
    expect(rep.violations).toBeGreaterThan(0);
    expect(rep.kept[0]!.differences.join('\n')).toMatch(/virt_rx\.clients\.0\.bytes/);
  });
});
