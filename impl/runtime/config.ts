// Component configuration derived from the system description, as sdfgen derives its config
// structs (microkit-sdf.md §2.5): each map's vaddr and size must equal the SDF map, the I/O address
// is the MR's physical address, and a channel id is the id at *this* end. Plain data, so it can
// cross to a worker thread unchanged.

import { assert } from '../../spec/common/assert.ts';
import type { IrqTrigger, Perms } from '../../spec/system/model.ts';

export interface MapConfig {
  readonly mr: string;
  readonly vaddr: number;
  readonly sizeBytes: number;
  /** The MR's physical address = its I/O address (sdfgen DeviceRegion.io_addr). */
  readonly ioAddr: bigint;
  readonly perms: Perms;
  readonly cached: boolean;
}

export interface ChannelConfig {
  /** The id at this end. */
  readonly id: number;
  readonly peer: string;
  readonly peerId: number;
  /** This end may notify the peer. */
  readonly notify: boolean;
  /** This end may ppcall the peer. */
  readonly pp: boolean;
}

export interface IrqConfig {
  readonly id: number;
  readonly irq: number;
  readonly trigger: IrqTrigger;
}

export interface ComponentConfig {
  readonly pd: string;
  readonly programImage: string;
  readonly priority: number;
  readonly passive: boolean;
  readonly maps: readonly MapConfig[];
  readonly channels: readonly ChannelConfig[];
  readonly irqs: readonly IrqConfig[];
}

/** The (first) map of region `mr`; a component asking for a region it does not map is a bug. */
export function mapOf(config: ComponentConfig, mr: string): MapConfig {
  const m = config.maps.find((x) => x.mr === mr);
  assert(
    m !== undefined,
    () => `PD '${config.pd}' maps '${mr}' (it maps: ${config.maps.map((x) => x.mr).join(', ')})`,
  );
  return m;
}

/** The channel from this PD to `peer` (the first, when there are several). */
export function channelTo(config: ComponentConfig, peer: string): ChannelConfig {
  const c = config.channels.find((x) => x.peer === peer);
  assert(c !== undefined, () => `PD '${config.pd}' has a channel to '${peer}'`);
  return c;
}

export function irqById(config: ComponentConfig, id: number): IrqConfig {
  const i = config.irqs.find((x) => x.id === id);
  assert(i !== undefined, () => `PD '${config.pd}' has an IRQ on channel id ${id}`);
  return i;
}
