// The runtime with an emulated device from impl/hw: MMIO through the driver's uncached map, the
// device's IRQ line on the runtime's IRQ controller, level re-fire until the driver drains it.
import { describe, expect, it } from 'vitest';
import { DeterministicRuntime } from '../../../impl/runtime/deterministic.ts';
import { mapOf } from '../../../impl/runtime/config.ts';
import { Cr, Fr, Int, LCRH_FEN, Pl011, Pl011Reg } from '../../../impl/hw/pl011.ts';
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
