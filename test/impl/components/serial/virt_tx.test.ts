// serial virt_tx handlers (impl/components/serial/virt_tx.ts; reference sddf-protocols.md §3.11),
// driven through the component's entry points with a recording MicrokitApi; the test stands at
// the driver's end and at each client's end of the queues. Pre-/post-conditions per handler:
//   init: with a begin string, it is the driver queue's whole content and the driver is notified,
//     once (a restarted virt_tx finds the tail moved and writes nothing).
//   V2 tx_provide(ch): a client's whole string moves into the driver queue, wrapped in its colour
//     when colour is on, or nothing moves and the client is pending with the driver's signal
//     requested; the driver is notified iff something moved; the client iff it asked.
//   V3 tx_return: each client pending at entry is retried once, in FIFO order.
//   F11: data that can never fit whole is split into an empty driver queue (ADR 023).
//   Hostile peers: a corrupt client queue is not read; an unknown channel is counted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SERIAL_VIRT_TX_COUNTERS,
  serialVirtTxComponent,
  type SerialVirtTxConfig,
  type SerialVirtTxProbe,
} from '../../../../impl/components/serial/virt_tx.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import { InvariantError } from '../../../../spec/common/assert.ts';
import { txPendingLength } from '../../../../spec/components/serial-virt.ts';
import {
  FLAG_SIGNALLED,
  FLAG_WANTS_SIGNAL,
  Layout,
  bytesOf,
  context,
  recordingApi,
  serialQueue,
} from './fixture.ts';

const DRV = 0;
/** Client k's channel at virt_tx. */
const CH = (k: number): number => 10 + k;
const ESC = 0x1b;
const colourOf = (k: number): number[] => [ESC, 0x5b, 0x33, 0x31 + (k % 6), 0x6d];
const END = [ESC, 0x5b, 0x30, 0x6d];

interface Opts {
  drvCap?: number;
  cliCap?: number;
  clients?: number;
  colour?: boolean;
  beginStr?: string | null;
  split?: boolean;
}

function setup(o: Opts = {}) {
  const l = new Layout();
  const drv = serialQueue(l, 'drv', o.drvCap ?? 16);
  const cli = Array.from({ length: o.clients ?? 2 }, (_, k) =>
    serialQueue(l, `c${k}`, o.cliCap ?? 8, { dataPerms: 'r' }),
  );
  // Nobody has asked for a signal unless a test says so.
  drv.flag = FLAG_SIGNALLED;
  for (const c of cli) c.flag = FLAG_SIGNALLED;
  const config: SerialVirtTxConfig = {
    driver: drv.conn(DRV),
    clients: cli.map((c, k) => c.conn(CH(k))),
    colour: o.colour ?? false,
    beginStr: o.beginStr ?? null,
    ...(o.split === undefined ? {} : { split: o.split }),
  };
  const { api, rec } = recordingApi('serial_virt_tx', l.space('serial_virt_tx'));
  const counterBuf = Counters.buffer(SERIAL_VIRT_TX_COUNTERS.length);
  const probe: { p?: SerialVirtTxProbe } = {};
  const comp = serialVirtTxComponent(
    context(api, { config, counters: counterBuf, probe: (p: SerialVirtTxProbe) => (probe.p = p) }),
  );
  const counters = (): Record<string, number> =>
    new Counters(SERIAL_VIRT_TX_COUNTERS, counterBuf).snapshot();
  const pendingIds = (): number[] => {
    const t = probe.p!.pending();
    return Array.from(
      { length: txPendingLength(t) },
      (_, i) => t.queue[(t.head + i) % t.queue.length]!,
    );
  };
  /** Drops what the driver and clients were notified of so far. */
  const clear = (): void => void rec.notified.splice(0);
  return { comp, drv, cli, rec, counters, pendingIds, clear };
}

