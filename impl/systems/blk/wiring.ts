// From a block system's description to each component's configuration, as microkit_sdf_gen
// derives it (reference microkit-sdf.md §2.5; sDDF include/sddf/blk/config.h). Region names follow
// sDDF's examples/blk system: per connection `blk_<pd>_{storage_info,request,response,data}`
// (the driver's connection is `blk_driver_*`), the driver maps `blk_regs`, `blk_virtio_headers`
// and `blk_driver_metadata`. The driver is the PD with an IRQ that maps `blk_regs`, the virt is
// the PD that maps `blk_driver_data`, and every other PD with a channel to the virt is a client,
// given partition i in channel-id order (sdfgen's `partition` option; the SDF does not say it).
// Queue capacity: from the response region's size (sdfgen: 128 per client), the driver's the
// power of two at or above their sum (catalogue U8, spec/components/blk/virt.ts). A DMA region's
// I/O address is its physical address: the fixed one, or where Microkit places an MR without one
// (the setvar `region_paddr` of sDDF's systems), as the runtime does (impl/mem/region.ts).

import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import type { ProtectionDomain, SourceLocation, SystemModel } from '../../../spec/system/model.ts';
import { blkDriverQueueCapacity } from '../../../spec/components/blk/virt.ts';
import type {
  BlkClientConfig,
  BlkConnection,
  BlkDriverConfig,
  BlkVirtConfig,
  DeviceRegion,
  RegionResource,
} from '../../components/blk/config.ts';
import { blkVirtMetadataBytes } from '../../components/blk/virt.ts';
import { placeRegions } from '../../mem/region.ts';
import {
  BLK_RESP_QUEUE_HEADER_BYTES,
  BLK_RESP_SIZE_BYTES,
  blkReqQueueSizeBytes,
} from '../../queue/blk.ts';

/** sdfgen's default queue capacity per client (src/sddf/blk.zig). */
export const BLK_DEFAULT_CLIENT_CAPACITY = 128;

export interface BlkWiring {
  readonly driverPd: string;
  readonly virtPd: string;
  readonly clientPds: readonly string[];
  readonly driver: BlkDriverConfig;
  readonly virt: BlkVirtConfig;
  readonly clients: readonly BlkClientConfig[];
  readonly driverIrq: {
    readonly irq: number;
    readonly id: number;
    readonly trigger: 'edge' | 'level';
  };
  readonly regsMr: string;
  /** MRs the device may DMA to. */
  readonly dmaMrs: readonly string[];
  /** Queue MRs and their capacities (monitors). */
  readonly queues: readonly {
    readonly mr: string;
    readonly capacity: number;
    readonly kind: 'req' | 'resp';
  }[];
}

class Wirer {
  readonly errors: Diagnostic[] = [];
  constructor(readonly model: SystemModel) {
    this.placed = placeRegions(model.memoryRegions);
  }

  fail(message: string, loc?: SourceLocation): void {
    this.errors.push({
      code: 'RUN_WIRING',
      message,
      file: loc?.file ?? this.model.file,
      ...(loc === undefined ? {} : { line: loc.line, column: loc.column }),
    });
  }

  mr(name: string) {
    return this.model.memoryRegions.find((m) => m.name === name);
  }

  map(pd: ProtectionDomain, mr: string, need = 0): RegionResource {
    const m = pd.maps.find((x) => x.mr === mr);
    const region = this.mr(mr);
    if (m === undefined || region === undefined) {
      this.fail(`PD '${pd.name}' must map '${mr}' (a block system's connection region)`, pd.loc);
      return { vaddr: 0, sizeBytes: 0 };
    }
    if (Number(region.sizeBytes) < need) {
      this.fail(
        `memory region '${mr}' of ${region.sizeBytes} bytes is smaller than the ${need} bytes it must hold`,
        region.loc,
      );
    }
    return { vaddr: Number(m.vaddr), sizeBytes: Number(region.sizeBytes) };
  }

  /** An MR's physical address, fixed or where Microkit (and the runtime) places it. */
  private readonly placed: Map<string, bigint>;

  deviceMap(pd: ProtectionDomain, mr: string): DeviceRegion {
    const r = this.map(pd, mr);
    return { ...r, ioAddr: this.placed.get(mr) ?? 0n };
  }

  channel(a: string, b: string): number {
    for (const c of this.model.channels) {
      const [x, y] = c.ends;
      if (x.pd === a && y.pd === b) return x.id;
      if (y.pd === a && x.pd === b) return y.id;
    }
    this.fail(`a block system needs a channel between '${a}' and '${b}'`);
    return 0;
  }
}

function capacityOf(w: Wirer, mr: string): number {
  const r = w.mr(mr);
  if (r === undefined) return 0;
  const fit = Math.floor((Number(r.sizeBytes) - BLK_RESP_QUEUE_HEADER_BYTES) / BLK_RESP_SIZE_BYTES);
  let p = 1;
  while (p * 2 <= Math.min(fit, BLK_DEFAULT_CLIENT_CAPACITY)) p *= 2;
  return p;
}

