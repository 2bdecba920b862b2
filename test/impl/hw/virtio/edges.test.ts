// Edges of the virtio devices that the conformance tests do not reach: preconditions, bring-up
// without a reset first, service() accounting, agent action lists, DMA faults at every ring access
// the device makes, exposure checks with out-of-order completion, and the rarer driver errors.

import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../../spec/common/assert.ts';
import type { DmaFault, DmaPort } from '../../../../impl/mem/types.ts';
import type { HwEvent } from '../../../../impl/hw/events.ts';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { BlkType, VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { Feature, Reg, Status } from '../../../../impl/hw/virtio/constants.ts';
import { ringLayout, type DriverQueue } from '../../../../impl/hw/virtio/driver.ts';
import {
  VirtioMmioDevice,
  type ConfigField,
  type InFlight,
} from '../../../../impl/hw/virtio/mmio.ts';
import { NET_RX_QUEUE, NET_TX_QUEUE, VirtioNet } from '../../../../impl/hw/virtio/net.ts';
import type { Chain } from '../../../../impl/hw/virtio/virtqueue.ts';
import type { TestMemory } from '../../../../impl/hw/testing.ts';
import { BUF_BASE, driverFor, fullWindow, ram, RING_BASE } from './harness.ts';

const A = Status.Acknowledge;
const D = Status.Driver;
const F = Status.FeaturesOk;
const OK = Status.DriverOk;

/** A port whose refusals a test switches on and off (a window that changes under the device). */
class SwitchPort implements DmaPort {
  refuse: ((addr: bigint, write: boolean) => boolean) | null = null;
  constructor(readonly mem: TestMemory) {}
  #fault(ioAddr: bigint, lengthBytes: number, write: boolean): DmaFault {
    return { kind: 'dma-fault', device: 'd', ioAddr, lengthBytes, write, reason: 'switched off' };
  }
  read(a: bigint, n: number): Uint8Array | DmaFault {
    return this.refuse?.(a, false) === true ? this.#fault(a, n, false) : this.mem.read(a, n);
  }
  write(a: bigint, d: Uint8Array): DmaFault | null {
    if (this.refuse?.(a, true) === true) return this.#fault(a, d.length, true);
    this.mem.write(a, d);
    return null;
  }
}

function blk(options: { timing?: 'agent'; seed?: number; strict?: boolean; num?: number } = {}): {
  dev: VirtioBlk;
  mem: TestMemory;
  q: DriverQueue;
  port: SwitchPort;
} {
  const mem = ram();
  const port = new SwitchPort(mem);
  const dev = new VirtioBlk({
    name: 'blk',
    dma: port,
    backend: new MemoryBlockBackend({ sizeBytes: 16 * 512 }),
    ...(options.timing === undefined ? {} : { timing: options.timing }),
    ...(options.seed === undefined ? {} : { outOfOrderSeed: options.seed }),
    ...(options.strict === undefined ? {} : { strict: options.strict }),
  });
  const drv = driverFor({ mmio: dev, memory: mem });
  expect(drv.negotiate(Feature.Version1 | Feature.BlkFlush | Feature.RingEventIdx)).toBe(true);
  const q = drv.setupQueue({ index: 0, num: options.num ?? 8, baseAddr: RING_BASE });
  drv.driverOk();
  return { dev, mem, q, port };
}

function flush(mem: TestMemory, q: DriverQueue, i: number): number {
  const base = BUF_BASE + BigInt(i * 0x100);
  mem.writeU32(base, BlkType.Flush);
  return q.add([
    { addr: base, lenBytes: 16, write: false },
    { addr: base + 16n, lenBytes: 1, write: true },
  ]) as number;
}

/** A minimal device model: one queue it polls; the work is a fixed used length. */
class Tiny extends VirtioMmioDevice {
  constructor(shape: { numQueues: number; deviceFeatures: bigint }) {
    super({ name: 'tiny', dma: new SwitchPort(ram()) }, { deviceId: 9, ...shape });
  }
  protected configBytes(): Uint8Array {
    return new Uint8Array(0);
  }
  protected configFields(): readonly ConfigField[] {
    return [];
  }
  protected startRequest(_index: number, chain: Chain): InFlight {
    return { chains: [chain], finish: () => [0] };
  }
  protected pollsQueue(): boolean {
    return true;
  }
  protected onReset(): void {}
}

describe('device preconditions are our bugs, not driver errors', () => {
  it('a device has 1..16 queues and features within 64 bits', () => {
    expect(() => new Tiny({ numQueues: 0, deviceFeatures: Feature.Version1 })).toThrow(
      InvariantError,
    );
    expect(() => new Tiny({ numQueues: 17, deviceFeatures: Feature.Version1 })).toThrow(
      InvariantError,
    );
    expect(() => new Tiny({ numQueues: 1, deviceFeatures: 1n << 64n })).toThrow(InvariantError);
    expect(new Tiny({ numQueues: 16, deviceFeatures: (1n << 64n) - 1n }).queueState(15).index).toBe(
      15,
    );
    expect(() => new Tiny({ numQueues: 1, deviceFeatures: 0n }).queueState(1)).toThrow(
      InvariantError,
    );
  });

  it('a MAC is 6 bytes; an MTU is in [68, 65535]; a disk is whole sectors; a serial at most 20 bytes', () => {
    const mem = ram();
    const dma = fullWindow(mem, 'n');
    expect(() => new VirtioNet({ name: 'n', dma, mac: new Uint8Array(5) })).toThrow(InvariantError);
    for (const mtu of [67, 65536]) {
      expect(() => new VirtioNet({ name: 'n', dma, mac: new Uint8Array(6), mtu })).toThrow(
        InvariantError,
      );
    }
    for (const mtu of [68, 65535])
      expect(new VirtioNet({ name: 'n', dma, mac: new Uint8Array(6), mtu }).mtu).toBe(mtu);
    const backend = new MemoryBlockBackend({ sizeBytes: 512 });
    expect(() => new VirtioBlk({ name: 'b', dma, backend, serial: 'x'.repeat(21) })).toThrow(
      InvariantError,
    );
    expect(new VirtioBlk({ name: 'b', dma, backend, serial: 'x'.repeat(20) }).deviceId).toBe(2);
    const odd = {
      ...backend,
      sizeBytes: 700,
      read: backend.read.bind(backend),
      write: backend.write.bind(backend),
      flush: backend.flush.bind(backend),
    };
    expect(() => new VirtioBlk({ name: 'b', dma, backend: odd })).toThrow(InvariantError);
  });
});

