// The serial virtualisers' handlers on abstract state (spec/components/serial-handlers.ts;
// virt_tx.c and virt_rx.c at au-ts/sddf 650ace5d, ADR 023's hardening): one `notified(ch)` on a
// hand-set state, its post-state, the notifications in order and the counted events.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  absVirtTxInitial,
  virtRxNotified,
  virtTxNotified,
  type AbsSerialQueue,
  type AbsVirtTx,
} from '../../../../spec/components/serial-handlers.ts';
import {
  COLOUR_END,
  RX_SWITCH_INITIAL,
  colourBegin,
  rxSwitchStep,
  txPendingInitial,
  txPendingPush,
  type TxPending,
} from '../../../../spec/components/serial-virt.ts';

const q = (bytes: number[], capacity: number, o: Partial<AbsSerialQueue> = {}): AbsSerialQueue => ({
  bytes,
  capacity,
  wantsSignal: false,
  corrupt: false,
  ...o,
});
const chs = { driver: 0, clients: [1, 2, 3] };

function pendingOf(n: number, ...ks: number[]): TxPending {
  let p = txPendingInitial(n);
  for (const k of ks) {
    const r = txPendingPush(p, k);
    if (!('pending' in r)) throw new Error(r.broken);
    p = r.pending;
  }
  return p;
}

describe('absVirtTxInitial', () => {
  it('nothing pending; split on unless asked off', () => {
    const s = absVirtTxInitial(q([], 4), [q([], 2), q([], 2)], true);
    expect(s.pending).toStrictEqual(txPendingInitial(2));
    expect(s.split).toBe(true);
    expect(s.colour).toBe(true);
    expect(absVirtTxInitial(q([], 4), [q([], 2)], false, false).split).toBe(false);
  });
});

describe('virt_tx tx_provide', () => {
  it('fits: moves the bytes, notifies the driver, then the client if it asked (and clears it)', () => {
    const s = absVirtTxInitial(q([9], 8), [q([1, 2], 4, { wantsSignal: true }), q([5], 4)], false);
    const r = virtTxNotified(s, 1, chs);
    expect(r.state.driver.bytes).toEqual([9, 1, 2]);
    expect(r.state.clients[0]).toEqual(q([], 4));
    expect(r.state.clients[1]).toBe(s.clients[1]);
    expect(r.notified).toEqual([0, 1]);
    expect(r.events).toEqual(['transfer']);
    expect(s.driver.bytes).toEqual([9]); // the pre-state is a value
  });

  it('colour: the client data between its begin code and the end code', () => {
    const s = absVirtTxInitial(q([], 32), [q([], 4), q([7], 4)], true);
    const r = virtTxNotified(s, 2, chs);
    expect(r.state.driver.bytes).toEqual([...colourBegin(1), 7, ...COLOUR_END]);
    expect(r.notified).toEqual([0]); // client 1 did not ask
  });

  it('exactly the free space fits; one byte more waits in tx_pending with the driver asked', () => {
    const s = absVirtTxInitial(q([0, 0], 4), [q([1, 2], 4, { wantsSignal: true })], false);
    expect(virtTxNotified(s, 1, chs).state.driver.bytes).toEqual([0, 0, 1, 2]);
    const t = absVirtTxInitial(q([0, 0, 0], 4), [q([1, 2], 4, { wantsSignal: true })], false);
    const r = virtTxNotified(t, 1, chs);
    expect(r.state.driver).toEqual(q([0, 0, 0], 4, { wantsSignal: true }));
    expect(r.state.clients[0]!.bytes).toEqual([1, 2]);
    expect(r.state.pending).toStrictEqual(pendingOf(1, 0));
    expect(r.notified).toEqual([]);
    expect(r.events).toEqual([]);
  });

  it('an empty client queue: nothing at all', () => {
    const s = absVirtTxInitial(q([], 4), [q([], 4, { wantsSignal: true })], false);
    const r = virtTxNotified(s, 1, chs);
    expect(r).toEqual({ state: s, notified: [], events: [] });
  });

  it('a corrupt client queue is not read; a corrupt driver queue has no room', () => {
    const s = absVirtTxInitial(q([], 4), [q([1], 4, { corrupt: true, wantsSignal: true })], false);
    const r = virtTxNotified(s, 1, chs);
    expect(r.events).toEqual(['corruptQueue']);
    expect(r.notified).toEqual([]);
    expect(r.state.driver.bytes).toEqual([]);
    const t = absVirtTxInitial(q([], 4, { corrupt: true }), [q([1], 4)], false, false);
    const u = virtTxNotified(t, 1, chs);
    expect(u.state.driver.bytes).toEqual([]);
    expect(u.state.pending).toStrictEqual(pendingOf(1, 0));
  });

  it('an unknown channel is counted and changes nothing', () => {
    const s = absVirtTxInitial(q([], 4), [q([1], 4)], false);
    const r = virtTxNotified(s, 7, chs);
    expect(r.events).toEqual(['unknownChannel']);
    expect(r.state).toEqual(s);
    expect(r.notified).toEqual([]);
  });
});

