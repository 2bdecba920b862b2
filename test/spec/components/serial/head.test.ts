// The serial Tx path at HEAD (spec/components/serial.ts; reference sddf-protocols.md §2.4,
// §3.10–3.11; util/putchar_serial.c, serial/components/virt_tx.c and drivers/serial/arm/uart.c
// at au-ts/sddf 650ace5d), one component's handler at a time on hand-set queues: pre-state, the
// steps it runs, post-state (queue contents, producer_signalled, locals, ghosts, notifications).
import { describe, expect, it } from 'vitest';
import {
  SERIAL_GHOSTS,
  SG_EMITTED,
  SG_WRITTEN,
  SVT_CH_CLIENT,
  SVT_CH_DRIVER,
  serialClient,
  serialDriver,
  serialQueueFlavour,
  serialVirtTx,
  type SerialConfig,
  type SerialFlavour,
} from '../../../../spec/components/serial.ts';
import { PC_DONE } from '../../../../spec/components/program.ts';
import { Rig } from './rig.ts';

function setup(
  o: {
    chars?: number;
    capacity?: number;
    driverCapacity?: number;
    flavour?: SerialFlavour;
    batch?: boolean;
  } = {},
) {
  const r = new Rig();
  const client = r.serialQueue('client_tx', o.capacity ?? 2);
  const driver = r.serialQueue('driver_tx', o.driverCapacity ?? o.capacity ?? 2);
  const cfg: SerialConfig = {
    client,
    driver,
    chars: o.chars ?? 4,
    flavour: o.flavour ?? {},
    ...(o.batch !== undefined ? { batch: o.batch } : {}),
  };
  return {
    r,
    cfg,
    client,
    driver,
    cli: serialClient(cfg),
    vt: serialVirtTx(cfg),
    drv: serialDriver(cfg),
  };
}

describe('serialQueueFlavour: the queue.h each bug needs', () => {
  it('HEAD: seq_cst fences, nothing else', () => {
    expect(serialQueueFlavour({})).toStrictEqual({ fences: 'seq_cst' });
  });
  it('the ordering asked for, when there is no bug', () => {
    expect(serialQueueFlavour({ ordering: { fences: 'none', acquire: 'consumer' } })).toStrictEqual(
      { fences: 'none', acquire: 'consumer' },
    );
    expect(serialQueueFlavour({ ordering: { fences: 'seq_cst-request' } })).toStrictEqual({
      fences: 'seq_cst-request',
    });
  });
  it('F9: release fences whatever the ordering says', () => {
    expect(serialQueueFlavour({ bug: 'F9', ordering: { fences: 'seq_cst' } })).toStrictEqual({
      fences: 'release',
    });
  });
  it('F6 writes the old flag word; F23 the pre-a0c50ca9 batch', () => {
    expect(serialQueueFlavour({ bug: 'F6' })).toStrictEqual({ fences: 'seq_cst', wrongFlag: true });
    expect(serialQueueFlavour({ bug: 'F23' })).toStrictEqual({ fences: 'seq_cst', batch: 'F23' });
    expect(serialQueueFlavour({ bug: 'F8' })).toStrictEqual({ fences: 'seq_cst' });
  });
});

describe('serial ghosts', () => {
  it('two words: written by the client at 0, emitted by the UART at 1', () => {
    expect([SG_WRITTEN, SG_EMITTED, SERIAL_GHOSTS]).toEqual([0, 1, 2]);
    expect([SVT_CH_DRIVER, SVT_CH_CLIENT]).toEqual([0, 1]);
  });
});

