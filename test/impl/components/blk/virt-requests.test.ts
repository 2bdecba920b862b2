// The block virtualiser's request handlers (B2 handle_client, B3 handle_driver; reference
// sddf-protocols.md §1.3, §3.9; impl/components/blk/virt.ts), each test with its pre- and
// post-condition: requests at the partition's end and one block past it, block_number + count
// and offset + 4096·count wrapping u64 (catalogue U6), counts of 0, a hostile client (bad code,
// an offset outside its data window, a wild response head), a client that stops taking responses
// (U7), the driver answering ids it never got or twice, the id allocator's exact size, a restart
// that carries on, and what the virt signals (and does not) after each event.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BLK_TRANSFER_SIZE_BYTES,
  BlkReqCode,
  BlkRespStatus,
  type BlkReq,
} from '../../../../spec/queue/blk.ts';
import { blkVirtTranslate } from '../../../../spec/components/blk/virt.ts';
import {
  BlkVirt,
  blkVirtComponent,
  type BlkVirtEvent,
} from '../../../../impl/components/blk/virt.ts';
import { context, recordingApi } from '../net/fixture.ts';
import { CLIENT_IO, DRIVER, PARTS, clientCh, read, virtRig, write } from './fixture.ts';

const B = BigInt(BLK_TRANSFER_SIZE_BYTES);
const U64 = 1n << 64n;
/** Partition 0: blocks [256, 512) of the disk; partition 1: [512, 640). */
const P0_START = BigInt(PARTS[0]!.startSector / 8);
const P0_BLOCKS = BigInt(PARTS[0]!.sectors / 8);