describe('virt_tx F11 split (ADR 023)', () => {
  // Colour on, driver capacity 12: 3 bytes of data fit with the 9 of codes.
  const big = [1, 2, 3, 4, 5];
  it('data that never fits whole goes in chunks into an empty driver queue; the rest pends', () => {
    const s = absVirtTxInitial(q([], 12), [q(big, 8, { wantsSignal: true })], true);
    const r = virtTxNotified(s, 1, chs);
    expect(r.state.driver.bytes).toEqual([...colourBegin(0), 1, 2, 3, ...COLOUR_END]);
    expect(r.state.driver.wantsSignal).toBe(true);
    expect(r.state.clients[0]!.bytes).toEqual([4, 5]);
    expect(r.state.pending).toStrictEqual(pendingOf(1, 0));
    expect(r.events).toEqual(['split', 'transfer']);
    expect(r.notified).toEqual([0, 1]);
  });

  it('not split: split off, a driver queue not empty, data that fits some day, no room for a byte', () => {
    const cases: AbsVirtTx[] = [
      absVirtTxInitial(q([], 12), [q(big, 8)], true, false),
      absVirtTxInitial(q([0], 12), [q(big, 8)], true),
      // 3 bytes + 9 = 12: fits an empty queue whole (needed == capacity is not "never").
      absVirtTxInitial(q([0], 12), [q([1, 2, 3], 8)], true),
      absVirtTxInitial(q([], 9), [q([1], 8)], true),
    ];
    for (const s of cases) {
      const r = virtTxNotified(s, 1, chs);
      expect(r.events).toEqual([]);
      expect(r.state.driver.bytes).toEqual(s.driver.bytes);
      expect(r.state.pending).toStrictEqual(pendingOf(1, 0));
    }
  });

  it('a corrupt driver queue (a lying driver) is never "empty": no split, the client pends', () => {
    // The abstraction gives a corrupt queue no bytes; impl/components/serial/virt_tx.ts splits
    // only when free() equals the capacity, and a corrupt queue has no free space.
    const s = absVirtTxInitial(q([], 12, { corrupt: true }), [q(big, 8)], true);
    const r = virtTxNotified(s, 1, chs);
    expect(r.events).toEqual([]);
    expect(r.state.driver).toEqual(q([], 12, { corrupt: true, wantsSignal: true }));
    expect(r.state.clients[0]!.bytes).toEqual(big);
    expect(r.state.pending).toStrictEqual(pendingOf(1, 0));
    expect(r.notified).toEqual([]);
  });

  it('just inside: 10 bytes of capacity take one byte per chunk', () => {
    const s = absVirtTxInitial(q([], 10), [q([1, 2], 8)], true);
    const r = virtTxNotified(s, 1, chs);
    expect(r.state.driver.bytes).toEqual([...colourBegin(0), 1, ...COLOUR_END]);
    expect(r.state.clients[0]!.bytes).toEqual([2]);
  });
});

