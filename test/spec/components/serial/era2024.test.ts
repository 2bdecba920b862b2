// The serial Tx path of August 2024 (spec/components/serial-2024.ts; the two-flag queue.h,
// util/putchar_serial.c, serial/components/virt_tx.c and drivers/serial/arm/uart.c at au-ts/sddf
// 5d9135f4^): putchar's private tail and publish rules (F10), virt_tx's process_tx_queue with
// tx_pending (F22), the re-check (F8's fix), colour (F11), the deferred notifies (F12), and the
// driver, one handler at a time on hand-set queues. Flag words: `consumerSignalled` is the
// "producer signal" (the consumer wants one on the next enqueue), `producerSignalled` the
// "consumer signal" (the producer wants one when space is freed); both 0 = wanted at boot.
import { describe, expect, it } from 'vitest';
import { PC_DONE } from '../../../../spec/components/program.ts';
import {
  S24_ACCEPTED,
  S24_COLOUR_BEGIN,
  S24_COLOUR_BYTES,
  S24_COLOUR_END,
  S24_CR,
  S24_DROPPED,
  S24_EMITTED,
  S24_LAST,
  S24_VT_CH_DRIVER,
  s24Char,
  s24Ghost,
  serial2024Client,
  serial2024Driver,
  serial2024Ghosts,
  serial2024VirtTx,
  type Serial2024Config,
} from '../../../../spec/components/serial-2024.ts';
import { Rig } from './rig.ts';

// virt_tx locals (serial-2024.ts): the current client, transferred, client transferred, pending
// FIFO head and tail, pending bits, notify bits, pops left, in tx_return, FIFO entries.
const VL_C = 0;
const VL_XFERRED = 1;
const VL_PHEAD = 3;
const VL_PTAIL = 4;
const VL_PENDING = 5;
const VL_IN_RETURN = 8;
const VL_FIFO = 9;

function setup(
  o: Partial<Serial2024Config> & { n?: number; capacity?: number; driverCapacity?: number } = {},
) {
  const r = new Rig();
  const clients = Array.from({ length: o.n ?? 1 }, (_, k) =>
    r.serialQueue(`client${k}_tx`, o.capacity ?? 4),
  );
  const driver = r.serialQueue('driver_tx', o.driverCapacity ?? o.capacity ?? 4);
  const cfg: Serial2024Config = {
    clients,
    driver,
    chars: o.chars ?? 3,
    chars1: o.chars1 ?? o.chars ?? 3,
    deferred: o.deferred ?? false,
    oldPutchar: o.oldPutchar ?? false,
    recheck: o.recheck ?? true,
    colour: o.colour ?? false,
    ...(o.pendingUnbounded !== undefined ? { pendingUnbounded: o.pendingUnbounded } : {}),
  };
  return {
    r,
    cfg,
    clients,
    driver,
    cl: clients.map((_, k) => serial2024Client(cfg, k)),
    vt: serial2024VirtTx(cfg),
    drv: serial2024Driver(cfg),
  };
}
const c0 = (seq: number) => s24Char(0, seq);

describe('2024 encoding', () => {
  it('characters carry client and sequence; markers sit above every sequence number', () => {
    expect(s24Char(1, 5)).toBe(0x105);
    expect(s24Char(0, 1)).toBe(1);
    expect(s24Char(0, 0xfc)).toBe(0xfc);
    expect(() => s24Char(0, 0)).toThrow(/fits below the marker bytes/);
    expect(() => s24Char(0, S24_CR)).toThrow(/fits below the marker bytes/);
    expect([S24_CR, S24_COLOUR_BEGIN, S24_COLOUR_END, S24_COLOUR_BYTES]).toEqual([
      0xfd, 0xfe, 0xff, 2,
    ]);
    expect(S24_VT_CH_DRIVER).toBe(0);
  });
  it('ghosts: four per client', () => {
    expect([S24_ACCEPTED, S24_DROPPED, S24_EMITTED, S24_LAST]).toEqual([0, 1, 2, 3]);
    expect(s24Ghost(2, S24_EMITTED)).toBe(10);
    expect(serial2024Ghosts(3)).toBe(12);
  });
});

