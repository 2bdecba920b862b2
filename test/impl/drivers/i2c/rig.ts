// The I²C driver's test rig: the emulated token-list controller (impl/hw/i2c.ts, strict) behind a
// register wrapper that records every write, a recording target on its bus, the driver's address
// space (request and response queues, registers, one data region) and recording MicrokitApi
// (test/impl/components/net/fixture.ts), and the virt's handles on both queues: the test stands
// where the virt stands and where the device stands.
import { I2C_DRIVER_COUNTERS, i2cDriver } from '../../../../impl/drivers/i2c/driver.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { I2cDriverConfig } from '../../../../impl/components/i2c/config.ts';
import { reqQueueBytes, respQueueBytes } from '../../../../impl/components/i2c/virt.ts';
import { I2cController, I2cReg, I2cRegisterFile, type I2cTarget } from '../../../../impl/hw/i2c.ts';
import type { MmioDevice } from '../../../../impl/mem/types.ts';
import { I2cReqQueue, I2cRespQueue } from '../../../../impl/queue/i2c.ts';
import { I2cFlag, i2cHeaderPayload, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import { Layout, context, recordingApi } from '../../components/net/fixture.ts';

export const VIRT_CH = 0;
export const IRQ_CH = 1;
/** The bus address of the rig's target. */
export const TARGET = 0x50;

/** What a target on the bus saw, in order (the bus conditions of UM10204 §3.1). */
export type BusEvent =
  | { readonly start: 'read' | 'write' }
  | { readonly write: number }
  | { readonly read: number; readonly last: boolean }
  | 'stop';

/**
 * A 256-byte register file that logs every bus condition; `nackWrite` makes it NACK a written
 * byte equal to it, `nackStart` its address in that direction.
 */
export class LoggingTarget implements I2cTarget {
  readonly log: BusEvent[] = [];
  readonly file: I2cRegisterFile;
  nackWrite: number | null = null;
  nackStart: 'read' | 'write' | null = null;
  constructor(readonly address: number) {
    this.file = new I2cRegisterFile(address);
  }
  start(read: boolean): boolean {
    const dir = read ? 'read' : 'write';
    if (this.nackStart === dir) return false;
    this.log.push({ start: dir });
    return this.file.start(read);
  }
  write(byte: number): boolean {
    if (byte === this.nackWrite) return false;
    this.log.push({ write: byte });
    return this.file.write(byte);
  }
  read(last: boolean): number {
    const b = this.file.read(last);
    this.log.push({ read: b, last });
    return b;
  }
  stop(): void {
    this.log.push('stop');
    this.file.stop();
  }
}

/** The controller's registers, recording each write as [register offset, value]. */
export class RecordingRegs implements MmioDevice {
  readonly writes: [number, number][] = [];
  constructor(readonly inner: I2cController) {}
  get name(): string {
    return this.inner.name;
  }
  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }
  read32(off: number): number {
    return this.inner.read32(off);
  }
  write32(off: number, v: number): void {
    this.writes.push([off, v]);
    this.inner.write32(off, v);
  }
  irqAsserted(): boolean {
    return this.inner.irqAsserted();
  }
  /** The token kinds pushed since write `from`, one array per START of the list. */
  lists(from = 0): number[][] {
    const out: number[][] = [];
    let cur: number[] = [];
    for (const [off, v] of this.writes.slice(from)) {
      if (off === I2cReg.TOKEN) cur.push(v & 0xf);
      if (off === I2cReg.CTRL && (v & 1) !== 0) {
        out.push(cur);
        cur = [];
      }
    }
    return out;
  }
}

export const head = (n: number, address = TARGET): I2cCmd => ({
  payload: i2cHeaderPayload(n, address),
  dataLen: 0,
  flagMask: I2cFlag.HEAD,
});

export function driverRig() {
  const l = new Layout();
  const controller = new I2cController({ name: 'i2c_bus' });
  const target = new LoggingTarget(TARGET);
  controller.attach(target);
  const regs = new RecordingRegs(controller);
  const req = l.add('req', reqQueueBytes());
  const resp = l.add('resp', respQueueBytes());
  const bus = l.add('i2c_bus', 0x1000, { mmio: regs });
  const data = l.add('data', 0x1000);
  const config: I2cDriverConfig = {
    virtCh: VIRT_CH,
    reqVaddr: req.vaddr,
    respVaddr: resp.vaddr,
    regsVaddr: bus.vaddr,
    irqCh: IRQ_CH,
  };
  const { api, rec, flush } = recordingApi('i2c_driver', l.space('i2c_driver'));
  const counterBuf = Counters.buffer(I2C_DRIVER_COUNTERS.length);
  const driver = i2cDriver(context(api, { config, counters: counterBuf }));
  driver.init();
  const counters = (): Record<string, number> =>
    new Counters(I2C_DRIVER_COUNTERS, counterBuf).snapshot();
  // The virt's side of both queues.
  const virtReq = new I2cReqQueue({ region: { buffer: req.buffer!, byteOffset: 0 } });
  const virtResp = new I2cRespQueue({ region: { buffer: resp.buffer!, byteOffset: 0 } });
  const bytes = new Uint8Array(data.buffer!);
  /** A body command on the data region at `offset` (a driver virtual address, as the virt sends). */
  const body = (offset: number, dataLen: number, flagMask: number): I2cCmd => ({
    payload: BigInt(data.vaddr + offset),
    dataLen,
    flagMask,
  });
  /** Stage and commit commands as the virt does (no notification). */
  const commit = (cmds: readonly I2cCmd[]): void => {
    for (const c of cmds) if (!virtReq.enqueue(c)) throw new Error('rig: driver queue full');
    virtReq.commit();
  };
  /** Deliver the controller's IRQ while its line is up (bounded: one per list). */
  const pump = (maxIrqs = 1000): number => {
    let n = 0;
    while (controller.irqAsserted() && n < maxIrqs) {
      driver.notified(IRQ_CH);
      flush();
      n++;
    }
    return n;
  };
  /** The virt commits a transaction, notifies, and the bus runs it to its response. */
  const run = (cmds: readonly I2cCmd[]): number => {
    commit(cmds);
    driver.notified(VIRT_CH);
    flush();
    return pump();
  };
  const responses = () => {
    const out = [];
    for (let r = virtResp.dequeue(); r !== null; r = virtResp.dequeue()) out.push(r);
    return out;
  };
  return {
    driver,
    controller,
    target,
    regs,
    rec,
    flush,
    counters,
    virtReq,
    virtResp,
    bytes,
    body,
    commit,
    pump,
    run,
    responses,
    req,
    resp,
  };
}
