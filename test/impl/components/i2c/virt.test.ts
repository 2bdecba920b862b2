// The I²C virt's handlers (impl/components/i2c/virt.ts; contract spec/components/i2c/virt.ts;
// upstream au-ts/sddf 650ace5d i2c/components/virt.c; reference sddf-protocols.md §2.5, §3.14),
// each with its pre- and post-condition on real queue memory. The test stands at every other end:
// each client's queues, the driver's queues, and the PPC caller.
//
// Invariants checked after every bad request: the client gets exactly one error response
// {err_cmd 0, bus_address, error} and a notification; nothing of the transaction reaches the
// driver queue, staged or committed (i2c_request_abort); the driver is not notified.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Counters } from '../../../../impl/components/net/counters.ts';
import type { I2cVirtConfig } from '../../../../impl/components/i2c/config.ts';
import {
  I2C_VIRT_COUNTERS,
  i2cVirtComponent,
  reqQueueBytes,
  respQueueBytes,
} from '../../../../impl/components/i2c/virt.ts';
import { I2cReqQueue, I2cRespQueue } from '../../../../impl/queue/i2c.ts';
import {
  type I2cVirtFlavour,
  I2C_BUS_CLAIM,
  I2C_BUS_RELEASE,
  I2C_FAILURE,
  I2C_SUCCESS,
} from '../../../../spec/components/i2c/virt.ts';
import {
  I2C_CAPACITY,
  I2cErr,
  I2cFlag,
  i2cHeaderPayload,
  type I2cCmd,
} from '../../../../spec/queue/i2c.ts';
import { Layout, context, recordingApi } from '../net/fixture.ts';

const { HEAD, READ, WRRD, STOP, RSTART } = I2cFlag;
const DRIVER_CH = 0;
/** Every client maps its data region here; the driver maps client i's at DRV + i·0x1000. */
const DATA = 0x6_000_000n;
const DATA_SIZE = 0x1000n;
const DRV = 0x10_000_000n;
const ROOM = I2C_CAPACITY - 1; // entries a queue holds (one slot reserved)

const head = (n: number, address: number): I2cCmd => ({
  payload: i2cHeaderPayload(n, address),
  dataLen: 0,
  flagMask: HEAD,
});
const body = (offset: bigint, dataLen: number, flagMask: number): I2cCmd => ({
  payload: DATA + offset,
  dataLen,
  flagMask,
});

