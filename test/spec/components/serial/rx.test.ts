// The serial Rx path's model programs (spec/components/serial-rx.ts; drivers/serial/arm/uart.c and
// serial/components/virt_rx.c at au-ts/sddf 650ace5d): the driver's rx_return (UART FIFO → driver
// queue, interrupts off and the flag armed when full), the keyboard, virt_rx's switch and
// delivery, and the client's order monitor, each on hand-set queues and UART words.
import { describe, expect, it } from 'vitest';
import {
  DRIVER_RX_CH_IRQ,
  DRIVER_RX_CH_VIRT,
  KEYBOARD_CH_DRIVER,
  VIRT_RX_CH_DRIVER,
  expectedStreams,
  rxGhost,
  rxTakenGhost,
  serialKeyboard,
  serialRxClient,
  serialRxDriver,
  serialRxGhosts,
  serialVirtRx,
  type SerialRxConfig,
} from '../../../../spec/components/serial-rx.ts';
import { PC_DONE } from '../../../../spec/components/program.ts';
import { SERIAL_FLAVOUR_HEAD } from '../../../../spec/queue/serial.ts';
import { Rig } from './rig.ts';

const chars = (t: string) => [...t].map((c) => c.charCodeAt(0));
const RECEIVED = 0;
const IMSC = 1;

function setup(
  o: {
    script?: string | number[];
    clients?: number;
    capacity?: number;
    driverCapacity?: number;
    uart?: boolean;
    bug?: 'F7';
  } = {},
) {
  const r = new Rig();
  const driver = r.serialQueue('driver_rx', o.driverCapacity ?? o.capacity ?? 2);
  const clients = Array.from({ length: o.clients ?? 1 }, (_, k) =>
    r.serialQueue(`client${k}_rx`, o.capacity ?? 2),
  );
  const script = typeof o.script === 'string' ? chars(o.script) : (o.script ?? chars('ab'));
  const cfg: SerialRxConfig = {
    driver,
    clients,
    uart: o.uart === true ? { received: RECEIVED, imsc: IMSC } : null,
    script,
    flavour: SERIAL_FLAVOUR_HEAD,
    ...(o.bug !== undefined ? { bug: o.bug } : {}),
    switch: { switchChar: 28, terminateChar: 13 },
  };
  return { r, cfg, driver, clients, drv: serialRxDriver(cfg), vrx: serialVirtRx(cfg) };
}

describe('ghost layout and channels', () => {
  it('per client k: consumed at 2k, stream index at 2k+1; then the driver count', () => {
    expect([rxGhost(0, 0), rxGhost(0, 1), rxGhost(2, 0), rxGhost(2, 1)]).toEqual([0, 1, 4, 5]);
    expect(rxTakenGhost(3)).toBe(6);
    expect(serialRxGhosts(3)).toBe(7);
    expect([DRIVER_RX_CH_IRQ, DRIVER_RX_CH_VIRT, KEYBOARD_CH_DRIVER, VIRT_RX_CH_DRIVER]).toEqual([
      0, 1, 0, 0,
    ]);
  });

  it('expected streams: the script through the switch machine', () => {
    const { cfg } = setup({ clients: 3, script: [...chars('ab'), 28, ...chars('2\rc'), 28, 28] });
    expect(expectedStreams(cfg)).toEqual([chars('ab'), [], [...chars('c'), 28]]);
  });
});

