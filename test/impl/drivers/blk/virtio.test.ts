// The virtio-blk driver (impl/drivers/blk/virtio.ts; reference sddf-protocols.md §3.9 "virtio-blk
// driver", §5.1; virtio 1.2 §5.2), each test with its pre- and post-condition: what init publishes,
// the request header the device reads, the status byte (OK, IOERR, UNSUPP, never written), header
// slots and descriptors as limits, BARRIER and FLUSH ordering (and upstream's immediate OK), the
// driver's bound on requests it takes, answers the virt has no room for, the used ring's slot and
// u16 wrap, the signals it sends, and the component wrapper.
import { describe, expect, it } from 'vitest';
import { BlkRespStatus } from '../../../../spec/queue/blk.ts';
import { VirtioBlkDriver, virtioBlkDriver } from '../../../../impl/drivers/blk/virtio.ts';
import { readStorageInfo } from '../../../../impl/components/blk/config.ts';
import { ringLayout, type DriverQueue } from '../../../../impl/hw/virtio/driver.ts';
import type { BlockBackend } from '../../../../impl/hw/block_backend.ts';
import { context, recordingApi } from '../../components/net/fixture.ts';
import { HDR_IO, IRQ, VIRT, barrier, blkRig, flush, rd, wr, type BlkRig } from './virtio-rig.ts';

const B = 4096;

/** Init, then: the device serves, the IRQ comes, until the device holds nothing. */
function live(t: BlkRig, options?: Parameters<BlkRig['instance']>[0]) {
  const x = t.instance(options);
  x.d.init();
  x.rec.notified.length = 0;
  const run = (): void => {
    for (let i = 0; i < 16; i++) {
      t.device.service();
      if (!t.line.level) return;
      x.d.notified(IRQ);
    }
  };
  return { ...x, run };
}

const vq = (d: VirtioBlkDriver): DriverQueue => (d as unknown as { vq: DriverQueue }).vq;

describe('init publishes the device to the virt', () => {
  it('capacity in blocks from both 32-bit halves, sector size, queue depth num/3, writable, ready; the virt is told', () => {
    const big: BlockBackend = {
      sizeBytes: 2 ** 43 + 8 * 4096, // 2^34 + 64 sectors: the high half matters
      read: (_o, l) => new Uint8Array(l),
      write: () => null,
      flush: () => null,
    };
    const t = blkRig({ backend: big, queueNumMax: 64 });
    const x = t.instance();
    x.d.init();
    expect(readStorageInfo(x.api, t.config.virt.storageInfo)).toEqual({
      readOnly: false,
      ready: true,
      sectorSize: 512,
      blockSize: 1,
      queueDepth: 21,
      capacity: (2n ** 43n + 8n * 4096n) / 4096n,
    });
    expect(x.rec.notified).toEqual([VIRT]);
    expect(x.rec.irqAcks).toEqual([IRQ]);
  });

  it('the virtqueue must lie inside the metadata region', () => {
    const t = blkRig({ queueNumMax: 16 });
    const end = Number(ringLayout({ baseAddr: 0n, num: 16 }).endAddr);
    const mk = (sizeBytes: number) => () => {
      const cfg = { ...t.config, metadata: { ...t.config.metadata, sizeBytes } };
      const r = recordingApi('blk_driver', t.space);
      const d = new VirtioBlkDriver(r.api, cfg, {});
      d.init();
      t.submit(rd(0, 1, 1));
      d.notified(VIRT);
      t.device.service();
      d.notified(IRQ);
    };
    expect(mk(16)).toThrow(/inside the metadata region/);
    expect(mk(end)).not.toThrow();
  });
});