function virtRig(clients = 2, flavour?: Partial<I2cVirtFlavour>) {
  const l = new Layout();
  const dReq = l.add('driver/request', reqQueueBytes());
  const dResp = l.add('driver/response', respQueueBytes());
  const cl = Array.from({ length: clients }, (_, i) => ({
    req: l.add(`client${i}/request`, reqQueueBytes()),
    resp: l.add(`client${i}/response`, respQueueBytes()),
  }));
  const config: I2cVirtConfig = {
    driver: { ch: DRIVER_CH, reqVaddr: dReq.vaddr, respVaddr: dResp.vaddr },
    clients: cl.map((c, i) => ({
      pd: `client${i}`,
      ch: i + 1,
      reqVaddr: c.req.vaddr,
      respVaddr: c.resp.vaddr,
      dataVaddr: DATA,
      dataSizeBytes: DATA_SIZE,
      driverDataVaddr: DRV + BigInt(i) * 0x1000n,
    })),
  };
  const { api, rec, flush } = recordingApi('i2c_virt', l.space('i2c_virt'));
  const counterBuf = Counters.buffer(I2C_VIRT_COUNTERS.length);
  const virt = i2cVirtComponent(
    context(api, { config, counters: counterBuf, ...(flavour ? { flavour } : {}) }),
  );
  virt.init();
  const counters = (): Record<string, number> =>
    new Counters(I2C_VIRT_COUNTERS, counterBuf).snapshot();
  const on = (r: { buffer: SharedArrayBuffer | null }) => ({
    region: { buffer: r.buffer!, byteOffset: 0 },
  });
  // Each client's producer handle on its request queue, consumer handle on its response queue.
  const clientReq = cl.map((c) => new I2cReqQueue(on(c.req)));
  const clientResp = cl.map((c) => new I2cRespQueue(on(c.resp)));
  // The driver's consumer handle on its request queue, producer handle on its response queue.
  const driverReq = new I2cReqQueue(on(dReq));
  const driverResp = new I2cRespQueue(on(dResp));
  /** Another producer on the driver request queue: work committed earlier, not yet taken. */
  const filler = new I2cReqQueue(on(dReq));
  const fill = (n: number): void => {
    for (let i = 0; i < n; i++)
      expect(filler.enqueue({ payload: 0xf111n, dataLen: 0, flagMask: 0 })).toBe(true);
    filler.commit();
  };
  const claim = (client: number, address: number, label = I2C_BUS_CLAIM) =>
    virt.protected!(client + 1, { label, words: [BigInt(address)] });
  /** Client `i` commits commands (no notification). */
  const commit = (i: number, cmds: readonly I2cCmd[]): void => {
    for (const c of cmds) expect(clientReq[i]!.enqueue(c)).toBe(true);
    clientReq[i]!.commit();
  };
  const notify = (ch: number): void => {
    virt.notified(ch);
    flush();
  };
  /** Client `i` commits and notifies. */
  const send = (i: number, cmds: readonly I2cCmd[]): void => {
    commit(i, cmds);
    notify(i + 1);
  };
  const drain = <T>(q: { dequeue(): T | null }, max = Infinity): T[] => {
    const out: T[] = [];
    while (out.length < max) {
      const x = q.dequeue();
      if (x === null) break;
      out.push(x);
    }
    return out;
  };
  /** What the driver finds committed (taking it), fillers left out. */
  const driverTakes = (): I2cCmd[] => drain(driverReq).filter((c) => c.payload !== 0xf111n);
  const responses = (i: number) => drain(clientResp[i]!);
  return {
    virt,
    rec,
    counters,
    clientReq,
    clientResp,
    driverReq,
    driverResp,
    filler,
    fill,
    claim,
    commit,
    notify,
    send,
    drain,
    driverTakes,
    responses,
    dReq,
    cl,
  };
}

describe('i2c virt: a valid transaction', () => {
  it('commits the header and the translated body whole, and notifies the driver (deferred)', () => {
    const t = virtRig();
    expect(t.claim(1, 0x50)).toEqual({ label: I2C_SUCCESS, words: [] });
    t.send(1, [head(2, 0x50), body(0x10n, 4, WRRD | READ), body(0x20n, 2, STOP)]);
    expect(t.driverTakes()).toEqual([
      head(2, 0x50),
      { payload: DRV + 0x1000n + 0x10n, dataLen: 4, flagMask: WRRD | READ },
      { payload: DRV + 0x1000n + 0x20n, dataLen: 2, flagMask: STOP },
    ]);
    expect(t.clientReq[1]!.length()).toBe(0);
    expect(t.rec.deferred).toEqual([DRIVER_CH]);
    expect(t.rec.notified).toEqual([]); // no response to a client yet
    expect(t.counters()).toMatchObject({ committed: 1, commands: 2, droppedResponses: 0 });
  });

  it('bus address 0x7f, the highest 7-bit one, can be claimed and used', () => {
    const t = virtRig();
    expect(t.claim(0, 0x7f).label).toBe(I2C_SUCCESS);
    t.send(0, [head(1, 0x7f), body(0n, 1, READ | STOP)]);
    expect(t.driverTakes()).toHaveLength(2);
    t.driverResp.enqueue({ errCmd: 0n, busAddress: 0x7f, error: I2cErr.OK });
    t.notify(DRIVER_CH);
    expect(t.responses(0)).toEqual([{ errCmd: 0n, busAddress: 0x7f, error: I2cErr.OK }]);
  });

  it('a header is read as the C reads its union: u16 batch_len, u8 address, the padding ignored', () => {
    const t = virtRig();
    t.claim(0, 0x50);
    const h = {
      ...head(1, 0x50),
      payload: head(1, 0x50).payload | (0xabn << 24n) | (0xdeadn << 48n),
    };
    t.send(0, [h, body(0n, 1, STOP)]);
    expect(t.driverTakes()).toEqual([h, { payload: DRV, dataLen: 1, flagMask: STOP }]);
  });

  it('a body ending exactly at the end of the data region is inside it', () => {
    const t = virtRig();
    t.claim(0, 0x50);
    t.send(0, [head(1, 0x50), body(DATA_SIZE - 8n, 8, STOP)]);
    expect(t.counters()['committed']).toBe(1);
  });

  it('the largest transaction that fits the queue (header + 252 commands) is committed', () => {
    const t = virtRig();
    t.claim(0, 0x50);
    const n = ROOM - 1;
    t.send(0, [head(n, 0x50), ...Array.from({ length: n }, () => body(0n, 1, READ | STOP))]);
    expect(t.counters()).toMatchObject({ committed: 1, commands: n, refusedTransaction: 0 });
    expect(t.driverTakes()).toHaveLength(n + 1);
  });
});