describe('serial rx driver (rx_return)', () => {
  it('shape: boot FIFO runs from init; with a UART the driver starts after init', () => {
    const { drv } = setup();
    expect(drv.name).toBe('driver');
    expect(drv.localWords).toBe(2);
    expect(drv.steps).toEqual([
      '',
      'handle_irq',
      'rx_return.enqueue',
      'rx_return.request_consumer_signal',
      'rx_return.recheck',
      'rx_return.notify(virt_rx)',
      'notified(virt_rx).enable_rx_irq',
    ]);
    expect(drv.steps[drv.initPc]).toBe('rx_return.enqueue');
    expect(setup({ uart: true }).drv.initPc).toBe(PC_DONE);
    expect(drv.steps[drv.entry(DRIVER_RX_CH_IRQ)]).toBe('handle_irq');
    expect(drv.steps[drv.entry(DRIVER_RX_CH_VIRT)]).toBe('notified(virt_rx).enable_rx_irq');
  });

  it('boot FIFO: moves what fits, arms the flag on a full queue with characters left, notifies', () => {
    const { r, drv, driver, cfg } = setup({ script: 'abc', capacity: 2 });
    r.setFlag(driver, false);
    expect(r.init(drv)).toEqual([
      'rx_return.enqueue',
      'rx_return.enqueue',
      'rx_return.enqueue',
      'rx_return.request_consumer_signal',
      'rx_return.recheck',
      'rx_return.notify(virt_rx)',
    ]);
    expect(r.peek(driver)).toEqual(chars('ab'));
    expect(r.armed(driver)).toBe(true);
    expect(r.calls).toEqual(['driver: notify 1']);
    expect(r.local(drv, 1)).toBe(2); // taken
    expect(r.local(drv, 0)).toBe(0); // moved mark reset
    expect(r.ghost(rxTakenGhost(cfg.clients.length))).toBe(2);
    // virt_rx drained; its signal re-enters: the last character, the flag not armed again.
    r.drain(driver);
    r.setFlag(driver, false);
    r.calls.length = 0;
    expect(r.notified(drv, DRIVER_RX_CH_VIRT)).toEqual([
      'notified(virt_rx).enable_rx_irq',
      'rx_return.enqueue',
      'rx_return.enqueue',
      'rx_return.request_consumer_signal',
      'rx_return.recheck',
      'rx_return.notify(virt_rx)',
    ]);
    expect(r.peek(driver)).toEqual(chars('c'));
    expect(r.armed(driver)).toBe(false);
    expect(r.calls).toEqual(['driver: notify 1']);
  });

  it('exactly as many characters as room: the queue full, nothing waiting, flag untouched', () => {
    const { r, drv, driver } = setup({ script: 'ab', capacity: 2 });
    r.setFlag(driver, false);
    r.init(drv);
    expect(r.peek(driver)).toEqual(chars('ab'));
    expect(r.armed(driver)).toBe(false);
  });

  it('nothing moved: no notify', () => {
    const { r, drv, driver } = setup({ script: 'a', capacity: 2 });
    r.setLocal(drv, 1, 1);
    r.notified(drv, DRIVER_RX_CH_IRQ);
    expect(r.calls).toEqual([]);
    expect(r.peek(driver)).toEqual([]);
  });

  it('re-check: room made after the request cancels, re-enables and moves on', () => {
    const { r, drv, driver } = setup({ script: 'abc', capacity: 2, uart: true });
    r.devWords[RECEIVED] = 3;
    r.put(driver, 1, 2);
    r.setFlag(driver, false);
    expect(r.step(drv, 'rx_return.enqueue')).toBe('rx_return.request_consumer_signal');
    expect(r.step(drv, 'rx_return.request_consumer_signal')).toBe('rx_return.recheck');
    expect(r.armed(driver)).toBe(true);
    expect(r.devWords[IMSC]).toBe(0); // Rx interrupts off
    r.drain(driver);
    expect(r.step(drv, 'rx_return.recheck')).toBe('rx_return.enqueue');
    expect(r.armed(driver)).toBe(false);
    expect(r.devWords[IMSC]).toBe(1);
    // No room at the re-check: on to the notify, the flag stays armed, interrupts stay off.
    r.put(driver, 1, 2);
    r.setFlag(driver, true);
    r.devWords[IMSC] = 0;
    expect(r.step(drv, 'rx_return.recheck')).toBe('rx_return.notify(virt_rx)');
    expect(r.armed(driver)).toBe(true);
    expect(r.devWords[IMSC]).toBe(0);
  });

  it('re-check with nothing waiting (all taken): on to the notify', () => {
    const { r, drv, driver } = setup({ script: 'a', capacity: 2 });
    r.setLocal(drv, 1, 1);
    expect(r.step(drv, 'rx_return.recheck')).toBe('rx_return.notify(virt_rx)');
    expect(r.armed(driver)).toBe(true); // untouched (zero-initialised)
  });

  it('with a UART: takes only what was typed; virt_rx signal turns the interrupts on', () => {
    const { r, drv, driver } = setup({ script: 'abc', capacity: 4, uart: true });
    r.devWords[RECEIVED] = 1;
    r.notified(drv, DRIVER_RX_CH_IRQ);
    expect(r.peek(driver)).toEqual(chars('a'));
    expect(r.devWords[IMSC] ?? 0).toBe(0);
    r.devWords[RECEIVED] = 2;
    r.notified(drv, DRIVER_RX_CH_VIRT);
    expect(r.devWords[IMSC]).toBe(1);
    expect(r.peek(driver)).toEqual(chars('ab'));
  });

  it('F7 (before 0d513ad8): require where request belongs, the flag is never armed', () => {
    const { r, drv, driver } = setup({ script: 'abc', capacity: 2, bug: 'F7' });
    r.setFlag(driver, false);
    r.init(drv);
    expect(r.armed(driver)).toBe(false);
    expect(r.peek(driver)).toEqual(chars('ab'));
  });

  it('a bad pc is our bug', () => {
    const { r, drv, vrx } = setup();
    expect(() => drv.step(7, r.ctx(drv))).toThrow(/serial rx driver: bad pc 7/);
    expect(() => vrx.step(4, r.ctx(vrx))).toThrow(/serial virt_rx: bad pc 4/);
  });
});

