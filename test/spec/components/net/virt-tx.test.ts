// virt_tx's handler (spec/components/net/virt-tx.ts; reference sddf-protocols.md §3.3;
// network/components/virt_tx.c at au-ts/sddf 650ace5d) on hand-set states: tx_return hands each
// transmitted IO address back to the client whose Tx region holds it (as an offset) and notifies
// each client it gave buffers; tx_provide takes every client's packets in client order, returns an
// invalid offset to its client, and passes IO addresses to the driver.
import { describe, expect, it } from 'vitest';
import { VIRT_TX_CH_DRIVER } from '../../../../spec/components/net/virt-tx.ts';
import { netRequestSignal, netRequireSignal } from '../../../../spec/queue/net.ts';
import { netRig } from './rig.ts';

const BUF = 2048;

function virtTx(bounds: Record<string, number> = {}) {
  const r = netRig({ clients: 2, txBuffers: 2, ...bounds });
  for (const q of r.cfg.cliTx) r.drain(q.free);
  return r;
}

describe('virt_tx tx_return', () => {
  it('returns each IO address to its client as an offset and notifies only those clients', () => {
    const r = virtTx({ clients: 3 });
    const io = (k: number, i: number) => r.cfg.cliTxData[k]!.ioBase + BUF * i;
    r.enq(r.cfg.drvTx.free, io(2, 1));
    r.enq(r.cfg.drvTx.free, io(0, 0));
    for (const q of r.cfg.cliTx) netRequestSignal(r.mem, q.free, r.cfg.flavour);
    r.mem.store(r.cfg.drvTx.active.consumerSignalled, 1);
    r.notified('virt_tx', VIRT_TX_CH_DRIVER);
    expect(r.fails).toEqual([]);
    expect(r.cfg.cliTx.map((q) => r.drain(q.free))).toEqual([[0], [], [BUF]]);
    expect(r.calls).toEqual(['notify 1', 'notify 3']); // channel 1 + k, immediate
    // The marks are cleared: a second run notifies no one.
    for (const q of r.cfg.cliTx) netRequestSignal(r.mem, q.free, r.cfg.flavour);
    r.notified('virt_tx', VIRT_TX_CH_DRIVER);
    expect(r.calls).toHaveLength(2);
  });

  it('an IO address in no client Tx region is an address-domain violation and goes nowhere', () => {
    const r = virtTx();
    r.enq(r.cfg.drvTx.free, r.cfg.rxDma.ioBase);
    r.notified('virt_tx', VIRT_TX_CH_DRIVER);
    expect(r.fails.map((x) => x.property)).toEqual(['address-domain']);
    expect(r.cfg.cliTx.map((q) => r.len(q.free))).toEqual([0, 0]);
  });

  it('re-check: a buffer the driver returns after request_signal is taken', () => {
    const r = virtTx();
    const p = r.program('virt_tx');
    const ctx = r.ctx('virt_tx');
    const pc = (n: string) => p.steps.indexOf(n);
    expect(p.step(pc('tx_return.process(drv.TxF)'), ctx)).toBe(
      pc('tx_return.request_signal(drv.TxF)'),
    );
    expect(p.step(pc('tx_return.request_signal(drv.TxF)'), ctx)).toBe(
      pc('tx_return.recheck(drv.TxF)'),
    );
    expect(netRequireSignal(r.mem, r.cfg.drvTx.free, r.cfg.flavour)).toBe(true);
    r.enq(r.cfg.drvTx.free, r.cfg.cliTxData[1]!.ioBase);
    expect(p.step(pc('tx_return.recheck(drv.TxF)'), ctx)).toBe(pc('tx_return.process(drv.TxF)'));
    expect(netRequireSignal(r.mem, r.cfg.drvTx.free, r.cfg.flavour)).toBe(false);
    r.drain(r.cfg.drvTx.free);
    expect(p.step(pc('tx_return.recheck(drv.TxF)'), ctx)).toBe(
      pc('tx_return.notify_if(client.TxF)'),
    );
  });
});

describe('virt_tx tx_provide', () => {
  it('takes every client in order, passes IO addresses to the driver, one deferred notify', () => {
    const r = virtTx();
    r.enq(r.cfg.cliTx[1]!.active, BUF);
    r.enq(r.cfg.cliTx[0]!.active, 0);
    r.enq(r.cfg.cliTx[0]!.active, BUF);
    r.notified('virt_tx', VIRT_TX_CH_DRIVER);
    const io = (k: number, off: number) => r.cfg.cliTxData[k]!.ioBase + off;
    expect(r.drain(r.cfg.drvTx.active)).toEqual([io(0, 0), io(0, BUF), io(1, BUF)]);
    expect(r.calls).toEqual([`deferred ${VIRT_TX_CH_DRIVER}`]);
    // Every client's TxA asked for a signal (all empty now).
    expect(r.cfg.cliTx.map((q) => netRequireSignal(r.mem, q.active, r.cfg.flavour))).toEqual([
      true,
      true,
    ]);
    // Nothing new: no notify of the driver, though it asks.
    r.notified('virt_tx', VIRT_TX_CH_DRIVER);
    expect(r.calls).toHaveLength(1);
  });

  it('an invalid offset goes back to its client, not to the driver', () => {
    const r = virtTx();
    r.enq(r.cfg.cliTx[1]!.active, BUF * 5);
    r.notified('virt_tx', VIRT_TX_CH_DRIVER);
    expect(r.drain(r.cfg.cliTx[1]!.free)).toEqual([BUF * 5]);
    expect(r.len(r.cfg.drvTx.active)).toBe(0);
    expect(r.calls).toEqual([]);
  });

  it("re-check: a packet enqueued after a client's request_signal is taken before the next client", () => {
    const r = virtTx();
    const p = r.program('virt_tx');
    const ctx = r.ctx('virt_tx');
    const pc = (n: string) => p.steps.indexOf(n);
    expect(p.step(pc('tx_provide.process(client.TxA)'), ctx)).toBe(
      pc('tx_provide.request_signal(client.TxA)'),
    );
    expect(p.step(pc('tx_provide.request_signal(client.TxA)'), ctx)).toBe(
      pc('tx_provide.recheck(client.TxA)'),
    );
    r.enq(r.cfg.cliTx[0]!.active, 0);
    expect(p.step(pc('tx_provide.recheck(client.TxA)'), ctx)).toBe(
      pc('tx_provide.process(client.TxA)'),
    );
    expect(netRequireSignal(r.mem, r.cfg.cliTx[0]!.active, r.cfg.flavour)).toBe(false);
    p.step(pc('tx_provide.process(client.TxA)'), ctx);
    expect(r.drain(r.cfg.drvTx.active)).toEqual([r.cfg.cliTxData[0]!.ioBase]);
    expect(() => p.step(99, ctx)).toThrow(/bad pc 99/);
  });

  it('init (boot) is tx_provide', () => {
    const r = netRig({ clients: 1, boot: 1 });
    expect(r.init('virt_tx')[0]).toBe('tx_provide.process(client.TxA)');
  });
});