describe('init: the begin string', () => {
  it('is the whole driver queue and the driver is notified, when Rx is on', () => {
    const t = setup({ beginStr: 'Begin input\r\n' });
    t.comp.init();
    expect(t.drv.text()).toBe('Begin input\r\n');
    expect(t.rec.notified).toEqual([DRV]);
  });

  it('is not written when Rx is off (null): nothing moves and nobody is notified', () => {
    const t = setup({ beginStr: null });
    t.comp.init();
    expect([t.drv.tail, t.drv.head]).toEqual([0, 0]);
    expect(t.rec.notified).toEqual([]);
  });

  it('is not written again by a restarted virt_tx (the driver queue has moved on)', () => {
    const t = setup({ beginStr: 'hi' });
    t.drv.startAt(7);
    t.comp.init();
    expect([t.drv.tail, t.drv.head]).toEqual([7, 7]);
    expect(t.rec.notified).toEqual([]);
  });

  it('may fill the driver queue exactly; one byte more is our bug (InvariantError), not a write', () => {
    const t = setup({ beginStr: 'x'.repeat(16) });
    t.comp.init();
    expect(t.drv.length).toBe(16);
    const u = setup({ beginStr: 'x'.repeat(17) });
    expect(() => u.comp.init()).toThrow(InvariantError);
    expect(u.drv.tail).toBe(0);
  });

  it('is refused (InvariantError) on a driver queue whose head a peer corrupted, not written', () => {
    for (const beginStr of ['hi', '']) {
      const t = setup({ beginStr });
      t.drv.head = 5; // tail 0: (u32)(0 - 5) claims more than the capacity
      expect(() => t.comp.init()).toThrow(InvariantError);
      expect([t.drv.tail, t.rec.notified]).toEqual([0, []]);
      expect(t.drv.outsideUntouched()).toBe(true);
    }
  });
});

describe('V2 tx_provide: a whole string or nothing', () => {
  it('moves a client’s whole string into the driver queue, notifies the driver, empties the client', () => {
    const t = setup();
    t.cli[1]!.push('hello');
    t.comp.notified(CH(1));
    expect(t.drv.text()).toBe('hello');
    expect(t.cli[1]!.length).toBe(0);
    expect(t.rec.notified).toEqual([DRV]);
    expect(t.counters()).toMatchObject({ transfers: 1, bytes: 5, pendingPushes: 0 });
  });

  it('wraps the string in the client’s colour (\\x1b[3Xm … \\x1b[0m, X by client mod 6)', () => {
    const t = setup({ colour: true, clients: 8, drvCap: 64 });
    t.cli[7]!.push('ab');
    t.comp.notified(CH(7));
    expect(t.drv.contents()).toEqual([...colourOf(7), ...bytesOf('ab'), ...END]);
    expect(colourOf(7)[3]).toBe(0x32); // green: client 7 reuses client 1's colour
    t.cli[0]!.push('c');
    t.comp.notified(CH(0));
    expect(t.drv.contents().slice(11)).toEqual([...colourOf(0), 0x63, ...END]);
  });

  it('moves a string that fits the driver’s free space exactly without asking for a signal', () => {
    const t = setup({ drvCap: 16 });
    t.drv.push('x'.repeat(11));
    t.cli[0]!.push('abcde');
    t.comp.notified(CH(0));
    expect(t.drv.length).toBe(16);
    expect(t.drv.text().slice(11)).toBe('abcde');
    expect(t.drv.flag).toBe(FLAG_SIGNALLED);
    expect(t.pendingIds()).toEqual([]);
  });

  it('with colour, counts the nine colour bytes: 7 + 9 fits 16 exactly, 8 + 9 does not', () => {
    const t = setup({ colour: true, drvCap: 16 });
    t.cli[0]!.push('1234567');
    t.comp.notified(CH(0));
    expect(t.drv.length).toBe(16);
    const u = setup({ colour: true, drvCap: 16 });
    u.drv.push('z');
    u.cli[0]!.push('1234567');
    u.comp.notified(CH(0));
    expect(u.drv.length).toBe(1);
    expect(u.pendingIds()).toEqual([0]);
  });

  it('moves nothing when the string does not fit: the client is pending, the driver asked to signal', () => {
    const t = setup({ drvCap: 16 });
    t.drv.push('x'.repeat(12));
    t.cli[0]!.push('abcde');
    t.comp.notified(CH(0));
    expect(t.drv.length).toBe(12);
    expect(t.cli[0]!.text()).toBe('abcde');
    expect(t.drv.flag).toBe(FLAG_WANTS_SIGNAL);
    expect(t.pendingIds()).toEqual([0]);
    expect(t.rec.notified).toEqual([]);
    expect(t.counters()).toMatchObject({ transfers: 0, pendingPushes: 1 });
  });

  it('queues a client once however often it notifies while it does not fit', () => {
    const t = setup({ drvCap: 16 });
    t.drv.push('x'.repeat(12));
    t.cli[1]!.push('abcde');
    t.comp.notified(CH(1));
    t.comp.notified(CH(1));
    t.cli[0]!.push('01234');
    t.comp.notified(CH(0));
    t.comp.notified(CH(1));
    expect(t.pendingIds()).toEqual([1, 0]);
    expect(t.counters()['pendingPushes']).toBe(2);
  });

  it('does nothing for an empty client queue', () => {
    const t = setup();
    t.comp.notified(CH(0));
    expect([t.drv.tail, t.rec.notified, t.pendingIds()]).toEqual([0, [], []]);
  });

  it('notifies the client after a transfer iff it asked (producer_signalled), and disarms the flag', () => {
    const t = setup();
    t.cli[0]!.push('a');
    t.comp.notified(CH(0));
    expect(t.rec.notified).toEqual([DRV]);
    expect(t.cli[0]!.flag).toBe(FLAG_SIGNALLED);
    t.clear();
    t.cli[1]!.flag = FLAG_WANTS_SIGNAL;
    t.cli[1]!.push('b');
    t.comp.notified(CH(1));
    expect(t.rec.notified).toEqual([DRV, CH(1)]);
    expect(t.cli[1]!.flag).toBe(FLAG_SIGNALLED);
  });

  it('does not notify a client that asked when nothing moved', () => {
    const t = setup({ drvCap: 16 });
    t.drv.push('x'.repeat(16));
    t.cli[0]!.flag = FLAG_WANTS_SIGNAL;
    t.cli[0]!.push('a');
    t.comp.notified(CH(0));
    expect(t.rec.notified).toEqual([]);
    expect(t.cli[0]!.flag).toBe(FLAG_WANTS_SIGNAL);
  });
});

