// Component rules aligned with upstream (issue 12 part 3) and the virtio driver's steps (issue 9
// part 1), on concrete states: the client's notify skipping as sddf_lwip_maybe_notify, virt_rx's
// broadcast refcount assert, the PD priorities of the echo server's meta.py, the virtio driver
// posting chains and kicking the device, and the models from boot.
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { buildNetPipeline } from '../../../proofs/models/net-pipeline.ts';
import { NET_PRIORITIES } from '../../../proofs/models/net-pipeline/pds.ts';
import { findModel } from '../../../proofs/models/registry.ts';
import type { SharedMem } from '../../../spec/common/memory.ts';
import { notifyIfMode } from '../../../spec/components/net/config.ts';
import { VR_REFS } from '../../../spec/components/net/virt-rx.ts';
import type { PdContext } from '../../../spec/components/program.ts';
import { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../../spec/devices/virtio-queue.ts';
import { NET_FLAVOUR_HEAD, type NetQueueRef } from '../../../spec/queue/net.ts';
import { field, runWhile, take, violations } from '../../proofs/models/helpers.ts';

/** A PdContext over a plain word memory that records what it was asked to do. */
function fakeContext(deferredCh: number) {
  const words = new Map<number, number>();
  const mem: SharedMem = {
    load: (a) => words.get(a) ?? 0,
    store: (a, v) => void words.set(a, v),
    fence: () => undefined,
  };
  const calls: string[] = [];
  const ctx = {
    mem,
    notify: (ch: number) => void calls.push(`notify ${ch}`),
    deferredNotify: (ch: number) => void calls.push(`deferred ${ch}`),
    deferredNotifyCurr: () => deferredCh,
  } as unknown as PdContext;
  return { ctx, calls, words };
}

const Q: NetQueueRef = { name: 'q', tail: 0, head: 1, consumerSignalled: 2, slots: 3, capacity: 1 };

describe('sddf_lwip_maybe_notify (lib_sddf_lwip.c at 650ace5d, lines 517-540)', () => {
  const run = (deferredCh: number, flag: number) => {
    const f = fakeContext(deferredCh);
    f.words.set(Q.consumerSignalled, flag);
    const made = notifyIfMode(f.ctx, {
      f: NET_FLAVOUR_HEAD,
      q: Q,
      work: true,
      ch: 4,
      mode: 'deferred-if-free',
    });
    return { made, calls: f.calls, flag: f.words.get(Q.consumerSignalled) };
  };

  it('defers when the slot is empty, notifies at once when it holds another channel', () => {
    expect(run(-1, 0)).toEqual({ made: true, calls: ['deferred 4'], flag: 1 });
    expect(run(7, 0)).toEqual({ made: true, calls: ['notify 4'], flag: 1 });
  });

  it('skips the notify when the slot already holds the same channel (the deferred one reaches it)', () => {
    expect(run(4, 0)).toEqual({ made: true, calls: [], flag: 1 });
  });

  it('does nothing when the peer did not ask (require_signal false): the caller keeps its flag', () => {
    expect(run(-1, 1)).toEqual({ made: false, calls: [], flag: 1 });
  });
});

describe('virt_rx broadcast (virt_rx.c at 650ace5d, line 86)', () => {
  it('asserts the refcount is zero before setting it to the number of clients', () => {
    const built = buildNetPipeline({
      memoryModel: 'sc',
      bounds: { clients: 2, rxBuffers: 2, hwRing: 1, frames: 1, pattern: 0xe },
    });
    const ts = built.ts;
    let s = runWhile(ts, ts.initialStates()[0]!, ['driver.']);
    s = take(ts, s, 'nic.rx_frame');
    s = runWhile(ts, s, ['driver.']);
    // A stale refcount on the buffer the frame is in (buffer 0): the assert fails.
    const refs = built.pdWords('virt_rx').locals + VR_REFS;
    const bad = new Uint32Array(s);
    bad[refs] = 1;
    const after = runWhile(ts, bad, ['virt_rx.']);
    expect(violations(ts, after).join()).toMatch(
      /no-assert-failure.*broadcast buffer 0 has refs 1/,
    );
    // In a release build the assert is compiled out: refs is set to 2 and the frame delivered.
    const rel = buildNetPipeline({
      memoryModel: 'sc',
      bounds: { clients: 2, rxBuffers: 2, hwRing: 1, frames: 1, pattern: 0xe, release: 1 },
    });
    let r = runWhile(rel.ts, rel.ts.initialStates()[0]!, ['driver.']);
    r = take(rel.ts, r, 'nic.rx_frame');
    r = runWhile(rel.ts, r, ['driver.']);
    const relBad = new Uint32Array(r);
    relBad[rel.pdWords('virt_rx').locals + VR_REFS] = 1;
    const relAfter = runWhile(rel.ts, relBad, ['virt_rx.']);
    expect(violations(rel.ts, relAfter).join()).not.toMatch(/no-assert-failure/);
    expect((field(rel.ts, relAfter, 'virt_rx.locals') as number[])[VR_REFS]).toBe(2);
  });
});

describe('PD priorities and placement as upstream (examples/echo_server/meta.py, core_config)', () => {
  it('driver 101 > virt_tx 100 > virt_rx 99 > copier 98 > client 97', () => {
    expect(NET_PRIORITIES).toEqual({
      driver: 101,
      virt_tx: 100,
      virt_rx: 99,
      copier: 98,
      client: 97,
    });
    // On one core, virt_rx (99) finishes before its copier (98) may run.
    const ts = buildNetPipeline({
      memoryModel: 'sc',
      bounds: { clients: 1, frames: 1, rxBuffers: 1 },
    }).ts;
    let s = runWhile(ts, ts.initialStates()[0]!, ['driver.']);
    s = take(ts, s, 'nic.rx_frame');
    s = runWhile(ts, s, ['driver.', 'virt_rx.']);
    expect(field(ts, s, 'virt_rx.pc')).toBe(0);
    expect(field(ts, s, 'copier0.notification')).toBe(1);
  });
});

describe('the virtio-net driver (ethernet.c at 650ace5d)', () => {
  const bounds = { clients: 1, frames: 1, rxBuffers: 2, virtqNum: 4 };
  const entry = findModel('net-virtio')!;

  it('rx_provide: one header → buffer chain per buffer (both WRITE), then QueueNotify', () => {
    const ts = entry.build({ memoryModel: 'sc', bounds: { ...entry.defaultBounds, ...bounds } });
    const s0 = ts.initialStates()[0]!;
    // The device found the queue empty before any buffer: it waits for a notify.
    const stalled = take(ts, s0, 'nic.rx_no_buffer');
    expect(field(ts, stalled, 'rx_virtq.wait_notify')).toBe(1);
    const s = runWhile(ts, stalled, ['driver.']);
    expect(field(ts, s, 'rx_virtq.avail.idx')).toBe(2);
    expect(field(ts, s, 'rx_virtq.avail.ring')).toEqual([0, 2, 0, 0]);
    expect(field(ts, s, 'rx_virtq.desc.next')).toEqual([1, 0, 3, 0]);
    expect(field(ts, s, 'rx_virtq.desc.flags')).toEqual([
      VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
      VIRTQ_DESC_F_WRITE,
      VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
      VIRTQ_DESC_F_WRITE,
    ]);
    expect(field(ts, s, 'rx_virtq.wait_notify')).toBe(0); // the QueueNotify woke the device
    // The frame lands in the first chain's buffer and the used ring returns the chain.
    const r = runWhile(ts, take(ts, s, 'nic.rx_frame'), ['driver.']);
    expect(field(ts, r, 'drv_rx.active.tail')).toBe(1);
    expect(violations(ts, r)).toEqual([]);
  });

  it('holds at the defaults and from boot; the 12-byte header with VERSION_1 negotiated', () => {
    for (const boot of [0, 1]) {
      const ts = entry.build({
        memoryModel: 'sc',
        bounds: { ...entry.defaultBounds, ...bounds, boot },
      });
      const r = checkModel(ts, { search: 'bfs', maxStates: 200_000 });
      expect(r.verdict, `boot=${boot}`).toBe('holds');
    }
  });
});

describe('models from boot (issue 9 part 3)', () => {
  it('every PD runs init(); the IRQ is held until the driver enters its handler loop', () => {
    const ts = buildNetPipeline({
      memoryModel: 'sc',
      bounds: { clients: 1, frames: 1, boot: 1 },
    }).ts;
    const s0 = ts.initialStates()[0]!;
    expect(field(ts, s0, 'driver.irq_held')).toBe(1);
    expect(field(ts, s0, 'drv_rx.free.tail')).toBe(0); // no buffer anywhere before virt_rx's init
    // The driver (101) runs first: eth_setup, an empty rx_provide and tx_provide, then its loop.
    const s = runWhile(ts, s0, ['driver.']);
    expect(field(ts, s, 'driver.phase')).toBe(1);
    expect(field(ts, s, 'driver.irq_held')).toBe(0);
    expect(field(ts, s, 'nic.eimr')).not.toBe(0);
    const r = checkModel(ts, { search: 'bfs', maxStates: 200_000 });
    expect(r.verdict).toBe('holds');
  });
});
