// From the echo server's system description to each component's configuration, the way
// microkit_sdf_gen derives and serialises it (reference microkit-sdf.md §2.5; sdfgen src/sddf/net.zig
// names: `<dev>/net/queue/<server>/<client>/{free,active}`, `<dev>/net/rx/data/device`,
// `<dev>/net/rx/virt_metadata`, `<dev>/net/{rx,tx}/data/client/<client>`). Vaddrs and sizes come from
// each PD's own maps, I/O addresses from the MR's physical address, channel ids from each end,
// capacities from the data regions (sdfgen: queue capacity = buffers, rounded up to a power of two;
// the driver's Tx queue holds every client's Tx buffers). A mismatch is a located diagnostic.

import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import { NET_BUFFER_SIZE_BYTES, netQueueSizeBytes } from '../../../spec/queue/net.ts';
import type { ProtectionDomain, SourceLocation, SystemModel } from '../../../spec/system/model.ts';
import type {
  DeviceRegion,
  NetClientConfig,
  NetConnection,
  NetCopyConfig,
  NetDriverConfig,
  NetVirtRxConfig,
  NetVirtTxConfig,
  RegionResource,
} from '../../components/net/config.ts';
import type { SerialClientConfig } from '../../clients/serial_out.ts';
import type { SerialConn, SerialDriverParams, SerialVirtTxParams } from '../standins/serial.ts';

export const NET_PREFIX = 'ethernet';

export interface EchoServerNames {
  readonly driver: string;
  readonly virtRx: string;
  readonly virtTx: string;
  /** Per client: its PD and its copier PD. */
  readonly clients: readonly { readonly client: string; readonly copier: string }[];
  readonly serialDriver: string;
  readonly serialVirtTx: string;
  readonly timer: string;
}

/** The PD names of the built-in echo server (sdfgen and meta.py naming). */
export const ECHO_SERVER_NAMES: EchoServerNames = {
  driver: 'ethernet_driver',
  virtRx: 'net_virt_rx',
  virtTx: 'net_virt_tx',
  clients: [
    { client: 'client0', copier: 'client0_net_copier' },
    { client: 'client1', copier: 'client1_net_copier' },
  ],
  serialDriver: 'serial_driver',
  serialVirtTx: 'serial_virt_tx',
  timer: 'timer_driver',
};

export interface ClientAddress {
  readonly mac: readonly number[];
  readonly ip: number;
}

/** sdfgen lets the system give client MACs; these are locally administered (bit 1 of byte 0). */
export function defaultClientAddress(index: number): ClientAddress {
  return {
    mac: [0x52, 0x54, 0x01, 0x00, 0x00, 0x10 + index],
    ip: (0x0a000200 | (10 + index)) >>> 0,
  };
}

/** The NIC (and so the driver) of an echo server: told from its register region's name. */
export type EchoNic = 'virtio' | 'enet';

export interface EchoWiring {
  readonly nic: EchoNic;
  readonly driver: NetDriverConfig;
  readonly virtRx: NetVirtRxConfig;
  readonly virtTx: NetVirtTxConfig;
  readonly copiers: readonly NetCopyConfig[];
  readonly clients: readonly NetClientConfig[];
  readonly clientSerial: readonly SerialClientConfig[];
  readonly clientTimer: readonly number[];
  readonly timerIrq: { readonly irq: number; readonly id: number };
  readonly driverIrq: { readonly irq: number; readonly id: number };
  readonly serialVirtTx: SerialVirtTxParams;
  readonly serialDriver: SerialDriverParams;
  readonly serialIrq: number | null;
  /** MR names the NIC may DMA to (its IOMMU windows). */
  readonly nicDmaRegions: readonly string[];
  readonly regsMr: string;
  /** The driver's hw ring region (virtqueues or BD rings, and the driver's persistent state). */
  readonly hwRingMr: string;
  readonly uartMr: string;
  /** Every net queue MR with its capacity and the PD that produces into it (monitors, costs). */
  readonly queues: readonly {
    readonly mr: string;
    readonly capacity: number;
    readonly producer: string;
  }[];
}

function ceilPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

class Wirer {
  readonly errors: Diagnostic[] = [];
  readonly queues: { mr: string; capacity: number; producer: string }[] = [];
  private readonly pds: Map<string, ProtectionDomain>;

  constructor(readonly model: SystemModel) {
    this.pds = new Map(model.pds.map((p) => [p.name, p]));
  }

  private where(loc?: SourceLocation): { file: string; line?: number; column?: number } {
    return loc === undefined
      ? { file: this.model.file }
      : { file: loc.file, line: loc.line, column: loc.column };
  }

  fail(message: string, loc?: SourceLocation): void {
    this.errors.push({ code: 'RUN_WIRING', message, ...this.where(loc) });
  }

  pd(name: string): ProtectionDomain | undefined {
    const p = this.pds.get(name);
    if (p === undefined) this.fail(`the echo server needs a protection domain '${name}'`);
    return p;
  }