describe('bring-up without a reset first (the device starts in its reset state)', () => {
  it('a fresh agent device owes nothing, holds nothing, and serves what the driver publishes', () => {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'blk',
      dma: fullWindow(mem, 'blk'),
      backend: new MemoryBlockBackend({ sizeBytes: 16 * 512 }),
      timing: 'agent',
    });
    expect(dev.queueState(0).enabled).toBe(false);
    dev.write32(Reg.Status, A);
    dev.write32(Reg.Status, A | D);
    dev.write32(Reg.DriverFeaturesSel, 1);
    dev.write32(Reg.DriverFeatures, 1);
    dev.write32(Reg.Status, A | D | F);
    const layout = ringLayout({ baseAddr: RING_BASE, num: 8 });
    dev.write32(Reg.QueueSel, 0);
    dev.write32(Reg.QueueNum, 8);
    dev.write32(Reg.QueueDescLow, Number(layout.descAddr));
    dev.write32(Reg.QueueDriverLow, Number(layout.availAddr));
    dev.write32(Reg.QueueDeviceLow, Number(layout.usedAddr));
    dev.write32(Reg.Status, A | D | F | OK);
    expect(dev.agentBusy()).toBe(false);
    expect(dev.agentActions()).toEqual([{ kind: 'spurious-interrupt' }]); // queue 0 not ready
    expect(dev.heldCount(0)).toBe(0);
    dev.write32(Reg.QueueReady, 1);
    expect(dev.agentActions().map((a) => a.kind)).toEqual([
      'poll',
      'suppress-notify',
      'spurious-interrupt',
    ]);
    expect(dev.service()).toBe(0);
    expect(dev.completionOrder).toEqual([]);
    expect(dev.errorCodes()).toEqual([]);
  });

  it('clearing FEATURES_OK after DRIVER_OK stops a strict device (recorded)', () => {
    const { dev } = blk();
    dev.write32(Reg.Status, A | D | OK);
    expect(dev.live).toBe(false);
    expect(dev.errorCodes()).toEqual(['status-bit-cleared']);
  });
});

describe('service() accounting', () => {
  function quiet(): { dev: VirtioBlk; mem: TestMemory; q: DriverQueue } {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'blk',
      dma: fullWindow(mem, 'blk'),
      backend: new MemoryBlockBackend({ sizeBytes: 16 * 512 }),
      processOnNotify: false,
    });
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(Feature.Version1 | Feature.BlkFlush);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    return { dev, mem, q };
  }

  it('counts passes over enabled queues only; a stalled or broken device serves nothing', () => {
    const { dev, mem, q } = quiet();
    dev.write32(Reg.QueueNotify, 0);
    dev.write32(Reg.QueueSel, 0);
    dev.write32(Reg.QueueReady, 0);
    expect(dev.service()).toBe(0); // notified, but disabled
    dev.write32(Reg.QueueReady, 1);
    flush(mem, q, 0);
    dev.write32(Reg.QueueNotify, 0);
    dev.stall();
    expect(dev.service()).toBe(0);
    dev.release(); // releases, and serves what was notified
    expect(q.collect()).toHaveLength(1);
    q.publish(9); // malformed
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.service()).toBe(0);
    expect(dev.needsReset).toBe(true);
    expect(dev.service()).toBe(0);
  });

  it('a kick of the receiveq is a pass that takes nothing (buffers wait for frames)', () => {
    const mem = ram();
    const nic = new VirtioNet({
      name: 'n',
      dma: fullWindow(mem, 'n'),
      mac: new Uint8Array(6),
      processOnNotify: false,
    });
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.Version1);
    const rx = drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    rx.add([{ addr: BUF_BASE, lenBytes: 2048, write: true }]);
    drv.kick(NET_RX_QUEUE);
    expect(nic.service()).toBe(1);
    expect(nic.queueState(NET_RX_QUEUE).lastAvailIdx).toBe(0);
  });

  it('a peer that stalls the device mid-transmit stops the pass; release resumes it', () => {
    const mem = ram();
    const nic = new VirtioNet({ name: 'n', dma: fullWindow(mem, 'n'), mac: new Uint8Array(6) });
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.Version1);
    drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    const tx = drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    const sent: number[] = [];
    const post = (i: number): void => {
      mem.write(BUF_BASE + BigInt(i * 0x100) + 12n, new Uint8Array(60).fill(i));
      tx.add([{ addr: BUF_BASE + BigInt(i * 0x100), lenBytes: 72, write: false }]);
    };
    nic.connect({
      receiveFrame: (f) => {
        sent.push(f[0] as number);
        if (sent.length === 1) {
          nic.stall();
          post(2);
          drv.kick(NET_TX_QUEUE); // pending: served after release
        }
      },
    });
    post(0);
    post(1);
    drv.kick(NET_TX_QUEUE);
    expect(sent).toEqual([0, 1]);
    nic.release();
    expect(sent).toEqual([0, 1, 2]);
  });
});