describe('virt_tx on an inconsistent tx_pending (our bug)', () => {
  // One entry queued, yet the client's bit clear: the push finds the FIFO full.
  const broken: TxPending = { queue: [0, 0], pending: [false], head: 0, tail: 1 };
  it('a push that the C would assert on is an InvariantError with its reason', () => {
    const s: AbsVirtTx = {
      ...absVirtTxInitial(q([0, 0, 0], 4), [q([1, 2], 4)], false),
      pending: broken,
    };
    expect(() => virtTxNotified(s, 1, chs)).toThrow('tx_pending_push: 1 clients already pending');
  });
  it('a pop past the entries (head beyond the array) is an InvariantError with its reason', () => {
    const s: AbsVirtTx = {
      ...absVirtTxInitial(q([], 4), [q([1], 4)], false),
      pending: { queue: [0, 0], pending: [true], head: 2, tail: 1 },
    };
    expect(() => virtTxNotified(s, 0, chs)).toThrow(
      'tx_pending_pop: queue[2] is past the 2 entries',
    );
  });
  it('the same on the split path', () => {
    const s: AbsVirtTx = {
      ...absVirtTxInitial(q([], 10), [q([1, 2], 8)], true),
      pending: broken,
    };
    expect(() => virtTxNotified(s, 1, chs)).toThrow('tx_pending_push: 1 clients already pending');
  });
});

describe('virt_tx tx_return', () => {
  it('retries the clients pending at entry in FIFO order, notifies the driver once, then clients in index order', () => {
    const s: AbsVirtTx = {
      ...absVirtTxInitial(
        q([], 8),
        [q([1], 4, { wantsSignal: true }), q([], 4), q([3, 3], 4, { wantsSignal: true })],
        false,
      ),
      pending: pendingOf(3, 2, 1, 0),
    };
    const r = virtTxNotified(s, 0, chs);
    expect(r.state.driver.bytes).toEqual([3, 3, 1]);
    expect(r.notified).toEqual([0, 1, 3]);
    expect(r.events).toEqual(['transfer', 'transfer']);
    expect(r.state.pending).toStrictEqual({
      queue: [2, 1, 0, 0],
      pending: [false, false, false],
      head: 3,
      tail: 3,
    });
    expect(r.state.clients.map((c) => c.wantsSignal)).toEqual([false, false, false]);
  });

  it('a client that did not transfer is not notified; no transfer, no driver notify', () => {
    const s: AbsVirtTx = {
      ...absVirtTxInitial(q([0, 0, 0], 4), [q([1, 2], 4, { wantsSignal: true })], false),
      pending: pendingOf(1, 0),
    };
    const r = virtTxNotified(s, 0, chs);
    expect(r.notified).toEqual([]);
    expect(r.state.pending).toStrictEqual({ ...pendingOf(1, 0), head: 1, tail: 0, queue: [0, 0] });
    // pushed back: pending again, once
    expect(r.state.pending.pending).toEqual([true]);
    expect(r.state.clients[0]!.wantsSignal).toBe(true);
  });

  it('a transferred client that did not ask is not notified; a corrupt one never', () => {
    const s: AbsVirtTx = {
      ...absVirtTxInitial(
        q([], 8),
        [q([1], 4), q([2], 4, { corrupt: true, wantsSignal: true })],
        false,
      ),
      pending: pendingOf(2, 0, 1),
    };
    const r = virtTxNotified(s, 0, chs);
    expect(r.notified).toEqual([0]);
    expect(r.events).toEqual(['transfer', 'corruptQueue']);
  });

  it('a client that was not pending is not notified, though it asked', () => {
    const s: AbsVirtTx = {
      ...absVirtTxInitial(q([], 8), [q([], 4, { wantsSignal: true }), q([2], 4)], false),
      pending: pendingOf(2, 1),
    };
    const r = virtTxNotified(s, 0, chs);
    expect(r.notified).toEqual([0]);
    expect(r.state.clients[0]!.wantsSignal).toBe(true);
  });

  it('nothing pending: nothing', () => {
    const s = absVirtTxInitial(q([], 8), [q([1], 4, { wantsSignal: true })], false);
    expect(virtTxNotified(s, 0, chs)).toEqual({ state: s, notified: [], events: [] });
  });
});

