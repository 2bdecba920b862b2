// The I²C configuration a virt, driver and client get (as sdfgen's i2c_virt_config_t,
// i2c_driver_config_t and i2c_client_config_t: include/sddf/i2c/config.h at au-ts/sddf 650ace5d),
// derived from the system description: queues by region name (`…request…`, `…response…`), the data
// region a client maps that the driver also maps, and channel ids at each end. Plain data (it
// crosses to worker threads). A system that does not have this shape is refused with the reason.
import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import type { Mapping, ProtectionDomain, SystemModel } from '../../../spec/system/model.ts';

export interface I2cQueuePair {
  /** Request queue vaddr in this PD. */
  readonly reqVaddr: number;
  readonly respVaddr: number;
}

export interface I2cVirtClientConfig extends I2cQueuePair {
  readonly pd: string;
  /** The virt's channel id to this client. */
  readonly ch: number;
  readonly dataVaddr: bigint;
  readonly dataSizeBytes: bigint;
  readonly driverDataVaddr: bigint;
}

export interface I2cVirtConfig {
  readonly driver: I2cQueuePair & { readonly ch: number };
  readonly clients: readonly I2cVirtClientConfig[];
}

export interface I2cDriverConfig extends I2cQueuePair {
  readonly virtCh: number;
  readonly regsVaddr: number;
  readonly irqCh: number;
}

export interface I2cClientConfig extends I2cQueuePair {
  readonly virtCh: number;
  readonly dataVaddr: number;
  readonly dataSizeBytes: number;
  /** The channel to a timer driver, when the client has one. */
  readonly timerCh?: number;
}

export interface I2cWiring {
  readonly virt: string;
  readonly driver: string;
  readonly regsMr: string;
  readonly irq: number;
  readonly virtConfig: I2cVirtConfig;
  readonly driverConfig: I2cDriverConfig;
  readonly clientConfigs: ReadonlyMap<string, I2cClientConfig>;
  /** A timer driver PD, when the system has one. */
  readonly timer?: { readonly pd: string; readonly regsMr: string; readonly irq: number };
}