describe('serial client (putchar, HEAD)', () => {
  it('shape: one local, starts in init, every notification re-enters putchar', () => {
    const { cli } = setup();
    expect(cli.name).toBe('client');
    expect(cli.localWords).toBe(1);
    expect(cli.steps).toEqual([
      '',
      'putchar.enqueue',
      'putchar.notify',
      'putchar.request_consumer_signal',
      'putchar.recheck',
    ]);
    expect(cli.initPc).toBe(cli.steps.indexOf('putchar.enqueue'));
    expect(cli.entry(0)).toBe(cli.steps.indexOf('putchar.enqueue'));
    expect(cli.entry(5)).toBe(cli.steps.indexOf('putchar.enqueue'));
  });

  it('fills the queue with 1, 2, notifies once, arms the flag and sleeps on a full queue', () => {
    const { r, cli, client } = setup({ chars: 3 });
    r.setFlag(client, false);
    expect(r.init(cli)).toEqual([
      'putchar.enqueue',
      'putchar.enqueue',
      'putchar.enqueue',
      'putchar.notify',
      'putchar.request_consumer_signal',
      'putchar.recheck',
    ]);
    expect(r.peek(client)).toEqual([1, 2]);
    expect(r.ghost(SG_WRITTEN)).toBe(2);
    expect(r.calls).toEqual(['client: notify 0']);
    expect(r.armed(client)).toBe(true);
    expect(r.local(cli, 0)).toBe(0); // the "wrote" mark is reset
    expect(r.fails).toEqual([]);
  });

  it('after virt_tx frees space and signals, writes the rest and returns without arming', () => {
    const { r, cli, client } = setup({ chars: 3 });
    r.init(cli);
    r.drain(client);
    r.setFlag(client, false); // virt_tx cancelled it before notifying
    r.calls.length = 0;
    expect(r.notified(cli, 0)).toEqual(['putchar.enqueue', 'putchar.enqueue', 'putchar.notify']);
    expect(r.peek(client)).toEqual([3]);
    expect(r.ghost(SG_WRITTEN)).toBe(3);
    expect(r.calls).toEqual(['client: notify 0']);
    expect(r.armed(client)).toBe(false);
  });

  it('nothing written (queue still full): no notify, the flag armed again', () => {
    const { r, cli, client } = setup({ chars: 3 });
    r.put(client, 1, 2);
    r.ghosts[SG_WRITTEN] = 2;
    r.setFlag(client, false);
    expect(r.notified(cli, 0)).toEqual([
      'putchar.enqueue',
      'putchar.notify',
      'putchar.request_consumer_signal',
      'putchar.recheck',
    ]);
    expect(r.calls).toEqual([]);
    expect(r.armed(client)).toBe(true);
  });

  it('all written: nothing to do, no notify', () => {
    const { r, cli, client } = setup({ chars: 2 });
    r.ghosts[SG_WRITTEN] = 2;
    expect(r.notified(cli, 0)).toEqual(['putchar.enqueue', 'putchar.notify']);
    expect(r.peek(client)).toEqual([]);
    expect(r.calls).toEqual([]);
  });

  it('one character left (written = chars - 1) is written', () => {
    const { r, cli, client } = setup({ chars: 2 });
    r.ghosts[SG_WRITTEN] = 1;
    r.notified(cli, 0);
    expect(r.peek(client)).toEqual([2]);
    expect(r.ghost(SG_WRITTEN)).toBe(2);
  });

  it('re-check: space freed after the request cancels the flag and writes on', () => {
    const { r, cli, client } = setup({ chars: 4 });
    r.put(client, 1, 2);
    r.ghosts[SG_WRITTEN] = 2;
    expect(r.step(cli, 'putchar.request_consumer_signal')).toBe('putchar.recheck');
    expect(r.armed(client)).toBe(true);
    r.drain(client);
    expect(r.step(cli, 'putchar.recheck')).toBe('putchar.enqueue');
    expect(r.armed(client)).toBe(false);
    // Still full: the flag stays armed and the handler returns.
    r.put(client, 3, 4);
    r.setFlag(client, true);
    expect(r.step(cli, 'putchar.recheck')).toBe('DONE');
    expect(r.armed(client)).toBe(true);
  });

  it('a bad pc is our bug', () => {
    const { r, cli } = setup();
    expect(() => cli.step(9, r.ctx(cli))).toThrow(/serial client: bad pc 9/);
  });
});