describe('B2: a request is forwarded exactly when it lies inside the partition and data window', () => {
  it('the last block of the partition is forwarded, shifted by the partition start', () => {
    const t = virtRig();
    const { v, rec } = t.boot();
    t.client(0).req.enqueue(read(P0_BLOCKS - 1n, 1, 7, 4096n));
    v.notified(clientCh(0));
    const [r] = t.take();
    expect(r).toMatchObject({
      code: BlkReqCode.READ,
      blockNumber: P0_START + P0_BLOCKS - 1n,
      count: 1,
      ioOrOffset: CLIENT_IO + 4096n,
    });
    expect(rec.notified).toEqual([DRIVER]); // the driver, and not the client (nothing answered)
    expect(v.inFlightCounts()).toEqual([1, 0]);
    expect(v.stats.forwarded).toBe(1);
    t.answer(r!);
    v.notified(DRIVER);
    expect(t.responses(0)).toEqual([{ status: BlkRespStatus.OK, successCount: 1, id: 7 }]);
    expect(rec.notified).toEqual([DRIVER, clientCh(0)]);
    expect(v.inFlightCounts()).toEqual([0, 0]);
    expect(v.stats.answered).toBe(1);
  });

  const rejected: [string, BlkReq][] = [
    ['one block past the end', read(P0_BLOCKS, 1, 1)],
    ['a span that ends one block past the end', write(P0_BLOCKS - 1n, 2, 2)],
    ['block_number + count wrapping u64 (U6)', read(U64 - 1n, 2, 3)],
    ['block_number + the partition start wrapping u64 (U6)', read(U64 - P0_START, 1, 4)],
    ['a count of 0', read(0n, 0, 5)],
    ['an offset one block past the data window', read(0n, 1, 6, 8n * B)],
    ['offset + 4096·count one byte past the window', read(0n, 2, 7, 6n * B + 1n)],
    ['offset + 4096·count wrapping u64 (U6)', read(0n, 1, 8, U64 - B)],
    ['an offset not 4 KiB aligned', read(0n, 1, 9, 512n)],
  ];
  it.each(rejected)('%s: ERR_INVALID_PARAM, nothing forwarded, no state change', (_, req) => {
    const t = virtRig();
    const { v, rec } = t.boot();
    const before = { inFlight: v.inFlightCounts(), waiting: v.waitingCounts() };
    const disk = Buffer.from(t.disk.read(0n, 8192));
    t.client(0).req.enqueue(req);
    v.notified(clientCh(0));
    expect(t.take()).toEqual([]);
    expect(t.responses(0)).toEqual([
      { status: BlkRespStatus.ERR_INVALID_PARAM, successCount: 0, id: req.id },
    ]);
    expect(rec.notified).toEqual([clientCh(0)]); // the client; the driver has nothing new
    expect({ inFlight: v.inFlightCounts(), waiting: v.waitingCounts() }).toEqual(before);
    expect(v.stats).toMatchObject({ rejected: 1, forwarded: 0 });
    expect(disk.equals(t.disk.read(0n, 8192))).toBe(true);
  });

  it('the seeded U6 (u64 arithmetic) forwards wrapping spans outside the partition and window', () => {
    const t = virtRig();
    const { v } = t.boot({ u6: true });
    t.client(0).req.enqueue(read(U64 - 1n - P0_START, 2, 1)); // driver block 2^64 - 1
    t.client(0).req.enqueue(read(0n, 1, 2, U64 - B)); // one block below the data region
    v.notified(clientCh(0));
    expect(t.take().map((r) => [r.blockNumber, r.ioOrOffset])).toEqual([
      [U64 - 1n, CLIENT_IO],
      [P0_START, CLIENT_IO - B],
    ]);
  });

  it('a request with a code that is no blk_req_code_t (written raw): ERR_INVALID_PARAM', () => {
    const t = virtRig();
    const { v } = t.boot();
    // The client writes the record by hand (its enqueue would refuse the code): code 9 at slot 0.
    const dv = new DataView(t.clients[0]!.req.buffer!);
    const tail = dv.getUint32(4, true);
    dv.setUint32(16 + 32 * (tail % 4), 9, true);
    dv.setUint32(16 + 32 * (tail % 4) + 28, 42, true);
    dv.setUint32(4, tail + 1, true);
    v.notified(clientCh(0));
    expect(t.take()).toEqual([]);
    expect(t.responses(0)).toEqual([
      { status: BlkRespStatus.ERR_INVALID_PARAM, successCount: 0, id: 42 },
    ]);
  });

  it('FLUSH and BARRIER are passed through with io and block 0 and count 0', () => {
    const t = virtRig();
    const { v } = t.boot();
    t.client(1).req.enqueue({
      code: BlkReqCode.FLUSH,
      ioOrOffset: 5n,
      blockNumber: 9n,
      count: 3,
      id: 1,
    });
    t.client(1).req.enqueue({
      code: BlkReqCode.BARRIER,
      ioOrOffset: 5n,
      blockNumber: 9n,
      count: 3,
      id: 2,
    });
    v.notified(clientCh(1));
    expect(
      t.take().map(({ code, ioOrOffset, blockNumber, count }) => ({
        code,
        ioOrOffset,
        blockNumber,
        count,
      })),
    ).toEqual([
      { code: BlkReqCode.FLUSH, ioOrOffset: 0n, blockNumber: 0n, count: 0 },
      { code: BlkReqCode.BARRIER, ioOrOffset: 0n, blockNumber: 0n, count: 0 },
    ]);
    expect(v.inFlightCounts()).toEqual([0, 2]);
  });

  it("property: what reaches the driver is the spec's translation; each request is answered once", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            code: fc.constantFrom(BlkReqCode.READ, BlkReqCode.WRITE, BlkReqCode.FLUSH),
            block: fc.oneof(fc.bigInt(0n, 300n), fc.bigInt(U64 - 300n, U64 - 1n)),
            count: fc.integer({ min: 0, max: 9 }),
            offset: fc.oneof(
              fc.bigInt(0n, 8n).map((k) => k * B),
              fc.bigInt(0n, U64 - 1n),
            ),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (xs) => {
          const t = virtRig();
          const { v } = t.boot();
          const view = {
            partition: v.partitions()[0]!,
            dataSizeBytes: 8n * B,
            dataIoAddr: CLIENT_IO,
            dataVaddr: BigInt(t.clients[0]!.data.vaddr),
          };
          const reqs: BlkReq[] = xs.map((x, id) => ({
            code: x.code,
            ioOrOffset: x.offset,
            blockNumber: x.block,
            count: x.count,
            id,
          }));
          const got = new Map<number, { status: number; successCount: number }>();
          const forwarded: BlkReq[] = [];
          let next = 0;
          for (let round = 0; got.size < reqs.length; round++) {
            expect(round).toBeLessThan(2 * reqs.length + 2); // progress every round
            while (next < reqs.length && t.client(0).req.enqueue(reqs[next]!)) next++;
            v.notified(clientCh(0));
            for (const r of t.take()) {
              forwarded.push(r);
              t.answer(r);
            }
            v.notified(DRIVER);
            for (const r of t.responses(0)) {
              expect(got.has(r.id)).toBe(false); // once
              got.set(r.id, { status: r.status, successCount: r.successCount });
            }
          }
          const expected = reqs.map((r) => blkVirtTranslate(r, view));
          expect(
            forwarded.map(({ code, ioOrOffset, blockNumber, count }) => ({
              code,
              ioOrOffset,
              blockNumber,
              count,
            })),
          ).toEqual(
            expected.flatMap((e) =>
              e.kind === 'forward'
                ? [
                    {
                      code: e.code,
                      ioOrOffset: e.ioAddr,
                      blockNumber: e.driverBlock,
                      count: e.count,
                    },
                  ]
                : [],
            ),
          );
          expected.forEach((e, id) =>
            expect(got.get(id)).toEqual(
              e.kind === 'forward'
                ? { status: BlkRespStatus.OK, successCount: e.count }
                : { status: e.status, successCount: 0 },
            ),
          );
          expect(v.inFlightCounts()).toEqual([0, 0]);
          expect(v.waitingCounts()).toEqual([0, 0]);
        },
      ),
      { numRuns: 30, seed: 13 },
    );
  });
});