  mrSize(name: string): number {
    const mr = this.model.memoryRegions.find((m) => m.name === name);
    if (mr === undefined) {
      this.fail(`the echo server needs a memory region '${name}'`);
      return 0;
    }
    return Number(mr.sizeBytes);
  }

  map(pdName: string, mr: string): RegionResource {
    const pd = this.pds.get(pdName);
    const m = pd?.maps.find((x) => x.mr === mr);
    if (pd === undefined || m === undefined) {
      this.fail(`PD '${pdName}' must map '${mr}'`, pd?.loc);
      return { vaddr: 0, sizeBytes: 0 };
    }
    return { vaddr: Number(m.vaddr), sizeBytes: this.mrSize(mr) };
  }

  deviceMap(pdName: string, mr: string): DeviceRegion {
    const r = this.map(pdName, mr);
    const region = this.model.memoryRegions.find((m) => m.name === mr);
    if (region !== undefined && region.physAddr === undefined) {
      // sdfgen creates DMA regions with Mr.physical: the device needs a fixed address.
      this.fail(`memory region '${mr}' is reached by DMA and needs a phys_addr`, region.loc);
    }
    return { ...r, ioAddr: region?.physAddr ?? 0n };
  }

  channel(pdName: string, peer: string): number {
    for (const c of this.model.channels) {
      const [a, b] = c.ends;
      if (a.pd === pdName && b.pd === peer) return a.id;
      if (b.pd === pdName && a.pd === peer) return b.id;
    }
    this.fail(
      `the echo server needs a channel between '${pdName}' and '${peer}'`,
      this.pds.get(pdName)?.loc,
    );
    return 0;
  }

  hasChannel(a: string, b: string): boolean {
    return this.model.channels.some(
      (c) =>
        (c.ends[0].pd === a && c.ends[1].pd === b) || (c.ends[0].pd === b && c.ends[1].pd === a),
    );
  }

  /**
   * One side's view of the connection `server` ↔ `client` with `capacity` descriptors. On an Rx
   * connection data flows server → client (the server produces `active`), on a Tx connection
   * client → server (the client produces `active`); the other side produces `free`.
   */
  conn(
    side: string,
    server: string,
    client: string,
    capacity: number,
    dir: 'rx' | 'tx',
  ): NetConnection {
    const base = `${NET_PREFIX}/net/queue/${server}/${client}`;
    const free = this.map(side, `${base}/free`);
    const active = this.map(side, `${base}/active`);
    const need = netQueueSizeBytes(capacity);
    for (const [q, r] of [
      ['free', free],
      ['active', active],
    ] as const) {
      if (r.sizeBytes !== 0 && r.sizeBytes < need) {
        const mr = this.model.memoryRegions.find((m) => m.name === `${base}/${q}`);
        this.fail(
          `queue region '${base}/${q}' of ${r.sizeBytes} bytes is too small for ${capacity} buffers (${need} bytes)`,
          mr?.loc,
        );
      }
      if (side === server && !this.queues.some((x) => x.mr === `${base}/${q}`)) {
        const serverProduces = (q === 'active') === (dir === 'rx');
        this.queues.push({
          mr: `${base}/${q}`,
          capacity,
          producer: serverProduces ? server : client,
        });
      }
    }
    return {
      free,
      active,
      numBuffers: capacity,
      id: this.channel(side, side === server ? client : server),
    };
  }

  irq(pdName: string): { irq: number; id: number } {
    const i = this.pds.get(pdName)?.irqs[0];
    if (i === undefined) {
      this.fail(`PD '${pdName}' needs an <irq>`, this.pds.get(pdName)?.loc);
      return { irq: 0, id: 0 };
    }
    return { irq: i.irq, id: i.id };
  }
}

