// Built-in example systems: each is a real .system file in its own folder (ARCHITECTURE.md
// impl/systems). This module only resolves a built-in name to its .system path; the component
// wiring of each system is registered by the issues that implement its components.

import { join } from 'node:path';

export const DEFAULT_SYSTEM = 'echo_server';

const BUILT_IN: Readonly<Record<string, string>> = {
  echo_server: join(import.meta.dirname, 'echo_server', 'echo_server.system'),
  /** The same echo server with an i.MX ENET NIC and driver (`sddf run echo --nic enet`). */
  echo_server_enet: join(import.meta.dirname, 'echo_server', 'echo_server_enet.system'),
  /** Block: virtio-blk driver, virt, two clients on two partitions (`sddf run blk`). */
  blk: join(import.meta.dirname, 'blk', 'blk.system'),
  /** The passive timer driver on the goldfish RTC and periodic clients (`sddf run timer`). */
  timer: join(import.meta.dirname, 'timer', 'timer.system'),
  /** The I²C virt, driver, a DS3231 and an EEPROM client, and a timer (`sddf run i2c`). */
  i2c: join(import.meta.dirname, 'i2c', 'i2c.system'),
  /** The serial console: PL011 driver, virt_tx, virt_rx, three clients (`sddf run serial`). */
  serial: join(import.meta.dirname, 'serial', 'serial.system'),
};

/** Names of the built-in systems. */
export function builtInSystems(): readonly string[] {
  return Object.keys(BUILT_IN);
}

/** The .system path of a built-in system, or undefined when `name` is not one. */
export function builtInSystemPath(name: string): string | undefined {
  return Object.hasOwn(BUILT_IN, name) ? BUILT_IN[name] : undefined;
}
