// Fault scripts at their edges (issue 12 part 7 survivors): the --faults grammar is anchored at
// both ends (a prefix or suffix is an error, not ignored), drop-irq targets are whole numbers, and
// a duplicate is injected only for the PD it names.
import { describe, expect, it } from 'vitest';
import { ScriptedFaults, parseFaultSpec } from '../../../impl/runtime/faults.ts';

describe('parseFaultSpec anchors', () => {
  it('text before the kind or after the count is an error', () => {
    for (const bad of ['xcrash:a@1', 'crash:a@1x', 'crash:a@1 junk', 'stall:d@1-2x'])
      expect(parseFaultSpec(bad).errors.map((e) => e.message)).toEqual([
        `'${bad}' is not KIND:TARGET@N (kinds: crash, drop-notify, dup-notify, drop-irq, stall)`,
      ]);
    expect(parseFaultSpec('crash:a@1').errors).toEqual([]);
  });

  it('drop-irq needs a whole IRQ number as its target', () => {
    for (const bad of ['drop-irq:x5@1', 'drop-irq:5x@1'])
      expect(parseFaultSpec(bad).errors.map((e) => e.message)).toEqual([
        `drop-irq needs an IRQ number, in '${bad}'`,
      ]);
    expect(parseFaultSpec('drop-irq:55@2').script!.dropIrq).toEqual([{ irq: 55, nth: 2 }]);
  });
});

describe('ScriptedFaults targets', () => {
  it('a duplicate or a drop is for the named PD only, at its own count', () => {
    const f = new ScriptedFaults({
      duplicateNotify: [{ to: 'b', nth: 1 }],
      dropNotify: [{ to: 'b', nth: 2 }],
    });
    expect(f.onNotify('c')).toBe('deliver');
    expect(f.onNotify('c')).toBe('deliver');
    expect(f.onNotify('b')).toBe('duplicate');
    expect(f.onNotify('b')).toBe('drop');
    expect(f.onNotify('b')).toBe('deliver');
  });

  it('a script without entries injects nothing', () => {
    const f = new ScriptedFaults({});
    expect(f.crashAtWake('a', 1)).toBe(false);
    expect(f.onNotify('a')).toBe('deliver');
    expect(f.onIrq(1)).toBe('deliver');
    expect(f.deviceStalled('d', 0)).toBe(false);
  });
});
