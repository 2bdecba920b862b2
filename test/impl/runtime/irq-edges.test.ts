// The IRQ controller at its edges (issue 12 part 7 survivors), driven directly with a recording
// deliver callback: an edge on a masked level line is not remembered, an ack of an unmasked line
// does nothing, a masked edge line with nothing pending stays quiet after the ack, a line starts
// low, infoFor, and an undeclared IRQ is our bug.
import { describe, expect, it } from 'vitest';
import { IrqController } from '../../../impl/runtime/irq.ts';

function controller() {
  const delivered: string[] = [];
  const irqs = new IrqController(
    [
      { irq: 10, pd: 'drv', ch: 0, trigger: 'level' },
      { irq: 11, pd: 'drv', ch: 1, trigger: 'edge' },
    ],
    (pd, ch) => void delivered.push(`${pd}:${ch}`),
    null,
    null,
  );
  return { irqs, delivered };
}

describe('IrqController edges', () => {
  it('a pulse on a masked level line is not remembered: the ack delivers only if the line is high', () => {
    const { irqs, delivered } = controller();
    irqs.pulse(10); // delivered, masked
    irqs.pulse(10); // masked: a level line keeps no edge
    expect(delivered).toEqual(['drv:0']);
    irqs.ack(10, false);
    expect(delivered).toEqual(['drv:0']);
    expect(irqs.isMasked(10)).toBe(false);
  });

  it('a line starts low: attaching no source and acking an unmasked line delivers nothing', () => {
    const { irqs, delivered } = controller();
    irqs.ack(10, false);
    irqs.ack(11, false);
    expect(delivered).toEqual([]);
    expect(irqs.isMasked(10)).toBe(false);
  });

  it('acking an unmasked line does not re-deliver even if the level source is high', () => {
    const { irqs, delivered } = controller();
    irqs.attachLevelSource(10, () => true);
    irqs.ack(10, false);
    expect(delivered).toEqual([]);
  });

  it('a masked edge line with no edge pending stays quiet after the ack; with one it fires once', () => {
    const { irqs, delivered } = controller();
    irqs.pulse(11);
    irqs.ack(11, false);
    expect(delivered).toEqual(['drv:1']);
    irqs.pulse(11);
    irqs.pulse(11); // pending while masked
    irqs.ack(11, false);
    expect(delivered).toEqual(['drv:1', 'drv:1', 'drv:1']);
    irqs.ack(11, false);
    expect(delivered).toHaveLength(3);
  });

  it('infoFor gives the declaring PD and channel; an undeclared IRQ is our bug', () => {
    const { irqs } = controller();
    expect(irqs.infoFor(11)).toEqual({ irq: 11, pd: 'drv', ch: 1, trigger: 'edge' });
    expect(() => irqs.infoFor(12)).toThrow(/IRQ 12 is declared by some PD's <irq>/);
    expect(() => irqs.assertLine(99)).toThrow(/IRQ 99/);
  });
});

describe('IrqController edges (2)', () => {
  it('an edge line whose level is high is not re-delivered at the ack (only a pending edge is)', () => {
    const { irqs, delivered } = controller();
    irqs.assertLine(11);
    expect(delivered).toEqual(['drv:1']);
    irqs.ack(11, false);
    expect(delivered).toEqual(['drv:1']);
  });

  it('a dropped IRQ with recording off is simply not delivered', () => {
    const delivered: string[] = [];
    const irqs = new IrqController(
      [{ irq: 10, pd: 'drv', ch: 0, trigger: 'level' }],
      (pd, ch) => void delivered.push(`${pd}:${ch}`),
      null,
      {
        crashAtWake: () => false,
        onNotify: () => 'deliver',
        onIrq: () => 'drop',
        deviceStalled: () => false,
      },
    );
    irqs.pulse(10);
    expect(delivered).toEqual([]);
    expect(irqs.isMasked(10)).toBe(false);
  });
});
