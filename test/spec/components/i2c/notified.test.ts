// The virt's `notified` (spec/components/i2c/virt.ts virtNotified, the fixed flavour; upstream
// au-ts/sddf 650ace5d i2c/components/virt.c notified(), process_request(), process_response()) on
// hand-set states. Pre: the virt's state (owners, deferred queue, every queue's indices and
// contents) and who notified. Post, per entry:
//  - driver: every response goes to the client owning its bus address now (dropped when no one
//    does, or its queue is full), and that client is notified; a client's notify reads no response;
//  - then the deferred entries, oldest first, while the one in front fits; an entry that still does
//    not fit keeps its place, and once a transaction is deferred the service stops (upstream:
//    `driver_q_exhausted`, break);
//  - then the notifying client: its queue is read (refuse, commit, or defer the header) — or, while
//    work is deferred, it is queued behind once, its commands left unread;
//  - a transaction reaches the driver queue whole or not at all; each refusal answers the client
//    with one error response carrying the header's address.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../../spec/common/assert.ts';
import { transactionsProblem } from '../../../../spec/components/i2c/invariants.ts';
import { BUS_UNCLAIMED } from '../../../../spec/components/i2c/virt.ts';
import { I2cErr, I2cFlag, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import { i2cStateReqInitial } from '../../../../spec/queue/i2c-state.ts';
import {
  CAP,
  cfgOf,
  clientItems,
  driverAnswers,
  driverHolds,
  driverItems,
  fromClient,
  fromDriver,
  head,
  initial,
  ok,
  responses,
  submit,
  txn,
  virtNotified,
  write,
} from './rig.ts';

const c2 = cfgOf();
const errorsTo = (s: Parameters<typeof responses>[1], k: number) =>
  responses(c2, s, k).out.map((r) => [r.error, r.busAddress]);

describe('i2c virt notified by the driver: responses', () => {
  it('delivers each response to the owner of its address and notifies only owners', () => {
    const s = driverAnswers(initial(c2), [ok(0x11), ok(0x10), ok(0x11)]);
    const r = virtNotified(c2, s, fromDriver);
    expect(r.effects).toMatchObject({ notifiedClients: [0, 1], notifiedDriver: false, dropped: 0 });
    expect(responses(c2, r.state, 0).out).toEqual([ok(0x10)]);
    expect(responses(c2, r.state, 1).out).toEqual([ok(0x11), ok(0x11)]);
    expect(r.state.driverResp.head).toBe(r.state.driverResp.tail);
  });

  it('drops a response whose address no one owns (released, or above 0x7f in the u8)', () => {
    const s = driverAnswers(initial(c2), [ok(0x50), ok(0xff), ok(0x80), ok(0x10)]);
    const r = virtNotified(c2, s, fromDriver);
    expect(r.effects.dropped).toBe(3);
    expect(r.effects.notifiedClients).toEqual([0]);
    expect(responses(c2, r.state, 0).out).toEqual([ok(0x10)]);
    expect(responses(c2, r.state, 1).out).toEqual([]);
  });

  it('drops a response when the client response queue is full, and still notifies it', () => {
    let s = driverAnswers(initial(c2), Array<ReturnType<typeof ok>>(CAP - 1).fill(ok(0x10)));
    s = virtNotified(c2, s, fromDriver).state; // client 0's queue now full
    const r = virtNotified(c2, driverAnswers(s, [ok(0x10)]), fromDriver);
    expect(r.effects).toMatchObject({ dropped: 1, notifiedClients: [0] });
    expect(responses(c2, r.state, 0).out).toHaveLength(CAP - 1);
  });

  it("a client's notify leaves the driver's responses unread", () => {
    const s = driverAnswers(initial(c2), [ok(0x10)]);
    const r = virtNotified(c2, s, fromClient(0));
    expect(r.state.driverResp).toEqual(s.driverResp);
    expect(r.effects.notifiedClients).toEqual([]);
  });
});

describe('i2c virt notified by a client: refusals', () => {
  it('a malformed header is answered MALFORMED_HEADER; its body is discarded; the next one runs', () => {
    const bad: I2cCmd = { ...head(1, 0x10), flagMask: I2cFlag.HEAD | I2cFlag.READ };
    const zero = head(0, 0x10);
    const s = submit(initial(c2), 0, [bad, write(0), zero, ...txn(0x10, 1)]);
    const r = virtNotified(c2, s, fromClient(0));
    expect(r.effects.errors).toEqual([I2cErr.MALFORMED_HEADER, I2cErr.MALFORMED_HEADER]);
    expect(r.effects.committed).toBe(1);
    expect(errorsTo(r.state, 0)).toEqual([
      [I2cErr.MALFORMED_HEADER, 0x10],
      [I2cErr.MALFORMED_HEADER, 0x10],
    ]);
    expect(driverItems(c2, r.state)).toHaveLength(2);
    expect(clientItems(c2, r.state, 0)).toEqual([]);
  });

  it('an address the client does not own is UNPERMITTED_ADDR, carrying the u8 address', () => {
    const s = submit(initial(c2), 0, [
      ...txn(0x11, 1), // client 1's
      ...txn(0x50, 1), // no one's
      head(1, 0xff), // not a 7-bit address
    ]);
    const r = virtNotified(c2, s, fromClient(0));
    expect(r.effects.committed).toBe(0);
    expect(r.effects.notifiedDriver).toBe(false);
    expect(errorsTo(r.state, 0)).toEqual([
      [I2cErr.UNPERMITTED_ADDR, 0x11],
      [I2cErr.UNPERMITTED_ADDR, 0x50],
      [I2cErr.UNPERMITTED_ADDR, 0xff],
    ]);
    expect(r.state.driverReq).toEqual(s.driverReq);
  });

  it('address 0x7f, once owned, is served', () => {
    const s0 = initial(c2);
    const security = [...s0.security];
    security[0x7f] = 1;
    const r = virtNotified(c2, submit({ ...s0, security }, 1, txn(0x7f, 2)), fromClient(1));
    expect(r.effects).toMatchObject({ committed: 1, errors: [], notifiedDriver: true });
    expect(driverItems(c2, r.state).map((c) => c.flagMask)).toEqual([
      I2cFlag.HEAD,
      I2cFlag.STOP,
      I2cFlag.STOP,
    ]);
  });

  it('a header claiming more than the client committed is MALFORMED_TRANSACTION', () => {
    const s = submit(initial(c2), 0, [head(3, 0x10), write(0)]);
    const r = virtNotified(c2, s, fromClient(0));
    expect(r.effects.errors).toEqual([I2cErr.MALFORMED_TRANSACTION]);
    expect(errorsTo(r.state, 0)).toEqual([[I2cErr.MALFORMED_TRANSACTION, 0x10]]);
    expect(r.state.driverReq).toEqual(s.driverReq);
    expect(clientItems(c2, r.state, 0)).toEqual([]);
  });

  it('a bad body command aborts the staged part only: earlier commits stay', () => {
    const s = submit(initial(c2), 0, [...txn(0x10, 1), head(2, 0x10), write(0), write(0x100)]);
    const r = virtNotified(c2, s, fromClient(0));
    expect(r.effects.committed).toBe(1);
    expect(r.state.driverReq.stagedTail).toBe(r.state.driverReq.tail);
    expect(driverItems(c2, r.state)).toHaveLength(2);
    expect(transactionsProblem(driverItems(c2, r.state), c2.clients)).toBe(null);
  });

  it('a client index the configuration lacks is our bug', () => {
    for (const k of [-1, 2])
      expect(() => virtNotified(c2, initial(c2), fromClient(k))).toThrow(
        new InvariantError(`client ${k} exists`),
      );
  });
});

/**
 * Client 0 has a transaction of 2 deferred (the driver queue was full) with a transaction of 3
 * behind it in its queue; client 1 has a transaction of 1 and waits behind client 0.
 */
function twoWaiting() {
  let s = driverHolds(initial(c2), CAP - 1);
  s = submit(s, 0, [...txn(0x10, 2), ...txn(0x10, 3, 4)]);
  let r = virtNotified(c2, s, fromClient(0));
  expect(r.effects.committed).toBe(0);
  s = submit(r.state, 1, txn(0x11, 1));
  r = virtNotified(c2, s, fromClient(1));
  expect(r.effects.committed).toBe(0);
  expect(r.state.deferred.map((e) => [e.client, e.header])).toEqual([
    [0, head(2, 0x10)],
    [1, null],
  ]);
  return r.state;
}
/** The driver took all but one of the commands in its queue. */
const drained = (s: ReturnType<typeof twoWaiting>) =>
  driverHolds({ ...s, driverReq: i2cStateReqInitial(CAP, s.driverReq.tail) }, 1);

describe('i2c virt: deferred work', () => {
  it('an entry that still does not fit keeps its place; nothing behind it overtakes', () => {
    const s = twoWaiting();
    const r = virtNotified(c2, s, fromDriver);
    expect(r.effects.committed).toBe(0);
    expect(r.state.deferred).toEqual(s.deferred);
    expect(r.state.clientReq).toEqual(s.clientReq);
  });

  it('while work waits, a client is queued once, and only with commands to serve', () => {
    let s = twoWaiting();
    s = submit(s, 0, [write(9)]);
    s = submit(s, 1, txn(0x11, 1));
    for (const k of [0, 1, 0]) {
      const r = virtNotified(c2, s, fromClient(k));
      expect(r.state.deferred).toEqual(s.deferred);
      expect(r.state.clientReq).toEqual(s.clientReq);
      s = r.state;
    }
    // Client 1 alone waiting, client 0 notifies with nothing committed: it is not queued.
    let t = driverHolds(initial(c2), CAP - 1);
    t = submit(t, 1, txn(0x11, 2));
    t = virtNotified(c2, t, fromClient(1)).state;
    const r = virtNotified(c2, t, fromClient(0));
    expect(r.state.deferred.map((e) => e.client)).toEqual([1]);
  });

  it('serves the front entry when it fits; a transaction deferred again ends the service', () => {
    const s = drained(twoWaiting());
    const r = virtNotified(c2, s, fromDriver);
    // Client 0's transaction of 2 goes (3 slots of the 6 free); its next, of 3, needs 4 of the 3
    // left: deferred behind client 1, which is not served now though its 2 would fit.
    expect(r.effects.committed).toBe(1);
    expect(
      driverItems(c2, r.state)
        .slice(1)
        .map((c) => c.payload),
    ).toEqual([head(2, 0x10).payload, 0x1000_0000n, 0x1000_0001n]);
    expect(r.state.deferred.map((e) => [e.client, e.header])).toEqual([
      [1, null],
      [0, head(3, 0x10)],
    ]);
    expect(clientItems(c2, r.state, 1)).toEqual(txn(0x11, 1));
    expect(r.effects.notifiedDriver).toBe(true);
  });

  it('... and a client notifying then still waits its turn, though its transaction would fit', () => {
    const s = drained(twoWaiting());
    const r = virtNotified(c2, s, fromClient(1));
    expect(r.effects.committed).toBe(1);
    expect(r.state.deferred.map((e) => e.client)).toEqual([1, 0]);
    expect(clientItems(c2, r.state, 1)).toEqual(txn(0x11, 1));
  });

  it('ownership is checked again when a deferred transaction resumes', () => {
    let s = drained(twoWaiting());
    const security = [...s.security];
    security[0x10] = BUS_UNCLAIMED; // client 0 released 0x10 meanwhile
    s = { ...s, security };
    const r = virtNotified(c2, s, fromDriver);
    expect(r.effects.errors).toEqual([I2cErr.UNPERMITTED_ADDR, I2cErr.UNPERMITTED_ADDR]);
    // Client 1 was served after client 0's refused work.
    expect(r.effects.committed).toBe(1);
    expect(driverItems(c2, r.state)[1]).toEqual(head(1, 0x11));
    expect(r.state.deferred).toEqual([]);
  });

  it('a deferred entry holding anything but a validated header is our bug', () => {
    for (const header of [write(0), { ...head(1, 0x10), payload: 0x10n << 16n }]) {
      const s = { ...initial(c2), deferred: [{ client: 0, header, numCmds: 0 }] };
      expect(() => virtNotified(c2, s, fromDriver)).toThrow(InvariantError);
    }
  });
});