describe('virt_rx rx_return', () => {
  const sw = { switchChar: 28, terminateChar: 13 };
  const rx = (driver: AbsSerialQueue, clients: AbsSerialQueue[], current = 0) => ({
    driver,
    clients,
    sw: { ...RX_SWITCH_INITIAL, current },
  });
  const chars = (t: string) => [...t].map((c) => c.charCodeAt(0));

  it('delivers to the current client, empties the driver queue, notifies the client', () => {
    const s = rx(q(chars('ab'), 4), [q([], 4), q([], 4)], 1);
    const r = virtRxNotified(s, 0, chs, sw);
    expect(r.state.clients[1]!.bytes).toEqual(chars('ab'));
    expect(r.state.clients[0]!.bytes).toEqual([]);
    expect(r.state.driver.bytes).toEqual([]);
    expect(r.notified).toEqual([2]);
    expect(r.events).toEqual([]);
    expect(s.driver.bytes).toEqual(chars('ab')); // a value
  });

  it('a switch notifies the old client if it got data, then the new one at the end', () => {
    const s = rx(q([...chars('a'), 28, ...chars('1\rb')], 8), [q([], 4), q([], 4)]);
    const r = virtRxNotified(s, 0, chs, sw);
    expect(r.state.clients.map((c) => c.bytes)).toEqual([chars('a'), chars('b')]);
    expect(r.notified).toEqual([1, 2]);
    expect(r.events).toEqual(['switch']);
    expect(r.state.sw).toEqual({ mode: 'normal', current: 1, digits: '' });
    // Without data before the switch: only the new client.
    const t = rx(q([28, ...chars('1\rb')], 8), [q([], 4), q([], 4)]);
    expect(virtRxNotified(t, 0, chs, sw).notified).toEqual([2]);
    // Data before, none after: only the old client.
    const u = rx(q([...chars('a'), 28, ...chars('1\r')], 8), [q([], 4), q([], 4)]);
    expect(virtRxNotified(u, 0, chs, sw).notified).toEqual([1]);
  });

  it('a full client queue drops (counted); a corrupt one too; exactly full-1 takes one', () => {
    const s = rx(q(chars('xy'), 4), [q([1], 2)]);
    const r = virtRxNotified(s, 0, chs, sw);
    expect(r.state.clients[0]!.bytes).toEqual([1, 120]);
    expect(r.events).toEqual(['dropped']);
    expect(r.notified).toEqual([1]);
    const c = rx(q(chars('x'), 4), [q([], 2, { corrupt: true })]);
    const t = virtRxNotified(c, 0, chs, sw);
    expect(t.events).toEqual(['corruptQueue']);
    expect(t.notified).toEqual([]);
    expect(t.state.clients[0]!.bytes).toEqual([]);
  });

  it('the driver blocked on its full queue is signalled once it is empty, before the client', () => {
    const s = rx(q(chars('a'), 1, { wantsSignal: true }), [q([], 2)]);
    const r = virtRxNotified(s, 0, chs, sw);
    expect(r.state.driver).toEqual(q([], 1));
    expect(r.notified).toEqual([0, 1]);
  });

  it('a corrupt driver queue is not read and not signalled', () => {
    const s = rx(q(chars('a'), 1, { wantsSignal: true, corrupt: true }), [q([], 2)]);
    const r = virtRxNotified(s, 0, chs, sw);
    expect(r.events).toEqual(['corruptQueue']);
    expect(r.state.driver).toBe(s.driver);
    expect(r.notified).toEqual([]);
    expect(r.state.clients[0]!.bytes).toEqual([]);
  });

  it('an unknown channel changes nothing', () => {
    const s = rx(q(chars('a'), 2), [q([], 2)]);
    const r = virtRxNotified(s, 1, chs, sw);
    expect(r).toEqual({ state: s, notified: [], events: ['unknownChannel'] });
    expect(r.state).toBe(s);
  });
});

