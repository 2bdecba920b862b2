// Virtio devices in agent timing (issue #14 part 3), one action at a time: what a scheduler may
// make them do, and what each action does to the rings and InterruptStatus.

import { describe, expect, it } from 'vitest';
import type { AgentAction } from '../../../../impl/hw/agent.ts';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { BlkType, VirtioBlk } from '../../../../impl/hw/virtio/blk.ts';
import { Feature, Interrupt, Reg } from '../../../../impl/hw/virtio/constants.ts';
import type { DriverQueue } from '../../../../impl/hw/virtio/driver.ts';
import { MAX_RX_BACKLOG } from '../../../../impl/hw/virtio/mmio.ts';
import { NET_RX_QUEUE, NET_TX_QUEUE, VirtioNet } from '../../../../impl/hw/virtio/net.ts';
import type { TestMemory } from '../../../../impl/hw/testing.ts';
import { BUF_BASE, driverFor, fullWindow, ram, RING_BASE } from './harness.ts';

function agentBlk(features = Feature.Version1 | Feature.BlkFlush): {
  dev: VirtioBlk;
  mem: TestMemory;
  q: DriverQueue;
} {
  const mem = ram();
  const dev = new VirtioBlk({
    name: 'blk',
    dma: fullWindow(mem, 'blk'),
    backend: new MemoryBlockBackend({ sizeBytes: 16 * 512 }),
    timing: 'agent',
  });
  const drv = driverFor({ mmio: dev, memory: mem });
  expect(drv.negotiate(features)).toBe(true);
  const q = drv.setupQueue({ index: 0, num: 8, baseAddr: RING_BASE });
  drv.driverOk();
  return { dev, mem, q };
}

function flush(mem: TestMemory, q: DriverQueue, i: number): number {
  const base = BUF_BASE + BigInt(i * 0x100);
  mem.writeU32(base, BlkType.Flush);
  return q.add([
    { addr: base, lenBytes: 16, write: false },
    { addr: base + 16n, lenBytes: 1, write: true },
  ]) as number;
}

const kinds = (actions: AgentAction[]): string[] => actions.map((a) => a.kind);

