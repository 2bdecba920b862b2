// What `sddf replay --on impl` records of a replayed component's signals, shared by the replayers:
// a MicrokitApi that keeps its immediate notifications and its single deferred slot (Microkit's
// one deferred notify or IRQ ack per handler), the slot in the model's encoding
// (spec/microkit/semantics.ts `decodeDeferred`), and how a slot word reads in a divergence.
import { InvariantError } from '../../spec/common/assert.ts';
import { DEFERRED_EMPTY, decodeDeferred } from '../../spec/microkit/semantics.ts';
import type { AddressSpace } from '../../impl/mem/address-space.ts';
import type { MicrokitApi } from '../../impl/runtime/api.ts';

/** The MicrokitApi of a replayed PD without IRQs or PPCs: records its signals. */
export function recordingApi(
  name: string,
  mem: AddressSpace,
): { api: MicrokitApi; notified: number[]; slot: () => number } {
  const notified: number[] = [];
  let slot: { kind: 'notify' | 'irq_ack'; ch: number } | null = null;
  const api: MicrokitApi = {
    name,
    mem,
    notify: (ch) => void notified.push(ch),
    deferredNotify: (ch) => void (slot = { kind: 'notify', ch }),
    irqAck: () => {
      throw new InvariantError(`${name}: irq_ack (no IRQ in this component)`);
    },
    deferredIrqAck: (ch) => void (slot = { kind: 'irq_ack', ch }),
    ppcall: () => {
      throw new InvariantError(`${name}: ppcall (none in this component)`);
    },
    deferredCurrent: () => (slot?.kind === 'notify' ? slot.ch : null),
  };
  const encode = (): number =>
    slot === null ? DEFERRED_EMPTY : ((slot.kind === 'irq_ack' ? 0x100 : 0) | slot.ch) + 1;
  return { api, notified, slot: encode };
}

/** A deferred-slot word as a divergence shows it: `empty`, `notify(ch)`, `irq_ack(ch)`. */
export const showSlot = (w: number): string => {
  const d = decodeDeferred(w);
  return d === null ? 'empty' : `${d.kind}(${d.ch})`;
};