describe('keyboard', () => {
  it('types one character per step, raising the IRQ only while the driver has it on', () => {
    const { r, cfg } = setup({ script: 'ab', uart: true });
    const kb = serialKeyboard(cfg);
    expect(kb.name).toBe('keyboard');
    expect(kb.steps).toEqual(['', 'type']);
    expect(kb.localWords).toBe(0);
    expect(kb.entry(0)).toBe(PC_DONE);
    expect(kb.initPc).toBe(1);
    r.devWords[IMSC] = 1;
    expect(kb.step(1, r.ctx(kb))).toBe(1);
    expect(r.devWords[RECEIVED]).toBe(1);
    expect(r.calls).toEqual(['keyboard: notify 0']);
    r.devWords[IMSC] = 0;
    expect(kb.step(1, r.ctx(kb))).toBe(PC_DONE);
    expect(r.devWords[RECEIVED]).toBe(2);
    expect(r.calls).toHaveLength(1);
    expect(() => kb.step(2, r.ctx(kb))).toThrow(/keyboard: bad pc 2/);
  });

  it('an empty script types nothing; without UART words there is no keyboard', () => {
    expect(serialKeyboard(setup({ script: [], uart: true }).cfg).initPc).toBe(PC_DONE);
    expect(() => serialKeyboard(setup().cfg)).toThrow(/needs the UART words/);
  });
});

