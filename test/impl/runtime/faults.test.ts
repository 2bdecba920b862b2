import { describe, expect, it } from 'vitest';
import { parseFaultSpec, ScriptedFaults } from '../../../impl/runtime/faults.ts';

describe('fault injection', () => {
  it('parses a --faults spec into a script', () => {
    const { script, errors } = parseFaultSpec(
      'crash:client0@5,drop-notify:virt_rx@3, dup-notify:copier@2,drop-irq:79@1,stall:virtio_net@100-200',
    );
    expect(errors).toEqual([]);
    expect(script).toEqual({
      crash: [{ pd: 'client0', atWake: 5 }],
      dropNotify: [{ to: 'virt_rx', nth: 3 }],
      duplicateNotify: [{ to: 'copier', nth: 2 }],
      dropIrq: [{ irq: 79, nth: 1 }],
      stall: [{ device: 'virtio_net', fromStep: 100, toStep: 200 }],
    });
  });

  it('reports each bad item with its column', () => {
    const { script, errors } = parseFaultSpec('crash:a@0,explode:b@1,stall:d@5-2,drop-irq:x@1');
    expect(script).toBeUndefined();
    expect(errors.map((e) => [e.code, e.column])).toEqual([
      ['RUNTIME_FAULT_SPEC', 1],
      ['RUNTIME_FAULT_SPEC', 11],
      ['RUNTIME_FAULT_SPEC', 23],
      ['RUNTIME_FAULT_SPEC', 35],
    ]);
  });

  it('counts per target, 1-based, and answers the device-stall hook over a half-open step range', () => {
    const f = new ScriptedFaults({
      dropNotify: [{ to: 'b', nth: 2 }],
      duplicateNotify: [{ to: 'b', nth: 3 }],
      stall: [{ device: 'nic', fromStep: 10, toStep: 12 }],
    });
    expect([
      f.onNotify('a'),
      f.onNotify('b'),
      f.onNotify('a'),
      f.onNotify('b'),
      f.onNotify('b'),
      f.onNotify('b'),
    ]).toEqual(['deliver', 'deliver', 'deliver', 'drop', 'duplicate', 'deliver']);
    expect([9, 10, 11, 12].map((s) => f.deviceStalled('nic', s))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(f.deviceStalled('blk', 10)).toBe(false);
  });
});