describe('U7: a client that stops taking responses', () => {
  it('the virt takes a request only while its answer has a slot; the rest stay queued', () => {
    const t = virtRig(); // client capacity 4
    const { v } = t.boot();
    for (let id = 0; id < 4; id++) t.client(0).req.enqueue(read(BigInt(id), 1, id));
    v.notified(clientCh(0));
    for (const r of t.take()) t.answer(r);
    v.notified(DRIVER); // four answers fill the response queue; the client reads none
    for (let id = 4; id < 8; id++) t.client(0).req.enqueue(read(0n, 1, id));
    v.notified(clientCh(0));
    expect(t.take()).toEqual([]); // no room for an answer: nothing taken
    expect(t.client(0).req.length()).toBe(4);
    expect(v.waitingCounts()).toEqual([0, 0]);
    // The client reads two answers: exactly two more requests are taken.
    t.client(0).resp.dequeue();
    t.client(0).resp.dequeue();
    v.notified(clientCh(0));
    expect(t.take().map((r) => r.id).length).toBe(2);
    expect(t.client(0).req.length()).toBe(2);
  });

  it('under the seeded U7 the answers that do not fit wait in the virt, in order, and are delivered when room appears', () => {
    const t = virtRig();
    const { v, rec } = t.boot({ u7: true });
    for (let id = 0; id < 4; id++) t.client(0).req.enqueue(read(0n, 1, id));
    v.notified(clientCh(0));
    for (let id = 4; id < 7; id++) t.client(0).req.enqueue(read(0n, 1, id));
    v.notified(clientCh(0)); // taken whatever the room
    expect(v.inFlightCounts()).toEqual([7, 0]);
    for (const r of t.take()) t.answer(r);
    rec.notified.length = 0;
    v.notified(DRIVER);
    expect(t.client(0).resp.length()).toBe(4);
    expect(v.waitingCounts()).toEqual([3, 0]);
    expect(v.stats.waitingMax).toBe(3);
    expect(rec.notified).toEqual([clientCh(0)]);
    // The client reads two and says so: the two oldest waiting answers follow, in order.
    expect([t.client(0).resp.dequeue()!.id, t.client(0).resp.dequeue()!.id]).toEqual([0, 1]);
    rec.notified.length = 0;
    v.notified(clientCh(0));
    expect(v.waitingCounts()).toEqual([1, 0]);
    expect(rec.notified).toEqual([clientCh(0)]);
    expect(t.responses(0).map((r) => r.id)).toEqual([2, 3, 4, 5]);
    v.notified(clientCh(0));
    expect(t.responses(0).map((r) => r.id)).toEqual([6]);
    expect(v.waitingCounts()).toEqual([0, 0]);
  });

  it('a client that writes a wild response head (length > capacity): nothing is overwritten, answers wait, then flow when the head is sane', () => {
    const t = virtRig();
    const { v, rec } = t.boot();
    t.client(0).req.enqueue(read(0n, 1, 10));
    t.client(0).req.enqueue(read(1n, 1, 11));
    v.notified(clientCh(0));
    const reqs = t.take();
    expect(reqs.length).toBe(2);
    const words = new Uint32Array(t.clients[0]!.resp.buffer!, 0, 2); // [head, tail]
    const head = words[0]!;
    words[0] = (words[1]! + 1) >>> 0; // tail - head = 2^32 - 1
    for (const r of reqs) t.answer(r);
    rec.notified.length = 0;
    v.notified(DRIVER);
    expect(words[1]).toBe(head); // tail unmoved: no slot was written
    expect(v.waitingCounts()).toEqual([2, 0]);
    expect(rec.notified).toEqual([]); // nothing delivered, no one to tell
    // Admission counts a wild length as full: a new request is not taken.
    t.client(0).req.enqueue(read(2n, 1, 12));
    v.notified(clientCh(0));
    expect(t.take()).toEqual([]);
    words[0] = head;
    rec.notified.length = 0;
    v.notified(clientCh(0));
    expect(t.responses(0).map((r) => r.id)).toEqual([10, 11]);
    expect(rec.notified).toContain(clientCh(0));
    expect(t.take().map((r) => r.id).length).toBe(1); // and request 12 is now taken
  });
});

