// A small virtio-blk test driver that runs against a device in agent timing: every access it makes
// to ring memory or to a register is a yield point where the adversarial scheduler may let the
// device act. Its variants are the classic driver mistakes (issue #14 acceptance): publishing
// avail.idx before the ring entry, not re-checking the used ring after re-enabling interrupts,
// acknowledging the interrupt after draining instead of before.

import { u16 } from '../../../../spec/common/int.ts';
import type { MmioDevice } from '../../../../impl/mem/types.ts';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { SeededRng } from '../../../../impl/hw/rng.ts';
import type { TestMemory } from '../../../../impl/hw/testing.ts';
import { AdversarialTiming } from '../../../../impl/hw/timing.ts';
import { BlkType, VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { Feature, VIRTQ_AVAIL_F_NO_INTERRUPT } from '../../../../impl/hw/virtio/constants.ts';
import {
  VirtioDriver,
  type DriverMemory,
  type DriverQueue,
} from '../../../../impl/hw/virtio/driver.ts';
import { BUF_BASE, fullWindow, ram, RING_BASE } from './harness.ts';

export interface DriverVariant {
  /** `ring-first` (correct, §2.7.13): entry, barrier, idx. `idx-first`: the publication bug. */
  readonly publish: 'ring-first' | 'idx-first';
  /** Re-check the used ring after re-enabling interrupts (§2.7.14 note). */
  readonly recheck: boolean;
  /** Acknowledge InterruptStatus before draining (correct) or after. */
  readonly ackFirst: boolean;
  /** Turn used-buffer interrupts off while draining (avail.flags or used_event). */
  readonly suppressWhileDraining: boolean;
  /** Negotiate VIRTIO_F_EVENT_IDX (used_event / avail_event) instead of the flags. */
  readonly eventIdx: boolean;
}

export const CORRECT: DriverVariant = {
  publish: 'ring-first',
  recheck: true,
  ackFirst: true,
  suppressWhileDraining: true,
  eventIdx: false,
};

export interface RunResult {
  readonly submitted: number;
  readonly completed: number;
  /** Completions the driver never saw, with the device idle and no interrupt pending. */
  readonly lost: number;
  readonly errors: readonly string[];
  /** The driver saw a used entry it never made available (only a buggy driver gets there). */
  readonly confused: boolean;
  readonly log: readonly string[];
}

/** Every driver access is a place where the device may act first. */
function yieldingMemory(mem: TestMemory, timing: AdversarialTiming): DriverMemory {
  return {
    readU16: (a) => (timing.yieldPoint(), mem.readU16(a)),
    readU32: (a) => (timing.yieldPoint(), mem.readU32(a)),
    writeU16: (a, v) => (timing.yieldPoint(), mem.writeU16(a, v)),
    writeU32: (a, v) => (timing.yieldPoint(), mem.writeU32(a, v)),
    writeU64: (a, v) => (timing.yieldPoint(), mem.writeU64(a, v)),
  };
}

function yieldingMmio(dev: MmioDevice, timing: AdversarialTiming): MmioDevice {
  return {
    name: dev.name,
    sizeBytes: dev.sizeBytes,
    read32: (o) => (timing.yieldPoint(), dev.read32(o)),
    write32: (o, v) => (timing.yieldPoint(), dev.write32(o, v)),
    irqAsserted: () => dev.irqAsserted(),
  };
}

const NUM = 8;
const REQUESTS = 24;
const MAX_LOOP_STEPS = 20_000;

/** Run REQUESTS reads through the driver variant under the adversarial timing of `seed`. */
export function runBlk(options: { seed: number; variant: DriverVariant }): RunResult {
  const { seed, variant } = options;
  const mem = ram();
  const dev = new VirtioBlk({
    name: 'blk',
    dma: fullWindow(mem, 'blk'),
    backend: new MemoryBlockBackend({ sizeBytes: 64 * 512 }),
    timing: 'agent',
  });
  const timing = new AdversarialTiming([dev], { seed, keepLog: 64 });
  const drvMem = yieldingMemory(mem, timing);
  const drv = new VirtioDriver({ mmio: yieldingMmio(dev, timing), memory: drvMem });
  const features = Feature.Version1 | (variant.eventIdx ? Feature.RingEventIdx : 0n);
  if (!drv.negotiate(features)) throw new Error('negotiation failed');
  const q = drv.setupQueue({ index: 0, num: NUM, baseAddr: RING_BASE });
  drv.driverOk();
  const rng = new SeededRng(seed ^ 0x5eed);
  let submitted = 0;
  let completed = 0;
  let confused = false;

  const submit = (): boolean => {
    const i = submitted % 4;
    const base = BUF_BASE + BigInt(i * 0x1000 + (submitted % 2) * 0x800);
    const head = q.place([
      { addr: base, lenBytes: 16, write: false },
      { addr: base + 0x100n, lenBytes: 513, write: true },
    ]);
    if (head === null) return false;
    mem.writeU32(base, BlkType.In);
    mem.writeU64(base + 8n, BigInt(submitted % 64));
    const old = q.availIdx;
    if (variant.publish === 'ring-first') {
      q.publish(head);
    } else {
      // The bug: avail.idx exposes the slot before the slot holds the head.
      const slot = q.availIdx % NUM;
      q.availIdx = u16(q.availIdx + 1);
      drvMem.writeU16(q.layout.availAddr + 2n, q.availIdx);
      drvMem.writeU16(q.layout.availAddr + 4n + 2n * BigInt(slot), head);
    }
    submitted++;
    if (q.needsNotify({ eventIdx: variant.eventIdx, oldIdx: old })) drv.kick(0);
    return true;
  };

  const setInterrupts = (on: boolean): void => {
    if (variant.eventIdx) q.setUsedEvent(on ? q.usedHead : u16(q.usedHead - 1));
    else q.setAvailFlags(on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT);
  };

  const drain = (): void => {
    try {
      completed += q.collect().length;
    } catch {
      confused = true;
    }
  };

  const handleIrq = (): void => {
    if (variant.ackFirst) drv.ackInterrupt();
    for (let round = 0; round < 64; round++) {
      if (variant.suppressWhileDraining) setInterrupts(false);
      drain();
      if (variant.suppressWhileDraining) setInterrupts(true);
      if (!variant.recheck) break;
      // (a barrier) then look again: anything used after the drain is ours to take now.
      if (q.usedIdx() === q.usedHead) break;
    }
    if (!variant.ackFirst) drv.ackInterrupt();
  };

  for (let step = 0; step < MAX_LOOP_STEPS && !confused; step++) {
    if (submitted < REQUESTS && rng.below(3) === 0 && submit()) continue;
    if (dev.irqAsserted()) {
      handleIrq();
      continue;
    }
    if (timing.idleStep()) continue;
    if (submitted >= REQUESTS || q.freeDescCount < 2) break;
    submit();
  }
  // The end: the device finishes all it owes; the driver takes every interrupt that comes.
  for (let round = 0; round < 64 && !confused; round++) {
    timing.settle();
    if (!dev.irqAsserted()) break;
    handleIrq();
  }
  return {
    submitted,
    completed,
    lost:
      dev.queueState(0).usedIdx === q.usedHead ? 0 : u16(dev.queueState(0).usedIdx - q.usedHead),
    errors: dev.errorCodes(),
    confused,
    log: timing.log,
  };
}

export type { DriverQueue };
