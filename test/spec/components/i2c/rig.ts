// Hand-set states for the I²C spec's handler tests (spec/components/i2c): every queue is a value, so
// a test builds the virt's state directly — what each client has committed, what the driver queue
// already holds, who owns which bus address — runs one entry point and reads the result. Client i
// has its data region at CLIENT_VADDR (as every client sees it) and at DRIVER_VADDR + 0x1000·i in
// the driver's mapping; it owns bus address 0x10 + i unless a test says otherwise.
import { expect } from 'vitest';
import {
  I2cErr,
  I2cFlag,
  i2cHeaderPayload,
  type I2cCmd,
  type I2cResponse,
} from '../../../../spec/queue/i2c.ts';
import {
  i2cStateDequeueResponse,
  i2cStateEnqueueRequest,
  i2cStateEnqueueResponse,
  i2cStateReqAbstraction,
  i2cStateReqInitial,
  i2cStateRequestCommit,
  i2cStateRespInitial,
  type I2cReqQueueState,
  type I2cRespQueueState,
} from '../../../../spec/queue/i2c-state.ts';
import {
  I2C_VIRT_FIXED,
  i2cVirtInitial,
  virtNotified,
  type I2cVirtConfig,
  type I2cVirtFlavour,
  type I2cVirtState,
} from '../../../../spec/components/i2c/virt.ts';
import { driverTake } from '../../../../spec/components/i2c/driver.ts';

/** Small queues so that "full" and "does not fit" are a few commands away (7 usable slots). */
export const CAP = 8;
export const CLIENT_VADDR = 0x6000_000n;
export const DATA_SIZE = 0x100n;
export const DRIVER_VADDR = 0x1000_0000n;

export const client = (i: number) => ({
  dataVaddr: CLIENT_VADDR,
  dataSizeBytes: DATA_SIZE,
  driverDataVaddr: DRIVER_VADDR + 0x1000n * BigInt(i),
});

export function cfgOf(
  flavour: Partial<I2cVirtFlavour> = {},
  clients = 2,
  capacity = CAP,
): I2cVirtConfig {
  return {
    clients: Array.from({ length: clients }, (_, i) => client(i)),
    capacity,
    flavour: { ...I2C_VIRT_FIXED, ...flavour },
  };
}

export const head = (n: number, a: number): I2cCmd => ({
  payload: i2cHeaderPayload(n, a),
  dataLen: 0,
  flagMask: I2cFlag.HEAD,
});
/** A write of `len` bytes at offset `o` of the client's data region. */
export const write = (o: number, len = 1, flags: number = I2cFlag.STOP): I2cCmd => ({
  payload: CLIENT_VADDR + BigInt(o),
  dataLen: len,
  flagMask: flags,
});
export const read = (o: number, len = 1, flags = 0): I2cCmd => ({
  payload: CLIENT_VADDR + BigInt(o),
  dataLen: len,
  flagMask: I2cFlag.READ | flags,
});
/** A whole transaction: a header for address `a` and `n` one-byte writes. */
export const txn = (a: number, n: number, first = 0): I2cCmd[] => [
  head(n, a),
  ...Array.from({ length: n }, (_, k) => write(first + k)),
];

/** `q` with `cmds` enqueued and committed (the producer published them). */
export function push(q: I2cReqQueueState, cmds: readonly I2cCmd[], capacity = CAP) {
  let s = q;
  for (const c of cmds) {
    const r = i2cStateEnqueueRequest(capacity, s, c);
    expect(r.ok, 'the test fits its queue').toBe(true);
    s = r.state;
  }
  return i2cStateRequestCommit(s);
}

/** The virt as `init` leaves it, then client i owning 0x10 + i. */
export function initial(c: I2cVirtConfig): I2cVirtState {
  const s = i2cVirtInitial(c, {
    clientReq: c.clients.map(() => i2cStateReqInitial(c.capacity)),
    clientResp: c.clients.map(() => i2cStateRespInitial(c.capacity)),
    driverReq: i2cStateReqInitial(c.capacity),
    driverResp: i2cStateRespInitial(c.capacity),
  });
  const security = [...s.security];
  c.clients.forEach((_, i) => (security[0x10 + i] = i));
  return { ...s, security };
}

/** Client `c` commits `cmds` to its request queue. */
export function submit(
  s: I2cVirtState,
  c: number,
  cmds: readonly I2cCmd[],
  capacity = CAP,
): I2cVirtState {
  const clientReq = [...s.clientReq];
  clientReq[c] = push(clientReq[c]!, cmds, capacity);
  return { ...s, clientReq };
}

/**
 * The driver queue already holds `n` committed commands: room taken by earlier work. They are
 * anonymous non-header commands (the driver would discard them); only the room they take matters.
 */
export function driverHolds(s: I2cVirtState, n: number, capacity = CAP): I2cVirtState {
  return { ...s, driverReq: push(s.driverReq, txnFill(n), capacity) };
}
function txnFill(n: number): I2cCmd[] {
  return Array.from({ length: n }, (_, k) => ({
    payload: DRIVER_VADDR + BigInt(k),
    dataLen: 1,
    flagMask: 0,
  }));
}

/** The driver answers `responses` (as if it had finished that many transactions). */
export function driverAnswers(
  s: I2cVirtState,
  responses: readonly I2cResponse[],
  capacity = CAP,
): I2cVirtState {
  let q: I2cRespQueueState = s.driverResp;
  for (const r of responses) {
    const e = i2cStateEnqueueResponse(capacity, q, r);
    expect(e.ok).toBe(true);
    q = e.state;
  }
  return { ...s, driverResp: q };
}

export const ok = (a: number): I2cResponse => ({ errCmd: 0n, busAddress: a, error: I2cErr.OK });

/** The driver takes every whole transaction and answers OK; returns their addresses. */
export function driverRound(c: I2cVirtConfig, s: I2cVirtState) {
  let q = s.driverReq;
  let resp = s.driverResp;
  const addrs: number[] = [];
  for (;;) {
    const t = driverTake(c.capacity, q);
    q = t.state;
    if (t.kind !== 'transaction') break;
    addrs.push(t.transaction.address);
    const e = i2cStateEnqueueResponse(c.capacity, resp, ok(t.transaction.address));
    expect(e.ok).toBe(true);
    resp = e.state;
  }
  return { s: { ...s, driverReq: q, driverResp: resp }, addrs };
}

/** Client `c`'s responses, taken out of its queue. */
export function responses(c: I2cVirtConfig, s: I2cVirtState, k: number) {
  let q = s.clientResp[k]!;
  const out: I2cResponse[] = [];
  for (;;) {
    const d = i2cStateDequeueResponse(c.capacity, q);
    if (d.item === null) break;
    out.push(d.item);
    q = d.state;
  }
  const clientResp = [...s.clientResp];
  clientResp[k] = q;
  return { s: { ...s, clientResp }, out };
}

/** The committed commands of the driver queue, in order. */
export function driverItems(c: I2cVirtConfig, s: I2cVirtState): readonly I2cCmd[] {
  return i2cStateReqAbstraction(c.capacity, s.driverReq).items;
}

/** Commands still committed in client `k`'s request queue. */
export function clientItems(c: I2cVirtConfig, s: I2cVirtState, k: number): readonly I2cCmd[] {
  return i2cStateReqAbstraction(c.capacity, s.clientReq[k]!).items;
}

export const fromClient = (k: number) => ({ kind: 'client', client: k }) as const;
export const fromDriver = { kind: 'driver' } as const;
export { virtNotified };
