// Handler tests of the block model's client, virt and driver (spec/components/blk/programs.ts),
// independent of the model checker (issue 12 part 6). Each test states the state it starts from
// (the precondition) and what the handler must leave (the postcondition); the rig (rig.ts) refuses
// any access outside the PD's memory, locals or ghosts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvariantError } from '../../../../spec/common/assert.ts';
import { BlkReqCode, BlkRespStatus } from '../../../../spec/queue/blk.ts';
import {
  BG_READY,
  BG_STATE,
  DRIVER_CH_IRQ,
  DRIVER_CH_VIRT,
  VIRT_CH_CLIENT,
  VIRT_CH_DRIVER,
  blkModelClient,
  blkModelDriver,
  blkModelMayComplete,
  blkModelVirt,
  blkScriptReq,
  type BlkScriptEntry,
} from '../../../../spec/components/blk/programs.ts';
import { MODEL_SCRIPT, PdRig, blkSetup, drain, enq, peek, type BlkSetup } from './rig.ts';

const resp = (id: number, status: number) => id | (status << 8);
const drvReq = (d: number, code: number) => d | (code << 4);

describe('blkScriptReq', () => {
  it('id i is script entry i - 1; an id outside the script is an InvariantError', () => {
    expect(blkScriptReq(MODEL_SCRIPT, 3)).toEqual({
      code: BlkReqCode.READ,
      ioOrOffset: 4096n,
      blockNumber: 0n,
      count: 1,
      id: 3,
    });
    expect(() => blkScriptReq(MODEL_SCRIPT, 0)).toThrow(InvariantError);
    expect(() => blkScriptReq(MODEL_SCRIPT, 4)).toThrow(InvariantError);
  });
});

describe('every program refuses a pc it does not have', () => {
  it('client, virt, driver: a bad pc is an InvariantError', () => {
    const { cfg, mem, ghosts } = blkSetup();
    for (const p of [blkModelClient(cfg), blkModelVirt(cfg), blkModelDriver(cfg)]) {
      const rig = new PdRig(p, mem, ghosts);
      expect(() => p.step(p.steps.length, rig.ctx()), p.name).toThrow(InvariantError);
    }
  });
});

