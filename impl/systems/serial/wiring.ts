// The serial system's configuration, derived from its .system file by structure (the hand-written
// sDDF examples/serial/board/qemu_virt_aarch64/serial.system at 73d98934 and our
// impl/systems/serial/serial.system): the PDs whose program images are `serial_virt_tx` and
// `serial_virt_rx`; the driver is the PD with an IRQ and a channel to virt_tx; the clients are
// virt_tx's other channel peers, in the order of virt_tx's channel ids. The queue and data region
// between two PDs are the MRs both map, told apart by `queue` / `data` in their names; a data
// region's size is the queue's capacity. Anything missing is a located error.
import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import type { ProtectionDomain, SystemModel } from '../../../spec/system/model.ts';
import type { RegionResource } from '../../components/net/config.ts';
import type { SerialConn } from '../../components/serial/port.ts';
import type { SerialVirtRxConfig } from '../../components/serial/virt_rx.ts';
import type { SerialVirtTxConfig } from '../../components/serial/virt_tx.ts';
import type { Pl011DriverConfig } from '../../drivers/serial/pl011.ts';
import type { SerialConsoleConfig } from '../../clients/serial_console.ts';

export interface SerialQueueWiring {
  readonly queueMr: string;
  readonly dataMr: string;
  readonly capacity: number;
  readonly producer: string;
  readonly consumer: string;
}

export interface SerialWiring {
  readonly driver: string;
  readonly virtTx: string;
  readonly virtRx: string | null;
  readonly clients: readonly string[];
  readonly uartMr: string;
  readonly irq: number;
  readonly driverConfig: Pl011DriverConfig;
  readonly virtTxConfig: SerialVirtTxConfig;
  readonly virtRxConfig: SerialVirtRxConfig | null;
  readonly clientConfigs: readonly SerialConsoleConfig[];
  /** Every queue, for the monitor. */
  readonly queues: readonly SerialQueueWiring[];
}

/** virt_tx.c `begin_str` as sdfgen sets it (serial.zig): printed when Rx is enabled. */
export const SERIAL_BEGIN_STR = 'Begin input\r\n';

class Wirer {
  readonly errors: Diagnostic[] = [];
  constructor(readonly model: SystemModel) {}

  fail(message: string, pd?: ProtectionDomain): void {
    this.errors.push({
      code: 'SERIAL_WIRING',
      message,
      file: pd?.loc.file ?? this.model.file,
      ...(pd === undefined ? {} : { line: pd.loc.line, column: pd.loc.column }),
    });
  }

  pd(name: string): ProtectionDomain {
    return this.model.pds.find((p) => p.name === name)!;
  }