describe('the driver id allocator and B3 handle_driver', () => {
  it('exactly driver-capacity requests are in the driver at once, with distinct ids below the capacity', () => {
    const t = virtRig({ driverCapacity: 4, clients: [{ capacity: 8, partition: 0 }] });
    const { v } = t.boot();
    for (let id = 0; id < 6; id++) t.client(0).req.enqueue(read(BigInt(id), 1, 100 + id));
    v.notified(clientCh(0));
    const first = t.take(); // the driver takes them, answers none: the queue is empty, ids are not
    expect(first.map((r) => r.id).sort()).toEqual([0, 1, 2, 3]);
    v.notified(clientCh(0));
    expect(t.take()).toEqual([]); // no id free
    expect(t.client(0).req.length()).toBe(2);
    t.answer(first[2]!);
    v.notified(DRIVER);
    expect(t.responses(0)).toEqual([{ status: BlkRespStatus.OK, successCount: 1, id: 102 }]);
    const next = t.take();
    expect(next.map((r) => [r.id, r.blockNumber])).toEqual([[first[2]!.id, P0_START + 4n]]);
  });

  it('a full driver queue stops the virt taking requests (they stay in the client queue)', () => {
    const t = virtRig({ driverCapacity: 2, clients: [{ capacity: 4, partition: 0 }] });
    const { v } = t.boot();
    for (let id = 0; id < 3; id++) t.client(0).req.enqueue(read(0n, 1, id));
    v.notified(clientCh(0));
    expect(t.drv.peer.req.length()).toBe(2);
    expect(t.client(0).req.length()).toBe(1);
  });

  it('answers for ids it never gave, or gave and got back already, are orphans: counted, no one answered, nothing freed twice', () => {
    const t = virtRig({ driverCapacity: 4 });
    const { v, rec } = t.boot();
    const events: BlkVirtEvent[] = [];
    v.observer = (e) => events.push(e);
    t.client(0).req.enqueue(read(0n, 1, 50));
    v.notified(clientCh(0));
    const [r] = t.take();
    t.answer(r!);
    t.answer(r!); // twice
    t.answer({ ...r!, id: 4 }); // one past the last id
    rec.notified.length = 0;
    v.notified(DRIVER);
    t.answer({ ...r!, id: 0xffff_ffff });
    t.answer({ ...r!, id: (r!.id + 1) % 4 }); // an id that is free
    v.notified(DRIVER);
    expect(t.responses(0)).toEqual([{ status: BlkRespStatus.OK, successCount: 1, id: 50 }]);
    expect(t.responses(1)).toEqual([]);
    expect(v.stats.orphanResponses).toBe(4);
    expect(v.stats.answered).toBe(1);
    expect(rec.notified).toEqual([clientCh(0)]);
    expect(events.filter((e) => e.kind === 'driver-response').map((e) => e.client)).toEqual([
      0,
      null,
      null,
      null,
      null,
    ]);
    // The allocator still holds four distinct ids.
    for (let id = 0; id < 4; id++) t.client(0).req.enqueue(read(0n, 1, id));
    v.notified(clientCh(0));
    expect(new Set(t.take().map((x) => x.id)).size).toBe(4);
  });

  it("the answer keeps the driver's status and success count and the client's id", () => {
    const t = virtRig();
    const { v } = t.boot();
    t.client(1).req.enqueue(write(3n, 2, 77));
    v.notified(clientCh(1));
    const [r] = t.take();
    t.answer(r!, BlkRespStatus.ERR_IO);
    v.notified(DRIVER);
    expect(t.responses(1)).toEqual([{ status: BlkRespStatus.ERR_IO, successCount: 0, id: 77 }]);
    expect(t.responses(0)).toEqual([]);
  });

  it('the observer sees each decision with the load the admission rule read', () => {
    const t = virtRig();
    const { v } = t.boot();
    const events: BlkVirtEvent[] = [];
    v.observer = (e) => events.push(e);
    t.client(0).req.enqueue(read(0n, 0, 1)); // rejected
    t.client(0).req.enqueue(read(0n, 1, 2)); // forwarded
    v.notified(clientCh(0));
    expect(events).toEqual([
      {
        kind: 'client-request',
        client: 0,
        req: read(0n, 0, 1),
        outcome: expect.objectContaining({ kind: 'reject' }),
        load: { inFlight: 0, waiting: 0, respLength: 0, respCapacity: 4 },
      },
      {
        kind: 'client-request',
        client: 0,
        req: read(0n, 1, 2),
        outcome: expect.objectContaining({ kind: 'forward', driverBlock: P0_START }),
        driverId: t.take()[0]!.id,
        load: { inFlight: 0, waiting: 0, respLength: 1, respCapacity: 4 },
      },
    ]);
  });
});