describe('blkModelClient', () => {
  const client = (s: BlkSetup) => new PdRig(blkModelClient(s.cfg), s.mem, s.ghosts);
  const states = (s: BlkSetup) => [...s.ghosts.subarray(BG_STATE)];

  it('submits nothing and notifies nobody before storage info is ready', () => {
    const s = blkSetup();
    const c = client(s);
    expect(c.notified(0)).toEqual(['collect.dequeue', 'submit.enqueue', 'submit.notify']);
    expect(peek(s.mem, s.cfg.cReq)).toEqual([]);
    expect(c.calls).toEqual([]);
  });

  it('once ready, submits the script in id order and notifies the virt once', () => {
    const s = blkSetup();
    s.ghosts[BG_READY] = 1;
    const c = client(s);
    c.notified(0);
    expect(peek(s.mem, s.cfg.cReq)).toEqual([1, 2, 3]);
    expect(states(s)).toEqual([1, 1, 1]);
    expect(c.calls).toEqual(['notify 0']);
    // All submitted: a later notification submits nothing and notifies nobody.
    c.calls.length = 0;
    c.notified(0);
    expect(peek(s.mem, s.cfg.cReq)).toEqual([1, 2, 3]);
    expect(c.calls).toEqual([]);
    expect(c.fails).toEqual([]);
  });

  it('keeps unanswered requests below the response capacity (the requester contract)', () => {
    const s = blkSetup({ cRespCapacity: 2 });
    s.ghosts[BG_READY] = 1;
    const c = client(s);
    c.notified(0);
    expect(peek(s.mem, s.cfg.cReq)).toEqual([1, 2]);
    expect(states(s)).toEqual([1, 1, 0]);
    // Two answered: unanswered 0, so the third goes out even with capacity 1.
    const t = blkSetup({ cRespCapacity: 1 });
    t.ghosts.set([1, 2, 2, 0]);
    const d = client(t);
    d.notified(0);
    expect(peek(t.mem, t.cfg.cReq)).toEqual([3]);
    expect(states(t)).toEqual([2, 2, 1]);
    expect(d.calls).toEqual(['notify 0']);
  });

  it('stops at a full request queue and submits the rest later', () => {
    const s = blkSetup({ capacity: 2, cRespCapacity: 4 });
    s.ghosts[BG_READY] = 1;
    const c = client(s);
    c.notified(0);
    expect(drain(s.mem, s.cfg.cReq)).toEqual([1, 2]);
    c.notified(0);
    expect(drain(s.mem, s.cfg.cReq)).toEqual([3]);
  });

  it('an answer to an outstanding request marks it answered (any order within an epoch)', () => {
    const s = blkSetup();
    s.ghosts.set([1, 1, 2, 0]); // 1 outstanding, 2 (the barrier) answered: out of order
    const c = client(s);
    enq(s.mem, s.cfg.cResp, resp(1, BlkRespStatus.OK));
    c.notified(0);
    expect(c.fails).toEqual([]);
    expect(states(s)).toEqual([2, 2, 1]); // and then 3 went out
  });

  it('an error answer is a valid answer', () => {
    const s = blkSetup();
    s.ghosts.set([1, 1, 0, 0]);
    const c = client(s);
    enq(s.mem, s.cfg.cResp, resp(1, BlkRespStatus.ERR_IO));
    c.notified(0);
    expect(c.fails).toEqual([]);
    expect(states(s)[0]).toBe(2);
  });

  it('an answer to a request not yet sent, answered twice, unknown, or across the barrier fails', () => {
    const cases: [number[], number][] = [
      [[1, 1, 0, 0], 2], // 2 not sent
      [[1, 2, 2, 0], 3], // 3 not sent, nothing outstanding before it
      [[1, 2, 0, 0], 1], // 1 answered already
      [[1, 1, 1, 1], 4], // no request 4
      [[1, 1, 1, 0], 2], // the barrier before request 1
      [[1, 2, 2, 1], 0], // id 0 is never used
    ];
    for (const [g, id] of cases) {
      const s = blkSetup();
      s.ghosts.set(g);
      const c = client(s);
      enq(s.mem, s.cfg.cResp, resp(id, BlkRespStatus.OK));
      c.notified(0);
      expect(
        c.fails.map((f) => f.property),
        `${g} answer ${id}`,
      ).toEqual(['request-semantics']);
    }
  });
});

