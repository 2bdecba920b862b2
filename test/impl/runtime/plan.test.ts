import { describe, expect, it } from 'vitest';
import { planSystem } from '../../../impl/runtime/plan.ts';
import { channelTo, irqById, mapOf } from '../../../impl/runtime/config.ts';
import { registryOf, system } from './build.ts';

const model = system({
  mrs: [
    { name: 'uart', size: 0x1000, phys: 0x900_0000n },
    { name: 'rx_queue', size: 0x2000 },
  ],
  pds: [
    {
      name: 'driver',
      priority: 200,
      maps: [
        { mr: 'uart', vaddr: 0x500_0000, perms: 'rw' },
        { mr: 'rx_queue', vaddr: 0x600_0000 },
      ],
      irqs: [{ irq: 33, id: 0, trigger: 'level' }],
    },
    { name: 'virt_rx', priority: 199, maps: [{ mr: 'rx_queue', vaddr: 0x700_0000, perms: 'r' }] },
  ],
  channels: [
    [
      { pd: 'driver', id: 1 },
      { pd: 'virt_rx', id: 4, notify: false },
    ],
  ],
});
const registry = registryOf({ driver: () => ({}), virt_rx: () => ({}) });

describe('planSystem: configuration derived from the SDF (microkit-sdf.md §2.5)', () => {
  it('gives each map its vaddr and the MR size, the I/O address = the MR paddr, and channel ids at this end', () => {
    const { plan, errors } = planSystem(model, { registry });
    expect(errors).toEqual([]);
    const driver = plan!.pds[0]!.config;
    const virt = plan!.pds[1]!.config;
    expect(mapOf(driver, 'uart')).toMatchObject({
      vaddr: 0x500_0000,
      sizeBytes: 0x1000,
      ioAddr: 0x900_0000n,
    });
    expect(mapOf(virt, 'rx_queue')).toMatchObject({
      vaddr: 0x700_0000,
      sizeBytes: 0x2000,
      ioAddr: mapOf(driver, 'rx_queue').ioAddr,
      perms: { r: true, w: false, x: false },
    });
    expect(channelTo(driver, 'virt_rx')).toEqual({
      id: 1,
      peer: 'virt_rx',
      peerId: 4,
      notify: true,
      pp: false,
    });
    expect(channelTo(virt, 'driver')).toMatchObject({ id: 4, notify: false });
    expect(irqById(driver, 0)).toEqual({ id: 0, irq: 33, trigger: 'level' });
    expect(() => mapOf(virt, 'uart')).toThrow(/maps 'uart'/);
    // Both PDs share one backing buffer for rx_queue.
    expect(plan!.pds[0]!.mappings[1]!.buffer).toBe(plan!.pds[1]!.mappings[0]!.buffer);
  });

  it('collects every problem as a located diagnostic: id clash, id out of range, unknown MR', () => {
    const bad = system({
      mrs: [{ name: 'a', size: 0x1000 }],
      pds: [
        {
          name: 'p',
          maps: [{ mr: 'nope', vaddr: 0x1000 }],
          irqs: [
            { irq: 1, id: 3 },
            { irq: 2, id: 62 },
          ],
        },
        { name: 'q' },
      ],
      channels: [
        [
          { pd: 'p', id: 3 },
          { pd: 'q', id: 0 },
        ],
      ],
    });
    const { plan, errors } = planSystem(bad, {
      registry: registryOf({ p: () => ({}), q: () => ({}) }),
    });
    expect(plan).toBeUndefined();
    expect(errors.map((e) => e.code).sort()).toEqual([
      'RUNTIME_CHANNEL_ID',
      'RUNTIME_CHANNEL_ID',
      'RUNTIME_MAP_MR',
    ]);
    expect(errors.every((e) => e.file === 'test.system' && e.line === 1)).toBe(true);
  });
});