describe('signals: the virt notifies exactly the parties with something new', () => {
  it('a notification with nothing to do signals no one', () => {
    const t = virtRig();
    const { v, rec } = t.boot();
    v.notified(clientCh(0));
    v.notified(DRIVER);
    expect(rec.notified).toEqual([]);
  });

  it('a reject notifies its client only; a forward notifies the driver only (once for many)', () => {
    const t = virtRig();
    const { v, rec } = t.boot();
    t.client(1).req.enqueue(read(0n, 0, 1));
    v.notified(clientCh(1));
    expect(rec.notified).toEqual([clientCh(1)]);
    rec.notified.length = 0;
    t.client(0).req.enqueue(read(0n, 1, 1));
    t.client(1).req.enqueue(read(0n, 1, 2));
    v.notified(clientCh(0));
    expect(rec.notified).toEqual([DRIVER]);
  });
});

describe('restart: a virt with its metadata region carries on', () => {
  it('the requests in flight are answered to their clients after a restart; the allocator is exact', () => {
    const t = virtRig({ driverCapacity: 4 });
    const a = t.boot();
    t.client(0).req.enqueue(read(0n, 1, 20));
    t.client(1).req.enqueue(read(0n, 1, 21));
    t.client(1).req.enqueue(read(1n, 1, 22));
    a.v.notified(clientCh(0));
    const inDriver = t.take(); // ids 0 (client 0), 1 and 2 (client 1)
    expect(inDriver.map((r) => r.id)).toEqual([0, 1, 2]);
    const b = t.instance();
    b.v.init();
    expect(b.v.ready).toBe(true);
    expect(b.v.inFlightCounts()).toEqual([1, 2]);
    expect(t.take()).toEqual([]); // no second MBR read: init is not run again
    expect(b.v.partitions()).toEqual(a.v.partitions());
    // One id is free: one more request goes to the driver, the next waits.
    t.client(0).req.enqueue(read(2n, 1, 23));
    t.client(0).req.enqueue(read(3n, 1, 24));
    b.v.notified(clientCh(0));
    expect(t.take().map((r) => r.id)).toEqual([3]);
    for (const r of inDriver) t.answer(r);
    b.v.notified(DRIVER);
    expect(t.responses(0).map((r) => r.id)).toEqual([20]);
    expect(t.responses(1).map((r) => r.id)).toEqual([21, 22]);
    expect(b.v.inFlightCounts()).toEqual([2, 0]);
  });

  it('a metadata region holding no virt state (garbage) is wiped: init starts from the MBR', () => {
    const t = virtRig();
    new Uint8Array(t.meta!.buffer!).fill(0xab);
    t.driverReady();
    const { v } = t.instance();
    v.init();
    expect(v.ready).toBe(false);
    expect(t.take()).toEqual([read(0n, 1, 0, 0x4000_0000n)]);
  });

  it('the metadata region must hold the table: one byte short is refused, exact is fine', () => {
    const t = virtRig({ driverCapacity: 4 });
    const bytes = t.config.metadata!.sizeBytes;
    const mk = (sizeBytes: number) => () =>
      new BlkVirt(
        recordingApi('v', t.l.space('v')).api,
        { ...t.config, metadata: { ...t.config.metadata!, sizeBytes } },
        {},
      );
    expect(mk(bytes - 1)).toThrow(`virt metadata holds ${bytes} bytes`);
    expect(mk(bytes)).not.toThrow();
  });
});