describe('2024 putchar (client)', () => {
  it('shape: client k, writes in init, ignores notifications; client 1 writes chars1', () => {
    const { cl } = setup({ n: 2, chars: 2, chars1: 0 });
    expect(cl[0]!.name).toBe('client0');
    expect(cl[1]!.name).toBe('client1');
    expect(cl[0]!.steps).toEqual(['', 'putchar.enqueue_local', 'putchar.flush', 'notified']);
    expect(cl[0]!.localWords).toBe(3);
    expect(cl[0]!.initPc).toBe(1);
    expect(cl[1]!.initPc).toBe(PC_DONE); // chars1 = 0
    expect(cl[0]!.steps[cl[0]!.entry(0)]).toBe('notified');
    expect(cl[0]!.step(cl[0]!.entry(0), setup().r.ctx(cl[0]!))).toBe(PC_DONE);
  });

  it("one line: characters at the private tail, '\\r' before the '\\n', published once, consumer signalled", () => {
    const { r, cl, clients } = setup({ chars: 3, capacity: 8 });
    r.at(clients[0]!, 6); // a queue that carried 6 bytes: the private tail starts there
    expect(r.init(cl[0]!)).toEqual([
      'putchar.enqueue_local',
      'putchar.enqueue_local',
      'putchar.enqueue_local',
      'putchar.flush',
    ]);
    expect(r.peek(clients[0]!)).toEqual([c0(1), c0(2), S24_CR, c0(3)]);
    expect(r.mem.load(clients[0]!.tail)).toBe(10);
    expect(r.calls).toEqual(['client0: notify 0']);
    expect(r.armedOld(clients[0]!)).toBe(false); // cancelled
    expect(r.ghost(s24Ghost(0, S24_ACCEPTED))).toBe(3);
    expect(r.ghost(s24Ghost(0, S24_DROPPED))).toBe(0);
    expect(r.fails).toEqual([]);
  });

  it('nothing published until the line ends (the tail stays while writing)', () => {
    const { r, cl, clients } = setup({ chars: 3, capacity: 8 });
    r.run(cl[0]!, cl[0]!.initPc, 2);
    expect(r.mem.load(clients[0]!.tail)).toBe(0);
    expect(r.local(cl[0]!, 0)).toBe(2);
  });

  it('the consumer not asking: published, no notify', () => {
    const { r, cl, clients } = setup({ chars: 1, capacity: 4 });
    r.setFlag(clients[0]!, false, true);
    r.init(cl[0]!);
    expect(r.peek(clients[0]!)).toEqual([S24_CR, c0(1)]);
    expect(r.calls).toEqual([]);
  });

  it('client 1 writes its own characters', () => {
    const { r, cl, clients } = setup({ n: 2, chars: 1, chars1: 2 });
    r.init(cl[1]!);
    expect(r.peek(clients[1]!)).toEqual([s24Char(1, 1), (1 << 8) | S24_CR, s24Char(1, 2)]);
    expect(r.calls).toEqual(['client1: notify 0']);
  });

  it('HEAD (367d4231): publishes at one from full, drops at one from full', () => {
    const { r, cl, clients } = setup({ chars: 3, capacity: 2 });
    expect(r.init(cl[0]!)).toEqual([
      'putchar.enqueue_local',
      'putchar.flush',
      'putchar.enqueue_local',
      'putchar.enqueue_local',
    ]);
    expect(r.peek(clients[0]!)).toEqual([c0(1)]);
    expect(r.ghost(s24Ghost(0, S24_ACCEPTED))).toBe(1);
    expect(r.ghost(s24Ghost(0, S24_DROPPED))).toBe(2);
  });

  it('F10 (before 367d4231): a "\\n" one from full returns without publishing the line', () => {
    const head = setup({ chars: 2, capacity: 2 });
    head.r.init(head.cl[0]!);
    expect(head.r.peek(head.clients[0]!)).toEqual([c0(1)]);
    const old = setup({ chars: 2, capacity: 2, oldPutchar: true });
    expect(old.r.init(old.cl[0]!)).toEqual(['putchar.enqueue_local', 'putchar.enqueue_local']);
    expect(old.r.mem.load(old.clients[0]!.tail)).toBe(0); // c0(1) written, never published
    expect(old.r.local(old.cl[0]!, 0)).toBe(1);
    expect(old.r.ghost(s24Ghost(0, S24_DROPPED))).toBe(1);
    expect(old.r.calls).toEqual([]);
  });

  it('F10: only a full queue drops an ordinary character; publish only when full', () => {
    const { r, cl, clients } = setup({ chars: 3, capacity: 2, oldPutchar: true });
    expect(r.init(cl[0]!)).toEqual([
      'putchar.enqueue_local',
      'putchar.enqueue_local',
      'putchar.flush',
      'putchar.enqueue_local',
    ]);
    expect(r.peek(clients[0]!)).toEqual([c0(1), c0(2)]);
    expect(r.ghost(s24Ghost(0, S24_DROPPED))).toBe(1);
  });

  it('F10: a "\\n" with two free slots takes the "\\r" too', () => {
    const { r, cl, clients } = setup({ chars: 1, capacity: 2, oldPutchar: true });
    r.init(cl[0]!);
    expect(r.peek(clients[0]!)).toEqual([S24_CR, c0(1)]);
  });

  it('a private tail behind a head that moved past it is the update_shared_tail assert', () => {
    const { r, cl, clients } = setup({ chars: 2, capacity: 4 });
    r.setLocal(cl[0]!, 2, 1); // tail read
    r.setLocal(cl[0]!, 0, 9); // a private tail 9 ahead of head 0: length 9 > 4
    r.setLocal(cl[0]!, 1, 1);
    expect(r.step(cl[0]!, 'putchar.flush')).toBe('putchar.enqueue_local');
    expect(r.fails.map((f) => f.property)).toEqual(['no-assert-failure']);
    expect(r.mem.load(clients[0]!.tail)).toBe(0);
  });

  it('a queue without the old flag word is not a 2024 queue', () => {
    const { r, cfg } = setup();
    const q = { ...cfg.clients[0]!, consumerSignalled: undefined };
    const { consumerSignalled: _, ...noFlag } = q;
    const c = serial2024Client({ ...cfg, clients: [noFlag] }, 0);
    r.setLocal(c, 1, 2);
    r.setLocal(c, 2, 1);
    expect(() => c.step(2, r.ctx(c))).toThrow(/client0_tx: the 2024 queue has two flags/);
  });

  it('a bad pc is our bug', () => {
    const { r, cl } = setup();
    expect(() => cl[0]!.step(4, r.ctx(cl[0]!))).toThrow(/serial 2024 client: bad pc 4/);
  });
});

