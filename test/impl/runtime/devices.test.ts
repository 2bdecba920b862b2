// The runtime with an emulated device from impl/hw: MMIO through the driver's uncached map, the
// device's IRQ line on the runtime's IRQ controller, level re-fire until the driver drains it.
import { describe, expect, it } from 'vitest';
import { DeterministicRuntime } from '../../../impl/runtime/deterministic.ts';
import { mapOf } from '../../../impl/runtime/config.ts';
import { Cr, Fr, Int, LCRH_FEN, Pl011, Pl011Reg } from '../../../impl/hw/pl011.ts';
import { MemoryBlockBackend } from '../../../impl/hw/block_backend.ts';
import { BlkType, VirtioBlk } from '../../../impl/hw/virtio/blk.ts';
import { Feature, Reg } from '../../../impl/hw/virtio/constants.ts';
import { VirtioDriver, type DriverMemory } from '../../../impl/hw/virtio/driver.ts';
import { VirtioNet } from '../../../impl/hw/virtio/net.ts';
import type { MicrokitApi } from '../../../impl/runtime/api.ts';
import { DeviceIrq, LateDmaPort } from '../../../impl/runtime/devices.ts';
import type { MmioDevice } from '../../../impl/mem/types.ts';
import { registryOf, system } from './build.ts';

describe('runtime + PL011 (impl/hw)', () => {
  it('a driver PD echoes received bytes through MMIO, acking the level IRQ each wake', () => {
    const out: number[] = [];
    // The device needs the runtime's IRQ controller, the runtime needs the device: bind late.
    const late: { rt?: DeterministicRuntime } = {};
    const uart = new Pl011({
      name: 'uart',
      output: (b) => void out.push(b),
      onIrqLevel: (up) => (up ? late.rt!.irqs.assertLine(33) : late.rt!.irqs.deassertLine(33)),
    });
    const model = system({
      mrs: [{ name: 'uart', size: 0x1000, phys: 0x900_0000n }],
      pds: [
        {
          name: 'uart_driver',
          priority: 200,
          maps: [{ mr: 'uart', vaddr: 0x500_0000 }],
          irqs: [{ irq: 33, id: 0, trigger: 'level' }],
        },
      ],
    });
    const created = DeterministicRuntime.create(model, {
      mmio: new Map([['uart', uart]]),
      record: true,
      registry: registryOf({
        uart_driver: ({ api, config }) => {
          const base = mapOf(config, 'uart').vaddr;
          return {
            init: () => {
              api.mem.write32(base + Pl011Reg.LCR_H, LCRH_FEN); // 16-deep FIFOs
              api.mem.write32(base + Pl011Reg.CR, Cr.UARTEN | Cr.TXE | Cr.RXE);
              api.mem.write32(base + Pl011Reg.IMSC, Int.RX | Int.RT);
            },
            notified: (ch) => {
              // Drain the Rx FIFO, echo each byte, then ack: the line is low again, no re-fire.
              for (let i = 0; i < 64 && (api.mem.read32(base + Pl011Reg.FR) & Fr.RXFE) === 0; i++) {
                api.mem.write32(base + Pl011Reg.DR, api.mem.read32(base + Pl011Reg.DR) & 0xff);
              }
              api.irqAck(ch);
            },
          };
        },
      }),
    });
    expect(created.errors).toEqual([]);
    const rt = created.runtime!;
    late.rt = rt;
    rt.irqs.attachLevelSource(33, () => uart.irqAsserted());
    expect(rt.run({ maxSteps: 10 }).status).toBe('quiescent');
    uart.receive(new TextEncoder().encode('hi'));
    const r = rt.run({ maxSteps: 100 });
    expect(r).toMatchObject({ status: 'quiescent', faults: [] });
    expect(String.fromCharCode(...out)).toBe('hi');
    expect(rt.rec!.count('irq')).toBe(1);
    expect(rt.irqs.isMasked(33)).toBe(false);
  });
});

// ---- issue #14: virtio devices under the deterministic scheduler ------------------------------

const RINGS_PHYS = 0x4000_0000n;
const DATA_PHYS = 0x4010_0000n;
const RINGS_VADDR = 0x2000_0000;
const DATA_VADDR = 0x2010_0000;
const REGS_VADDR = 0x3000_0000;

/** The driver's view of memory through its maps: I/O address → its vaddr. */
function driverMemory(api: MicrokitApi): DriverMemory {
  const v = (io: bigint): number =>
    io >= DATA_PHYS ? DATA_VADDR + Number(io - DATA_PHYS) : RINGS_VADDR + Number(io - RINGS_PHYS);
  return {
    readU16: (a) => api.mem.read16(v(a)),
    readU32: (a) => api.mem.read32(v(a)),
    writeU16: (a, x) => api.mem.write16(v(a), x),
    writeU32: (a, x) => api.mem.write32(v(a), x),
    writeU64: (a, x) => api.mem.write64(v(a), x),
  };
}

/** The device's registers as the driver PD reaches them: through its uncached map. */
function registers(api: MicrokitApi, sizeBytes: number): MmioDevice {
  return {
    name: 'regs',
    sizeBytes,
    read32: (o) => api.mem.read32(REGS_VADDR + o),
    write32: (o, v) => api.mem.write32(REGS_VADDR + o, v),
    read8: (o) => api.mem.read8(REGS_VADDR + o),
    irqAsserted: () => false,
  };
}