export function wireEchoServer(
  model: SystemModel,
  options: { names?: EchoServerNames; address?: (i: number) => ClientAddress } = {},
): { wiring?: EchoWiring; errors: Diagnostic[] } {
  const n = options.names ?? ECHO_SERVER_NAMES;
  const address = options.address ?? defaultClientAddress;
  const w = new Wirer(model);
  for (const name of [n.driver, n.virtRx, n.virtTx, n.serialDriver, n.serialVirtTx, n.timer])
    w.pd(name);
  for (const c of n.clients) {
    w.pd(c.client);
    w.pd(c.copier);
  }
  if (w.errors.length > 0) return { errors: w.errors };

  const rxDmaMr = `${NET_PREFIX}/net/rx/data/device`;
  const rxBuffers = Math.floor(w.mrSize(rxDmaMr) / NET_BUFFER_SIZE_BYTES);
  const txBuffers = n.clients.map((c) =>
    Math.floor(w.mrSize(`${NET_PREFIX}/net/tx/data/client/${c.client}`) / NET_BUFFER_SIZE_BYTES),
  );
  const rxCap = ceilPow2(rxBuffers);
  const txDrvCap = ceilPow2(txBuffers.reduce((s, x) => s + x, 0));
  // sdfgen names a device's regions after its driver class: `ethernet/virtio/…` or `ethernet/enet/…`.
  const nic: EchoNic = model.memoryRegions.some((m) => m.name === `${NET_PREFIX}/enet/regs`)
    ? 'enet'
    : 'virtio';
  const regsMr = `${NET_PREFIX}/${nic}/regs`;
  const hwRingMr = `${NET_PREFIX}/${nic}/hw_ring_buffer`;
  const driverIrq = w.irq(n.driver);

  const driver: NetDriverConfig = {
    regs: w.map(n.driver, regsMr),
    hwRing: w.deviceMap(n.driver, hwRingMr),
    irqId: driverIrq.id,
    virtRx: w.conn(n.driver, n.driver, n.virtRx, rxCap, 'rx'),
    virtTx: w.conn(n.driver, n.driver, n.virtTx, txDrvCap, 'tx'),
    ...(w.hasChannel(n.driver, n.timer) ? { timerId: w.channel(n.driver, n.timer) } : {}),
  };
  const virtRx: NetVirtRxConfig = {
    driver: w.conn(n.virtRx, n.driver, n.virtRx, rxCap, 'rx'),
    data: w.deviceMap(n.virtRx, rxDmaMr),
    bufferMetadata: w.map(n.virtRx, `${NET_PREFIX}/net/rx/virt_metadata`),
    clients: n.clients.map((c, i) => ({
      conn: w.conn(n.virtRx, n.virtRx, c.copier, rxCap, 'rx'),
      macAddrs: [address(i).mac],
    })),
  };
  const virtTx: NetVirtTxConfig = {
    driver: w.conn(n.virtTx, n.driver, n.virtTx, txDrvCap, 'tx'),
    clients: n.clients.map((c, i) => ({
      conn: w.conn(n.virtTx, n.virtTx, c.client, ceilPow2(txBuffers[i]!), 'tx'),
      regions: [
        {
          data: w.deviceMap(n.virtTx, `${NET_PREFIX}/net/tx/data/client/${c.client}`),
          numBuffers: txBuffers[i]!,
        },
      ],
    })),
  };
  const copiers: NetCopyConfig[] = n.clients.map((c) => ({
    virt: w.conn(c.copier, n.virtRx, c.copier, rxCap, 'rx'),
    client: w.conn(c.copier, c.copier, c.client, rxCap, 'rx'),
    clientData: w.map(c.copier, `${NET_PREFIX}/net/rx/data/client/${c.client}`),
    rxData: [w.deviceMap(c.copier, rxDmaMr)],
  }));
  const clients: NetClientConfig[] = n.clients.map((c, i) => ({
    rx: w.conn(c.client, c.copier, c.client, rxCap, 'rx'),
    tx: w.conn(c.client, n.virtTx, c.client, ceilPow2(txBuffers[i]!), 'tx'),
    rxData: w.map(c.client, `${NET_PREFIX}/net/rx/data/client/${c.client}`),
    txData: w.map(c.client, `${NET_PREFIX}/net/tx/data/client/${c.client}`),
    mac: address(i).mac,
    ip: address(i).ip,
  }));

  const serialConn = (side: string, server: string, client: string): SerialConn => ({
    queue: w.map(side, `uart/serial/queue/${server}/${client}`),
    data: w.map(side, `uart/serial/data/${server}/${client}`),
    id: w.channel(side, side === server ? client : server),
  });
  const clientSerial = n.clients.map((c) => serialConn(c.client, n.serialVirtTx, c.client));
  const serialVirtTx: SerialVirtTxParams = {
    driver: serialConn(n.serialVirtTx, n.serialDriver, n.serialVirtTx),
    clients: n.clients.map((c) => serialConn(n.serialVirtTx, n.serialVirtTx, c.client)),
  };
  const uartMr = 'pl011@9000000/arm/regs';
  const serialDriver: SerialDriverParams = {
    regs: w.map(n.serialDriver, uartMr),
    virtTx: serialConn(n.serialDriver, n.serialDriver, n.serialVirtTx),
  };
  const timerIrq = w.irq(n.timer);
  if (w.errors.length > 0) return { errors: w.errors };
  return {
    wiring: {
      nic,
      driver,
      virtRx,
      virtTx,
      copiers,
      clients,
      clientSerial,
      clientTimer: n.clients.map((c) => w.channel(c.client, n.timer)),
      timerIrq,
      driverIrq,
      serialVirtTx,
      serialDriver,
      serialIrq: w.irq(n.serialDriver).irq,
      nicDmaRegions: [
        hwRingMr,
        rxDmaMr,
        ...n.clients.map((c) => `${NET_PREFIX}/net/tx/data/client/${c.client}`),
      ],
      regsMr,
      hwRingMr,
      uartMr,
      queues: w.queues,
    },
    errors: [],
  };
}
