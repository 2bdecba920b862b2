// serial virt_rx handler (impl/components/serial/virt_rx.ts; reference sddf-protocols.md §3.12),
// X1 rx_return on the driver's notify, driven through the component's entry point with a recording
// MicrokitApi; the test is the driver (producer of the driver queue) and every client (consumer).
// Post-conditions of one rx_return: the driver queue is empty; every character that is not part of
// a switch sequence went, in order, to the client current when it arrived, or was dropped (and
// counted) when that client's queue was full; Ctrl-\ digits '\r' makes another client current
// (the old one notified if it got characters), Ctrl-\ Ctrl-\ is a literal Ctrl-\; the driver is
// notified iff it asked; the current client iff it got characters. A corrupt queue is counted and
// never read or written past its capacity.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SERIAL_VIRT_RX_COUNTERS,
  SerialVirtRx,
  serialVirtRxComponent,
  type SerialVirtRxProbe,
} from '../../../../impl/components/serial/virt_rx.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import {
  FLAG_SIGNALLED,
  FLAG_WANTS_SIGNAL,
  Layout,
  context,
  recordingApi,
  serialQueue,
} from './fixture.ts';

const DRV = 0;
const CH = (k: number): number => 10 + k;
const SW = '\x1c'; // Ctrl-\ (sdfgen's switch_char 28)

function setup(o: { drvCap?: number; cliCap?: number; clients?: number } = {}) {
  const l = new Layout();
  const drv = serialQueue(l, 'drv', o.drvCap ?? 32, { dataPerms: 'r' });
  const cli = Array.from({ length: o.clients ?? 3 }, (_, k) =>
    serialQueue(l, `c${k}`, o.cliCap ?? 8),
  );
  drv.flag = FLAG_SIGNALLED;
  const config = { driver: drv.conn(DRV), clients: cli.map((c, k) => c.conn(CH(k))) };
  const { api, rec } = recordingApi('serial_virt_rx', l.space('serial_virt_rx'));
  const counterBuf = Counters.buffer(SERIAL_VIRT_RX_COUNTERS.length);
  const probe: { p?: SerialVirtRxProbe } = {};
  const comp = serialVirtRxComponent(
    context(api, { config, counters: counterBuf, probe: (p: SerialVirtRxProbe) => (probe.p = p) }),
  );
  comp.init();
  const counters = (): Record<string, number> =>
    new Counters(SERIAL_VIRT_RX_COUNTERS, counterBuf).snapshot();
  /** The driver queues `s` and notifies virt_rx. */
  const type = (s: string): void => {
    drv.push(s);
    comp.notified(DRV);
  };
  const clear = (): void => void rec.notified.splice(0);
  return { comp, drv, cli, rec, counters, type, clear, state: () => probe.p!.switchState() };
}

describe('X1 rx_return: characters to the current client', () => {
  it('delivers to client 0 at first, empties the driver queue, notifies the client', () => {
    const t = setup();
    t.type('abc');
    expect(t.cli[0]!.text()).toBe('abc');
    expect(t.drv.length).toBe(0);
    expect(t.rec.notified).toEqual([CH(0)]);
    expect(t.counters()).toMatchObject({ delivered: 3, dropped: 0 });
  });

  it('does nothing visible for an empty driver queue: nobody notified', () => {
    const t = setup();
    t.comp.notified(DRV);
    expect(t.rec.notified).toEqual([]);
    expect(t.cli.map((c) => c.tail)).toEqual([0, 0, 0]);
  });

  it('fills a client queue exactly and drops (and counts) what does not fit', () => {
    const t = setup({ cliCap: 8 });
    t.cli[0]!.push('12345');
    t.type('abcde');
    expect(t.cli[0]!.text()).toBe('12345abc');
    expect(t.drv.length).toBe(0);
    expect(t.counters()).toMatchObject({ delivered: 3, dropped: 2 });
    expect(t.cli[0]!.outsideUntouched()).toBe(true);
  });

  it('drops everything for a full client and notifies nobody', () => {
    const t = setup({ cliCap: 8 });
    t.cli[0]!.push('12345678');
    t.type('ab');
    expect([t.cli[0]!.length, t.rec.notified, t.counters()['dropped']]).toEqual([8, [], 2]);
  });

  it('writes across the end of the client’s data region', () => {
    const t = setup({ cliCap: 8 });
    t.cli[0]!.startAt(0xffff_fffe);
    t.type('wxyz');
    expect(t.cli[0]!.text()).toBe('wxyz');
    expect(t.cli[0]!.tail).toBe(2);
  });
});