function virtioSystem() {
  return system({
    mrs: [
      { name: 'regs', size: 0x1000, phys: 0xa00_0000n },
      { name: 'rings', size: 0x1_0000, phys: RINGS_PHYS },
      { name: 'data', size: 0x1_0000, phys: DATA_PHYS },
    ],
    pds: [
      {
        name: 'driver',
        priority: 200,
        maps: [
          { mr: 'regs', vaddr: REGS_VADDR },
          { mr: 'rings', vaddr: RINGS_VADDR },
          { mr: 'data', vaddr: DATA_VADDR },
        ],
        irqs: [{ irq: 48, id: 1, trigger: 'level' }],
      },
    ],
  });
}

describe('runtime + virtio (issue #14)', () => {
  it('a driver PD reads the MAC with 8-bit accesses through its map; a 32-bit read of it is a recorded driver error', () => {
    const dma = new LateDmaPort('nic');
    const nic = new VirtioNet({ name: 'nic', dma, mac: Uint8Array.of(2, 4, 6, 8, 10, 12) });
    let mac: number[] = [];
    const created = DeterministicRuntime.create(virtioSystem(), {
      mmio: new Map([['regs', nic]]),
      devices: [{ device: 'nic', ioMaps: [{ mr: 'rings' }, { mr: 'data' }] }],
      registry: registryOf({
        driver: ({ api }) => ({
          init: () => {
            const drv = new VirtioDriver({
              mmio: registers(api, nic.sizeBytes),
              memory: driverMemory(api),
            });
            mac = [...drv.readMac()];
            api.mem.read32(REGS_VADDR + Reg.Config); // mac[0..3] in one access
          },
        }),
      }),
    });
    expect(created.errors).toEqual([]);
    dma.bind(created.runtime!.iommu.portFor('nic'));
    expect(created.runtime!.run({ maxSteps: 10 }).status).toBe('quiescent');
    expect(mac).toEqual([2, 4, 6, 8, 10, 12]);
    expect(nic.errorCodes()).toEqual(['wrong-width']);
  });

  /** A blk driver PD: init submits reads; each IRQ: ack, drain, re-check, irqAck. */
  function blkRun(seed: number): { completed: number; actions: number; wakes: number } {
    const dma = new LateDmaPort('blk');
    const irq = new DeviceIrq(48);
    const blk = new VirtioBlk({
      name: 'blk',
      dma,
      backend: new MemoryBlockBackend({ sizeBytes: 64 * 512 }),
      timing: 'agent',
      outOfOrderSeed: seed,
      onIrqLevel: irq.onLevel,
    });
    let completed = 0;
    const created = DeterministicRuntime.create(virtioSystem(), {
      seed,
      mmio: new Map([['regs', blk]]),
      devices: [{ device: 'blk', ioMaps: [{ mr: 'rings' }, { mr: 'data' }] }],
      deviceAgents: { agents: [blk] },
      registry: registryOf({
        driver: ({ api }) => {
          const drv = new VirtioDriver({
            mmio: registers(api, blk.sizeBytes),
            memory: driverMemory(api),
          });
          let q: ReturnType<VirtioDriver['setupQueue']> | null = null;
          return {
            init: () => {
              if (!drv.negotiate(Feature.Version1)) throw new Error('negotiation');
              q = drv.setupQueue({ index: 0, num: 16, baseAddr: RINGS_PHYS });
              drv.driverOk();
              for (let i = 0; i < 8; i++) {
                const hdr = DATA_PHYS + BigInt(i * 0x400);
                api.mem.write32(DATA_VADDR + i * 0x400, BlkType.In);
                api.mem.write64(DATA_VADDR + i * 0x400 + 8, BigInt(i));
                q.add([
                  { addr: hdr, lenBytes: 16, write: false },
                  { addr: hdr + 0x100n, lenBytes: 513, write: true },
                ]);
              }
              drv.kick(0);
            },
            notified: (ch) => {
              drv.ackInterrupt();
              for (let round = 0; round < 16 && q !== null; round++) {
                completed += q.collect().length;
                if (q.usedIdx() === q.usedHead) break;
              }
              api.irqAck(ch);
            },
          };
        },
      }),
    });
    expect(created.errors).toEqual([]);
    const rt = created.runtime!;
    dma.bind(rt.iommu.portFor('blk'));
    irq.attach(rt.irqs, () => blk.irqAsserted());
    const r = rt.run({ maxSteps: 500 });
    expect(r).toMatchObject({ status: 'quiescent', faults: [] });
    expect(blk.errorCodes()).toEqual([]);
    return { completed, actions: rt.deviceTiming!.actions, wakes: r.steps };
  }

  it('virtio-blk as an agent of the scheduler: every request completes; a seed replays; seeds differ', () => {
    const runs = [1, 2, 3, 4, 5].map(blkRun);
    for (const r of runs) expect(r.completed).toBe(8);
    expect(blkRun(3)).toEqual(runs[2]);
    expect(new Set(runs.map((r) => `${r.actions}/${r.wakes}`)).size).toBeGreaterThan(1);
  });
});