function stem(path: string): string {
  return path.replace(/^.*\//, '').replace(/\.[^.]*$/, '');
}

function channelId(model: SystemModel, from: string, to: string): number | undefined {
  for (const c of model.channels) {
    const [a, b] = c.ends;
    if (a.pd === from && b.pd === to) return a.id;
    if (b.pd === from && a.pd === to) return b.id;
  }
  return undefined;
}

function isQueue(m: Mapping, kind: 'request' | 'response'): boolean {
  return m.mr.includes(kind);
}

export function wireI2cSystem(model: SystemModel): { wiring?: I2cWiring; errors: Diagnostic[] } {
  const errors: Diagnostic[] = [];
  const fail = (message: string, pd?: ProtectionDomain) => {
    errors.push({
      code: 'RUN_I2C_WIRING',
      message,
      file: pd?.loc.file ?? model.file,
      ...(pd === undefined ? {} : { line: pd.loc.line, column: pd.loc.column }),
    });
    return { errors };
  };
  const virt = model.pds.find((p) => stem(p.programImage) === 'i2c_virt');
  const driver = model.pds.find((p) => stem(p.programImage) === 'i2c_driver');
  if (virt === undefined || driver === undefined)
    return fail('an I²C system has one PD running i2c_virt.elf and one running i2c_driver.elf');
  const drvCh = channelId(model, virt.name, driver.name);
  const virtCh = channelId(model, driver.name, virt.name);
  if (drvCh === undefined || virtCh === undefined)
    return fail(`no channel between '${virt.name}' and '${driver.name}'`, virt);
  const mapIn = (pd: ProtectionDomain, mr: string) => pd.maps.find((m) => m.mr === mr);
  const drvReq = driver.maps.find((m) => isQueue(m, 'request'));
  const drvResp = driver.maps.find((m) => isQueue(m, 'response'));
  const virtDrvReq = drvReq === undefined ? undefined : mapIn(virt, drvReq.mr);
  const virtDrvResp = drvResp === undefined ? undefined : mapIn(virt, drvResp.mr);
  if (
    drvReq === undefined ||
    drvResp === undefined ||
    virtDrvReq === undefined ||
    virtDrvResp === undefined
  )
    return fail(
      `'${driver.name}' and '${virt.name}' must share a request and a response region`,
      driver,
    );
  const regions = new Map(model.memoryRegions.map((r) => [r.name, r]));
  // The driver's bus registers: a device region whose name is not a known other device.
  const regs = driver.maps.filter((m) => regions.get(m.mr)?.physAddr !== undefined);
  const bus = regs.find((m) => m.mr.includes('i2c')) ?? regs[0];
  if (bus === undefined || driver.irqs.length === 0)
    return fail(`'${driver.name}' maps no I²C controller registers or has no IRQ`, driver);
  const clients: I2cVirtClientConfig[] = [];
  const clientConfigs = new Map<string, I2cClientConfig>();
  for (const pd of model.pds) {
    if (pd === virt || pd === driver) continue;
    const ch = channelId(model, virt.name, pd.name);
    if (ch === undefined) continue;
    const req = pd.maps.find((m) => isQueue(m, 'request'));
    const resp = pd.maps.find((m) => isQueue(m, 'response'));
    const data = pd.maps.find((m) => m.mr.includes('data') && mapIn(driver, m.mr) !== undefined);
    const vReq = req === undefined ? undefined : mapIn(virt, req.mr);
    const vResp = resp === undefined ? undefined : mapIn(virt, resp.mr);
    if (req === undefined || resp === undefined || data === undefined || !vReq || !vResp)
      return fail(
        `client '${pd.name}' must map a request and a response region shared with '${virt.name}' and a data region the driver maps`,
        pd,
      );
    const size = regions.get(data.mr)!.sizeBytes;
    const toVirt = channelId(model, pd.name, virt.name)!;
    const timer = model.pds.find(
      (t) =>
        stem(t.programImage) === 'timer_driver' && channelId(model, pd.name, t.name) !== undefined,
    );
    const timerCh = timer === undefined ? undefined : channelId(model, pd.name, timer.name);
    clients.push({
      pd: pd.name,
      ch,
      reqVaddr: Number(vReq.vaddr),
      respVaddr: Number(vResp.vaddr),
      dataVaddr: data.vaddr,
      dataSizeBytes: size,
      driverDataVaddr: mapIn(driver, data.mr)!.vaddr,
    });
    clientConfigs.set(pd.name, {
      virtCh: toVirt,
      reqVaddr: Number(req.vaddr),
      respVaddr: Number(resp.vaddr),
      dataVaddr: Number(data.vaddr),
      dataSizeBytes: Number(size),
      ...(timerCh === undefined ? {} : { timerCh }),
    });
  }
  if (clients.length === 0) return fail(`'${virt.name}' has no clients`, virt);
  const timerPd = model.pds.find((t) => stem(t.programImage) === 'timer_driver');
  const timerRegs = timerPd?.maps.find((m) => regions.get(m.mr)?.physAddr !== undefined);
  return {
    wiring: {
      virt: virt.name,
      driver: driver.name,
      regsMr: bus.mr,
      irq: driver.irqs[0]!.irq,
      virtConfig: {
        driver: {
          ch: drvCh,
          reqVaddr: Number(virtDrvReq.vaddr),
          respVaddr: Number(virtDrvResp.vaddr),
        },
        clients,
      },
      driverConfig: {
        virtCh,
        reqVaddr: Number(drvReq.vaddr),
        respVaddr: Number(drvResp.vaddr),
        regsVaddr: Number(bus.vaddr),
        irqCh: driver.irqs[0]!.id,
      },
      clientConfigs,
      ...(timerPd !== undefined && timerRegs !== undefined && timerPd.irqs[0] !== undefined
        ? { timer: { pd: timerPd.name, regsMr: timerRegs.mr, irq: timerPd.irqs[0].irq } }
        : {}),
    },
    errors: [],
  };
}