export function wireBlk(model: SystemModel): { wiring?: BlkWiring; errors: Diagnostic[] } {
  const w = new Wirer(model);
  const driverPd = model.pds.find(
    (p) => p.irqs.length > 0 && p.maps.some((m) => m.mr === 'blk_regs'),
  );
  const virtPd = model.pds.find((p) => p.maps.some((m) => m.mr === 'blk_driver_data'));
  if (driverPd === undefined || virtPd === undefined) {
    w.fail(
      "not a block system: no PD with an IRQ that maps 'blk_regs', or none that maps 'blk_driver_data'",
    );
    return { errors: w.errors };
  }
  const clientEnds = model.channels
    .flatMap((c) => {
      const [a, b] = c.ends;
      if (a.pd === virtPd.name && b.pd !== driverPd.name) return [{ pd: b.pd, virtId: a.id }];
      if (b.pd === virtPd.name && a.pd !== driverPd.name) return [{ pd: a.pd, virtId: b.id }];
      return [];
    })
    .sort((x, y) => x.virtId - y.virtId);
  const clientPds = clientEnds.map((e) => model.pds.find((p) => p.name === e.pd)!);
  if (clientPds.length === 0)
    w.fail('a block system needs at least one client of the virt', virtPd.loc);

  const clientCaps = clientPds.map((c) => capacityOf(w, `blk_${c.name}_response`));
  const drvCap = blkDriverQueueCapacity(clientCaps);
  const conn = (
    pd: ProtectionDomain,
    owner: string,
    peer: string,
    capacity: number,
  ): BlkConnection => ({
    storageInfo: w.map(pd, `blk_${owner}_storage_info`, 88),
    req: w.map(pd, `blk_${owner}_request`, blkReqQueueSizeBytes(capacity)),
    resp: w.map(
      pd,
      `blk_${owner}_response`,
      BLK_RESP_QUEUE_HEADER_BYTES + BLK_RESP_SIZE_BYTES * capacity,
    ),
    capacity,
    id: w.channel(pd.name, peer),
  });
  const irq = driverPd.irqs[0]!;
  const driver: BlkDriverConfig = {
    regs: w.map(driverPd, 'blk_regs'),
    headers: w.deviceMap(driverPd, 'blk_virtio_headers'),
    metadata: w.deviceMap(driverPd, 'blk_driver_metadata'),
    irqId: irq.id,
    virt: conn(driverPd, 'driver', virtPd.name, drvCap),
  };
  const virt: BlkVirtConfig = {
    driver: {
      conn: conn(virtPd, 'driver', driverPd.name, drvCap),
      data: w.deviceMap(virtPd, 'blk_driver_data'),
    },
    clients: clientPds.map((c, i) => ({
      conn: conn(virtPd, c.name, c.name, clientCaps[i]!),
      data: w.deviceMap(virtPd, `blk_${c.name}_data`),
      partition: i,
    })),
    // Ours (ADR 022): without it (sDDF's own systems) the virt keeps its table privately and a
    // restart starts it afresh.
    ...(virtPd.maps.some((m) => m.mr === 'blk_virt_metadata')
      ? { metadata: w.map(virtPd, 'blk_virt_metadata', blkVirtMetadataBytes(drvCap)) }
      : {}),
  };
  const clients: BlkClientConfig[] = clientPds.map((c, i) => ({
    conn: conn(c, c.name, virtPd.name, clientCaps[i]!),
    data: w.map(c, `blk_${c.name}_data`),
  }));
  if (w.errors.length > 0) return { errors: w.errors };
  return {
    wiring: {
      driverPd: driverPd.name,
      virtPd: virtPd.name,
      clientPds: clientPds.map((c) => c.name),
      driver,
      virt,
      clients,
      driverIrq: { irq: irq.irq, id: irq.id, trigger: irq.trigger === 'level' ? 'level' : 'edge' },
      regsMr: 'blk_regs',
      dmaMrs: [
        'blk_virtio_headers',
        'blk_driver_metadata',
        'blk_driver_data',
        ...clientPds.map((c) => `blk_${c.name}_data`),
      ],
      queues: [
        { mr: 'blk_driver_request', capacity: drvCap, kind: 'req' },
        { mr: 'blk_driver_response', capacity: drvCap, kind: 'resp' },
        ...clientPds.flatMap((c, i) => [
          { mr: `blk_${c.name}_request`, capacity: clientCaps[i]!, kind: 'req' as const },
          { mr: `blk_${c.name}_response`, capacity: clientCaps[i]!, kind: 'resp' as const },
        ]),
      ],
    },
    errors: [],
  };
}