describe('2024 virt_tx tx_provide', () => {
  it('shape: the steps, one tx_provide entry per client, locals for the FIFO', () => {
    const { vt } = setup({ n: 2 });
    expect(vt.name).toBe('virt_tx');
    expect(vt.initPc).toBe(PC_DONE);
    expect(vt.localWords).toBe(VL_FIFO + 3);
    expect(vt.steps).toEqual([
      '',
      'process_tx_queue.length',
      'process_tx_queue.request_producer_signal(client)',
      'process_tx_queue.pending.request_consumer_signal(driver)',
      'process_tx_queue.pending.cancel_producer_signal(client)',
      'process_tx_queue.transfer_all',
      'reprocess.recheck(client)',
      'tx_return.pop',
      'tx_return.notify_if(driver)',
      'tx_return.notify_if(client)',
      'tx_provide.notify_if(driver)',
      'tx_provide.notify_if(client)',
      'process_tx_queue.recheck(driver)',
      'tx_provide(client0)',
      'tx_provide(client1)',
    ]);
    expect(vt.steps[vt.entry(0)]).toBe('tx_return.pop');
    expect(vt.steps[vt.entry(2)]).toBe('tx_provide(client1)');
    expect(() => vt.entry(3)).toThrow(/unknown channel 3/);
    expect(() => vt.entry(-1)).toThrow(/unknown channel -1/);
  });

  it('moves everything, asks the client for its next enqueue, notifies driver then client', () => {
    const { r, vt, clients, driver } = setup({ n: 2 });
    r.put(clients[1]!, 5, 6);
    r.setFlag(clients[1]!, false, true);
    expect(r.notified(vt, 2)).toEqual([
      'tx_provide(client1)',
      'process_tx_queue.length',
      'process_tx_queue.transfer_all',
      'reprocess.recheck(client)',
      'tx_provide.notify_if(driver)',
      'tx_provide.notify_if(client)',
    ]);
    expect(r.peek(driver)).toEqual([5, 6]);
    expect(r.peek(clients[1]!)).toEqual([]);
    expect(r.armedOld(clients[1]!)).toBe(true); // request_producer_signal
    expect(r.calls).toEqual(['virt_tx: notify 0', 'virt_tx: notify 2']);
    expect(r.armedOld(driver)).toBe(false);
    expect(r.armed(clients[1]!)).toBe(false);
    expect([VL_C, VL_XFERRED, 2].map((i) => r.local(vt, i))).toEqual([0, 0, 0]);
    expect(r.fails).toEqual([]);
    // A second transfer: neither the driver nor the client asked any more.
    r.put(clients[1]!, 7);
    r.calls.length = 0;
    r.notified(vt, 2);
    expect(r.calls).toEqual([]);
    expect(r.peek(driver)).toEqual([5, 6, 7]);
  });

  it('F12 (before 5d9135f4): the client notify of tx_provide is deferred', () => {
    const { r, vt, clients } = setup({ deferred: true });
    r.put(clients[0]!, 5);
    r.notified(vt, 1);
    expect(r.calls).toEqual(['virt_tx: notify 0', 'virt_tx: deferred 1']);
  });

  it('colour: begin and end markers around the data', () => {
    const { r, vt, clients, driver } = setup({ n: 2, colour: true, driverCapacity: 8 });
    r.put(clients[1]!, 5, 6);
    r.notified(vt, 2);
    expect(r.peek(driver)).toEqual([(1 << 8) | S24_COLOUR_BEGIN, 5, 6, (1 << 8) | S24_COLOUR_END]);
  });

  it('colour: data + 2 == free fits; one more does not', () => {
    const fits = setup({ colour: true, capacity: 4, driverCapacity: 4 });
    fits.r.put(fits.clients[0]!, 1, 2);
    fits.r.setFlag(fits.driver, false);
    fits.r.notified(fits.vt, 1);
    expect(fits.r.peek(fits.driver)).toHaveLength(4);
    expect(fits.r.armed(fits.driver)).toBe(false); // fits at the first check: no request
    expect(fits.r.fails).toEqual([]);
    const not = setup({ colour: true, capacity: 4, driverCapacity: 4 });
    not.r.put(not.clients[0]!, 1, 2, 3);
    not.r.notified(not.vt, 1);
    expect(not.r.peek(not.driver)).toEqual([]);
  });

  it('empty: asks the client for a signal, nothing else', () => {
    const { r, vt, clients } = setup();
    r.setFlag(clients[0]!, false, true);
    expect(r.notified(vt, 1)).toEqual([
      'tx_provide(client0)',
      'process_tx_queue.length',
      'process_tx_queue.request_producer_signal(client)',
      'reprocess.recheck(client)',
      'tx_provide.notify_if(driver)',
      'tx_provide.notify_if(client)',
    ]);
    expect(r.armedOld(clients[0]!)).toBe(true);
    expect(r.calls).toEqual([]);
  });

  it('no room, re-check still none: pending, the driver asked, the client told to stop signalling', () => {
    const { r, vt, clients, driver } = setup({ capacity: 2 });
    r.put(driver, 1, 2);
    r.put(clients[0]!, 3);
    r.setFlag(driver, false);
    expect(r.notified(vt, 1)).toEqual([
      'tx_provide(client0)',
      'process_tx_queue.length',
      'process_tx_queue.pending.request_consumer_signal(driver)',
      'process_tx_queue.recheck(driver)',
      'process_tx_queue.pending.cancel_producer_signal(client)',
      'reprocess.recheck(client)',
      'tx_provide.notify_if(driver)',
      'tx_provide.notify_if(client)',
    ]);
    expect(r.armed(driver)).toBe(true);
    expect(r.armedOld(clients[0]!)).toBe(false);
    expect([VL_PHEAD, VL_PTAIL, VL_PENDING, VL_FIFO].map((i) => r.local(vt, i))).toEqual([
      0, 1, 1, 0,
    ]);
    expect(r.calls).toEqual([]);
  });

  it('the re-check finds room (the driver drained meanwhile): transfers, not pending', () => {
    const { r, vt, clients, driver } = setup({ capacity: 2 });
    r.put(driver, 1, 2);
    r.put(clients[0]!, 3);
    r.run(vt, vt.entry(1), 3);
    r.drain(driver);
    expect(r.step(vt, 'process_tx_queue.recheck(driver)')).toBe('process_tx_queue.transfer_all');
    expect(r.local(vt, VL_PENDING)).toBe(0);
  });

  it('the re-check counts the colour codes: free == needed fits, free == needed - 1 does not', () => {
    for (const [drained, pending] of [
      [2, 0],
      [1, 1],
    ] as const) {
      const { r, vt, clients, driver } = setup({ colour: true, capacity: 4, driverCapacity: 4 });
      r.put(driver, 1, 2);
      r.put(clients[0]!, 3, 4); // needs 4 with the codes, 2 free
      expect(r.run(vt, vt.entry(1), 3)).toEqual([
        'tx_provide(client0)',
        'process_tx_queue.length',
        'process_tx_queue.pending.request_consumer_signal(driver)',
      ]);
      for (let i = 0; i < drained; i++) r.mem.store(driver.head, r.mem.load(driver.head) + 1);
      r.step(vt, 'process_tx_queue.recheck(driver)');
      expect(r.local(vt, VL_PENDING)).toBe(pending);
    }
  });

  it('client 1 pending: its bit and its id in the FIFO; it is not re-processed while pending', () => {
    const { r, vt, clients, driver } = setup({ n: 2, capacity: 2 });
    r.put(driver, 1, 2);
    r.put(clients[1]!, 3);
    r.notified(vt, 2);
    expect([VL_PTAIL, VL_PENDING, VL_FIFO].map((i) => r.local(vt, i))).toEqual([1, 2, 1]);
    r.put(clients[0]!, 4);
    r.notified(vt, 1);
    expect([VL_PTAIL, VL_PENDING, VL_FIFO, VL_FIFO + 1].map((i) => r.local(vt, i))).toEqual([
      2, 3, 1, 0,
    ]);
    // The driver drains: tx_return takes client 1 first, then client 0.
    r.drain(driver);
    r.calls.length = 0;
    r.notified(vt, 0);
    expect(r.peek(driver)).toEqual([3, 4]);
    expect(r.local(vt, VL_PENDING)).toBe(0);
    expect(r.calls).toEqual(['virt_tx: notify 0', 'virt_tx: notify 1', 'virt_tx: notify 2']);
  });

  it('without the re-check (before 334e9be8): push, then request', () => {
    const { r, vt, clients, driver } = setup({ capacity: 2, recheck: false });
    r.put(driver, 1, 2);
    r.put(clients[0]!, 3);
    r.setFlag(driver, false);
    expect(r.notified(vt, 1)).toEqual([
      'tx_provide(client0)',
      'process_tx_queue.length',
      'process_tx_queue.pending.request_consumer_signal(driver)',
      'process_tx_queue.pending.cancel_producer_signal(client)',
      'reprocess.recheck(client)',
      'tx_provide.notify_if(driver)',
      'tx_provide.notify_if(client)',
    ]);
    expect(r.armed(driver)).toBe(true);
    expect(r.local(vt, VL_PENDING)).toBe(1);
  });

  it('reprocess: data that arrived during the transfer is taken in the same call', () => {
    const { r, vt, clients, driver } = setup({ capacity: 4 });
    r.put(clients[0]!, 1);
    r.run(vt, vt.entry(1), 3);
    r.put(clients[0]!, 2);
    expect(r.step(vt, 'reprocess.recheck(client)')).toBe('process_tx_queue.length');
    expect(r.armedOld(clients[0]!)).toBe(false); // cancel_producer_signal
    r.run(vt, vt.steps.indexOf('process_tx_queue.length'));
    expect(r.peek(driver)).toEqual([1, 2]);
  });

  it('a transfer into a full driver queue is the serial_transfer_all assert', () => {
    const { r, vt, clients, driver } = setup({ capacity: 2 });
    r.put(driver, 1, 2);
    r.put(clients[0]!, 3);
    r.setLocal(vt, VL_C, 0);
    r.step(vt, 'process_tx_queue.transfer_all');
    expect(r.fails).toEqual([
      {
        pd: 'virt_tx',
        property: 'no-assert-failure',
        message: 'serial_transfer_all: driver queue full',
      },
    ]);
  });

  it('a bad pc is our bug', () => {
    const { r, vt } = setup();
    expect(() => vt.step(0, r.ctx(vt))).toThrow(/serial 2024 virt_tx: bad pc 0/);
  });
});