describe('V3 tx_return: the pending clients, once each, in order', () => {
  it('retries the pending clients when the driver signals space, notifies the driver once and each client that asked', () => {
    const t = setup({ drvCap: 16, clients: 3 });
    t.drv.push('x'.repeat(14));
    t.cli[2]!.push('cc');
    t.cli[2]!.push('c'); // 3 bytes: does not fit the 2 free
    t.cli[0]!.push('aaa');
    t.cli[0]!.flag = FLAG_WANTS_SIGNAL;
    t.comp.notified(CH(2));
    t.comp.notified(CH(0));
    expect(t.pendingIds()).toEqual([2, 0]);
    expect(t.rec.notified).toEqual([]);
    t.drv.take();
    t.comp.notified(DRV);
    expect(t.drv.text()).toBe('cccaaa');
    expect(t.pendingIds()).toEqual([]);
    expect(t.rec.notified).toEqual([DRV, CH(0)]);
    expect(t.cli[0]!.flag).toBe(FLAG_SIGNALLED);
  });

  it('leaves a client pending that still does not fit, and moves the one behind it that does', () => {
    const t = setup({ drvCap: 16, cliCap: 16 });
    t.drv.push('x'.repeat(12));
    t.cli[0]!.push('0123456789');
    t.cli[1]!.push('ab');
    t.drv.push('yy'); // 2 free now
    t.comp.notified(CH(0));
    t.comp.notified(CH(1));
    expect(t.pendingIds()).toEqual([0]);
    expect(t.drv.text().slice(14)).toBe('ab');
    t.clear();
    t.drv.take(10); // 10 free: client 0's ten bytes fit
    t.cli[1]!.push('cd');
    t.comp.notified(CH(1)); // 2 more: 8 free, client 0 no longer fits
    t.comp.notified(DRV);
    expect(t.pendingIds()).toEqual([0]);
    expect(t.rec.notified).toEqual([DRV]);
    t.clear();
    t.drv.take();
    t.comp.notified(DRV);
    expect(t.drv.text()).toBe('0123456789');
    expect(t.rec.notified).toEqual([DRV]);
  });

  it('does nothing with nobody pending: no transfer, no notification', () => {
    const t = setup();
    t.cli[0]!.push('a'); // never announced: tx_return retries pending clients only
    t.comp.notified(DRV);
    expect([t.drv.tail, t.rec.notified]).toEqual([0, []]);
  });
});