describe('agent action lists', () => {
  it('one held request offers one complete; none for a disabled queue', () => {
    const { dev, mem, q } = blk({ timing: 'agent' });
    flush(mem, q, 0);
    dev.agentPerform({ kind: 'poll', queue: 0 });
    expect(dev.agentActions().filter((a) => a.kind === 'complete')).toEqual([
      { kind: 'complete', queue: 0, max: 1 },
    ]);
    dev.write32(Reg.QueueSel, 0);
    dev.write32(Reg.QueueReady, 0);
    expect(dev.agentActions()).toEqual([{ kind: 'spurious-interrupt' }]);
    expect(dev.agentBusy()).toBe(false);
    expect(dev.heldCount(3)).toBe(0);
  });

  it('suppress does not look at the ring; a refused used.flags write breaks the device', () => {
    const { dev, mem, q, port } = blk({ timing: 'agent' });
    flush(mem, q, 0);
    dev.agentPerform({ kind: 'suppress-notify', queue: 0 });
    expect(dev.heldCount(0)).toBe(0);
    const b = blk({ timing: 'agent' });
    b.port.refuse = (a, w) => w && a === b.q.layout.usedAddr + 4n + 8n * 8n; // avail_event
    b.dev.agentPerform({ kind: 'suppress-notify', queue: 0 });
    expect(b.dev.errorCodes()).toEqual(['dma-fault']);
    void port;
  });

  it('an agent net offers rx-frame only with frames waiting; drain-tx and empty rx-frame do nothing', () => {
    const mem = ram();
    const nic = new VirtioNet({
      name: 'n',
      dma: fullWindow(mem, 'n'),
      mac: new Uint8Array(6),
      timing: 'agent',
    });
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.Version1);
    const rx = drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    expect(nic.agentActions().map((a) => a.kind)).not.toContain('rx-frame');
    expect(nic.agentBusy()).toBe(false);
    nic.agentPerform({ kind: 'rx-frame' });
    nic.agentPerform({ kind: 'drain-tx', max: 4 });
    expect(nic.stats.rxFrames + nic.rxDropped).toBe(0);
    rx.add([{ addr: BUF_BASE, lenBytes: 2048, write: true }]);
    const f = new Uint8Array(60).fill(1);
    nic.receiveFrame(f);
    f.fill(2); // the wire kept its own copy
    nic.agentPerform({ kind: 'rx-frame' });
    expect(mem.readU8(BUF_BASE + 12n)).toBe(1);
  });
});

describe('DMA faults where the device reads or writes the rings', () => {
  it('avail_event (written as the device consumes, EVENT_IDX)', () => {
    const { dev, mem, q, port } = blk();
    port.refuse = (a, w) => w && a === q.layout.usedAddr + 4n + 8n * 8n;
    flush(mem, q, 0);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['dma-fault']);
    expect(dev.needsReset).toBe(true);
  });

  it('used_event (read to decide the interrupt, EVENT_IDX)', () => {
    const { dev, mem, q, port } = blk();
    port.refuse = (a, w) => !w && a === q.layout.availAddr + 4n + 2n * 8n;
    flush(mem, q, 0);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['dma-fault']);
  });

  it('avail.idx when notifications are resumed: one fault, the device breaks', () => {
    const { dev, q, port } = blk({ timing: 'agent' });
    dev.agentPerform({ kind: 'suppress-notify', queue: 0 });
    port.refuse = (a, w) => !w && a === q.layout.availAddr + 2n;
    dev.agentPerform({ kind: 'resume-notify', queue: 0 });
    expect(dev.dmaFaults).toHaveLength(1);
    expect(dev.needsReset).toBe(true);
  });

  it('the avail slot and the descriptors when re-reading them before use (agent timing)', () => {
    for (const part of ['slot', 'desc'] as const) {
      const { dev, mem, q, port } = blk({ timing: 'agent' });
      flush(mem, q, 0);
      dev.agentPerform({ kind: 'poll', queue: 0 });
      port.refuse = (a, w) =>
        !w && (part === 'slot' ? a === q.layout.availAddr + 4n : a === q.layout.descAddr);
      dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
      expect(dev.errorCodes()).toEqual(['dma-fault']);
      expect(q.collect()).toEqual([]);
    }
  });

  it('an indirect table the device may not read', () => {
    const { dev, mem, q, port } = blk();
    mem.writeU32(BUF_BASE, BlkType.Flush);
    q.add(
      [
        { addr: BUF_BASE, lenBytes: 16, write: false },
        { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
      ],
      { indirect: { addr: BUF_BASE + 0x1000n } },
    );
    port.refuse = (a) => a === BUF_BASE + 0x1000n;
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['indirect-not-negotiated', 'dma-fault']);
  });

  it('the DMA fault list keeps 64 faults and counts them all', () => {
    const mem = ram();
    const port = new SwitchPort(mem);
    const dev = new VirtioBlk({
      name: 'b',
      dma: port,
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
    });
    const drv = driverFor({ mmio: dev, memory: mem });
    for (let i = 0; i < 66; i++) {
      drv.negotiate(Feature.Version1);
      const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
      drv.driverOk();
      port.refuse = (a) => a === q.layout.availAddr + 2n;
      dev.write32(Reg.QueueNotify, 0);
      port.refuse = null;
    }
    expect(dev.dmaFaults).toHaveLength(64);
    expect(dev.errorCount).toBe(66);
  });
});

