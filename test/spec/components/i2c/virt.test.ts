import { describe, expect, it } from 'vitest';
import { I2cErr, I2cFlag, i2cHeaderPayload, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import {
  i2cStateEnqueueRequest,
  i2cStateEnqueueResponse,
  i2cStateReqInitial,
  i2cStateRequestCommit,
  i2cStateRespInitial,
  type I2cReqQueueState,
} from '../../../../spec/queue/i2c-state.ts';
import {
  BUS_UNCLAIMED,
  I2C_BUS_CLAIM,
  I2C_BUS_RELEASE,
  I2C_FAILURE,
  I2C_SUCCESS,
  I2C_VIRT_FIXED,
  i2cVirtInitial,
  translateBody,
  virtNotified,
  virtProtected,
  type I2cVirtConfig,
  type I2cVirtState,
} from '../../../../spec/components/i2c/virt.ts';
import { driverTake } from '../../../../spec/components/i2c/driver.ts';
import { driverQueueProblem } from '../../../../spec/components/i2c/invariants.ts';

const CAP = 8;
const client = (i: number) => ({
  dataVaddr: 0x6000_000n,
  dataSizeBytes: 0x100n,
  driverDataVaddr: 0x1000_0000n + 0x1000n * BigInt(i),
});
const cfg = (flavour = I2C_VIRT_FIXED, n = 2): I2cVirtConfig => ({
  clients: Array.from({ length: n }, (_, i) => client(i)),
  capacity: CAP,
  flavour,
});
const head = (n: number, a: number): I2cCmd => ({
  payload: i2cHeaderPayload(n, a),
  dataLen: 0,
  flagMask: I2cFlag.HEAD,
});
const write = (o: number, len = 1): I2cCmd => ({
  payload: 0x6000_000n + BigInt(o),
  dataLen: len,
  flagMask: I2cFlag.STOP,
});

function push(q: I2cReqQueueState, cmds: I2cCmd[]): I2cReqQueueState {
  let s = q;
  for (const c of cmds) {
    const r = i2cStateEnqueueRequest(CAP, s, c);
    expect(r.ok).toBe(true);
    s = r.state;
  }
  return i2cStateRequestCommit(s);
}

function initial(c: I2cVirtConfig): I2cVirtState {
  let s = i2cVirtInitial(c, {
    clientReq: c.clients.map(() => i2cStateReqInitial(CAP)),
    clientResp: c.clients.map(() => i2cStateRespInitial(CAP)),
    driverReq: i2cStateReqInitial(CAP),
    driverResp: i2cStateRespInitial(CAP),
  });
  // client i owns 0x10 + i
  const security = [...s.security];
  c.clients.forEach((_, i) => (security[0x10 + i] = i));
  s = { ...s, security };
  return s;
}

function submit(s: I2cVirtState, c: number, cmds: I2cCmd[]): I2cVirtState {
  const clientReq = [...s.clientReq];
  clientReq[c] = push(clientReq[c]!, cmds);
  return { ...s, clientReq };
}

/** The driver takes every transaction and answers OK. */
function driverRound(c: I2cVirtConfig, s: I2cVirtState): { s: I2cVirtState; addrs: number[] } {
  let q = s.driverReq;
  let resp = s.driverResp;
  const addrs: number[] = [];
  for (;;) {
    const t = driverTake(CAP, q);
    q = t.state;
    if (t.kind !== 'transaction') break;
    addrs.push(t.transaction.address);
    resp = i2cStateEnqueueResponse(CAP, resp, {
      errCmd: 0n,
      busAddress: t.transaction.address,
      error: I2cErr.OK,
    }).state;
  }
  return { s: { ...s, driverReq: q, driverResp: resp }, addrs };
}

describe('i2c virt spec: claim and release', () => {
  it('claims once, releases only its own, refuses bad labels and addresses', () => {
    let sec: readonly number[] = new Array(128).fill(BUS_UNCLAIMED);
    const call = (client: number, label: number, a: bigint) => {
      const r = virtProtected(sec, { client, label, words: [a] }, 2);
      sec = r.security;
      return r.reply;
    };
    expect(call(0, I2C_BUS_CLAIM, 0x68n)).toBe(I2C_SUCCESS);
    expect(call(1, I2C_BUS_CLAIM, 0x68n)).toBe(I2C_FAILURE);
    expect(call(1, I2C_BUS_RELEASE, 0x68n)).toBe(I2C_FAILURE);
    expect(call(1, I2C_BUS_CLAIM, 0x80n)).toBe(I2C_FAILURE);
    expect(call(1, 9, 0x20n)).toBe(I2C_FAILURE);
    expect(call(2, I2C_BUS_CLAIM, 0x20n)).toBe(I2C_FAILURE);
    expect(virtProtected(sec, { client: 0, label: I2C_BUS_CLAIM, words: [] }, 2).reply).toBe(
      I2C_FAILURE,
    );
    expect(call(0, I2C_BUS_RELEASE, 0x68n)).toBe(I2C_SUCCESS);
    expect(sec[0x68]).toBe(BUS_UNCLAIMED);
  });
});

describe('i2c virt spec: transactions', () => {
  it('defers what does not fit, serves it first when the driver answers, in order', () => {
    const c = cfg();
    let s = initial(c);
    // 3 + 3 + 3 entries: the driver queue holds CAP - 1 = 7.
    s = submit(s, 0, [head(2, 0x10), write(0), write(1), head(2, 0x10), write(2), write(3)]);
    let r = virtNotified(c, s, { kind: 'client', client: 0 });
    expect(r.effects.committed).toBe(2);
    s = submit(r.state, 1, [head(2, 0x11), write(0), write(1)]);
    r = virtNotified(c, s, { kind: 'client', client: 1 });
    expect(r.effects.committed).toBe(0);
    expect(r.state.deferred.map((e) => e.client)).toEqual([1]);
    expect(driverQueueProblem(CAP, r.state.driverReq, c.clients)).toBeNull();
    // Client 0 notifies again while client 1 waits: it queues behind, nothing is read.
    s = submit(r.state, 0, [head(1, 0x10), write(9)]);
    r = virtNotified(c, s, { kind: 'client', client: 0 });
    expect(r.state.deferred.map((e) => [e.client, e.header === null])).toEqual([
      [1, false],
      [0, true],
    ]);
    const d = driverRound(c, r.state);
    expect(d.addrs).toEqual([0x10, 0x10]);
    r = virtNotified(c, d.s, { kind: 'driver' });
    expect(r.effects.notifiedClients).toEqual([0]);
    expect(r.effects.committed).toBe(2);
    expect(r.state.deferred).toEqual([]);
    expect(driverRound(c, r.state).addrs).toEqual([0x11, 0x10]);
  });

  it('never commits part of a transaction; refuses what can never fit', () => {
    const c = cfg();
    let s = initial(c);
    s = submit(s, 0, [head(2, 0x10), write(0), write(0x100, 1), head(7, 0x10)]);
    const r = virtNotified(c, s, { kind: 'client', client: 0 });
    expect(r.effects.committed).toBe(0);
    expect(r.effects.errors).toEqual([I2cErr.MALFORMED_TRANSACTION, I2cErr.MALFORMED_TRANSACTION]);
    expect(r.state.driverReq.tail).toBe(0);
    expect(r.state.driverReq.stagedTail).toBe(0);
  });

  it('bounds a buffer by data_len (U4 lets it run past)', () => {
    const c0 = client(0);
    const edge: I2cCmd = { payload: 0x6000_0fcn, dataLen: 8, flagMask: I2cFlag.READ };
    expect('error' in translateBody(edge, null, c0, I2C_VIRT_FIXED)).toBe(true);
    const u4 = translateBody(edge, null, c0, { ...I2C_VIRT_FIXED, pointerCheck: 'U4' });
    expect('cmd' in u4 && u4.cmd.payload).toBe(0x1000_00fcn);
    const end: I2cCmd = { payload: 0x6000_100n, dataLen: 1, flagMask: I2cFlag.READ };
    expect('cmd' in translateBody(end, null, c0, { ...I2C_VIRT_FIXED, pointerCheck: 'U4' })).toBe(
      true,
    );
  });

  it('U3: a stale extra command follows each transaction; the atomicity invariant sees it', () => {
    const c = cfg({ ...I2C_VIRT_FIXED, transmit: 'U3' });
    const s = submit(initial(c), 0, [head(1, 0x10), write(0)]);
    const r = virtNotified(c, s, { kind: 'client', client: 0 });
    expect(driverQueueProblem(CAP, r.state.driverReq, c.clients)).toMatch(/atomicity/);
  });

  it('U2: the deferred entry is never removed; the retry guard compares with the length', () => {
    const c = cfg({ ...I2C_VIRT_FIXED, deferred: 'U2' }, 1);
    let s = initial(c);
    s = submit(s, 0, [head(2, 0x10), write(0), write(1)]);
    let r = virtNotified(c, s, { kind: 'client', client: 0 });
    s = submit(r.state, 0, [head(4, 0x10), write(2), write(3), write(4), write(5)]);
    r = virtNotified(c, s, { kind: 'client', client: 0 });
    expect(r.state.deferred.length).toBe(1);
    const d = driverRound(c, r.state);
    r = virtNotified(c, d.s, { kind: 'driver' });
    // The drained driver queue has length 0 < num_cmds: the entry is never served.
    expect(r.effects.committed).toBe(0);
    expect(r.state.deferred.length).toBe(1);
  });
});
