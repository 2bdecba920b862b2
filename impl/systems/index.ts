// Built-in example systems: each is a real .system file in its own folder (ARCHITECTURE.md
// impl/systems). This module only resolves a built-in name to its .system path; the component
// wiring of each system is registered by the issues that implement its components.

import { join } from 'node:path';

export const DEFAULT_SYSTEM = 'echo_server';

const BUILT_IN: Readonly<Record<string, string>> = {
  echo_server: join(import.meta.dirname, 'echo_server', 'echo_server.system'),
  /** The same echo server with an i.MX ENET NIC and driver (`sddf run echo --nic enet`). */
  echo_server_enet: join(import.meta.dirname, 'echo_server', 'echo_server_enet.system'),
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