describe('i2c virt: a hostile client gets a clear error and changes nothing', () => {
  type Case = readonly [string, readonly I2cCmd[], I2cErr, number, string];
  const M = I2cErr.MALFORMED_TRANSACTION;
  const cases: Case[] = [
    [
      'a header with other flags',
      [{ ...head(1, 0x50), flagMask: HEAD | READ }],
      I2cErr.MALFORMED_HEADER,
      0x50,
      'refusedHeader',
    ],
    ['a header of zero commands', [head(0, 0x50)], I2cErr.MALFORMED_HEADER, 0x50, 'refusedHeader'],
    [
      'an address it does not own',
      [head(1, 0x51), body(0n, 1, STOP)],
      I2cErr.UNPERMITTED_ADDR,
      0x51,
      'refusedAddress',
    ],
    [
      'an address another client owns',
      [head(1, 0x60), body(0n, 1, STOP)],
      I2cErr.UNPERMITTED_ADDR,
      0x60,
      'refusedAddress',
    ],
    [
      'a u8 address beyond 7 bits (0xd0)',
      [head(1, 0xd0), body(0n, 1, STOP)],
      I2cErr.UNPERMITTED_ADDR,
      0xd0,
      'refusedAddress',
    ],
    [
      'a buffer whose data_len runs past its window (U4)',
      [head(1, 0x50), body(0xffcn, 8, READ | STOP)],
      M,
      0x50,
      'refusedTransaction',
    ],
    [
      'a pointer one past its window',
      [head(1, 0x50), body(DATA_SIZE, 1, STOP)],
      M,
      0x50,
      'refusedTransaction',
    ],
    [
      'a pointer before its window',
      [head(1, 0x50), body(-8n, 4, STOP)],
      M,
      0x50,
      'refusedTransaction',
    ],
    [
      'a write-read of nothing',
      [head(1, 0x50), body(0n, 0, WRRD | READ)],
      M,
      0x50,
      'refusedTransaction',
    ],
    ['unknown flag bits', [head(1, 0x50), body(0n, 1, 0x40)], M, 0x50, 'refusedTransaction'],
    [
      'a HEAD among the body',
      [head(1, 0x50), { ...body(0n, 1, 0), flagMask: HEAD | STOP }],
      M,
      0x50,
      'refusedTransaction',
    ],
    ['RSTART first', [head(1, 0x50), body(0n, 1, RSTART)], M, 0x50, 'refusedTransaction'],
    [
      'a bad second command (the first is staged, then aborted)',
      [head(2, 0x50), body(0n, 1, 0), body(0xfffn, 2, STOP)],
      M,
      0x50,
      'refusedTransaction',
    ],
    [
      'more commands claimed than committed',
      [head(4, 0x50), body(0n, 1, STOP)],
      M,
      0x50,
      'refusedTransaction',
    ],
  ];
  it.each(cases)('%s', (_what, cmds, error, address, counter) => {
    const t = virtRig();
    t.claim(0, 0x50);
    t.claim(1, 0x60);
    t.send(0, cmds);
    expect(t.responses(0)).toEqual([{ errCmd: 0n, busAddress: address, error }]);
    expect(t.rec.notified).toEqual([1]);
    expect(t.rec.deferred).toEqual([]); // the driver is not notified
    expect(t.driverReq.length()).toBe(0);
    expect(t.driverReq.stagedLength()).toBe(0); // nothing staged either
    expect(t.clientReq[0]!.length()).toBe(0); // the rest of the transaction is discarded
    expect(t.counters()).toMatchObject({ [counter]: 1, committed: 0, droppedResponses: 0 });
    const refused = ['refusedHeader', 'refusedAddress', 'refusedTransaction'];
    for (const c of refused.filter((c) => c !== counter)) expect(t.counters()[c]).toBe(0);
    // The client is still served afterwards.
    t.send(0, [head(1, 0x50), body(0n, 1, STOP)]);
    expect(t.driverTakes()).toEqual([head(1, 0x50), { payload: DRV, dataLen: 1, flagMask: STOP }]);
  });

  it('the seeded upstream pointer check (U4) lets data_len run past the window: this test tells', () => {
    const t = virtRig(2, { pointerCheck: 'U4' });
    t.claim(0, 0x50);
    t.send(0, [head(1, 0x50), body(0xffcn, 8, READ | STOP)]);
    expect(t.counters()['committed']).toBe(1); // the fixed virt refuses it (the case above)
    expect(t.driverTakes()[1]).toEqual({
      payload: DRV + 0xffcn,
      dataLen: 8,
      flagMask: READ | STOP,
    });
  });

  it('a transaction that can never fit is refused, not deferred, even when the client claims the commands are there', () => {
    // The client corrupts its own tail: 1000 commands "committed", a header of 253.
    const t = virtRig();
    t.claim(0, 0x50);
    t.commit(0, [head(ROOM, 0x50)]);
    new Uint32Array(t.cl[0]!.req.buffer!, 0, 3).set([1000, 1000]);
    t.notify(1);
    expect(t.responses(0)[0]).toEqual({
      errCmd: 0n,
      busAddress: 0x50,
      error: I2cErr.MALFORMED_TRANSACTION,
    });
    // (The corrupt queue wraps onto its header again: each reading of it is refused the same.)
    expect(t.counters()['refusedTransaction']).toBeGreaterThanOrEqual(1);
    expect(t.counters()).toMatchObject({ deferred: 0, committed: 0 });
    expect(t.driverReq.stagedLength()).toBe(0);
  });

  it('a corrupt tail (2^22 commands claimed) cannot make one notification spin', () => {
    const t = virtRig();
    new Uint32Array(t.cl[0]!.req.buffer!, 0, 3).set([1 << 22, 1 << 22]);
    t.notify(1);
    expect(t.counters()['discarded']).toBeGreaterThan(0);
    expect(t.counters()['discarded']).toBeLessThanOrEqual(I2C_CAPACITY + 2);
    expect(t.driverReq.stagedLength()).toBe(0);
  });

  it('property: garbage from a client that owns no address never reaches the driver; each header gets one error', () => {
    const cmd = fc.record({
      payload: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      dataLen: fc.integer({ min: 0, max: 255 }),
      flagMask: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(HEAD)),
    });
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 40 }), (cmds) => {
        const t = virtRig();
        t.claim(1, 0x50);
        t.send(0, cmds);
        expect(t.driverReq.stagedLength()).toBe(0);
        expect(t.rec.deferred).toEqual([]);
        const rs = t.responses(0);
        for (const r of rs) {
          expect([I2cErr.MALFORMED_HEADER, I2cErr.UNPERMITTED_ADDR]).toContain(r.error);
          expect(r.errCmd).toBe(0n);
        }
        expect(rs.length).toBeLessThanOrEqual(cmds.filter((c) => (c.flagMask & HEAD) !== 0).length);
      }),
      { numRuns: 100 },
    );
  });

  it('an error response to a full response queue is dropped and counted', () => {
    const t = virtRig();
    const prod = new I2cRespQueue({ region: { buffer: t.cl[0]!.resp.buffer!, byteOffset: 0 } });
    for (let i = 0; i < ROOM; i++) prod.enqueue({ errCmd: 7n, busAddress: 1, error: I2cErr.OTHER });
    t.send(0, [head(1, 0x51), body(0n, 1, STOP)]);
    expect(t.counters()).toMatchObject({ refusedAddress: 1, droppedResponses: 1 });
    expect(t.responses(0).every((r) => r.errCmd === 7n)).toBe(true);
  });
});