describe('exposure checks with out-of-order completion', () => {
  /** A seed whose first completion among two held requests is the second one. */
  function secondFirst(): { dev: VirtioBlk; mem: TestMemory; q: DriverQueue } {
    for (let seed = 1; seed < 50; seed++) {
      const b = blk({ timing: 'agent', seed });
      const h0 = flush(b.mem, b.q, 0);
      flush(b.mem, b.q, 1);
      b.dev.agentPerform({ kind: 'poll', queue: 0 });
      b.dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
      if (b.dev.completionOrder[0] !== h0) return b;
    }
    throw new Error('no seed completes the second request first');
  }

  it('after one used entry the driver may reuse slot 0 although its chain is still held', () => {
    const b = secondFirst();
    b.mem.writeU16(b.q.layout.availAddr + 4n, 6); // entry 0's slot, legitimately reused
    b.dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
    expect(b.dev.errorCount).toBe(0);
  });

  it('before any used entry, a changed slot of a held chain is the driver’s error', () => {
    const b = blk({ timing: 'agent' });
    flush(b.mem, b.q, 0);
    flush(b.mem, b.q, 1);
    b.dev.agentPerform({ kind: 'poll', queue: 0 });
    b.dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
    b.mem.writeU16(b.q.layout.availAddr + 6n, 6); // entry 1's slot; the driver saw 1 used entry
    b.dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
    expect(b.dev.errorCodes()).toEqual(['avail-entry-changed']);
    expect(b.dev.needsReset).toBe(false);
  });

  it('a chain held across QueueReady 0 → 1 is still held (and completes cleanly)', () => {
    const b = blk({ timing: 'agent' });
    const h = flush(b.mem, b.q, 0);
    b.dev.agentPerform({ kind: 'poll', queue: 0 });
    b.dev.write32(Reg.QueueSel, 0);
    b.dev.write32(Reg.QueueReady, 0);
    b.dev.write32(Reg.QueueReady, 1);
    b.q.publish(h); // exposing it again while held
    b.dev.agentPerform({ kind: 'poll', queue: 0 });
    expect(b.dev.errorCodes()).toEqual(['descriptor-in-flight']);
    b.dev.agentPerform({ kind: 'complete', queue: 0, max: 2 });
    expect(b.dev.queueState(0).usedIdx).toBe(2);
  });

  it('an indirect table changed while its chain is held', () => {
    const b = blk({ timing: 'agent' });
    b.dev.write32(Reg.Status, 0);
    const drv = driverFor({ mmio: b.dev, memory: b.mem });
    drv.negotiate(Feature.Version1 | Feature.BlkFlush | Feature.RingIndirectDesc);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    b.mem.writeU32(BUF_BASE, BlkType.Flush);
    q.add(
      [
        { addr: BUF_BASE, lenBytes: 16, write: false },
        { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
      ],
      { indirect: { addr: BUF_BASE + 0x1000n } },
    );
    b.dev.agentPerform({ kind: 'poll', queue: 0 });
    b.mem.writeU32(BUF_BASE + 0x1000n + 8n, 32); // the table's first len
    b.dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
    expect(b.dev.errorCodes()).toEqual(['exposed-descriptor-changed']);
  });
});

describe('indirect tables at the bounds', () => {
  function indirectBlk(num = 8) {
    const mem = ram();
    const port = new SwitchPort(mem);
    const dev = new VirtioBlk({
      name: 'b',
      dma: port,
      backend: new MemoryBlockBackend({ sizeBytes: 16 * 512 }),
    });
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(Feature.Version1 | Feature.BlkFlush | Feature.RingIndirectDesc);
    const q = drv.setupQueue({ index: 0, num, baseAddr: RING_BASE });
    drv.driverOk();
    return { dev, mem, q, port };
  }

  it('a chain of exactly QueueNum descriptors through a table is accepted', () => {
    const b = indirectBlk();
    b.mem.writeU32(BUF_BASE, BlkType.In);
    const bufs = [
      { addr: BUF_BASE, lenBytes: 16, write: false },
      ...Array.from({ length: 6 }, (_, k) => ({
        addr: BUF_BASE + 0x200n + BigInt(k * 0x200),
        lenBytes: 512,
        write: true,
      })),
      { addr: BUF_BASE + 0x100n, lenBytes: 1, write: true },
    ];
    b.q.add(bufs, { indirect: { addr: BUF_BASE + 0x4000n } });
    b.dev.write32(Reg.QueueNotify, 0);
    expect(b.dev.errorCount).toBe(0);
    expect(b.q.collect()[0]?.lenBytes).toBe(6 * 512 + 1);
  });

  it('a table ending exactly at 2^64 does not wrap: the device cannot read it (a DMA fault)', () => {
    const b = indirectBlk();
    b.q.writeDesc(0, { addr: (1n << 64n) - 32n, lenBytes: 32, flags: 4, next: 0 });
    b.q.publish(0);
    b.port.refuse = (a) => a >= 1n << 63n;
    b.dev.write32(Reg.QueueNotify, 0);
    expect(b.dev.errorCodes()).toEqual(['dma-fault']);
  });

  it('a zero-length buffer inside a table breaks the device (named as an indirect descriptor)', () => {
    const b = indirectBlk();
    b.mem.writeU32(BUF_BASE, BlkType.Flush);
    b.q.add(
      [
        { addr: BUF_BASE, lenBytes: 16, write: false },
        { addr: BUF_BASE + 16n, lenBytes: 0, write: true },
      ],
      { indirect: { addr: BUF_BASE + 0x4000n } },
    );
    b.dev.write32(Reg.QueueNotify, 0);
    expect(b.dev.errorCodes()).toEqual(['zero-length']);
    expect(String(b.dev.errors[0])).toMatch(/indirect descriptor 1 has length 0/);
  });
});

describe('status, features and config corners', () => {
  it('writing the same status again after FAILED is no new error', () => {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'b',
      dma: fullWindow(mem, 'b'),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
    });
    dev.write32(Reg.Status, A | Status.Failed);
    dev.write32(Reg.Status, A | Status.Failed);
    expect(dev.errorCount).toBe(0);
  });

  it('after a reset, DriverFeatures needs its Sel written again', () => {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'b',
      dma: fullWindow(mem, 'b'),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
    });
    dev.write32(Reg.DriverFeaturesSel, 0);
    dev.write32(Reg.DriverFeatures, 0);
    dev.write32(Reg.Status, 0);
    dev.write32(Reg.DriverFeatures, 0);
    expect(dev.errorCodes()).toEqual(['features-sel-not-written']);
  });

  it('a zero written to a feature page past the second is harmless; a set bit there is unoffered (in any order)', () => {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'b',
      dma: fullWindow(mem, 'b'),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
    });
    const features = (pages: [number, number][]): boolean => {
      dev.write32(Reg.Status, 0);
      dev.write32(Reg.Status, A | D);
      for (const [sel, v] of pages) {
        dev.write32(Reg.DriverFeaturesSel, sel);
        dev.write32(Reg.DriverFeatures, v);
      }
      dev.write32(Reg.Status, A | D | F);
      return (dev.status & F) !== 0;
    };
    expect(
      features([
        [2, 0],
        [0, 0],
        [1, 1],
      ]),
    ).toBe(true);
    expect(
      features([
        [2, 1],
        [0, 0],
        [1, 1],
      ]),
    ).toBe(false);
    expect(
      features([
        [7, 0],
        [1, 1],
      ]),
    ).toBe(true);
  });

  it('a 32-bit config read past the end reads all ones; 16-bit too', () => {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'b',
      dma: fullWindow(mem, 'b'),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
    });
    expect(dev.read32(Reg.Config + 24)).toBe(0xffff_ffff);
    expect(dev.read16(Reg.Config + 30)).toBe(0xffff);
    expect(dev.read8(Reg.Config + 31)).toBe(0xff);
    expect(dev.read32(Reg.Config + 8)).toBe(0); // seg_max is not offered: a hole, bytes 0
    expect(dev.errorCodes()).toEqual(['hole', 'hole', 'hole', 'hole']);
  });

  it('max_virtqueue_pairs is a 16-bit field when VIRTIO_NET_F_MQ is offered', () => {
    const mem = ram();
    const nic = new VirtioNet({
      name: 'n',
      dma: fullWindow(mem, 'n'),
      mac: new Uint8Array(6),
      deviceFeatures: Feature.Version1 | Feature.NetMac | Feature.NetStatus | Feature.NetMq,
    });
    expect(nic.read16(Reg.Config + 8)).toBe(1);
    expect(nic.read32(Reg.Config + 12)).toBe(0xffff_ffff);
    expect(nic.errorCodes()).toEqual(['hole']);
  });

  it('device errors reach the observer with their code', () => {
    const events: HwEvent[] = [];
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'b',
      dma: fullWindow(mem, 'b'),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
      observer: (e) => events.push(e),
    });
    dev.read8(Reg.Status);
    expect(events.filter((e) => e.kind === 'device-error')).toEqual([
      {
        kind: 'device-error',
        device: 'b',
        code: 'wrong-width',
        reason:
          'b: Status (0x070) 8-bit read: a 8-bit access; Status takes 32-bit accesses at its own offset [virtio-1.2 §4.2.2.2]',
      },
    ]);
  });
});