describe('serial virt_tx (HEAD)', () => {
  it('shape: two locals, starts after init; the driver channel enters tx_return', () => {
    const { vt } = setup();
    expect(vt.name).toBe('virt_tx');
    expect(vt.localWords).toBe(2);
    expect(vt.initPc).toBe(PC_DONE);
    expect(vt.steps).toEqual([
      '',
      'process_tx_queue.length',
      'process_tx_queue.request_consumer_signal(driver)',
      'process_tx_queue.recheck(driver)',
      'process_tx_queue.transfer_all',
      'tx_provide.notify(driver)',
      'tx_provide.notify_if(client)',
      'tx_return.pending',
    ]);
    expect(vt.steps[vt.entry(SVT_CH_DRIVER)]).toBe('tx_return.pending');
    expect(vt.steps[vt.entry(SVT_CH_CLIENT)]).toBe('process_tx_queue.length');
  });

  it('tx_provide: moves everything, notifies the driver, and the client only if it asked', () => {
    const { r, vt, client, driver } = setup({ capacity: 4 });
    r.put(client, 7, 8, 9);
    r.setFlag(client, true);
    r.setFlag(driver, false);
    expect(r.notified(vt, SVT_CH_CLIENT)).toEqual([
      'process_tx_queue.length',
      'process_tx_queue.transfer_all',
      'tx_provide.notify(driver)',
      'tx_provide.notify_if(client)',
    ]);
    expect(r.peek(driver)).toEqual([7, 8, 9]);
    expect(r.peek(client)).toEqual([]);
    expect(r.calls).toEqual(['virt_tx: notify 0', 'virt_tx: notify 1']);
    expect(r.armed(client)).toBe(false); // cancelled before the notify
    expect(r.local(vt, 1)).toBe(3); // the length measured
    // Again, the client not blocked: only the driver hears.
    r.calls.length = 0;
    r.put(client, 10);
    r.notified(vt, SVT_CH_CLIENT);
    expect(r.calls).toEqual(['virt_tx: notify 0']);
    expect(r.fails).toEqual([]);
  });

  it('an empty client queue: nothing, no notify', () => {
    const { r, vt } = setup();
    expect(r.notified(vt, SVT_CH_CLIENT)).toEqual(['process_tx_queue.length']);
    expect(r.calls).toEqual([]);
  });

  it('exactly the free space fits (length == free); one more goes pending after the re-check', () => {
    const { r, vt, client, driver } = setup({ capacity: 2 });
    r.put(driver, 1);
    r.put(client, 2);
    r.notified(vt, SVT_CH_CLIENT);
    expect(r.peek(driver)).toEqual([1, 2]);
    // Driver full, one byte waits: request, re-check, pending.
    r.drain(client);
    r.setFlag(driver, false);
    r.put(client, 3);
    r.calls.length = 0;
    expect(r.notified(vt, SVT_CH_CLIENT)).toEqual([
      'process_tx_queue.length',
      'process_tx_queue.request_consumer_signal(driver)',
      'process_tx_queue.recheck(driver)',
    ]);
    expect(r.armed(driver)).toBe(true);
    expect(r.local(vt, 0)).toBe(1); // tx_pending
    expect(r.peek(client)).toEqual([3]);
    expect(r.calls).toEqual([]);
  });

  it('tx_return: nothing pending is nothing; pending retries once and clears the mark', () => {
    const { r, vt, client, driver } = setup({ capacity: 2 });
    r.put(client, 5);
    expect(r.notified(vt, SVT_CH_DRIVER)).toEqual(['tx_return.pending']);
    expect(r.peek(driver)).toEqual([]);
    r.setLocal(vt, 0, 1);
    expect(r.notified(vt, SVT_CH_DRIVER)).toEqual([
      'tx_return.pending',
      'process_tx_queue.length',
      'process_tx_queue.transfer_all',
      'tx_provide.notify(driver)',
      'tx_provide.notify_if(client)',
    ]);
    expect(r.local(vt, 0)).toBe(0);
    expect(r.peek(driver)).toEqual([5]);
  });

  it('a successful re-check transfers and leaves the driver flag armed (HEAD: no cancel)', () => {
    const { r, vt, client, driver } = setup({ capacity: 2 });
    r.put(driver, 1, 2);
    r.put(client, 3);
    r.setFlag(driver, false);
    expect(r.step(vt, 'process_tx_queue.length')).toBe(
      'process_tx_queue.request_consumer_signal(driver)',
    );
    expect(r.step(vt, 'process_tx_queue.request_consumer_signal(driver)')).toBe(
      'process_tx_queue.recheck(driver)',
    );
    r.drain(driver);
    expect(r.step(vt, 'process_tx_queue.recheck(driver)')).toBe('process_tx_queue.transfer_all');
    expect(r.armed(driver)).toBe(true);
    expect(r.local(vt, 0)).toBe(0);
  });

  it('F8 (before 334e9be8): no re-check, pending straight after the request', () => {
    const { r, vt, client, driver } = setup({ capacity: 2, flavour: { bug: 'F8' } });
    r.put(driver, 1, 2);
    r.put(client, 3);
    r.setFlag(driver, false);
    expect(r.notified(vt, SVT_CH_CLIENT)).toEqual([
      'process_tx_queue.length',
      'process_tx_queue.request_consumer_signal(driver)',
    ]);
    expect(r.armed(driver)).toBe(true);
    expect(r.local(vt, 0)).toBe(1);
  });

  it('moves the length measured at the check, not what arrived since (byte or batch)', () => {
    for (const batch of [false, true]) {
      const { r, vt, client, driver } = setup({ capacity: 4, batch });
      r.put(client, 1, 2);
      r.step(vt, 'process_tx_queue.length');
      r.put(client, 3);
      r.step(vt, 'process_tx_queue.transfer_all');
      expect(r.peek(driver)).toEqual([1, 2]);
      expect(r.peek(client)).toEqual([3]);
    }
  });

  it('a measured length larger than the queue holds stops at the empty queue', () => {
    for (const batch of [false, true]) {
      const { r, vt, client, driver } = setup({ capacity: 4, batch });
      r.put(client, 1);
      r.setLocal(vt, 1, 3);
      expect(r.step(vt, 'process_tx_queue.transfer_all')).toBe('tx_provide.notify(driver)');
      expect(r.peek(driver)).toEqual([1]);
      expect(r.fails).toEqual([]);
    }
  });

  it('a transfer into a driver queue without room is the C assert failing, byte or batch', () => {
    for (const batch of [false, true]) {
      const { r, vt, client, driver } = setup({ capacity: 2, batch });
      r.put(driver, 1, 2);
      r.put(client, 3);
      r.setLocal(vt, 1, 1);
      r.step(vt, 'process_tx_queue.transfer_all');
      expect(r.fails).toEqual([
        {
          pd: 'virt_tx',
          property: 'no-assert-failure',
          message: 'serial_transfer_all: driver queue full',
        },
      ]);
    }
  });

  it('without room: byte by byte, each byte is an assert (and lost); a batch asserts once', () => {
    for (const [batch, fails] of [
      [false, 2],
      [true, 1],
    ] as const) {
      const { r, vt, client, driver } = setup({ capacity: 2, batch });
      r.put(driver, 1, 2);
      r.put(client, 3, 4);
      r.setLocal(vt, 1, 2);
      r.step(vt, 'process_tx_queue.transfer_all');
      expect(r.fails).toHaveLength(fails);
      expect(r.peek(client)).toEqual([]);
      expect(r.peek(driver)).toEqual([1, 2]);
    }
  });

  it('batch: one serial_enqueue_batch across the driver queue wrap keeps the order', () => {
    const { r, vt, client, driver } = setup({ capacity: 4, batch: true });
    r.at(driver, 3);
    r.put(client, 1, 2, 3);
    r.notified(vt, SVT_CH_CLIENT);
    expect(r.peek(driver)).toEqual([1, 2, 3]);
    expect(r.mem.load(driver.tail)).toBe(6);
    expect(r.fails).toEqual([]);
  });

  it('F23: the batch overwrites its pre-wrap chunk', () => {
    const { r, vt, client, driver } = setup({ capacity: 2, batch: true, flavour: { bug: 'F23' } });
    r.at(driver, 1);
    r.put(client, 1, 2);
    r.notified(vt, SVT_CH_CLIENT);
    // The second copy lands on the first (data index 1), slot 0 is never written.
    expect(r.peek(driver)).toEqual([2, 0]);
  });

  it('a bad pc is our bug', () => {
    const { r, vt } = setup();
    expect(() => vt.step(42, r.ctx(vt))).toThrow(/serial virt_tx: bad pc 42/);
  });
});

