// Fault scripts at their edges (impl/runtime/faults.ts): each parse error's message and column,
// a stall range FROM == TO, a range on a kind that takes none, and the crash and IRQ hooks counted
// per target.
import { describe, expect, it } from 'vitest';
import { ScriptedFaults, parseFaultSpec } from '../../../impl/runtime/faults.ts';

describe('parseFaultSpec messages', () => {
  it('names what is wrong with each item, at its column, in the given file', () => {
    const { errors } = parseFaultSpec('x,crash:a@1-2,stall:d@5-5,crash:b@0,drop-irq:q@1', 'f.txt');
    expect(errors.map((e) => [e.file, e.line, e.column, e.message])).toEqual([
      [
        'f.txt',
        1,
        1,
        "'x' is not KIND:TARGET@N (kinds: crash, drop-notify, dup-notify, drop-irq, stall)",
      ],
      ['f.txt', 1, 3, "only stall takes a range, in 'crash:a@1-2'"],
      ['f.txt', 1, 15, "stall needs a step range FROM-TO with FROM < TO in 'stall:d@5-5'"],
      ['f.txt', 1, 27, "counts are 1-based, in 'crash:b@0'"],
      ['f.txt', 1, 37, "drop-irq needs an IRQ number, in 'drop-irq:q@1'"],
    ]);
    expect(parseFaultSpec('stall:d@5').errors[0]!.message).toMatch(/FROM < TO/);
    expect(parseFaultSpec('crash:a@1').errors).toEqual([]);
    expect(parseFaultSpec('stall:d@5-6').script!.stall).toEqual([
      { device: 'd', fromStep: 5, toStep: 6 },
    ]);
    expect(parseFaultSpec('x').script).toBeUndefined();
    expect(parseFaultSpec('crash:a@1').script!.crash).toEqual([{ pd: 'a', atWake: 1 }]);
  });
});

describe('ScriptedFaults hooks', () => {
  it('crash at exactly the scripted wake of exactly that PD', () => {
    const f = new ScriptedFaults({ crash: [{ pd: 'a', atWake: 2 }] });
    expect([1, 2, 3].map((w) => f.crashAtWake('a', w))).toEqual([false, true, false]);
    expect(f.crashAtWake('b', 2)).toBe(false);
    expect(new ScriptedFaults({}).crashAtWake('a', 1)).toBe(false);
  });

  it('IRQs are counted per IRQ number, 1-based', () => {
    const f = new ScriptedFaults({ dropIrq: [{ irq: 5, nth: 2 }] });
    expect([f.onIrq(5), f.onIrq(6), f.onIrq(5), f.onIrq(5), f.onIrq(6)]).toEqual([
      'deliver',
      'deliver',
      'drop',
      'deliver',
      'deliver',
    ]);
    const none = new ScriptedFaults({});
    expect([none.onIrq(1), none.onNotify('a'), none.deviceStalled('d', 0)]).toEqual([
      'deliver',
      'deliver',
      false,
    ]);
  });
});