describe('blkModelVirt', () => {
  const virt = (s: BlkSetup) => new PdRig(blkModelVirt(s.cfg), s.mem, s.ghosts);
  // Virt locals as documented in programs.ts: [0] initialised, [3] in flight, [4 + d] reqsbk.
  const IN_FLIGHT = 3;
  const TABLE = 4;
  /**
   * The driver words the virt forwarded, as (code, client id booked for its driver id). Which free
   * driver id the virt picks is not the spec's (upstream's ialloc is a FIFO free list; the model
   * takes the lowest); that it is booked for the request, one id per request, is.
   */
  const forwardedOf = (s: BlkSetup, v: PdRig) =>
    peek(s.mem, s.cfg.dReq).map((w) => ({
      code: w >> 4,
      client: v.locals[TABLE + (w & 0xf)]! - 1,
    }));

  /** A virt past init: the MBR read sent and answered, storage info ready. */
  function ready(s: BlkSetup, mirrorDiffers = false): PdRig {
    const v = virt(s);
    if (mirrorDiffers) s.mem.store(s.cfg.badMirror, 1);
    v.init();
    expect(drain(s.mem, s.cfg.dReq)).toEqual([drvReq(0, BlkReqCode.READ)]);
    enq(s.mem, s.cfg.dResp, resp(0, BlkRespStatus.OK));
    v.calls.length = 0;
    v.notified(VIRT_CH_DRIVER);
    return v;
  }

  it('init: one READ of block 0 with driver id 0, its notify deferred', () => {
    const s = blkSetup();
    const v = virt(s);
    expect(v.init()).toEqual(['init.mbr_request']);
    expect(peek(s.mem, s.cfg.dReq)).toEqual([drvReq(0, BlkReqCode.READ)]);
    expect(v.calls).toEqual([`deferred ${VIRT_CH_DRIVER}`]);
    expect(v.fails).toEqual([]);
  });

  it('init with no room in the driver queue is the assert upstream has there', () => {
    const s = blkSetup({ dReqCapacity: 1 });
    enq(s.mem, s.cfg.dReq, 99);
    const v = virt(s);
    v.init();
    expect(v.fails.map((f) => f.property)).toEqual(['no-assert-failure']);
  });

  it('before the MBR answer, a notification does partition init only (fixed since 04374d58)', () => {
    const s = blkSetup();
    const v = virt(s);
    v.init();
    v.calls.length = 0;
    enq(s.mem, s.cfg.cReq, 1); // an eager client
    expect(v.notified(VIRT_CH_DRIVER)).toEqual(['virt_partition_init']);
    expect(v.notified(VIRT_CH_CLIENT)).toEqual(['virt_partition_init']);
    expect(peek(s.mem, s.cfg.cReq)).toEqual([1]);
    expect(v.calls).toEqual([]);
    expect(s.ghosts[BG_READY]).toBe(0);
  });

  it('F16: before the MBR answer it goes on, but a request then still reaches no device', () => {
    const s = blkSetup({ bug: 'F16' });
    const v = virt(s);
    v.init();
    drain(s.mem, s.cfg.dReq);
    enq(s.mem, s.cfg.cReq, 1);
    expect(v.notified(VIRT_CH_CLIENT)).toEqual([
      'virt_partition_init',
      'handle_client',
      'handle_client',
      'notify',
    ]);
    // No partition yet: the WRITE is outside the (empty) partition and is answered with an error.
    expect(peek(s.mem, s.cfg.cResp)).toEqual([resp(1, BlkRespStatus.ERR_INVALID_PARAM)]);
    expect(peek(s.mem, s.cfg.dReq)).toEqual([]);
    expect(v.fails).toEqual([]);
  });

  it('F16: the MBR answer taken by handle_driver goes to the client as id 0 (reqsbk zeros)', () => {
    const s = blkSetup({ bug: 'F16' });
    const v = virt(s);
    v.init();
    drain(s.mem, s.cfg.dReq);
    // A notification before the answer: partition init finds nothing, and F16 goes on to
    // handle_driver; the answer lands in between (the interleaving the model checker finds).
    const p = v.program;
    const next = p.step(p.entry(VIRT_CH_DRIVER), v.ctx());
    expect(p.steps[next]).toBe('handle_driver');
    enq(s.mem, s.cfg.dResp, resp(0, BlkRespStatus.OK));
    v.runFrom(next);
    expect(peek(s.mem, s.cfg.cResp)).toEqual([resp(0, BlkRespStatus.OK)]);
    expect(v.locals[IN_FLIGHT]).toBe(0); // the MBR read was never in flight for a client
    expect(v.locals[TABLE]).toBe(0); // and its id is free again
  });

  it('the MBR answer: ready, driver id 0 free, the client told; then it serves', () => {
    const s = blkSetup();
    const v = virt(s);
    v.init();
    drain(s.mem, s.cfg.dReq);
    v.calls.length = 0;
    enq(s.mem, s.cfg.dResp, resp(0, BlkRespStatus.OK));
    expect(v.notified(VIRT_CH_DRIVER)).toEqual([
      'virt_partition_init',
      'handle_driver',
      'handle_client',
      'notify',
    ]);
    expect(s.ghosts[BG_READY]).toBe(1);
    expect(v.locals[0]).toBe(1);
    expect(v.locals[TABLE]).toBe(0);
    expect(v.calls).toEqual([`notify ${VIRT_CH_CLIENT}`]);
    expect(peek(s.mem, s.cfg.cResp)).toEqual([]); // the MBR answer is not the client's
  });

  it('a mirror header that disagrees: no device, every request answered ERR_NO_DEVICE', () => {
    const s = blkSetup();
    const v = ready(s, true);
    expect(s.ghosts[BG_READY]).toBe(2);
    enq(s.mem, s.cfg.cReq, 1);
    v.notified(VIRT_CH_CLIENT);
    expect(peek(s.mem, s.cfg.cResp)).toEqual([resp(1, BlkRespStatus.ERR_NO_DEVICE)]);
    expect(peek(s.mem, s.cfg.dReq)).toEqual([]);
  });

  it('U9: the same disk is accepted (upstream assigns instead of comparing)', () => {
    const s = blkSetup({ bug: 'U9' });
    ready(s, true);
    expect(s.ghosts[BG_READY]).toBe(1);
  });

  it('forwards a request in the partition: a free driver id, booked, in flight, driver told', () => {
    const s = blkSetup();
    const v = ready(s);
    v.calls.length = 0;
    enq(s.mem, s.cfg.cReq, 1);
    expect(v.notified(VIRT_CH_CLIENT)).toEqual([
      'virt_partition_init',
      'handle_client',
      'handle_client',
      'notify',
    ]);
    expect(forwardedOf(s, v)).toEqual([{ code: BlkReqCode.WRITE, client: 1 }]);
    expect(v.locals[IN_FLIGHT]).toBe(1);
    expect(v.calls).toEqual([`notify ${VIRT_CH_DRIVER}`]);
  });

  it('rejects a request outside the partition to the client, with its id; the driver sees nothing', () => {
    const script: BlkScriptEntry[] = [{ code: BlkReqCode.READ, block: 4n, offset: 0n, count: 1 }];
    const s = blkSetup({ script });
    const v = ready(s);
    v.calls.length = 0;
    enq(s.mem, s.cfg.cReq, 1);
    v.notified(VIRT_CH_CLIENT);
    expect(peek(s.mem, s.cfg.cResp)).toEqual([resp(1, BlkRespStatus.ERR_INVALID_PARAM)]);
    expect(peek(s.mem, s.cfg.dReq)).toEqual([]);
    expect(v.locals[IN_FLIGHT]).toBe(0);
    expect(v.calls).toEqual([`notify ${VIRT_CH_CLIENT}`]);
  });

  it('from the client channel it serves the client only; driver answers wait for the driver', () => {
    const s = blkSetup();
    const v = ready(s);
    enq(s.mem, s.cfg.cReq, 1);
    v.notified(VIRT_CH_CLIENT);
    const [w] = drain(s.mem, s.cfg.dReq);
    enq(s.mem, s.cfg.dResp, resp(w! & 0xf, BlkRespStatus.OK));
    expect(v.notified(VIRT_CH_CLIENT)).toEqual(['virt_partition_init', 'handle_client', 'notify']);
    expect(peek(s.mem, s.cfg.dResp)).toEqual([resp(w! & 0xf, BlkRespStatus.OK)]);
    expect(peek(s.mem, s.cfg.cResp)).toEqual([]);
  });

  it('a driver answer goes to the client under the booked id; the driver id is freed', () => {
    const s = blkSetup();
    const v = ready(s);
    enq(s.mem, s.cfg.cReq, 1);
    v.notified(VIRT_CH_CLIENT);
    const d = drain(s.mem, s.cfg.dReq)[0]! & 0xf;
    enq(s.mem, s.cfg.dResp, resp(d, BlkRespStatus.ERR_IO));
    v.calls.length = 0;
    v.notified(VIRT_CH_DRIVER);
    expect(peek(s.mem, s.cfg.cResp)).toEqual([resp(1, BlkRespStatus.ERR_IO)]);
    expect(v.locals[IN_FLIGHT]).toBe(0);
    expect(v.locals[TABLE + d]).toBe(0);
    expect(v.calls).toEqual([`notify ${VIRT_CH_CLIENT}`]);
  });

  it('an answer for a driver id never booked reaches the client as id 0 and frees nothing in flight', () => {
    const s = blkSetup();
    const v = ready(s);
    enq(s.mem, s.cfg.cReq, 1);
    v.notified(VIRT_CH_CLIENT); // request 1 in flight on driver id d
    const d = drain(s.mem, s.cfg.dReq)[0]! & 0xf;
    const wild = (d + 1) % s.cfg.driverIds; // an id not booked
    enq(s.mem, s.cfg.dResp, resp(wild, BlkRespStatus.OK));
    v.notified(VIRT_CH_DRIVER);
    expect(peek(s.mem, s.cfg.cResp)).toEqual([resp(0, BlkRespStatus.OK)]);
    expect(v.locals[IN_FLIGHT]).toBe(1);
    expect(v.locals[TABLE + d]).toBe(2);
  });

  const leftWaiting = (o: Parameters<typeof blkSetup>[0]) => {
    const s = blkSetup(o);
    const v = ready(s);
    for (const id of [1, 2, 3]) enq(s.mem, s.cfg.cReq, id);
    v.notified(VIRT_CH_CLIENT);
    return { s, v, forwarded: forwardedOf(s, v), waiting: peek(s.mem, s.cfg.cReq) };
  };

  it.each([
    [
      'whose answer would have no slot in the response queue (U7 fixed)',
      { cRespCapacity: 2, driverIds: 4 },
    ],
    ['while every driver id is in use', { capacity: 4, driverIds: 2 }],
    [
      'while the driver queue is full (none is dequeued and lost)',
      { capacity: 4, dReqCapacity: 2, driverIds: 4 },
    ],
  ] as const)('takes no request %s', (_, limits) => {
    const { v, forwarded, waiting } = leftWaiting(limits);
    expect(forwarded).toEqual([
      { code: BlkReqCode.WRITE, client: 1 },
      { code: BlkReqCode.BARRIER, client: 2 },
    ]);
    expect(waiting).toEqual([3]);
    expect(v.locals[IN_FLIGHT]).toBe(2);
    expect(v.fails).toEqual([]);
  });
});

