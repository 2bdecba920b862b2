// One PD's side of Microkit (sddf-protocols.md §1, libmicrokit main.c handler loop), shared by both
// schedulers: the entry points, the single deferred slot, ascending dispatch of a badge, and the
// MicrokitApi the component calls. What is *between* PDs (notification words, IRQ masking, PPC,
// who runs next) is the scheduler's `PdKernel`.

import { assert } from '../../spec/common/assert.ts';
import { PdFaultTrap } from '../mem/fault.ts';
import type { AddressSpace } from '../mem/address-space.ts';
import { MAX_PPC_WORDS, type Component, type MicrokitApi, type PpcMessage } from './api.ts';
import type { ChannelConfig, ComponentConfig, IrqConfig } from './config.ts';
import type { Recorder } from './events.ts';
import type { ComponentBinding } from './registry.ts';

/** What lies between PDs; implemented by each scheduler. Arguments are already validated. */
export interface PdKernel {
  /** Set the peer's notification bit (seL4_Signal on the channel's notification cap). */
  signal(from: PdCore, channel: ChannelConfig, deferred: boolean): void;
  /** seL4_IRQHandler_Ack: unmask the IRQ. */
  irqAck(from: PdCore, irq: IrqConfig, deferred: boolean): void;
  /** seL4_Call on the channel's endpoint cap; returns the reply. */
  ppcall(from: PdCore, channel: ChannelConfig, msg: PpcMessage): PpcMessage;
}

type DeferredSlot =
  | { readonly kind: 'notify'; readonly channel: ChannelConfig }
  | { readonly kind: 'irq_ack'; readonly irq: IrqConfig };

function sameSlot(a: DeferredSlot, b: DeferredSlot): boolean {
  if (a.kind === 'notify') return b.kind === 'notify' && a.channel.id === b.channel.id;
  return b.kind === 'irq_ack' && a.irq.id === b.irq.id;
}

function slotName(s: DeferredSlot): string {
  return s.kind === 'notify' ? `notify(${s.channel.id})` : `irq_ack(${s.irq.id})`;
}

export class PdCore implements MicrokitApi {
  readonly name: string;
  // JS-private (#): the component gets this object as its MicrokitApi, and must not reach the
  // kernel (every PD, every region) even by ignoring the types.
  #component: Component | null = null;
  /** Microkit's `microkit_have_signal` + `microkit_signal_cap/msg`: exactly one slot (§1.3). */
  #slot: DeferredSlot | null = null;
  readonly #channelById = new Map<number, ChannelConfig>();
  readonly #irqById = new Map<number, IrqConfig>();
  readonly #binding: ComponentBinding;
  readonly #kernel: PdKernel;
  readonly #rec: Recorder | null;

  constructor(
    readonly config: ComponentConfig,
    readonly mem: AddressSpace,
    binding: ComponentBinding,
    kernel: PdKernel,
    rec: Recorder | null,
  ) {
    this.name = config.pd;
    this.#binding = binding;
    this.#kernel = kernel;
    this.#rec = rec;
    for (const c of config.channels) this.#channelById.set(c.id, c);
    for (const i of config.irqs) this.#irqById.set(i.id, i);
    assert(mem.pd === config.pd, `address space of '${mem.pd}' belongs to PD '${config.pd}'`);
  }