  byImage(stem: string): ProtectionDomain | undefined {
    return this.model.pds.find(
      (p) => p.programImage.replace(/^.*\//, '').replace(/\.[^.]*$/, '') === stem,
    );
  }

  /** Channel peers of `pd`: [its id, the peer's name]. */
  peers(pd: string): { id: number; peer: string }[] {
    const out: { id: number; peer: string }[] = [];
    for (const c of this.model.channels) {
      const [a, b] = c.ends;
      if (a.pd === pd) out.push({ id: a.id, peer: b.pd });
      else if (b.pd === pd) out.push({ id: b.id, peer: a.pd });
    }
    return out.sort((x, y) => x.id - y.id);
  }

  channel(from: string, to: string): number {
    const p = this.peers(from).find((x) => x.peer === to);
    if (p === undefined) {
      this.fail(`no channel between '${from}' and '${to}'`, this.pd(from));
      return -1;
    }
    return p.id;
  }

  map(pd: string, mr: string): RegionResource {
    const m = this.pd(pd).maps.find((x) => x.mr === mr);
    const r = this.model.memoryRegions.find((x) => x.name === mr);
    if (m === undefined || r === undefined) {
      this.fail(`'${pd}' does not map '${mr}'`, this.pd(pd));
      return { vaddr: 0, sizeBytes: 1 };
    }
    return { vaddr: Number(m.vaddr), sizeBytes: Number(r.sizeBytes) };
  }

  /** The queue and data MRs both `a` and `b` map. */
  shared(
    a: string,
    b: string,
    producer: string,
    queues: SerialQueueWiring[],
  ): { queue: string; data: string } | null {
    const mine = new Set(this.pd(a).maps.map((m) => m.mr));
    const both = this.pd(b)
      .maps.map((m) => m.mr)
      .filter((mr) => mine.has(mr));
    const queue = both.find((mr) => /queue/.test(mr));
    const data = both.find((mr) => /data/.test(mr));
    if (queue === undefined || data === undefined) {
      this.fail(
        `'${a}' and '${b}' share no serial queue and data region (MR names with 'queue' and 'data')`,
        this.pd(a),
      );
      return null;
    }
    if (!queues.some((q) => q.queueMr === queue)) {
      const size = Number(this.model.memoryRegions.find((r) => r.name === data)!.sizeBytes);
      queues.push({
        queueMr: queue,
        dataMr: data,
        capacity: size,
        producer,
        consumer: producer === a ? b : a,
      });
    }
    return { queue, data };
  }

  conn(side: string, other: string, producer: string, queues: SerialQueueWiring[]): SerialConn {
    const s = this.shared(side, other, producer, queues);
    if (s === null)
      return { queue: { vaddr: 0, sizeBytes: 12 }, data: { vaddr: 0, sizeBytes: 1 }, id: -1 };
    return {
      queue: this.map(side, s.queue),
      data: this.map(side, s.data),
      id: this.channel(side, other),
    };
  }
}

export function wireSerial(model: SystemModel): { wiring?: SerialWiring; errors: Diagnostic[] } {
  const w = new Wirer(model);
  const vtx = w.byImage('serial_virt_tx');
  if (vtx === undefined) {
    w.fail("no PD runs 'serial_virt_tx' (the serial Tx virtualiser)");
    return { errors: w.errors };
  }
  const vrx = w.byImage('serial_virt_rx');
  const peersTx = w.peers(vtx.name);
  const driverPd = peersTx.map((p) => w.pd(p.peer)).find((p) => p.irqs.length > 0);
  if (driverPd === undefined) {
    w.fail(`no peer of '${vtx.name}' has an IRQ (the UART driver)`, vtx);
    return { errors: w.errors };
  }
  const driver = driverPd.name;
  const clients = peersTx.map((p) => p.peer).filter((p) => p !== driver);
  if (clients.length === 0) w.fail(`'${vtx.name}' has no client`, vtx);
  const uartMr = driverPd.maps
    .map((m) => m.mr)
    .find((mr) => model.memoryRegions.find((r) => r.name === mr)?.physAddr !== undefined);
  if (uartMr === undefined) w.fail(`'${driver}' maps no device region (the UART)`, driverPd);
  if (w.errors.length > 0) return { errors: w.errors };
  const queues: SerialQueueWiring[] = [];
  const rx = vrx?.name ?? null;
  const driverConfig: Pl011DriverConfig = {
    regs: w.map(driver, uartMr!),
    irqId: driverPd.irqs[0]!.id,
    tx: w.conn(driver, vtx.name, vtx.name, queues),
    rx: rx === null ? null : w.conn(driver, rx, driver, queues),
  };
  const virtTxConfig: SerialVirtTxConfig = {
    driver: w.conn(vtx.name, driver, vtx.name, queues),
    clients: clients.map((c) => w.conn(vtx.name, c, c, queues)),
    colour: clients.length > 1,
    beginStr: rx === null ? null : SERIAL_BEGIN_STR,
  };
  const virtRxConfig: SerialVirtRxConfig | null =
    rx === null
      ? null
      : {
          driver: w.conn(rx, driver, driver, queues),
          clients: clients.map((c) => w.conn(rx, c, rx, queues)),
        };
  const clientConfigs: SerialConsoleConfig[] = clients.map((c, i) => ({
    name: c,
    index: i,
    tx: w.conn(c, vtx.name, c, queues),
    rx: rx === null ? null : w.conn(c, rx, rx, queues),
    greeting: true,
  }));
  if (w.errors.length > 0) return { errors: w.errors };
  return {
    wiring: {
      driver,
      virtTx: vtx.name,
      virtRx: rx,
      clients,
      uartMr: uartMr!,
      irq: driverPd.irqs[0]!.irq,
      driverConfig,
      virtTxConfig,
      virtRxConfig,
      clientConfigs,
      queues,
    },
    errors: [],
  };
}