describe('requests to the device and their answers', () => {
  it('READ and WRITE: the header the device reads, the data moved, OK with success_count = count', () => {
    const t = blkRig();
    new Uint8Array(t.headers.buffer).fill(0xee); // garbage before: every header field is written
    const x = live(t);
    t.data.fill(0x5a, 0, 2 * B);
    t.submit(wr(3, 2, 11));
    x.d.notified(VIRT);
    const slot = t.headers.subarray(32 * 63, 32 * 64); // slot 63 of 64 (num): the first taken is the last pushed
    const hv = new DataView(slot.buffer, slot.byteOffset, 32);
    expect([hv.getUint32(0, true), hv.getUint32(4, true), hv.getBigUint64(8, true)]).toEqual([
      1,
      0,
      24n,
    ]);
    expect(slot[16]).toBe(0xff); // status poisoned until the device writes it
    x.run();
    expect(t.responses()).toEqual([{ status: BlkRespStatus.OK, successCount: 2, id: 11 }]);
    expect(
      (t.backend as unknown as { bytes: Uint8Array }).bytes
        .subarray(24 * 512, 40 * 512)
        .every((b) => b === 0x5a),
    ).toBe(true);
    t.submit(rd(3, 1, 12, 4));
    x.d.notified(VIRT);
    x.run();
    expect(t.responses()).toEqual([{ status: BlkRespStatus.OK, successCount: 1, id: 12 }]);
    expect(t.data.subarray(4 * B, 5 * B).every((b) => b === 0x5a)).toBe(true);
    expect(x.d.stats).toMatchObject({ submitted: 2, completed: 2, deviceErrors: 0, irqs: 2 });
    expect(t.device.errorCodes()).toEqual([]);
  });

  it('IOERR (beyond the disk) and UNSUPP (a device that says so) are ERR_UNSPEC with success_count 0', () => {
    const statusAddrs = new Set<bigint>();
    const t = blkRig({
      diskBytes: 64 * B,
      onDeviceWrite: (io, d) => (statusAddrs.has(io) ? Uint8Array.of(2) : d),
    });
    const x = live(t);
    t.submit(rd(64, 1, 1)); // one block past the end
    x.d.notified(VIRT);
    x.run();
    expect(t.responses()).toEqual([{ status: BlkRespStatus.ERR_UNSPEC, successCount: 0, id: 1 }]);
    for (let s = 0; s < 64; s++) statusAddrs.add(HDR_IO + BigInt(32 * s + 16));
    t.submit(rd(0, 1, 2));
    x.d.notified(VIRT);
    x.run();
    expect(t.responses()).toEqual([{ status: BlkRespStatus.ERR_UNSPEC, successCount: 0, id: 2 }]);
    expect(x.d.stats.deviceErrors).toBe(2);
  });

  it('a status byte the device never writes is not read as OK (the poison of a reused slot)', () => {
    let drop = false;
    const t = blkRig({
      onDeviceWrite: (io, d) => {
        if (!drop || d.length !== 1 || io < HDR_IO || io >= HDR_IO + 0x1000n) return d;
        return t.headers.subarray(Number(io - HDR_IO), Number(io - HDR_IO) + 1).slice();
      },
    });
    const x = live(t);
    t.submit(rd(0, 1, 1));
    x.d.notified(VIRT);
    x.run(); // slot 7 now holds status 0
    drop = true;
    t.submit(rd(0, 1, 2)); // slot 7 again
    x.d.notified(VIRT);
    x.run();
    expect(t.responses().map((r) => [r.id, r.status])).toEqual([
      [1, BlkRespStatus.OK],
      [2, BlkRespStatus.ERR_UNSPEC],
    ]);
  });

  it('FLUSH: a virtio FLUSH with sector 0 (whatever block the virt passed), success_count 0', () => {
    const t = blkRig();
    const x = live(t);
    t.submit({ ...flush(5), blockNumber: 9n, count: 3 }); // garbage in the fields FLUSH ignores
    x.d.notified(VIRT);
    x.run();
    expect(t.responses()).toEqual([{ status: BlkRespStatus.OK, successCount: 0, id: 5 }]);
    expect(t.device.stats.flushes).toBe(1);
    expect(t.device.errorCodes()).toEqual([]); // no blk-flush-sector
    expect(x.d.stats.flushes).toBe(1);
  });
});