describe('2024 virt_tx tx_return', () => {
  /** Client k pending in the FIFO (locals), in order. */
  function pend(r: Rig, vt: ReturnType<typeof serial2024VirtTx>, ...ks: number[]) {
    ks.forEach((k, i) => r.setLocal(vt, VL_FIFO + i, k));
    r.setLocal(vt, VL_PTAIL, ks.length);
    r.setLocal(
      vt,
      VL_PENDING,
      ks.reduce((m, k) => m | (1 << k), 0),
    );
  }

  it('nothing pending: pop nothing, notify nobody, reset', () => {
    const { r, vt } = setup({ n: 2 });
    expect(r.notified(vt, 0)).toEqual([
      'tx_return.pop',
      'tx_return.notify_if(driver)',
      'tx_return.notify_if(client)',
      'tx_return.notify_if(client)',
    ]);
    expect(r.calls).toEqual([]);
    expect(r.local(vt, VL_IN_RETURN)).toBe(0);
  });

  it('retries pending clients in FIFO order; notifies the driver, then each transferred client', () => {
    const { r, vt, clients, driver } = setup({ n: 2, capacity: 4 });
    r.put(clients[1]!, 10);
    r.put(clients[0]!, 20);
    pend(r, vt, 1, 0);
    r.notified(vt, 0);
    expect(r.peek(driver)).toEqual([10, 20]);
    expect(r.calls).toEqual(['virt_tx: notify 0', 'virt_tx: notify 1', 'virt_tx: notify 2']);
    expect(
      [VL_PHEAD, VL_PENDING, VL_IN_RETURN, VL_C, VL_XFERRED].map((i) => r.local(vt, i)),
    ).toEqual([2, 0, 0, 0, 0]);
    expect([0, 1].map((k) => r.armed(clients[k]!))).toEqual([false, false]);
  });

  it('only the clients that transferred, and that asked, are notified', () => {
    const { r, vt, clients } = setup({ n: 2, capacity: 4 });
    r.put(clients[1]!, 10);
    r.setFlag(clients[0]!, true);
    pend(r, vt, 0, 1); // client 0 has nothing
    r.notified(vt, 0);
    expect(r.calls).toEqual(['virt_tx: notify 0', 'virt_tx: notify 2']);
    expect(r.armed(clients[0]!)).toBe(true);
    const t = setup({ n: 2, capacity: 4 });
    t.r.put(t.clients[1]!, 10);
    t.r.setFlag(t.clients[1]!, false);
    pend(t.r, t.vt, 1);
    t.r.notified(t.vt, 0);
    expect(t.r.calls).toEqual(['virt_tx: notify 0']);
  });

  it('pops only the clients pending at entry: a re-pushed one waits for the next signal', () => {
    const { r, vt, clients, driver } = setup({ n: 1, capacity: 2 });
    r.put(driver, 1, 2);
    r.put(clients[0]!, 3);
    pend(r, vt, 0);
    expect(r.notified(vt, 0)).toEqual([
      'tx_return.pop',
      'process_tx_queue.length',
      'process_tx_queue.pending.request_consumer_signal(driver)',
      'process_tx_queue.recheck(driver)',
      'process_tx_queue.pending.cancel_producer_signal(client)',
      'reprocess.recheck(client)',
      'tx_return.pop',
      'tx_return.notify_if(driver)',
      'tx_return.notify_if(client)',
    ]);
    expect(r.local(vt, VL_PENDING)).toBe(1);
    expect(r.calls).toEqual([]);
  });

  it('the notify marks of one tx_return do not leak into the next', () => {
    const { r, vt, clients, driver } = setup({ n: 1, capacity: 4 });
    r.put(clients[0]!, 3);
    pend(r, vt, 0);
    r.notified(vt, 0);
    expect(r.calls).toEqual(['virt_tx: notify 0', 'virt_tx: notify 1']);
    r.setFlag(clients[0]!, true);
    r.setFlag(driver, true, true);
    r.calls.length = 0;
    r.notified(vt, 0); // nothing pending: nobody transferred
    expect(r.calls).toEqual([]);
  });

  it('a transfer with the driver not asking: no driver notify', () => {
    const { r, vt, clients, driver } = setup({ n: 1, capacity: 4 });
    r.put(clients[0]!, 3);
    r.setFlag(driver, false, true);
    pend(r, vt, 0);
    r.notified(vt, 0);
    expect(r.calls).toEqual(['virt_tx: notify 1']);
    expect(r.peek(driver)).toEqual([3]);
  });

  it('F12: the driver notify of tx_return is deferred', () => {
    const { r, vt, clients } = setup({ deferred: true });
    r.put(clients[0]!, 3);
    r.setFlag(clients[0]!, false);
    pend(r, vt, 0);
    r.notified(vt, 0);
    expect(r.calls).toEqual(['virt_tx: deferred 0']);
  });

  it('the C assert: a push with every client already queued (corrupt bits)', () => {
    const { r, vt, clients, driver } = setup({ n: 1, capacity: 2 });
    r.put(driver, 1, 2);
    r.put(clients[0]!, 3);
    r.setLocal(vt, VL_PTAIL, 1); // length 1 = clients, but client 0's bit clear
    // A debug build stops at the assert (the PD crashes): run up to it.
    r.run(vt, vt.entry(1), 4);
    expect(r.fails.map((f) => f.property)).toEqual(['no-assert-failure']);
    expect(r.fails[0]!.message).toMatch(/1 clients already pending/);
  });

  it('F22 (before 0e60979c): the third push writes past the array (no-overwrite)', () => {
    const { r, vt, clients, driver } = setup({ n: 2, capacity: 2, pendingUnbounded: true });
    r.put(driver, 1, 2);
    r.setLocal(vt, VL_PHEAD, 2);
    r.setLocal(vt, VL_PTAIL, 2);
    r.put(clients[0]!, 3);
    r.run(vt, vt.entry(1), 4); // the monitor stops the run at the write
    expect(r.fails).toEqual([
      {
        pd: 'virt_tx',
        property: 'no-overwrite',
        message: 'tx_pending_push: queue[2] is past the 2 entries',
      },
    ]);
    // The pop of such an entry too.
    const t = setup({ n: 2, capacity: 2, pendingUnbounded: true });
    t.r.setLocal(t.vt, VL_PHEAD, 2);
    t.r.setLocal(t.vt, VL_PTAIL, 3);
    t.r.run(t.vt, t.vt.entry(0), 1);
    expect(t.r.fails.map((f) => [f.property, f.message])).toEqual([
      ['no-overwrite', 'tx_pending_pop: queue[2] is past the 2 entries'],
    ]);
    // At HEAD the same indices are in the 3-entry array: no failure.
    const h = setup({ n: 2, capacity: 2 });
    h.r.put(h.driver, 1, 2);
    h.r.setLocal(h.vt, VL_PHEAD, 2);
    h.r.setLocal(h.vt, VL_PTAIL, 2);
    h.r.put(h.clients[0]!, 3);
    h.r.notified(h.vt, 1);
    expect(h.r.fails).toEqual([]);
    expect(h.r.local(h.vt, VL_FIFO + 2)).toBe(0);
    expect(h.r.local(h.vt, VL_PTAIL)).toBe(0);
  });
});