describe('device-type corners', () => {
  function netWith(features: bigint, deviceFeatures?: bigint, windowEnd?: bigint) {
    const mem = ram();
    const dma =
      windowEnd === undefined ? fullWindow(mem, 'n') : new (class extends SwitchPort {})(mem);
    if (windowEnd !== undefined) (dma as SwitchPort).refuse = (a) => a >= windowEnd;
    const nic = new VirtioNet({
      name: 'n',
      dma,
      mac: new Uint8Array(6),
      ...(deviceFeatures === undefined ? {} : { deviceFeatures }),
    });
    const drv = driverFor({ mmio: nic, memory: mem });
    expect(drv.negotiate(features)).toBe(true);
    const rx = drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    const tx = drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    return { nic, drv, mem, rx, tx };
  }
  const send = (n: ReturnType<typeof netWith>, hdr: number[]): void => {
    const h = new Uint8Array(12);
    h.set(hdr);
    n.mem.write(BUF_BASE, h);
    n.mem.write(BUF_BASE + 12n, new Uint8Array(60).fill(3));
    n.tx.add([{ addr: BUF_BASE, lenBytes: 72, write: false }]);
    n.drv.kick(NET_TX_QUEUE);
  };

  it('with CSUM and HOST_TSO4 negotiated, NEEDS_CSUM and a TCPv4 gso_type (ECN too) are the driver’s right', () => {
    const offered = Feature.Version1 | Feature.NetCsum | Feature.NetHostTso4;
    const n = netWith(offered, offered);
    send(n, [1, 1]);
    send(n, [1, 0x81]);
    send(n, [1, 0]);
    expect(n.nic.errorCount).toBe(0);
    send(n, [2]); // DATA_VALID stays forbidden
    send(n, [1, 4]); // TCPv6 without HOST_TSO6
    send(n, [0, 1]); // gso without NEEDS_CSUM
    expect(n.nic.errorCodes()).toEqual(['tx-hdr-flags', 'tx-hdr-gso', 'tx-hdr-gso']);
  });

  it('malformed transmit chains name the queue, avail index and head', () => {
    const n = netWith(Feature.Version1);
    n.tx.add([{ addr: BUF_BASE, lenBytes: 12, write: false }]);
    n.drv.kick(NET_TX_QUEUE);
    expect(String(n.nic.errors[0])).toBe(
      'n: queue 1 avail[0] head 0: the transmit chain holds a header and no frame [QEMU hw/net/virtio-net.c virtio_net_flush_tx]',
    );
  });

  it('a receive DMA fault counts no frame; a buffer the frame does not need is never touched', () => {
    const n = netWith(Feature.Version1, undefined, BUF_BASE + 0x1000n);
    n.rx.add([
      { addr: BUF_BASE, lenBytes: 100, write: true },
      { addr: BUF_BASE + 0x2000n, lenBytes: 100, write: true }, // outside, not needed
    ]);
    n.nic.receiveFrame(new Uint8Array(60));
    expect(n.nic.stats.rxFrames).toBe(1);
    expect(n.nic.dmaFaults).toEqual([]);
    n.rx.add([{ addr: BUF_BASE + 0x2000n, lenBytes: 100, write: true }]);
    n.nic.receiveFrame(new Uint8Array(60));
    expect(n.nic.stats.rxFrames).toBe(1);
    expect(n.nic.needsReset).toBe(true);
  });

  it('MRG_RXBUF: a frame that exactly fills one buffer takes one; 12-byte buffers are allowed, 11 are not', () => {
    const n = netWith(Feature.Version1 | Feature.NetMrgRxbuf);
    n.rx.add([{ addr: BUF_BASE, lenBytes: 72, write: true }]);
    n.rx.add([{ addr: BUF_BASE + 0x100n, lenBytes: 72, write: true }]);
    n.nic.receiveFrame(new Uint8Array(60));
    expect(n.nic.queueState(NET_RX_QUEUE).lastAvailIdx).toBe(1);
    n.rx.add([{ addr: BUF_BASE + 0x200n, lenBytes: 12, write: true }]);
    n.rx.add([{ addr: BUF_BASE + 0x300n, lenBytes: 100, write: true }]);
    n.nic.receiveFrame(new Uint8Array(120)); // 72 + 12 + 48 of 100: three buffers, none too small
    expect(n.nic.errorCount).toBe(0);
    expect(n.nic.queueState(NET_RX_QUEUE).lastAvailIdx).toBe(4);
    const m = netWith(Feature.Version1 | Feature.NetMrgRxbuf);
    m.rx.add([{ addr: BUF_BASE, lenBytes: 11, write: true }]);
    m.rx.add([{ addr: BUF_BASE + 0x100n, lenBytes: 100, write: true }]);
    m.nic.receiveFrame(new Uint8Array(60));
    expect(m.nic.errorCodes()).toEqual(['rx-buffer-smaller-than-header']);
  });

  it('rxDropped sums every reason, not-ready included', () => {
    const mem = ram();
    const nic = new VirtioNet({ name: 'n', dma: fullWindow(mem, 'n'), mac: new Uint8Array(6) });
    nic.receiveFrame(new Uint8Array(60));
    nic.receiveFrame(new Uint8Array(60));
    expect(nic.rxDropped).toBe(2);
  });

  it('GET_ID data over two buffers is written across them; the status after', () => {
    const b = blk();
    b.mem.writeU32(BUF_BASE, BlkType.GetId);
    b.q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 0x100n, lenBytes: 12, write: true },
      { addr: BUF_BASE + 0x200n, lenBytes: 8, write: true },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    b.dev.write32(Reg.QueueNotify, 0);
    expect(b.dev.errorCount).toBe(0);
    expect(b.q.collect()[0]?.lenBytes).toBe(21);
    expect(b.mem.readU8(BUF_BASE + 16n)).toBe(0);
  });

  it('the beyond-capacity error says which sectors', () => {
    const b = blk();
    b.mem.writeU32(BUF_BASE, BlkType.In);
    b.mem.writeU64(BUF_BASE + 8n, 15n);
    b.q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 0x200n, lenBytes: 1024, write: true },
      { addr: BUF_BASE + 16n, lenBytes: 1, write: true },
    ]);
    b.dev.write32(Reg.QueueNotify, 0);
    expect(String(b.dev.errors[0])).toMatch(/sectors \[15, \+2\) reach beyond capacity 16/);
  });
});