describe('serial virt_rx (rx_return)', () => {
  it('shape', () => {
    const { vrx } = setup();
    expect(vrx.name).toBe('virt_rx');
    expect(vrx.localWords).toBe(7);
    expect(vrx.initPc).toBe(PC_DONE);
    expect(vrx.steps).toEqual([
      '',
      'rx_return.dequeue',
      'rx_return.notify_if(driver)',
      'rx_return.notify(client)',
    ]);
    expect(vrx.entry(0)).toBe(1);
  });

  it('delivers to the current client, publishes once, notifies it; signals a blocked driver', () => {
    const { r, vrx, driver, clients } = setup({ capacity: 4 });
    r.put(driver, ...chars('hi'));
    r.setFlag(driver, true);
    expect(r.notified(vrx, 0)).toEqual([
      'rx_return.dequeue',
      'rx_return.dequeue',
      'rx_return.dequeue',
      'rx_return.notify_if(driver)',
      'rx_return.notify(client)',
    ]);
    expect(r.peek(clients[0]!)).toEqual(chars('hi'));
    expect(r.calls).toEqual(['virt_rx: notify 0', 'virt_rx: notify 1']);
    expect(r.armed(driver)).toBe(false);
    expect([5, 6].map((i) => r.local(vrx, i))).toEqual([0, 0]);
    // Again, the driver not blocked: only the client.
    r.calls.length = 0;
    r.put(driver, ...chars('!'));
    r.notified(vrx, 0);
    expect(r.calls).toEqual(['virt_rx: notify 1']);
    expect(r.peek(clients[0]!)).toEqual(chars('hi!'));
  });

  it('the tail is published only at the end (private tail while delivering)', () => {
    const { r, vrx, driver, clients } = setup({ capacity: 4 });
    r.put(driver, ...chars('hi'));
    r.run(vrx, vrx.entry(0), 2);
    expect(r.mem.load(clients[0]!.tail)).toBe(0);
    expect(r.local(vrx, 4)).toBe(2);
    r.run(vrx, 1);
    expect(r.mem.load(clients[0]!.tail)).toBe(2);
  });

  it('a full client queue drops; nothing delivered, no client notify', () => {
    const { r, vrx, driver, clients } = setup({ capacity: 2 });
    r.put(clients[0]!, 1, 2);
    r.put(driver, ...chars('x'));
    r.setFlag(driver, false);
    r.notified(vrx, 0);
    expect(r.peek(clients[0]!)).toEqual([1, 2]);
    expect(r.calls).toEqual([]);
    expect(r.fails).toEqual([]);
  });

  it('a switch publishes and notifies the old client, then delivers to the new one', () => {
    const { r, vrx, driver, clients } = setup({ clients: 2, capacity: 8 });
    r.put(driver, ...chars('a'), 28, ...chars('1\rb'));
    r.setFlag(driver, false);
    r.notified(vrx, 0);
    expect(r.peek(clients[0]!)).toEqual(chars('a'));
    expect(r.peek(clients[1]!)).toEqual(chars('b'));
    expect(r.calls).toEqual(['virt_rx: notify 1', 'virt_rx: notify 2']);
    expect(r.local(vrx, 1)).toBe(1); // current client
    expect(r.local(vrx, 0)).toBe(0); // normal mode
  });

  it('a switch back from client 1 notifies channel 2, then client 0 on channel 1', () => {
    const { r, vrx, driver, clients } = setup({ clients: 2, capacity: 8 });
    r.setLocal(vrx, 1, 1); // current client 1
    r.put(driver, ...chars('a'), 28, ...chars('0\rb'));
    r.setFlag(driver, false);
    r.notified(vrx, 0);
    expect(r.peek(clients[1]!)).toEqual(chars('a'));
    expect(r.peek(clients[0]!)).toEqual(chars('b'));
    expect(r.calls).toEqual(['virt_rx: notify 2', 'virt_rx: notify 1']);
  });

  it('a switch without data before it notifies nobody for the old client', () => {
    const { r, vrx, driver, clients } = setup({ clients: 2, capacity: 8 });
    r.put(clients[1]!, 9); // the new client's tail is read at the switch
    r.put(driver, 28, ...chars('1\rb'));
    r.setFlag(driver, false);
    r.notified(vrx, 0);
    expect(r.peek(clients[1]!)).toEqual([9, ...chars('b')]);
    expect(r.calls).toEqual(['virt_rx: notify 2']);
  });

  it('the switch machine lives in the locals across handler runs (digits with leading zeros)', () => {
    const { r, vrx, driver, clients } = setup({ clients: 2, capacity: 8 });
    r.setFlag(driver, false);
    r.put(driver, 28, ...chars('0'));
    r.notified(vrx, 0);
    expect([0, 1, 2, 3].map((i) => r.local(vrx, i))).toEqual([2, 0, 0, 1]); // number, '0'
    r.put(driver, ...chars('01'));
    r.notified(vrx, 0);
    expect([0, 1, 2, 3].map((i) => r.local(vrx, i))).toEqual([2, 0, 1, 3]); // '001'
    r.put(driver, 13, ...chars('z'));
    r.notified(vrx, 0);
    expect(r.peek(clients[1]!)).toEqual(chars('z'));
    expect([0, 1, 2, 3].map((i) => r.local(vrx, i))).toEqual([0, 1, 0, 0]);
    r.put(driver, 28);
    r.notified(vrx, 0);
    expect(r.local(vrx, 0)).toBe(1); // switched
  });

  it("a full driver queue (it refilled meanwhile) is not signalled: '!full && require'", () => {
    const { r, vrx, driver } = setup({ capacity: 2 });
    r.put(driver, 1, 2);
    r.setFlag(driver, true);
    expect(r.step(vrx, 'rx_return.notify_if(driver)')).toBe('rx_return.notify(client)');
    expect(r.calls).toEqual([]);
    expect(r.armed(driver)).toBe(true);
    r.drain(driver);
    r.put(driver, 1);
    r.step(vrx, 'rx_return.notify_if(driver)');
    expect(r.calls).toEqual(['virt_rx: notify 0']);
  });

  it('publishing a tail that claims more than the capacity is the C assert failing', () => {
    const { r, vrx, driver, clients } = setup({ capacity: 2 });
    r.setLocal(vrx, 6, 1); // tail already read
    r.setLocal(vrx, 4, 3);
    r.setFlag(driver, false);
    r.step(vrx, 'rx_return.dequeue');
    expect(r.fails.map((f) => f.property)).toEqual(['no-assert-failure']);
    expect(r.fails[0]!.message).toMatch(/client0_rx: update_shared_tail/);
    expect(r.mem.load(clients[0]!.tail)).toBe(0);
  });
});

