// spec/devices/virtio-queue.ts: u16 index rules and chain rules of the split virtqueue.
import { describe, expect, it } from 'vitest';
import {
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  virtqAvailProblem,
  virtqChainProblem,
  virtqNext,
  virtqPending,
  virtqSlot,
  type VirtqDesc,
} from '../../../spec/devices/virtio-queue.ts';

describe('virtio split virtqueue rules (virtio 1.x §2.7)', () => {
  it('indices are free-running u16: pending, slot and successor across the wrap', () => {
    expect(virtqPending(1, 0xffff)).toBe(2);
    expect(virtqSlot(0xffff, 256)).toBe(255);
    expect(virtqNext(0xffff)).toBe(0);
    expect(virtqAvailProblem(3, 0xffff, 4)).toBeNull();
    expect(virtqAvailProblem(4, 0xffff, 4)).toMatch(
      /5 ahead of the device \(65535\), more than QueueNum 4/,
    );
  });

  it('chains: readable then writable, in range, no indirect, no loop', () => {
    const table = (descs: VirtqDesc[]) => (i: number) => descs[i]!;
    const R = VIRTQ_DESC_F_NEXT;
    const W = VIRTQ_DESC_F_WRITE;
    expect(
      virtqChainProblem(
        table([
          { flags: R, next: 1 },
          { flags: W, next: 0 },
        ]),
        0,
        2,
      ),
    ).toBeNull();
    expect(
      virtqChainProblem(
        table([
          { flags: W | R, next: 1 },
          { flags: 0, next: 0 },
        ]),
        0,
        2,
      ),
    ).toMatch(/readable after a device-writable/);
    expect(
      virtqChainProblem(
        table([
          { flags: R, next: 1 },
          { flags: R, next: 0 },
        ]),
        0,
        2,
      ),
    ).toMatch(/a loop/);
    expect(virtqChainProblem(table([{ flags: R, next: 7 }]), 0, 2)).toMatch(/next 7 ≥ QueueNum 2/);
    expect(virtqChainProblem(table([{ flags: VIRTQ_DESC_F_INDIRECT, next: 0 }]), 0, 1)).toMatch(
      /INDIRECT/,
    );
    expect(virtqChainProblem(table([]), 3, 2)).toMatch(/head 3/);
  });
});