describe('transport corners (final mutation run)', () => {
  function quietBlk(): { dev: VirtioBlk; mem: TestMemory; q: DriverQueue } {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'blk',
      dma: fullWindow(mem, 'blk'),
      backend: new MemoryBlockBackend({ sizeBytes: 16 * 512 }),
      processOnNotify: false,
    });
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(Feature.Version1 | Feature.BlkFlush);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    return { dev, mem, q };
  }

  it('a pass that breaks the device on avail.idx or on a request’s shape is not counted', () => {
    const a = quietBlk();
    a.mem.writeU16(a.q.layout.availAddr + 2n, 100); // 100 ahead of an 8-entry queue
    a.dev.write32(Reg.QueueNotify, 0);
    expect(a.dev.service()).toBe(0);
    expect(a.dev.errorCodes()).toEqual(['avail-idx-ahead']);
    const b = quietBlk();
    b.q.add([{ addr: BUF_BASE, lenBytes: 8, write: false }]); // no 16-byte header, no status
    b.dev.write32(Reg.QueueNotify, 0);
    expect(b.dev.service()).toBe(0);
    expect(b.dev.needsReset).toBe(true);
  });

  it('release() of an agent device serves nothing itself: the scheduler does', () => {
    const { dev, mem, q } = blk({ timing: 'agent' });
    flush(mem, q, 0);
    dev.write32(Reg.QueueNotify, 0);
    dev.stall();
    dev.release();
    expect(q.collect()).toEqual([]);
    expect(dev.heldCount(0)).toBe(0);
  });

  it('service() is not re-entrant: a kick from the wire during a pass is served by the outer pass', () => {
    const mem = ram();
    const nic = new VirtioNet({ name: 'n', dma: fullWindow(mem, 'n'), mac: new Uint8Array(6) });
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.Version1);
    drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    const tx = drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    const post = (i: number): void => {
      mem.write(BUF_BASE + BigInt(i * 0x100) + 12n, new Uint8Array(60).fill(i));
      tx.add([{ addr: BUF_BASE + BigInt(i * 0x100), lenBytes: 72, write: false }]);
    };
    const sent: number[] = [];
    let atKick: number[] = [];
    nic.connect({
      receiveFrame: (f) => {
        sent.push(f[0] as number);
        if (sent.length === 1) {
          post(2);
          drv.kick(NET_TX_QUEUE); // re-enters service(): left pending
          atKick = [...sent];
        }
      },
    });
    post(0);
    post(1);
    drv.kick(NET_TX_QUEUE);
    expect(atKick).toEqual([0]);
    expect(sent).toEqual([0, 1, 2]);
  });

  it('a control register written at another width is ignored (recorded), as QEMU', () => {
    const dev = new VirtioBlk({
      name: 'blk',
      dma: fullWindow(ram(), 'blk'),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
    });
    dev.write16(Reg.Status, Status.Acknowledge);
    dev.write8(Reg.QueueSel, 1);
    expect(dev.errorCodes()).toEqual(['wrong-width', 'wrong-width']);
    expect(dev.read32(Reg.Status)).toBe(0);
  });

  it('DriverFeaturesSel at the top of its range: a set bit is one unoffered feature, no huge shift', () => {
    const dev = new VirtioBlk({
      name: 'blk',
      dma: fullWindow(ram(), 'blk'),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
    });
    dev.write32(Reg.Status, A);
    dev.write32(Reg.Status, A | D);
    dev.write32(Reg.DriverFeaturesSel, 1);
    dev.write32(Reg.DriverFeatures, 1); // VERSION_1
    dev.write32(Reg.DriverFeaturesSel, 0xffff_ffff);
    dev.write32(Reg.DriverFeatures, 1);
    dev.write32(Reg.Status, A | D | F);
    expect(dev.read32(Reg.Status) & F).toBe(0);
    expect(dev.errorCodes()).toEqual(['unoffered-feature', 'features-refused']);
    // Every page past the second stands for one bit, 127, whatever the page.
    expect(dev.errors[0]?.message).toContain(': 0x8' + '0'.repeat(31));
    const two = new VirtioBlk({
      name: 'blk',
      dma: fullWindow(ram(), 'blk'),
      backend: new MemoryBlockBackend({ sizeBytes: 512 }),
    });
    two.write32(Reg.Status, A);
    two.write32(Reg.Status, A | D);
    two.write32(Reg.DriverFeaturesSel, 2);
    two.write32(Reg.DriverFeatures, 1);
    two.write32(Reg.Status, A | D | F);
    expect(two.errors[0]?.message).toContain(': 0x8' + '0'.repeat(31));
  });

  it('a chain of exactly 64 MiB is accepted; one byte more breaks the device', () => {
    const make = (second: number) => {
      const mem = ram();
      const nic = new VirtioNet({ name: 'n', dma: fullWindow(mem, 'n'), mac: new Uint8Array(6) });
      const drv = driverFor({ mmio: nic, memory: mem });
      drv.negotiate(Feature.Version1);
      const rx = drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
      drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
      drv.driverOk();
      rx.add([
        { addr: BUF_BASE, lenBytes: 32 << 20, write: true },
        { addr: BUF_BASE + 0x1000_0000n, lenBytes: second, write: true },
      ]);
      nic.receiveFrame(new Uint8Array(60));
      return nic;
    };
    const exact = make(32 << 20);
    expect([exact.needsReset, exact.stats.rxFrames]).toEqual([false, 1]);
    const over = make((32 << 20) + 1);
    expect(over.needsReset).toBe(true);
    expect(over.errorCodes()).toEqual(['chain-bytes']);
  });

  it('observers see frames sent, received and dropped', () => {
    const mem = ram();
    const events: HwEvent[] = [];
    const nic = new VirtioNet({
      name: 'n',
      dma: fullWindow(mem, 'n'),
      mac: new Uint8Array(6),
      observer: (e) => events.push(e),
    });
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.Version1);
    const rx = drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    const tx = drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    nic.receiveFrame(new Uint8Array(60)); // no buffer
    rx.add([{ addr: BUF_BASE, lenBytes: 2048, write: true }]);
    nic.receiveFrame(new Uint8Array(61));
    tx.add([{ addr: BUF_BASE + 0x1000n, lenBytes: 12 + 62, write: false }]);
    drv.kick(NET_TX_QUEUE);
    expect(events.filter((e) => e.kind.startsWith('frame-'))).toEqual([
      { kind: 'frame-drop', device: 'n', lengthBytes: 60, reason: 'rxDroppedNoBuffer' },
      { kind: 'frame-rx', device: 'n', lengthBytes: 61 },
      { kind: 'frame-tx', device: 'n', lengthBytes: 62 },
    ]);
  });

  it('drain-tx is not an action of a net device: a waiting frame stays on the wire', () => {
    const mem = ram();
    const nic = new VirtioNet({
      name: 'n',
      dma: fullWindow(mem, 'n'),
      mac: new Uint8Array(6),
      timing: 'agent',
    });
    expect(nic.backlogCount).toBe(0); // powers on with an empty wire
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.Version1);
    const rx = drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    rx.add([{ addr: BUF_BASE, lenBytes: 2048, write: true }]);
    expect(nic.agentActions().every((x) => typeof x === 'object')).toBe(true); // nothing waiting
    nic.receiveFrame(new Uint8Array(60));
    nic.agentPerform({ kind: 'drain-tx', max: 4 });
    expect(nic.stats.rxFrames).toBe(0);
    expect(nic.agentActions().map((x) => x.kind)).toContain('rx-frame');
    expect(nic.agentActions().every((x) => typeof x === 'object')).toBe(true);
  });
});