describe('i2c virt: claims by PPC', () => {
  it('claim, double claim, release by a non-owner, release, unknown label: replies and counters', () => {
    const t = virtRig();
    expect(t.claim(0, 0x50)).toEqual({ label: I2C_SUCCESS, words: [] });
    expect(t.claim(1, 0x50)).toEqual({ label: I2C_FAILURE, words: [] });
    expect(t.claim(1, 0x50, I2C_BUS_RELEASE)).toEqual({ label: I2C_FAILURE, words: [] });
    expect(t.claim(0, 0x50, I2C_BUS_RELEASE)).toEqual({ label: I2C_SUCCESS, words: [] });
    expect(t.claim(0, 0x50, 7)).toEqual({ label: I2C_FAILURE, words: [] });
    expect(t.claim(0, 0x80)).toEqual({ label: I2C_FAILURE, words: [] });
    expect(t.counters()).toMatchObject({ claims: 2, claimsRefused: 4 });
    expect(t.claim(1, 0x50).label).toBe(I2C_SUCCESS); // free again
  });

  it('a PPC on a channel that is no client’s claims nothing', () => {
    const t = virtRig();
    expect(t.virt.protected!(9, { label: I2C_BUS_CLAIM, words: [0x20n] }).label).toBe(I2C_FAILURE);
    expect(t.counters()).toMatchObject({ claims: 0, claimsRefused: 1 });
    expect(t.claim(0, 0x20).label).toBe(I2C_SUCCESS);
    expect(t.claim(1, 0x21).label).toBe(I2C_SUCCESS);
  });
});