describe('F11: data that never fits whole is split into an empty driver queue', () => {
  it('moves capacity − 9 bytes with colour when the driver queue is empty, the rest stays pending', () => {
    const t = setup({ colour: true, drvCap: 16, cliCap: 16 });
    t.cli[0]!.push('0123456789AB'); // 12 + 9 > 16: never fits
    t.comp.notified(CH(0));
    expect(t.drv.contents()).toEqual([...colourOf(0), ...bytesOf('0123456'), ...END]);
    expect(t.cli[0]!.text()).toBe('789AB');
    expect(t.pendingIds()).toEqual([0]);
    expect(t.rec.notified).toEqual([DRV]);
    expect(t.counters()).toMatchObject({ splits: 1, transfers: 1, bytes: 7 });
  });

  it('does not split into a driver queue that is not empty: the client waits for it to empty', () => {
    const t = setup({ drvCap: 16, cliCap: 32 });
    t.drv.push('x');
    t.cli[0]!.push('y'.repeat(17));
    t.comp.notified(CH(0));
    expect(t.drv.length).toBe(1);
    expect(t.pendingIds()).toEqual([0]);
    expect(t.rec.notified).toEqual([]);
    t.drv.take();
    t.comp.notified(DRV);
    expect(t.drv.length).toBe(16);
    expect(t.cli[0]!.length).toBe(1);
  });

  it('does not split when not even one byte fits beside the colour codes (capacity 8)', () => {
    const t = setup({ colour: true, drvCap: 8 });
    t.cli[0]!.push('a');
    t.comp.notified(CH(0));
    expect([t.drv.tail, t.rec.notified, t.pendingIds()]).toEqual([0, [], [0]]);
    expect(t.drv.outsideUntouched()).toBe(true);
  });

  it('does not split with split: false (upstream at HEAD): the data waits', () => {
    const t = setup({ drvCap: 16, cliCap: 32, split: false });
    t.cli[0]!.push('y'.repeat(17));
    t.comp.notified(CH(0));
    expect([t.drv.tail, t.rec.notified, t.pendingIds()]).toEqual([0, [], [0]]);
  });
});

describe('hostile peers', () => {
  it('does not read a client queue whose indices claim more than its capacity (counted)', () => {
    const t = setup();
    t.cli[0]!.head = 3;
    t.cli[0]!.tail = 100;
    t.comp.notified(CH(0));
    expect([t.drv.tail, t.rec.notified, t.pendingIds()]).toEqual([0, [], []]);
    expect(t.counters()['corruptQueue']).toBe(1);
  });

  it('counts a notification on a channel that is neither the driver nor a client', () => {
    const t = setup();
    t.cli[0]!.push('a');
    t.comp.notified(99);
    expect([t.drv.tail, t.rec.notified]).toEqual([0, []]);
    expect(t.counters()['unknownChannel']).toBe(1);
  });
});

describe('property: tx_provide is a whole string or nothing (§3.11 V1–V2)', () => {
  it('for any client length and driver fill, either all of it moves (with colour) or nothing does and the client is pending', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 32 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (len, fill, colour, at) => {
          const t = setup({ drvCap: 32, cliCap: 16, colour });
          t.drv.startAt(at);
          t.drv.push(Array.from({ length: fill }, () => 0x2e));
          const data = Array.from({ length: len }, (_, i) => 0x61 + i);
          t.cli[1]!.push(data);
          t.comp.notified(CH(1));
          const needed = len + (colour ? 9 : 0);
          if (needed <= 32 - fill) {
            const want = colour ? [...colourOf(1), ...data, ...END] : data;
            expect(t.drv.contents().slice(fill)).toEqual(want);
            expect([t.cli[1]!.length, t.rec.notified, t.pendingIds()]).toEqual([0, [DRV], []]);
            expect(t.drv.flag).toBe(FLAG_SIGNALLED);
          } else {
            expect([t.drv.length, t.cli[1]!.contents()]).toEqual([fill, data]);
            expect([t.rec.notified, t.pendingIds(), t.drv.flag]).toEqual([
              [],
              [1],
              FLAG_WANTS_SIGNAL,
            ]);
          }
          expect(t.drv.outsideUntouched()).toBe(true);
        },
      ),
    );
  });
});