describe('the switch sequence', () => {
  it('Ctrl-\\ 2 \\r makes client 2 current: earlier characters to 0 (notified), later to 2', () => {
    const t = setup();
    t.type(`ab${SW}2\rcd`);
    expect(t.cli[0]!.text()).toBe('ab');
    expect(t.cli[2]!.text()).toBe('cd');
    expect(t.rec.notified).toEqual([CH(0), CH(2)]);
    expect(t.state()).toEqual({ mode: 'normal', current: 2, digits: '' });
    expect(t.counters()['switches']).toBe(1);
  });

  it('does not notify the old client when it got nothing before the switch', () => {
    const t = setup();
    t.type(`${SW}1\rx`);
    expect(t.rec.notified).toEqual([CH(1)]);
    t.clear();
    t.type(`${SW}0\r`);
    expect(t.rec.notified).toEqual([]);
    expect(t.state().current).toBe(0);
  });

  it('keeps a sequence split across two notifies: the machine state survives between wakes', () => {
    const t = setup();
    t.type(`${SW}1`);
    expect(t.state()).toEqual({ mode: 'number', current: 0, digits: '1' });
    t.type('\rq');
    expect(t.cli[1]!.text()).toBe('q');
  });

  it('delivers Ctrl-\\ Ctrl-\\ as one literal Ctrl-\\', () => {
    const t = setup();
    t.type(`a${SW}${SW}b`);
    expect(t.cli[0]!.text()).toBe(`a${SW}b`);
  });

  it('ignores a switch to a client that does not exist, and logs it', () => {
    const t = setup({ clients: 3 });
    t.type(`${SW}3\rz`);
    expect(t.cli[0]!.text()).toBe('z');
    expect(t.state().current).toBe(0);
    expect(t.counters()).toMatchObject({ switches: 0, logs: 1 });
  });

  it('uses a configured switch and terminate character instead of the defaults', () => {
    const l = new Layout();
    const drv = serialQueue(l, 'drv', 16, { dataPerms: 'r' });
    const cli = [serialQueue(l, 'c0', 8), serialQueue(l, 'c1', 8)];
    const { api } = recordingApi('rx', l.space('rx'));
    const v = new SerialVirtRx(api, {
      driver: drv.conn(DRV),
      clients: cli.map((c, k) => c.conn(CH(k))),
      switchChar: 0x40, // '@'
      terminateChar: 0x3b, // ';'
    });
    drv.push(`${SW}@1;k`);
    v.notified(DRV);
    expect(cli[0]!.text()).toBe(SW);
    expect(cli[1]!.text()).toBe('k');
  });
});

describe('virt_rx’s log lines (the first 16 kept, all counted)', () => {
  it('starts with none and keeps the first 16 while counting all', () => {
    const l = new Layout();
    const drv = serialQueue(l, 'drv', 64, { dataPerms: 'r' });
    const cli = [serialQueue(l, 'c0', 8)];
    const { api } = recordingApi('rx', l.space('rx'));
    const v = new SerialVirtRx(api, { driver: drv.conn(DRV), clients: [cli[0]!.conn(CH(0))] });
    expect(v.logs).toEqual([]);
    drv.push(`${SW}x`);
    v.notified(DRV);
    expect(v.logs).toEqual(['VIRT_RX|LOG: User entered an invalid digit 120']);
    drv.push(`${SW}x`.repeat(16));
    v.notified(DRV);
    expect(v.logs).toHaveLength(16);
    expect(v.c.snapshot()['logs']).toBe(17);
  });
});

describe('the driver’s signal', () => {
  it('notifies the driver after emptying its queue iff it asked, and disarms the flag', () => {
    const t = setup();
    t.drv.flag = FLAG_WANTS_SIGNAL;
    t.type('a');
    expect(t.rec.notified).toEqual([DRV, CH(0)]);
    expect(t.drv.flag).toBe(FLAG_SIGNALLED);
    t.clear();
    t.type('b');
    expect(t.rec.notified).toEqual([CH(0)]);
  });
});

describe('hostile peers', () => {
  it('does not read a driver queue whose indices claim more than its capacity (counted)', () => {
    const t = setup();
    t.drv.head = 1;
    t.drv.tail = 1000;
    t.comp.notified(DRV);
    expect([t.drv.head, t.rec.notified, t.counters()['corruptQueue']]).toEqual([1, [], 1]);
    expect(t.cli.map((c) => c.tail)).toEqual([0, 0, 0]);
  });

  it('treats a client queue with corrupt indices as one to skip: nothing written, counted, not dropped', () => {
    const t = setup({ cliCap: 8 });
    t.cli[0]!.tail = 50;
    t.type('ab');
    expect(t.cli[0]!.tail).toBe(50);
    expect(t.cli[0]!.outsideUntouched()).toBe(true);
    expect(t.counters()).toMatchObject({ corruptQueue: 2, dropped: 0, delivered: 0 });
    expect(t.drv.length).toBe(0);
    expect(t.rec.notified).toEqual([]);
  });

  it('counts a notification on a channel other than the driver’s and reads nothing', () => {
    const t = setup();
    t.drv.push('a');
    t.comp.notified(CH(0));
    expect([t.drv.length, t.cli[0]!.tail, t.counters()['unknownChannel']]).toEqual([1, 0, 1]);
  });
});

describe('property: rx_return against a reference reading of §3.12', () => {
  // Input without switch characters: all of it goes to client 0 up to its free space, in order.
  it('delivers min(input, free) characters in order and drops the rest', () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ minLength: 0, maxLength: 32 })
          .map((b) => b.map((c) => (c === 0x1c ? 0x41 : c))),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (input, already, at) => {
          const t = setup({ cliCap: 8 });
          t.cli[0]!.startAt(at);
          t.cli[0]!.push(Array.from({ length: already }, () => 0x2e));
          t.drv.push([...input]);
          t.comp.notified(DRV);
          const fits = Math.min(input.length, 8 - already);
          expect(t.cli[0]!.contents().slice(already)).toEqual([...input.subarray(0, fits)]);
          expect(t.counters()).toMatchObject({ delivered: fits, dropped: input.length - fits });
          expect(t.rec.notified).toEqual(fits > 0 ? [CH(0)] : []);
          expect(t.drv.length).toBe(0);
        },
      ),
    );
  });
});