describe('i2c virt: responses from the driver', () => {
  it('go to the client that owns the address now; clients notified once each, ascending', () => {
    const t = virtRig(3);
    t.claim(0, 0x50);
    t.claim(2, 0x60);
    const r = (a: number, e: I2cErr = I2cErr.OK) => ({ errCmd: 0n, busAddress: a, error: e });
    t.driverResp.enqueue(r(0x60));
    t.driverResp.enqueue(r(0x50, I2cErr.NACK));
    t.driverResp.enqueue(r(0x60));
    t.notify(DRIVER_CH);
    expect(t.responses(0)).toEqual([r(0x50, I2cErr.NACK)]);
    expect(t.responses(2)).toEqual([r(0x60), r(0x60)]);
    expect(t.rec.notified).toEqual([1, 3]);
    expect(t.counters()).toMatchObject({ responses: 3, droppedResponses: 0 });
  });

  it('a response for an address released meanwhile, or beyond 7 bits, is dropped and counted', () => {
    const t = virtRig();
    t.claim(0, 0x50);
    t.claim(0, 0x51);
    t.claim(0, 0x51, I2C_BUS_RELEASE);
    t.driverResp.enqueue({ errCmd: 0n, busAddress: 0x51, error: I2cErr.OK });
    t.driverResp.enqueue({ errCmd: 0n, busAddress: 0xd0, error: I2cErr.OK }); // a u8; low 7 bits 0x50
    t.notify(DRIVER_CH);
    expect(t.responses(0)).toEqual([]);
    expect(t.rec.notified).toEqual([]);
    expect(t.counters()).toMatchObject({ responses: 2, droppedResponses: 2 });
  });

  it('a response to a full client queue is dropped and counted', () => {
    const t = virtRig();
    t.claim(0, 0x50);
    const prod = new I2cRespQueue({ region: { buffer: t.cl[0]!.resp.buffer!, byteOffset: 0 } });
    for (let i = 0; i < ROOM; i++) prod.enqueue({ errCmd: 7n, busAddress: 1, error: I2cErr.OTHER });
    t.driverResp.enqueue({ errCmd: 0n, busAddress: 0x50, error: I2cErr.OK });
    t.notify(DRIVER_CH);
    expect(t.counters()).toMatchObject({ responses: 1, droppedResponses: 1 });
  });

  it('are forwarded only when the driver notifies, not on a client’s notification', () => {
    const t = virtRig();
    t.claim(0, 0x50);
    t.driverResp.enqueue({ errCmd: 0n, busAddress: 0x50, error: I2cErr.OK });
    t.notify(1);
    expect(t.responses(0)).toEqual([]);
    expect(t.driverResp.length()).toBe(1);
  });
});