  /** A fresh program instance (boot or restart): private state reset, shared memory untouched. */
  load(restarts = 0): void {
    this.#slot = null;
    this.#component = this.#binding.factory({
      api: this,
      config: this.config,
      params: this.#binding.params ?? {},
      restarts,
    });
  }

  /** Boot wake: `init()`, then the first loop iteration flushes the slot — unless the PD is
   * passive, whose main() overwrites the slot with the "I'm passive" signal (§1.3): lost. */
  runInit(): void {
    const c = this.loaded();
    if (this.#rec !== null) this.#rec.push({ action: 'init', pd: this.name });
    c.init();
    if (this.config.passive && this.#slot !== null) {
      if (this.#rec !== null)
        this.#rec.push({
          action: 'deferred_lost',
          pd: this.name,
          lost: slotName(this.#slot),
          why: 'passive PD: main() overwrites the slot after init',
        });
      this.#slot = null;
    }
    this.flush();
  }

  /** Notification wake: one `notified(i)` per set bit of the badge, ascending (§1.1), then one flush. */
  runNotified(badgeLo: number, badgeHi: number): void {
    const c = this.loaded();
    for (let i = 0; i < 32; i++) {
      if (((badgeLo >>> i) & 1) === 0) continue;
      if (this.#rec !== null) this.#rec.push({ action: 'notified', pd: this.name, ch: i });
      c.notified(i);
    }
    for (let i = 0; i < 30; i++) {
      if (((badgeHi >>> i) & 1) === 0) continue;
      if (this.#rec !== null) this.#rec.push({ action: 'notified', pd: this.name, ch: 32 + i });
      c.notified(32 + i);
    }
    this.flush();
  }

  /** Endpoint wake: `protected(ch)`; the slot is flushed before the reply (seL4_ReplyRecv, §1.1). */
  runProtected(ch: number, msg: PpcMessage): PpcMessage {
    const c = this.loaded();
    if (this.#rec !== null)
      this.#rec.push({ action: 'protected', pd: this.name, ch, label: msg.label });
    if (c.protected === undefined) {
      throw new PdFaultTrap({
        kind: 'exception',
        pd: this.name,
        vaddr: 0,
        access: 'none',
        lengthBytes: 0,
        message: `${this.name}: ppcall on channel ${ch} but the PD has no protected entry point`,
      });
    }
    const reply = c.protected(ch, msg);
    checkMessage(this.name, reply);
    this.flush();
    return reply;
  }

  /** A fault stopped the thread: whatever the slot held is never sent. */
  abandon(): void {
    this.#slot = null;
  }

  // --- MicrokitApi ---------------------------------------------------------------------------

  notify(ch: number): void {
    this.#kernel.signal(this, this.notifyChannel(ch), false);
  }

  deferredNotify(ch: number): void {
    this.fill({ kind: 'notify', channel: this.notifyChannel(ch) });
  }

  irqAck(ch: number): void {
    this.#kernel.irqAck(this, this.irq(ch), false);
  }

  deferredIrqAck(ch: number): void {
    this.fill({ kind: 'irq_ack', irq: this.irq(ch) });
  }

  ppcall(ch: number, msg: PpcMessage): PpcMessage {
    const c = this.#channelById.get(ch);
    if (c === undefined || !c.pp)
      this.capFault(`ppcall on channel ${ch}, which has no PPC right at this end`);
    checkMessage(this.name, msg);
    return this.#kernel.ppcall(this, c, msg);
  }

  deferredCurrent(): number | null {
    return this.#slot !== null && this.#slot.kind === 'notify' ? this.#slot.channel.id : null;
  }

  // --- internals -----------------------------------------------------------------------------

  private fill(s: DeferredSlot): void {
    // Deferring the very same signal twice loses nothing (spec/microkit deferSignal agrees).
    if (this.#slot !== null && this.#rec !== null && !sameSlot(this.#slot, s)) {
      this.#rec.push({
        action: 'deferred_overwrite',
        pd: this.name,
        lost: slotName(this.#slot),
        by: slotName(s),
      });
    }
    this.#slot = s;
  }

  private flush(): void {
    const s = this.#slot;
    if (s === null) return;
    this.#slot = null;
    if (s.kind === 'notify') this.#kernel.signal(this, s.channel, true);
    else this.#kernel.irqAck(this, s.irq, true);
  }

  private notifyChannel(ch: number): ChannelConfig {
    const c = this.#channelById.get(ch);
    if (c === undefined || !c.notify)
      this.capFault(`notify on channel ${ch}, which has no notify right at this end`);
    return c;
  }

  private irq(ch: number): IrqConfig {
    const i = this.#irqById.get(ch);
    if (i === undefined) this.capFault(`irq_ack on channel ${ch}, which is not an IRQ of this PD`);
    return i;
  }

  private capFault(message: string): never {
    throw new PdFaultTrap({
      kind: 'invalid-capability',
      pd: this.name,
      vaddr: 0,
      access: 'none',
      lengthBytes: 0,
      message: `${this.name}: ${message}`,
    });
  }

  private loaded(): Component {
    assert(this.#component !== null, `PD '${this.name}' has a program loaded before it runs`);
    return this.#component;
  }
}

function checkMessage(pd: string, msg: PpcMessage): void {
  if (!Number.isInteger(msg.label) || msg.label < 0 || msg.words.length > MAX_PPC_WORDS) {
    throw new PdFaultTrap({
      kind: 'exception',
      pd,
      vaddr: 0,
      access: 'none',
      lengthBytes: 0,
      message: `${pd}: malformed PPC message (label ${msg.label}, ${msg.words.length} words)`,
    });
  }
}