describe('the component wrapper', () => {
  it('builds the virt from its params, calls a probe when given, and runs without one', () => {
    const t = virtRig();
    t.driverReady();
    let probed: unknown = null;
    const r = recordingApi('blk_virt', t.l.space('blk_virt'));
    const c = blkVirtComponent(
      context(r.api, { config: t.config, probe: (v: unknown) => (probed = v) }),
    );
    c.init();
    expect(probed).not.toBeNull();
    expect(t.take().length).toBe(1);
    const r2 = recordingApi('blk_virt', t.l.space('blk_virt'));
    const c2 = blkVirtComponent(context(r2.api, { config: t.config, options: {} }));
    expect(() => c2.init()).not.toThrow();
    c2.notified(DRIVER);
  });

  it('at most 61 clients (channel ids): 62 are refused, 61 are fine', () => {
    const t = virtRig({ clients: [{ partition: 0 }] });
    const one = t.config.clients[0]!;
    const mk = (n: number) => () =>
      blkVirtComponent(
        context(recordingApi('v', t.l.space('v')).api, {
          config: {
            ...t.config,
            clients: Array.from({ length: n }, () => one),
            metadata: undefined,
          },
        }),
      );
    expect(mk(62)).toThrow(/at most 61 clients/);
    expect(mk(61)).not.toThrow();
  });
});
