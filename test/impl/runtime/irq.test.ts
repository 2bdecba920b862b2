// IRQ delivery and ack (sddf-protocols.md §1.4), through the deterministic runtime.
import { describe, expect, it } from 'vitest';
import { DeterministicRuntime } from '../../../impl/runtime/deterministic.ts';
import { ScriptedFaults } from '../../../impl/runtime/faults.ts';
import { registryOf, system } from './build.ts';

function driver(
  trigger: 'level' | 'edge',
  ackMode: 'ack' | 'deferred' | 'none',
  faults?: ScriptedFaults,
) {
  const model = system({
    pds: [{ name: 'driver', priority: 254, irqs: [{ irq: 79, id: 3, trigger }] }],
  });
  const seen: number[] = [];
  const { runtime, errors } = DeterministicRuntime.create(model, {
    registry: registryOf({
      driver: ({ api }) => ({
        notified: (ch) => {
          seen.push(ch);
          if (ackMode === 'ack') api.irqAck(ch);
          if (ackMode === 'deferred') api.deferredIrqAck(ch);
        },
      }),
    }),
    record: true,
    ...(faults === undefined ? {} : { faults }),
  });
  expect(errors).toEqual([]);
  const rt = runtime!;
  rt.run({ maxSteps: 10 });
  return { rt, seen };
}

describe('IRQs (§1.4)', () => {
  it('arrive as a notification bit on the IRQ channel id, and are not redelivered until ack', () => {
    const { rt, seen } = driver('level', 'none');
    rt.irqs.assertLine(79);
    rt.run({ maxSteps: 10 });
    rt.irqs.deassertLine(79);
    rt.irqs.assertLine(79);
    rt.irqs.pulse(79);
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([3]);
    expect(rt.irqs.isMasked(79)).toBe(true);
  });

  it('a level IRQ still asserted after the ack fires again; deasserted, it does not', () => {
    const { rt, seen } = driver('level', 'none');
    rt.irqs.assertLine(79);
    rt.run({ maxSteps: 10 });
    rt.irqs.ack(79, false);
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([3, 3]);
    rt.irqs.deassertLine(79);
    rt.irqs.ack(79, false);
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([3, 3]);
    expect(rt.irqs.isMasked(79)).toBe(false);
  });

  it('a level line polled from the device decides the re-fire at ack time', () => {
    const { rt, seen } = driver('level', 'none');
    let line = true;
    rt.irqs.attachLevelSource(79, () => line);
    rt.irqs.assertLine(79);
    rt.run({ maxSteps: 10 });
    line = false; // the driver cleared the device's interrupt status before acking
    rt.irqs.ack(79, false);
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([3]);
  });

  it('a driver that acks in its handler (immediately or deferred) sees a held level IRQ once per wake', () => {
    for (const mode of ['ack', 'deferred'] as const) {
      const { rt, seen } = driver('level', mode);
      rt.irqs.assertLine(79);
      const r = rt.run({ maxSteps: 5 });
      // The line never drops: each ack re-fires, and the bounded run reports it did not finish.
      expect(r.status).toBe('incomplete');
      expect(seen.length).toBe(5);
      expect(
        rt
          .rec!.events.filter((e) => e.action === 'irq_ack')
          .every((e) => e.action === 'irq_ack' && e.deferred === (mode === 'deferred')),
      ).toBe(true);
    }
  });

  it('an edge while masked is latched once and fires after the ack; an edge IRQ does not re-fire by itself', () => {
    const { rt, seen } = driver('edge', 'none');
    rt.irqs.pulse(79);
    rt.run({ maxSteps: 10 });
    rt.irqs.pulse(79);
    rt.irqs.pulse(79);
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([3]);
    rt.irqs.ack(79, false);
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([3, 3]);
    rt.irqs.ack(79, false);
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([3, 3]);
  });

  it('an injected IRQ drop loses that interrupt only', () => {
    const { rt, seen } = driver(
      'edge',
      'ack',
      new ScriptedFaults({ dropIrq: [{ irq: 79, nth: 1 }] }),
    );
    rt.irqs.pulse(79);
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([]);
    rt.irqs.pulse(79);
    rt.run({ maxSteps: 10 });
    expect(seen).toEqual([3]);
    expect(rt.rec!.count('inject')).toBe(1);
  });
});

describe('devices acting when no PD is runnable (onIdle)', () => {
  it('a device that raises an IRQ from onIdle wakes the driver; the run ends quiescent when the device is done', () => {
    const model = system({
      pds: [{ name: 'driver', priority: 254, irqs: [{ irq: 30, id: 1, trigger: 'edge' }] }],
    });
    let pending = 3;
    let seen = 0;
    const late: { rt?: DeterministicRuntime } = {};
    const { runtime } = DeterministicRuntime.create(model, {
      registry: registryOf({
        driver: ({ api }) => ({ notified: (ch) => (seen++, api.irqAck(ch)) }),
      }),
      onIdle: () => {
        if (pending === 0) return false;
        pending--;
        late.rt!.irqs.pulse(30);
        return true;
      },
    });
    late.rt = runtime!;
    expect(runtime!.run({ maxSteps: 100 }).status).toBe('quiescent');
    expect(seen).toBe(3);
  });

  it('a device busy forever without waking any PD hits the idle bound: incomplete, not quiescent', () => {
    const model = system({ pds: [{ name: 'driver', priority: 254 }] });
    const { runtime } = DeterministicRuntime.create(model, {
      registry: registryOf({ driver: () => ({}) }),
      onIdle: () => true,
    });
    expect(runtime!.run({ maxSteps: 100 }).status).toBe('incomplete');
  });
});
