// The virtio split-virtqueue rules the emulated devices implement (virtio 1.x §2.7; reference
// sddf-protocols.md §5.1): free-running u16 `avail.idx` / `used.idx`, ring slot `idx % num`, how
// many buffers the driver has made available, and what makes a descriptor chain malformed. The
// index arithmetic is the queues' (spec/queue/ring.ts over u16). For the device side in impl/hw
// (impl/hw/virtio/virtqueue.ts) and its conformance tests; the ring memory layout and the MMIO
// registers stay there.
import { U16 } from '../queue/arith.ts';
import { ringLengthOf, ringSlotOf } from '../queue/ring.ts';

/** `VIRTQ_DESC_F_NEXT`, `_WRITE`, `_INDIRECT` (§2.7.5). */
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
/** QueueNum is a power of two ≤ 32768 (§2.7: split queues). */
export const VIRTQ_MAX_NUM = 32768;

/** Buffers the driver has made available and the device not consumed: `(u16)(avail.idx − last)`. */
export function virtqPending(availIdx: number, lastAvailIdx: number): number {
  return ringLengthOf(U16, availIdx, lastAvailIdx);
}

/** The ring slot a free-running index names: `idx % num`. */
export function virtqSlot(idx: number, num: number): number {
  return ringSlotOf(U16, idx, num);
}

/** The index after `idx` (u16 wrap). */
export function virtqNext(idx: number): number {
  return U16.add(idx, 1);
}

/** A driver that publishes more than `num` entries ahead of the device is broken (§2.7.13). */
export function virtqAvailProblem(
  availIdx: number,
  lastAvailIdx: number,
  num: number,
): string | null {
  const pending = virtqPending(availIdx, lastAvailIdx);
  return pending <= num
    ? null
    : `avail.idx ${availIdx} is ${pending} ahead of the device (${lastAvailIdx}), more than QueueNum ${num}`;
}

export interface VirtqDesc {
  readonly flags: number;
  readonly next: number;
}

/**
 * Why the chain from `head` is malformed (§2.7.4–2.7.5), or null: a head or `next` outside the
 * table, INDIRECT (not negotiated by these devices), a device-readable descriptor after a
 * device-writable one, or more than `num` descriptors (a loop). Address and length checks need
 * the memory and stay with the device.
 */
export function virtqChainProblem(
  desc: (index: number) => VirtqDesc,
  head: number,
  num: number,
): string | null {
  if (head >= num) return `chain head ${head} ≥ QueueNum ${num}`;
  let index = head;
  let writable = false;
  for (let n = 0; n < num; n++) {
    const d = desc(index);
    if ((d.flags & VIRTQ_DESC_F_INDIRECT) !== 0)
      return `descriptor ${index} has INDIRECT, which was not negotiated`;
    const w = (d.flags & VIRTQ_DESC_F_WRITE) !== 0;
    if (writable && !w) return `descriptor ${index} is device-readable after a device-writable one`;
    writable = w;
    if ((d.flags & VIRTQ_DESC_F_NEXT) === 0) return null;
    if (d.next >= num) return `descriptor ${index} next ${d.next} ≥ QueueNum ${num}`;
    index = d.next;
  }
  return `chain from head ${head} is longer than QueueNum ${num} (a loop)`;
}