describe('serial driver (tx_provide, HEAD)', () => {
  it('shape', () => {
    const { drv } = setup();
    expect(drv.name).toBe('driver');
    expect(drv.localWords).toBe(1);
    expect(drv.initPc).toBe(PC_DONE);
    expect(drv.steps).toEqual(['', 'tx_provide.process', 'tx_provide.notify_if(virt_tx)']);
    expect(drv.entry(0)).toBe(1);
  });

  it('emits in order, counts, and signals virt_tx only if it armed the flag', () => {
    const { r, drv, driver } = setup({ capacity: 4 });
    r.put(driver, 1, 2, 3);
    r.setFlag(driver, true);
    expect(r.notified(drv, 0)).toEqual([
      'tx_provide.process',
      'tx_provide.process',
      'tx_provide.process',
      'tx_provide.process',
      'tx_provide.notify_if(virt_tx)',
    ]);
    expect(r.ghost(SG_EMITTED)).toBe(3);
    expect(r.peek(driver)).toEqual([]);
    expect(r.calls).toEqual(['driver: notify 0']);
    expect(r.armed(driver)).toBe(false);
    expect(r.local(drv, 0)).toBe(0);
    r.put(driver, 4);
    r.calls.length = 0;
    r.notified(drv, 0);
    expect(r.calls).toEqual([]); // not armed
    expect(r.ghost(SG_EMITTED)).toBe(4);
    expect(r.fails).toEqual([]);
  });

  it('nothing moved: no notify even with the flag armed', () => {
    const { r, drv, driver } = setup();
    r.setFlag(driver, true);
    expect(r.notified(drv, 0)).toEqual(['tx_provide.process', 'tx_provide.notify_if(virt_tx)']);
    expect(r.calls).toEqual([]);
    expect(r.armed(driver)).toBe(true);
  });

  it('a character out of order is a fifo violation, and the count moves on', () => {
    const { r, drv, driver } = setup();
    r.put(driver, 2);
    r.notified(drv, 0);
    expect(r.fails).toEqual([
      { pd: 'driver', property: 'fifo', message: 'UART emitted char 2, expected 1' },
    ]);
    expect(r.ghost(SG_EMITTED)).toBe(1);
  });

  it('a bad pc is our bug', () => {
    const { r, drv } = setup();
    expect(() => drv.step(3, r.ctx(drv))).toThrow(/serial driver: bad pc 3/);
  });
});
