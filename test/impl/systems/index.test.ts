// Built-in systems: the name resolves to a real .system file that Microkit would accept as is.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSystemFile } from '../../../impl/sdf/index.ts';
import { DEFAULT_SYSTEM, builtInSystemPath, builtInSystems } from '../../../impl/systems/index.ts';

describe('built-in systems', () => {
  it('echo_server is the default and resolves to its .system file', () => {
    expect(DEFAULT_SYSTEM).toBe('echo_server');
    expect(builtInSystems()).toContain('echo_server');
    const path = builtInSystemPath('echo_server');
    expect(path).toMatch(/impl\/systems\/echo_server\/echo_server\.system$/);
    expect(existsSync(path ?? '')).toBe(true);
    expect(builtInSystemPath('no_such_system')).toBeUndefined();
    expect(builtInSystemPath('toString')).toBeUndefined();
  });

  it('the echo server is valid Microkit 2.x with no warnings, shaped like the sDDF example', () => {
    const r = parseSystemFile(builtInSystemPath('echo_server') ?? '');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.dialect).toBe('2');
    const pds = r.model?.pds.map((p) => p.name) ?? [];
    expect(pds).toEqual([
      'ethernet_driver',
      'net_virt_rx',
      'net_virt_tx',
      'client0_net_copier',
      'client1_net_copier',
      'client0',
      'client1',
      'serial_driver',
      'serial_virt_tx',
      'timer_driver',
    ]);
    const timer = r.model?.pds.find((p) => p.name === 'timer_driver');
    expect(timer?.passive).toBe(true);
    const ppcalls = r.model?.channels.flatMap((c) => c.ends.filter((e) => e.pp).map((e) => e.pd));
    // The clients call the timer (meta.py); the driver may too, for its optional watchdog (as
    // meta.py wires the rpi4b driver).
    expect(ppcalls).toEqual(['client0', 'client1', 'ethernet_driver']);
  });
});