describe('a device in agent timing acts only when told', () => {
  it('a notify marks work; nothing is consumed until a poll; the device is busy meanwhile', () => {
    const { dev, mem, q } = agentBlk();
    expect(dev.agentBusy()).toBe(false);
    flush(mem, q, 0);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.queueState(0).lastAvailIdx).toBe(0);
    expect(dev.agentBusy()).toBe(true);
    expect(kinds(dev.agentActions())).toEqual(['poll', 'suppress-notify', 'spurious-interrupt']);
    dev.agentPerform({ kind: 'poll', queue: 0 });
    expect(dev.heldCount(0)).toBe(1);
    expect(q.collect()).toEqual([]);
  });

  it('the device may read the avail ring without any notify (§2.7.13.3: exposed means readable)', () => {
    const { dev, mem, q } = agentBlk();
    flush(mem, q, 0);
    expect(dev.agentBusy()).toBe(false); // not owed: it was never notified
    dev.agentPerform({ kind: 'poll', queue: 0 });
    expect(dev.heldCount(0)).toBe(1);
    expect(dev.agentBusy()).toBe(true);
  });

  it('complete publishes used entries and decides the interrupt; interrupt raises it later', () => {
    const { dev, mem, q } = agentBlk();
    for (let i = 0; i < 3; i++) flush(mem, q, i);
    dev.agentPerform({ kind: 'poll', queue: 0 });
    expect(kinds(dev.agentActions())).toEqual([
      'poll',
      'suppress-notify',
      'complete',
      'complete',
      'spurious-interrupt',
    ]);
    dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
    expect(q.collect()).toHaveLength(1);
    expect(dev.irqAsserted()).toBe(false); // decided, not yet raised
    expect(kinds(dev.agentActions())).toContain('interrupt');
    dev.agentPerform({ kind: 'complete', queue: 0, max: 2 });
    dev.agentPerform({ kind: 'interrupt' });
    expect(dev.interruptStatus).toBe(Interrupt.UsedBuffer); // coalesced into one
    expect(q.collect()).toHaveLength(2);
    expect(dev.agentBusy()).toBe(false);
  });

  it('a spurious interrupt sets the used-buffer bit with nothing new (§2.7.7.1: the driver handles it)', () => {
    const { dev } = agentBlk();
    dev.agentPerform({ kind: 'spurious-interrupt' });
    expect(dev.interruptStatus).toBe(Interrupt.UsedBuffer);
  });

  it('suppress-notify sets used.flags NO_NOTIFY; resume clears it and looks at the ring again', () => {
    const { dev, mem, q } = agentBlk();
    dev.agentPerform({ kind: 'suppress-notify', queue: 0 });
    expect(q.usedFlags()).toBe(1);
    expect(q.needsNotify({ eventIdx: false, oldIdx: 0 })).toBe(false);
    expect(dev.agentBusy()).toBe(true); // it promised to poll
    flush(mem, q, 0);
    expect(kinds(dev.agentActions())).toContain('resume-notify');
    dev.agentPerform({ kind: 'resume-notify', queue: 0 });
    expect(q.usedFlags()).toBe(0);
    expect(dev.heldCount(0)).toBe(1); // the re-check took what was published meanwhile
  });

  it('with EVENT_IDX, suppression moves avail_event half the index space away; resume sets it to avail.idx', () => {
    const { dev, mem, q } = agentBlk(Feature.Version1 | Feature.BlkFlush | Feature.RingEventIdx);
    dev.agentPerform({ kind: 'suppress-notify', queue: 0 });
    expect(q.availEvent()).toBe(0x8000);
    flush(mem, q, 0);
    expect(q.needsNotify({ eventIdx: true, oldIdx: 0 })).toBe(false);
    dev.agentPerform({ kind: 'resume-notify', queue: 0 });
    expect(q.availEvent()).toBe(1);
  });

  it('a stalled or not-live device offers nothing and owes nothing', () => {
    const { dev, mem, q } = agentBlk();
    flush(mem, q, 0);
    dev.write32(Reg.QueueNotify, 0);
    dev.stall();
    expect(dev.agentActions()).toEqual([]);
    expect(dev.agentBusy()).toBe(false);
    dev.agentPerform({ kind: 'poll', queue: 0 });
    expect(dev.heldCount(0)).toBe(0);
    dev.release();
    expect(dev.heldCount(0)).toBe(0); // release does not serve an agent: the scheduler does
    dev.write32(Reg.Status, 0);
    expect(dev.agentActions()).toEqual([]);
  });

  it('a reset drops held requests and a decided interrupt', () => {
    const { dev, mem, q } = agentBlk();
    flush(mem, q, 0);
    dev.agentPerform({ kind: 'poll', queue: 0 });
    dev.write32(Reg.Status, 0);
    expect(dev.heldCount(0)).toBe(0);
    expect(dev.agentBusy()).toBe(false);
  });

  it('service() finishes everything at once (the synchronous path)', () => {
    const { dev, mem, q } = agentBlk();
    flush(mem, q, 0);
    dev.write32(Reg.QueueNotify, 0);
    expect(dev.service()).toBe(1);
    expect(q.collect()).toHaveLength(1);
    expect(dev.irqAsserted()).toBe(true);
  });
});