describe('properties of one handler run (consistent pre-states)', () => {
  const byte = fc.integer({ min: 0, max: 255 });
  const queue = (cap: number) =>
    fc.record({
      bytes: fc.array(byte, { maxLength: cap }),
      capacity: fc.constant(cap),
      wantsSignal: fc.boolean(),
      corrupt: fc.constant(false),
    });

  it('virt_tx tx_provide: bytes are conserved, in order, within capacity; notifies are earned', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.array(queue(8), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 3 }),
        (drvCap, clients, colour, split, pick, pend) => {
          const n = clients.length;
          const k = pick % n;
          const driver = {
            bytes: [] as number[],
            capacity: drvCap,
            wantsSignal: false,
            corrupt: false,
          };
          const s: AbsVirtTx = {
            ...absVirtTxInitial(driver, clients, colour, split),
            pending: pendingOf(n, ...pend.map((x) => x % n)),
          };
          const r = virtTxNotified(s, chs.clients[k]!, chs);
          const before = s.clients[k]!.bytes;
          const after = r.state.clients[k]!.bytes;
          const moved = before.slice(0, before.length - after.length);
          // The client's queue lost a prefix, which the driver queue gained (inside colour codes).
          expect([...moved, ...after]).toEqual(before);
          const wrap =
            colour && moved.length > 0 ? [...colourBegin(k), ...moved, ...COLOUR_END] : moved;
          expect(r.state.driver.bytes).toEqual(wrap);
          expect(r.state.driver.bytes.length).toBeLessThanOrEqual(drvCap);
          // Only client k changed.
          r.state.clients.forEach((c, i) => {
            if (i !== k) expect(c).toBe(s.clients[i]);
          });
          // Notifications: the driver iff something moved, first; client k iff it moved and asked.
          const transferred = moved.length > 0;
          const asked = s.clients[k]!.wantsSignal;
          expect(r.notified).toEqual([
            ...(transferred ? [chs.driver] : []),
            ...(transferred && asked ? [chs.clients[k]!] : []),
          ]);
          expect(r.state.clients[k]!.wantsSignal).toBe(asked && !transferred);
          // Bytes left behind wait in tx_pending for the driver's signal, and the driver was asked.
          if (after.length > 0) {
            expect(r.state.pending.pending[k]).toBe(true);
            expect(r.state.driver.wantsSignal).toBe(true);
          }
        },
      ),
    );
  });

  it('virt_rx rx_return: the driver queue empties; each byte delivered, dropped or consumed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(byte, fc.constantFrom(28, 13, 0x30, 0x31, 0x32)), { maxLength: 16 }),
        fc.array(queue(4), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        (input, clients, cur) => {
          const n = clients.length;
          const sw0 = { ...RX_SWITCH_INITIAL, current: cur % n };
          const s = {
            driver: { bytes: input, capacity: 16, wantsSignal: false, corrupt: false },
            clients,
            sw: sw0,
          };
          const cfg = { switchChar: 28, terminateChar: 13 };
          const r = virtRxNotified(s, 0, chs, cfg);
          expect(r.state.driver.bytes).toEqual([]);
          // The switch machine folded over the input, as virt_rx.c runs it.
          let sw = sw0;
          const delivered: number[][] = clients.map(() => []);
          for (const c of input) {
            const step = rxSwitchStep(sw, c, { ...cfg, numClients: n });
            sw = step.next;
            if (step.action.kind === 'deliver') delivered[sw.current]!.push(step.action.byte);
          }
          expect(r.state.sw).toEqual(sw);
          let dropped = 0;
          r.state.clients.forEach((c, i) => {
            const before = clients[i]!.bytes;
            expect(c.bytes.slice(0, before.length)).toEqual(before);
            const added = c.bytes.slice(before.length);
            // What arrived is a prefix of what was meant for it: the rest met a full queue.
            expect(added).toEqual(delivered[i]!.slice(0, added.length));
            expect(c.bytes.length).toBeLessThanOrEqual(c.capacity);
            if (added.length < delivered[i]!.length) expect(c.bytes.length).toBe(c.capacity);
            dropped += delivered[i]!.length - added.length;
          });
          expect(r.events.filter((e) => e === 'dropped')).toHaveLength(dropped);
        },
      ),
    );
  });
});