describe('i2c virt: deferral when the driver queue lacks room (U2, U3 fixed)', () => {
  it('room is counted with the reserved slot: n + 1 entries fit exactly, one fewer defers', () => {
    const t = virtRig();
    t.claim(0, 0x50);
    t.fill(ROOM - 2); // room for exactly a header and one command
    t.send(0, [head(1, 0x50), body(0n, 1, STOP)]);
    expect(t.counters()).toMatchObject({ committed: 1, deferred: 0 });
    const u = virtRig();
    u.claim(0, 0x50);
    u.fill(ROOM - 1); // room for one entry only
    u.send(0, [head(1, 0x50), body(0n, 1, STOP)]);
    expect(u.counters()).toMatchObject({ committed: 0, deferred: 1 });
    expect(u.driverReq.stagedLength()).toBe(ROOM - 1);
    expect(u.rec.deferred).toEqual([]);
    expect(u.responses(0)).toEqual([]); // deferred, not refused
    // The driver takes one entry and notifies: the deferred transaction is committed whole.
    u.drain(u.driverReq, 1);
    u.notify(DRIVER_CH);
    expect(u.counters()).toMatchObject({ committed: 1, deferred: 1 });
    expect(u.rec.deferred).toEqual([DRIVER_CH]);
    expect(u.driverTakes()).toEqual([head(1, 0x50), { payload: DRV, dataLen: 1, flagMask: STOP }]);
  });

  it('monotonic service: while a transaction waits, a later client waits behind it though its own would fit', () => {
    const t = virtRig();
    t.claim(0, 0x50);
    t.claim(1, 0x60);
    t.fill(ROOM - 3); // room 3
    t.send(0, [head(3, 0x50), ...[0n, 1n, 2n].map((o) => body(o, 1, STOP))]); // needs 4: deferred
    t.send(1, [head(1, 0x60), body(0n, 1, STOP)]); // needs 2: would fit, waits
    expect(t.counters()['committed']).toBe(0);
    expect(t.clientReq[1]!.length()).toBe(2); // unread: nothing lost
    t.drain(t.driverReq); // the driver takes all the fillers
    t.notify(DRIVER_CH);
    const got = t.driverTakes();
    expect(got.filter((c) => c.flagMask === HEAD)).toEqual([head(3, 0x50), head(1, 0x60)]);
    expect(got).toHaveLength(6);
  });

  it('every waiting client is served in one driver notification, however often each notified', () => {
    const t = virtRig(3);
    t.claim(0, 0x50);
    t.claim(1, 0x60);
    t.claim(2, 0x70);
    t.fill(ROOM - 1);
    t.send(0, [head(1, 0x50), body(0n, 1, STOP)]); // deferred
    t.send(1, [head(1, 0x60), body(0n, 1, STOP)]); // waits
    t.notify(2);
    t.notify(2);
    t.notify(2);
    t.send(2, [head(1, 0x70), body(0n, 1, STOP)]); // waits
    t.notify(1); // the deferred client again
    t.drain(t.driverReq);
    t.notify(DRIVER_CH);
    expect(t.driverTakes().filter((c) => c.flagMask === HEAD)).toEqual([
      head(1, 0x50),
      head(1, 0x60),
      head(1, 0x70),
    ]);
    expect(t.counters()['committed']).toBe(3);
  });

  it('FIFO: a client whose next transaction is deferred again goes behind those already waiting', () => {
    const t = virtRig(3);
    t.claim(0, 0x50);
    t.claim(2, 0x70);
    const big = [head(3, 0x50), ...[0n, 1n, 2n].map((o) => body(o, 1, STOP))];
    t.fill(ROOM - 1);
    t.send(0, [...big, ...big]); // the first is deferred (needs 4)
    t.send(2, [head(1, 0x70), body(0n, 1, STOP)]); // waits behind (needs 2)
    t.drain(t.driverReq, 4); // room 5: the first big one fits, then room 1
    t.notify(DRIVER_CH);
    expect(t.counters()['committed']).toBe(1);
    t.drain(t.driverReq); // everything taken: room 253
    // Only two entries taken back out to free room for the small one first: serve again.
    t.fill(ROOM - 2); // room exactly 2 (the driver queue now holds only these fillers)
    t.notify(DRIVER_CH);
    // Client 2 waited before client 0's second transaction was deferred again: it goes first.
    expect(t.driverTakes().filter((c) => c.flagMask === HEAD)).toEqual([head(1, 0x70)]);
  });

  it('a client notifying while the deferred client is served and deferred again waits behind it', () => {
    const t = virtRig(3);
    t.claim(0, 0x50);
    t.claim(2, 0x70);
    const big = [head(3, 0x50), ...[0n, 1n, 2n].map((o) => body(o, 1, STOP))];
    t.fill(ROOM - 1);
    t.send(0, [...big, ...big]); // the first is deferred (needs 4)
    t.drain(t.driverReq, 5); // room 6, the virt not told: the first fits, then room 2
    t.send(2, [head(1, 0x70), body(0n, 1, STOP)]); // needs 2: would fit, but client 0 waits first
    expect(t.counters()['committed']).toBe(1);
    expect(t.clientReq[2]!.length()).toBe(2);
  });

  it('a deferred client whose queue is corrupt cannot block the others once it is served', () => {
    const t = virtRig(3);
    t.claim(0, 0x50);
    t.claim(2, 0x70);
    t.fill(ROOM - 1);
    t.send(0, [head(3, 0x50), ...[0n, 1n, 2n].map((o) => body(o, 1, STOP))]); // deferred
    const words = new Uint32Array(t.cl[0]!.req.buffer!, 0, 3);
    words[0] = words[1] = 1 << 22; // then claims 2^22 commands
    t.drain(t.driverReq);
    t.send(2, [head(1, 0x70), body(0n, 1, STOP)]);
    // (Its queue wraps onto its one real transaction, which it thus sends again: its own business.)
    const heads = t.driverTakes().filter((c) => c.flagMask === HEAD);
    expect(heads[0]).toEqual(head(3, 0x50));
    expect(heads.at(-1)).toEqual(head(1, 0x70)); // served in the same notification
  });

  it('a client that notified with nothing to send holds no place in the line', () => {
    const t = virtRig(3);
    t.claim(0, 0x50);
    t.claim(1, 0x60);
    t.claim(2, 0x70);
    t.fill(ROOM - 1);
    t.send(0, [head(1, 0x50), body(0n, 1, STOP)]); // deferred
    t.notify(3); // client 2, empty queue
    t.send(1, [head(1, 0x60), body(0n, 1, STOP)]); // waits
    t.send(2, [head(1, 0x70), body(0n, 1, STOP)]); // waits, behind client 1
    t.drain(t.driverReq);
    t.notify(DRIVER_CH);
    expect(t.driverTakes().filter((c) => c.flagMask === HEAD)).toEqual([
      head(1, 0x50),
      head(1, 0x60),
      head(1, 0x70),
    ]);
  });
});