describe('serial rx client', () => {
  it('takes everything, counting; each character must come later in its stream', () => {
    const { r, cfg, clients } = setup({ clients: 2, capacity: 4 });
    const cl = serialRxClient(cfg, 1, chars('abc'));
    expect(cl.name).toBe('client1');
    expect(cl.steps).toEqual(['', 'notified.dequeue']);
    expect(cl.localWords).toBe(0);
    expect(cl.initPc).toBe(PC_DONE);
    expect(cl.entry(0)).toBe(1);
    r.put(clients[1]!, ...chars('ac'));
    expect(r.notified(cl, 0)).toEqual(['notified.dequeue', 'notified.dequeue', 'notified.dequeue']);
    expect(r.ghost(rxGhost(1, 0))).toBe(2);
    expect(r.ghost(rxGhost(1, 1))).toBe(3);
    expect(r.fails).toEqual([]);
    // 'a' again: not later in the stream.
    r.put(clients[1]!, ...chars('a'));
    r.notified(cl, 0);
    expect(r.fails).toEqual([
      {
        pd: 'client1',
        property: 'fifo',
        message: 'client1 received 97, not next in its stream [97,98,99]',
      },
    ]);
    expect(r.ghost(rxGhost(1, 1))).toBe(3);
    expect(() => cl.step(2, r.ctx(cl))).toThrow(/serial rx client: bad pc 2/);
  });

  it('the last character of the stream is accepted (just inside the end)', () => {
    const { r, cfg, clients } = setup({ capacity: 4 });
    const cl = serialRxClient(cfg, 0, chars('ab'));
    r.ghosts[rxGhost(0, 1)] = 1;
    r.put(clients[0]!, ...chars('b'));
    r.notified(cl, 0);
    expect(r.fails).toEqual([]);
    expect(r.ghost(rxGhost(0, 1))).toBe(2);
  });
});
