// IRQ lines between emulated devices and driver PDs (sddf-protocols.md §1.4): an IRQ arrives as a
// notification bit on the IRQ's channel id; once delivered it is masked, so there is no further
// delivery until the PD acks. After the ack, a level IRQ whose line is still asserted fires again.
// An edge that arrives while masked is latched once (a GIC keeps one pending edge) and fires on ack.

import { assert } from '../../spec/common/assert.ts';
import type { IrqTrigger } from '../../spec/system/model.ts';
import type { FaultInjector } from './faults.ts';
import type { Recorder } from './events.ts';

export interface IrqLineInfo {
  readonly irq: number;
  readonly pd: string;
  readonly ch: number;
  readonly trigger: IrqTrigger;
}

class IrqLine {
  /** Delivered and not yet acked. */
  masked = false;
  level = false;
  edgePending = false;
  levelSource: (() => boolean) | null = null;
  constructor(readonly info: IrqLineInfo) {}
}

export class IrqController {
  private readonly lines = new Map<number, IrqLine>();

  constructor(
    infos: readonly IrqLineInfo[],
    /** Sets the PD's notification bit (the kernel's seL4_Signal on the IRQ notification). */
    private readonly deliverBit: (pd: string, ch: number) => void,
    private readonly rec: Recorder | null,
    private readonly faults: FaultInjector | null,
  ) {
    for (const i of infos) {
      assert(
        !this.lines.has(i.irq),
        `IRQ ${i.irq} is claimed by one PD only (microkit-sdf.md §1.5)`,
      );
      this.lines.set(i.irq, new IrqLine(i));
    }
  }

  /** A device's level line goes high (level IRQs) — delivered unless masked. */
  assertLine(irq: number): void {
    const l = this.line(irq);
    l.level = true;
    if (!l.masked) this.deliver(l);
  }

  deassertLine(irq: number): void {
    this.line(irq).level = false;
  }

  /** An edge (edge IRQs; a level IRQ given a pulse behaves as assert + deassert). */
  pulse(irq: number): void {
    const l = this.line(irq);
    if (l.masked) l.edgePending = l.info.trigger === 'edge';
    else this.deliver(l);
  }

  /** Poll the device's line when deciding re-fire after ack (MmioDevice.irqAsserted). */
  attachLevelSource(irq: number, source: () => boolean): void {
    this.line(irq).levelSource = source;
  }

  /** seL4_IRQHandler_Ack from the owning PD. */
  ack(irq: number, deferred: boolean): void {
    const l = this.line(irq);
    if (this.rec !== null)
      this.rec.push({ action: 'irq_ack', pd: l.info.pd, ch: l.info.ch, irq, deferred });
    if (!l.masked) return; // acking an unmasked IRQ is harmless in seL4
    l.masked = false;
    if (l.levelSource !== null) l.level = l.levelSource();
    if (l.info.trigger === 'level' && l.level) this.deliver(l);
    else if (l.info.trigger === 'edge' && l.edgePending) {
      l.edgePending = false;
      this.deliver(l);
    }
  }

  isMasked(irq: number): boolean {
    return this.line(irq).masked;
  }

  infoFor(irq: number): IrqLineInfo {
    return this.line(irq).info;
  }

  private deliver(l: IrqLine): void {
    assert(!l.masked, `IRQ ${l.info.irq} is not delivered while masked`);
    if (this.faults !== null && this.faults.onIrq(l.info.irq) === 'drop') {
      if (this.rec !== null)
        this.rec.push({ action: 'inject', pd: l.info.pd, what: `drop irq ${l.info.irq}` });
      return;
    }
    l.masked = true;
    if (this.rec !== null)
      this.rec.push({ action: 'irq', pd: l.info.pd, ch: l.info.ch, irq: l.info.irq });
    this.deliverBit(l.info.pd, l.info.ch);
  }

  private line(irq: number): IrqLine {
    const l = this.lines.get(irq);
    assert(l !== undefined, `IRQ ${irq} is declared by some PD's <irq>`);
    return l;
  }
}