describe('ring corners (final mutation run)', () => {
  it('avail.idx refused once when notifications resume: the device breaks then, not later', () => {
    const { dev, q, port } = blk({ timing: 'agent' });
    dev.agentPerform({ kind: 'suppress-notify', queue: 0 });
    let refusals = 0;
    port.refuse = (a, w) => !w && a === q.layout.availAddr + 2n && refusals++ === 0;
    dev.agentPerform({ kind: 'resume-notify', queue: 0 });
    expect(dev.needsReset).toBe(true);
    expect(dev.dmaFaults).toHaveLength(1);
  });

  it('the first used buffer after enabling a queue is always notified (EVENT_IDX, QEMU signalled_used_valid)', () => {
    const { dev, mem, q } = blk();
    q.setUsedEvent(5); // the driver asks for an interrupt only after the 6th
    flush(mem, q, 0);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.interruptStatus & 1).toBe(1);
  });

  it('a zero-length direct descriptor is named as a descriptor, not an indirect one', () => {
    const { dev, mem, q } = blk();
    mem.writeU32(BUF_BASE, BlkType.Flush);
    q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 16n, lenBytes: 0, write: true },
    ]);
    dev.write32(Reg.QueueNotify, 0);
    expect(String(dev.errors[0])).toMatch(/: descriptor 1 has length 0/);
  });

  it('a frame that ends inside the first buffer writes nothing near the second', () => {
    const mem = ram();
    const port = new SwitchPort(mem);
    port.refuse = (a) => a >= BUF_BASE - 0x100n && a < BUF_BASE; // just below the second buffer
    const nic = new VirtioNet({ name: 'n', dma: port, mac: new Uint8Array(6) });
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.Version1);
    const rx = drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    rx.add([
      { addr: BUF_BASE + 0x1000n, lenBytes: 100, write: true },
      { addr: BUF_BASE, lenBytes: 100, write: true },
    ]);
    nic.receiveFrame(new Uint8Array(60)); // 72 bytes with the header
    expect([nic.needsReset, nic.stats.rxFrames]).toEqual([false, 1]);
  });
});