describe('blkModelDriver', () => {
  const driver = (s: BlkSetup) => new PdRig(blkModelDriver(s.cfg), s.mem, s.ghosts);
  const held = (s: BlkSetup) =>
    Array.from({ length: s.cfg.driverIds }, (_, k) => s.mem.load(s.cfg.held + k));
  const done = (s: BlkSetup) =>
    Array.from({ length: s.cfg.driverIds }, (_, k) => s.mem.load(s.cfg.done + k));

  it('hands requests to free device slots (word + 1) until the device is full', () => {
    const s = blkSetup({ capacity: 4, driverIds: 2 });
    const d = driver(s);
    for (const w of [drvReq(0, 1), drvReq(1, 3), drvReq(2, 0)]) enq(s.mem, s.cfg.dReq, w);
    expect(d.notified(DRIVER_CH_VIRT)).toEqual([
      'handle_request.take',
      'handle_request.take',
      'handle_request.take',
    ]);
    expect(held(s)).toEqual([drvReq(0, 1) + 1, drvReq(1, 3) + 1]);
    expect(peek(s.mem, s.cfg.dReq)).toEqual([drvReq(2, 0)]);
    expect(d.calls).toEqual([]);
  });

  it('fills the first free slot and leaves the held ones as they are', () => {
    const s = blkSetup({ capacity: 3 });
    const d = driver(s);
    s.mem.store(s.cfg.held + 0, 0x11);
    s.mem.store(s.cfg.held + 1, 0x22);
    enq(s.mem, s.cfg.dReq, drvReq(2, 0));
    d.notified(DRIVER_CH_VIRT);
    expect(held(s)).toEqual([0x11, 0x22, drvReq(2, 0) + 1]);
  });

  it('answers the completed requests OK by their driver id, keeps the rest in order, compacted', () => {
    const s = blkSetup({ capacity: 4 });
    const d = driver(s);
    const words = [drvReq(3, 1) + 1, drvReq(1, 0) + 1, drvReq(2, 0) + 1, drvReq(0, 1) + 1];
    words.forEach((w, k) => s.mem.store(s.cfg.held + k, w));
    s.mem.store(s.cfg.done + 1, 1);
    s.mem.store(s.cfg.done + 3, 1);
    expect(d.notified(DRIVER_CH_IRQ)).toEqual(['handle_irq.answer']);
    expect(peek(s.mem, s.cfg.dResp)).toEqual([
      resp(1, BlkRespStatus.OK),
      resp(0, BlkRespStatus.OK),
    ]);
    expect(held(s)).toEqual([words[0], words[2], 0, 0]);
    expect(done(s)).toEqual([0, 0, 0, 0]);
    expect(d.calls).toEqual([`notify ${DRIVER_CH_VIRT}`]);
  });

  it('with nothing completed it answers nothing and notifies nobody (the gaps close up)', () => {
    const s = blkSetup({ capacity: 3 });
    const d = driver(s);
    s.mem.store(s.cfg.held + 1, 0x33);
    d.notified(DRIVER_CH_IRQ);
    expect(peek(s.mem, s.cfg.dResp)).toEqual([]);
    expect(held(s)).toEqual([0x33, 0, 0]);
    expect(d.calls).toEqual([]);
  });

  it('an answer that does not fit the driver response queue is the assert upstream has there', () => {
    const s = blkSetup({ capacity: 2 });
    const d = driver(s);
    enq(s.mem, s.cfg.dResp, 0);
    enq(s.mem, s.cfg.dResp, 0);
    s.mem.store(s.cfg.held, 1);
    s.mem.store(s.cfg.done, 1);
    d.notified(DRIVER_CH_IRQ);
    expect(d.fails.map((f) => f.property)).toEqual(['no-assert-failure']);
  });
});