describe('2024 driver (tx_provide)', () => {
  it('shape', () => {
    const { drv } = setup();
    expect(drv.name).toBe('driver');
    expect(drv.localWords).toBe(1);
    expect(drv.initPc).toBe(PC_DONE);
    expect(drv.steps).toEqual([
      '',
      'tx_provide.process',
      'tx_provide.request_producer_signal',
      'tx_provide.recheck',
      'tx_provide.notify_if(virt_tx)',
    ]);
    expect(drv.entry(0)).toBe(1);
  });

  it('emits characters (markers skipped), asks for the next enqueue, signals virt_tx if it asked', () => {
    const { r, drv, driver } = setup({ n: 2, capacity: 8 });
    r.put(driver, S24_COLOUR_BEGIN, c0(1), S24_CR, c0(2), s24Char(1, 1), (1 << 8) | S24_COLOUR_END);
    r.setFlag(driver, false, true);
    r.setFlag(driver, true);
    expect(r.notified(drv, 0)).toEqual([
      ...new Array<string>(7).fill('tx_provide.process'),
      'tx_provide.request_producer_signal',
      'tx_provide.recheck',
      'tx_provide.notify_if(virt_tx)',
    ]);
    expect(r.ghost(s24Ghost(0, S24_EMITTED))).toBe(2);
    expect(r.ghost(s24Ghost(0, S24_LAST))).toBe(2);
    expect(r.ghost(s24Ghost(1, S24_EMITTED))).toBe(1);
    expect(r.armedOld(driver)).toBe(true);
    expect(r.armed(driver)).toBe(false);
    expect(r.calls).toEqual(['driver: notify 0']);
    expect(r.fails).toEqual([]);
    expect(r.local(drv, 0)).toBe(0);
  });

  it('only markers: nothing moved, no notify', () => {
    const { r, drv, driver } = setup();
    r.put(driver, S24_CR);
    r.setFlag(driver, true);
    r.notified(drv, 0);
    expect(r.calls).toEqual([]);
  });

  it('the re-check: data after the request cancels it and goes on', () => {
    const { r, drv, driver } = setup();
    expect(r.step(drv, 'tx_provide.request_producer_signal')).toBe('tx_provide.recheck');
    r.put(driver, c0(1));
    expect(r.step(drv, 'tx_provide.recheck')).toBe('tx_provide.process');
    expect(r.armedOld(driver)).toBe(false);
  });

  it('a repeated or unknown client character is a fifo violation', () => {
    const { r, drv, driver } = setup({ n: 1 });
    r.put(driver, c0(2), c0(2), s24Char(1, 1));
    r.notified(drv, 0);
    expect(r.fails.map((f) => f.message)).toEqual([
      "UART emitted client 0's char 2 after 2",
      "UART emitted client 1's char 1 after 0",
    ]);
    // The last seq equal to the next one is out of order; one less is fine.
    const t = setup();
    t.r.ghosts[s24Ghost(0, S24_LAST)] = 1;
    t.r.put(t.driver, c0(2));
    t.r.notified(t.drv, 0);
    expect(t.r.fails).toEqual([]);
  });

  it('a bad pc is our bug', () => {
    const { r, drv } = setup();
    expect(() => drv.step(5, r.ctx(drv))).toThrow(/serial 2024 driver: bad pc 5/);
  });
});