describe('scattering into writable segments (final mutation run)', () => {
  it('GET_ID shorter than its buffer: nothing is written outside the two descriptors', () => {
    const { dev, mem, q, port } = blk();
    const x = BUF_BASE + 0x2000n;
    port.refuse = (a, w) => w && a >= x && a < x + 12n; // just past the id buffer, below the status
    mem.writeU32(BUF_BASE, BlkType.GetId);
    q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: x - 32n, lenBytes: 32, write: true },
      { addr: x + 12n, lenBytes: 1, write: true },
    ]);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.needsReset).toBe(false);
    expect(q.collect()).toHaveLength(1);
    expect(mem.readU8(x + 12n)).toBe(0); // VIRTIO_BLK_S_OK
  });

  it('data over two buffers, the second also holding the status byte', () => {
    const { dev, mem, q } = blk();
    mem.writeU32(BUF_BASE, BlkType.In);
    mem.writeU32(BUF_BASE + 8n, 2); // sector 2 (low word of the u64)
    q.add([
      { addr: BUF_BASE, lenBytes: 16, write: false },
      { addr: BUF_BASE + 0x1000n, lenBytes: 512, write: true },
      { addr: BUF_BASE + 0x2000n, lenBytes: 513, write: true },
    ]);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCount).toBe(0);
    expect(q.collect()[0]?.lenBytes).toBe(1025);
    expect(mem.readU8(BUF_BASE + 0x2000n + 512n)).toBe(0);
  });
});

describe('loops (final mutation run)', () => {
  it('a loop as long as the queue is reported as a loop, before any descriptor is revisited', () => {
    const { dev, mem, q } = blk({ num: 2 });
    const desc = (i: number, flags: number, next: number): void => {
      const at = q.layout.descAddr + BigInt(16 * i);
      mem.writeU64(at, BUF_BASE + BigInt(i * 0x100));
      mem.writeU32(at + 8n, 16);
      mem.writeU16(at + 12n, flags);
      mem.writeU16(at + 14n, next);
    };
    desc(0, 1, 1); // readable, NEXT → 1
    desc(1, 1 | 2, 0); // writable, NEXT → 0: a readable one would follow a writable one
    q.publish(0);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['chain-loop']);
  });

  it('the same inside an indirect table as long as its chain', () => {
    const mem = ram();
    const dev = new VirtioBlk({
      name: 'b',
      dma: fullWindow(mem, 'b'),
      backend: new MemoryBlockBackend({ sizeBytes: 16 * 512 }),
    });
    const drv = driverFor({ mmio: dev, memory: mem });
    drv.negotiate(Feature.Version1 | Feature.RingIndirectDesc);
    const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
    drv.driverOk();
    const table = BUF_BASE + 0x4000n;
    const put = (at: bigint, addr: bigint, len: number, flags: number, next: number): void => {
      mem.writeU64(at, addr);
      mem.writeU32(at + 8n, len);
      mem.writeU16(at + 12n, flags);
      mem.writeU16(at + 14n, next);
    };
    put(table, BUF_BASE, 16, 1, 1); // readable, NEXT → 1
    put(table + 16n, BUF_BASE + 0x100n, 16, 1 | 2, 0); // writable, NEXT → 0
    put(q.layout.descAddr, table, 32, 4, 0); // INDIRECT: a table of 2
    q.publish(0);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.errorCodes()).toEqual(['chain-loop']);
  });
});
