// Small runtime helpers on their own (issue 12 part 7 survivors): the config look-ups and their
// located messages, the registry's resolution order, and the file loader's two outcomes.
import { describe, expect, it } from 'vitest';
import { channelTo, irqById, mapOf, type ComponentConfig } from '../../../impl/runtime/config.ts';
import { ComponentRegistry, type ComponentBinding } from '../../../impl/runtime/registry.ts';
import { deterministicFromFile, loadSystemModel } from '../../../impl/runtime/load.ts';

const config: ComponentConfig = {
  pd: 'virt_rx',
  programImage: 'network_virt_rx.elf',
  priority: 99,
  passive: false,
  maps: [
    {
      mr: 'a',
      vaddr: 0x1000,
      sizeBytes: 0x1000,
      ioAddr: 0n,
      perms: { r: true, w: false, x: false },
      cached: true,
    },
    {
      mr: 'b',
      vaddr: 0x2000,
      sizeBytes: 0x1000,
      ioAddr: 0n,
      perms: { r: true, w: true, x: false },
      cached: true,
    },
    {
      mr: 'b',
      vaddr: 0x3000,
      sizeBytes: 0x1000,
      ioAddr: 0n,
      perms: { r: true, w: true, x: false },
      cached: true,
    },
  ],
  channels: [
    { id: 0, peer: 'driver', peerId: 1, notify: true, pp: false },
    { id: 1, peer: 'client', peerId: 2, notify: true, pp: false },
    { id: 2, peer: 'client', peerId: 3, notify: true, pp: true },
  ],
  irqs: [
    { id: 5, irq: 33, trigger: 'level' },
    { id: 6, irq: 34, trigger: 'edge' },
  ],
};

describe('component config look-ups', () => {
  it('find the first match by name, peer or id', () => {
    expect(mapOf(config, 'b').vaddr).toBe(0x2000);
    expect(mapOf(config, 'a').vaddr).toBe(0x1000);
    expect(channelTo(config, 'client').id).toBe(1);
    expect(channelTo(config, 'driver').id).toBe(0);
    expect(irqById(config, 6).irq).toBe(34);
    expect(irqById(config, 5).irq).toBe(33);
  });

  it('a look-up that finds nothing is our bug, reported with the PD and what it has', () => {
    expect(() => mapOf(config, 'c')).toThrow("PD 'virt_rx' maps 'c' (it maps: a, b, b)");
    expect(() => channelTo(config, 'timer')).toThrow("PD 'virt_rx' has a channel to 'timer'");
    expect(() => irqById(config, 7)).toThrow("PD 'virt_rx' has an IRQ on channel id 7");
  });
});

describe('ComponentRegistry.resolve', () => {
  const b = (tag: string): ComponentBinding => ({
    factory: () => ({ init: () => {}, notified: () => {} }),
    params: { tag },
  });
  const tag = (r: ComponentRegistry, name: string, programImage: string) =>
    r.resolve({ name, programImage })?.params?.['tag'];

  it('PD name first, then the program_image path, its base name, its stem, then the fallback', () => {
    const r = new ComponentRegistry()
      .register('eth', b('name'))
      .register('build/x/eth.elf', b('path'))
      .register('eth.elf', b('base'))
      .register('eth', b('name'));
    expect(tag(r, 'eth', 'build/x/eth.elf')).toBe('name');
    const r2 = new ComponentRegistry()
      .register('build/x/eth.elf', b('path'))
      .register('eth.elf', b('base'))
      .register('eth', b('stem'));
    expect(tag(r2, 'driver', 'build/x/eth.elf')).toBe('path');
    expect(tag(r2, 'driver', 'other/dir/eth.elf')).toBe('base');
    expect(tag(r2, 'driver', 'other/dir/eth.o.elf')).toBe(undefined);
    expect(tag(r2, 'driver', 'a/b/eth.bin')).toBe('stem');
    expect(tag(r2, 'driver', 'eth')).toBe('stem');
    expect(tag(r2, 'driver', 'eth.')).toBe('stem');
    expect(tag(r2, 'driver', 'eth.elfx/y')).toBe(undefined);
    expect(tag(r2, 'driver', 'x/eth.elf.gz')).toBe('base'); // its stem is 'eth.elf'
    r2.register('eth.x', b('dotted stem'));
    expect(tag(r2, 'driver', 'x/eth.x.elf')).toBe('dotted stem'); // only the last extension goes
    expect(tag(r2, 'driver', 'x/eth.y.elf')).toBe(undefined);
    expect(tag(r2, 'driver', 'deth.elf')).toBe(undefined);
    r2.fallback(b('fallback'));
    expect(tag(r2, 'driver', 'x/eth.y.elf')).toBe('fallback');
    expect(tag(r2, 'driver', 'eth.elf')).toBe('base');
    expect(new ComponentRegistry().resolve({ name: 'a', programImage: 'a.elf' })).toBeUndefined();
  });
});

describe('loading a system file', () => {
  it('a valid file gives a model and no errors; a bad one gives located errors and no model or runtime', () => {
    const ok = loadSystemModel('test/fixtures/runtime/ping_pong.system');
    expect(ok.errors).toEqual([]);
    expect(ok.model!.pds.length).toBeGreaterThan(0);
    const bad = loadSystemModel('test/fixtures/sdf-invalid/bad_bool.system');
    expect(bad.model).toBeUndefined();
    expect(bad.errors.length).toBeGreaterThan(0);
    expect(bad.errors[0]!.file).toContain('bad_bool.system');
    const rt = deterministicFromFile('test/fixtures/sdf-invalid/bad_bool.system', {
      registry: new ComponentRegistry(),
    });
    expect(rt.runtime).toBeUndefined();
    expect(rt.errors).toEqual(bad.errors);
  });
});