describe('strict checks that need time between take and use', () => {
  it('a descriptor changed while its chain is held is a driver error (§3.3.1)', () => {
    const { dev, mem, q } = agentBlk();
    flush(mem, q, 0);
    dev.agentPerform({ kind: 'poll', queue: 0 });
    mem.writeU32(q.layout.descAddr + 8n, 17); // the header descriptor's len
    dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
    expect(dev.errorCodes()).toEqual(['exposed-descriptor-changed']);
  });

  it('an avail entry changed before any later used entry: published idx before the entry (§2.7.13.3.1)', () => {
    const { dev, mem, q } = agentBlk();
    flush(mem, q, 0);
    dev.agentPerform({ kind: 'poll', queue: 0 });
    mem.writeU16(q.layout.availAddr + 4n, 6);
    dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
    expect(dev.errorCodes()).toEqual(['avail-entry-changed']);
  });

  it('once the driver has seen the entry used, it may reuse the slot: no error', () => {
    const { dev, mem, q } = agentBlk();
    for (let i = 0; i < 2; i++) flush(mem, q, i);
    dev.agentPerform({ kind: 'poll', queue: 0 });
    dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
    mem.writeU16(q.layout.availAddr + 4n, 6); // slot 0: entry 0 was used already
    dev.agentPerform({ kind: 'complete', queue: 0, max: 1 });
    expect(dev.errorCount).toBe(0);
  });

  it('synchronous timing does not re-read (nothing can change between take and use)', () => {
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
    flush(mem, q, 0);
    drv.kick(0);
    expect(dev.service()).toBe(1);
    expect(q.collect()).toHaveLength(1);
  });
});

describe('virtio-net frames in agent timing', () => {
  function agentNet(): { nic: VirtioNet; rx: DriverQueue; tx: DriverQueue; mem: TestMemory } {
    const mem = ram();
    const nic = new VirtioNet({
      name: 'nic',
      dma: fullWindow(mem, 'nic'),
      mac: Uint8Array.of(2, 0, 0, 0, 0, 1),
      timing: 'agent',
    });
    const drv = driverFor({ mmio: nic, memory: mem });
    drv.negotiate(Feature.Version1);
    const rx = drv.setupQueue({ index: NET_RX_QUEUE, num: 8, baseAddr: RING_BASE });
    const tx = drv.setupQueue({ index: NET_TX_QUEUE, num: 8, baseAddr: RING_BASE + 0x8000n });
    drv.driverOk();
    return { nic, rx, tx, mem };
  }

  it('a frame waits on the wire until the scheduler delivers it; its used entry later still', () => {
    const { nic, rx } = agentNet();
    rx.add([{ addr: BUF_BASE, lenBytes: 2048, write: true }]);
    nic.receiveFrame(new Uint8Array(60).fill(7));
    expect(nic.backlogCount).toBe(1);
    expect(nic.agentBusy()).toBe(true);
    expect(kinds(nic.agentActions())).toEqual([
      'poll',
      'suppress-notify',
      'spurious-interrupt',
      'rx-frame',
    ]);
    nic.agentPerform({ kind: 'rx-frame' });
    expect(nic.stats.rxFrames).toBe(1);
    expect(rx.collect()).toEqual([]);
    nic.agentPerform({ kind: 'complete', queue: NET_RX_QUEUE, max: 1 });
    expect(rx.collect()).toEqual([{ head: 0, lenBytes: 72 }]);
  });

  it('the wire backlog is bounded: beyond it frames are dropped as no-buffer', () => {
    const { nic } = agentNet();
    for (let i = 0; i < MAX_RX_BACKLOG + 3; i++) nic.receiveFrame(new Uint8Array(60));
    expect(nic.backlogCount).toBe(MAX_RX_BACKLOG);
    expect(nic.stats.rxDroppedNoBuffer).toBe(3);
    nic.write32(Reg.Status, 0);
    expect(nic.backlogCount).toBe(0);
  });

  it('transmit: poll takes the chain, complete sends the frame and returns the buffer', () => {
    const { nic, tx, mem } = agentNet();
    const sent: Uint8Array[] = [];
    nic.connect({ receiveFrame: (f) => void sent.push(f) });
    mem.write(BUF_BASE + 12n, new Uint8Array(60).fill(9));
    tx.add([{ addr: BUF_BASE, lenBytes: 72, write: false }]);
    nic.agentPerform({ kind: 'poll', queue: NET_TX_QUEUE });
    expect(sent).toHaveLength(0);
    nic.agentPerform({ kind: 'complete', queue: NET_TX_QUEUE, max: 1 });
    expect(sent).toHaveLength(1);
    expect(tx.collect()).toEqual([{ head: 0, lenBytes: 0 }]);
  });
});