describe('blkModelMayComplete', () => {
  const word = (d: number, code: number) => drvReq(d, code) + 1;

  it('property: a barrier only with nothing held before it, anything else only with no barrier before it', () => {
    const slot = fc.oneof(
      fc.constant(null),
      fc.record({ d: fc.integer({ min: 0, max: 15 }), code: fc.integer({ min: 0, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(slot, { minLength: 1, maxLength: 6 }), fc.nat(5), (slots, k0) => {
        const k = k0 % slots.length;
        const held = slots.map((x) => (x === null ? 0 : word(x.d, x.code)));
        const before = slots.slice(0, k).filter((x) => x !== null);
        const me = slots[k];
        const expected =
          me === null || me === undefined
            ? false
            : me.code === BlkReqCode.BARRIER
              ? before.length === 0
              : before.every((x) => x!.code !== BlkReqCode.BARRIER);
        expect(blkModelMayComplete(held, k)).toBe(expected);
        // blk-barrier: a barrier at once, whatever is held; the rest as fixed.
        const buggy = me !== null && me !== undefined && me.code === BlkReqCode.BARRIER;
        expect(blkModelMayComplete(held, k, 'blk-barrier')).toBe(buggy || expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('examples: requests out of order; a barrier behind an empty slot; FLUSH at driver id 15', () => {
    const R = (d: number) => word(d, BlkReqCode.READ);
    expect(blkModelMayComplete([R(0), R(1)], 1)).toBe(true);
    expect(blkModelMayComplete([0, word(1, BlkReqCode.BARRIER)], 1)).toBe(true);
    expect(blkModelMayComplete([R(0), word(1, BlkReqCode.BARRIER)], 1)).toBe(false);
    expect(blkModelMayComplete([R(0), word(15, BlkReqCode.FLUSH)], 1)).toBe(true);
    expect(blkModelMayComplete([word(14, BlkReqCode.BARRIER), R(15)], 1)).toBe(false);
    expect(blkModelMayComplete([R(0)], 3)).toBe(false);
  });
});
