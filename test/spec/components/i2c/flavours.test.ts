// The re-created upstream bugs of the I²C virt (spec/components/i2c/virt.ts flavours U2, U3;
// upstream au-ts/sddf 650ace5d i2c/components/virt.c) on hand-set states: each does what the
// upstream code did before its fix, and the fixed flavour does not.
//  - U3: the room test `CAP − length < batch_len + 1` admits one command more than fits, and the
//    transmit loop `i <= intermediary_idx` sends one stale command after each transaction; an
//    enqueue that then fails is upstream's `assert(!err)`: the virt crashes (assertFailure) and
//    does nothing more in that notification.
//  - U2: deferred entries are peeked, never popped; the retry guard gives up when num_cmds exceeds
//    the driver queue's *length*; while an entry waits, a notifying client's next header is
//    deferred unconditionally (force_defer), and a client already queued has its work discarded
//    with I2C_ERR_OTHER.
import { describe, expect, it } from 'vitest';
import { I2cErr, I2cFlag, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import { i2cStateReqInitial } from '../../../../spec/queue/i2c-state.ts';
import type { I2cVirtState } from '../../../../spec/components/i2c/virt.ts';
import {
  CAP,
  cfgOf,
  clientItems,
  driverHolds,
  driverItems,
  fromClient,
  fromDriver,
  head,
  initial,
  responses,
  submit,
  txn,
  virtNotified,
  write,
} from './rig.ts';

const U3 = cfgOf({ transmit: 'U3' });
const FIXED = cfgOf();
const U2 = cfgOf({ deferred: 'U2' });
const STALE: I2cCmd = { payload: 0n, dataLen: 0, flagMask: 0 };
/** The driver took its queue down to `left` commands. */
const drainedTo = (s: I2cVirtState, left: number): I2cVirtState =>
  driverHolds({ ...s, driverReq: i2cStateReqInitial(CAP, s.driverReq.tail) }, left);

describe('U3: one command too many', () => {
  it('a stale zeroed command follows every committed transaction', () => {
    const r = virtNotified(U3, submit(initial(U3), 0, txn(0x10, 1)), fromClient(0));
    expect(r.effects.committed).toBe(1);
    expect(driverItems(U3, r.state)).toEqual([
      head(1, 0x10),
      { ...write(0), payload: 0x1000_0000n },
      STALE,
    ]);
  });

  it('the room test admits capacity − length ≥ batch_len + 1; the body then overflows: a crash', () => {
    // 1 held + header + 6 = 8 commands for 7 slots.
    const s = submit(driverHolds(initial(U3), 1), 0, txn(0x10, 6));
    const r = virtNotified(U3, s, fromClient(0));
    expect(r.effects.assertFailure).toMatch(/i2c_enqueue_request to the driver failed/);
    expect(r.effects.committed).toBe(0);
    expect(r.state.driverReq).toMatchObject({ tail: 1, stagedTail: 1 });
    // The fixed virt defers the same transaction.
    const f = virtNotified(FIXED, s, fromClient(0));
    expect(f.effects.assertFailure).toBe(null);
    expect(f.state.deferred.map((e) => e.header)).toEqual([head(6, 0x10)]);
  });

  it('one more command held and the room test defers too', () => {
    const s = submit(driverHolds(initial(U3), 2), 0, txn(0x10, 6));
    const r = virtNotified(U3, s, fromClient(0));
    expect(r.effects.assertFailure).toBe(null);
    expect(r.state.deferred.map((e) => e.header)).toEqual([head(6, 0x10)]);
    expect(r.state.driverReq).toEqual(s.driverReq);
  });

  it('header and body fit exactly: the stale command overflows, nothing is committed', () => {
    const r = virtNotified(U3, submit(initial(U3), 0, txn(0x10, 6)), fromClient(0));
    expect(r.effects.assertFailure).toMatch(/transmit_intermediary overflowed/);
    expect(r.state.driverReq).toMatchObject({ tail: 0, stagedTail: 0 });
    expect(r.effects.notifiedDriver).toBe(false);
  });

  it('after the crash the client queue is read no further', () => {
    const s = submit(driverHolds(initial(U3), 2), 0, [...txn(0x10, 4), ...txn(0x10, 1)]);
    const r = virtNotified(U3, s, fromClient(0));
    expect(r.effects.assertFailure).toMatch(/overflowed/);
    expect(r.effects.committed).toBe(0);
    expect(clientItems(U3, r.state, 0)).toEqual(txn(0x10, 1));
  });

  it('a crash while serving deferred work ends the notification: nothing served or queued after', () => {
    const c = cfgOf({ transmit: 'U3' });
    let s = submit(driverHolds(initial(c), CAP - 1), 0, txn(0x10, 4));
    s = virtNotified(c, s, fromClient(0)).state;
    s = virtNotified(c, submit(s, 1, txn(0x11, 1)), fromClient(1)).state;
    expect(s.deferred.map((e) => e.client)).toEqual([0, 1]);
    // 2 held: U3 admits client 0's 5 commands, and its stale sixth overflows.
    s = submit(drainedTo(s, 2), 0, txn(0x10, 1));
    const r = virtNotified(c, s, fromClient(0));
    expect(r.effects.assertFailure).toMatch(/overflowed/);
    expect(r.effects.committed).toBe(0);
    expect(r.state.deferred.map((e) => e.client)).toEqual([1]);
    expect(clientItems(c, r.state, 1)).toEqual(txn(0x11, 1));
    expect(clientItems(c, r.state, 0)).toEqual(txn(0x10, 1));
  });
});

describe('U2: the deferred queue that never shrinks', () => {
  it('serves the peeked entry once per notification while num_cmds ≤ the driver queue length', () => {
    const c = cfgOf({ deferred: 'U2' }, 1);
    // Deferred with num_cmds 3 (its body and two more commands behind the header).
    let s = submit(driverHolds(initial(c), CAP - 1), 0, [...txn(0x10, 1), write(1), write(2)]);
    s = virtNotified(c, s, fromClient(0)).state;
    expect(s.deferred).toEqual([{ client: 0, header: head(1, 0x10), numCmds: 3 }]);
    const r = virtNotified(c, drainedTo(s, 3), fromDriver);
    expect(r.effects).toMatchObject({ committed: 1, errors: [] });
    expect(r.state.deferred).toEqual(s.deferred);
    expect(clientItems(c, r.state, 0)).toEqual([write(1), write(2)]);
    // num_cmds 3 > 2 commands in the driver queue: upstream gives up.
    const g = virtNotified(c, drainedTo(s, 2), fromDriver);
    expect(g.effects.committed).toBe(0);
  });

  /** Client 0's transaction of 1 is deferred with num_cmds 1; the driver then holds `left`. */
  function waiting(left: number) {
    let s = submit(driverHolds(initial(U2), CAP - 1), 0, txn(0x10, 1));
    s = virtNotified(U2, s, fromClient(0)).state;
    return drainedTo(s, left);
  }

  it('force_defer: a notifying client discards non-headers, answers bad headers, defers the next header', () => {
    const bad: I2cCmd = { ...head(1, 0x11), flagMask: I2cFlag.HEAD | I2cFlag.STOP };
    const s = submit(waiting(1), 1, [write(7), bad, ...txn(0x11, 1)]);
    const r = virtNotified(U2, s, fromClient(1));
    // Client 0's entry is served (and stays); client 1's transaction would fit, but is deferred.
    expect(r.effects.committed).toBe(1);
    expect(r.effects.errors).toEqual([I2cErr.MALFORMED_HEADER]);
    expect(r.state.deferred).toEqual([
      { client: 0, header: head(1, 0x10), numCmds: 1 },
      { client: 1, header: head(1, 0x11), numCmds: 1 },
    ]);
    expect(clientItems(U2, r.state, 1)).toEqual([write(0)]);
    expect(responses(U2, r.state, 1).out.map((x) => [x.error, x.busAddress])).toEqual([
      [I2cErr.MALFORMED_HEADER, 0x11],
    ]);
  });

  it('force_defer with no header in the queue discards it all and defers nothing', () => {
    const s = submit(waiting(1), 1, [write(7), write(8)]);
    const r = virtNotified(U2, s, fromClient(1));
    expect(r.state.deferred.map((e) => e.client)).toEqual([0]);
    expect(clientItems(U2, r.state, 1)).toEqual([]);
    expect(r.effects.errors).toEqual([]);
  });

  it('a client already queued has its next transaction discarded with I2C_ERR_OTHER', () => {
    let s = submit(waiting(1), 1, txn(0x11, 1));
    s = virtNotified(U2, s, fromClient(1)).state;
    expect(s.deferred.map((e) => e.client)).toEqual([0, 1]);
    s = submit(s, 1, [...txn(0x11, 2), write(5)]);
    const r = virtNotified(U2, s, fromClient(1));
    expect(r.state.deferred).toEqual(s.deferred);
    expect(r.effects.errors).toContain(I2cErr.OTHER);
    expect(responses(U2, r.state, 1).out.map((x) => [x.error, x.busAddress])).toEqual([
      [I2cErr.OTHER, 0x11],
    ]);
  });

  it('an entry that does not fit blocks: the notifying client is force-deferred, not served', () => {
    // Client 0's transaction of 2 (num_cmds 2) waits; the driver holds 5: 2 ≤ 5, but 3 do not fit.
    let s = submit(driverHolds(initial(U2), CAP - 1), 0, txn(0x10, 2));
    s = drainedTo(virtNotified(U2, s, fromClient(0)).state, 5);
    const r = virtNotified(U2, submit(s, 1, txn(0x11, 1)), fromClient(1));
    expect(r.effects.committed).toBe(0);
    expect(r.state.deferred.map((e) => [e.client, e.header])).toEqual([
      [0, head(2, 0x10)],
      [1, head(1, 0x11)],
    ]);
  });
});