describe('limits: header slots, descriptors, and the requests the driver takes', () => {
  it('two header slots: two requests in the device at once, the third waits for a completion', () => {
    const t = blkRig({ headersBytes: 64 });
    const x = live(t);
    t.submit(rd(0, 1, 1), rd(1, 1, 2), rd(2, 1, 3));
    x.d.notified(VIRT);
    expect(x.d.stats.submitted).toBe(2);
    expect(x.d.outstanding().map((r) => r.id)).toEqual([1, 2, 3]);
    x.run();
    expect(
      t
        .responses()
        .map((r) => r.id)
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(x.d.stats.submitted).toBe(3);
  });

  it('eight descriptors: two chains of three at once', () => {
    const t = blkRig({ queueNumMax: 8 });
    const x = live(t);
    t.submit(rd(0, 1, 1), rd(1, 1, 2), rd(2, 1, 3));
    x.d.notified(VIRT);
    expect(x.d.stats.submitted).toBe(2);
    x.run();
    expect(t.responses().length).toBe(3);
  });

  it('at most capacity requests taken: answers in the device, waiting, or unsent all count', () => {
    const t = blkRig({ capacity: 4 });
    const x = live(t);
    t.submit(rd(0, 1, 1), rd(1, 1, 2), rd(2, 1, 3), rd(3, 1, 4));
    x.d.notified(VIRT); // four in the device, not yet served
    t.submit(rd(4, 1, 5), rd(5, 1, 6), rd(6, 1, 7), rd(7, 1, 8));
    x.d.notified(VIRT);
    expect(x.d.outstanding().length).toBe(4);
    expect(t.virt.peer.req.length()).toBe(4);
    x.run(); // four answers fill the response queue; the virt reads none
    x.d.notified(VIRT); // takes the next four...
    x.run(); // ...whose answers have no room: unsent
    expect(t.virt.peer.resp.length()).toBe(4);
    t.submit(rd(0, 1, 9), rd(0, 1, 10), rd(0, 1, 11), rd(0, 1, 12));
    x.rec.notified.length = 0;
    x.d.notified(VIRT);
    expect(x.d.outstanding()).toEqual([]);
    expect(t.virt.peer.req.length()).toBe(4); // none taken: four answers are owed
    expect(x.rec.notified).toEqual([]); // and nothing new was enqueued
    // The virt reads the four and says so: the unsent four follow, in order, then more are taken.
    expect(t.responses().map((r) => r.id)).toEqual([1, 2, 3, 4]);
    x.d.notified(VIRT);
    x.run();
    expect(
      t
        .responses()
        .map((r) => r.id)
        .slice(0, 4),
    ).toEqual([5, 6, 7, 8]);
  });
});

describe('BARRIER and FLUSH ordering', () => {
  it('BARRIER is answered only once every earlier request is; later requests wait behind it', () => {
    const t = blkRig();
    const x = live(t);
    t.submit(wr(0, 1, 1), barrier(2), wr(1, 1, 3));
    x.d.notified(VIRT);
    expect(x.d.stats.submitted).toBe(1);
    expect(t.responses()).toEqual([]);
    x.rec.notified.length = 0;
    x.run();
    expect(t.responses().map((r) => [r.id, r.status, r.successCount])).toEqual([
      [1, 0, 1],
      [2, 0, 0],
      [3, 0, 1],
    ]);
    expect(x.rec.notified).toContain(VIRT);
    expect(x.d.stats.barriers).toBe(1);
  });

  it('a BARRIER with nothing before it is answered at once, and the virt is told', () => {
    const t = blkRig();
    const x = live(t);
    t.submit(barrier(7));
    x.d.notified(VIRT);
    expect(t.responses()).toEqual([{ status: BlkRespStatus.OK, successCount: 0, id: 7 }]);
    expect(x.rec.notified).toEqual([VIRT]);
  });

  it('FLUSH goes to the device after the earlier requests complete, and nothing passes it', () => {
    const t = blkRig();
    const x = live(t);
    t.submit(wr(0, 1, 1), flush(2), wr(1, 1, 3));
    x.d.notified(VIRT);
    expect(x.d.stats.submitted).toBe(1);
    t.device.service();
    x.d.notified(IRQ); // the write is answered; the flush goes in, alone
    expect(x.d.stats.submitted).toBe(2);
    expect(x.d.outstanding().map((r) => r.id)).toEqual([2, 3]);
    x.d.notified(VIRT);
    expect(x.d.stats.submitted).toBe(2); // the fence holds
    t.device.service();
    x.d.notified(IRQ);
    expect(x.d.stats.submitted).toBe(3);
    x.run();
    expect(t.responses().map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it("upstream's BARRIER and FLUSH (the seeded option): answered OK at once, the device untouched", () => {
    const t = blkRig();
    const x = live(t, { upstreamBarrier: true });
    t.submit(wr(0, 1, 1), flush(2), barrier(3));
    x.d.notified(VIRT);
    expect(t.responses().map((r) => r.id)).toEqual([2, 3]); // before the write is done
    expect(x.rec.notified).toEqual([VIRT]);
    x.run();
    expect(t.device.stats.flushes).toBe(0);
  });
});

describe('the used ring', () => {
  it('slots wrap (num 8) and the u16 indices wrap past 0xffff: every answer arrives once', () => {
    const t = blkRig({ queueNumMax: 8, capacity: 4 });
    const x = live(t);
    vq(x.d).startIndicesAt(0xfff0);
    const s = t.device.queueState(0);
    s.lastAvailIdx = 0xfff0;
    s.usedIdx = 0xfff0;
    const got: number[] = [];
    for (let id = 0; id < 40; id++) {
      t.submit(rd(id % 8, 1, id));
      x.d.notified(VIRT);
      if (id % 3 === 2) x.run();
      got.push(...t.responses().map((r) => r.id));
    }
    x.run();
    got.push(...t.responses().map((r) => r.id));
    expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(t.device.errorCodes()).toEqual([]);
  });
});

describe('signals', () => {
  it('an IRQ or a virt notification with nothing to do: no kick, no notification', () => {
    const t = blkRig();
    const x = live(t);
    const before = t.device.queueState(0).lastAvailIdx;
    x.d.notified(VIRT);
    x.d.notified(IRQ);
    t.device.service();
    expect(x.rec.notified).toEqual([]);
    expect(t.device.queueState(0).lastAvailIdx).toBe(before);
    expect(x.rec.irqAcks).toEqual([IRQ, IRQ]);
    expect(x.d.stats.irqs).toBe(1);
  });
});

describe('the component wrapper', () => {
  it('builds the driver from its params, with or without a probe', () => {
    const t = blkRig();
    let probed: unknown = null;
    const r = t.instance();
    const c = virtioBlkDriver(
      context(r.api, { config: t.config, probe: (d: unknown) => (probed = d) }),
    );
    c.init();
    expect(probed).not.toBeNull();
    const t2 = blkRig();
    const r2 = t2.instance();
    const c2 = virtioBlkDriver(context(r2.api, { config: t2.config }));
    expect(() => c2.init()).not.toThrow();
    t2.submit(rd(0, 1, 1));
    c2.notified(VIRT);
    expect(t2.virt.peer.req.length()).toBe(0);
  });
});
